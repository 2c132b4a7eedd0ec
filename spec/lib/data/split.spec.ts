import { tensor } from '../../../autodiff/tensor.js';
import { trainValidationTestSplit } from '../../../lib/data/split.js';

describe('trainValidationTestSplit', () => {
  // 100 rows [i, 10·i], so every row can be identified by its first column.
  const x = tensor(Float64Array.from({ length: 200 }, (_, k) => (k % 2 === 0 ? k / 2 : 5 * k - 5)), [100, 2]);

  it('cuts 80/10/10 by default, rows intact, each row used once', () => {
    const { train, validation, test } = trainValidationTestSplit(x, {}, 'split');
    expect([train.shape, validation.shape, test.shape]).toEqual([[80, 2], [10, 2], [10, 2]]);
    const ids: number[] = [];
    for (const part of [train, validation, test]) {
      for (let r = 0; r < part.shape[0]; r++) {
        expect(part.data[2 * r + 1]).toBe(10 * part.data[2 * r]);
        ids.push(part.data[2 * r]);
      }
    }
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = trainValidationTestSplit(x, {}, 1);
    const b = trainValidationTestSplit(x, {}, 1);
    const c = trainValidationTestSplit(x, {}, 2);
    expect(Array.from(a.test.data)).toEqual(Array.from(b.test.data));
    expect(Array.from(a.test.data)).not.toEqual(Array.from(c.test.data));
  });

  it('rejects fractions that leave nothing to train on', () => {
    expect(() => trainValidationTestSplit(x, { validation: 0.5, test: 0.5 })).toThrow(RangeError);
    expect(() => trainValidationTestSplit(x, { test: -0.1 })).toThrow("trainValidationTestSplit: fraction 'test' must be in [0, 1), got -0.1");
  });
});
