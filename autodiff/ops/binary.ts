// Elementwise binary ops with NumPy broadcasting: add, sub, mul, div, maximum, minimum, mulExp, each defined by one row.
import { broadcastPlan, broadcastShapes } from '../broadcast.js';
import { sameShape, sizeOf, type Shape } from '../../lib/util/shape.js';
import { outGrad, record, type Tensor } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensor-like.js';
import { checkShapeElements } from '../../lib/util/limits.js';
import { SLICE } from './rows.js';

// a · eᵇ with eᵇ formed whole overflows for b > 709.78 even when the product is finite
// (a = 1e-300, b = 710 gives 2.2e8), underflows for b < −745 when a is large, and gives
// 0 · ∞ = NaN for a = 0. Two half-exponents keep every representable product: past |b| ≈ 1420
// the product is out of range whatever a is.
/** The scalar of {@link mulExp}, for loops that skip the graph (a flow's fused density pass) and must give the same bits. */
export function mulExpValue(a: number, b: number): number {
  if (a === 0) return a; // 0 · eᵇ = 0 for every finite b (and keeps the sign of a −0)
  if (b <= 700 && b >= -700) return a * Math.exp(b);
  const half = Math.exp(0.5 * b);
  return a * half * half;
}

/** y = f(a, b), one op on numbers. */
type Value = (a: number, b: number) => number;
/**
 * ∂f/∂a or ∂f/∂b at the element that read `a[p]` and `b[q]` and wrote `y[i]` (the derivative may
 * reuse the output). A derivative reads the arrays itself, so a loop loads only what it uses: on
 * large tensors each array read costs memory bandwidth, and passing all three values made the
 * backward of add 1.5× slower on 10⁵ elements.
 */
type Partial = (a: Float64Array, p: number, b: Float64Array, q: number, y: Float64Array, i: number) => number;

/**
 * One op, defined once: its value, handed to the forward kernel, `f: (k, job) => k(job, f)`, and
 * its two partial derivatives, handed to the backward kernel, `df: (k, job) => k(job, ∂f/∂a, ∂f/∂b)`.
 * Why functions and not a record of `f`, `∂f/∂a`, `∂f/∂b`: see {@link SLICE}. (The value and the
 * derivatives are two functions so that each is compiled for one direction only.)
 */
interface BinaryRow {
  f: (k: typeof forwardKernel, job: BinaryJob) => void;
  df: (k: typeof backwardKernel, job: BinaryJob) => void;
}

// Partial derivatives of ±1 are exact: g·1 = g and x + g·(−1) = x − g, so the loops need no special case.
/** Every binary op, by the name its output records. Adding an op is adding a row (and its exported name). */
const ROWS = {
  add: { f: (k, job) => k(job, (a, b) => a + b), df: (k, job) => k(job, () => 1, () => 1) },
  sub: { f: (k, job) => k(job, (a, b) => a - b), df: (k, job) => k(job, () => 1, () => -1) },
  mul: { f: (k, job) => k(job, (a, b) => a * b), df: (k, job) => k(job, (_a, _p, b, q) => b[q], (a, p) => a[p]) },
  div: { f: (k, job) => k(job, (a, b) => a / b), df: (k, job) => k(job, (_a, _p, b, q) => 1 / b[q], (_a, _p, b, q, y, i) => -y[i] / b[q]) },
  maximum: { f: (k, job) => k(job, (a, b) => (a >= b ? a : b)), df: (k, job) => k(job, (a, p, b, q) => (a[p] >= b[q] ? 1 : 0), (a, p, b, q) => (a[p] >= b[q] ? 0 : 1)) },
  minimum: { f: (k, job) => k(job, (a, b) => (a <= b ? a : b)), df: (k, job) => k(job, (a, p, b, q) => (a[p] <= b[q] ? 1 : 0), (a, p, b, q) => (a[p] <= b[q] ? 0 : 1)) },
  mulExp: { f: (k, job) => k(job, (a, b) => mulExpValue(a, b)), df: (k, job) => k(job, (_a, _p, b, q) => Math.exp(b[q]), (_a, _p, _b, _q, y, i) => y[i]) },
} satisfies Record<string, BinaryRow>;

/** The binary ops of this file, by the name their output records. */
export type BinaryOpName = keyof typeof ROWS;

/** Which loop a job runs: the forward, or the backward into one input's gradient. */
const FORWARD = 0;
const BACKWARD_A = 1;
const BACKWARD_B = 2;

