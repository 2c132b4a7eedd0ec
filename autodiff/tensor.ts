// The Tensor: row-major Float64Array data with a shape, and the bookkeeping reverse-mode autodiff needs.
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { assert, ValueError } from '../lib/util/errors.js';
import { checkShapeElements } from '../lib/util/limits.js';
import { checkShape, fmt, sizeOf, stridesOf, type Shape } from '../lib/util/shape.js';
import { DESCRIBE } from '../lib/util/validate.js';

/** Nested arrays of numbers, as `toArray()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

/**
 * An ndarray (scijs) as maflow reads it: any strided view with `get`. Declared here, not imported
 * from `@types/ndarray`, so maflow's published types need no other package; an `NdArray` of
 * `@types/ndarray` fits it.
 */
export interface NdArrayLike {
  /** The backing store (a typed array or a plain array). */
  data: ArrayLike<number>;
  /** The view's shape. */
  shape: number[];
  /** Step in `data` per index of each axis. */
  stride: number[];
  /** Index in `data` of the view's first element. */
  offset: number;
  /** The element at the given indices. */
  get(...indices: number[]): number;
}

/**
 * What {@link Tensor.toNdarray} returns: the float64 `NdArray` of `@types/ndarray`, spelled out
 * so maflow's types stand alone. It can be passed wherever that type is expected.
 */
export interface NdArrayView extends NdArrayLike {
  /** The tensor's own buffer (shared, not copied). */
  data: Float64Array;
  /** Always `'float64'`. */
  dtype: 'float64';
  /** Number of elements. */
  size: number;
  /** Axes from the smallest stride to the largest. */
  order: number[];
  /** Number of axes. */
  dimension: number;
  /** Writes `value` (the last argument) at the given indices. */
  set(...indicesThenValue: number[]): number;
  /** The flat index in `data` of the given indices. */
  index(...indices: number[]): number;
  /** The view starting at the given indices. */
  lo(...indices: number[]): NdArrayView;
  /** The view ending before the given indices. */
  hi(...indices: number[]): NdArrayView;
  /** The view stepping by the given strides. */
  step(...steps: number[]): NdArrayView;
  /** The view with axes reordered. */
  transpose(...axes: number[]): NdArrayView;
  /** The view with the given axes fixed (`null` keeps an axis). */
  pick(...indices: Array<number | null>): NdArrayView;
  /** The view with the axes reversed. */
  T: NdArrayView;
}

/** A flat typed array of numbers: copied into a Float64Array (a Float64Array is used as is). */
export type NumericArray = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array
  | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray;

/** Flat values in row-major order and the shape they fill, e.g. `{ data: new Float64Array(6), shape: [3, 2] }`. */
export interface ShapedArray {
  /** The values, row-major; `data.length` is the product of `shape`. */
  data: NumericArray | readonly number[];
  /** The shape the values fill. */
  shape: readonly number[];
}

/** Anything a tensor can be built from: nested arrays, a flat typed array, an ndarray or a number. */
export type TensorData = NestedArray | NumericArray | ArrayLike<number> | NdArrayLike;

let noGradDepth = 0;

// Node's util.inspect (and so console.log) calls the method under this symbol, when it exists.
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');
// NumPy's print options: past 1000 values, EDGE entries at each end of every axis.
const SUMMARY_SIZE = 1000;
const EDGE = 3;

/** True unless inside {@link noGrad}: ops record the graph only then. */
export function isGradEnabled(): boolean {
  return noGradDepth === 0;
}

/**
 * Runs `fn` without recording any graph: the results have no parents and
 * `requiresGrad` false. Use it for evaluation, sampling and optimizer updates.
 *
 * @example
 * const logp = noGrad(() => dist.logProb(x)); // no graph kept alive by logp
 */
export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}

/**
 * A dense n-dimensional array of float64 values in row-major order, and a node of
 * the autodiff graph.
 *
 * A tensor made by an op on inputs that require a gradient remembers those inputs
 * (`parents`) and a `backwardFn` that, given this tensor's gradient, adds the
 * contribution to each input's gradient (chain rule). {@link Tensor.backward} runs
 * those functions in reverse topological order. Leaves (tensors no op made, such as
 * weights) keep their `.grad`; intermediate gradients are freed once used.
 */
