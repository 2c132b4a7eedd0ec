/** maflow/bijectors: every bijector with the types of its options, arguments and results (TFP's
 * tfp.bijectors). The root exports the same classes; import from here for their types.
 * Direction follows TFP: forward = base → data (sampling), inverse = data → base (density).
 * @module maflow/bijectors
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export {
  Bijector, type BijectorKwargs, type LogDetKwargs, type BijectorConfig, type BijectorParameters,
  type ForwardResult, type InverseResult, type ParamLike,
} from '../../flows/bijectors/bijector.js';
export { Shift, type ShiftOptions } from '../../flows/bijectors/shift.js';
export { Scale, type ScaleOptions } from '../../flows/bijectors/scale.js';
export { Chain } from '../../flows/bijectors/chain.js';
export { Invert } from '../../flows/bijectors/invert.js';
export { Permute, Reverse } from '../../flows/bijectors/permute.js';
export { BatchNormalization, type BatchNormalizationOptions } from '../../flows/bijectors/batch-normalization.js';
export {
  MaskedAutoregressiveFlow, type MaskedAutoregressiveFlowOptions, type MaskedAutoregressiveFlowFunctions,
  type ShiftAndLogScale, type ShiftAndLogScaleFn, type BijectorFn,
} from '../../flows/bijectors/masked-autoregressive-flow.js';
export { Logit, type LogitOptions } from '../../flows/bijectors/logit.js';
export { Standardize, type StandardizeOptions } from '../../flows/bijectors/standardize.js';
export { RationalQuadraticSpline, type RationalQuadraticSplineOptions } from '../../flows/bijectors/rational-quadratic-spline.js';
