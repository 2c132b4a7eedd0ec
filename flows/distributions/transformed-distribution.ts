// TransformedDistribution: a base distribution pushed through a bijector, with exact log-densities.
import { add, sub } from '../../autodiff/ops/binary.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import type { Random } from '../../lib/util/random.js';
import { fmt } from '../../lib/util/shape.js';
import { checkOptions, describe, isPlainObject } from '../../lib/util/validate.js';
import { Bijector, type BijectorConfig, type BijectorKwargs } from '../bijectors/bijector.js';
import { bijectorFromConfig } from '../bijectors/serialization.js';
import { rebuild } from '../../lib/util/register.js';
import { Distribution, type DistributionConfig, type SampleResult } from './distribution.js';

/** Options of {@link TransformedDistribution}. */
export interface TransformedDistributionOptions {
  /** The base distribution of `x`. */
  distribution: Distribution;
  /** The map `y = bijector.forward(x)`; it must keep the event shape. */
  bijector: Bijector;
  /** Default `bijector.name + distribution.name`, as TFP. */
  name?: string;
}

/**
 * The distribution of `y = f(x)` for `x ~ base` and a bijector `f`, by the change of variables
 *
 *   log p_Y(y) = log p_X(f⁻¹(y)) + log |det ∂f⁻¹(y)/∂y|
 *
 * with the event being the base's event (`eventNdims = base.eventShape.length`). `logProb`
 * runs `bijector.inverseAndLogDet` once (one network pass for a MAF); `sample` runs
 * `bijector.forward` (the autoregressive recursion for a MAF); `sampleAndLogProb` gets both
 * from `forwardAndLogDet` without inverting its own samples.
 *
 * `bijectorKwargs` (e.g. `{ conditionalInput }`, or `{ maf1: { conditionalInput } }` inside a
 * `Chain`) are passed to the bijector by `sample`, `logProb` and `sampleAndLogProb`.
 *
 * @example
 * const flow = new TransformedDistribution({
 *   distribution: new MultivariateNormalDiag({ loc: [0, 0] }),
 *   bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }),
 * });
 * flow.sample([3, 1]).shape;            // [3, 1, 2]
 * flow.logProb(zeros([5, 3, 2])).shape; // [5, 3]
 */
export class TransformedDistribution extends Distribution {
  /** The base distribution. */
  readonly distribution: Distribution;
  /** The map from base to data. */
  readonly bijector: Bijector;

  /**
   * @throws TypeError when `distribution` or `bijector` is of the wrong kind; ValueError when the
   *   bijector needs events of a higher rank than the base's (e.g. a MAF on a scalar Normal)
   */
  constructor(options: TransformedDistributionOptions) {
    const where = 'TransformedDistribution';
    assert(isPlainObject(options), () => `${where}: expected options { distribution, bijector }, got ${describe(options)}`, TypeError);
    checkOptions(options, ['distribution', 'bijector', 'name'], where);
    const { distribution, bijector } = options;
    assert(distribution instanceof Distribution, () => `${where}: 'distribution' must be a Distribution, got ${describe(distribution)}`, TypeError);
    assert(bijector instanceof Bijector, () => `${where}: 'bijector' must be a Bijector, got ${describe(bijector)}`, TypeError);
    const rank = distribution.eventShape.length;
    assert(rank >= bijector.forwardMinEventNdims,
      () => `${where}: 'bijector' ${bijector.className} '${bijector.name}' acts on events of rank ≥ ${bijector.forwardMinEventNdims}, but 'distribution' ${distribution.className} has event shape ${fmt(distribution.eventShape)}; use a base with a vector event such as MultivariateNormalDiag`);
    super({
      className: where,
      name: options.name ?? `${bijector.name}${distribution.name}`,
      batchShape: distribution.batchShape,
      eventShape: distribution.eventShape,
    });
    this.distribution = distribution;
    this.bijector = bijector;
  }

  /** The base's and the bijector's weights, each once. */
  override get trainableWeights(): Tensor[] {
    return [...new Set([...this.distribution.trainableWeights, ...this.bijector.trainableWeights])];
  }

  override get nonTrainableWeights(): Tensor[] {
    return [...new Set([...this.distribution.nonTrainableWeights, ...this.bijector.nonTrainableWeights])];
  }

  /** Checks the kwargs as the bijector's own public methods would: finite conditions and known bijector names. */
  protected override checkBijectorKwargs(kwargs: BijectorKwargs | undefined, where: string): void {
    this.bijector.checkKwargs(kwargs, where);
  }

  private get eventNdims(): number {
    return this.eventShape.length;
  }

  protected _sample(sampleShape: number[], rng: Random, bijectorKwargs: BijectorKwargs): Tensor {
    const x = this.distribution.sample(sampleShape, { seed: rng });
    return this.bijector.mapChecked('forward', x, bijectorKwargs);
  }

  protected _logProb(y: Tensor, bijectorKwargs: BijectorKwargs): Tensor {
    // y and the kwargs were checked by logProb; the bijector trusts them (one check per value, at the boundary).
    const { value: x, logDet } = this.bijector.mapAndLogDetChecked('inverse', y, bijectorKwargs, this.eventNdims);
    // x is computed, not user data: a value the bijector pushed to ±∞ must give −∞, not an error.
    return add(this.distribution.logProb(x, { validateArgs: false }), logDet);
  }

  // log p_Y(f(x)) = log p_X(x) − log|det ∂f(x)/∂x|: no inverse pass over the samples. The base's
  // own sampleAndLogProb keeps a nested TransformedDistribution one pass per level as well.
  protected override _sampleAndLogProb(sampleShape: number[], rng: Random, bijectorKwargs: BijectorKwargs): SampleResult {
    const base = this.distribution.sampleAndLogProb(sampleShape, { seed: rng });
    const { value: y, logDet } = this.bijector.mapAndLogDetChecked('forward', base.sample, bijectorKwargs, this.eventNdims);
    return { sample: y, logProb: sub(base.logProb, logDet) };
  }

  /** `{ className, name, distribution: base config, bijector: bijector config }`; throws where a part holds a user function. */
  override getConfig(): DistributionConfig {
    return { ...super.getConfig(), distribution: this.distribution.getConfig(), bijector: this.bijector.getConfig() };
  }

  /** Rebuilds a TransformedDistribution from {@link TransformedDistribution.getConfig}, its parts with fresh weights. */
  static fromConfig(config: DistributionConfig): TransformedDistribution {
    const where = 'TransformedDistribution.fromConfig';
    return new TransformedDistribution({
      distribution: rebuild<Distribution>('distribution', config.distribution, where),
      bijector: bijectorFromConfig(config.bijector as unknown as BijectorConfig, undefined, where),
      name: config.name,
    });
  }
}
