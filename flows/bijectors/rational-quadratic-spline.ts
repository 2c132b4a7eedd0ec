// RationalQuadraticSpline: TFP's elementwise monotone spline bijector (Durkan et al. 2019), with trainable knots.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { broadcastTo, concat, reshape } from '../../autodiff/ops/shape.js';
import { noGrad, tensor, type NestedArray, type Tensor } from '../../autodiff/tensor.js';
import { assert, ValueError } from '../../lib/util/errors.js';
import { fmt, sameShape, type Shape } from '../../lib/util/shape.js';
import { checkBoolean, checkOptions } from '../../lib/util/validate.js';
import type { TransformFamily } from '../transforms/family.js';
import { splineKnotsFamily } from '../transforms/spline-knots.js';
import { applyTransform } from '../transforms/transform-op.js';
import { Bijector, checkName, isTrainableLeaf, type BijectorConfig, type ForwardResult, type InverseResult, type ParamLike } from './bijector.js';
import { checkEntries } from '../../autodiff/checks.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** Options of {@link RationalQuadraticSpline}, TFP's arguments in camelCase. */
export interface RationalQuadraticSplineOptions {
  /** Bin widths w_k > 0, shape `[..., K]`: the knots' x positions are `rangeMin + cumsum(binWidths)`. */
  binWidths: ParamLike;
  /** Bin heights h_k > 0, shape `[..., K]` (innermost axis broadcasting with `binWidths`'); same sum as `binWidths`. */
  binHeights: ParamLike;
  /**
   * Slopes d_k > 0 at the K − 1 interior knots, shape `[..., K − 1]`, `[..., 1]` or a scalar
   * (broadcast). The two boundary knots have slope 1, implicitly, so the spline joins the
   * identity tails smoothly.
   */
  knotSlopes: ParamLike;
  /** The first knot, in x and in y: a number or a tensor broadcasting with the batch shape. Default −1, as TFP. */
  rangeMin?: ParamLike;
  /** Also check that `Σ binWidths = Σ binHeights` along the bins (to 1e-12, relative), as TFP does with `validate_args`. Default false. */
  validateArgs?: boolean;
  /** Default `'RationalQuadraticSpline'`, as TFP. */
  name?: string;
}

const WHERE = 'RationalQuadraticSpline';
const OPTION_NAMES = ['binWidths', 'binHeights', 'knotSlopes', 'rangeMin', 'validateArgs', 'name'];

// ---- scratch for the element loops ---------------------------------------------------------------

/**
 * TFP's rational-quadratic spline bijector: an elementwise (`forwardMinEventNdims` 0), monotone
 * increasing, piecewise rational-quadratic map with K bins, the identity outside its range.
 * Knots: x_0 = y_0 = rangeMin, x_{k+1} = x_k + w_k, y_{k+1} = y_k + h_k, slopes d_0 = d_K = 1 and
 * the given d_1 … d_{K−1}. In bin k, with ξ = (x − x_k)/w_k, s_k = h_k/w_k and t = ξ(1 − ξ):
 *
 *   forward:  y = y_k + h_k (s_k ξ² + d_k t) / (s_k + (d_k + d_{k+1} − 2 s_k) t)
 *   log|det ∂y/∂x| = 2 log s_k + log(d_{k+1} ξ² + 2 s_k t + d_k (1 − ξ)²) − 2 log(s_k + (d_k + d_{k+1} − 2 s_k) t)
 *   inverse:  the root in [0, 1] of a quadratic in ξ (see `flows/transforms/rational-quadratic.ts`)
 *
 * and y = x, log-det 0 for x ≤ x_0 or x ≥ x_K (in the inverse: y ≤ y_0 or y ≥ y_K).
 *
 * Shapes follow TFP: the innermost axis of each parameter indexes bins or knots, the others are
 * batch axes that broadcast against each other and against the input, so `binWidths` `[K]` puts the
 * same spline on every element and `[3, K]` a different one on each of x's last 3 entries. The
 * output has the broadcast shape. Parameters given as tensors with `requiresGrad` train: forward,
 * inverse and both log-dets are differentiable in them (the inverse by the implicit function theorem,
 * in `applyTransform`, as for every MAF layer).
 *
 * Like TFP, the bijector is only continuous when `Σ binWidths = Σ binHeights` (so that x_K = y_K);
 * that is checked with `validateArgs` only. Unlike TFP, non-finite or non-positive parameters are
 * always an error (maflow checks parameters at construction; see docs/errors.md).
 *
 * @see Durkan et al. 2019, Neural Spline Flows, https://arxiv.org/abs/1906.04087
 * @see {@link splineFamily}, the same spline driven by a MADE, and {@link maflow/transforms!splineParametersOf}
 * @example
 * // Two bins on [−1, 1]: the first squeezes [−1, 0] into [−1, −0.5], the second stretches.
 * const rqs = new RationalQuadraticSpline({ binWidths: [1, 1], binHeights: [0.5, 1.5], knotSlopes: [1] });
 * rqs.forward(tensor([-2, -1, 0, 1, 3])); // [-2, -1, -0.5, 1, 3]
 * rqs.inverse(tensor([-0.5])); // [0]
 */
