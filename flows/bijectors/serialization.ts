// bijectorFromConfig: rebuilds any built-in bijector (nested Chains and Inverts included) from its getConfig() output.
import { assert } from '../../lib/util/errors.js';
import { BatchNormalization } from './batch-normalization.js';
import { describe, isPlainObject, type Bijector, type BijectorConfig } from './bijector.js';
import { Chain } from './chain.js';
import { Invert } from './invert.js';
import { MaskedAutoregressiveFlow } from './masked-autoregressive-flow.js';
import { Permute, Reverse } from './permute.js';
import { Scale } from './scale.js';
import { Shift } from './shift.js';
import { Logit } from './logit.js';
import { RationalQuadraticSpline } from './rational-quadratic-spline.js';
import { Standardize } from './standardize.js';

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
 * Rebuilds a bijector from `bijector.getConfig()`. Weights start fresh (a MAF's network from its
 * seed, batch-norm at its initial values); restore them with the saved `weights` afterwards.
 *
 * @example
 * const copy = bijectorFromConfig(JSON.parse(JSON.stringify(flow.getConfig())));
 * copy.weights.forEach((w, i) => w.data.set(flow.weights[i].data));
 * @throws TypeError when `config` is not an object; ValueError for an unknown `className`
 */
export function bijectorFromConfig(config: BijectorConfig): Bijector {
  const where = 'bijectorFromConfig';
  assert(isPlainObject(config) && typeof config.className === 'string',
    () => `${where}: 'config' must be an object with a 'className', got ${describe(config)}`, TypeError);
  switch (config.className) {
    case 'Chain':
      return new Chain((config.bijectors as unknown as BijectorConfig[]).map(bijectorFromConfig), { name: config.name });
    case 'Invert':
      return new Invert(bijectorFromConfig(config.bijector as unknown as BijectorConfig), { name: config.name });
    default: {
      const make = leaves[config.className];
      assert(make !== undefined,
        () => `${where}: unknown 'className' '${config.className}'; expected one of ${['Chain', 'Invert', ...Object.keys(leaves)].join(', ')}`);
      return make(config);
    }
  }
}
