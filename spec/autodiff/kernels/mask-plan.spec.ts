// maskPlan: the sorted orders and staircase of MADE masks, by hand and on random networks; arbitrary patterns rejected; caching and errors.
import { maskPlan, type MaskPlan } from '../../../autodiff/kernels/mask-plan.js';
import type { Tensor } from '../../../autodiff/tensor.js';
import type { HiddenDegrees, InputOrder } from '../../../flows/made/degrees.js';
import { makeMasks } from '../../../flows/made/masks.js';
import { seededRng } from '../../helpers/grad-check.js';

function planOf(mask: Tensor): MaskPlan {
  return maskPlan(mask.data, mask.shape[0], mask.shape[1]);
}

/** Checks every entry: sorted row i′, sorted column k′ is 1 iff i′ < rowEnd[k′] iff k′ ≥ colStart[i′]. */
function expectStaircase(mask: Tensor, plan: MaskPlan): void {
  const [fanIn, fanOut] = mask.shape;
  let nnz = 0;
  for (let i = 0; i < fanIn; i++) {
    for (let k = 0; k < fanOut; k++) {
      const v = mask.data[plan.rowOrder[i] * fanOut + plan.colOrder[k]];
      nnz += v;
      if (v !== (i < plan.rowEnd[k] ? 1 : 0) || v !== (k >= plan.colStart[i] ? 1 : 0)) {
        throw new Error(`not a staircase at sorted [${i},${k}] of a [${fanIn},${fanOut}] mask`);
      }
    }
  }
  expect(plan.nnz).toBe(nnz);
  for (let k = 1; k < fanOut; k++) expect(plan.rowEnd[k]).toBeGreaterThanOrEqual(plan.rowEnd[k - 1]);
  for (let i = 1; i < fanIn; i++) expect(plan.colStart[i]).toBeGreaterThanOrEqual(plan.colStart[i - 1]);
  expect(Array.from(plan.rowOrder).sort((p, q) => p - q)).toEqual(Array.from({ length: fanIn }, (_, i) => i));
  expect(Array.from(plan.colOrder).sort((p, q) => p - q)).toEqual(Array.from({ length: fanOut }, (_, k) => k));
}

