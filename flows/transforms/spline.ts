// The rational-quadratic spline family: how one dimension's 3K − 1 network outputs become a monotone spline on [−B, B].
import { assert } from '../../lib/util/errors.js';
import { checkFiniteNumber, checkOptions, describe } from '../../lib/util/validate.js';
import type { TransformFamily, TransformFamilyConfig } from './family.js';
import { rqForward, rqForwardGrad, rqInverse, RQScratch } from './rational-quadratic.js';

/** Options of {@link splineFamily}; every one is optional. */
export interface SplineFamilyOptions {
  /** K, the number of bins: an integer ≥ 2. Default 8. */
  bins?: number;
  /** B: the spline lives on [−B, B] (in u and in x) and is the identity outside. Finite, > 0. Default 5. */
  bound?: number;
  /** Smallest bin width, > 0, with `bins · minBinWidth < 2B`. Default 1e-3 (nflows' value). */
  minBinWidth?: number;
  /** Smallest bin height, > 0, with `bins · minBinHeight < 2B`. Default 1e-3. */
  minBinHeight?: number;
  /** Smallest interior knot slope, in (0, 1) so that slope 1 (the identity) is reachable. Default 1e-3. */
  minSlope?: number;
}

/** A spline family: a {@link TransformFamily} that also reports its options. */
export interface SplineFamily extends TransformFamily {
  /** Always `'spline'`. */
  readonly name: 'spline';
  /** K, the number of bins. */
  readonly bins: number;
  /** B, the half-width of the spline's range [−B, B]. */
  readonly bound: number;
  /** Smallest bin width. */
  readonly minBinWidth: number;
  /** Smallest bin height. */
  readonly minBinHeight: number;
  /** Smallest interior knot slope. */
  readonly minSlope: number;
}

/**
 * One dimension's spline as TFP's {@link maflow/bijectors!RationalQuadraticSpline} takes it: what
 * {@link splineParametersOf} returns, so `new RationalQuadraticSpline(splineParametersOf(f, θ, o))`
 * is the same map as the family at θ.
 */
export interface SplineParameters {
  /** The K bin widths, positive, summing to 2B. */
  binWidths: number[];
  /** The K bin heights, positive, summing to 2B. */
  binHeights: number[];
  /** The K − 1 interior knot slopes, positive (the boundary slopes are 1). */
  knotSlopes: number[];
  /** −B, the first knot in x and in y. */
  rangeMin: number;
}

const WHERE = 'splineFamily';
const OPTION_NAMES = ['bins', 'bound', 'minBinWidth', 'minBinHeight', 'minSlope'] as const;

// ---- scratch -------------------------------------------------------------------------------------
// One dimension's spline, read from θ (widths, heights, and K + 1 slopes with the two boundary ones
// fixed at 1), and the gradients of those absolute quantities. Shared by every spline family: calls
// do not interleave (JavaScript runs one at a time), and each call reads θ afresh.
const scratch = new RQScratch();

/**
 * `out[i] = lo + span · softmax(θ[o … o + K))_i`: K sizes ≥ lo summing to K·lo + span. The
 * softmax itself (the probabilities) is what the backward needs: it is `(out[i] − lo) / span`.
 */
function softmaxSizes(theta: Float64Array, o: number, K: number, lo: number, span: number, out: Float64Array): void {
  let peak = -Infinity;
  for (let i = 0; i < K; i++) if (theta[o + i] > peak) peak = theta[o + i];
  // Shifted by the largest logit, so no e^θ overflows; a row of all −∞ or NaN still gives NaN.
  let total = 0;
  for (let i = 0; i < K; i++) total += out[i] = Math.exp(theta[o + i] - peak);
  for (let i = 0; i < K; i++) out[i] = lo + span * (out[i] / total);
}

/**
 * The softmax's backward: with p = softmax(θ̃) and sizes = lo + span·p, ∂p_i/∂θ̃_j = p_i(δ_ij − p_j), so
 * `gθ̃_j = span · p_j · (g_j − Σ_i p_i g_i)`; added into `gTheta[go + j]`.
 */
