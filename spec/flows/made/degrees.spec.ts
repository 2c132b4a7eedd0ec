import { createDegrees, createInputOrder } from '../../../flows/made/degrees.js';
import { ValueError } from '../../../lib/util/errors.js';
import { Random } from '../../../lib/util/random.js';
import { seededRng } from '../../helpers/grad-check.js';

describe('createInputOrder', () => {
  it('gives 1-based degrees for the named orders and copies an explicit one', () => {
    expect(createInputOrder(4, 'left-to-right')).toEqual([1, 2, 3, 4]);
    expect(createInputOrder(4)).toEqual([1, 2, 3, 4]);
    expect(createInputOrder(4, 'right-to-left')).toEqual([4, 3, 2, 1]);
    const explicit = [2, 4, 1, 3];
    const order = createInputOrder(4, explicit);
    expect(order).toEqual([2, 4, 1, 3]);
    expect(order).not.toBe(explicit);
    expect(createInputOrder(1, 'right-to-left')).toEqual([1]);
  });

  it("'random' is a seeded permutation of 1..E", () => {
    const a = createInputOrder(12, 'random', 7);
    expect(a.slice().sort((p, q) => p - q)).toEqual(Array.from({ length: 12 }, (_, j) => j + 1));
    expect(createInputOrder(12, 'random', 7)).toEqual(a);
    expect(createInputOrder(12, 'random', new Random(7))).toEqual(a);
    // 12! orders: two seeds agreeing would be a broken generator, not bad luck.
    expect(createInputOrder(12, 'random', 8)).not.toEqual(a);
  });

  it('rejects a bad eventSize or inputOrder, naming the argument', () => {
    expect(() => createInputOrder(0)).toThrow(RangeError);
    expect(() => createInputOrder(0)).toThrow(/createInputOrder: 'eventSize' must be a positive integer, got 0/);
    expect(() => createInputOrder(2.5)).toThrow(/'eventSize' must be a positive integer, got 2.5/);
    expect(() => createInputOrder('3' as unknown as number)).toThrow(TypeError);
    expect(() => createInputOrder(3, 'up' as 'random')).toThrow(TypeError);
    expect(() => createInputOrder(3, 'up' as 'random')).toThrow(/unknown 'inputOrder' 'up'; expected 'left-to-right', 'right-to-left', 'random' or a permutation of 1..E/);
    expect(() => createInputOrder(3, [1, 1, 2])).toThrow(ValueError);
    expect(() => createInputOrder(3, [1, 1, 2])).toThrow(/createInputOrder: 'inputOrder' \[1,1,2\] is not a permutation of 1..3/);
    expect(() => createInputOrder(3, [1, 2])).toThrow(/'inputOrder' \[1,2\] is not a permutation of 1..3/);
    expect(() => createInputOrder(3, [0, 1, 2])).toThrow(/is not a permutation of 1..3/);
    expect(() => createInputOrder(3, [1, 2, 3.5])).toThrow(/is not a permutation of 1..3/);
    expect(() => createInputOrder(3, 5 as unknown as 'random')).toThrow(TypeError);
  });
});