/**
 * How the loops read the inputs. Strided: the output seen as `rows` rows of `n` (the last row may
 * be shorter), output element i = r·n + j reading `a[r·aRow + j·aCol]` and `b[r·bRow + j·bCol]`.
 * Each input is one of: the output's own layout (n, 1), a scalar (0, 0), a row `[..., n]` repeated
 * over the leading axes (0, 1), or a column `[..., 1]` repeated along the last axis (1, 0); with no
 * row or column, every read is i or 0 and the rows are slices of the flat output. Indexed (`ia`,
 * `ib` not null): any NumPy broadcast, output element i reading `a[ia[i]]` and `b[ib[i]]`, in rows
 * of `n` as well. A call of a row runs the rows `[r0, r1)`.
 */
interface BinaryJob {
  kind: number;
  a: Float64Array;
  b: Float64Array;
  y: Float64Array;
  /** The output's gradient, during a backward job. */
  g: Float64Array;
  /** The gradient being added into (a's or b's), during a backward job. */
  grad: Float64Array;
  rows: number;
  n: number;
  aRow: number;
  aCol: number;
  bRow: number;
  bCol: number;
  ia: Int32Array | null;
  ib: Int32Array | null;
  r0: number;
  r1: number;
}

const EMPTY = new Float64Array(0);

/** Runs the forward loop of the job's layout with an op's value; each row inlines its own copy. */
function forwardKernel(job: BinaryJob, f: Value): void {
  if (job.ia !== null) forwardIndexed(job, f);
  else forwardStrided(job, f);
}

/** Runs the backward loop into the gradient of `a` or `b` (`job.kind`) with an op's derivatives; each row inlines its own copy. */
function backwardKernel(job: BinaryJob, dfda: Partial, dfdb: Partial): void {
  const indexed = job.ia !== null;
  if (job.kind === BACKWARD_A) {
    if (indexed) backwardAIndexed(job, dfda);
    else backwardAStrided(job, dfda);
  } else if (indexed) backwardBIndexed(job, dfdb);
  else backwardBStrided(job, dfdb);
}

/** y[i] = f(a[p], b[q]), with p and q stepping by the strides. */
function forwardStrided(job: BinaryJob, f: Value): void {
  const { a, b, y, n, aRow, aCol, bRow, bCol, r0, r1 } = job;
  for (let r = r0, i = r0 * n; r < r1; r++) {
    const end = Math.min(i + n, y.length);
    for (let p = r * aRow, q = r * bRow; i < end; i++, p += aCol, q += bCol) y[i] = f(a[p], b[q]);
  }
}

// Backward: da[p] += g[i] · ∂f/∂a. The output index i runs in order, so a broadcast input's
// gradient sums its terms in the same order on every path, and the strided and indexed loops give the same bits.

/** da[p] += g[i] · ∂f/∂a at (a[p], b[q], y[i]). */
function backwardAStrided(job: BinaryJob, dfda: Partial): void {
  const { a, b, y, g, grad, n, aRow, aCol, bRow, bCol, r0, r1 } = job;
  for (let r = r0, i = r0 * n; r < r1; r++) {
    const end = Math.min(i + n, y.length);
    for (let p = r * aRow, q = r * bRow; i < end; i++, p += aCol, q += bCol) grad[p] += g[i] * dfda(a, p, b, q, y, i);
  }
}

/** db[q] += g[i] · ∂f/∂b at (a[p], b[q], y[i]). */
function backwardBStrided(job: BinaryJob, dfdb: Partial): void {
  const { a, b, y, g, grad, n, aRow, aCol, bRow, bCol, r0, r1 } = job;
  for (let r = r0, i = r0 * n; r < r1; r++) {
    const end = Math.min(i + n, y.length);
    for (let p = r * aRow, q = r * bRow; i < end; i++, p += aCol, q += bCol) grad[q] += g[i] * dfdb(a, p, b, q, y, i);
  }
}

/** y[i] = f(a[ia[i]], b[ib[i]]). */
function forwardIndexed(job: BinaryJob, f: Value): void {
  const { a, b, y, n, r0, r1 } = job;
  const ia = job.ia as Int32Array;
  const ib = job.ib as Int32Array;
  for (let i = r0 * n, end = Math.min(r1 * n, y.length); i < end; i++) y[i] = f(a[ia[i]], b[ib[i]]);
}

/** da[ia[i]] += g[i] · ∂f/∂a: repeated reads (broadcast axes) accumulate, which sums the gradient over them. */
function backwardAIndexed(job: BinaryJob, dfda: Partial): void {
  const { a, b, y, g, grad, n, r0, r1 } = job;
  const ia = job.ia as Int32Array;
  const ib = job.ib as Int32Array;
  for (let i = r0 * n, end = Math.min(r1 * n, y.length); i < end; i++) grad[ia[i]] += g[i] * dfda(a, ia[i], b, ib[i], y, i);
}

