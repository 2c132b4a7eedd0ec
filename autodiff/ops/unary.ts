// Elementwise unary ops, each defined by one row: its function beside its derivative.
import { assert } from '../../lib/util/errors.js';
import { outGrad, record, type Tensor } from '../tensor.js';
import { SLICE } from './rows.js';

/** y = f(x), with the op's constants `c`, `d` (pow's exponent, clip's bounds; 0 when unused). */
type Value = (x: number, c: number, d: number) => number;
/** f′(x), which may reuse the output y = f(x). */
type Derivative = (x: number, y: number, c: number, d: number) => number;

/**
 * One op, defined once: its function, handed to the forward kernel, `f: (k, job) => k(job, f)`,
 * and its derivative, handed to the backward kernel, `df: (k, job) => k(job, f′)`. Why functions
 * and not a record `{ f, f′ }`: see {@link SLICE}.
 */
interface UnaryRow {
  f: (k: typeof forwardKernel, job: UnaryJob) => void;
  df: (k: typeof backwardKernel, job: UnaryJob) => void;
}

// 1/(1 + e^−x) overflows e^−x for x < −709 but still rounds to 0 correctly; the branch
// keeps the intermediate in (0, 1] on both sides so no Infinity is ever formed.
/** The scalar of {@link sigmoid}, for loops that skip the graph. */
export function sigmoidValue(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

// log(1 + eˣ) overflows past x ≈ 709; max(x, 0) + log1p(e^−|x|) does not, and is exact for large |x|.
/** The scalar of {@link softplus}, for loops that skip the graph. */
export function softplusValue(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

// A derivative of ±1 is exact: g·1 = g and x + g·(−1) = x − g, so the loop needs no special case.
/** Every unary op, by the name its output records. Adding an op is adding a row (and its exported name). */
const ROWS = {
  neg: { f: (k, job) => k(job, (x) => -x), df: (k, job) => k(job, () => -1) },
  exp: { f: (k, job) => k(job, (x) => Math.exp(x)), df: (k, job) => k(job, (_x, y) => y) },
  log: { f: (k, job) => k(job, (x) => Math.log(x)), df: (k, job) => k(job, (x) => 1 / x) },
  log1p: { f: (k, job) => k(job, (x) => Math.log1p(x)), df: (k, job) => k(job, (x) => 1 / (1 + x)) },
  // eˣ computed directly: y + 1 cancels digits for x ≪ 0.
  expm1: { f: (k, job) => k(job, (x) => Math.expm1(x)), df: (k, job) => k(job, (x) => Math.exp(x)) },
  sqrt: { f: (k, job) => k(job, (x) => Math.sqrt(x)), df: (k, job) => k(job, (_x, y) => 0.5 / y) },
  square: { f: (k, job) => k(job, (x) => x * x), df: (k, job) => k(job, (x) => 2 * x) },
  // p = 0: the derivative is 0 everywhere; p·x^(p−1) would give 0·∞ = NaN at x = 0.
  pow: { f: (k, job) => k(job, (x, p) => Math.pow(x, p)), df: (k, job) => k(job, (x, _y, p) => (p === 0 ? 0 : p * Math.pow(x, p - 1))) },
  // sign(x) = [x > 0] − [x < 0]: 1, −1 or 0 (also for NaN), with no branch on the sign.
  abs: { f: (k, job) => k(job, (x) => Math.abs(x)), df: (k, job) => k(job, (x) => +(x > 0) - +(x < 0)) },
  tanh: { f: (k, job) => k(job, (x) => Math.tanh(x)), df: (k, job) => k(job, (_x, y) => 1 - y * y) },
  sigmoid: { f: (k, job) => k(job, (x) => sigmoidValue(x)), df: (k, job) => k(job, (_x, y) => y * (1 - y)) },
  // y = x > 0 ? x : 0 without a branch on the sign, which random signs mispredict half the time
  // (3× slower): x·[x > 0] is x or ±0, + 0 turns −0 into 0, and the NaN that x = NaN or −∞ gives
  // (0·∞) becomes 0, as the comparison does. The derivative [x > 0] is the comparison as a number.
  relu: { f: (k, job) => k(job, (x) => { const r = x * +(x > 0) + 0; return r === r ? r : 0; }), df: (k, job) => k(job, (x) => +(x > 0)) },
  elu: { f: (k, job) => k(job, (x) => (x > 0 ? x : Math.expm1(x))), df: (k, job) => k(job, (x) => (x > 0 ? 1 : Math.exp(x))) },
  softplus: { f: (k, job) => k(job, (x) => softplusValue(x)), df: (k, job) => k(job, (x) => sigmoidValue(x)) },
  clip: { f: (k, job) => k(job, (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x)), df: (k, job) => k(job, (x, _y, lo, hi) => (x >= lo && x <= hi ? 1 : 0)) },
} satisfies Record<string, UnaryRow>;

/** What one call of a row works on: `y = f(x)` or `gx += g · f′(x)` on the elements `[i0, i1)`. */
interface UnaryJob {
  x: Float64Array;
  y: Float64Array;
  /** The output's gradient, during the backward. */
  g: Float64Array;
  gx: Float64Array;
  c: number;
  d: number;
  i0: number;
  i1: number;
}

const EMPTY = new Float64Array(0);

/** y[i] = f(x[i]) on the job's slice; each row inlines its own copy. */
function forwardKernel(job: UnaryJob, f: Value): void {
  const { x, y, c, d, i0, i1 } = job;
  for (let i = i0; i < i1; i++) y[i] = f(x[i], c, d);
}

/** gx[i] += g[i] · f′(x[i]) on the job's slice; each row inlines its own copy. */
function backwardKernel(job: UnaryJob, df: Derivative): void {
  const { x, y, g, gx, c, d, i0, i1 } = job;
  for (let i = i0; i < i1; i++) gx[i] += g[i] * df(x[i], y[i], c, d);
}

/** Runs `job` with a row's function `half` and its kernel over all elements, {@link SLICE} per call. */
function runSlices<K>(half: (k: K, job: UnaryJob) => void, k: K, job: UnaryJob): void {
  for (let i = 0; i < job.y.length; i += SLICE) {
    job.i0 = i;
    job.i1 = Math.min(job.y.length, i + SLICE);
    half(k, job);
  }
}

/** The op `name` of {@link ROWS} on `x`: forward now, and a backward that runs the same row on the gradients. */
function unary(op: keyof typeof ROWS, x: Tensor, c = 0, d = 0): Tensor {
  const row: UnaryRow = ROWS[op];
  const job: UnaryJob = { x: x.data, y: new Float64Array(x.size), g: EMPTY, gx: EMPTY, c, d, i0: 0, i1: 0 };
  const forward = (): void => runSlices(row.f, forwardKernel, job);
  forward();
  return record(op, job.y, x.shape, [x], (out) => {
    job.g = outGrad(out);
    job.gx = x.gradData();
    runSlices(row.df, backwardKernel, job);
    job.g = job.gx = EMPTY;
  }, forward);
}

/** The op `op` as a function of a tensor. */
function unaryOp(op: keyof typeof ROWS): (x: Tensor) => Tensor {
  return (x) => unary(op, x);
}

/** `−x`. d/dx = −1. */
export const neg = unaryOp('neg');

/** `eˣ`. Since d(eˣ)/dx = eˣ, the backward reuses the output. */
export const exp = unaryOp('exp');

/** Natural log. d/dx = 1/x. */
export const log = unaryOp('log');

/** `log(1 + x)`, accurate for small |x|. d/dx = 1/(1 + x). */
export const log1p = unaryOp('log1p');

/** `eˣ − 1`, accurate for small |x|. d/dx = eˣ, computed directly (y + 1 cancels digits for x ≪ 0). */
export const expm1 = unaryOp('expm1');

/** `√x`. d/dx = 1/(2√x). */
export const sqrt = unaryOp('sqrt');

/** `x²`. d/dx = 2x. */
export const square = unaryOp('square');

/**
 * `xᵖ` for a fixed number `p`. d/dx = p·xᵖ⁻¹.
 * @throws TypeError when `p` is not a finite number
 */
export function pow(x: Tensor, p: number): Tensor {
  assert(typeof p === 'number' && Number.isFinite(p), () => `pow: exponent 'p' must be a finite number, got ${String(p)}`, TypeError);
  if (p === 2) return square(x);
  return unary('pow', x, p);
}

/** `|x|`. The derivative is sign(x), taken as 0 at 0 (as TF and PyTorch do). */
export const abs = unaryOp('abs');

/** Hyperbolic tangent. d/dx = 1 − y². */
export const tanh = unaryOp('tanh');

/** Logistic sigmoid `1/(1 + e⁻ˣ)`, stable for any x. d/dx = y(1 − y). */
export const sigmoid = unaryOp('sigmoid');

/** `max(x, 0)`. The derivative is taken as 0 at 0 (as TF and PyTorch do). */
export const relu = unaryOp('relu');

/** ELU with α = 1 (Keras's default): `x` for x > 0, `eˣ − 1` otherwise. d/dx = 1 or eˣ (not y + 1, which cancels for x ≪ 0). */
export const elu = unaryOp('elu');

/** `log(1 + eˣ)`, stable for large |x|. d/dx = sigmoid(x). */
export const softplus = unaryOp('softplus');

/**
 * Clamps to `[lo, hi]`. The gradient passes where `lo ≤ x ≤ hi` and is 0 outside (as TF's clip_by_value).
 * @throws RangeError when `lo > hi` or either is NaN
 */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  assert(lo <= hi, () => `clip: 'lo' (${lo}) must be ≤ 'hi' (${hi})`, RangeError);
  return unary('clip', x, lo, hi);
}
