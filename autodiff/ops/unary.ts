// Elementwise unary ops: each forward beside its derivative.
import { assert } from '../../lib/util/errors.js';
import { outGrad, record, type Tensor } from '../tensor.js';

/**
 * The shared shape of every unary op: `y = f(x)` elementwise, and
 * `dx += dy · f'(x)`, where the derivative may reuse the output `y`.
 */
function unary(op: string, x: Tensor, f: (v: number) => number, df: (v: number, y: number) => number): Tensor {
  const n = x.size;
  const xd = x.data;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = f(xd[i]);
  return record(op, y, x.shape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let i = 0; i < n; i++) gx[i] += g[i] * df(xd[i], y[i]);
  });
}

/** `−x`. */
export function neg(x: Tensor): Tensor {
  return unary('neg', x, (v) => -v, () => -1);
}

/** `eˣ`. Since d(eˣ)/dx = eˣ, the backward reuses the output. */
export function exp(x: Tensor): Tensor {
  return unary('exp', x, Math.exp, (_v, y) => y);
}

/** Natural log. d/dx = 1/x. */
export function log(x: Tensor): Tensor {
  return unary('log', x, Math.log, (v) => 1 / v);
}

/** `log(1 + x)`, accurate for small |x|. d/dx = 1/(1 + x). */
export function log1p(x: Tensor): Tensor {
  return unary('log1p', x, Math.log1p, (v) => 1 / (1 + v));
}

/** `eˣ − 1`, accurate for small |x|. d/dx = eˣ, computed directly (y + 1 cancels digits for x ≪ 0). */
export function expm1(x: Tensor): Tensor {
  return unary('expm1', x, Math.expm1, (v) => Math.exp(v));
}

/** `√x`. d/dx = 1/(2√x). */
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x, Math.sqrt, (_v, y) => 0.5 / y);
}

/** `x²`. d/dx = 2x. */
export function square(x: Tensor): Tensor {
  return unary('square', x, (v) => v * v, (v) => 2 * v);
}

/**
 * `xᵖ` for a fixed number `p`. d/dx = p·xᵖ⁻¹.
 * @throws TypeError when `p` is not a finite number
 */
export function pow(x: Tensor, p: number): Tensor {
  assert(typeof p === 'number' && Number.isFinite(p), () => `pow: exponent 'p' must be a finite number, got ${String(p)}`, TypeError);
  if (p === 2) return square(x);
  // p = 0: the derivative is 0 everywhere; p·x^(p−1) would give 0·∞ = NaN at x = 0.
  return unary('pow', x, (v) => Math.pow(v, p), (v) => (p === 0 ? 0 : p * Math.pow(v, p - 1)));
}

/** `|x|`. The derivative is sign(x), taken as 0 at 0 (as TF and PyTorch do). */
export function abs(x: Tensor): Tensor {
  return unary('abs', x, Math.abs, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0));
}

/** Hyperbolic tangent. d/dx = 1 − y². */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x, Math.tanh, (_v, y) => 1 - y * y);
}

// 1/(1 + e^−x) overflows e^−x for x < −709 but still rounds to 0 correctly; the branch
// keeps the intermediate in (0, 1] on both sides so no Infinity is ever formed.
function sigmoidValue(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** Logistic sigmoid `1/(1 + e⁻ˣ)`, stable for any x. d/dx = y(1 − y). */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x, sigmoidValue, (_v, y) => y * (1 - y));
}

/** `max(x, 0)`. The derivative is taken as 0 at 0 (as TF and PyTorch do). */
export function relu(x: Tensor): Tensor {
  return unary('relu', x, (v) => (v > 0 ? v : 0), (v) => (v > 0 ? 1 : 0));
}

/** ELU with α = 1 (Keras's default): `x` for x > 0, `eˣ − 1` otherwise. d/dx = 1 or eˣ (not y + 1, which cancels for x ≪ 0). */
export function elu(x: Tensor): Tensor {
  return unary('elu', x, (v) => (v > 0 ? v : Math.expm1(v)), (v) => (v > 0 ? 1 : Math.exp(v)));
}

// log(1 + eˣ) overflows past x ≈ 709; max(x, 0) + log1p(e^−|x|) does not, and is exact for large |x|.
function softplusValue(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

/** `log(1 + eˣ)`, stable for large |x|. d/dx = sigmoid(x). */
export function softplus(x: Tensor): Tensor {
  return unary('softplus', x, softplusValue, (v) => sigmoidValue(v));
}

/**
 * Clamps to `[lo, hi]`. The gradient passes where `lo ≤ x ≤ hi` and is 0 outside (as TF's clip_by_value).
 * @throws RangeError when `lo > hi` or either is NaN
 */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  assert(lo <= hi, () => `clip: 'lo' (${lo}) must be ≤ 'hi' (${hi})`, RangeError);
  return unary('clip', x, (v) => (v < lo ? lo : v > hi ? hi : v), (v) => (v >= lo && v <= hi ? 1 : 0));
}
