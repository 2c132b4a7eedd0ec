// The built-in optimizers in the one registry (kind 'optimizer'), and optimizerFromConfig, its view.
import { deserialize, registerClasses } from '../../lib/util/register.js';
import { Adam } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { SGD } from './sgd.js';

registerClasses('optimizer', { Adam, SGD });

/**
 * Rebuilds an optimizer, without state, from `{ className, config }` (its class and `getConfig()`):
 * a view over the one registry, `deserialize('optimizer', spec)`. A model file restores its state next.
 * @throws ValueError naming `where` for an unregistered class (listing the registered ones), or
 *   wrapping the optimizer's own error for a bad config
 */
export function optimizerFromConfig(spec: { className: string; config: object }, where = 'optimizerFromConfig'): Optimizer {
  return deserialize<Optimizer>('optimizer', spec, where);
}
