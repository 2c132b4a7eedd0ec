// The built-in distributions in the one registry (kind 'distribution'), and distributionFromConfig, its view.
import type { TensorLike } from '../../autodiff/tensor-like.js';
import { assert } from '../../lib/util/errors.js';
import { classNameIn, deserialize, registerClasses } from '../../lib/util/register.js';
import type { Distribution, DistributionConfig } from './distribution.js';
import { MultivariateNormalDiag } from './multivariate-normal-diag.js';
import { Normal } from './normal.js';
import { Autoregressive } from './autoregressive.js';
import { Bernoulli } from './bernoulli.js';
import { Categorical } from './categorical.js';
import { Independent } from './independent.js';
import { TransformedDistribution } from './transformed-distribution.js';

registerClasses('distribution', { Normal, MultivariateNormalDiag, Bernoulli, Categorical, Independent, Autoregressive, TransformedDistribution });

/**
 * Rebuilds a distribution from `distribution.getConfig()` with whatever weights its parts start
 * with (a network's from its seed). For loaders that restore the weights next, such as a saved
 * model's FlowLayer; users call {@link distributionFromConfig}, which insists on the weights.
 * @internal
 */
export function rebuildDistribution(config: DistributionConfig, where: string): Distribution {
  return deserialize<Distribution>('distribution', { className: classNameIn(config, where), config }, where);
}

/**
 * Rebuilds a distribution from `distribution.getConfig()` and its weights: a view over the one
 * registry, `deserialize('distribution', { className, config, weights })`. A config holds the
 * options, never the trained weights (a MAF's network, batch-norm averages), so a distribution
 * that has weights needs them here: without them it would come back freshly initialised, with
 * other densities. To save a flow whole, use `flowToJSON(flow)` (or `saveFlow(flow, path)` in Node).
 *
 * @param config - `distribution.getConfig()`, possibly through JSON
 * @param weights - `distribution.getWeights()` (any TensorLikes), in that order; required when the
 *   rebuilt distribution has weights
 * @param where - the caller to name in errors
 * @throws TypeError when `config` is not an object with a `className`; ValueError for an unknown
 *   `className` (naming the registered ones), a config its class refuses, for missing weights
 *   (naming how many are needed), or weights that do not fit
 *
 * @example
 * const flow = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 1, hiddenUnits: [8] });
 * const copy = distributionFromConfig(JSON.parse(JSON.stringify(flow.getConfig())), flow.getWeights());
 * copy.logProb([[0.5, -1]]).item() === flow.logProb([[0.5, -1]]).item(); // true
 */
export function distributionFromConfig(config: DistributionConfig, weights?: readonly TensorLike[], where = 'distributionFromConfig'): Distribution {
  const rebuilt = deserialize<Distribution>('distribution', { className: classNameIn(config, where), config, weights }, where);
  const count = rebuilt.weights.length;
  assert(weights !== undefined || count === 0, () => `${where}: the ${rebuilt.className} '${rebuilt.name}' has ${count} weights, which a config does not hold; ` +
    'pass them as distributionFromConfig(config, flow.getWeights()), or save the flow whole with flowToJSON(flow) ' +
    "(saveFlow(flow, path) from 'maflow/node'). Without them it would come back freshly initialised, with other densities");
  return rebuilt;
}
