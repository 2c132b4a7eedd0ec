// Argument checks shared by the layers and the model: thin names over lib/util/validate.ts, kept so the call sites read as before.
import type { Tensor } from '../../autodiff/tensor.js';
import { toTensor } from '../../autodiff/tensor-like.js';
import { checkOptions, checkPositiveInt } from '../util/validate.js';

export { checkFinite, describe } from '../util/validate.js';

/**
 * Data argument `name` of `where` as a Tensor: any `TensorLike` form, converted by `toTensor`.
 * @throws TypeError / ValueError naming `where` and `name`, as `toTensor`
 */
export function toTensorArg(x: unknown, name: string, where: string): Tensor {
  return toTensor(x, where, name);
}

/**
 * Checks that `options` is a plain object (or `undefined`) whose keys are all in `allowed`,
 * so that a typo (`batchsize`) is an error and not a silently ignored option.
 *
 * @returns the options as a record (empty for `undefined`)
 * @throws TypeError naming `where` and the unknown key, and listing the valid ones
 */
export function checkOptionNames(options: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
  return checkOptions(options, allowed, where);
}

/**
 * `value`, or `fallback` when it is `undefined`, checked to be an integer ≥ 1.
 * @throws TypeError for a non-number; RangeError for a number that is not a positive integer
 */
export function positiveInt(value: unknown, fallback: number | undefined, name: string, where: string): number {
  return checkPositiveInt(value, name, where, fallback);
}
