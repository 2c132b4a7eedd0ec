/** maflow/serialization: saving and loading without files (those are in maflow/node): a bare flow to
 * and from JSON, every object from its config, the registries that turn saved names back into code
 * (register your own layers, optimizers and distribution functions), and the saved formats' types.
 * Every kind goes through one registry: `serialize(obj)` gives `{ className, config, weights }`, and
 * `deserialize(kind, json)` rebuilds it with the registered `fromConfig`.
 * Registries are process-wide: a name registered through any entry is seen by all.
 * @module maflow/serialization
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export {
  registerSerializable, serialize, deserialize,
  type Serializable, type Serialized, type SerializableKind, type FromConfig,
} from '../util/register.js';
export { optimizerFromConfig } from '../../autodiff/optimizers/registry.js';
export { flowToJSON, distributionFromJSON, bijectorFromJSON, type FlowJSON } from '../models/flow-json.js';
export { bijectorFromConfig } from '../../flows/bijectors/serialization.js';
export { distributionFromConfig } from '../../flows/distributions/serialization.js';
export { transformFamilyFromConfig } from '../../flows/transforms/registry.js';
export { registerLayer, layerFromConfig, type LayerFactory } from '../layers/registry.js';
export { registerDistributionFn, getDistributionFn } from '../layers/distribution-lambda.js';
export {
  registerOptimizer, MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelJSON, type OptimizerJSON, type EncodedTensor, type OptimizerFactory,
} from '../models/save.js';
export { getLoss, LOSS_NAMES } from '../losses.js';
export { getActivation, ACTIVATION_NAMES } from '../../flows/made/activations.js';
export { getInitializer } from '../../autodiff/initializers.js';
export type { OptimizerState } from '../../autodiff/optimizers/optimizer.js';
export type { AdamConfig } from '../../autodiff/optimizers/adam.js';
export type { SGDConfig } from '../../autodiff/optimizers/sgd.js';
export type { BijectorConfig } from '../../flows/bijectors/bijector.js';
export type { DistributionConfig } from '../../flows/distributions/distribution.js';
export type { TransformFamilyConfig } from '../../flows/transforms/family.js';
export type { AutoregressiveNetworkConfig } from '../../flows/made/autoregressive-network.js';
export type { LayerConfig } from '../layers/layer.js';
export type { RegisterOptions } from '../util/register.js';
export type { JsonValue } from '../util/json.js';