function softmaxSizesGrad(sizes: Float64Array, gSizes: Float64Array, K: number, lo: number, span: number, gTheta: Float64Array, go: number): void {
  let mean = 0;
  for (let i = 0; i < K; i++) mean += ((sizes[i] - lo) / span) * gSizes[i];
  for (let j = 0; j < K; j++) gTheta[go + j] += (sizes[j] - lo) * (gSizes[j] - mean);
}

/** Past this log-slope the exp goes on linearly (its tangent), so a slope never overflows. */
const EXP_LINEAR_FROM = 20;

/** e^v up to v = 20, then the tangent line e^20·(1 + v − 20): increasing, C¹, finite for every finite v. */
function expLinear(v: number): number {
  return v <= EXP_LINEAR_FROM ? Math.exp(v) : Math.exp(EXP_LINEAR_FROM) * (1 + v - EXP_LINEAR_FROM);
}

/** The derivative of {@link expLinear}. */
function expLinearDerivative(v: number): number {
  return Math.exp(v <= EXP_LINEAR_FROM ? v : EXP_LINEAR_FROM);
}

/** The spline family; built only by {@link splineFamily}. */
class SplineTransformFamily implements SplineFamily {
  readonly name = 'spline' as const;
  readonly className = 'spline' as const;
  readonly params: number;
  readonly bins: number;
  readonly bound: number;
  readonly minBinWidth: number;
  readonly minBinHeight: number;
  readonly minSlope: number;
  /** 2B − K·minBinWidth: how much width the softmax shares out. */
  private readonly widthSpan: number;
  /** 2B − K·minBinHeight. */
  private readonly heightSpan: number;

  constructor(bins: number, bound: number, minBinWidth: number, minBinHeight: number, minSlope: number) {
    this.bins = bins;
    this.bound = bound;
    this.minBinWidth = minBinWidth;
    this.minBinHeight = minBinHeight;
    this.minSlope = minSlope;
    this.params = 3 * bins - 1;
    this.widthSpan = 2 * bound - bins * minBinWidth;
    this.heightSpan = 2 * bound - bins * minBinHeight;
  }

  /**
   * Reads dimension θ = theta[o … o + 3K − 1) into the scratch spline. The columns:
   *   θ[0 … K)        w̃, the widths' logits:   w_k = minBinWidth + (2B − K·minBinWidth) · softmax(w̃)_k
   *   θ[K … 2K)       h̃, the heights' logits:  h_k = minBinHeight + (2B − K·minBinHeight) · softmax(h̃)_k
   *   θ[2K … 3K − 1)  s̃_1 … s̃_{K−1}:          d_k = minSlope + (1 − minSlope) · exp(s̃_k)  (continued linearly past s̃ = 20)
   * and d_0 = d_K = 1 (linear tails), rangeMin = −B. Widths and heights each sum to 2B, so the
   * spline maps [−B, B] onto itself.
   */
  private read(theta: Float64Array, o: number): void {
    const K = this.bins;
    const spline = scratch.ensure(K);
    spline.bins = K;
    spline.rangeMin = -this.bound;
    softmaxSizes(theta, o, K, this.minBinWidth, this.widthSpan, spline.widths);
    softmaxSizes(theta, o + K, K, this.minBinHeight, this.heightSpan, spline.heights);
    const slopes = spline.slopes;
    slopes[0] = 1;
    slopes[K] = 1;
    // exp keeps the slope positive and gives it a unit gradient at s̃ = 0 (softplus's is 0.63, which trains
    // measurably slower: docs/benchmarks.md); minSlope keeps it away from 0, where log f' would be −∞.
    for (let k = 1; k < K; k++) slopes[k] = this.minSlope + (1 - this.minSlope) * expLinear(theta[o + 2 * K + k - 1]);
  }

  forward(u: number, theta: Float64Array, o: number, out: Float64Array): void {
    this.read(theta, o);
    rqForward(u, scratch.spline, out);
  }

  inverse(x: number, theta: Float64Array, o: number, out: Float64Array): void {
    this.read(theta, o);
    rqInverse(x, scratch.spline, out);
  }

