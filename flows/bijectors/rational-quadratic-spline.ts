// RationalQuadraticSpline: TFP's elementwise monotone spline bijector (Durkan et al. 2019), with trainable knots.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { neg } from '../../autodiff/ops/unary.js';
import { noGrad, outGrad, record, tensor, type NestedArray, type Tensor } from '../../autodiff/tensor.js';
import { assert, ValueError } from '../../lib/util/errors.js';
import { fmt, sameShape, type Shape } from '../../lib/util/shape.js';
import { checkBoolean, checkOptions } from '../../lib/util/validate.js';
import { rqForward, rqForwardGrad, rqInverse, rqInverseGrad, type RQSpline, type RQSplineGrad } from '../transforms/rational-quadratic.js';
import {
  Bijector, checkEntries, checkName, isTrainableLeaf, toParameter,
  type BijectorConfig, type ForwardResult, type InverseResult, type ParamLike,
} from './bijector.js';

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
// One element's K + 1 knot slopes (the stored K − 1 interior ones padded with the boundary 1s) and
// the gradients of one element's widths, heights and K + 1 slopes. Grown as K grows.
let slopeRow = new Float64Array(17);
let gW = new Float64Array(16);
let gH = new Float64Array(16);
let gD = new Float64Array(17);
// The view of element i that rational-quadratic.ts reads (see `pointAt`), and where it adds element i's gradients.
const view: RQSpline = { bins: 0, rangeMin: 0, widths: gW, widthsAt: 0, heights: gH, heightsAt: 0, slopes: slopeRow, slopesAt: 0 };
const gradView: RQSplineGrad = { widths: gW, widthsAt: 0, heights: gH, heightsAt: 0, slopes: gD, slopesAt: 0 };

/** Grows the scratch to K bins. */
function ensureScratch(K: number): void {
  if (slopeRow.length >= K + 1) return;
  slopeRow = new Float64Array(2 * K + 1);
  gW = new Float64Array(2 * K);
  gH = new Float64Array(2 * K);
  gD = new Float64Array(2 * K + 1);
  gradView.widths = gW;
  gradView.heights = gH;
  gradView.slopes = gD;
}

