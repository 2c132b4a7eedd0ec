// Elementwise selection: where(condition, a, b), with NumPy broadcasting of all three.
import { assert } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import { broadcastPlan } from '../broadcast.js';
import { outGrad, record, Tensor } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensor-like.js';

/** A boolean mask as nested arrays, e.g. `[[true, false], [false, true]]` of shape [2, 2]. */
export type NestedBooleans = boolean | readonly NestedBooleans[];

/** Flattens a nested boolean array row-major, inferring its shape; 1 for true, 0 for false. */
function maskFromBooleans(values: NestedBooleans): { data: Uint8Array; shape: number[] } {
  const shape: number[] = [];
  for (let v: NestedBooleans = values; Array.isArray(v); v = (v as readonly NestedBooleans[])[0]) {
    shape.push(v.length);
    if (v.length === 0) break;
  }
  const flat: number[] = [];
  const walk = (v: NestedBooleans, depth: number): void => {
    if (depth === shape.length) {
      assert(typeof v === 'boolean', () => `where: 'condition' must hold booleans, got ${Array.isArray(v) ? 'an array' : typeof v} at depth ${depth}`, TypeError);
      flat.push(v ? 1 : 0);
      return;
    }
    assert(Array.isArray(v) && v.length === shape[depth],
      () => `where: 'condition' is ragged: expected length ${shape[depth]} at depth ${depth} (shape ${fmt(shape)}), got ${Array.isArray(v) ? `length ${v.length}` : 'a boolean'}`);
    for (const w of v as readonly NestedBooleans[]) walk(w, depth + 1);
  };
  walk(values, 0);
  return { data: Uint8Array.from(flat), shape };
}

/**
 * Chooses elementwise: `y = condition ? a : b`, with `condition`, `a` and `b` broadcast together
 * (NumPy rules). Backward: `da += dy` where the condition holds, `db += dy` where it does not;
 * `condition` gets no gradient (it is a step function of nothing differentiable).
 *
 * The unselected branch receives a gradient of exactly 0, but an op upstream of it still
 * runs its backward: `where(x > 0, log(x), 0)` gives `0 · (1/x)`, which is NaN at x = 0,
 * so feed the unselected branch a safe input (the "double where" trick) when that matters.
 *
 * @param condition - a Tensor read as true where nonzero (NaN counts as true), or nested booleans
 * @param a - values where true (a Tensor or a number)
 * @param b - values where false (a Tensor or a number)
 * @returns the broadcast shape of the three
 * @throws TypeError for a condition that is neither; ValueError for a ragged condition or shapes that do not broadcast
 * @example where([true, false], tensor([1, 2]), 0) // [1, 0]
 */
export function where(condition: Tensor | NestedBooleans, a: TensorLike, b: TensorLike): Tensor {
  let cond: ArrayLike<number>;
  let condShape: readonly number[];
  if (condition instanceof Tensor) {
    cond = condition.data;
    condShape = condition.shape;
  } else {
    assert(typeof condition === 'boolean' || Array.isArray(condition),
      () => `where: 'condition' must be a Tensor or (nested arrays of) booleans, got ${condition === null ? 'null' : typeof condition}`, TypeError);
    const m = maskFromBooleans(condition);
    cond = m.data;
    condShape = m.shape;
  }
  const at = toTensor(a, 'a', 'where');
  const bt = toTensor(b, 'b', 'where');
  const { shape, size, index } = broadcastPlan('where', condShape, at.shape, bt.shape);
  const [ic, ia, ib] = index;
  // Read the condition once: the backward must route by the same choice even if the caller
  // later mutates a condition tensor's data.
  const take = new Uint8Array(size);
  for (let i = 0; i < size; i++) take[i] = cond[ic ? ic[i] : i] !== 0 ? 1 : 0;
  const ad = at.data;
  const bd = bt.data;
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) y[i] = take[i] ? ad[ia ? ia[i] : i] : bd[ib ? ib[i] : i];
  return record('where', y, shape, [at, bt], (out) => {
    const g = outGrad(out);
    if (at.requiresGrad) {
      const ga = at.gradData();
      for (let i = 0; i < size; i++) if (take[i]) ga[ia ? ia[i] : i] += g[i];
    }
    if (bt.requiresGrad) {
      const gb = bt.gradData();
      for (let i = 0; i < size; i++) if (!take[i]) gb[ib ? ib[i] : i] += g[i];
    }
  });
}
