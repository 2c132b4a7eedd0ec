// Scale: the elementwise scaling y = scale · x, given as `scale` or as `logScale`.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { div, mul, mulExp } from '../../autodiff/ops/binary.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { abs, log, neg } from '../../autodiff/ops/unary.js';
import { tensor, type NestedArray, type Tensor } from '../../autodiff/tensor.js';
import { ValueError } from '../../lib/util/errors.js';
import { checkOptions, isPlainObject } from '../../lib/util/validate.js';
import { Bijector, checkName, isTrainableLeaf, type BijectorConfig, type ParamLike } from './bijector.js';
import { checkEntries } from '../../autodiff/checks.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** Options of {@link Scale}: exactly one of `scale` and `logScale`. */
export interface ScaleOptions {
  /** Nonzero, finite factor (negative flips the axis, as TFP allows). */
  scale?: ParamLike;
  /** `log(scale)` for a positive scale: what a MAF network outputs. */
  logScale?: ParamLike;
  /** Default `'scale'`, as TFP. */
  name?: string;
}

/**
 * Scaling, elementwise (`forwardMinEventNdims` 0):
 *
 *   forward:  y = scale · x          inverse:  x = y / scale
 *   log|det ∂y/∂x| = log|scale|  per element  (= logScale when given as `logScale`)
 *
 * Giving `logScale` keeps the scale positive without a constraint and makes the log-det exact
 * (no log(exp(·)) round trip), which is why a MAF layer uses it.
 *
 * @example
 * new Scale({ logScale: Math.log(2) }).forward(tensor([1, 3])) // [2, 6]
 */
export class Scale extends Bijector {
  /** The factor when given as `scale`, else `null`. */
  readonly scale: Tensor | null;
  /** The log-factor when given as `logScale`, else `null`. */
  readonly logScale: Tensor | null;

  /**
   * @param options - `{ scale }` or `{ logScale }` (exactly one), or a bare `scale`
   * @throws ValueError when both or neither are given; TypeError for a value that is not a
   *   Tensor/number/array; RangeError for a zero or non-finite `scale` or a non-finite `logScale`
   */
  constructor(options: ScaleOptions | ParamLike) {
    if (isPlainObject(options)) checkOptions(options, ['scale', 'logScale', 'name'], 'Scale');
    const opts: ScaleOptions = isPlainObject(options) ? (options as ScaleOptions) : { scale: options as ParamLike };
    super({ className: 'Scale', name: checkName(opts.name ?? 'scale', 'Scale'), forwardMinEventNdims: 0, isConstantJacobian: true });
    const hasScale = opts.scale !== undefined && opts.scale !== null;
    const hasLog = opts.logScale !== undefined && opts.logScale !== null;
    if (hasScale === hasLog) {
      throw new ValueError(`Scale: exactly one of 'scale' and 'logScale' must be given, got ${hasScale ? 'both' : 'neither'}`);
    }
    if (hasScale) {
      this.scale = toTensor(opts.scale, 'scale', 'Scale');
      checkEntries(this.scale, 'scale', 'Scale', (v) => Number.isFinite(v) && v !== 0, 'nonzero and finite');
      this.logScale = null;
    } else {
      this.scale = null;
      this.logScale = toTensor(opts.logScale, 'logScale', 'Scale');
      checkEntries(this.logScale, 'logScale', 'Scale', Number.isFinite, 'finite');
    }
  }

  override get trainableWeights(): Tensor[] {
    const p = (this.scale ?? this.logScale) as Tensor;
    return isTrainableLeaf(p) ? [p] : [];
  }

  protected _forward(x: Tensor): Tensor {
    // mulExp: x · e^logScale without forming e^logScale alone, which overflows first (see binary.ts).
    return this.scale !== null ? mul(x, this.scale) : mulExp(x, this.logScale as Tensor);
  }

  protected _inverse(y: Tensor): Tensor {
    return this.scale !== null ? div(y, this.scale) : mulExp(y, neg(this.logScale as Tensor));
  }

  protected override _forwardLogDet(x: Tensor): Tensor {
    return this.logAbsScale('Scale.forwardLogDetJacobian', x);
  }

  protected override _inverseLogDet(y: Tensor): Tensor {
    return neg(this.logAbsScale('Scale.inverseLogDetJacobian', y));
  }

  /** `log|scale|` broadcast to the shape of `scale · t`. */
  private logAbsScale(where: string, t: Tensor): Tensor {
    const p = this.scale ?? (this.logScale as Tensor);
    const shape = broadcastShapes(where, t.shape, p.shape);
    return broadcastTo(this.scale !== null ? log(abs(this.scale)) : p, shape);
  }

  /** `{ className: 'Scale', name, scale }` or `{ …, logScale }`, values as nested arrays. */
  override getConfig(): BijectorConfig {
    return this.scale !== null
      ? { ...super.getConfig(), scale: this.scale.toArray() }
      : { ...super.getConfig(), logScale: (this.logScale as Tensor).toArray() };
  }

  /** Rebuilds a Scale from {@link Scale.getConfig}'s output. */
  static fromConfig(config: BijectorConfig): Scale {
    return 'scale' in config
      ? new Scale({ scale: tensor(config.scale as NestedArray), name: config.name })
      : new Scale({ logScale: tensor(config.logScale as NestedArray), name: config.name });
  }
}
