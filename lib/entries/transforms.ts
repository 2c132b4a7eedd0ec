/** maflow/transforms: the transform families, elementwise bijections of one dimension from its P
 * network outputs (zuko's "univariate transformations"): affine, bounded affine and the
 * rational-quadratic spline, their option types, the op that applies one (applyTransform), the
 * spline's reading as TFP's bijector parameters, the log-scale soft clamp, and a family from its config.
 * @module maflow/transforms
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export type { TransformFamily, TransformFamilyConfig, TransformFamilyName } from '../../flows/transforms/family.js';
export {
  affineFamily, boundedAffineFamily, type AffineFamilyOptions, type BoundedAffineFamilyOptions,
} from '../../flows/transforms/affine.js';
export {
  splineFamily, splineParametersOf, type SplineFamily, type SplineFamilyOptions, type SplineParameters,
} from '../../flows/transforms/spline.js';
export { applyTransform, type TransformDirection, type TransformResult } from '../../flows/transforms/transform-op.js';
export { softClamp, softClampValue, type LogScaleClamp } from '../../flows/transforms/log-scale-clamp.js';
export { transformFamilyFromConfig } from '../../flows/transforms/registry.js';