/** db[ib[i]] += g[i] · ∂f/∂b. */
function backwardBIndexed(job: BinaryJob, dfdb: Partial): void {
  const { a, b, y, g, grad, n, r0, r1 } = job;
  const ia = job.ia as Int32Array;
  const ib = job.ib as Int32Array;
  for (let i = r0 * n, end = Math.min(r1 * n, y.length); i < end; i++) grad[ib[i]] += g[i] * dfdb(a, ia[i], b, ib[i], y, i);
}

/** Runs `job` with a row's function `half` and its kernel over all the job's rows, {@link SLICE} elements (or one row, if longer) per call. */
function runRows<K>(half: (k: K, job: BinaryJob) => void, k: K, job: BinaryJob): void {
  const step = Math.max(1, Math.floor(SLICE / job.n));
  for (let r = 0; r < job.rows; r += step) {
    job.r0 = r;
    job.r1 = Math.min(job.rows, r + step);
    half(k, job);
  }
}

/**
 * A job reading `a` and `b` into `y`, every field set so all jobs share one hidden class: flat
 * reads of both inputs in full (equal shapes), in rows of up to {@link SLICE}.
 */
function newJob(a: Float64Array, b: Float64Array, y: Float64Array): BinaryJob {
  const job: BinaryJob = { kind: FORWARD, a, b, y, g: EMPTY, grad: EMPTY, rows: 0, n: 1, aRow: 0, aCol: 1, bRow: 0, bCol: 1, ia: null, ib: null, r0: 0, r1: 0 };
  setFlat(job, 1, 1);
  return job;
}

/** Strides of a layout with no row or column: p = i·aCol, q = i·bCol, cut into rows of up to {@link SLICE}. */
function setFlat(job: BinaryJob, aCol: number, bCol: number): void {
  const size = job.y.length;
  job.n = Math.max(1, Math.min(size, SLICE));
  job.rows = Math.ceil(size / job.n);
  job.aCol = aCol;
  job.bCol = bCol;
  job.aRow = job.n * aCol;
  job.bRow = job.n * bCol;
}

/** How an input is read by the output: see {@link BinaryJob}. */
type Read = 'full' | 'scalar' | 'row' | 'column';

/** How an input of `shape` (`size` elements) is read by an output of `outSize` elements with last axis `n`; null for any other broadcast. */
function readOf(shape: Shape, size: number, outSize: number, n: number): Read | null {
  if (size === outSize) return 'full'; // equal sizes: only size-1 axes were added, so flat index i reads i
  if (size === 1) return 'scalar';
  const last = shape.length === 0 ? 1 : shape[shape.length - 1];
  if (last === n && size === n) return 'row';
  if (last === 1 && size * n === outSize) return 'column'; // then every leading axis equals the output's
  return null;
}

/** The (row, column) strides of each {@link Read}. */
function stridesOfRead(read: Read, n: number): [number, number] {
  return read === 'full' ? [n, 1] : read === 'scalar' ? [0, 0] : read === 'row' ? [0, 1] : [1, 0];
}

/**
 * Sets the strides of `job` for a broadcast of `a` and `b` to `shape`; false when an input needs
 * an index array. Equal sizes keep the job's one row of all elements.
 */
function setStrides(job: BinaryJob, a: Tensor, b: Tensor, shape: Shape): boolean {
  const size = job.y.length;
  const n = shape.length === 0 ? 1 : shape[shape.length - 1];
  const ra = readOf(a.shape, a.size, size, n);
  const rb = readOf(b.shape, b.size, size, n);
  if (ra === null || rb === null) return false;
  const flat = (r: Read): boolean => r === 'full' || r === 'scalar';
  // No row and no column: every read is i or 0, so the output is read flat.
  if (flat(ra) && flat(rb)) {
    setFlat(job, ra === 'full' ? 1 : 0, rb === 'full' ? 1 : 0);
    return true;
  }
  [job.aRow, job.aCol] = stridesOfRead(ra, n);
  [job.bRow, job.bCol] = stridesOfRead(rb, n);
  job.rows = n === 0 ? 0 : size / n;
  job.n = n;
  return true;
}

/** The identity index 0 … size−1, for an input the output reads in full beside one that needs an index array. */
function identity(size: number): Int32Array {
  const index = new Int32Array(size);
  for (let i = 0; i < size; i++) index[i] = i;
  return index;
}

/** Runs `job`'s forward, records the output, a backward that runs the same row on the gradients, and the forward for replays. */
function run(op: BinaryOpName, a: Tensor, b: Tensor, shape: Shape, job: BinaryJob): Tensor {
  const row: BinaryRow = ROWS[op];
  const forward = (): void => runRows(row.f, forwardKernel, job);
  forward();
  return record(op, job.y, shape, [a, b], (out) => {
    job.g = outGrad(out);
    if (a.requiresGrad) {
      job.kind = BACKWARD_A;
      job.grad = a.gradData();
      runRows(row.df, backwardKernel, job);
    }
    if (b.requiresGrad) {
      job.kind = BACKWARD_B;
      job.grad = b.gradData();
      runRows(row.df, backwardKernel, job);
    }
    job.kind = FORWARD;
    job.g = job.grad = EMPTY;
  }, forward);
}