describe('maskPlan', () => {
  it('finds the staircase of an already sorted mask (the @example)', () => {
    // [[1, 1], [0, 1], [0, 0]]: column 0 keeps row 0, column 1 rows 0..1; row 0 is kept from column 0, row 1 from 1, row 2 by none
    const plan = maskPlan(Float64Array.of(1, 1, 0, 1, 0, 0), 3, 2);
    expect(plan.staircase).toBe(true);
    expect(Array.from(plan.rowEnd)).toEqual([1, 2]);
    expect(Array.from(plan.colStart)).toEqual([0, 1, 2]);
    expect([plan.rowsSorted, plan.colsSorted, plan.nnz]).toEqual([true, true, 3]);
  });

  it('sorts the rows and columns of a right-to-left MADE', () => {
    // E 3, hidden [2]: input degrees [3, 2, 1], hidden ⌈k·2/3⌉ = [1, 2]
    const [toHidden, toOutput] = makeMasks({ params: 1, eventSize: 3, hiddenUnits: [2], inputOrder: 'right-to-left' });
    // toHidden[j][k] = m(j) ≤ m(k): [[0, 0], [0, 1], [1, 1]]; rows have 0, 1, 2 ones, so most-ones first is [2, 1, 0]
    const hidden = planOf(toHidden);
    expect(hidden.staircase).toBe(true);
    expect(Array.from(hidden.rowOrder)).toEqual([2, 1, 0]);
    expect(Array.from(hidden.colOrder)).toEqual([0, 1]);
    expect([hidden.rowsSorted, hidden.colsSorted]).toEqual([false, true]);
    // sorted: [[1, 1], [0, 1], [0, 0]] as in the @example
    expect(Array.from(hidden.rowEnd)).toEqual([1, 2]);
    expect(Array.from(hidden.colStart)).toEqual([0, 1, 2]);
    // toOutput[k][d] = m(k) < m(d) with m(d) = [3, 2, 1]: [[1, 1, 0], [1, 0, 0]]; columns have 2, 1, 0 ones
    const output = planOf(toOutput);
    expect(output.staircase).toBe(true);
    expect(Array.from(output.colOrder)).toEqual([2, 1, 0]);
    expect(Array.from(output.rowOrder)).toEqual([0, 1]);
    // sorted: [[0, 1, 1], [0, 0, 1]]: column k′ keeps rows [0, k′); row 0 is kept from column 1, row 1 from column 2
    expect(Array.from(output.rowEnd)).toEqual([0, 1, 2]);
    expect(Array.from(output.colStart)).toEqual([1, 2]);
  });

  it('needs no permutation for left-to-right order with equal hidden degrees', () => {
    for (const [eventSize, hiddenUnits, params] of [[2, [10], 2], [5, [3, 8], 1], [64, [512, 512], 2], [7, [], 3]] as const) {
      for (const mask of makeMasks({ params, eventSize, hiddenUnits })) {
        const plan = planOf(mask);
        expect([plan.staircase, plan.rowsSorted, plan.colsSorted]).toEqual([true, true, true]);
        expectStaircase(mask, plan);
      }
    }
  });

  it('finds a staircase in every mask of random MADE networks (orders, degrees, widths, params)', () => {
    const rng = seededRng('mask-plan-random-made');
    const orders: InputOrder[] = ['left-to-right', 'right-to-left', 'random'];
    const degrees: HiddenDegrees[] = ['equal', 'random'];
    let permuted = 0;
    for (let trial = 0; trial < 40; trial++) {
      const eventSize = 1 + Math.floor(rng.uniform() * 12);
      // widths from 1 (narrower than E − 1) to 2E + 3
      const hiddenUnits = Array.from({ length: Math.floor(rng.uniform() * 4) }, () => 1 + Math.floor(rng.uniform() * (2 * eventSize + 3)));
      const masks = makeMasks({
        params: 1 + (trial % 3), eventSize, hiddenUnits,
        inputOrder: orders[trial % 3], hiddenDegrees: degrees[Math.floor(trial / 3) % 2], rng,
      });
      for (const mask of masks) {
        const plan = planOf(mask);
        expect(plan.staircase).toBe(true);
        expectStaircase(mask, plan);
        if (!plan.rowsSorted || !plan.colsSorted) permuted++;
      }
    }
    expect(permuted).toBeGreaterThan(20); // the draws really exercise the permutations
  });

  it('reports staircase false for a pattern no sort makes one', () => {
    // [[1, 0], [0, 1]]: the two rows' column sets are not nested
    expect(maskPlan(Float64Array.of(1, 0, 0, 1), 2, 2).staircase).toBe(false);
    // a random half-full 6×7 pattern
    const rng = seededRng('mask-plan-arbitrary');
    const data = Float64Array.from({ length: 42 }, () => (rng.uniform() < 0.5 ? 1 : 0));
    expect(maskPlan(data, 6, 7).staircase).toBe(false);
    // empty and full masks are (trivial) staircases
    expect(maskPlan(new Float64Array(6), 2, 3).staircase).toBe(true);
    expect(maskPlan(new Float64Array(6).fill(1), 3, 2).staircase).toBe(true);
    expect(maskPlan(new Float64Array(0), 0, 4).staircase).toBe(true);
  });

  it('is computed once per mask and recomputed for other dimensions', () => {
    const data = Float64Array.of(1, 1, 0, 1);
    const plan = maskPlan(data, 2, 2);
    expect(maskPlan(data, 2, 2)).toBe(plan);
    // the same four values read as [4, 1]: rows [1], [1], [0], [1]
    const tall = maskPlan(data, 4, 1);
    expect(tall).not.toBe(plan);
    expect([tall.fanIn, tall.fanOut, tall.rowEnd[0]]).toEqual([4, 1, 3]);
  });

  it('rejects entries other than 0 and 1 and a wrong length, naming the caller', () => {
    expect(() => maskPlan(Float64Array.of(1, 0, 0.5, 1), 2, 2, 'maskedMatmul')).toThrow(/^maskedMatmul: 'mask' must hold only 0 and 1, got 0.5 at \[1,0\]$/);
    expect(() => maskPlan(Float64Array.of(1, NaN), 1, 2)).toThrow(/maskPlan: 'mask' must hold only 0 and 1, got NaN at \[0,1\]/);
    expect(() => maskPlan(new Float64Array(5), 2, 3)).toThrow(/maskPlan: 'mask' has 5 values, expected fanIn·fanOut = 2·3 = 6/);
  });
});
