// Elementwise unary ops: each forward beside its derivative.
import { assert } from '../../lib/util/errors.js';
import { outGrad, record, type Tensor } from '../tensor.js';

/**
 * The shared shape of every unary op: `forward(x, y)` fills `y = f(x)` elementwise and
 * `backward(x, y, g, gx)` adds `gx += g · f'(x)`, where the derivative may reuse the output `y`.
 * Each op passes its own two loops, so nothing is called per element. A derivative of ±1 is written
 * `+= g` / `-= g`: g·1 and g·(−1) are exact, so the bits are those of `g · f'(x)`.
 */
function unary(
  op: string,
  x: Tensor,
  forward: (x: Float64Array, y: Float64Array) => void,
  backward: (x: Float64Array, y: Float64Array, g: Float64Array, gx: Float64Array) => void,
): Tensor {
  const y = new Float64Array(x.size);
  forward(x.data, y);
  return record(op, y, x.shape, [x], (out) => backward(x.data, y, outGrad(out), x.gradData()));
}

/** `−x`. */
export function neg(x: Tensor): Tensor {
  return unary('neg', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = -v[i]; },
    (_v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] -= g[i]; });
}

/** `eˣ`. Since d(eˣ)/dx = eˣ, the backward reuses the output. */
export function exp(x: Tensor): Tensor {
  return unary('exp', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = Math.exp(v[i]); },
    (_v, y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * y[i]; });
}

/** Natural log. d/dx = 1/x. */
export function log(x: Tensor): Tensor {
  return unary('log', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = Math.log(v[i]); },
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (1 / v[i]); });
}

/** `log(1 + x)`, accurate for small |x|. d/dx = 1/(1 + x). */
export function log1p(x: Tensor): Tensor {
  return unary('log1p', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = Math.log1p(v[i]); },
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (1 / (1 + v[i])); });
}

/** `eˣ − 1`, accurate for small |x|. d/dx = eˣ, computed directly (y + 1 cancels digits for x ≪ 0). */
export function expm1(x: Tensor): Tensor {
  return unary('expm1', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = Math.expm1(v[i]); },
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * Math.exp(v[i]); });
}

/** `√x`. d/dx = 1/(2√x). */
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = Math.sqrt(v[i]); },
    (_v, y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (0.5 / y[i]); });
}

/** `x²`. d/dx = 2x. */
export function square(x: Tensor): Tensor {
  return unary('square', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = v[i] * v[i]; },
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (2 * v[i]); });
}

/**
 * `xᵖ` for a fixed number `p`. d/dx = p·xᵖ⁻¹.
 * @throws TypeError when `p` is not a finite number
 */
export function pow(x: Tensor, p: number): Tensor {
  assert(typeof p === 'number' && Number.isFinite(p), () => `pow: exponent 'p' must be a finite number, got ${String(p)}`, TypeError);
  if (p === 2) return square(x);
  return unary('pow', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = Math.pow(v[i], p); },
    (v, _y, g, gx) => {
      // p = 0: the derivative is 0 everywhere; p·x^(p−1) would give 0·∞ = NaN at x = 0.
      if (p === 0) for (let i = 0; i < g.length; i++) gx[i] += g[i] * 0;
      else for (let i = 0; i < g.length; i++) gx[i] += g[i] * (p * Math.pow(v[i], p - 1));
    });
}

/** `|x|`. The derivative is sign(x), taken as 0 at 0 (as TF and PyTorch do). */
export function abs(x: Tensor): Tensor {
  return unary('abs', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = Math.abs(v[i]); },
    // sign(x) = [x > 0] − [x < 0]: 1, −1 or 0 (also for NaN), with no branch on the sign.
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (+(v[i] > 0) - +(v[i] < 0)); });
}

/** Hyperbolic tangent. d/dx = 1 − y². */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = Math.tanh(v[i]); },
    (_v, y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (1 - y[i] * y[i]); });
}

// 1/(1 + e^−x) overflows e^−x for x < −709 but still rounds to 0 correctly; the branch
// keeps the intermediate in (0, 1] on both sides so no Infinity is ever formed.
/** The scalar of {@link sigmoid}, for loops that skip the graph. */
export function sigmoidValue(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** Logistic sigmoid `1/(1 + e⁻ˣ)`, stable for any x. d/dx = y(1 − y). */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = sigmoidValue(v[i]); },
    (_v, y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (y[i] * (1 - y[i])); });
}

/** `max(x, 0)`. The derivative is taken as 0 at 0 (as TF and PyTorch do). */
export function relu(x: Tensor): Tensor {
  return unary('relu', x,
    (v, y) => {
      // y = v > 0 ? v : 0 without a branch on the sign, which random signs mispredict half the time
      // (3× slower): v·[v > 0] is v or ±0, + 0 turns −0 into 0, and the NaN that v = NaN or −∞
      // gives (0·∞) becomes 0, as the comparison does.
      for (let i = 0; i < y.length; i++) {
        const r = v[i] * +(v[i] > 0) + 0;
        y[i] = r === r ? r : 0;
      }
    },
    // g · [x > 0]: the comparison as a number (0 or 1), again with no branch.
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * +(v[i] > 0); });
}

/** ELU with α = 1 (Keras's default): `x` for x > 0, `eˣ − 1` otherwise. d/dx = 1 or eˣ (not y + 1, which cancels for x ≪ 0). */
export function elu(x: Tensor): Tensor {
  return unary('elu', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = v[i] > 0 ? v[i] : Math.expm1(v[i]); },
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (v[i] > 0 ? 1 : Math.exp(v[i])); });
}

// log(1 + eˣ) overflows past x ≈ 709; max(x, 0) + log1p(e^−|x|) does not, and is exact for large |x|.
/** The scalar of {@link softplus}, for loops that skip the graph. */
export function softplusValue(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

/** `log(1 + eˣ)`, stable for large |x|. d/dx = sigmoid(x). */
export function softplus(x: Tensor): Tensor {
  return unary('softplus', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = softplusValue(v[i]); },
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * sigmoidValue(v[i]); });
}

/**
 * Clamps to `[lo, hi]`. The gradient passes where `lo ≤ x ≤ hi` and is 0 outside (as TF's clip_by_value).
 * @throws RangeError when `lo > hi` or either is NaN
 */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  assert(lo <= hi, () => `clip: 'lo' (${lo}) must be ≤ 'hi' (${hi})`, RangeError);
  return unary('clip', x,
    (v, y) => { for (let i = 0; i < y.length; i++) y[i] = v[i] < lo ? lo : v[i] > hi ? hi : v[i]; },
    (v, _y, g, gx) => { for (let i = 0; i < g.length; i++) gx[i] += g[i] * (v[i] >= lo && v[i] <= hi ? 1 : 0); });
}
