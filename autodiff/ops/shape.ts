// Shape ops: reshape, transpose, concat, stack, unstack, slice, gather, expandDims, squeeze, broadcastTo.
import { assert, ValueError } from '../../lib/util/errors.js';
import { checkNoHoles } from '../../lib/util/arrays.js';
import { checkShapeElements } from '../../lib/util/limits.js';
import { checkShape, fmt, normalizeAxis, sameShape, sizeOf, stridesOf, type Shape } from '../../lib/util/shape.js';
import { broadcastPlan } from '../broadcast.js';
import { outGrad, record, Tensor } from '../tensor.js';

function mustBeTensor(x: unknown, op: string, arg: string): asserts x is Tensor {
  assert(x instanceof Tensor, () => `${op}: '${arg}' must be a Tensor, got ${x === null ? 'null' : typeof x}`, TypeError);
}

function mustBeTensorList(tensors: unknown, op: string): asserts tensors is readonly Tensor[] {
  assert(Array.isArray(tensors), () => `${op}: 'tensors' must be an array of Tensors, got ${typeof tensors}`, TypeError);
  checkNoHoles(tensors, 'tensors', op);
  assert(tensors.length > 0, () => `${op}: 'tensors' is empty, expected at least one Tensor`);
  tensors.forEach((t: unknown, k) => mustBeTensor(t, op, `tensors[${k}]`));
}

/**
 * The flat input index read by each flat output index of a gather-like op.
 * Along output axis `a`, step `k` adds `table[a][k]` to the input offset, so
 * `map[o] = base + Σ_a table[a][index_a(o)]`. Transpose, slice, gather, broadcast
 * and unstack differ only in their tables (e.g. slice: `table[a][k] = (begin[a] + k) · stride[a]`).
 */
function indexMap(shape: Shape, table: ReadonlyArray<ArrayLike<number>>, base: number): Int32Array {
  const size = sizeOf(shape);
  const map = new Int32Array(size);
  if (size === 0) return map;
  const rank = shape.length;
  const counter = new Array<number>(rank).fill(0);
  let at = base;
  for (let a = 0; a < rank; a++) at += table[a][0];
  for (let o = 0; o < size; o++) {
    map[o] = at;
    // Odometer increment of the output multi-index, keeping `at` in step.
    for (let a = rank - 1; a >= 0; a--) {
      const k = counter[a];
      if (k + 1 < shape[a]) {
        at += table[a][k + 1] - table[a][k];
        counter[a] = k + 1;
        break;
      }
      at += table[a][0] - table[a][k];
      counter[a] = 0;
    }
  }
  return map;
}

/** `table[a][k] = (start[a] + k) · stride[a]`: an axis walked in order from `start`. */
function affineTable(shape: Shape, strides: readonly number[], start?: readonly number[]): Float64Array[] {
  return shape.map((d, a) => {
    const t = new Float64Array(d);
    for (let k = 0; k < d; k++) t[k] = ((start ? start[a] : 0) + k) * strides[a];
    return t;
  });
}

/**
 * The shared shape of every op that reads its output from its input: `y[o] = x[map[o]]`.
 * Backward is the adjoint, a scatter-add `dx[map[o]] += dy[o]`, so an input element read
 * several times (broadcast, repeated gather indices) collects every contribution.
 */
function pick(op: string, x: Tensor, map: Int32Array, shape: Shape): Tensor {
  const xd = x.data;
  const y = new Float64Array(map.length);
  const forward = (): void => {
    for (let o = 0; o < map.length; o++) y[o] = xd[map[o]];
  };
  forward();
  return record(op, y, shape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let o = 0; o < map.length; o++) gx[map[o]] += g[o];
  }, forward);
}

/**
 * A new shape over the same row-major data: no copy, since row-major order does not
 * depend on how the flat data is cut into axes. Backward passes the gradient straight through.
 */
function view(op: string, x: Tensor, shape: Shape): Tensor {
  return record(op, x.data, shape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let i = 0; i < g.length; i++) gx[i] += g[i];
  }, NOTHING_TO_DO);
}

