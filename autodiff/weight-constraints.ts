// What a stored value must mean: a weight whose values have a domain (a variance is never negative) says so here, and loaders check it.
import type { Tensor } from './tensor.js';

/** A weight's domain: a test for each value, and how messages describe the values it allows. */
export interface WeightConstraint {
  /** True for a value the weight may hold. */
  ok: (value: number) => boolean;
  /** What it may hold, as a message says it, e.g. `'a variance ≥ 0'`. */
  expected: string;
}

const constraints = new WeakMap<Tensor, WeightConstraint>();

/**
 * Declares the domain of a weight, so that `setWeights`, `loadWeights` and `loadModel` refuse
 * values outside it (a batch norm's running variance below 0) instead of computing NaN later.
 * @param weight - the live weight tensor
 */
export function constrainWeight(weight: Tensor, constraint: WeightConstraint): void {
  constraints.set(weight, constraint);
}

/**
 * The first of `values` that `weight`'s domain does not allow, described for a message, or
 * `null` when all fit (or the weight has no declared domain).
 * @param values - what would be written into `weight`, same size
 */
export function weightDomainProblem(weight: Tensor, values: ArrayLike<number>): string | null {
  const c = constraints.get(weight);
  if (c === undefined) return null;
  for (let i = 0; i < values.length; i++) if (!c.ok(values[i])) return `holds ${values[i]} at index ${i}, expected ${c.expected}`;
  return null;
}
