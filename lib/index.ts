// maflow's root entry: every public name, grouped by layer (autodiff → flows → Keras-like surface). It runs
// anywhere, browsers included; what needs Node's file system is in lib/node/index.ts (`maflow/node`).
import '../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

// ---- autodiff: tensors, ops, kernels, optimizers -----------------------------------------
export {
  Tensor, tensor, zeros, ones, full, scalar, noGrad, isGradEnabled,
  type TensorData, type NestedArray, type NdArrayLike, type NdArrayView, type NumericArray, type ShapedArray,
} from '../autodiff/tensor.js';
export { toTensor, type TensorLike } from '../autodiff/tensor-like.js';
export { broadcastShapes } from '../autodiff/broadcast.js';
export { add, sub, mul, div, maximum, minimum, mulExp } from '../autodiff/ops/binary.js';
export {
  neg, exp, log, log1p, expm1, sqrt, square, pow, abs, tanh, sigmoid, relu, elu, softplus, clip,
} from '../autodiff/ops/unary.js';
export { sum, mean, max, logSumExp, type Axes } from '../autodiff/ops/reduce.js';
export {
  reshape, transpose, concat, stack, unstack, slice, gather, expandDims, squeeze, broadcastTo,
} from '../autodiff/ops/shape.js';
export { where, type NestedBooleans } from '../autodiff/ops/select.js';
export { matmul } from '../autodiff/ops/matmul.js';
export { maskedMatmul, maskedMatmulReference } from '../autodiff/ops/masked-matmul.js';
export {
  gemm, gemmReference, gemmStaircase, gemmStaircaseReference, gemmProduct, type GemmOptions, type GemmRequest, type Staircase,
} from '../autodiff/kernels/gemm.js';
export { maskPlan, type MaskPlan } from '../autodiff/kernels/mask-plan.js';
export {
  setKernelMode, getKernelMode, withKernelMode, setNumThreads, getNumThreads, MAX_THREADS, type KernelMode,
  setGemmBackend, getGemmBackend, withGemmBackend, simdAvailable, type GemmBackend,
} from '../autodiff/kernels/config.js';
export { startThreads, stopThreads, threadStats, type ThreadStats } from '../autodiff/kernels/threads.js';
export { Optimizer, type ClipOptions, type OptimizerState, type OptimizerSnapshot } from '../autodiff/optimizers/optimizer.js';
export { Adam, type AdamOptions, type AdamConfig } from '../autodiff/optimizers/adam.js';
export { SGD, type SGDOptions, type SGDConfig } from '../autodiff/optimizers/sgd.js';
export * as initializers from '../autodiff/initializers.js';
export { getInitializer, type Initializer, type InitializerName } from '../autodiff/initializers.js';

// ---- flows: MADE ---------------------------------------------------------------------------
export {
  createInputOrder, createDegrees, type InputOrder, type HiddenDegrees, type DegreesOptions,
} from '../flows/degrees.js';
export { makeMasks, masksFromDegrees, type MaskOptions } from '../flows/masks.js';
export { getActivation, ACTIVATION_NAMES, type Activation, type ActivationName } from '../flows/activations.js';
export {
  AutoregressiveNetwork, type AutoregressiveNetworkOptions, type AutoregressiveNetworkConfig,
  type InitializerSpec, type ConditionalInputLayers, type LayerInitializers, type NetworkCallOptions,
  type NetworkStructure, type MaskedLayerStructure,
} from '../flows/autoregressive-network.js';

// ---- flows: bijectors (forward = base → data, the sampling direction; inverse = density) --------
export {
  Bijector, type BijectorKwargs, type LogDetKwargs, type BijectorConfig, type BijectorParameters, type JsonValue,
  type ForwardResult, type InverseResult, type ParamLike,
} from '../flows/bijectors/bijector.js';
export { Shift, type ShiftOptions } from '../flows/bijectors/shift.js';
export { Scale, type ScaleOptions } from '../flows/bijectors/scale.js';
export { Chain } from '../flows/bijectors/chain.js';
export { Invert } from '../flows/bijectors/invert.js';
export { Permute, Reverse } from '../flows/bijectors/permute.js';
export { BatchNormalization, type BatchNormalizationOptions } from '../flows/bijectors/batch-normalization.js';
export {
  MaskedAutoregressiveFlow, type MaskedAutoregressiveFlowOptions, type MaskedAutoregressiveFlowFunctions,
  type ShiftAndLogScale, type ShiftAndLogScaleFn, type BijectorFn,
} from '../flows/bijectors/masked-autoregressive-flow.js';
export { softClamp, softClampValue, type LogScaleClamp } from '../flows/bijectors/log-scale-clamp.js';
export { bijectorFromConfig } from '../flows/bijectors/serialization.js';
export { onePassForward } from '../flows/one-pass-sampler.js';
export { Logit, type LogitOptions } from '../flows/bijectors/logit.js';
export { Standardize, type StandardizeOptions } from '../flows/bijectors/standardize.js';
// ---- flows: transform families (what a MAF layer does to each dimension, from its P parameters) ----
export type { TransformFamily, TransformFamilyConfig, TransformFamilyName } from '../flows/transforms/family.js';
export {
  affineFamily, boundedAffineFamily, type AffineFamilyOptions, type BoundedAffineFamilyOptions,
} from '../flows/transforms/affine.js';
export { transformFamilyFromConfig } from '../flows/transforms/registry.js';
export { applyTransform, type TransformDirection, type TransformResult } from '../flows/transforms/transform-op.js';
/** TFP's rational-quadratic spline bijector (Durkan et al. 2019): elementwise, K bins, the identity outside its range. */
export { RationalQuadraticSpline, type RationalQuadraticSplineOptions } from '../flows/bijectors/rational-quadratic-spline.js';
/** The rational-quadratic spline family (P = 3K − 1 parameters per dimension) and its reading as TFP's bijector parameters. */
export {
  splineFamily, splineParametersOf, type SplineFamily, type SplineFamilyOptions, type SplineParameters,
} from '../flows/transforms/spline.js';
export { maskedAutoregressiveFlow, type MaskedAutoregressiveFlowStackOptions, type StackTransform } from '../flows/maf.js';

