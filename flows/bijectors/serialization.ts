// bijectorFromConfig: rebuilds any built-in bijector (nested Chains and Inverts included) from its getConfig() output.
import type { TensorLike } from '../../autodiff/tensor-like.js';
import { assert } from '../../lib/util/errors.js';
import { copyWeightsInto } from '../../autodiff/weights.js';
import { BatchNormalization } from './batch-normalization.js';
import { type Bijector, type BijectorConfig } from './bijector.js';
import { Chain } from './chain.js';
import { Invert } from './invert.js';
import { MaskedAutoregressiveFlow } from './masked-autoregressive-flow.js';
import { Permute, Reverse } from './permute.js';
import { Scale } from './scale.js';
import { Shift } from './shift.js';
import { Logit } from './logit.js';
import { RationalQuadraticSpline } from './rational-quadratic-spline.js';
import { Standardize } from './standardize.js';
import { describe, isPlainObject } from '../../lib/util/validate.js';

const leaves: Record<string, (config: BijectorConfig) => Bijector> = {
  Shift: (c) => Shift.fromConfig(c),
  Scale: (c) => Scale.fromConfig(c),
  Permute: (c) => Permute.fromConfig(c),
  Reverse: (c) => Reverse.fromConfig(c),
  BatchNormalization: (c) => BatchNormalization.fromConfig(c),
  MaskedAutoregressiveFlow: (c) => MaskedAutoregressiveFlow.fromConfig(c),
  Logit: (c) => Logit.fromConfig(c),
  Standardize: (c) => Standardize.fromConfig(c),
  RationalQuadraticSpline: (c) => RationalQuadraticSpline.fromConfig(c),
};

/**
 * Rebuilds a bijector from `bijector.getConfig()`, with `weights` when given. Without them the
 * weights start fresh (a MAF's network from its seed, batch-norm at its initial values): a config
 * never holds trained weights. To save a bijector whole, use `flowToJSON(bijector)`.
 *
 * @param config - `bijector.getConfig()`, possibly through JSON
 * @param weights - `bijector.getWeights()` (any TensorLikes), in that order
 * @example
 * const copy = bijectorFromConfig(JSON.parse(JSON.stringify(flow.getConfig())), flow.getWeights());
 * @throws TypeError when `config` is not an object; ValueError for an unknown `className` or weights that do not fit
 */
export function bijectorFromConfig(config: BijectorConfig, weights?: readonly TensorLike[]): Bijector {
  const rebuilt = rebuildBijector(config);
  if (weights !== undefined) copyWeightsInto(rebuilt.weights, weights, 'bijectorFromConfig');
  return rebuilt;
}

/** {@link bijectorFromConfig} without weights: the class, rebuilt from its options. */
function rebuildBijector(config: BijectorConfig): Bijector {
  const where = 'bijectorFromConfig';
  assert(isPlainObject(config) && typeof config.className === 'string',
    () => `${where}: 'config' must be an object with a 'className', got ${describe(config)}`, TypeError);
  switch (config.className) {
    case 'Chain':
      return new Chain((config.bijectors as unknown as BijectorConfig[]).map(rebuildBijector), { name: config.name });
    case 'Invert':
      return new Invert(rebuildBijector(config.bijector as unknown as BijectorConfig), { name: config.name });
    default: {
      const make = leaves[config.className];
      assert(make !== undefined,
        () => `${where}: unknown 'className' '${config.className}'; expected one of ${['Chain', 'Invert', ...Object.keys(leaves)].join(', ')}`);
      return make(config);
    }
  }
}
