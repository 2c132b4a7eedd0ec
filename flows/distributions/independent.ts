// Independent: reinterprets the rightmost batch dimensions of a distribution as event dimensions (TFP's tfd.Independent).
import { sum } from '../../autodiff/ops/reduce.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import type { Random } from '../../lib/util/random.js';
import { fmt } from '../../lib/util/shape.js';
import { checkNonNegativeInt, checkOptions, describe, isPlainObject } from '../../lib/util/validate.js';
import { type BijectorKwargs } from '../bijectors/bijector.js';
import { rebuild } from '../../lib/util/register.js';
import { Distribution, type DistributionConfig, type LogProbOptions, type SampleOptions, type ValueLike } from './distribution.js';

/** Options of {@link Independent}. */
export interface IndependentOptions {
  /** How many rightmost batch dimensions become event dimensions; default all of them (TFP's default). */
  reinterpretedBatchNdims?: number;
  /** Default `'Independent' + the inner distribution's name`, as TFP. */
  name?: string;
}

/**
 * The product of a batch of independent distributions, read as one distribution over their joint
 * event: the rightmost `r = reinterpretedBatchNdims` batch dimensions move into the event,
 *
 *   batchShape = inner.batchShape[:−r],   eventShape = inner.batchShape[−r:] ++ inner.eventShape
 *   log p(x) = Σ over the last r batch axes of inner.logProb(x)
 *
 * Sampling, mean, mode, variance and stddev are the inner distribution's (same values, same
 * shapes); entropy sums the inner entropy over the same axes. So `Bernoulli({ logits })` with
 * logits `[3, 64]` and r = 2 is one distribution over `[3, 64]` binary arrays: `logProb` of
 * `[100, 3, 64]` gives `[100]`.
 *
 * @see TFP `tfd.Independent`, https://www.tensorflow.org/probability/api_docs/python/tfp/distributions/Independent
 *
 * @example
 * const pixels = new Independent(new Bernoulli({ probs: [0.5, 0.5, 0.5] }), { reinterpretedBatchNdims: 1 });
 * pixels.eventShape;                 // [3]
 * pixels.logProb([1, 0, 1]).item();  // 3 · log ½ ≈ −2.079
 */
export class Independent extends Distribution {
  /** The distribution whose batch dimensions are reinterpreted. */
  readonly distribution: Distribution;
  /** r, the number of batch dimensions moved into the event. */
  readonly reinterpretedBatchNdims: number;

  /**
   * @param distribution - the inner distribution, batch shape `[...b, ...reinterpreted]`
   * @param options - `reinterpretedBatchNdims` (default: the whole batch) and `name`
   * @throws TypeError when `distribution` is not a Distribution; RangeError for a
   *   `reinterpretedBatchNdims` that is not a non-negative integer; ValueError when it exceeds the
   *   inner batch rank
   */
  constructor(distribution: Distribution, options: IndependentOptions = {}) {
    const where = 'Independent';
    assert(distribution instanceof Distribution, () => `${where}: 'distribution' must be a Distribution, got ${describe(distribution)}`, TypeError);
    assert(isPlainObject(options), () => `${where}: 'options' must be an object { reinterpretedBatchNdims?, name? }, got ${describe(options)}`, TypeError);
    checkOptions(options, ['reinterpretedBatchNdims', 'name'], where);
    const batch = distribution.batchShape;
    const r = checkNonNegativeInt(options.reinterpretedBatchNdims, 'reinterpretedBatchNdims', where, batch.length);
    assert(r <= batch.length,
      () => `${where}: 'reinterpretedBatchNdims' is ${r}, larger than the batch rank ${batch.length} of the ${distribution.className} (batch shape ${fmt(batch)})`);
    const k = batch.length - r;
    super({
      className: where, name: options.name ?? `Independent${distribution.name}`,
      batchShape: batch.slice(0, k), eventShape: [...batch.slice(k), ...distribution.eventShape],
    });
    this.distribution = distribution;
    this.reinterpretedBatchNdims = r;
  }

  override get trainableWeights(): Tensor[] {
    return this.distribution.trainableWeights;
  }

  override get nonTrainableWeights(): Tensor[] {
    return this.distribution.nonTrainableWeights;
  }

  /**
   * Σ over the reinterpreted axes of the inner log-probability; the inner distribution checks `x`
   * (so a Bernoulli's check of 0/1 values runs here too).
   * @returns shape `broadcast(b, batchShape)` for `x` `[...b, ...eventShape]`
   * @throws ValueError when `x` does not end in `eventShape`; otherwise as the inner distribution's `logProb`
   */
  override logProb(x: ValueLike, options: LogProbOptions = {}): Tensor {
    const t = this.checkValue(x, 'Independent.logProb');
    return this.sumReinterpreted(this.distribution.logProb(t, options));
  }

  /** The inner distribution's draws, shape `[...sampleShape, ...batchShape, ...eventShape]`. */
  protected _sample(sampleShape: number[], rng: Random, bijectorKwargs: BijectorKwargs): Tensor {
    const options: SampleOptions = { seed: rng, bijectorKwargs };
    return this.distribution.sample(sampleShape, options);
  }

  protected _logProb(x: Tensor, bijectorKwargs: BijectorKwargs): Tensor {
    return this.sumReinterpreted(this.distribution.logProb(x, { bijectorKwargs, validateArgs: false }));
  }

  /** The inner mean, shape `[...batchShape, ...eventShape]`. */
  override mean(): Tensor {
    return this.distribution.mean();
  }

  /** The inner variance. */
  override variance(): Tensor {
    return this.distribution.variance();
  }

  /** The inner standard deviation. */
  override stddev(): Tensor {
    return this.distribution.stddev();
  }

  /**
   * The inner mode, shape `[...batchShape, ...eventShape]` (the joint mode of independent parts).
   * @throws Error when the inner distribution has no `mode`
   */
  mode(): Tensor {
    const inner = this.distribution as Distribution & { mode?: () => Tensor };
    assert(typeof inner.mode === 'function', () => `Independent.mode: not implemented for ${inner.className}`, Error);
    return inner.mode();
  }

  /** Σ over the reinterpreted axes of the inner entropy, shape `batchShape`. */
  override entropy(): Tensor {
    return this.sumReinterpreted(this.distribution.entropy());
  }

  /** `{ className: 'Independent', name, distribution: inner config, reinterpretedBatchNdims }`. */
  override getConfig(): DistributionConfig {
    return { ...super.getConfig(), distribution: this.distribution.getConfig(), reinterpretedBatchNdims: this.reinterpretedBatchNdims };
  }

  /** Rebuilds an Independent from {@link Independent.getConfig}, the inner distribution through the distribution registry. */
  static fromConfig(config: DistributionConfig): Independent {
    return new Independent(rebuild<Distribution>('distribution', config.distribution, 'Independent.fromConfig'), {
      reinterpretedBatchNdims: config.reinterpretedBatchNdims as number, name: config.name,
    });
  }

  /** Sums the last r axes of a `[..., ...innerBatch]` tensor. */
  private sumReinterpreted(t: Tensor): Tensor {
    const r = this.reinterpretedBatchNdims;
    if (r === 0) return t;
    return sum(t, Array.from({ length: r }, (_, i) => t.rank - r + i));
  }
}
