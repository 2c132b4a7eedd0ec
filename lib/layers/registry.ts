// The built-in layers in the one registry (kind 'layer'), and its views registerLayer and layerFromConfig.
import { deserialize, registerClasses, registerEntry, type RegisterOptions, type Serialized } from '../util/register.js';
import { AutoregressiveTransform } from './autoregressive-transform.js';
import { Dense } from './dense.js';
import { FlowLayer } from './flow-layer.js';
import { DistributionLambda } from './distribution-lambda.js';
import { InputLayer } from './input-layer.js';
import { PermuteTransform } from './permute-transform.js';
import type { Layer, LayerConfig } from './layer.js';

/** Rebuilds a layer from its `getConfig()`. */
export type LayerFactory = (config: LayerConfig) => Layer;

registerClasses('layer', { InputLayer, Dense, DistributionLambda, AutoregressiveTransform, PermuteTransform, FlowLayer });

/**
 * Makes a layer class loadable by `layerFromConfig` (and so by `loadModel`): a view over the one
 * registry, `registerSerializable('layer', className, fromConfig, options)`. The built-in layers
 * are registered already.
 *
 * @param className - the layer's `className`
 * @param fromConfig - rebuilds it from its `getConfig()`
 * @param options - `override: true` to replace what is registered under `className` (a built-in layer included)
 * @throws TypeError for a non-string name or a non-function factory; ValueError when `className`
 *   is registered to another factory and `override` is not set
 *
 * @example
 * registerLayer('Scale2', (config) => new Scale2(config));
 */
export function registerLayer(className: string, fromConfig: LayerFactory, options: RegisterOptions = {}): void {
  registerEntry('layer', className, fromConfig, options, { where: 'registerLayer', name: 'className', entry: 'fromConfig', entryIs: 'a function' });
}

/**
 * Rebuilds a layer from `{ className, config }`: a view over the one registry, `deserialize('layer', spec)`.
 * Its weights are not in the config; a model file restores them once the model is built.
 * @throws ValueError naming `where` for an unregistered class (listing the registered ones), or
 *   wrapping the layer's own error for a bad config
 */
export function layerFromConfig(spec: { className: string; config: LayerConfig }, where = 'layerFromConfig'): Layer {
  return deserialize<Layer>('layer', spec as Serialized, where);
}
