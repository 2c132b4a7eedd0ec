// The soft clamp of a MAF layer's log-scale: a smooth map of ℝ onto (min, max) that is the identity near 0 and never has a zero gradient.
import { outGrad, record, type Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { describe } from '../../lib/util/validate.js';

/**
 * Bounds of the soft clamp: the clamped log-scale lies in the open interval (min, max), so the
 * scale exp(logScale) in (e^min, e^max). `min < 0 < max`, so that scale 1 (the identity) is reachable.
 */
export interface LogScaleClamp {
  /** Lower bound of the log-scale, a finite number < 0. */
  min: number;
  /** Upper bound of the log-scale, a finite number > 0. */
  max: number;
}

/**
 * The clamp option as users give it: a bound `B` (meaning `{ min: −B, max: B }`) or `{ min, max }`.
 * `undefined` and `null` mean no clamp.
 *
 * @returns the bounds, or `null` for no clamp
 * @throws TypeError for a value of the wrong kind or unknown keys; RangeError unless min < 0 < max, both finite
 */
export function checkLogScaleClamp(value: unknown, where: string, name = 'logScaleClamp'): LogScaleClamp | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    assert(Number.isFinite(value) && value > 0, () => `${where}: '${name}' must be a finite number > 0 (the bound B of (−B, B)) or { min, max }, got ${value}`, RangeError);
    return { min: -value, max: value };
  }
  assert(typeof value === 'object' && !Array.isArray(value), () => `${where}: '${name}' must be a number B or an object { min, max }, got ${describe(value)}`, TypeError);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    assert(key === 'min' || key === 'max', () => `${where}: '${name}' has an unknown key '${key}'; expected { min, max }`, TypeError);
  }
  const { min, max } = o;
  assert(typeof min === 'number' && typeof max === 'number', () => `${where}: '${name}.min' and '${name}.max' must be numbers, got ${describe(min)} and ${describe(max)}`, TypeError);
  assert(Number.isFinite(min) && Number.isFinite(max) && min < 0 && max > 0,
    () => `${where}: '${name}' must have finite min < 0 < max (log-scale 0, scale 1, must stay reachable), got { min: ${min}, max: ${max} }`, RangeError);
  return { min, max };
}

/**
 * The soft clamp of one value, zuko's soft clip `v / (1 + |v / B|)` with the bound taken on the
 * side of the value's sign:
 *
 *   s(v) = v / (1 + v/max)  for v ≥ 0,     s(v) = v / (1 + v/min)  for v < 0
 *
 * s(0) = 0, s'(0) = 1 (the identity near 0, so a freshly initialised flow is unchanged), s is
 * increasing with s(±∞) = max / min, and s'(v) = (1 + v/B)⁻² decays like 1/v², never to 0 (a
 * tanh decays like e^(−2|v|) and stalls training once a log-scale wanders out). ±∞ map to the
 * bounds; NaN stays NaN.
 */
export function softClampValue(v: number, min: number, max: number): number {
  if (v >= 0) return v === Infinity ? max : v / (1 + v / max);
  return v === -Infinity ? min : v / (1 + v / min);
}

/** s'(v) = (1 + v/B)⁻², B the bound on v's side; 0 at ±∞. */
export function softClampDerivative(v: number, min: number, max: number): number {
  const r = 1 + v / (v >= 0 ? max : min);
  return r === Infinity ? 0 : 1 / (r * r);
}

/**
 * The soft clamp applied elementwise to a tensor, as an autodiff op (see {@link softClampValue}).
 * Backward: `dx += dy · s'(x)`.
 *
 * @param x - raw log-scales, any shape
 * @returns the clamped log-scales, same shape, each in (min, max)
 */
export function softClamp(x: Tensor, clamp: LogScaleClamp): Tensor {
  const { min, max } = clamp;
  const n = x.size;
  const xd = x.data;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = softClampValue(xd[i], min, max);
  return record('softClamp', y, x.shape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let i = 0; i < n; i++) gx[i] += g[i] * softClampDerivative(xd[i], min, max);
  });
}
