// TensorLike: the one input type of every public method that takes data, and its converter.
import { assert, ValueError } from '../lib/util/errors.js';
import { describe } from '../lib/util/validate.js';
import {
  isNdarray, scalar, Tensor, tensor, type NdArrayLike, type NestedArray, type NumericArray, type ShapedArray,
} from './tensor.js';

/**
 * Data as every public method takes it (`logProb`, `fit`, `predict`, ops, bijectors,
 * `conditionalInput`): converted by {@link toTensor}, then checked the same way whatever its form.
 *
 * - a `Tensor`, used as it is (gradients reach it);
 * - a number (a scalar), or nested arrays of numbers (`[[1, 2], [3, 4]]`, shape inferred);
 * - a flat typed array (shape `[length]`; a `Float64Array` is wrapped without a copy);
 * - `{ data, shape }`: flat row-major values and their shape, e.g. `{ data: new Float64Array(6), shape: [3, 2] }`;
 * - an ndarray (scijs), any strided view, copied in row-major order.
 */
export type TensorLike = Tensor | NestedArray | NumericArray | ShapedArray | NdArrayLike;

const EXPECTED = 'a Tensor, a number, nested arrays of numbers, a typed array, { data, shape } or an ndarray';

/** True for `{ data, shape }` with a flat array of values and a shape (and no strides: that is an ndarray). */
function isShapedArray(v: unknown): v is ShapedArray {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const { data, shape } = v as { data?: unknown; shape?: unknown };
  return (Array.isArray(data) || ArrayBuffer.isView(data)) && Array.isArray(shape);
}

/**
 * Converts a {@link TensorLike} into a Tensor. A Tensor passes through untouched; a number
 * becomes a scalar; everything else goes through {@link tensor}, so ragged arrays, non-numbers
 * and sizes that do not fit the shape are caught the same way for every form.
 *
 * @param x - the value a user passed
 * @param arg - the argument to name, e.g. `'x'`
 * @param where - the function to name in errors, e.g. `'MultivariateNormalDiag.logProb'`
 * @throws TypeError naming `where`, `arg` and what arrived, for a value of no accepted kind or
 *   holding a non-number; ValueError for a ragged array or data that does not fill its shape
 */
export function toTensor(x: unknown, arg: string, where: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') return scalar(x);
  const ok = Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView)) || isNdarray(x) || isShapedArray(x);
  assert(ok, () => `${where}: '${arg}' must be ${EXPECTED}, got ${describe(x)}`, TypeError);
  try {
    if (isShapedArray(x) && !isNdarray(x)) return tensor(x.data as ArrayLike<number>, x.shape.slice());
    return tensor(x as NestedArray | NumericArray | NdArrayLike);
  } catch (e) {
    const message = (e as Error).message.replace(/^tensor: /, '');
    throw new (e instanceof TypeError ? TypeError : ValueError)(`${where}: '${arg}' is not a valid ${describeKind(x)}: ${message}`);
  }
}

/** The form of a {@link TensorLike} for error messages. */
function describeKind(x: unknown): string {
  if (Array.isArray(x)) return 'array';
  if (isNdarray(x)) return 'ndarray';
  if (isShapedArray(x)) return '{ data, shape }';
  return 'typed array';
}
