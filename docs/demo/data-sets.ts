// The 2-D data sets of the demo page, each drawn from a seeded Random so that a reload shows the same points.
import { Random } from '../../lib/index.js';

/** The data-space rectangle a panel shows: a square, so a circle looks round. */
export interface Box {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** The names of the data sets the page offers; `'drawn'` is made of the user's strokes. */
export type DataSetName = 'banana' | 'moons' | 'ring' | 'checkerboard' | 'drawn';

/** One data set: `n` points as a row-major `[n, 2]` array, and the box to show them in. */
export interface DataSet {
  name: DataSetName;
  points: Float64Array;
  box: Box;
  /**
   * `−(1/n) Σ_b log p(x_b)` under the density the points were drawn from, in nats, when it has a
   * closed form: the best mean loss a model can hope for, drawn as a dashed line under the loss curve.
   */
  trueNll?: number;
}

/** The labels shown in the page's data set menu, in menu order. */
export const DATA_SET_LABELS: Readonly<Record<DataSetName, string>> = {
  banana: 'banana (MAF paper, Fig. 1)',
  moons: 'two moons',
  ring: 'ring',
  checkerboard: 'checkerboard',
  drawn: 'draw your own',
};

/** The box of the drawing canvas: what the user draws lands in this square. */
export const DRAWN_BOX: Box = { xMin: -4, xMax: 4, yMin: -4, yMax: 4 };

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The banana of the MAF paper's Figure 1 (the same law as data/banana_train.csv):
 *   x₂ = 2·z₂,   x₁ = z₁ + x₂²/4,   z₁, z₂ ~ N(0, 1),
 * so log p(x) = log N(x₂; 0, 2²) + log N(x₁; x₂²/4, 1).
 * @see Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057
 */
function banana(n: number, rng: Random): DataSet {
  const points = new Float64Array(2 * n);
  let nll = 0;
  for (let b = 0; b < n; b++) {
    const x2 = 2 * rng.normal();
    const z1 = rng.normal();
    points[2 * b] = z1 + (x2 * x2) / 4;
    points[2 * b + 1] = x2;
    // −log N(x₂; 0, 4) − log N(x₁; x₂²/4, 1), with x₁ − x₂²/4 = z₁ and x₂/2 = z₂
    nll += 0.5 * (x2 / 2) ** 2 + Math.log(2) + 0.5 * LOG_2PI + 0.5 * z1 * z1 + 0.5 * LOG_2PI;
  }
  return { name: 'banana', points, box: { xMin: -4, xMax: 12, yMin: -8, yMax: 8 }, trueNll: nll / n };
}

/**
 * Two interleaved half circles (as scikit-learn's make_moons), with N(0, 0.1²) noise on each coordinate:
 * upper (cos t, sin t) and lower (1 − cos t, ½ − sin t), t ~ U(0, π).
 */
function moons(n: number, rng: Random): DataSet {
  const points = new Float64Array(2 * n);
  for (let b = 0; b < n; b++) {
    const t = Math.PI * rng.uniform();
    const upper = b % 2 === 0;
    points[2 * b] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + 0.1 * rng.normal();
    points[2 * b + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + 0.1 * rng.normal();
  }
  return { name: 'moons', points, box: { xMin: -1.75, xMax: 2.75, yMin: -2, yMax: 2.5 } };
}

/** A ring of radius 2: angle ~ U(0, 2π), radius ~ N(2, 0.2²). Hard for one affine MAF layer, easier with several. */
function ring(n: number, rng: Random): DataSet {
  const points = new Float64Array(2 * n);
  for (let b = 0; b < n; b++) {
    const angle = 2 * Math.PI * rng.uniform();
    const r = 2 + 0.2 * rng.normal();
    points[2 * b] = r * Math.cos(angle);
    points[2 * b + 1] = r * Math.sin(angle);
  }
  return { name: 'ring', points, box: { xMin: -3.5, xMax: 3.5, yMin: -3.5, yMax: 3.5 } };
}

/**
 * Uniform on the 8 dark squares of a 4 × 4 board covering [−2, 2]²: a density with sharp edges,
 * which smooth affine flows can only approximate.
 * The density is 1/8 on each unit square, so −log p = log 8 ≈ 2.079 nats on every point.
 */
function checkerboard(n: number, rng: Random): DataSet {
  const points = new Float64Array(2 * n);
  for (let b = 0; b < n; b++) {
    const col = rng.int(0, 3);
    // Dark squares are those whose column and row have the same parity, two per column.
    const row = 2 * rng.int(0, 1) + (col % 2);
    points[2 * b] = -2 + col + rng.uniform();
    points[2 * b + 1] = -2 + row + rng.uniform();
  }
  return { name: 'checkerboard', points, box: { xMin: -3, xMax: 3, yMin: -3, yMax: 3 }, trueNll: Math.log(8) };
}

/**
 * A data set drawn from the named density.
 * @param name - any name but `'drawn'` (the page keeps the user's strokes itself; see {@link fromStrokes})
 * @param n - number of points, an integer ≥ 1
 * @param seed - the same seed gives the same points
 * @throws RangeError for a bad `n`; TypeError for an unknown name
 */
export function makeDataSet(name: Exclude<DataSetName, 'drawn'>, n: number, seed: number | string = 0): DataSet {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`makeDataSet: 'n' must be an integer ≥ 1, got ${n}`);
  const rng = new Random(`${name}-${seed}`);
  switch (name) {
    case 'banana': return banana(n, rng);
    case 'moons': return moons(n, rng);
    case 'ring': return ring(n, rng);
    case 'checkerboard': return checkerboard(n, rng);
    default: throw new TypeError(`makeDataSet: unknown data set '${String(name)}', expected one of banana, moons, ring, checkerboard`);
  }
}

/**
 * A data set made of the points the user drew: each stroke point becomes `copies` points spread by
 * N(0, spread²), so that a thin stroke becomes a band a flow can learn (a density needs some width).
 * @param stroke - row-major `[m, 2]` points in {@link DRAWN_BOX} coordinates
 */
export function fromStrokes(stroke: readonly number[], copies = 6, spread = 0.12, seed: number | string = 0): DataSet {
  const rng = new Random(`drawn-${seed}`);
  const m = Math.floor(stroke.length / 2);
  const points = new Float64Array(2 * m * copies);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < copies; c++) {
      const b = i * copies + c;
      points[2 * b] = stroke[2 * i] + spread * rng.normal();
      points[2 * b + 1] = stroke[2 * i + 1] + spread * rng.normal();
    }
  }
  return { name: 'drawn', points, box: DRAWN_BOX };
}