/** The forward of a view: its data is its input's, so there is nothing to recompute. */
const NOTHING_TO_DO = (): void => {};

/**
 * The same values under a new shape, sharing `x.data` (row-major, so no copy is needed).
 * One entry may be −1: it is inferred so that the sizes match.
 * Backward: `dx = reshape(dy, x.shape)`.
 *
 * @param x - any shape
 * @param shape - the new shape; its size must equal `x.size`
 * @returns a tensor of `shape` (with −1 resolved) viewing `x.data`
 * @throws TypeError if `shape` is not an array; RangeError for entries that are not integers ≥ −1;
 *   ValueError for two −1 entries, or sizes that do not match
 * @example reshape(tensor([1, 2, 3, 4, 5, 6]), [2, -1]) // [[1, 2, 3], [4, 5, 6]]
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  mustBeTensor(x, 'reshape', 'x');
  assert(Array.isArray(shape), () => `reshape: 'shape' must be an array of integers, got ${String(shape)}`, TypeError);
  checkNoHoles(shape, 'shape', 'reshape');
  let inferAt = -1;
  let known = 1;
  shape.forEach((d, i) => {
    assert(typeof d === 'number' && Number.isInteger(d) && d >= -1,
      () => `reshape: 'shape' entries must be integers ≥ 0 (or one −1), got ${fmt(shape)}`, RangeError);
    if (d === -1) {
      assert(inferAt < 0, () => `reshape: 'shape' ${fmt(shape)} has more than one −1; only one size can be inferred`);
      inferAt = i;
    } else {
      known *= d;
    }
  });
  const resolved = shape.slice();
  if (inferAt >= 0) {
    // With a 0 among the known sizes every value of the −1 would fit: refuse rather than guess.
    assert(known > 0 && x.size % known === 0,
      () => `reshape: cannot infer the −1 in 'shape' ${fmt(shape)} for 'x' of shape ${fmt(x.shape)} (${x.size} values)`);
    resolved[inferAt] = x.size / known;
  }
  assert(sizeOf(resolved) === x.size,
    () => `reshape: 'x' of shape ${fmt(x.shape)} has ${x.size} values but 'shape' ${fmt(shape)} holds ${sizeOf(resolved)}`);
  return view('reshape', x, resolved);
}

/**
 * Permutes the axes: output axis `i` is input axis `perm[i]`, so `y[i₀, …] = x[…]` with
 * `y.shape[i] = x.shape[perm[i]]`. Backward applies the inverse permutation to the gradient.
 *
 * @param x - any shape
 * @param perm - a permutation of `0 … rank−1` (negative entries count from the end); default reverses the axes
 * @returns a new tensor (the data is copied in the new order)
 * @throws TypeError if `perm` is not an array; ValueError if it is not a permutation of the axes
 * @example transpose(tensor([[1, 2, 3], [4, 5, 6]])) // [[1, 4], [2, 5], [3, 6]]
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  mustBeTensor(x, 'transpose', 'x');
  const rank = x.rank;
  let p: number[];
  if (perm === undefined) {
    p = x.shape.map((_, i) => rank - 1 - i);
  } else {
    assert(Array.isArray(perm), () => `transpose: 'perm' must be an array of axes, got ${String(perm)}`, TypeError);
    checkNoHoles(perm, 'perm', 'transpose');
    assert(perm.length === rank, () => `transpose: 'perm' [${perm.join(',')}] has ${perm.length} entries but 'x' of shape ${fmt(x.shape)} has rank ${rank}`);
    p = perm.map((a) => normalizeAxis(a, rank, 'transpose'));
    const seen = new Array<boolean>(rank).fill(false);
    for (const a of p) {
      assert(!seen[a], () => `transpose: 'perm' [${perm.join(',')}] is not a permutation of 0..${rank - 1} for 'x' of shape ${fmt(x.shape)}`);
      seen[a] = true;
    }
  }
  const inStrides = stridesOf(x.shape);
  const shape = p.map((a) => x.shape[a]);
  return pick('transpose', x, indexMap(shape, affineTable(shape, p.map((a) => inStrides[a])), 0), shape);
}

/**
 * Places each input's flat data into the joint output: `map[t][i]` is the output index of
 * input `t`'s element `i`. Backward reads each input's gradient back from those places.
 */
