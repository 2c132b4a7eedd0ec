// distributionFromConfig: rebuilds any built-in distribution from its getConfig() output.
import { assert, ValueError } from '../../lib/util/errors.js';
import { type BijectorConfig } from '../bijectors/bijector.js';
import { bijectorFromConfig } from '../bijectors/serialization.js';
import type { TensorLike } from '../../autodiff/tensor-like.js';
import { copyWeightsInto } from '../../autodiff/weights.js';
import type { Distribution, DistributionConfig } from './distribution.js';
import { MultivariateNormalDiag } from './multivariate-normal-diag.js';
import { Normal } from './normal.js';
import { Autoregressive } from './autoregressive.js';
import { Bernoulli } from './bernoulli.js';
import { Categorical } from './categorical.js';
import { Independent } from './independent.js';
import { TransformedDistribution } from './transformed-distribution.js';
import { describe, isPlainObject } from '../../lib/util/validate.js';

/**
 * Rebuilds a distribution from `distribution.getConfig()` with whatever weights its parts start
 * with (a network's from its seed). For loaders that restore the weights next, such as a saved
 * model's FlowLayer; users call {@link distributionFromConfig}, which insists on the weights.
 * @internal
 */
export function rebuildDistribution(config: DistributionConfig, where = 'distributionFromConfig'): Distribution {
  assert(isPlainObject(config) && typeof config.className === 'string',
    () => `${where}: 'config' must be an object with a 'className', got ${describe(config)}`, TypeError);
  switch (config.className) {
    case 'Normal':
      return Normal.fromConfig(config);
    case 'MultivariateNormalDiag':
      return MultivariateNormalDiag.fromConfig(config);
    case 'Bernoulli':
      return Bernoulli.fromConfig(config);
    case 'Categorical':
      return Categorical.fromConfig(config);
    case 'Independent':
      return new Independent(rebuildDistribution(config.distribution as unknown as DistributionConfig, where), {
        reinterpretedBatchNdims: config.reinterpretedBatchNdims as number, name: config.name,
      });
    case 'Autoregressive':
      return Autoregressive.fromConfig(config);
    case 'TransformedDistribution':
      return new TransformedDistribution({
        distribution: rebuildDistribution(config.distribution as unknown as DistributionConfig, where),
        bijector: bijectorFromConfig(config.bijector as unknown as BijectorConfig),
        name: config.name,
      });
    default:
      throw new ValueError(`${where}: unknown 'className' '${config.className}'; expected Normal, MultivariateNormalDiag, Bernoulli, Categorical, Independent, Autoregressive or TransformedDistribution`);
  }
}

/**
 * Rebuilds a distribution from `distribution.getConfig()` and its weights. A config holds the
 * options, never the trained weights (a MAF's network, batch-norm averages), so a distribution
 * that has weights needs them here: without them it would come back freshly initialised, with
 * other densities. To save a flow whole, use `flowToJSON(flow)` (or `saveFlow(flow, path)` in Node).
 *
 * @param config - `distribution.getConfig()`, possibly through JSON
 * @param weights - `distribution.getWeights()` (any TensorLikes), in that order; required when the
 *   rebuilt distribution has weights
 * @throws TypeError when `config` is not an object; ValueError for an unknown `className`, for
 *   missing weights (naming how many are needed), or weights that do not fit
 *
 * @example
 * const flow = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 1, hiddenUnits: [8] });
 * const copy = distributionFromConfig(JSON.parse(JSON.stringify(flow.getConfig())), flow.getWeights());
 * copy.logProb([[0.5, -1]]).item() === flow.logProb([[0.5, -1]]).item(); // true
 */
export function distributionFromConfig(config: DistributionConfig, weights?: readonly TensorLike[]): Distribution {
  const where = 'distributionFromConfig';
  const rebuilt = rebuildDistribution(config, where);
  const count = rebuilt.weights.length;
  if (weights === undefined) {
    assert(count === 0, () => `${where}: the ${rebuilt.className} '${rebuilt.name}' has ${count} weights, which a config does not hold; ` +
      'pass them as distributionFromConfig(config, flow.getWeights()), or save the flow whole with flowToJSON(flow) ' +
      "(saveFlow(flow, path) from 'maflow/node'). Without them it would come back freshly initialised, with other densities");
    return rebuilt;
  }
  copyWeightsInto(rebuilt.weights, weights, where);
  return rebuilt;
}
