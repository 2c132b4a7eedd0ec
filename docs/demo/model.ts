// The demo's model: a stack of MAF layers built with maflow's public Keras-like API, the same way as examples/banana.ts.
import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer, MultivariateNormalDiag,
  PermuteTransform, Sequential, noGrad, tensor, zeros,
  type Distribution, type Layer, type Tensor, type TransformedDistribution,
} from '../../lib/index.js';
import type { Box } from './data-sets.js';

/** What the page's controls choose. */
export interface FlowSettings {
  /** Units of each hidden layer of every MADE, e.g. `[32]` or `[32, 32]`. */
  hiddenUnits: readonly number[];
  /** Number of MAF layers (AutoregressiveTransforms), with a PermuteTransform between two of them. */
  flowLayers: number;
  /** Adam's step size. */
  learningRate: number;
}

/** A compiled model and the MADE networks inside it (one per flow layer, base side first). */
export interface Flow {
  model: Sequential<TransformedDistribution>;
  mades: AutoregressiveNetwork[];
}

/**
 * A K-layer MAF over 2-D points, compiled with Adam and the loss −log p(y):
 *
 *     u ~ N(0, I₂)  →  MAF₁  →  reverse  →  MAF₂  →  …  →  MAF_K  →  x
 *
 * Each MAF layer is x_d = u_d · exp(logScale_d) + shift_d, with (shift_d, logScale_d) from a MADE
 * that sees only the dimensions before d. With two dimensions that means: dimension 1 gets a
 * constant shift and scale, and dimension 2 a shift and scale that depend on dimension 1. Reversing
 * the order between layers lets each dimension, in some layer, depend on the other.
 *
 * The model takes an empty input (`inputShape: [0]`): it learns p(x), not p(y | x).
 */
export function buildFlow(settings: FlowSettings): Flow {
  const mades: AutoregressiveNetwork[] = [];
  const layers: Layer[] = [
    new InputLayer({ inputShape: [0] }),
    // The base distribution, one standard normal per input row: `t` is [rows, 0], so loc is [rows, 2].
    new DistributionLambda((t: Tensor) => new MultivariateNormalDiag({
      loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] })),
  ];
  for (let k = 0; k < settings.flowLayers; k++) {
    if (k > 0) layers.push(new PermuteTransform()); // 'reverse': [x1, x2] → [x2, x1]
    // A fixed seed per layer: the same settings give the same initial weights, so runs can be compared.
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: settings.hiddenUnits, activation: 'relu', seed: `demo-${k}` });
    mades.push(made);
    layers.push(new AutoregressiveTransform(made));
  }
  const model = new Sequential<TransformedDistribution>(layers);
  model.compile({ optimizer: new Adam({ learningRate: settings.learningRate }), loss: (y, rvY) => rvY.logProb(y).neg() });
  model.build([0]); // makes every MADE's masks and weights now, so the page can draw them before training
  return { model, mades };
}

/** The learned distribution p(x): the model called on one empty input row. */
export function distributionOf(flow: Flow): Distribution {
  return flow.model.call(zeros([0]));
}

/**
 * The density p(x) at the centres of an `nx × ny` grid over `box`, row j from the bottom:
 * `values[j·nx + i] = p(xMin + (i + ½)·Δx, yMin + (j + ½)·Δy)`. One network pass per MAF layer.
 *
 * The grid goes through the model `rowsPerChunk` grid rows at a time, with a pause for the event
 * loop in between: a big model on 3600 points takes a few hundred milliseconds, which in one piece
 * would freeze the page.
 */
export async function densityGrid(distribution: Distribution, box: Box, nx: number, ny: number, rowsPerChunk = 10): Promise<Float64Array> {
  const values = new Float64Array(nx * ny);
  for (let j0 = 0; j0 < ny; j0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, ny - j0);
    const grid = new Float64Array(rows * nx * 2);
    for (let j = 0; j < rows; j++) {
      for (let i = 0; i < nx; i++) {
        grid[2 * (j * nx + i)] = box.xMin + ((i + 0.5) / nx) * (box.xMax - box.xMin);
        grid[2 * (j * nx + i) + 1] = box.yMin + ((j0 + j + 0.5) / ny) * (box.yMax - box.yMin);
      }
    }
    values.set(noGrad(() => distribution.prob(tensor(grid, [rows * nx, 2]))).data, j0 * nx);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return values;
}

/**
 * `n` samples of the distribution as a row-major `[n, 2]` array. A fixed seed draws the same base
 * points u every time, so as training goes on the samples move smoothly instead of jumping around.
 * Sampling runs each MAF layer's recursion: two network passes per layer for two dimensions.
 */
export function samplesOf(distribution: Distribution, n: number, seed = 7): Float64Array {
  return Float64Array.from(noGrad(() => distribution.sample(n, { seed })).data);
}

/** The masks of one MADE as plain rows: `masks[l][i][k]` is 1 when unit/input i feeds unit/output k of masked layer l. */
export function masksOf(made: AutoregressiveNetwork): number[][][] {
  return made.masks.map((m) => m.toArray() as number[][]);
}
