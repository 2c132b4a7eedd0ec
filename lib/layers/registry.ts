// Layer classes by name, so a saved model's layer configs can be rebuilt (never by evaluating code).
import { assert, ValueError } from '../util/errors.js';
import { checkReplacement, type RegisterOptions } from '../util/register.js';
import { AutoregressiveTransform } from './autoregressive-transform.js';
import { Dense } from './dense.js';
import { FlowLayer } from './flow-layer.js';
import { DistributionLambda } from './distribution-lambda.js';
import { InputLayer } from './input-layer.js';
import { PermuteTransform } from './permute-transform.js';
import type { Layer, LayerConfig } from './layer.js';

/** Rebuilds a layer from its `getConfig()`. */
export type LayerFactory = (config: LayerConfig) => Layer;

const LAYERS = new Map<string, LayerFactory>([
  ['InputLayer', (c) => InputLayer.fromConfig(c)],
  ['Dense', (c) => Dense.fromConfig(c)],
  ['DistributionLambda', (c) => DistributionLambda.fromConfig(c)],
  ['AutoregressiveTransform', (c) => AutoregressiveTransform.fromConfig(c)],
  ['PermuteTransform', (c) => PermuteTransform.fromConfig(c)],
  ['FlowLayer', (c) => FlowLayer.fromConfig(c)],
]);

/**
 * Makes a layer class loadable by `layerFromConfig` (and so by `loadModel`). The built-in layers
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
  assert(typeof className === 'string' && className !== '', () => `registerLayer: 'className' must be a non-empty string, got ${typeof className}`, TypeError);
  assert(typeof fromConfig === 'function', () => `registerLayer: 'fromConfig' must be a function, got ${typeof fromConfig}`, TypeError);
  checkReplacement(LAYERS.get(className), fromConfig, className, options, 'registerLayer');
  LAYERS.set(className, fromConfig);
}

/** The registered layer class names. */
export function registeredLayerNames(): string[] {
  return [...LAYERS.keys()];
}

/**
 * Rebuilds a layer from `{ className, config }`.
 * @throws ValueError naming `where` for an unregistered class, or wrapping the layer's own error for a bad config
 */
export function layerFromConfig(spec: { className: string; config: LayerConfig }, where = 'layerFromConfig'): Layer {
  const factory = LAYERS.get(spec.className);
  if (factory === undefined) {
    throw new ValueError(`${where}: unknown layer class '${spec.className}'; known classes are ${registeredLayerNames().join(', ')} (register others with registerLayer)`);
  }
  try {
    return factory(spec.config);
  } catch (e) {
    throw new ValueError(`${where}: cannot rebuild a ${spec.className} from its config: ${(e as Error).message}`);
  }
}