export class Tensor {
  /** Row-major values; `data.length === size`. Shared, never copied, by `reshape` and `detach`. */
  readonly data: Float64Array;
  /** The shape, outermost first; `[]` for a scalar. */
  readonly shape: Shape;
  /** Number of elements, the product of `shape`. */
  readonly size: number;
  /** Whether gradients flow to (and through) this tensor. */
  requiresGrad: boolean;
  /** The gradient of the last `backward()` root with respect to this tensor, same shape; `null` until then. */
  grad: Tensor | null = null;
  /** Name of the op that made this tensor (`'leaf'` for user-made tensors); used in error messages. */
  readonly op: string;
  /** Inputs of the op that made this tensor, when the graph was recorded. */
  parents: readonly Tensor[];
  /** Adds this tensor's gradient into its parents' gradients; `null` for leaves. */
  backwardFn: (() => void) | null;

  /**
   * Wraps `data` (not copied) as a tensor of `shape`. Prefer the factories
   * {@link tensor}, {@link zeros}, {@link ones}, {@link full}.
   * @throws ValueError when `data.length` is not the size of `shape`
   */
  constructor(data: Float64Array, shape: Shape, options: { requiresGrad?: boolean; op?: string } = {}) {
    const size = checkedSize(shape);
    assert(data.length === size, () => `Tensor: data has ${data.length} values but shape ${fmt(shape)} holds ${size}`);
    this.data = data;
    // Op outputs and gradients reuse an input's shape, already frozen: sharing it saves a copy per op.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.size = size;
    this.requiresGrad = options.requiresGrad ?? false;
    this.op = options.op ?? 'leaf';
    this.parents = [];
    this.backwardFn = null;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /**
   * The gradient buffer, allocated (zero) on first use. Ops' backward functions add into it with `+=`,
   * so a tensor used twice collects both contributions.
   * @internal
   */
  gradData(): Float64Array {
    if (this.grad === null) this.grad = new Tensor(zeroBuffer(this.size), this.shape);
    return this.grad.data;
  }

  /** Drops the gradient (optimizers call this between steps). */
  zeroGrad(): void {
    this.grad = null;
  }

  /**
   * Reverse-mode differentiation from this tensor. Fills `.grad` of every leaf with
   * `requiresGrad` that this tensor depends on.
   *
   * @param gradient - seed gradient, same shape as this tensor; defaults to 1 for a scalar
   * @throws ValueError if this tensor is not a scalar and no `gradient` is given, or it does not require a gradient
   */
  backward(gradient?: Tensor): void {
    assert(this.requiresGrad, () => `Tensor.backward: this tensor (op '${this.op}') does not depend on any tensor with requiresGrad`);
    if (gradient === undefined) {
      assert(this.size === 1, () => `Tensor.backward: called on shape ${fmt(this.shape)} without a gradient; only scalars have an implicit gradient of 1`);
      this.gradData()[0] += 1;
    } else {
      assert(gradient.size === this.size && gradient.rank === this.rank && gradient.shape.every((d, i) => d === this.shape[i]),
        () => `Tensor.backward: 'gradient' has shape ${fmt(gradient.shape)}, expected ${fmt(this.shape)}`);
      const g = this.gradData();
      for (let i = 0; i < g.length; i++) g[i] += gradient.data[i];
    }
    const order = topologicalOrder(this);
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      if (node.backwardFn === null) continue;
      if (node.grad !== null) {
        node.backwardFn();
        for (const p of node.parents) {
          if (p.grad !== null && p.grad.size !== p.size) {
            throw new ValueError(`Tensor.backward: op '${node.op}' produced a gradient of size ${p.grad.size} for an input of shape ${fmt(p.shape)}`);
          }
        }
      }
      // Intermediate gradients are not kept (as PyTorch does by default); no one else holds their
      // buffers (ops only add into gradData() and read outGrad() while their backward runs), so they are reused.
      if (node.grad !== null) releaseBuffer(node.grad.data);
      node.grad = null;
    }
  }

