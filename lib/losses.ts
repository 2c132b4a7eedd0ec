// Losses by name for compile: per-example values, which fit averages (as Keras does).
import { sub } from '../autodiff/ops/binary.js';
import { mean } from '../autodiff/ops/reduce.js';
import { neg, square } from '../autodiff/ops/unary.js';
import { Tensor } from '../autodiff/tensor.js';
import type { Distribution } from '../flows/distributions/distribution.js';
import { assert } from './util/errors.js';
import { fmt, sameShape } from './util/shape.js';
import { distributionName, isDistribution, type LayerOutput } from './layers/layer.js';

/**
 * A loss: per-example values from the targets `yTrue` and the model's output `yPred`.
 * Return shape `[batch]` (or anything; `fit` takes the mean of all entries, as Keras does).
 */
export type LossFn<Out extends LayerOutput = LayerOutput> = {
  // Method syntax makes the parameters bivariant, so a Sequential<Tensor> is still a Sequential<LayerOutput>.
  /**
   * @param yTrue - the targets of a batch, shape `[batch, ...]`
   * @param yPred - the model's output for that batch: a Tensor, or a Distribution with batch shape `[batch]`
   * @returns the per-example losses, shape `[batch]` (`fit` minimises their mean)
   */
  bivariant(yTrue: Tensor, yPred: Out): Tensor;
}['bivariant'];

/** The losses {@link getLoss} knows by name (these names can be saved with a model; functions cannot). */
export type LossName = 'meanSquaredError' | 'negativeLogLikelihood';

/**
 * Squared error averaged over each example's entries: `L_b = mean_j (y[b, j] − ŷ[b, j])²`.
 * @param yTrue - `[batch, ...]`
 * @param yPred - a Tensor of the same shape
 * @returns `[batch]`
 * @throws TypeError when `yPred` is not a Tensor; ValueError naming both shapes when they differ
 */
export function meanSquaredError(yTrue: Tensor, yPred: LayerOutput): Tensor {
  assert(yPred instanceof Tensor, () => `meanSquaredError: the model output must be a Tensor, got ${isDistribution(yPred) ? distributionName(yPred) : typeof yPred}; use 'negativeLogLikelihood' for a distribution`, TypeError);
  assert(sameShape(yTrue.shape, yPred.shape), () => `meanSquaredError: 'yTrue' has shape ${fmt(yTrue.shape)} but the model output has shape ${fmt(yPred.shape)}`);
  const se = square(sub(yTrue, yPred));
  if (se.rank <= 1) return se;
  const axes: number[] = [];
  for (let a = 1; a < se.rank; a++) axes.push(a);
  return mean(se, axes);
}

/**
 * The negative log-likelihood of the targets under the model's distribution: `L_b = −log p(y_b)`,
 * what TFP's examples write as `lambda y, rv_y: -rv_y.log_prob(y)`.
 * @param yTrue - `[batch, ...event]`
 * @param yPred - a Distribution
 * @returns `[batch]`
 * @throws TypeError when `yPred` is not a Distribution
 */
export function negativeLogLikelihood(yTrue: Tensor, yPred: LayerOutput): Tensor {
  assert(isDistribution(yPred), () => `negativeLogLikelihood: the model output must be a Distribution, got ${yPred instanceof Tensor ? `a Tensor of shape ${fmt(yPred.shape)}` : typeof yPred}`, TypeError);
  // fit and evaluate check the targets once for the whole data set (unless told not to), not per batch.
  return neg((yPred as Distribution).logProb(yTrue, { validateArgs: false }));
}

const LOSSES: Readonly<Record<LossName, LossFn>> = { meanSquaredError, negativeLogLikelihood };

/** The loss names, for messages and docs. */
export const LOSS_NAMES: readonly LossName[] = Object.freeze(Object.keys(LOSSES) as LossName[]);

/**
 * The loss function for a name.
 * @throws TypeError naming the unknown value and listing the valid names
 */
export function getLoss(name: LossName): LossFn {
  assert(typeof name === 'string' && Object.prototype.hasOwnProperty.call(LOSSES, name),
    () => `getLoss: unknown loss ${typeof name === 'string' ? `'${name}'` : typeof name}; expected one of ${LOSS_NAMES.map((n) => `'${n}'`).join(', ')} or a function (yTrue, yPred) => Tensor`, TypeError);
  return LOSSES[name];
}
