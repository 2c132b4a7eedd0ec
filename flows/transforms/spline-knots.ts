// The rational-quadratic spline read straight from its knots (TFP's RationalQuadraticSpline's parameters), as a transform family.
import { assert } from '../../lib/util/errors.js';
import type { TransformFamily, TransformFamilyConfig } from './family.js';
import { rqForward, rqForwardGrad, rqInverse, RQScratch } from './rational-quadratic.js';

/**
 * The rational-quadratic spline of K bins with its parameters taken as they are, P = 3K:
 *
 *   θ = [w_0 … w_{K−1},  h_0 … h_{K−1},  d_1 … d_{K−1},  rangeMin]
 *
 * bin widths and heights (positive), the interior knot slopes (positive; d_0 = d_K = 1) and the
 * first knot. This is what TFP's `RationalQuadraticSpline` holds, so that bijector runs on
 * `applyTransform` like every MAF layer, and its inverse's gradients come from the one implicit
 * function theorem there. θ = 0 is NOT the identity here (zero widths are no spline): a network
 * should drive `splineFamily`, whose reading makes any θ valid. Nothing is checked per call; the
 * bijector checks its parameters once.
 *
 * The gradient of the first knot follows from f(v) = r + F(v − r): ∂f/∂r = 1 − f'(v), so for
 * g = gx·x + gl·L, ∂g/∂r = gx − ∂g/∂u.
 *
 * @param bins - K, an integer ≥ 1
 * @returns the family, `name: 'splineKnots'`, `params: 3K`
 * @throws RangeError when `bins` is not an integer ≥ 1
 * @see Durkan et al. 2019, Neural Spline Flows, https://arxiv.org/abs/1906.04087
 */
export function splineKnotsFamily(bins: number): TransformFamily {
  assert(Number.isInteger(bins) && bins >= 1, () => `splineKnotsFamily: 'bins' must be an integer ≥ 1, got ${bins}`, RangeError);
  const K = bins;
  const scratch = new RQScratch();
  // Points the scratch spline at θ = theta[o …]: widths and heights in place, the slopes copied
  // between the two boundary ones (which θ does not hold).
  const read = (theta: Float64Array, o: number): void => {
    const sp = scratch.ensure(K);
    sp.bins = K;
    sp.rangeMin = theta[o + 3 * K - 1];
    sp.widths = theta;
    sp.widthsAt = o;
    sp.heights = theta;
    sp.heightsAt = o + K;
    const slopes = scratch.slopes;
    slopes[0] = 1;
    for (let k = 1; k < K; k++) slopes[k] = theta[o + 2 * K + k - 1];
    slopes[K] = 1;
    sp.slopes = slopes;
    sp.slopesAt = 0;
  };
  return {
    name: 'splineKnots',
    className: 'splineKnots',
    params: 3 * K,
    forward(u, theta, o, out) {
      read(theta, o);
      rqForward(u, scratch.spline, out);
    },
    inverse(x, theta, o, out) {
      read(theta, o);
      rqInverse(x, scratch.spline, out);
    },
    forwardGrad(u, theta, o, gx, gl, gTheta, go) {
      read(theta, o);
      const grad = scratch.clearGrad(K);
      // Widths and heights add straight into θ's gradient; the slopes go through the scratch, whose
      // boundary entries (constants) are dropped.
      grad.widths = gTheta;
      grad.widthsAt = go;
      grad.heights = gTheta;
      grad.heightsAt = go + K;
      const gu = rqForwardGrad(u, scratch.spline, gx, gl, grad);
      for (let k = 1; k < K; k++) gTheta[go + 2 * K + k - 1] += grad.slopes[k];
      gTheta[go + 3 * K - 1] += gx - gu;
      return gu;
    },
    getConfig(): TransformFamilyConfig {
      return { name: 'splineKnots', bins: K };
    },
  };
}