  /** A tensor sharing this one's data, cut from the graph (no parents, no gradient). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A deep copy of the data, cut from the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** The single value of a tensor with one element. @throws ValueError otherwise */
  item(): number {
    assert(this.size === 1, () => `Tensor.item: tensor has shape ${fmt(this.shape)}, expected exactly one element`);
    return this.data[0];
  }

  /** The values as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    const strides = stridesOf(this.shape);
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return this.data[offset];
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[axis]; i++) out.push(build(axis + 1, offset + i * strides[axis]));
      return out;
    };
    return build(0, 0);
  }

  /** An `ndarray` view of the same data (no copy), for interop with the scijs ecosystem. */
  toNdarray(): NdArrayView {
    return ndarray(this.data, this.shape.slice()) as unknown as NdArrayView;
  }

  /**
   * Shape and values, e.g. `Tensor [2,2] [[1,2],[3,4]]`. Past 1000 values, as NumPy does, each
   * axis shows its first and last 3 entries around `…`, so a large tensor prints in a few lines.
   */
  toString(): string {
    return `Tensor ${fmt(this.shape)} ${formatValues(this)}`;
  }

  /** What `console.log(tensor)` and Node's `util.inspect` print: {@link Tensor.toString}, not the fields. */
  [INSPECT](): string {
    return this.toString();
  }

  /** How error messages describe a tensor (lib/util/validate.ts's `describe`): its kind and shape, not its values. */
  [DESCRIBE](): string {
    return `a Tensor of shape ${fmt(this.shape)}`;
  }
}

/** Values as nested brackets, with each axis cut to its first and last EDGE entries past SUMMARY_SIZE values. */
function formatValues(t: Tensor): string {
  const summarise = t.size > SUMMARY_SIZE;
  const strides = stridesOf(t.shape);
  const build = (axis: number, offset: number): string => {
    if (axis === t.rank) return String(t.data[offset]);
    const n = t.shape[axis];
    const at = (i: number): string => build(axis + 1, offset + i * strides[axis]);
    const items = summarise && n > 2 * EDGE
      ? [...Array.from({ length: EDGE }, (_, i) => at(i)), '…', ...Array.from({ length: EDGE }, (_, i) => at(n - EDGE + i))]
      : Array.from({ length: n }, (_, i) => at(i));
    return `[${items.join(',')}]`;
  };
  return build(0, 0);
}

/**
 * `checkShape(shape, 'Tensor')` then `sizeOf(shape)`, in one indexed loop: every op output and
 * gradient is built here, and the two iterator loops cost three times as much. A bad shape is left
 * to checkShape, which throws its own message.
 */
function checkedSize(shape: Shape): number {
  if (!Array.isArray(shape)) checkShape(shape, 'Tensor');
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!(typeof d === 'number' && Number.isInteger(d) && d >= 0)) checkShape(shape, 'Tensor');
    size *= d;
  }
  return size;
}

// Gradient buffers of intermediate tensors, kept for the next backward pass: a training step frees
// and allocates the same sizes every time, and a fresh Float64Array of more than 8 values lives
// outside V8's heap, so it costs about as much as a small op (0.3–0.7 µs) plus garbage-collector
// work. Only small buffers are kept (a large one costs its zeroing either way), POOL_DEPTH per size.
const POOL_MAX_SIZE = 4096;
const POOL_DEPTH = 32;
const gradPool = new Map<number, Float64Array[]>();

/** A zero buffer of `size` values: a released one if there is one, else a new one. */
function zeroBuffer(size: number): Float64Array {
  const buf = size <= POOL_MAX_SIZE ? gradPool.get(size)?.pop() : undefined;
  return buf === undefined ? new Float64Array(size) : buf.fill(0);
}

/** Keeps a gradient buffer that nothing references any more for {@link zeroBuffer}. */
function releaseBuffer(buf: Float64Array): void {
  const size = buf.length; // 0 also for a buffer transferred away (detached)
  if (size === 0 || size > POOL_MAX_SIZE) return;
  let free = gradPool.get(size);
  if (free === undefined) gradPool.set(size, (free = []));
  if (free.length < POOL_DEPTH) free.push(buf);
}