export class RationalQuadraticSpline extends Bijector {
  /** w, shape `[..., K]`. */
  readonly binWidths: Tensor;
  /** h, shape `[..., K]`. */
  readonly binHeights: Tensor;
  /** The interior slopes d_1 … d_{K−1}, shape `[..., K − 1]`, `[..., 1]` or `[]`. */
  readonly knotSlopes: Tensor;
  /** The first knot, a scalar tensor or one broadcasting with the batch shape. */
  readonly rangeMin: Tensor;
  /** Whether `Σ binWidths = Σ binHeights` was checked. */
  readonly validateArgs: boolean;
  /** K, the number of bins. */
  readonly bins: number;
  /** The parameters' batch shape: all their shapes without the bins axis, broadcast (rangeMin's whole). */
  readonly batchShape: readonly number[];
  /** The knots family of K bins, which the bijector applies through `applyTransform`. */
  private readonly family: TransformFamily;

  /**
   * @param options - `binWidths`, `binHeights`, `knotSlopes` (required), `rangeMin` (default −1),
   *   `validateArgs` (default false), `name`
   * @throws TypeError for an unknown option or a value of the wrong kind; ValueError for shapes that
   *   do not fit (naming the argument, the shapes, and what was expected); RangeError for a
   *   non-finite parameter, a non-positive width, height or slope, or (with `validateArgs`) widths
   *   and heights with different sums
   */
  constructor(options: RationalQuadraticSplineOptions) {
    const o = checkOptions(options, OPTION_NAMES, WHERE);
    assert(options !== undefined, () => `${WHERE}: 'options' { binWidths, binHeights, knotSlopes } are required`, TypeError);
    super({ className: WHERE, name: checkName(o.name ?? 'RationalQuadraticSpline', WHERE), forwardMinEventNdims: 0 });
    for (const key of ['binWidths', 'binHeights', 'knotSlopes']) {
      assert(o[key] !== undefined, () => `${WHERE}: '${key}' is required`, TypeError);
    }
    const widths = toTensor(o.binWidths, 'binWidths', WHERE);
    const heights = toTensor(o.binHeights, 'binHeights', WHERE);
    const slopes = toTensor(o.knotSlopes, 'knotSlopes', WHERE);
    const rangeMin = toTensor(o.rangeMin ?? -1, 'rangeMin', WHERE);
    this.validateArgs = checkBoolean(o.validateArgs, 'validateArgs', WHERE, false);

    // Shapes, as TFP: widths and heights at least 1-D, their innermost (bins) axes broadcasting;
    // slopes K − 1 (or 1, or a scalar); every batch axis broadcasting.
    for (const [arg, t] of [['binWidths', widths], ['binHeights', heights]] as const) {
      assert(t.rank >= 1, () => `${WHERE}: '${arg}' has shape ${fmt(t.shape)}, expected [..., K] (at least 1-D: the innermost axis indexes the bins)`);
    }
    const kw = widths.shape[widths.rank - 1];
    const kh = heights.shape[heights.rank - 1];
    assert(kw === kh || kw === 1 || kh === 1, () => `${WHERE}: 'binWidths' of shape ${fmt(widths.shape)} and 'binHeights' of shape ` +
      `${fmt(heights.shape)} have different numbers of bins (innermost axes ${kw} and ${kh}), expected equal ones (or 1, which broadcasts)`);
    const K = Math.max(kw, kh);
    assert(K >= 1, () => `${WHERE}: 'binWidths' of shape ${fmt(widths.shape)} has no bins, expected at least 1`);
    if (slopes.rank > 0) {
      const ks = slopes.shape[slopes.rank - 1];
      assert(ks === K - 1 || ks === 1, () => `${WHERE}: 'knotSlopes' has shape ${fmt(slopes.shape)}, expected [..., ${K - 1}] ` +
        `(the K − 1 interior knots of K = ${K} bins; the two boundary slopes are 1) or [..., 1]`);
    }
    const batchOf = (t: Tensor): Shape => t.shape.slice(0, -1);
    let batch: number[];
    try {
      batch = broadcastShapes(WHERE, batchOf(widths), batchOf(heights), slopes.rank > 0 ? batchOf(slopes) : [], rangeMin.shape);
    } catch {
      throw new ValueError(`${WHERE}: the parameters' batch shapes do not broadcast: 'binWidths' ${fmt(widths.shape)}, ` +
        `'binHeights' ${fmt(heights.shape)}, 'knotSlopes' ${fmt(slopes.shape)} (each without its innermost axis) and 'rangeMin' ${fmt(rangeMin.shape)}`);
    }

    checkEntries(widths, 'binWidths', WHERE, (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    checkEntries(heights, 'binHeights', WHERE, (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    checkEntries(slopes, 'knotSlopes', WHERE, (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    checkEntries(rangeMin, 'rangeMin', WHERE, Number.isFinite, 'finite');
    if (this.validateArgs) checkSums(widths, heights, batch, K);

    this.binWidths = widths;
    this.binHeights = heights;
    this.knotSlopes = slopes;
    this.rangeMin = rangeMin;
    this.bins = K;
    this.batchShape = Object.freeze(batch);
    this.family = splineKnotsFamily(K);
  }

  override get trainableWeights(): Tensor[] {
    return [this.binWidths, this.binHeights, this.knotSlopes, this.rangeMin].filter(isTrainableLeaf);
  }

  // The input must broadcast with the parameters' batch shape; the output then has the joint shape.
  protected override checkEvent(t: Tensor, where: string, arg: string): void {
    this.jointShape(t, where, arg);
  }

  protected _forward(x: Tensor): Tensor {
    return this.forwardOp(x).y;
  }

  protected _inverse(y: Tensor): Tensor {
    return this.inverseOp(y).x;
  }

  protected override _forwardLogDet(x: Tensor): Tensor {
    return this.forwardOp(x).logDet;
  }

  protected override _inverseLogDet(y: Tensor): Tensor {
    return this.inverseOp(y).logDet;
  }

  protected override _forwardAndLogDet(x: Tensor): ForwardResult {
    return this.forwardOp(x);
  }

  protected override _inverseAndLogDet(y: Tensor): InverseResult {
    return this.inverseOp(y);
  }

  /** `[...batch]`: the input's shape broadcast with the parameters' batch shape. */
  private jointShape(t: Tensor, where: string, arg: string): number[] {
    try {
      return broadcastShapes(where, t.shape, this.batchShape);
    } catch {
      throw new ValueError(`${where}: '${arg}' of shape ${fmt(t.shape)} does not broadcast with the parameters' batch shape ` +
        `${fmt(this.batchShape)} ('binWidths' ${fmt(this.binWidths.shape)}, 'knotSlopes' ${fmt(this.knotSlopes.shape)}, 'rangeMin' ${fmt(this.rangeMin.shape)})`);
    }
  }

  /**
   * The spline on every element of `v`, in one direction, through `applyTransform` with the
   * knots family (θ = the element's widths, heights, interior slopes and first knot, P = 3K): the
   * same op, and the same inverse gradients by the implicit function theorem, as every MAF layer.
   * The input and the parameters are broadcast to one shape with the `broadcastTo` op first, so the
   * gradients of broadcast parameters are summed over the broadcast axes by that op's backward.
   * Each element is an event of size 1, so the op's log-det is the element's own.
   */
  private apply(direction: 'forward' | 'inverse', v: Tensor, where: string, arg: string): { value: Tensor; logDet: Tensor } {
    const shape = this.jointShape(v, where, arg);
    const K = this.bins;
    const parts = [
      broadcastTo(this.binWidths, [...shape, K]),
      broadcastTo(this.binHeights, [...shape, K]),
      ...(K > 1 ? [broadcastTo(this.knotSlopes, [...shape, K - 1])] : []),
      reshape(broadcastTo(this.rangeMin, shape), [...shape, 1]),
    ];
    const theta = reshape(concat(parts, -1), [...shape, 1, 3 * K]);
    const z = reshape(sameShape(v.shape, shape) ? v : broadcastTo(v, shape), [...shape, 1]);
    const r = applyTransform(this.family, direction, z, theta);
    return { value: reshape(r.value, shape), logDet: r.logDet };
  }

  /** y = f(x) and log f'(x), elementwise. */
  private forwardOp(x: Tensor): ForwardResult {
    const { value, logDet } = this.apply('forward', x, `${WHERE}.forward`, 'x');
    return { y: value, logDet };
  }

  /** x = f⁻¹(y) and −log f'(x), elementwise. */
  private inverseOp(y: Tensor): InverseResult {
    const { value, logDet } = this.apply('inverse', y, `${WHERE}.inverse`, 'y');
    return { x: value, logDet };
  }

  /** `{ className, name, binWidths, binHeights, knotSlopes, rangeMin, validateArgs }`, values as nested arrays. */
  override getConfig(): BijectorConfig {
    return {
      ...super.getConfig(),
      binWidths: this.binWidths.toArray(),
      binHeights: this.binHeights.toArray(),
      knotSlopes: this.knotSlopes.toArray(),
      rangeMin: this.rangeMin.toArray(),
      validateArgs: this.validateArgs,
    };
  }

  /** Rebuilds a RationalQuadraticSpline from {@link RationalQuadraticSpline.getConfig}'s output. */
  static fromConfig(config: BijectorConfig): RationalQuadraticSpline {
    return new RationalQuadraticSpline({
      binWidths: tensor(config.binWidths as NestedArray),
      binHeights: tensor(config.binHeights as NestedArray),
      knotSlopes: tensor(config.knotSlopes as NestedArray),
      rangeMin: tensor(config.rangeMin as NestedArray),
      validateArgs: config.validateArgs as boolean,
      name: config.name,
    });
  }
}

/** With `validateArgs`: Σ_k w_k = Σ_k h_k for every batch element, to 1e-12 relative (TFP: `assert_near`). */
function checkSums(widths: Tensor, heights: Tensor, batch: readonly number[], K: number): void {
  noGrad(() => {
    const w = broadcastTo(widths, [...batch, K]).data;
    const h = broadcastTo(heights, [...batch, K]).data;
    for (let i = 0; i < w.length / K; i++) {
      let sw = 0;
      let sh = 0;
      for (let k = 0; k < K; k++) {
        sw += w[i * K + k];
        sh += h[i * K + k];
      }
      if (!(Math.abs(sw - sh) <= 1e-12 * (1 + Math.abs(sw)))) {
        throw new RangeError(`${WHERE}: 'binWidths' and 'binHeights' must have the same sum along the bins (so that the spline maps ` +
          `[rangeMin, rangeMin + Σ w] onto itself), got Σ w = ${sw} and Σ h = ${sh} at batch element ${i} (validateArgs)`);
      }
    }
  });
}