function join(op: string, tensors: readonly Tensor[], shape: Shape, maps: Int32Array[]): Tensor {
  const y = new Float64Array(sizeOf(shape));
  const forward = (): void => {
    tensors.forEach((t, k) => {
      const m = maps[k];
      for (let i = 0; i < m.length; i++) y[m[i]] = t.data[i];
    });
  };
  forward();
  return record(op, y, shape, tensors, (out) => {
    const g = outGrad(out);
    tensors.forEach((t, k) => {
      if (!t.requiresGrad) return;
      const m = maps[k];
      const gt = t.gradData();
      for (let i = 0; i < m.length; i++) gt[i] += g[m[i]];
    });
  }, forward);
}

/**
 * Joins tensors along an existing axis: `y = [x₀ | x₁ | …]` along `axis`.
 * Backward: each input gets its own slab of the gradient.
 *
 * @param tensors - one or more tensors of equal rank ≥ 1 whose shapes agree except along `axis`
 * @param axis - the axis to join along (negative counts from the end)
 * @returns shape of `tensors[0]` with `axis` of size `Σ_t tensors[t].shape[axis]`
 * @throws TypeError unless `tensors` is a non-empty array of Tensors; RangeError for a bad axis;
 *   ValueError for ranks or sizes off `axis` that differ
 * @example concat([zeros([2, 3]), zeros([2, 1])], 1).shape // [2, 4]
 */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  mustBeTensorList(tensors, 'concat');
  const first = tensors[0];
  const ax = normalizeAxis(axis, first.rank, 'concat');
  tensors.forEach((t, k) => {
    assert(t.rank === first.rank && t.shape.every((d, i) => i === ax || d === first.shape[i]),
      () => `concat: tensors[${k}] has shape ${fmt(t.shape)} but tensors[0] has ${fmt(first.shape)}; they must agree except along axis ${axis}`);
  });
  const shape = first.shape.slice();
  shape[ax] = tensors.reduce((n, t) => n + t.shape[ax], 0);
  const outStrides = stridesOf(shape);
  let offset = 0;
  const maps = tensors.map((t) => {
    const m = indexMap(t.shape, affineTable(t.shape, outStrides), offset * outStrides[ax]);
    offset += t.shape[ax];
    return m;
  });
  return join('concat', tensors, shape, maps);
}

/**
 * Stacks equally shaped tensors along a new axis: `y[…, t, …] = tensors[t]` with `t` at `axis`.
 * Backward: each input gets its slice of the gradient.
 *
 * @param tensors - one or more tensors of the same shape `s`
 * @param axis - where the new axis goes, in `[−(rank+1), rank]`; default 0
 * @returns shape `s` with `tensors.length` inserted at `axis`
 * @throws TypeError unless `tensors` is a non-empty array of Tensors; RangeError for a bad axis; ValueError for differing shapes
 * @example stack([tensor([1, 2]), tensor([3, 4])], 1) // [[1, 3], [2, 4]]
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  mustBeTensorList(tensors, 'stack');
  const s = tensors[0].shape;
  tensors.forEach((t, k) => {
    assert(sameShape(t.shape, s), () => `stack: tensors[${k}] has shape ${fmt(t.shape)} but tensors[0] has ${fmt(s)}; all must be equal`);
  });
  const ax = normalizeAxis(axis, s.length + 1, 'stack');
  const shape = [...s.slice(0, ax), tensors.length, ...s.slice(ax)];
  const outStrides = stridesOf(shape);
  const inStrides = outStrides.filter((_, a) => a !== ax); // how each input axis moves in the output
  const maps = tensors.map((_, k) => indexMap(s, affineTable(s, inStrides), k * outStrides[ax]));
  return join('stack', tensors, shape, maps);
}

/**
 * Splits a tensor along `axis` into its `x.shape[axis]` slices, the inverse of {@link stack}.
 * Each output is its own graph node; its backward adds into its slice of `dx`.
 *
 * @param x - rank ≥ 1
 * @param axis - the axis to split and drop; default 0
 * @returns `x.shape[axis]` tensors, each of `x.shape` without `axis`
 * @throws RangeError for a bad axis (including any axis of a scalar)
 * @example unstack(tensor([[1, 2], [3, 4]]), 1) // [[1, 3], [2, 4]] as two tensors
 */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  mustBeTensor(x, 'unstack', 'x');
  const ax = normalizeAxis(axis, x.rank, 'unstack');
  const inStrides = stridesOf(x.shape);
  const shape = x.shape.filter((_, a) => a !== ax);
  const table = affineTable(shape, inStrides.filter((_, a) => a !== ax));
  const out: Tensor[] = [];
  for (let k = 0; k < x.shape[ax]; k++) out.push(pick('unstack', x, indexMap(shape, table, k * inStrides[ax]), shape));
  return out;
}

