// Argument checks shared by the layers and the model: option names, counts, and the data given to fit/evaluate.
import { checkOptionsObject } from '../../autodiff/optimizers/optimizer.js';
import { Tensor, tensor, type NestedArray } from '../../autodiff/tensor.js';
import { assert, ValueError } from '../util/errors.js';
import { fmt } from '../util/shape.js';

/**
 * Checks that `options` is a plain object (or `undefined`) whose keys are all in `allowed`,
 * so that a typo (`batchsize`) is an error and not a silently ignored option.
 *
 * @returns the options as a record (empty for `undefined`)
 * @throws TypeError naming `where` and the unknown key, and listing the valid ones
 */
export function checkOptionNames(options: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
  return checkOptionsObject(where, options, allowed);
}

/** A short description of a value for messages: a number itself, else its kind. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `the string '${v}'`;
  if (v instanceof Tensor) return `a Tensor of shape ${fmt(v.shape)}`;
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`;
  return typeof v;
}

/**
 * `value`, or `fallback` when it is `undefined`, checked to be an integer ≥ 1.
 * @throws TypeError for a non-number; RangeError for a number that is not a positive integer
 */
export function positiveInt(value: unknown, fallback: number | undefined, name: string, where: string): number {
  if (value === undefined && fallback !== undefined) return fallback;
  assert(typeof value === 'number', () => `${where}: '${name}' must be a positive integer, got ${describe(value)}`, TypeError);
  assert(Number.isInteger(value) && value >= 1, () => `${where}: '${name}' must be a positive integer, got ${value}`, RangeError);
  return value;
}

/**
 * Turns `x` into a tensor (nested arrays are copied; tensors are used as they are).
 * @throws TypeError when `x` is neither a Tensor nor nested arrays of numbers
 */
export function toTensorArg(x: unknown, name: string, where: string): Tensor {
  if (x instanceof Tensor) return x;
  assert(Array.isArray(x) || x instanceof Float64Array, () => `${where}: '${name}' must be a Tensor or nested arrays of numbers, got ${describe(x)}`, TypeError);
  try {
    return tensor(x as NestedArray);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new (e instanceof TypeError ? TypeError : ValueError)(`${where}: '${name}' is not a valid array: ${message}`);
  }
}

/**
 * Checks that data for fit/evaluate holds only finite numbers. The first offending entry is
 * named by row (the first axis) and column (the remaining axes, flattened), both 0-based.
 *
 * @throws ValueError such as `Sequential.fit: 'y' has NaN at row 3, column 1 (shape [100,2]); remove or impute it before training`
 */
export function checkFinite(x: Tensor, name: string, where: string): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const cols = x.rank === 0 ? 1 : x.size / x.shape[0];
      const row = Math.floor(i / cols);
      const column = i - row * cols;
      throw new ValueError(`${where}: '${name}' has ${d[i]} at row ${row}, column ${column} (shape ${fmt(x.shape)}); ` +
        'every value must be a finite number: remove or impute it before training');
    }
  }
}
