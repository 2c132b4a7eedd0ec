// BatchNormalization: the MAF paper's normalizing layer between flow layers, in TFP's directions.
import { add, div, mul, sub } from '../../autodiff/ops/binary.js';
import { mean, sum } from '../../autodiff/ops/reduce.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { exp, log, neg, sqrt, square } from '../../autodiff/ops/unary.js';
import { ones, zeros, type Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { fmt, type Shape } from '../../lib/util/shape.js';
import { checkOptions, checkPositiveInt, describe } from '../../lib/util/validate.js';
import { constrainWeight } from '../../autodiff/weight-constraints.js';
import { Bijector, checkName, type BijectorConfig, type BijectorKwargs, type InverseResult } from './bijector.js';

/** Options of {@link BatchNormalization}. */
export interface BatchNormalizationOptions {
  /** Number of features `E` (the last axis). If absent, taken from the first input's last dim. */
  eventSize?: number;
  /** Running averages follow `avg ← momentum · avg + (1 − momentum) · batchStat`; default 0.99 (Keras). */
  momentum?: number;
  /** Added to the variance before the square root; default 1e-3 (Keras). */
  epsilon?: number;
  /** Default for the density direction: batch statistics (true, TFP's default) or running averages (false). `kwargs.training` overrides it per call. */
  training?: boolean;
  /** Default `'batch_normalization'`, as TFP. */
  name?: string;
}

/**
 * Batch normalization as a bijector (Papamakarios et al. 2017, §3.4), in TFP's directions, with
 * per-feature statistics `m`, `v` over every axis but the last and trainable `logGamma`, `beta`:
 *
 *   inverse (data → base, density):   x = (y − m) / √(v + ε) · exp(logGamma) + beta
 *   forward (base → data, sampling):  y = (x − beta) · exp(−logGamma) · √(v̄ + ε) + m̄
 *   log|det ∂x/∂y| = Σ_d [ logGamma_d − ½ log(v_d + ε) ]   (the same for every event in the batch)
 *
 * The density direction uses the current batch's mean and (biased) variance `m`, `v` when training,
 * and updates the running averages `m̄`, `v̄` in place; otherwise it uses `m̄`, `v̄`. The sampling
 * direction always uses `m̄`, `v̄` (as TFP: de-normalizing a sample has no batch to measure). So in
 * training mode `forward` and `inverse` are not each other's inverse; at inference they are.
 * As in the paper, the log-det in training mode treats the batch statistics as constants of the
 * event (they do depend on the whole batch); gradients still flow through them.
 *
 * `logGamma` (TFP constrains `gamma > 0` with relu + 1e-6; the log keeps it positive smoothly)
 * and `beta` start at 0, `m̄` at 0 and `v̄` at 1, as Keras.
 *
 * @see Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057; Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167
 */
export class BatchNormalization extends Bijector {
  /** Weight of the old running average in each update. */
  readonly momentum: number;
  /** Added to every variance before the square root. */
  readonly epsilon: number;
  /** The default training flag (see {@link BatchNormalizationOptions.training}). */
  training: boolean;
  private size: number | undefined;
  private weightsTuple: { logGamma: Tensor; beta: Tensor; movingMean: Tensor; movingVariance: Tensor } | null = null;

  /**
   * @throws RangeError for `momentum` outside [0, 1], `epsilon` not positive and finite, or `eventSize` not a positive integer;
   *   TypeError for a non-boolean `training`
   */
  constructor(options: BatchNormalizationOptions = {}) {
    const where = 'BatchNormalization';
    assert(typeof options === 'object' && options !== null, () => `${where}: expected an options object, got ${describe(options)}`, TypeError);
    checkOptions(options, ['eventSize', 'momentum', 'epsilon', 'training', 'name'], where);
    super({ className: where, name: checkName(options.name ?? 'batch_normalization', where), forwardMinEventNdims: 1 });
    const { momentum = 0.99, epsilon = 1e-3, training = true, eventSize } = options;
    assert(typeof momentum === 'number', () => `${where}: 'momentum' must be a number in [0, 1], got ${describe(momentum)}`, TypeError);
    assert(momentum >= 0 && momentum <= 1, () => `${where}: 'momentum' must be a number in [0, 1], got ${describe(momentum)}`, RangeError);
    assert(typeof epsilon === 'number', () => `${where}: 'epsilon' must be a positive finite number, got ${describe(epsilon)}`, TypeError);
    assert(Number.isFinite(epsilon) && epsilon > 0, () => `${where}: 'epsilon' must be a positive finite number, got ${describe(epsilon)}`, RangeError);
    assert(typeof training === 'boolean', () => `${where}: 'training' must be a boolean, got ${describe(training)}`, TypeError);
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.training = training;
    if (eventSize !== undefined) {
      this.build([checkPositiveInt(eventSize, 'eventSize', where)]);
    }
  }

  /** Number of features, or `undefined` before the first call (or `build`). */
  get eventSize(): number | undefined {
    return this.size;
  }

  /** Whether the weights exist. */
  get built(): boolean {
    return this.weightsTuple !== null;
  }

  /**
   * Creates the weights for inputs of shape `[..., E]` (called by the first forward/inverse).
   * @throws ValueError when already built for another `E`, or the shape has rank 0
   */
  build(inputShape: Shape): void {
    const where = 'BatchNormalization.build';
    assert(Array.isArray(inputShape) && inputShape.length >= 1, () => `${where}: 'inputShape' must have rank ≥ 1, got ${describe(inputShape)}`);
    const e = inputShape[inputShape.length - 1];
    if (this.weightsTuple !== null) {
      assert(e === this.size, () => `${where}: already built for event size ${this.size}, got input shape ${fmt(inputShape)}`);
      return;
    }
    this.size = e;
    this.weightsTuple = {
      logGamma: zeros([e], { requiresGrad: true }),
      beta: zeros([e], { requiresGrad: true }),
      movingMean: zeros([e]),
      movingVariance: ones([e]),
    };
    // A variance below 0 has no meaning (and √(v + ε) would be NaN): loaders refuse one.
    constrainWeight(this.weightsTuple.movingVariance, { ok: (v) => Number.isFinite(v) && v >= 0, expected: 'a variance: finite and ≥ 0' });
  }

  private get w(): { logGamma: Tensor; beta: Tensor; movingMean: Tensor; movingVariance: Tensor } {
    assert(this.weightsTuple !== null, () => `BatchNormalization '${this.name}': used before it was built (call it on an input or give 'eventSize')`);
    return this.weightsTuple;
  }

  /** Trainable log-scale `[E]`. */
  get logGamma(): Tensor {
    return this.w.logGamma;
  }

  /** Trainable offset `[E]`. */
  get beta(): Tensor {
    return this.w.beta;
  }

  /** Running mean `[E]` (not trained; updated in place when the density direction runs in training mode). */
  get movingMean(): Tensor {
    return this.w.movingMean;
  }

  /** Running variance `[E]`. */
  get movingVariance(): Tensor {
    return this.w.movingVariance;
  }

  /** `[logGamma, beta]`, once built. */
  override get trainableWeights(): Tensor[] {
    return this.weightsTuple === null ? [] : [this.weightsTuple.logGamma, this.weightsTuple.beta];
  }

  /** `[movingMean, movingVariance]`, once built. */
  override get nonTrainableWeights(): Tensor[] {
    return this.weightsTuple === null ? [] : [this.weightsTuple.movingMean, this.weightsTuple.movingVariance];
  }

  // Also builds the weights on the first call, as a Keras layer does.
  protected override checkEvent(t: Tensor, where: string, arg: string): void {
    const e = t.shape[t.rank - 1];
    assert(this.size === undefined || e === this.size,
      () => `${where}: '${arg}' has shape ${fmt(t.shape)}, expected [..., ${this.size}] (the event size it was built for)`);
    this.build(t.shape);
  }

  private isTraining(kwargs: BijectorKwargs): boolean {
    const t = kwargs.training;
    assert(t === undefined || typeof t === 'boolean', () => `BatchNormalization: kwargs 'training' must be a boolean, got ${describe(t)}`, TypeError);
    return t ?? this.training;
  }

  /**
   * The statistics the density direction uses: the batch's (and update the running averages)
   * when training, the running averages otherwise. Each `[E]`.
   */
  private inverseStatistics(y: Tensor, training: boolean, update: boolean): { m: Tensor; v: Tensor } {
    const { movingMean, movingVariance } = this.w;
    if (!training) return { m: movingMean, v: movingVariance };
    // One row has variance 0: it would be divided by √ε and its density inflated by ½·log(1/ε) per
    // dimension, a loss that looks excellent and an evaluate that is not (PyTorch refuses this too).
    const rows = y.size / y.shape[y.rank - 1];
    assert(rows >= 2, () => `BatchNormalization.inverse: '${this.name}' is in training mode and 'y' has shape ${fmt(y.shape)}, ${rows} row${rows === 1 ? '' : 's'}; ` +
      `batch statistics need at least 2 rows (one row has variance 0). Use batches of 2 or more rows, or { training: false } for the running averages`);
    const axes = y.shape.slice(0, -1).map((_, i) => i);
    const m = mean(y, axes);
    const v = mean(square(sub(y, m)), axes);
    if (update) {
      // The running averages are state, not part of the graph: update their data in place so
      // every holder of these tensors (an optimizer, a saved model) sees the new values.
      const a = this.momentum;
      for (let d = 0; d < m.size; d++) {
        movingMean.data[d] = a * movingMean.data[d] + (1 - a) * m.data[d];
        movingVariance.data[d] = a * movingVariance.data[d] + (1 - a) * v.data[d];
      }
    }
    return { m, v };
  }

  /** Σ_d [logGamma_d − ½ log(v_d + ε)], broadcast to the batch shape. */
  private inverseLogDetFrom(v: Tensor, batchShape: Shape): Tensor {
    const perFeature = sub(this.w.logGamma, mul(0.5, log(add(v, this.epsilon))));
    return broadcastTo(sum(perFeature), batchShape);
  }

  protected _inverse(y: Tensor, kwargs: BijectorKwargs): Tensor {
    return this._inverseAndLogDet(y, kwargs).x;
  }

  protected override _inverseAndLogDet(y: Tensor, kwargs: BijectorKwargs): InverseResult {
    const { m, v } = this.inverseStatistics(y, this.isTraining(kwargs), true);
    const { logGamma, beta } = this.w;
    const x = add(mul(div(sub(y, m), sqrt(add(v, this.epsilon))), exp(logGamma)), beta);
    return { x, logDet: this.inverseLogDetFrom(v, y.shape.slice(0, -1)) };
  }

  protected override _inverseLogDet(y: Tensor, kwargs: BijectorKwargs): Tensor {
    // The log-det alone never moves the running averages (as TFP: only `inverse` updates them).
    const { v } = this.inverseStatistics(y, this.isTraining(kwargs), false);
    return this.inverseLogDetFrom(v, y.shape.slice(0, -1));
  }

  protected _forward(x: Tensor): Tensor {
    const { logGamma, beta, movingMean, movingVariance } = this.w;
    return add(mul(mul(sub(x, beta), exp(neg(logGamma))), sqrt(add(movingVariance, this.epsilon))), movingMean);
  }

  protected override _forwardLogDet(x: Tensor): Tensor {
    return neg(this.inverseLogDetFrom(this.w.movingVariance, x.shape.slice(0, -1)));
  }

  /** `{ className, name, eventSize, momentum, epsilon, training }` (`eventSize` null before it is built). */
  override getConfig(): BijectorConfig {
    return { ...super.getConfig(), eventSize: this.size ?? null, momentum: this.momentum, epsilon: this.epsilon, training: this.training };
  }

  /** Rebuilds a BatchNormalization (with fresh weights) from {@link BatchNormalization.getConfig}'s output. */
  static fromConfig(config: BijectorConfig): BatchNormalization {
    return new BatchNormalization({
      eventSize: (config.eventSize as number | null) ?? undefined,
      momentum: config.momentum as number,
      epsilon: config.epsilon as number,
      training: config.training as boolean,
      name: config.name,
    });
  }
}