  forwardGrad(u: number, theta: Float64Array, o: number, gx: number, gl: number, gTheta: Float64Array, go: number): number {
    const K = this.bins;
    this.read(theta, o);
    const { widths, heights } = scratch.spline;
    const grad = scratch.clearGrad(K);
    const gu = rqForwardGrad(u, scratch.spline, gx, gl, grad);
    // Back through the reading: softmax for widths and heights, exp for the interior slopes
    // (∂d/∂s̃ = (1 − minSlope)·e^s̃); the boundary slopes are constants, so gSlopes[0] and gSlopes[K] drop.
    softmaxSizesGrad(widths, grad.widths, K, this.minBinWidth, this.widthSpan, gTheta, go);
    softmaxSizesGrad(heights, grad.heights, K, this.minBinHeight, this.heightSpan, gTheta, go + K);
    for (let k = 1; k < K; k++) {
      gTheta[go + 2 * K + k - 1] += grad.slopes[k] * (1 - this.minSlope) * expLinearDerivative(theta[o + 2 * K + k - 1]);
    }
    return gu;
  }

  getConfig(): TransformFamilyConfig {
    return {
      name: 'spline', bins: this.bins, bound: this.bound,
      minBinWidth: this.minBinWidth, minBinHeight: this.minBinHeight, minSlope: this.minSlope,
    };
  }

  /** The absolute spline of dimension θ at `theta[o …]`, as plain numbers (see {@link splineParametersOf}). */
  parametersAt(theta: Float64Array, o: number): SplineParameters {
    const K = this.bins;
    this.read(theta, o);
    const { widths, heights, slopes } = scratch.spline;
    return {
      binWidths: Array.from(widths.subarray(0, K)),
      binHeights: Array.from(heights.subarray(0, K)),
      knotSlopes: Array.from(slopes.subarray(1, K)),
      rangeMin: -this.bound,
    };
  }
}

/**
 * The rational-quadratic spline family of Durkan et al. (2019): each event dimension gets a
 * monotone spline of K bins on [−B, B], the identity with slope 1 outside, driven by P = 3K − 1
 * network outputs. In TFP's direction (base u → data x), inside bin k with ξ = (u − x_k)/w_k:
 *
 *   x = y_k + h_k (s_k ξ² + d_k ξ(1 − ξ)) / (s_k + (d_k + d_{k+1} − 2 s_k) ξ(1 − ξ)),   s_k = h_k / w_k
 *
 * θ of one dimension (P consecutive numbers; dimension d of a MADE's output `[..., E, P]`):
 *
 *   θ = [w̃_0 … w̃_{K−1},  h̃_0 … h̃_{K−1},  s̃_1 … s̃_{K−1}]
 *   widths  w_k = minBinWidth  + (2B − K·minBinWidth)  · softmax(w̃)_k        (sum 2B)
 *   heights h_k = minBinHeight + (2B − K·minBinHeight) · softmax(h̃)_k        (sum 2B)
 *   slopes  d_k = minSlope + (1 − minSlope) · exp(s̃_k),   d_0 = d_K = 1
 *   knots   x_0 = y_0 = −B,  x_{k+1} = x_k + w_k,  y_{k+1} = y_k + h_k
 *
 * Widths and heights follow TFP's documented `SplineParams` recipe for `RationalQuadraticSpline`
 * (softmax-scaled, floored at the minimum); the slopes are an exp (as zuko's) rather than TFP's
 * softplus, because they train faster: on the banana study one layer reaches 3.629 nats in 800
 * steps against 3.652 with softplus (docs/benchmarks.md). Past s̃ = 20 (a slope of 5·10⁸) the exp
 * goes on as its tangent line, so no slope overflows and no gradient vanishes. θ = 0 reads as uniform
 * bins and slope 1 everywhere: the identity, so a zero-initialised network starts the flow there.
 *
 * The inverse solves one quadratic per value (Durkan et al., Appendix A.3), so sampling and density
 * cost about the same; each call costs O(K) to read θ (two softmaxes), then O(log K) to find the bin.
 *
 * @param options - `bins` (K, default 8), `bound` (B, default 5), `minBinWidth`, `minBinHeight`,
 *   `minSlope` (default 1e-3 each)
 * @returns the family, `name: 'spline'`, `params: 3K − 1`
 * @throws TypeError for an unknown option (with a did-you-mean hint) or a value that is not a
 *   number; RangeError naming the option, the value and what was expected: `bins` not an integer
 *   ≥ 2, `bound` not finite and > 0, a minimum not in range, `bins · minBinWidth ≥ 2B`
 * @see Durkan et al. 2019, Neural Spline Flows, https://arxiv.org/abs/1906.04087
 * @example
 * const family = splineFamily({ bins: 4, bound: 3 });
 * family.params; // 11
 * const out = new Float64Array(2);
 * family.forward(0.5, new Float64Array(11), 0, out); // θ = 0: the identity
 * Array.from(out); // [0.5, 0]
 */
