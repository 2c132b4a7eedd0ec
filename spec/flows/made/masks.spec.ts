import type { Tensor } from '../../../autodiff/tensor.js';
import { createDegrees, type HiddenDegrees, type InputOrder } from '../../../flows/made/degrees.js';
import { makeMasks, masksFromDegrees } from '../../../flows/made/masks.js';
import { seededRng } from '../../helpers/grad-check.js';

const rows = (m: Tensor) => m.toArray();

/** Boolean product of the masks: entry (j, c) is 1 iff some path of unmasked weights joins input j to output c. */
function connectivity(masks: Tensor[]): number[][] {
  let reach = rows(masks[0]) as number[][];
  for (const m of masks.slice(1)) {
    const next = rows(m) as number[][];
    reach = reach.map((r) => next[0].map((_, c) => (r.some((v, k) => v === 1 && next[k][c] === 1) ? 1 : 0)));
  }
  return reach;
}

describe('makeMasks', () => {
  it("reproduces TFP's test masks: E = 3, params 2, hidden [4, 4], left-to-right, equal", () => {
    // Degrees [1,2,3] → [1,1,2,2] → [1,1,2,2] (see degrees.spec). Hidden: 1 iff m(i) ≤ m(k).
    const masks = makeMasks({ params: 2, eventSize: 3, hiddenUnits: [4, 4] });
    expect(masks.map((m) => m.shape)).toEqual([[3, 4], [4, 4], [4, 6]]);
    expect(rows(masks[0])).toEqual([[1, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]);
    expect(rows(masks[1])).toEqual([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]]);
    // Output column d·2 + p: a degree-1 unit feeds dimensions 2 and 3 (columns 2..5), degree 2 only dimension 3.
    expect(rows(masks[2])).toEqual([[0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 1, 1]]);
  });

  it("reproduces TFP's second mask for hidden [5, 3]", () => {
    // Degrees [1,1,1,2,2] → [1,1,2]
    const masks = makeMasks({ params: 2, eventSize: 3, hiddenUnits: [5, 3] });
    expect(rows(masks[1])).toEqual([[1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 0, 1], [0, 0, 1]]);
  });

  it('matches the style guide example: E = 4, hidden [3], params 1', () => {
    const [toHidden, toOutput] = makeMasks({ params: 1, eventSize: 4, hiddenUnits: [3] });
    // hidden degrees ⌈k·3/4⌉ = [1, 2, 3]; entry (j, k) is 1 iff j ≤ m(k), so input 4 feeds no unit
    expect(rows(toHidden)).toEqual([[1, 1, 1], [0, 1, 1], [0, 0, 1], [0, 0, 0]]);
    // entry (k, j) is 1 iff m(k) < j: output 1 sees no unit, so its parameters are biases only
    expect(rows(toOutput)).toEqual([[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]]);
  });

  it('matches its TSDoc example: E = 3, hidden [2], params 1', () => {
    const [toHidden, toOutput] = makeMasks({ params: 1, eventSize: 3, hiddenUnits: [2] });
    expect(rows(toHidden)).toEqual([[1, 1], [0, 1], [0, 0]]);
    expect(rows(toOutput)).toEqual([[0, 1, 1], [0, 0, 1]]);
  });

  it('connects inputs straight to outputs without hidden layers (strictly lower triangular per dimension)', () => {
    // m = [1,2,3]: input j feeds dimension d iff j < d; each dimension has params = 2 columns.
    const [only] = makeMasks({ params: 2, eventSize: 3 });
    expect(rows(only)).toEqual([[0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0]]);
  });

  it('follows the input degrees for right-to-left', () => {
    // m = [3,2,1]; hidden lo = min(1, 2) = 1, ⌈k·2/3⌉ = [1, 2]
    const [toHidden, toOutput] = makeMasks({ params: 1, eventSize: 3, hiddenUnits: [2], inputOrder: 'right-to-left' });
    expect(rows(toHidden)).toEqual([[0, 0], [0, 1], [1, 1]]);
    // unit of degree 1 feeds dimensions with m(d) > 1 (d = 0, 1); degree 2 feeds only m(d) = 3 (d = 0)
    expect(rows(toOutput)).toEqual([[1, 1, 0], [1, 0, 0]]);
  });

  it('with E = 1 the single output sees only constants', () => {
    const masks = makeMasks({ params: 2, eventSize: 1, hiddenUnits: [3] });
    // Hidden degrees are 0: input (degree 1) feeds none; they feed the output (0 < 1).
    expect(rows(masks[0])).toEqual([[0, 0, 0]]);
    expect(rows(masks[1])).toEqual([[1, 1], [1, 1], [1, 1]]);
    expect(masks.every((m) => !m.requiresGrad)).toBe(true);
  });

  it('never connects input j to output d unless m(j) < m(d), for 60 random settings', () => {
    const rng = seededRng('masks-connectivity');
    const orders: InputOrder[] = ['left-to-right', 'right-to-left', 'random'];
    const kinds: HiddenDegrees[] = ['equal', 'random'];
    for (let trial = 0; trial < 60; trial++) {
      const eventSize = rng.int(1, 12);
      const params = rng.int(1, 3);
      const hiddenUnits = Array.from({ length: rng.int(0, 3) }, () => rng.int(1, 16));
      const options = { eventSize, hiddenUnits, inputOrder: orders[trial % 3], hiddenDegrees: kinds[trial % 2], rng: `masks-${trial}` };
      const degrees = createDegrees(options);
      const masks = makeMasks({ ...options, params });
      expect(masks).toEqual(masksFromDegrees(degrees, params));
      const reach = connectivity(masks);
      const m = degrees[0];
      const wide = options.hiddenDegrees === 'equal' && hiddenUnits.every((h) => h >= eventSize - 1);
      for (let j = 0; j < eventSize; j++) {
        for (let c = 0; c < eventSize * params; c++) {
          const d = Math.floor(c / params);
          if (m[j] >= m[d]) expect(reach[j][c]).toBe(0);
          // With 'equal' degrees and layers at least E − 1 wide, every allowed dependency has a path.
          else if (wide) expect(reach[j][c]).toBe(1);
        }
      }
    }
  });

  it('rejects bad params and names the function', () => {
    expect(() => makeMasks({ params: 0, eventSize: 3 })).toThrow(RangeError);
    expect(() => makeMasks({ params: 0, eventSize: 3 })).toThrow(/makeMasks: 'params' must be a positive integer, got 0/);
    expect(() => makeMasks({ params: 1.5, eventSize: 3 })).toThrow(/got 1.5/);
    expect(() => makeMasks({ params: 1, eventSize: 3, hiddenUnits: [-2] })).toThrow(/makeMasks: 'hiddenUnits' entries must be positive integers/);
    expect(() => masksFromDegrees([], 1)).toThrow(/masksFromDegrees: 'degrees' must hold at least the input degrees/);
  });
});
