// Shapes: validation, sizes, strides and printing. A shape is a list of non-negative integers.
import { checkNoHoles } from './arrays.js';
import { assert } from './errors.js';

/** A tensor shape, outermost dimension first (row-major). `[]` is a scalar. */
export type Shape = readonly number[];

/** Formats a shape the way every error message prints it: `[5,3,2]`. */
export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: `strides[i]` is how far one step along axis `i` moves in the flat data. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Checks that every entry is a non-negative integer.
 * @throws TypeError if `shape` is not an array; RangeError naming `where` and the shape otherwise
 */
export function checkShape(shape: unknown, where: string): Shape {
  assert(Array.isArray(shape), () => `${where}: shape must be an array of integers, got ${String(shape)}`, TypeError);
  checkNoHoles(shape, 'shape', where);
  for (const d of shape as unknown[]) {
    assert(
      typeof d === 'number' && Number.isInteger(d) && d >= 0,
      () => `${where}: shape entries must be non-negative integers, got [${(shape as unknown[]).join(',')}]`,
      RangeError,
    );
  }
  return shape as Shape;
}

/** True when the two shapes are equal entry by entry. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Resolves a possibly negative axis (`-1` is the last) against a rank.
 * @throws RangeError naming `where` when the axis is outside `[-rank, rank)`
 */
export function normalizeAxis(axis: number, rank: number, where: string): number {
  assert(
    Number.isInteger(axis) && axis >= -rank && axis < rank,
    () => `${where}: axis ${axis} is out of range for rank ${rank} (expected an integer in [${-rank}, ${rank}))`,
    RangeError,
  );
  return axis < 0 ? axis + rank : axis;
}

/**
 * For every flat (row-major) index of `shape`, the offset `Σ_axis index[axis] · strides[axis]`.
 * With a zero stride along an axis, every position on that axis maps to the same offset: this
 * is how broadcasting reads its inputs and how a reduction finds its output cell.
 */
export function offsetMap(shape: Shape, strides: readonly number[]): Int32Array {
  const rank = shape.length;
  const size = sizeOf(shape);
  const map = new Int32Array(size);
  const counter = new Array<number>(rank).fill(0);
  let at = 0;
  for (let i = 0; i < size; i++) {
    map[i] = at;
    // Odometer increment of the multi-index, keeping `at` in step.
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]++;
      at += strides[axis];
      if (counter[axis] < shape[axis]) break;
      at -= strides[axis] * counter[axis];
      counter[axis] = 0;
    }
  }
  return map;
}