// ---- flows: distributions --------------------------------------------------------------------
export {
  Distribution, type SampleShape, type SampleOptions, type LogProbOptions, type ValueLike, type DistributionConfig,
  type DistributionParameters, type SampleResult,
} from '../flows/distributions/distribution.js';
export { Normal, type NormalOptions } from '../flows/distributions/normal.js';
export { MultivariateNormalDiag, type MultivariateNormalDiagOptions } from '../flows/distributions/multivariate-normal-diag.js';
export { TransformedDistribution, type TransformedDistributionOptions } from '../flows/distributions/transformed-distribution.js';
export { Bernoulli, type BernoulliOptions } from '../flows/distributions/bernoulli.js';
export { Categorical, type CategoricalOptions } from '../flows/distributions/categorical.js';
export { Independent, type IndependentOptions } from '../flows/distributions/independent.js';
export {
  Autoregressive, madeConditionals, type AutoregressiveOptions, type AutoregressiveLogProbOptions, type MadeConditional,
  type MadeConditionalsOptions, type MadeDistributionFn,
} from '../flows/distributions/autoregressive.js';
export { distributionFromConfig } from '../flows/distributions/serialization.js';

// ---- the Keras-like surface: layers, Sequential, fit, callbacks, saving ----------------------
export { Layer, isDistribution, type LayerOutput, type CallOptions, type LayerConfig, type LayerArgs, type ConvertToTensorFn } from './layers/layer.js';
export { InputLayer, type InputLayerArgs } from './layers/input-layer.js';
export { Dense, type DenseArgs } from './layers/dense.js';
export { DistributionLambda, registerDistributionFn, getDistributionFn, type DistributionLambdaArgs, type MakeDistributionFn } from './layers/distribution-lambda.js';
export { AutoregressiveTransform, type AutoregressiveTransformArgs } from './layers/autoregressive-transform.js';
export { PermuteTransform, type PermuteTransformArgs } from './layers/permute-transform.js';
export { FlowLayer, type FlowLayerArgs } from './layers/flow-layer.js';
export { LayerTransformedDistribution } from './layers/layer-transformed-distribution.js';
export { registerLayer, layerFromConfig, type LayerFactory } from './layers/registry.js';
export { getLoss, meanSquaredError, negativeLogLikelihood, LOSS_NAMES, type LossFn, type LossName } from './losses.js';
export {
  Sequential, type CompileArgs, type SequentialArgs, type SummaryOptions, type SequentialCallOptions, type PredictOptions,
} from './models/sequential.js';
export { type Dataset, type DatasetBatch, type FitDatasetOptions } from './models/fit-dataset.js';
export { flowToJSON, distributionFromJSON, bijectorFromJSON, type FlowJSON } from './models/flow-json.js';
export { NonFiniteLossError, type FitOptions, type EvaluateOptions, type DataInput, type TrainableModel } from './models/training.js';
export {
  Callback, EarlyStopping, TerminateOnNaN, type CallbackHooks, type CallbacksArg, type CallbackModel, type EarlyStoppingOptions, type Logs, type TrainParams,
} from './models/callbacks.js';
export { History } from './models/history.js';
export { ProgressBar, type OutputStream, type ProgressBarOptions } from './models/progress.js';
export {
  registerOptimizer, MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelJSON, type OptimizerJSON, type EncodedTensor, type OptimizerFactory,
} from './models/save.js';

// ---- data and utilities ----------------------------------------------------------------------
export { parseCsv, type CsvTable } from './data/csv.js';
export { trainValidationTestSplit, type Split } from './data/split.js';
export { dequantize, dequantizedLogProb, type DequantizeOptions } from './data/dequantize.js';
export { ValueError } from './util/errors.js';
export { getLimits, setLimits, DEFAULT_LIMITS, type Limits } from './util/limits.js';
export type { RegisterOptions } from './util/register.js';
export { Random, setGlobalSeed, type Seed } from './util/random.js';
export type { Shape } from './util/shape.js';
