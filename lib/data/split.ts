// Seeded train / validation / test splits of a [rows, ...] tensor.
import { Tensor } from '../../autodiff/tensor.js';
import { gather } from '../../autodiff/ops/shape.js';
import { assert } from '../util/errors.js';
import { checkOptions } from '../util/validate.js';
import { toRandom, type Seed } from '../util/random.js';

/** The three parts of a split, each a tensor of whole rows. */
export interface Split {
  /** The rows left after validation and test are taken, shape `[nTrain, ...]`. */
  train: Tensor;
  /** `round(rows · validation)` rows, shape `[nValidation, ...]`. */
  validation: Tensor;
  /** `round(rows · test)` rows, shape `[nTest, ...]`. */
  test: Tensor;
}

/**
 * Shuffles the rows of `x` with a seeded permutation and cuts them into train, validation and test
 * parts of the given fractions (validation and test get `round(rows · fraction)` rows each; train takes the rest).
 *
 * @param x - data, shape [rows, ...]
 * @param fractions - `{ validation, test }`, each in [0, 1) with a sum < 1; default 0.1 and 0.1 (an 80/10/10 split)
 * @param seed - the same seed gives the same split
 * @throws RangeError for fractions out of range; ValueError for a rank-0 `x`
 * @example
 * const { train, validation, test } = trainValidationTestSplit(x, { validation: 0.1, test: 0.1 }, 0);
 */
export function trainValidationTestSplit(x: Tensor, fractions: { validation?: number; test?: number } = {}, seed: Seed = 0): Split {
  assert(x instanceof Tensor, () => `trainValidationTestSplit: 'x' must be a Tensor, got ${typeof x}`, TypeError);
  assert(x.rank >= 1, () => `trainValidationTestSplit: 'x' has shape [${x.shape}], expected [rows, ...]`);
  checkOptions(fractions, ['validation', 'test'], 'trainValidationTestSplit');
  const fv = fractions.validation ?? 0.1;
  const ft = fractions.test ?? 0.1;
  for (const [name, f] of [['validation', fv], ['test', ft]] as const) {
    assert(Number.isFinite(f) && f >= 0 && f < 1, () => `trainValidationTestSplit: fraction '${name}' must be in [0, 1), got ${f}`, RangeError);
  }
  assert(fv + ft < 1, () => `trainValidationTestSplit: fractions validation ${fv} + test ${ft} must leave rows for training (sum < 1)`, RangeError);
  const n = x.shape[0];
  const order = toRandom(seed).permutation(n);
  const nv = Math.round(n * fv);
  const nt = Math.round(n * ft);
  const nTrain = n - nv - nt;
  return {
    train: gather(x, order.slice(0, nTrain), 0),
    validation: gather(x, order.slice(nTrain, nTrain + nv), 0),
    test: gather(x, order.slice(nTrain + nv), 0),
  };
}
