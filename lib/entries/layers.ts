/** maflow/layers: the Keras-like surface in full (TFP's tfp.layers with Keras's Sequential): every
 * layer with its arguments, Sequential with its compile/fit/evaluate/predict options, callbacks,
 * the progress bar, losses, and the types of each. The root exports the values users call; import
 * from here for the rest and for the types.
 * @module maflow/layers
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export {
  Layer, isDistribution, type LayerOutput, type CallOptions, type LayerConfig, type LayerArgs, type ConvertToTensorFn,
} from '../layers/layer.js';
export { InputLayer, type InputLayerArgs } from '../layers/input-layer.js';
export { Dense, type DenseArgs } from '../layers/dense.js';
export {
  DistributionLambda, registerDistributionFn, type DistributionLambdaArgs, type MakeDistributionFn,
} from '../layers/distribution-lambda.js';
export { AutoregressiveTransform, type AutoregressiveTransformArgs } from '../layers/autoregressive-transform.js';
export { PermuteTransform, type PermuteTransformArgs } from '../layers/permute-transform.js';
export { FlowLayer, type FlowLayerArgs } from '../layers/flow-layer.js';
export { LayerTransformedDistribution } from '../layers/layer-transformed-distribution.js';
export { getLoss, meanSquaredError, negativeLogLikelihood, LOSS_NAMES, type LossFn, type LossName } from '../losses.js';
export {
  Sequential, type CompileArgs, type SequentialArgs, type SummaryOptions, type SequentialCallOptions, type PredictOptions,
} from '../models/sequential.js';
export type { Dataset, DatasetBatch, FitDatasetOptions } from '../models/fit-dataset.js';
export {
  NonFiniteLossError, type FitOptions, type EvaluateOptions, type DataInput, type TrainableModel,
} from '../models/training.js';
export {
  Callback, EarlyStopping, TerminateOnNaN, type CallbackHooks, type CallbacksArg, type CallbackModel,
  type EarlyStoppingOptions, type Logs, type TrainParams,
} from '../models/callbacks.js';
export { History } from '../models/history.js';
export { ProgressBar, type OutputStream, type ProgressBarOptions } from '../models/progress.js';