/**
 * The block of `x` starting at `begin` with extent `size`, as TensorFlow's `tf.slice`:
 * `y[i] = x[begin + i]`. Backward adds the gradient into that block of `dx`.
 *
 * @param x - any shape
 * @param begin - one start per axis, each in `[0, x.shape[a]]`
 * @param size - one extent per axis; `−1` means "to the end" (`x.shape[a] − begin[a]`)
 * @returns shape `size` with the −1 entries resolved
 * @throws TypeError if `begin`/`size` are not arrays; ValueError if their length is not the rank;
 *   RangeError naming `begin` or `size` when the block does not fit inside `x`
 * @example slice(tensor([[1, 2, 3], [4, 5, 6]]), [0, 1], [-1, 2]) // [[2, 3], [5, 6]]
 */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  mustBeTensor(x, 'slice', 'x');
  assert(Array.isArray(begin) && Array.isArray(size), () => `slice: 'begin' and 'size' must be arrays of integers`, TypeError);
  checkNoHoles(begin, 'begin', 'slice');
  checkNoHoles(size, 'size', 'slice');
  assert(begin.length === x.rank && size.length === x.rank,
    () => `slice: 'begin' [${begin.join(',')}] and 'size' [${size.join(',')}] need one entry per axis of 'x' of shape ${fmt(x.shape)}`);
  const shape = x.shape.map((d, a) => {
    const b = begin[a];
    assert(Number.isInteger(b) && b >= 0 && b <= d,
      () => `slice: 'begin' [${begin.join(',')}] is out of range for 'x' of shape ${fmt(x.shape)} (axis ${a}: expected an integer in [0, ${d}])`, RangeError);
    const n = size[a] === -1 ? d - b : size[a];
    assert(Number.isInteger(n) && n >= 0 && b + n <= d,
      () => `slice: 'size' [${size.join(',')}] with 'begin' [${begin.join(',')}] is out of range for 'x' of shape ${fmt(x.shape)} (axis ${a}: expected −1 or an integer in [0, ${d - b}])`, RangeError);
    return n;
  });
  return pick('slice', x, indexMap(shape, affineTable(shape, stridesOf(x.shape), begin), 0), shape);
}

/**
 * Picks entries along `axis`: `y[…, j, …] = x[…, indices[j], …]`. With a permutation of the
 * last axis, `gather(x, perm, -1)` reorders event dimensions. Backward scatters
 * `dx[…, indices[j], …] += dy[…, j, …]`, so repeated indices accumulate.
 *
 * @param x - rank ≥ 1
 * @param indices - integers in `[0, x.shape[axis])`, repeats allowed
 * @param axis - default 0; negative counts from the end
 * @returns `x.shape` with `axis` of size `indices.length`
 * @throws TypeError if `indices` is not an array; RangeError for a bad axis or an index outside `[0, dim)`
 * @example gather(tensor([[1, 2, 3], [4, 5, 6]]), [2, 0], -1) // [[3, 1], [6, 4]]
 */
