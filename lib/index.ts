/** maflow's root entry: what a user of the Keras-like surface, the distributions and bijectors, and the autodiff
 * reaches for (about 60 values). It runs anywhere, browsers included.
 *
 * The rest is in subpaths (lib/entries/), which share one copy of every class, registry and setting with
 * the root: `maflow/ops` (every op function, also the `ops` namespace here), `maflow/kernels`, `maflow/made`,
 * `maflow/transforms`, `maflow/bijectors`, `maflow/distributions`, `maflow/layers`, `maflow/optimizers`,
 * `maflow/data`, `maflow/serialization`; and `maflow/node`, the root plus files (lib/node/index.ts).
 * @module maflow
 */
import '../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

// ---- autodiff: tensors, the ops namespace, optimizers, initializers ------------------------
export { Tensor, tensor, scalar, zeros, ones, full, noGrad, type TensorData, type NestedArray } from '../autodiff/tensor.js';
export type { TensorLike } from '../autodiff/tensor-like.js';
/** Every op function (`ops.add`, `ops.gather`, `ops.logSumExp`, …), as `maflow/ops` exports them one by one. */
export * as ops from './entries/ops.js';
export { Optimizer } from '../autodiff/optimizers/optimizer.js';
export { Adam, type AdamOptions } from '../autodiff/optimizers/adam.js';
export { SGD, type SGDOptions } from '../autodiff/optimizers/sgd.js';
export * as initializers from '../autodiff/initializers.js';
/** Record a training step's graph once, then replay it on preallocated buffers (what `fit` does when shapes repeat). */
export { compileTrainStep, type CompiledTrainStep, type CompiledStepDebug } from '../autodiff/compiled/train-step.js';

// ---- flows: MADE, bijectors (forward = base → data, the sampling direction; inverse = density) ---
export { AutoregressiveNetwork, type AutoregressiveNetworkOptions } from '../flows/made/autoregressive-network.js';
export { Bijector } from '../flows/bijectors/bijector.js';
export { Shift } from '../flows/bijectors/shift.js';
export { Scale } from '../flows/bijectors/scale.js';
export { Chain } from '../flows/bijectors/chain.js';
export { Invert } from '../flows/bijectors/invert.js';
export { Permute, Reverse } from '../flows/bijectors/permute.js';
export { BatchNormalization } from '../flows/bijectors/batch-normalization.js';
export { MaskedAutoregressiveFlow, type MaskedAutoregressiveFlowOptions } from '../flows/bijectors/masked-autoregressive-flow.js';
export { Logit } from '../flows/bijectors/logit.js';
export { Standardize } from '../flows/bijectors/standardize.js';
export { RationalQuadraticSpline } from '../flows/bijectors/rational-quadratic-spline.js';
// ---- flows: the transform families a MAF layer takes (what it does to each dimension, from its P parameters) ----
export type { TransformFamily } from '../flows/transforms/family.js';
export { affineFamily, boundedAffineFamily } from '../flows/transforms/affine.js';
export { splineFamily } from '../flows/transforms/spline.js';
export { maskedAutoregressiveFlowStack, type MaskedAutoregressiveFlowStackOptions } from '../flows/maf.js';

// ---- flows: distributions --------------------------------------------------------------------
export {
  Distribution, type SampleShape, type SampleOptions, type LogProbOptions,
} from '../flows/distributions/distribution.js';
export { Normal } from '../flows/distributions/normal.js';
export { MultivariateNormalDiag } from '../flows/distributions/multivariate-normal-diag.js';
export { TransformedDistribution } from '../flows/distributions/transformed-distribution.js';
export { Bernoulli } from '../flows/distributions/bernoulli.js';
export { Categorical } from '../flows/distributions/categorical.js';
export { Independent } from '../flows/distributions/independent.js';
export { Autoregressive, madeConditionals } from '../flows/distributions/autoregressive.js';

// ---- the Keras-like surface: layers, Sequential, fit, callbacks, losses ----------------------
export { Layer } from './layers/layer.js';
export { InputLayer } from './layers/input-layer.js';
export { Dense } from './layers/dense.js';
export { DistributionLambda, registerDistributionFn, type MakeDistributionFn } from './layers/distribution-lambda.js';
export { AutoregressiveTransform } from './layers/autoregressive-transform.js';
export { PermuteTransform } from './layers/permute-transform.js';
export { FlowLayer } from './layers/flow-layer.js';
export { meanSquaredError, negativeLogLikelihood, type LossFn, type LossName } from './losses.js';
export { Sequential, type CompileArgs, type PredictOptions } from './models/sequential.js';
export type { Dataset, DatasetBatch, FitDatasetOptions } from './models/fit-dataset.js';
export { NonFiniteLossError, type FitOptions, type EvaluateOptions, type DataInput } from './models/training.js';
export {
  Callback, EarlyStopping, TerminateOnNaN, type CallbacksArg, type EarlyStoppingOptions, type Logs,
} from './models/callbacks.js';
export { History } from './models/history.js';

// ---- errors, limits, seeds -----------------------------------------------------------------
export { ValueError } from './util/errors.js';
export { getLimits, setLimits, DEFAULT_LIMITS, type Limits } from './util/limits.js';
export { Random, setGlobalSeed, type Seed } from './util/random.js';
export type { Shape } from './util/shape.js';