/**
 * Reference: y[i] = f(a[ia[i]], b[ib[i]]) for any NumPy broadcast, with index arrays `ia`, `ib`
 * from {@link broadcastPlan}; backward `da[ia[i]] += g[i] · ∂f/∂a`, and likewise for `b`. Obvious,
 * with no layout cases, and what the strided loops of {@link binary} are tested against.
 * @internal
 */
export function binaryReference(op: BinaryOpName, aIn: TensorLike, bIn: TensorLike): Tensor {
  const a = toTensor(aIn, 'a', op);
  const b = toTensor(bIn, 'b', op);
  const { shape, size, index } = broadcastPlan(op, a.shape, b.shape);
  const job = newJob(a.data, b.data, new Float64Array(size));
  job.ia = index[0] ?? identity(size);
  job.ib = index[1] ?? identity(size);
  return run(op, a, b, shape, job);
}

/**
 * `broadcastShapes(op, s, t)` for two shapes without its temporary arrays (small ops pay for
 * every allocation); when they do not broadcast, broadcastShapes itself throws the error.
 */
function broadcastTwo(op: string, s: Shape, t: Shape): Shape {
  const rank = Math.max(s.length, t.length);
  const out = new Array<number>(rank);
  for (let k = 1; k <= rank; k++) {
    const p = k <= s.length ? s[s.length - k] : 1;
    const q = k <= t.length ? t[t.length - k] : 1;
    if (p === q || q === 1) out[rank - k] = p;
    else if (p === 1) out[rank - k] = q;
    else return broadcastShapes(op, s, t);
  }
  return out;
}

/**
 * An op of {@link ROWS} on tensors: equal shapes, a scalar, a row `[..., n]` or a column `[..., 1]`
 * against the output run the strided loops; any other broadcast takes the reference's index arrays.
 * Values and gradients are bit-identical to the reference's.
 */
function binary(op: BinaryOpName, aIn: TensorLike, bIn: TensorLike): Tensor {
  const a = toTensor(aIn, 'a', op);
  const b = toTensor(bIn, 'b', op);
  const same = sameShape(a.shape, b.shape);
  const shape = same ? a.shape : broadcastTwo(op, a.shape, b.shape);
  // Two small inputs can broadcast to a huge output ([1e5, 1] with [1, 1e5]): check it before allocating.
  if (!same) checkShapeElements(shape, 'the broadcast shape', op);
  const job = newJob(a.data, b.data, new Float64Array(same ? a.size : sizeOf(shape)));
  if (!same && !setStrides(job, a, b, shape)) return binaryReference(op, a, b);
  return run(op, a, b, shape, job);
}

/** The op `op` as a function of two tensors (or numbers, arrays, any {@link TensorLike}). */
function binaryOp(op: BinaryOpName): (a: TensorLike, b: TensorLike) => Tensor {
  return (a, b) => binary(op, a, b);
}

/** `a + b`, broadcast. ∂/∂a = ∂/∂b = 1. */
export const add = binaryOp('add');

/** `a − b`, broadcast. ∂/∂a = 1, ∂/∂b = −1. */
export const sub = binaryOp('sub');

/** `a · b` elementwise, broadcast. ∂/∂a = b, ∂/∂b = a. */
export const mul = binaryOp('mul');

/** `a / b` elementwise, broadcast. ∂/∂a = 1/b, ∂/∂b = −a/b² = −y/b. */
export const div = binaryOp('div');

/** Elementwise max, broadcast. The gradient goes to `a` where `a ≥ b`, else to `b`. */
export const maximum = binaryOp('maximum');

/** Elementwise min, broadcast. The gradient goes to `a` where `a ≤ b`, else to `b`. */
export const minimum = binaryOp('minimum');

/**
 * `a · eᵇ` elementwise, broadcast, without the overflow of forming eᵇ first: finite wherever the
 * product is, and 0 (not NaN) for a = 0 at any finite b. This is how a flow scales by
 * exp(logScale). ∂/∂a = eᵇ (which may itself be ∞: the true slope), ∂/∂b = a·eᵇ = y.
 *
 * @example
 * mulExp(tensor([1e-300, 0]), tensor([710, 1e6])).toArray(); // [223399476.6, 0]
 * mul(tensor([1e-300, 0]), exp(tensor([710, 1e6]))).toArray(); // [Infinity, NaN]
 */
export const mulExp = binaryOp('mulExp');
