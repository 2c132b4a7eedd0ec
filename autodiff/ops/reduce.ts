// Reductions over axes: sum, mean, max, logSumExp, each with keepDims.
import { assert } from '../../lib/util/errors.js';
import { normalizeAxis, offsetMap, stridesOf, type Shape } from '../../lib/util/shape.js';
import { outGrad, record, type Tensor } from '../tensor.js';

/** Axes to reduce: one axis, several, or `undefined` for all. Negative axes count from the end. */
export type Axes = number | readonly number[] | undefined;

/**
 * Where each input element lands in the reduced output. Input element `i` goes to output
 * `⌊i / count⌋` when the reduced axes are the last ones (`'trailing'`: each output sums a
 * contiguous run), to `i mod outSize` when they are the first ones (`'leading'`), and to
 * `map[i]` otherwise; the backward passes send each output gradient back along the same path.
 */
interface ReducePlan {
  outShape: number[];
  keptShape: number[]; // the output shape with keepDims: true
  outSize: number;
  count: number; // elements reduced into each output
  order: 'trailing' | 'leading' | 'general';
  map: Int32Array | null; // only for 'general'
}

function reducePlan(op: string, shape: Shape, axes: Axes, keepDims: boolean): ReducePlan {
  const rank = shape.length;
  const reduced = new Array<boolean>(rank).fill(axes === undefined);
  if (typeof axes === 'number') {
    reduced[normalizeAxis(axes, rank, op)] = true;
  } else if (axes !== undefined) {
    const list = Array.from(axes);
    for (const a of list) {
      const axis = normalizeAxis(a, rank, op);
      assert(!reduced[axis], () => `${op}: axis ${a} is listed twice in axes [${list.join(',')}]`);
      reduced[axis] = true;
    }
  }
  const keptShape = new Array<number>(rank);
  const squeezed: number[] = []; // the output shape with keepDims: false
  let size = 1;
  let outSize = 1;
  for (let i = 0; i < rank; i++) {
    size *= shape[i];
    keptShape[i] = reduced[i] ? 1 : shape[i];
    if (!reduced[i]) {
      outSize *= shape[i];
      squeezed.push(shape[i]);
    }
  }
  const outShape = keepDims ? keptShape : squeezed;
  const count = outSize === 0 ? 0 : size / outSize;
  // Trailing: no kept axis after a reduced one; leading: no reduced axis after a kept one. Axes of
  // length 1 move no index, so they count as either.
  let trailing = true;
  let leading = true;
  let sawReduced = false;
  let sawKept = false;
  for (let i = 0; i < rank; i++) {
    if (shape[i] === 1) continue;
    if (reduced[i]) {
      if (sawKept) leading = false;
      sawReduced = true;
    } else {
      if (sawReduced) trailing = false;
      sawKept = true;
    }
  }
  const order = trailing ? 'trailing' : leading ? 'leading' : 'general';
  const map = order === 'general' ? offsetMap(shape, stridesOf(keptShape).map((st, i) => (reduced[i] ? 0 : st))) : null;
  return { outShape, keptShape, outSize, count, order, map };
}

/** The output index of every input element, as an array (max and logSumExp read it directly). */
function indexMap(plan: ReducePlan, size: number): Int32Array {
  if (plan.map !== null) return plan.map;
  const map = new Int32Array(size);
  if (plan.order === 'trailing') for (let i = 0; i < size; i++) map[i] = Math.floor(i / plan.count);
  else for (let i = 0; i < size; i++) map[i] = i % plan.outSize;
  return map;
}

/** y[map(i)] += x[i] for every i in order: the sum of each output's inputs, in the same order for every path. */
function sumInto(plan: ReducePlan, xd: Float64Array, y: Float64Array): void {
  const { order, outSize, count, map } = plan;
  if (order === 'trailing') {
    for (let o = 0, i = 0; o < outSize; o++) {
      let s = 0; // = y[o], so s + x adds in the same order with the same bits
      for (let c = 0; c < count; c++) s += xd[i++];
      y[o] = s;
    }
  } else if (order === 'leading') {
    for (let base = 0; base < xd.length; base += outSize) for (let o = 0; o < outSize; o++) y[o] += xd[base + o];
  } else {
    const m = map as Int32Array;
    for (let i = 0; i < xd.length; i++) y[m[i]] += xd[i];
  }
}