export function gather(x: Tensor, indices: readonly number[] | Int32Array, axis = 0): Tensor {
  mustBeTensor(x, 'gather', 'x');
  assert(Array.isArray(indices) || indices instanceof Int32Array, () => `gather: 'indices' must be an array or Int32Array of integers, got ${typeof indices}`, TypeError);
  const ax = normalizeAxis(axis, x.rank, 'gather');
  const dim = x.shape[ax];
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    assert(Number.isInteger(i) && i >= 0 && i < dim,
      () => `gather: 'indices'[${j}] is ${i}, expected an integer in [0, ${dim}) for axis ${axis} of 'x' of shape ${fmt(x.shape)}`, RangeError);
  }
  const shape = x.shape.slice();
  shape[ax] = indices.length;
  const inStrides = stridesOf(x.shape);
  const table = affineTable(shape, inStrides);
  table[ax] = Float64Array.from(indices, (i) => i * inStrides[ax]);
  return pick('gather', x, indexMap(shape, table, 0), shape);
}

/**
 * Inserts an axis of size 1 at `axis`, sharing `x.data`. Backward passes the gradient through.
 *
 * @param axis - in `[−(rank+1), rank]`; −1 appends a last axis
 * @returns `x.shape` with a 1 inserted at `axis`
 * @throws RangeError for an axis out of range
 * @example expandDims(zeros([3, 2]), 1).shape // [3, 1, 2]
 */
export function expandDims(x: Tensor, axis: number): Tensor {
  mustBeTensor(x, 'expandDims', 'x');
  const ax = normalizeAxis(axis, x.rank + 1, 'expandDims');
  return view('expandDims', x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
}

/**
 * Removes axes of size 1, sharing `x.data`. Backward passes the gradient through.
 *
 * @param axis - one axis or several to remove (each must have size 1); default every size-1 axis
 * @returns `x.shape` without those axes
 * @throws RangeError for an axis out of range; ValueError for an axis listed twice or whose size is not 1
 * @example squeeze(zeros([1, 3, 1]), 0).shape // [3, 1]
 */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  mustBeTensor(x, 'squeeze', 'x');
  const drop = new Array<boolean>(x.rank).fill(false);
  if (axis === undefined) {
    x.shape.forEach((d, a) => (drop[a] = d === 1));
  } else {
    const list = typeof axis === 'number' ? [axis] : Array.from(axis);
    for (const a of list) {
      const ax = normalizeAxis(a, x.rank, 'squeeze');
      assert(!drop[ax], () => `squeeze: axis ${a} is listed twice in 'axis' [${list.join(',')}]`);
      assert(x.shape[ax] === 1, () => `squeeze: axis ${a} of 'x' of shape ${fmt(x.shape)} has size ${x.shape[ax]}, expected 1`);
      drop[ax] = true;
    }
  }
  return view('squeeze', x, x.shape.filter((_, a) => !drop[a]));
}

/**
 * Repeats `x` along broadcast axes to `shape`, by NumPy's rules (align on the right; each
 * axis of `x` equal to the target's or 1). Backward sums over the broadcast axes,
 * `dx[j] = Σ_{o reading j} dy[o]`, the adjoint of broadcasting.
 *
 * @param shape - the target shape; `x.shape` must broadcast to exactly it
 * @returns a new tensor of `shape`
 * @throws RangeError for a malformed `shape`; ValueError when `x.shape` does not broadcast to `shape`
 * @example broadcastTo(tensor([1, 2]), [2, 2]) // [[1, 2], [1, 2]]
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  mustBeTensor(x, 'broadcastTo', 'x');
  checkShape(shape, 'broadcastTo');
  checkShapeElements(shape, "'shape'", 'broadcastTo');
  const offset = shape.length - x.rank;
  const fits = offset >= 0 && x.shape.every((d, i) => d === 1 || d === shape[offset + i]);
  if (!fits) throw new ValueError(`broadcastTo: 'x' of shape ${fmt(x.shape)} does not broadcast to 'shape' ${fmt(shape)}`);
  const map = broadcastPlan('broadcastTo', x.shape, shape).index[0];
  // Same shape: nothing repeats, so share the data as a view.
  return map === null ? view('broadcastTo', x, shape) : pick('broadcastTo', x, map, shape);
}
