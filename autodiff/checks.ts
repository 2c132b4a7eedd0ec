// Checks of tensor arguments at the public boundary: finite entries, and a parameter's domain.
// They speak the vocabulary of lib/util/validate.ts: (value, name, where), and messages that name all three.
import { ValueError } from '../lib/util/errors.js';
import { fmt } from '../lib/util/shape.js';
import { Tensor } from './tensor.js';

/**
 * Checks that `x` holds only finite numbers. The first offending entry is named by row (the
 * first axis) and column (the remaining axes, flattened), both 0-based. Costs one pass over `x`.
 *
 * @param hint - what to do about it, appended to the message
 * @throws ValueError such as `Sequential.fit: 'y' has NaN at row 3, column 1 (shape [100,2]); every value must be a finite number: remove or impute it before training`
 */
export function checkFinite(x: Tensor, name: string, where: string, hint = 'remove or impute it before training'): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    // v − v is 0 for every finite v and NaN for NaN and ±∞: one test, no branch on the happy path.
    if (d[i] - d[i] !== 0) {
      const cols = x.rank === 0 ? 1 : x.size / x.shape[0];
      const row = Math.floor(i / cols);
      const column = i - row * cols;
      const at = x.rank === 0 ? '' : ` at row ${row}, column ${column}`;
      throw new ValueError(`${where}: '${name}' has ${d[i]}${at} (shape ${fmt(x.shape)}); every value must be a finite number: ${hint}`);
    }
  }
}

/**
 * Checks every entry of a parameter against `ok` (e.g. positive and finite).
 * @throws RangeError naming `where`, `name`, the first bad value and its index, and what was `expected`
 */
export function checkEntries(t: Tensor, name: string, where: string, ok: (v: number) => boolean, expected: string): void {
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i];
    if (!ok(v)) throw new RangeError(`${where}: '${name}' must be ${expected}, got ${v} at flat index ${i} (shape ${fmt(t.shape)})`);
  }
}