describe('createDegrees', () => {
  it("'equal' reproduces TFP's degrees for E = 3, hidden [4, 4] and [5, 3]", () => {
    // E − 1 = 2, H = 4: ⌈k·2/5⌉ for k = 1..4 = ⌈0.4, 0.8, 1.2, 1.6⌉ = [1, 1, 2, 2]
    expect(createDegrees({ eventSize: 3, hiddenUnits: [4, 4] })).toEqual([[1, 2, 3], [1, 1, 2, 2], [1, 1, 2, 2]]);
    // H = 5: ⌈k·2/6⌉ = ⌈1/3, 2/3, 1, 4/3, 5/3⌉ = [1, 1, 1, 2, 2]; H = 3: ⌈k·2/4⌉ = ⌈0.5, 1, 1.5⌉ = [1, 1, 2]
    expect(createDegrees({ eventSize: 3, hiddenUnits: [5, 3] })).toEqual([[1, 2, 3], [1, 1, 1, 2, 2], [1, 1, 2]]);
  });

  it('has only the input degrees without hidden layers', () => {
    expect(createDegrees({ eventSize: 3 })).toEqual([[1, 2, 3]]);
    expect(createDegrees({ eventSize: 3, inputOrder: 'right-to-left' })).toEqual([[3, 2, 1]]);
  });

  it("'equal' floors each layer at lo = min(min(prev), E − 1)", () => {
    // E = 5, H = 2: ⌈k·4/3⌉ = ⌈1.33, 2.67⌉ = [2, 3]. Next H = 3: ⌈k·4/4⌉ = [1, 2, 3], but
    // lo = min(2, 4) = 2 lifts the first unit: [2, 2, 3] (a degree-1 unit would see nothing).
    expect(createDegrees({ eventSize: 5, hiddenUnits: [2, 3] })).toEqual([[1, 2, 3, 4, 5], [2, 3], [2, 2, 3]]);
    // Right-to-left, E = 4, H = 3: lo = min(1, 3) = 1, ⌈k·3/4⌉ = ⌈0.75, 1.5, 2.25⌉ = [1, 2, 3]
    expect(createDegrees({ eventSize: 4, hiddenUnits: [3], inputOrder: 'right-to-left' })).toEqual([[4, 3, 2, 1], [1, 2, 3]]);
    // E = 1: E − 1 = 0, so lo = 0 and every hidden unit gets degree 0 (it sees no input).
    expect(createDegrees({ eventSize: 1, hiddenUnits: [3, 2] })).toEqual([[1], [0, 0, 0], [0, 0]]);
  });

  it("'equal' covers every degree 1..E−1 once a layer is at least E − 1 wide", () => {
    for (let E = 2; E <= 12; E++) {
      for (let H = E - 1; H <= E + 3; H++) {
        const [, hidden] = createDegrees({ eventSize: E, hiddenUnits: [H] });
        expect(new Set(hidden).size).toBe(E - 1);
        expect(Math.min(...hidden)).toBe(1);
        expect(Math.max(...hidden)).toBe(E - 1);
      }
    }
  });

  it("'random' draws seeded degrees in [lo, E − 1], after the input order, from one stream", () => {
    const options = { eventSize: 6, hiddenUnits: [40, 40], inputOrder: 'random', hiddenDegrees: 'random' } as const;
    const a = createDegrees({ ...options, rng: 'degrees-random' });
    expect(createDegrees({ ...options, rng: 'degrees-random' })).toEqual(a);
    expect(createDegrees({ ...options, rng: 'degrees-random-2' })).not.toEqual(a);
    // The order is drawn first from the same stream, so it matches createInputOrder on a fresh copy.
    expect(a[0]).toEqual(createInputOrder(6, 'random', 'degrees-random'));
    for (const layer of a.slice(1)) {
      // lo = min(1, 5) = 1: 40 draws from {1..5} hit every value (each misses with prob (4/5)^40 ≈ 1e-4).
      expect(new Set(layer)).toEqual(new Set([1, 2, 3, 4, 5]));
    }
    const narrow = createDegrees({ eventSize: 8, hiddenUnits: [1, 30], hiddenDegrees: 'random', rng: seededRng('degrees-narrow') });
    // The second layer is floored at the single unit of the first.
    expect(narrow[2].every((m) => m >= narrow[1][0] && m <= 7)).toBe(true);
  });

  it('rejects bad options, naming the option', () => {
    expect(() => createDegrees({ eventSize: 3, hiddenUnits: [4, 0] })).toThrow(RangeError);
    expect(() => createDegrees({ eventSize: 3, hiddenUnits: [4, 0] })).toThrow(/createDegrees: 'hiddenUnits' entries must be positive integers, got 0 at index 1 of \[4,0\]/);
    expect(() => createDegrees({ eventSize: 3, hiddenUnits: [2.5] })).toThrow(/'hiddenUnits' entries must be positive integers/);
    expect(() => createDegrees({ eventSize: 3, hiddenUnits: 4 as unknown as number[] })).toThrow(TypeError);
    expect(() => createDegrees({ eventSize: 3, hiddenDegrees: 'uniform' as 'equal' })).toThrow(TypeError);
    expect(() => createDegrees({ eventSize: 3, hiddenDegrees: 'uniform' as 'equal' })).toThrow(/createDegrees: unknown 'hiddenDegrees' 'uniform'; expected 'equal' or 'random'/);
    expect(() => createDegrees({ eventSize: -1 })).toThrow(/createDegrees: 'eventSize' must be a positive integer, got -1/);
    expect(() => createDegrees({ eventSize: 2, inputOrder: [2, 3] })).toThrow(/createDegrees: 'inputOrder' \[2,3\] is not a permutation of 1..2/);
  });
});