/** Every node reachable from `root` through recorded parents, parents before children. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative depth-first search: graphs from long recursions would overflow the call stack.
  // The stack holds each open node and the index of its next parent to visit, in two arrays.
  const nodes: Tensor[] = [root];
  const next: number[] = [0];
  visited.add(root);
  while (nodes.length > 0) {
    const top = nodes.length - 1;
    const node = nodes[top];
    if (next[top] < node.parents.length) {
      const p = node.parents[next[top]++];
      if (!visited.has(p) && p.requiresGrad) {
        visited.add(p);
        nodes.push(p);
        next.push(0);
      }
    } else {
      order.push(node);
      nodes.pop();
      next.pop();
    }
  }
  return order;
}

/**
 * Builds an op's output and, when a gradient may be needed, records the graph edge.
 * Every op goes through here, so `noGrad` and `requiresGrad` are honoured in one place.
 *
 * @param backward - called with the output tensor once its gradient is known; adds into the
 *   parents' `gradData()` (only for parents with `requiresGrad`)
 * @internal
 */
export function record(op: string, data: Float64Array, shape: Shape, parents: readonly Tensor[], backward: (out: Tensor) => void): Tensor {
  const out = new Tensor(data, shape, { op });
  if (noGradDepth === 0 && anyRequiresGrad(parents)) {
    out.requiresGrad = true;
    out.parents = parents;
    out.backwardFn = () => backward(out);
  }
  return out;
}

/** `parents.some((p) => p.requiresGrad)`, as a loop: this runs once per op, and small ops are all overhead. */
function anyRequiresGrad(parents: readonly Tensor[]): boolean {
  for (let i = 0; i < parents.length; i++) if (parents[i].requiresGrad) return true;
  return false;
}

/** The gradient buffer of `out` during its backward function. @internal */
export function outGrad(out: Tensor): Float64Array {
  return (out.grad as Tensor).data;
}

/** True for an ndarray (scijs) view: `data`, `shape`, `stride` and a `get` method. */
export function isNdarray(v: unknown): v is NdArrayLike {
  return typeof v === 'object' && v !== null && 'shape' in v && 'stride' in v && 'data' in v && typeof (v as NdArrayLike).get === 'function';
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
    if (v === undefined) break;
  }
  return shape;
}

function flattenInto(values: NestedArray, shape: Shape, axis: number, out: Float64Array, offset: { i: number }, where: string): void {
  if (axis === shape.length) {
    if (Array.isArray(values)) throw new ValueError(`${where}: 'values' is a ragged nested array: expected a number at depth ${axis} (shape ${fmt(shape)}), got an array`);
    assert(values !== undefined, () => `${where}: 'values' is a sparse array: an entry at depth ${axis - 1} is empty (a doubled comma?); every entry must be given`, TypeError);
    assert(typeof values === 'number', () => `${where}: 'values' holds a ${typeof values} at depth ${axis}, expected a number`, TypeError);
    out[offset.i++] = values as number;
    return;
  }
  assert(Array.isArray(values) && values.length === shape[axis],
    () => `${where}: 'values' is a ragged nested array: expected length ${shape[axis]} at depth ${axis} (shape ${fmt(shape)}), got ${Array.isArray(values) ? `length ${values.length}` : 'a number'}`);
  for (const v of values as NestedArray[]) flattenInto(v, shape, axis + 1, out, offset, where);
}

/**
 * Checks the options of a tensor factory: only `requiresGrad`, a boolean (a typo such as
 * `requiresgrad` would otherwise make a weight that never trains).
 */
function leafOptions(options: unknown, where: string): { requiresGrad?: boolean } {
  assert(typeof options === 'object' && options !== null && !Array.isArray(options),
    () => `${where}: 'options' must be an object { requiresGrad? }, got ${options === null ? 'null' : typeof options}`, TypeError);
  for (const key of Object.keys(options)) {
    assert(key === 'requiresGrad', () => `${where}: unknown option '${key}'${key.toLowerCase() === 'requiresgrad' ? " (did you mean 'requiresGrad'?)" : ''}; valid options are requiresGrad`, TypeError);
  }
  const { requiresGrad } = options as { requiresGrad?: unknown };
  assert(requiresGrad === undefined || typeof requiresGrad === 'boolean', () => `${where}: 'requiresGrad' must be a boolean, got ${typeof requiresGrad}`, TypeError);
  return options as { requiresGrad?: boolean };
}

