/** maflow/optimizers: the optimizers (Keras's keras.optimizers, TF.js's tf.train) with every type of
 * their options, configs and state, and the weight initializers. The root exports Optimizer, Adam,
 * SGD and the `initializers` namespace; import from here for the types and to write your own optimizer.
 * @module maflow/optimizers
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export {
  Optimizer, type ClipOptions, type OptimizerState, type OptimizerSnapshot,
} from '../../autodiff/optimizers/optimizer.js';
export { Adam, type AdamOptions, type AdamConfig } from '../../autodiff/optimizers/adam.js';
export { SGD, type SGDOptions, type SGDConfig } from '../../autodiff/optimizers/sgd.js';
export * as initializers from '../../autodiff/initializers.js';
export { getInitializer, type Initializer, type InitializerName } from '../../autodiff/initializers.js';
export { registerOptimizer, type OptimizerFactory } from '../models/save.js';
export { compileTrainStep, CompiledTrainStep, type CompiledStepDebug } from '../../autodiff/compiled/train-step.js';
