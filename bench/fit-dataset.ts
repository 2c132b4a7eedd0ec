// fitDataset on data larger than memory: generates a 5M-row × 8-column CSV (about 400 MB) in a temporary
// folder, trains one epoch from csvDataset, prints peak heap and RSS and the time, writes JSON, deletes the file.
// Usage: node --expose-gc scripts/run-ts.mjs bench/fit-dataset.ts [--rows N] [--batch-size B] [--json FILE]
//   (npm run bench:fit-dataset). The target: heap and RSS stay under 300 MB for the whole epoch.
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer, MultivariateNormalDiag,
  Random, Sequential, csvDataset, registerDistributionFn, zeros, type Tensor,
} from '../lib/node/index.js';

const COLUMNS = 8;
const TARGET_MB = 300;

interface Args {
  rows: number;
  batchSize: number;
  json: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { rows: 5_000_000, batchSize: 1000, json: 'out/bench-fit-dataset.json' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    if (flag !== '--json' && !(Number.isInteger(n) && n > 0)) throw new Error(`bench/fit-dataset: ${flag} needs a positive integer, got ${value}`);
    if (flag === '--rows') args.rows = n;
    else if (flag === '--batch-size') args.batchSize = n;
    else if (flag === '--json') args.json = value;
    else throw new Error(`bench/fit-dataset: unknown flag '${flag}'; usage: bench/fit-dataset.ts [--rows N] [--batch-size B] [--json FILE]`);
  }
  return args;
}

/**
 * Writes `rows` rows of four independent bananas (the MAF paper's, per pair of columns):
 * x_{2k+2} ~ N(0, 2²), x_{2k+1} ~ N(x_{2k+2}²/4, 1); 6 decimals, 10 000 rows per write.
 */
async function writeCsv(path: string, rows: number, rng: Random): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${Array.from({ length: COLUMNS }, (_, d) => `x${d + 1}`).join(',')}\n`);
  const x = new Float64Array(COLUMNS);
  for (let r = 0; r < rows;) {
    const lines: string[] = [];
    for (const end = Math.min(rows, r + 10_000); r < end; r++) {
      for (let d = 0; d < COLUMNS; d += 2) {
        x[d + 1] = 2 * rng.normal();
        x[d] = rng.normal() + (x[d + 1] * x[d + 1]) / 4;
      }
      lines.push(Array.from(x, (v) => v.toFixed(6)).join(','));
    }
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Peak heap and RSS, sampled every 20 ms and at every batch. */
class MemoryPeaks {
  heap = 0;
  rss = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor() {
    this.timer = setInterval(() => this.sample(), 20);
  }

  sample(): void {
    const m = process.memoryUsage();
    this.heap = Math.max(this.heap, m.heapUsed);
    this.rss = Math.max(this.rss, m.rss);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

const args = parseArgs(process.argv.slice(2));
const dir = mkdtempSync(join(tmpdir(), 'maflow-fit-dataset-'));
const file = join(dir, 'data.csv');
try {
  let t = performance.now();
  await writeCsv(file, args.rows, new Random('bench-fit-dataset'));
  const generateSeconds = (performance.now() - t) / 1000;
  const fileMB = mb(statSync(file).size);
  console.log(`wrote ${args.rows} rows × ${COLUMNS} columns, ${fileMB} MB, in ${generateSeconds.toFixed(1)} s`);

  const standardNormal = (u: Tensor) => new MultivariateNormalDiag({ loc: zeros([...u.shape.slice(0, -1), COLUMNS]) });
  registerDistributionFn('standardNormal8', standardNormal);
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda(standardNormal),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [32], activation: 'relu', seed: 0 })),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 3e-3 }), loss: 'negativeLogLikelihood' });

  (globalThis as { gc?: () => void }).gc?.();
  const start = process.memoryUsage();
  const peaks = new MemoryPeaks();
  let batches = 0;
  const lastLosses: number[] = []; // of the last 100 batches: where training got to, unlike the epoch's mean
  t = performance.now();
  const history = await model.fitDataset(csvDataset(file, { batchSize: args.batchSize, shuffleBuffer: 10_000, seed: 0 }), {
    epochs: 1,
    verbose: 1,
    callbacks: {
      onBatchEnd: (_batch, logs) => {
        batches++;
        peaks.sample();
        lastLosses.push(logs.loss);
        if (lastLosses.length > 100) lastLosses.shift();
      },
    },
  });
  const trainSeconds = (performance.now() - t) / 1000;
  peaks.stop();

  const result = {
    rows: args.rows, columns: COLUMNS, fileMB, batchSize: args.batchSize, shuffleBuffer: 10_000, batches,
    generateSeconds: Math.round(generateSeconds * 10) / 10,
    trainSeconds: Math.round(trainSeconds * 10) / 10,
    rowsPerSecond: Math.round(args.rows / trainSeconds),
    loss: history.history.loss[0],
    lossLast100Batches: lastLosses.reduce((a, b) => a + b, 0) / lastLosses.length,
    heapStartMB: mb(start.heapUsed), heapPeakMB: mb(peaks.heap),
    rssStartMB: mb(start.rss), rssPeakMB: mb(peaks.rss),
    targetMB: TARGET_MB,
    underTarget: peaks.heap < TARGET_MB * 1e6 && peaks.rss < TARGET_MB * 1e6,
    machine: { node: process.version, cores: (await import('node:os')).availableParallelism() },
    date: new Date().toISOString(),
  };
  console.log(`one epoch: ${batches} batches in ${result.trainSeconds} s (${result.rowsPerSecond} rows/s); ` +
    `loss ${result.loss.toFixed(4)} over the epoch, ${result.lossLast100Batches.toFixed(4)} over its last 100 batches`);
  console.log(`peak heap ${result.heapPeakMB} MB (${result.heapStartMB} at start), peak RSS ${result.rssPeakMB} MB (${result.rssStartMB} at start); ` +
    `target < ${TARGET_MB} MB: ${result.underTarget ? 'met' : 'MISSED'}`);
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${args.json}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