/** gx[i] += g[map(i)], or g[map(i)] / divisor for mean (divided, not multiplied by 1/count, for the same bits): the adjoint of {@link sumInto}. */
function spreadBack(plan: ReducePlan, g: Float64Array, gx: Float64Array, divisor: number | null): void {
  const { order, outSize, count, map } = plan;
  if (order === 'trailing') {
    for (let o = 0, i = 0; o < outSize; o++) {
      const go = divisor === null ? g[o] : g[o] / divisor;
      for (let c = 0; c < count; c++) gx[i++] += go;
    }
  } else if (order === 'leading') {
    for (let base = 0; base < gx.length; base += outSize) {
      if (divisor === null) for (let o = 0; o < outSize; o++) gx[base + o] += g[o];
      else for (let o = 0; o < outSize; o++) gx[base + o] += g[o] / divisor;
    }
  } else {
    const m = map as Int32Array;
    if (divisor === null) for (let i = 0; i < gx.length; i++) gx[i] += g[m[i]];
    else for (let i = 0; i < gx.length; i++) gx[i] += g[m[i]] / divisor;
  }
}

/**
 * Sum over `axes` (all by default).
 * Backward: every input element gets its output's gradient, `dx[i] = dy[map(i)]`.
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 1); // [3, 7]
 */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const plan = reducePlan('sum', x.shape, axes, keepDims);
  const y = new Float64Array(plan.outSize);
  const forward = (): void => {
    y.fill(0);
    sumInto(plan, x.data, y);
  };
  forward();
  return record('sum', y, plan.outShape, [x], (out) => spreadBack(plan, outGrad(out), x.gradData(), null), forward);
}

/**
 * Mean over `axes` (all by default): the sum divided by the number of elements reduced.
 * @throws ValueError when reducing over an empty axis (the mean of nothing is undefined)
 */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const plan = reducePlan('mean', x.shape, axes, keepDims);
  const { outShape, outSize, count } = plan;
  assert(count > 0 || outSize === 0, () => `mean: cannot average over an empty axis of shape [${x.shape}]`);
  const y = new Float64Array(outSize);
  const forward = (): void => {
    y.fill(0);
    sumInto(plan, x.data, y);
    for (let o = 0; o < outSize; o++) y[o] /= count;
  };
  forward();
  return record('mean', y, outShape, [x], (out) => spreadBack(plan, outGrad(out), x.gradData(), count), forward);
}

/**
 * Max over `axes` (all by default). The gradient goes to the first maximal element of
 * each group (a subgradient; ties are measure-zero for continuous data).
 * @throws ValueError when reducing over an empty axis
 */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const plan = reducePlan('max', x.shape, axes, keepDims);
  const { outShape, outSize, count } = plan;
  assert(count > 0 || outSize === 0, () => `max: cannot reduce over an empty axis of shape [${x.shape}]`);
  const map = indexMap(plan, x.size);
  const y = new Float64Array(outSize);
  const arg = new Int32Array(outSize);
  const xd = x.data;
  const forward = (): void => {
    y.fill(-Infinity);
    arg.fill(-1);
    for (let i = 0; i < xd.length; i++) {
      const o = map[i];
      // NaN wins wherever it sits, so a NaN loss can never vanish inside a max.
      if (arg[o] < 0 || xd[i] > y[o] || (Number.isNaN(xd[i]) && !Number.isNaN(y[o]))) {
        y[o] = xd[i];
        arg[o] = i;
      }
    }
  };
  forward();
  return record('max', y, outShape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let o = 0; o < outSize; o++) gx[arg[o]] += g[o];
  }, forward);
}

/**
 * `log Σ exp(x)` over `axes`, computed as `m + log Σ exp(x − m)` with `m` the max, so
 * it neither overflows at x = 1000 nor underflows to −∞ at x = −1000.
 * Backward: `dx[i] = dy · exp(x[i] − y)` (the softmax).
 */
export function logSumExp(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const plan = reducePlan('logSumExp', x.shape, axes, keepDims);
  const { outShape, outSize, count } = plan;
  assert(count > 0 || outSize === 0, () => `logSumExp: cannot reduce over an empty axis of shape [${x.shape}]`);
  const map = indexMap(plan, x.size);
  const xd = x.data;
  const m = new Float64Array(outSize);
  const s = new Float64Array(outSize);
  const y = new Float64Array(outSize);
  const forward = (): void => {
    m.fill(-Infinity);
    s.fill(0);
    for (let i = 0; i < xd.length; i++) if (xd[i] > m[map[i]]) m[map[i]] = xd[i];
    for (let i = 0; i < xd.length; i++) {
      const o = map[i];
      // All −∞ in a group: the sum is 0 and the result −∞; subtracting m = −∞ would give NaN.
      if (m[o] !== -Infinity) s[o] += Math.exp(xd[i] - m[o]);
    }
    for (let o = 0; o < outSize; o++) y[o] = m[o] === -Infinity || m[o] === Infinity ? m[o] : m[o] + Math.log(s[o]);
  };
  forward();
  return record('logSumExp', y, outShape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let i = 0; i < gx.length; i++) {
      const o = map[i];
      if (y[o] !== -Infinity) gx[i] += g[o] * Math.exp(xd[i] - y[o]);
    }
  }, forward);
}