export function splineFamily(options: SplineFamilyOptions = {}): SplineFamily {
  const o = checkOptions(options, OPTION_NAMES, WHERE);
  const bins = o.bins ?? 8;
  assert(typeof bins === 'number', () => `${WHERE}: 'bins' must be an integer ≥ 2, got ${describe(bins)}`, TypeError);
  assert(Number.isInteger(bins) && bins >= 2, () => `${WHERE}: 'bins' must be an integer ≥ 2, got ${bins}`, RangeError);
  const bound = checkFiniteNumber(o.bound, 'bound', WHERE, { gt: 0 }, 5);
  const minBinWidth = checkFiniteNumber(o.minBinWidth, 'minBinWidth', WHERE, { gt: 0 }, 1e-3);
  const minBinHeight = checkFiniteNumber(o.minBinHeight, 'minBinHeight', WHERE, { gt: 0 }, 1e-3);
  const minSlope = checkFiniteNumber(o.minSlope, 'minSlope', WHERE, { gt: 0, lt: 1 }, 1e-3);
  for (const [name, min] of [['minBinWidth', minBinWidth], ['minBinHeight', minBinHeight]] as const) {
    assert(bins * min < 2 * bound, () => `${WHERE}: 'bins' × '${name}' must be < 2·'bound' (the K bins share [−B, B]), ` +
      `got ${bins} × ${min} = ${bins * min} ≥ ${2 * bound}`, RangeError);
  }
  return new SplineTransformFamily(bins, bound, minBinWidth, minBinHeight, minSlope);
}

/**
 * One dimension's spline of a spline family, as the numbers TFP's {@link maflow/bijectors!RationalQuadraticSpline}
 * takes: the θ reading of {@link splineFamily} applied to `theta[o … o + 3K − 1)`.
 *
 * @param family - a family made by {@link splineFamily}
 * @param theta - parameters; this dimension's θ at `theta[o …]` (a MADE's output row, flattened)
 * @param o - offset of θ in `theta` (dimension d of `[..., E, P]` starts at d·P); default 0
 * @returns `{ binWidths, binHeights, knotSlopes, rangeMin }`: K, K and K − 1 numbers, and −B
 * @throws TypeError when `family` is not a spline family or `theta` not an array of numbers;
 *   RangeError when θ does not fit in `theta` at `o`
 * @example
 * const family = splineFamily({ bins: 2, bound: 1 });
 * const p = splineParametersOf(family, [0, 0, 0, 0, 0]);
 * p.binWidths; // [1, 1]
 * p.knotSlopes; // [1]
 * new RationalQuadraticSpline(p).forward(tensor([0.25])); // [0.25]
 */
export function splineParametersOf(family: TransformFamily, theta: Float64Array | readonly number[], o = 0): SplineParameters {
  const where = 'splineParametersOf';
  assert(family instanceof SplineTransformFamily, () => `${where}: 'family' must be a family made by splineFamily(), got ${
    typeof family === 'object' && family !== null && typeof (family as { name?: unknown }).name === 'string' ? `the '${(family as { name: string }).name}' family` : describe(family)}`, TypeError);
  assert(theta instanceof Float64Array || Array.isArray(theta), () => `${where}: 'theta' must be a Float64Array or an array of numbers, got ${describe(theta)}`, TypeError);
  const P = family.params;
  assert(Number.isInteger(o) && o >= 0 && o + P <= theta.length,
    () => `${where}: θ needs ${P} numbers from offset ${describe(o)}, but 'theta' has length ${theta.length}`, RangeError);
  const th = theta instanceof Float64Array ? theta : Float64Array.from(theta);
  return family.parametersAt(th, o);
}
