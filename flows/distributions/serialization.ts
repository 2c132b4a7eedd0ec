// distributionFromConfig: rebuilds any built-in distribution from its getConfig() output.
import { assert, ValueError } from '../../lib/util/errors.js';
import { describe, isPlainObject, type BijectorConfig } from '../bijectors/bijector.js';
import { bijectorFromConfig } from '../bijectors/serialization.js';
import type { Distribution, DistributionConfig } from './distribution.js';
import { MultivariateNormalDiag } from './multivariate-normal-diag.js';
import { Normal } from './normal.js';
import { TransformedDistribution } from './transformed-distribution.js';

/**
 * Rebuilds a distribution from `distribution.getConfig()` (a transformed one's bijector through
 * `bijectorFromConfig`, with fresh weights to be restored from the saved ones).
 * @throws TypeError when `config` is not an object; ValueError for an unknown `className`
 */
export function distributionFromConfig(config: DistributionConfig): Distribution {
  const where = 'distributionFromConfig';
  assert(isPlainObject(config) && typeof config.className === 'string',
    () => `${where}: 'config' must be an object with a 'className', got ${describe(config)}`, TypeError);
  switch (config.className) {
    case 'Normal':
      return Normal.fromConfig(config);
    case 'MultivariateNormalDiag':
      return MultivariateNormalDiag.fromConfig(config);
    case 'TransformedDistribution':
      return new TransformedDistribution({
        distribution: distributionFromConfig(config.distribution as unknown as DistributionConfig),
        bijector: bijectorFromConfig(config.bijector as unknown as BijectorConfig),
        name: config.name,
      });
    default:
      throw new ValueError(`${where}: unknown 'className' '${config.className}'; expected Normal, MultivariateNormalDiag or TransformedDistribution`);
  }
}
