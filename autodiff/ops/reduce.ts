// Reductions over axes: sum, mean, max, logSumExp, each with keepDims.
import { assert } from '../../lib/util/errors.js';
import { normalizeAxis, offsetMap, sizeOf, stridesOf, type Shape } from '../../lib/util/shape.js';
import { outGrad, record, type Tensor } from '../tensor.js';

/** Axes to reduce: one axis, several, or `undefined` for all. Negative axes count from the end. */
export type Axes = number | readonly number[] | undefined;

/**
 * Where each input element lands in the reduced output. `map[i]` is the flat
 * output index of flat input index `i`; the backward passes use it to send each
 * output gradient back to every input it summarised.
 */
interface ReducePlan {
  outShape: number[];
  keptShape: number[]; // the output shape with keepDims: true
  outSize: number;
  count: number; // elements reduced into each output
  map: Int32Array;
}

function reducePlan(op: string, shape: Shape, axes: Axes, keepDims: boolean): ReducePlan {
  const rank = shape.length;
  const list = axes === undefined ? shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : Array.from(axes);
  const reduced = new Array<boolean>(rank).fill(false);
  for (const a of list) {
    const axis = normalizeAxis(a, rank, op);
    assert(!reduced[axis], () => `${op}: axis ${a} is listed twice in axes [${list.join(',')}]`);
    reduced[axis] = true;
  }
  const keptShape = shape.map((d, i) => (reduced[i] ? 1 : d));
  const outShape = keepDims ? keptShape : shape.filter((_, i) => !reduced[i]);
  const outStrides = stridesOf(keptShape).map((s, i) => (reduced[i] ? 0 : s));
  const size = sizeOf(shape);
  const map = offsetMap(shape, outStrides);
  const outSize = sizeOf(keptShape);
  return { outShape, keptShape, outSize, count: outSize === 0 ? 0 : size / outSize, map };
}

/**
 * Sum over `axes` (all by default).
 * Backward: every input element gets its output's gradient, `dx[i] = dy[map(i)]`.
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 1); // [3, 7]
 */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const { outShape, outSize, map } = reducePlan('sum', x.shape, axes, keepDims);
  const y = new Float64Array(outSize);
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) y[map[i]] += xd[i];
  return record('sum', y, outShape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let i = 0; i < gx.length; i++) gx[i] += g[map[i]];
  });
}

/**
 * Mean over `axes` (all by default): the sum divided by the number of elements reduced.
 * @throws ValueError when reducing over an empty axis (the mean of nothing is undefined)
 */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const { outShape, outSize, count, map } = reducePlan('mean', x.shape, axes, keepDims);
  assert(count > 0 || outSize === 0, () => `mean: cannot average over an empty axis of shape [${x.shape}]`);
  const y = new Float64Array(outSize);
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) y[map[i]] += xd[i];
  for (let o = 0; o < outSize; o++) y[o] /= count;
  return record('mean', y, outShape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let i = 0; i < gx.length; i++) gx[i] += g[map[i]] / count;
  });
}

/**
 * Max over `axes` (all by default). The gradient goes to the first maximal element of
 * each group (a subgradient; ties are measure-zero for continuous data).
 * @throws ValueError when reducing over an empty axis
 */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const { outShape, outSize, count, map } = reducePlan('max', x.shape, axes, keepDims);
  assert(count > 0 || outSize === 0, () => `max: cannot reduce over an empty axis of shape [${x.shape}]`);
  const y = new Float64Array(outSize).fill(-Infinity);
  const arg = new Int32Array(outSize).fill(-1);
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) {
    const o = map[i];
    // NaN wins wherever it sits, so a NaN loss can never vanish inside a max.
    if (arg[o] < 0 || xd[i] > y[o] || (Number.isNaN(xd[i]) && !Number.isNaN(y[o]))) {
      y[o] = xd[i];
      arg[o] = i;
    }
  }
  return record('max', y, outShape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let o = 0; o < outSize; o++) gx[arg[o]] += g[o];
  });
}

/**
 * `log Σ exp(x)` over `axes`, computed as `m + log Σ exp(x − m)` with `m` the max, so
 * it neither overflows at x = 1000 nor underflows to −∞ at x = −1000.
 * Backward: `dx[i] = dy · exp(x[i] − y)` (the softmax).
 */
export function logSumExp(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const { outShape, outSize, count, map } = reducePlan('logSumExp', x.shape, axes, keepDims);
  assert(count > 0 || outSize === 0, () => `logSumExp: cannot reduce over an empty axis of shape [${x.shape}]`);
  const xd = x.data;
  const m = new Float64Array(outSize).fill(-Infinity);
  for (let i = 0; i < xd.length; i++) if (xd[i] > m[map[i]]) m[map[i]] = xd[i];
  const s = new Float64Array(outSize);
  for (let i = 0; i < xd.length; i++) {
    const o = map[i];
    // All −∞ in a group: the sum is 0 and the result −∞; subtracting m = −∞ would give NaN.
    if (m[o] !== -Infinity) s[o] += Math.exp(xd[i] - m[o]);
  }
  const y = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) y[o] = m[o] === -Infinity || m[o] === Infinity ? m[o] : m[o] + Math.log(s[o]);
  return record('logSumExp', y, outShape, [x], (out) => {
    const g = outGrad(out);
    const gx = x.gradData();
    for (let i = 0; i < gx.length; i++) {
      const o = map[i];
      if (y[o] !== -Infinity) gx[i] += g[o] * Math.exp(xd[i] - y[o]);
    }
  });
}
