// The affine transform families: TFP's x = u·exp(logScale) + shift, and nflows' bounded scale softplus(a) + ε.
import { mulExpValue } from '../../autodiff/ops/binary.js';
import { sigmoidValue, softplusValue } from '../../autodiff/ops/unary.js';
import { assert } from '../../lib/util/errors.js';
import { checkFiniteNumber, checkOptions, describe } from '../../lib/util/validate.js';
import { checkLogScaleClamp, softClampDerivative, softClampValue, type LogScaleClamp } from './log-scale-clamp.js';
import type { TransformFamily, TransformFamilyConfig } from './family.js';

/** Options of {@link affineFamily}. */
export interface AffineFamilyOptions {
  /**
   * Opt-in soft bound on the log-scale: a number `B` for (−B, B), or `{ min, max }` (zuko's soft
   * clip; see `flows/transforms/log-scale-clamp.ts`). Default none, as TFP.
   */
  logScaleClamp?: number | LogScaleClamp | null;
}

/**
 * TFP's affine MAF transform, P = 2, θ = [shift, r] (column 0 = shift, 1 = raw log-scale):
 *
 *   x = u · exp(logScale) + shift,     L = log ∂x/∂u = logScale,     logScale = r  (or s(r), soft-clamped)
 *   u = (x − shift) · exp(−logScale)
 *
 * `exp` is unbounded on both sides: a network that starts with large outputs starts with huge or
 * tiny scales (what makes TFP's example fail some seeds; see {@link boundedAffineFamily}).
 * The products are formed by `mulExpValue`, never as `exp(logScale)` alone, which overflows
 * first. θ = 0 is the identity.
 *
 * @param options - see {@link AffineFamilyOptions}
 * @throws RangeError or TypeError for a bad `logScaleClamp`, TypeError for an unknown option
 * @see Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057
 */
export function affineFamily(options: AffineFamilyOptions = {}): TransformFamily {
  const where = 'affineFamily';
  checkOptions(options, ['logScaleClamp'], where);
  const clamp = checkLogScaleClamp(options.logScaleClamp, where);
  // The clamp's bounds as numbers, so the per-element functions read no object.
  const lo = clamp === null ? 0 : clamp.min;
  const hi = clamp === null ? 0 : clamp.max;
  const logScaleOf = clamp === null ? (r: number): number => r : (r: number): number => softClampValue(r, lo, hi);
  return {
    name: 'affine',
    className: 'affine',
    params: 2,
    forward(u, theta, o, out) {
      const logScale = logScaleOf(theta[o + 1]);
      out[0] = mulExpValue(u, logScale) + theta[o];
      out[1] = logScale;
    },
    inverse(x, theta, o, out) {
      const logScale = logScaleOf(theta[o + 1]);
      // (x − shift) · e^(−logScale) without forming e^(−logScale) alone, which overflows first in the tails.
      out[0] = mulExpValue(x - theta[o], -logScale);
      out[1] = logScale;
    },
    forwardGrad(u, theta, o, gx, gl, gTheta, go) {
      const r = theta[o + 1];
      const logScale = logScaleOf(r);
      const scale = Math.exp(logScale);
      // ∂x/∂shift = 1, ∂x/∂logScale = u·e^logScale, ∂L/∂logScale = 1; then the clamp's s'(r).
      gTheta[go] += gx;
      const gLogScale = gx * (u === 0 ? 0 : mulExpValue(u, logScale)) + gl;
      gTheta[go + 1] += clamp === null ? gLogScale : gLogScale * softClampDerivative(r, lo, hi);
      return gx * scale;
    },
    getConfig(): TransformFamilyConfig {
      return { name: 'affine', logScaleClamp: clamp === null ? null : { min: clamp.min, max: clamp.max } };
    },
  };
}

/** Options of {@link boundedAffineFamily}. */
export interface BoundedAffineFamilyOptions {
  /** The scale's floor ε > 0; default 1e-3, as nflows. */
  epsilon?: number;
}

/**
 * The affine transform with nflows' bounded scale, P = 2, θ = [shift, a]:
 *
 *   scale = softplus(a + c) + ε,   c = log(e^(1−ε) − 1)  (so a = 0 gives scale 1: the identity)
 *   x = u · scale + shift,         L = log scale,          u = (x − shift) / scale
 *
 * The scale never falls below ε and grows only linearly in `a` (against exponentially for TFP's
 * `exp`), so a network whose outputs start large still starts with moderate scales, and a
 * log-scale can never overflow: the parameterisation behind nflows' MAF never failing a seed.
 * nflows writes `softplus(a) + ε`; the shift `c` only moves where a = 0 lands, to the identity.
 *
 * @param options - see {@link BoundedAffineFamilyOptions}
 * @throws RangeError for ε not a finite number in (0, 1); TypeError for an unknown option
 * @see Durkan et al. 2019 (nflows), https://github.com/bayesiains/nflows
 */
export function boundedAffineFamily(options: BoundedAffineFamilyOptions = {}): TransformFamily {
  const where = 'boundedAffineFamily';
  checkOptions(options, ['epsilon'], where);
  const epsilon = checkFiniteNumber(options.epsilon, 'epsilon', where, { gt: 0, lt: 1 }, 1e-3);
  const c = Math.log(Math.expm1(1 - epsilon));
  assert(Number.isFinite(c), () => `${where}: 'epsilon' ${describe(epsilon)} leaves no room for scale 1`, RangeError);
  return {
    name: 'boundedAffine',
    className: 'boundedAffine',
    params: 2,
    forward(u, theta, o, out) {
      const scale = softplusValue(theta[o + 1] + c) + epsilon;
      out[0] = u * scale + theta[o];
      out[1] = Math.log(scale);
    },
    inverse(x, theta, o, out) {
      const scale = softplusValue(theta[o + 1] + c) + epsilon;
      out[0] = (x - theta[o]) / scale;
      out[1] = Math.log(scale);
    },
    forwardGrad(u, theta, o, gx, gl, gTheta, go) {
      const a = theta[o + 1] + c;
      const scale = softplusValue(a) + epsilon;
      // ∂scale/∂a = sigmoid(a + c); ∂x/∂scale = u, ∂L/∂scale = 1/scale.
      gTheta[go] += gx;
      gTheta[go + 1] += (gx * u + gl / scale) * sigmoidValue(a);
      return gx * scale;
    },
    getConfig(): TransformFamilyConfig {
      return { name: 'boundedAffine', epsilon };
    },
  };
}
