// The four flow configurations every speed bench and yardstick measures (bench/flows.ts,
// bench/tfjs-yardstick.ts, ../shared/reference/torch_maf_bench.py): MADE with relu, float64, N(0, I) base.

/** One configuration: a MAF of `layers` MADEs, with a Reverse between consecutive ones. */
export interface FlowConfig {
  /** E, the event size. */
  eventSize: number;
  /** The MADE's hidden layer widths. */
  hiddenUnits: number[];
  /** MAF layers, with a Reverse between consecutive ones. */
  layers: number;
  /** Rows per train and logProb call. */
  batch: number;
  /** Draws per sample call. */
  sampleBatch: number;
}

/** Exactly the table of issue 6 (and of torch_maf_bench.py). */
export const CONFIGS: Record<string, FlowConfig> = {
  i: { eventSize: 2, hiddenUnits: [10], layers: 1, batch: 25, sampleBatch: 25 },
  ii: { eventSize: 64, hiddenUnits: [512, 512], layers: 1, batch: 256, sampleBatch: 64 },
  iii: { eventSize: 64, hiddenUnits: [512, 512], layers: 5, batch: 256, sampleBatch: 64 },
  iv: { eventSize: 784, hiddenUnits: [1024], layers: 1, batch: 100, sampleBatch: 10 },
};
