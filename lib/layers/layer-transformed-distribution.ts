// The TransformedDistribution that transform layers return: it carries bound kwargs and passes call kwargs down.
import { add, sub } from '../../autodiff/ops/binary.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { checkConditionsFinite, type BijectorKwargs } from '../../flows/bijectors/bijector.js';
import type { SampleResult } from '../../flows/distributions/distribution.js';
import { TransformedDistribution, type TransformedDistributionOptions } from '../../flows/distributions/transformed-distribution.js';
import type { Random } from '../util/random.js';

/**
 * A `TransformedDistribution` as the transform layers (`AutoregressiveTransform`,
 * `PermuteTransform`) build it, one level per layer, with two differences:
 *
 * - its bijector always receives `boundKwargs` (a conditional layer binds the model input as
 *   `conditionalInput`), so `logProb(y)` and `sample(n)` need no arguments;
 * - `bijectorKwargs` given to `logProb`, `sample` or `sampleAndLogProb` override the bound ones
 *   and are passed on to the level below, so `{ conditionalInput: c }` re-conditions every layer
 *   of a stacked model, not only the last. (A plain `TransformedDistribution` keeps them for its
 *   own bijector.) Bijectors that take no condition, such as `Permute`, ignore them.
 *
 *   log p(y) = log p_inner(x) + log|det ∂x/∂y|,  x = bijector.inverse(y)
 *
 * `sampleAndLogProb` asks the level below for its samples and their log-density together, so a
 * stack of flows is never inverted to score its own samples.
 */
export class LayerTransformedDistribution extends TransformedDistribution {
  /** The kwargs this level's bijector always receives (empty for an unconditional layer). */
  readonly boundKwargs: Readonly<BijectorKwargs>;

  /**
   * @param options - `distribution`, `bijector`, `name`, as `TransformedDistribution`
   * @param boundKwargs - kwargs for this level's bijector, e.g. `{ conditionalInput }`
   * @throws as `TransformedDistribution`
   */
  constructor(options: TransformedDistributionOptions, boundKwargs: BijectorKwargs = {}) {
    super(options);
    // The bound condition is the model's input: data, so checked as data is.
    checkConditionsFinite(boundKwargs, `${this.className} of '${this.bijector.name}'`);
    this.boundKwargs = Object.freeze({ ...boundKwargs });
  }

  protected override _sample(sampleShape: number[], rng: Random, kwargs: BijectorKwargs): Tensor {
    const x = this.distribution.sample(sampleShape, { seed: rng, bijectorKwargs: kwargs });
    return this.bijector.forward(x, { ...this.boundKwargs, ...kwargs });
  }

  protected override _logProb(y: Tensor, kwargs: BijectorKwargs): Tensor {
    const { x, logDet } = this.bijector.inverseAndLogDet(y, { ...this.boundKwargs, ...kwargs, eventNdims: this.eventShape.length });
    return add(this.distribution.logProb(x, { bijectorKwargs: kwargs, validateArgs: false }), logDet);
  }

  // log p(f(x)) = log p_inner(x) − log|det ∂f(x)/∂x|, with p_inner(x) from the level below's own sampling pass.
  protected override _sampleAndLogProb(sampleShape: number[], rng: Random, kwargs: BijectorKwargs): SampleResult {
    const inner = this.distribution.sampleAndLogProb(sampleShape, { seed: rng, bijectorKwargs: kwargs });
    const { y, logDet } = this.bijector.forwardAndLogDet(inner.sample, { ...this.boundKwargs, ...kwargs, eventNdims: this.eventShape.length });
    return { sample: y, logProb: sub(inner.logProb, logDet) };
  }
}
