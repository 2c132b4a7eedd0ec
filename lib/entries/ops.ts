/** maflow/ops: every op function, one name each (TF.js's `tf.add`, `tf.gather`, …), and the tensor
 * helpers under them. The root holds the same functions as one namespace (`import { ops } from 'maflow'`);
 * most are also Tensor methods (`x.add(y).exp().sum()`), which is what everyday code calls.
 * @module maflow/ops
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export {
  Tensor, tensor, scalar, zeros, ones, full, noGrad, isGradEnabled,
  type TensorData, type NestedArray, type NdArrayLike, type NdArrayView, type NumericArray, type ShapedArray,
} from '../../autodiff/tensor.js';
export { toTensor, type TensorLike } from '../../autodiff/tensor-like.js';
export { broadcastShapes } from '../../autodiff/broadcast.js';
export { add, sub, mul, div, maximum, minimum, mulExp } from '../../autodiff/ops/binary.js';
export {
  neg, exp, log, log1p, expm1, sqrt, square, pow, abs, tanh, sigmoid, relu, elu, softplus, clip,
} from '../../autodiff/ops/unary.js';
export { sum, mean, max, logSumExp, type Axes } from '../../autodiff/ops/reduce.js';
export {
  reshape, transpose, concat, stack, unstack, slice, gather, expandDims, squeeze, broadcastTo,
} from '../../autodiff/ops/shape.js';
export { where, type NestedBooleans } from '../../autodiff/ops/select.js';
export { matmul } from '../../autodiff/ops/matmul.js';
export { maskedMatmul, maskedMatmulReference } from '../../autodiff/ops/masked-matmul.js';