/**
 * Makes a tensor (a leaf) from values.
 *
 * @param values - nested arrays (shape inferred), a flat `Float64Array`/array with `shape`, an `ndarray` (copied), or a number
 * @param shape - required for flat values; checked against nested ones
 * @param options - `requiresGrad: true` for parameters
 * @throws ValueError for ragged arrays or a size that does not match `shape`; TypeError for non-numbers
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);             // shape [2, 2]
 * const y = tensor(new Float64Array(6), [2, 3]);  // shape [2, 3], data not copied
 */
export function tensor(values: TensorData, shape?: Shape, options: { requiresGrad?: boolean } = {}): Tensor {
  const where = 'tensor';
  if (shape !== undefined) checkShape(shape, where);
  leafOptions(options, where);
  if (isNdarray(values)) {
    const nd = values;
    const s = nd.shape.slice();
    const data = new Float64Array(sizeOf(s));
    // ndarray-ops copies a strided view (transposed, sliced, stepped) in logical row-major order.
    if (s.length === 0) data[0] = nd.get();
    else if (data.length > 0) ops.assign(ndarray(data, s), nd as unknown as Parameters<typeof ops.assign>[1]);
    if (shape !== undefined) {
      assert(sizeOf(shape) === data.length, () => `${where}: ndarray of shape ${fmt(s)} does not fit shape ${fmt(shape)}`);
    }
    return new Tensor(data, shape ?? s, options);
  }
  assert(!(values instanceof Tensor), () => `${where}: 'values' is already a Tensor; use x.clone() to copy it or x.reshape(shape) to view it`, TypeError);
  if (typeof values === 'number') {
    const s = shape ?? [];
    const n = sizeOf(s);
    assert(n === 1, () => `${where}: a single number cannot fill shape ${fmt(s)}; use full(shape, value)`);
    return new Tensor(Float64Array.of(values), s, options);
  }
  if (Array.isArray(values) && (values.length === 0 || Array.isArray(values[0]) || shape === undefined)) {
    const inferred = inferShape(values as NestedArray);
    const data = new Float64Array(sizeOf(inferred));
    flattenInto(values as NestedArray, inferred, 0, data, { i: 0 }, where);
    if (shape !== undefined) {
      assert(sizeOf(shape) === data.length, () => `${where}: values of shape ${fmt(inferred)} do not fit shape ${fmt(shape)}`);
      return new Tensor(data, shape, options);
    }
    return new Tensor(data, inferred, options);
  }
  // Flat array-like with an explicit shape.
  const flat = values as ArrayLike<number>;
  const s = shape ?? [flat.length];
  assert(flat.length === sizeOf(s), () => `${where}: ${flat.length} values do not fit shape ${fmt(s)} (${sizeOf(s)} values)`);
  // A Float64Array holds only numbers: it is wrapped as is, with no per-entry check.
  if (flat instanceof Float64Array) return new Tensor(flat, s, options);
  const data = Float64Array.from(flat as ArrayLike<number>);
  for (let i = 0; i < data.length; i++) {
    assert(typeof flat[i] === 'number', () => `${where}: value ${i} is ${typeof flat[i]}, expected a number`, TypeError);
  }
  return new Tensor(data, s, options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options: { requiresGrad?: boolean } = {}): Tensor {
  checkShape(shape, 'full');
  checkShapeElements(shape, "'shape'", 'full');
  assert(typeof value === 'number', () => `full: 'value' must be a number, got ${typeof value}`, TypeError);
  leafOptions(options, 'full');
  return new Tensor(new Float64Array(sizeOf(shape)).fill(value), shape, options);
}

/** A tensor of zeros. */
export function zeros(shape: Shape, options: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 0, options);
}

/** A tensor of ones. */
export function ones(shape: Shape, options: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 1, options);
}

// Frozen, so scalars (one for every number an op is given) share it instead of copying `[]`.
const SCALAR_SHAPE: Shape = Object.freeze([]);

/** A rank-0 tensor holding `value`. */
export function scalar(value: number): Tensor {
  return new Tensor(Float64Array.of(value), SCALAR_SHAPE);
}
