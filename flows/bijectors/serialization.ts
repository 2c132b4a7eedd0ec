// The built-in bijectors in the one registry (kind 'bijector'), and bijectorFromConfig, its view.
import type { TensorLike } from '../../autodiff/tensor-like.js';
import { classNameIn, deserialize, registerClasses } from '../../lib/util/register.js';
import { BatchNormalization } from './batch-normalization.js';
import type { Bijector, BijectorConfig } from './bijector.js';
import { Chain } from './chain.js';
import { Invert } from './invert.js';
import { MaskedAutoregressiveFlow } from './masked-autoregressive-flow.js';
import { Permute, Reverse } from './permute.js';
import { Scale } from './scale.js';
import { Shift } from './shift.js';
import { Logit } from './logit.js';
import { RationalQuadraticSpline } from './rational-quadratic-spline.js';
import { Standardize } from './standardize.js';

registerClasses('bijector', {
  Chain, Invert, Shift, Scale, Permute, Reverse, BatchNormalization, MaskedAutoregressiveFlow, Logit, Standardize, RationalQuadraticSpline,
});

/**
 * Rebuilds a bijector from `bijector.getConfig()`, with `weights` when given: a view over the one
 * registry, `deserialize('bijector', { className, config, weights })`. Without weights they start
 * fresh (a MAF's network from its seed, batch-norm at its initial values): a config never holds
 * trained weights. To save a bijector whole, use `flowToJSON(bijector)`.
 *
 * @param config - `bijector.getConfig()`, possibly through JSON
 * @param weights - `bijector.getWeights()` (any TensorLikes), in that order
 * @param where - the caller to name in errors
 * @example
 * const copy = bijectorFromConfig(JSON.parse(JSON.stringify(flow.getConfig())), flow.getWeights());
 * @throws TypeError when `config` is not an object with a `className`; ValueError for an unknown
 *   `className` (naming the registered ones), a config its class refuses, or weights that do not fit
 */
export function bijectorFromConfig(config: BijectorConfig, weights?: readonly TensorLike[], where = 'bijectorFromConfig'): Bijector {
  return deserialize<Bijector>('bijector', { className: classNameIn(config, where), config, weights }, where);
}