/** The parameters broadcast to one input's shape `[...batch]`, flat: element i's bins at `i·K`. */
interface Broadcast {
  shape: Shape;
  v: Tensor; //       the input, [...batch]
  widths: Tensor; //  [...batch, K]
  heights: Tensor; // [...batch, K]
  slopes: Tensor; //  [...batch, K − 1]
  rangeMin: Tensor; // [...batch]
}

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
 * inverse and both log-dets are differentiable in them (the inverse by the implicit function theorem).
 *
 * Like TFP, the bijector is only continuous when `Σ binWidths = Σ binHeights` (so that x_K = y_K);
 * that is checked with `validateArgs` only. Unlike TFP, non-finite or non-positive parameters are
 * always an error (maflow checks parameters at construction; see docs/errors.md).
 *
 * @see Durkan et al. 2019, Neural Spline Flows, https://arxiv.org/abs/1906.04087
 * @see {@link splineFamily}, the same spline driven by a MADE, and {@link splineParametersOf}
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
    const widths = toParameter(o.binWidths, WHERE, 'binWidths');
    const heights = toParameter(o.binHeights, WHERE, 'binHeights');
    const slopes = toParameter(o.knotSlopes, WHERE, 'knotSlopes');
    const rangeMin = toParameter(o.rangeMin ?? -1, WHERE, 'rangeMin');
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

    checkEntries(widths, WHERE, 'binWidths', (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    checkEntries(heights, WHERE, 'binHeights', (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    checkEntries(slopes, WHERE, 'knotSlopes', (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    checkEntries(rangeMin, WHERE, 'rangeMin', Number.isFinite, 'finite');
    if (this.validateArgs) checkSums(widths, heights, batch, K);

    this.binWidths = widths;
    this.binHeights = heights;
    this.knotSlopes = slopes;
    this.rangeMin = rangeMin;
    this.bins = K;
    this.batchShape = Object.freeze(batch);
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
   * Broadcasts the input and the parameters to one shape with the `broadcastTo` op, so the
   * gradients of broadcast parameters are summed over the broadcast axes by that op's backward.
   */
  private broadcast(v: Tensor, where: string, arg: string): Broadcast {
    const shape = this.jointShape(v, where, arg);
    const K = this.bins;
    return {
      shape,
      v: sameShape(v.shape, shape) ? v : broadcastTo(v, shape),
      widths: broadcastTo(this.binWidths, [...shape, K]),
      heights: broadcastTo(this.binHeights, [...shape, K]),
      slopes: broadcastTo(this.knotSlopes, [...shape, K - 1]),
      rangeMin: broadcastTo(this.rangeMin, shape),
    };
  }

  /** y = f(x) and log f'(x), elementwise: two outputs of one evaluation. */
  private forwardOp(x: Tensor): ForwardResult {
    const b = this.broadcast(x, `${WHERE}.forward`, 'x');
    const { y, logDet } = evaluate(b, this.bins, 'forward');
    return { y, logDet };
  }

  /** x = f⁻¹(y) and −log f'(x), elementwise. */
  private inverseOp(y: Tensor): InverseResult {
    const b = this.broadcast(y, `${WHERE}.inverse`, 'y');
    const r = evaluate(b, this.bins, 'inverse');
    return { x: r.y, logDet: neg(r.logDet) };
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

/** Points the shared {@link RQSpline} view at element i of the broadcast parameters. */
function pointAt(b: Broadcast, K: number, i: number): void {
  view.bins = K;
  view.rangeMin = b.rangeMin.data[i];
  view.widths = b.widths.data;
  view.widthsAt = i * K;
  view.heights = b.heights.data;
  view.heightsAt = i * K;
  // The stored slopes are the K − 1 interior ones; the spline wants all K + 1, the boundary ones 1.
  const sd = b.slopes.data;
  slopeRow[0] = 1;
  for (let k = 1; k < K; k++) slopeRow[k] = sd[i * (K - 1) + k - 1];
  slopeRow[K] = 1;
  view.slopes = slopeRow;
}

/**
 * The spline over every element, in one direction: the mapped values and `L = log f'` at the
 * base-side point, as two autodiff ops over the same parents. Their backward passes use
 * {@link rqForwardGrad} (forward) or {@link rqInverseGrad} (inverse, by the implicit function
 * theorem), and `∂g/∂rangeMin = (gradient at the output) − (gradient at the input)`, since
 * rangeMin shifts the spline along the diagonal: f(v) = rangeMin + F(v − rangeMin).
 */
function evaluate(b: Broadcast, K: number, direction: 'forward' | 'inverse'): { y: Tensor; logDet: Tensor } {
  ensureScratch(K);
  const n = b.v.size;
  const vd = b.v.data;
  const out = new Float64Array(n);
  const logDet = new Float64Array(n);
  const pair = new Float64Array(2);
  const step = direction === 'forward' ? rqForward : rqInverse;
  for (let i = 0; i < n; i++) {
    pointAt(b, K, i);
    step(vd[i], view, pair);
    out[i] = pair[0];
    logDet[i] = pair[1];
  }
  // The base-side point every gradient is evaluated at: the input going forward, the output going back.
  const base = direction === 'forward' ? vd : out;
  const parents = [b.v, b.widths, b.heights, b.slopes, b.rangeMin];
  const backward = (which: 'value' | 'logDet') => (o: Tensor): void => {
    const g = outGrad(o);
    const gv = b.v.requiresGrad ? b.v.gradData() : null;
    const gw = b.widths.requiresGrad ? b.widths.gradData() : null;
    const gh = b.heights.requiresGrad ? b.heights.gradData() : null;
    const gs = b.slopes.requiresGrad ? b.slopes.gradData() : null;
    const gr = b.rangeMin.requiresGrad ? b.rangeMin.gradData() : null;
    for (let i = 0; i < n; i++) {
      if (g[i] === 0) continue;
      pointAt(b, K, i);
      gW.fill(0, 0, K);
      gH.fill(0, 0, K);
      gD.fill(0, 0, K + 1);
      const gOut = which === 'value' ? g[i] : 0;
      const gL = which === 'logDet' ? g[i] : 0;
      const gIn = direction === 'forward'
        ? rqForwardGrad(base[i], view, gOut, gL, gradView)
        : rqInverseGrad(base[i], view, gOut, gL, gradView);
      if (gv !== null) gv[i] += gIn;
      if (gr !== null) gr[i] += gOut - gIn;
      if (gw !== null) for (let k = 0; k < K; k++) gw[i * K + k] += gW[k];
      if (gh !== null) for (let k = 0; k < K; k++) gh[i * K + k] += gH[k];
      // Only the interior slopes are parameters; the boundary ones are the constant 1.
      if (gs !== null) for (let k = 1; k < K; k++) gs[i * (K - 1) + k - 1] += gD[k];
    }
  };
  const op = direction === 'forward' ? 'rationalQuadraticSpline' : 'rationalQuadraticSplineInverse';
  return {
    y: record(op, out, b.shape, parents, backward('value')),
    logDet: record(`${op}LogDet`, logDet, b.shape, parents, backward('logDet')),
  };
}
