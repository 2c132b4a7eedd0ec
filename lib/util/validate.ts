// Argument checks for the public boundary: option names, numbers, booleans, tensors and finite data, with uniform messages.
import { Tensor } from '../../autodiff/tensor.js';
import { assert, ValueError } from './errors.js';
import { fmt } from './shape.js';

// Every message here reads `${where}: '${name}' …, got …`: the class and method, the argument,
// what arrived and what was expected, as tfjs-core's argument checks print them.

/**
 * A short description of a value for error messages: a number or boolean itself, else its kind
 * with what identifies it.
 *
 * @example
 * describe(tensor([[1, 2]]));  // 'a Tensor of shape [1,2]'
 * describe('32');              // "'32'": quoted, so the string '32' and the number 32 read apart
 * describe([1, 2]);            // 'an array of length 2'
 * describe(new Date());        // 'an object (Date)'
 */
export function describe(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${fmt(v.shape)}`;
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'bigint') return `the bigint ${v}n`;
  if (typeof v === 'symbol') return 'a symbol';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as ArrayLike<number>).length ?? v.byteLength}`;
  const ctor = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' && ctor !== 'Object' && ctor !== '' ? `an object (${ctor})` : 'an object';
}

/** `a`'s edit distance to `b` (insertions, deletions, substitutions), stopping early past `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, row[j]);
    }
    if (best > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The allowed name closest to `key`, for a "did you mean" hint: the same name up to case,
 * `_` and `-` (`learning_rate` → `learningRate`), else the nearest within two edits, if the key
 * is long enough that two edits do not make it another word (`hiddenUnit` → `hiddenUnits`).
 */
export function nearestName(key: string, allowed: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[_-]/g, '');
  const k = norm(key);
  const same = allowed.find((a) => norm(a) === k);
  if (same !== undefined) return same;
  const limit = Math.min(2, Math.floor(k.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const a of allowed) {
    const d = editDistance(k, norm(a), limit);
    if (d < bestDistance) {
      best = a;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Checks that `options` is a plain object (or `undefined`) whose keys are all in `allowed`, so
 * that a typo (`hiddenUnit`) is an error and not a silently ignored option.
 *
 * @param options - the user's options object
 * @param allowed - every option name the caller accepts
 * @param where - the class or method to name, e.g. `'AutoregressiveNetwork'`
 * @returns the options as a record (empty for `undefined`)
 * @throws TypeError for a non-object, or naming the unknown key, the nearest valid one and all of them
 */
export function checkOptions(options: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
  if (options === undefined) return {};
  assert(typeof options === 'object' && options !== null && !Array.isArray(options) && !(options instanceof Tensor), () =>
    `${where}: 'options' must be an object, got ${describe(options)}`, TypeError);
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const near = nearestName(key, allowed);
    throw new TypeError(`${where}: unknown option '${key}'${near === undefined ? '' : ` (did you mean '${near}'?)`}; valid options are ${allowed.join(', ')}`);
  }
  return options as Record<string, unknown>;
}

/** Bounds of a number: `gt`/`ge` below, `lt`/`le` above (each optional). */
export interface NumberBounds {
  gt?: number;
  ge?: number;
  lt?: number;
  le?: number;
}

/**
 * A finite number within `bounds`; `fallback` when the value is `undefined` and a fallback is given.
 * @throws TypeError when the value is not a number; RangeError for NaN, ±∞ or a value out of
 *   range, naming `where`, `name`, the value and the allowed range
 */
export function checkFiniteNumber(value: unknown, name: string, where: string, bounds: NumberBounds = {}, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const { gt, ge, lt, le } = bounds;
  const range = (): string => {
    const lo = gt !== undefined ? `> ${gt}` : ge !== undefined ? `≥ ${ge}` : '';
    const hi = lt !== undefined ? `< ${lt}` : le !== undefined ? `≤ ${le}` : '';
    return `a finite number${lo ? ` ${lo}` : ''}${lo && hi ? ' and' : ''}${hi ? ` ${hi}` : ''}`;
  };
  assert(typeof value === 'number', () => `${where}: '${name}' must be a number, got ${describe(value)}`, TypeError);
  const ok = Number.isFinite(value) && (gt === undefined || value > gt) && (ge === undefined || value >= ge)
    && (lt === undefined || value < lt) && (le === undefined || value <= le);
  assert(ok, () => `${where}: '${name}' must be ${range()}, got ${value}`, RangeError);
  return value;
}

/**
 * An integer ≥ 1; `fallback` when the value is `undefined` and a fallback is given.
 * @throws TypeError for a non-number; RangeError for a number that is not a positive integer
 */
export function checkPositiveInt(value: unknown, name: string, where: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  assert(typeof value === 'number', () => `${where}: '${name}' must be a positive integer, got ${describe(value)}`, TypeError);
  assert(Number.isInteger(value) && value >= 1, () => `${where}: '${name}' must be a positive integer, got ${value}`, RangeError);
  return value;
}

/**
 * An integer ≥ 0; `fallback` when the value is `undefined` and a fallback is given.
 * @throws TypeError for a non-number; RangeError for a number that is not a non-negative integer
 */
export function checkNonNegativeInt(value: unknown, name: string, where: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  assert(typeof value === 'number', () => `${where}: '${name}' must be a non-negative integer, got ${describe(value)}`, TypeError);
  assert(Number.isInteger(value) && value >= 0, () => `${where}: '${name}' must be a non-negative integer, got ${value}`, RangeError);
  return value;
}

/**
 * A boolean; `fallback` when the value is `undefined` and a fallback is given.
 * @throws TypeError for anything else (a truthy string is not `true`)
 */
export function checkBoolean(value: unknown, name: string, where: string, fallback?: boolean): boolean {
  if (value === undefined && fallback !== undefined) return fallback;
  assert(typeof value === 'boolean', () => `${where}: '${name}' must be a boolean, got ${describe(value)}`, TypeError);
  return value;
}

/**
 * One of the names in `choices`; `fallback` when the value is `undefined` and a fallback is given.
 * @throws TypeError naming the value, the nearest choice and every choice
 */
export function checkOneOf<T extends string>(value: unknown, choices: readonly T[], name: string, where: string, fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if ((choices as readonly unknown[]).includes(value)) return value as T;
  const near = typeof value === 'string' ? nearestName(value, choices) : undefined;
  throw new TypeError(`${where}: '${name}' must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}` +
    (near === undefined ? '' : ` (did you mean '${near}'?)`));
}

/**
 * A non-empty string; `fallback` when the value is `undefined` and a fallback is given.
 * @throws TypeError for anything else
 */
export function checkNonEmptyString(value: unknown, name: string, where: string, fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback;
  assert(typeof value === 'string' && value.length > 0, () => `${where}: '${name}' must be a non-empty string, got ${describe(value)}`, TypeError);
  return value;
}

/** What {@link checkTensor} checks besides the kind; every field optional. */
export interface TensorRequirements {
  /** Exact rank. */
  rank?: number;
  /** Smallest rank. */
  minRank?: number;
  /** Size of the last axis (E, the event size). */
  lastDim?: number;
  /** How the expected shape reads in the message, e.g. `'[batch, 3]'`; built from the other fields if absent. */
  expected?: string;
}

/**
 * Checks that `x` is a Tensor with the given rank and last dimension.
 * @returns `x`
 * @throws TypeError when `x` is not a Tensor; ValueError naming both shapes for a wrong rank or last dimension
 */
export function checkTensor(x: unknown, name: string, where: string, req: TensorRequirements = {}): Tensor {
  assert(x instanceof Tensor, () => `${where}: '${name}' must be a Tensor, got ${describe(x)}`, TypeError);
  const { rank, minRank, lastDim } = req;
  const expected = (): string => req.expected
    ?? (rank !== undefined ? `rank ${rank}` : '')
    + (lastDim !== undefined ? `${rank !== undefined ? ' ' : ''}[..., ${lastDim}]` : '')
    + (minRank !== undefined ? `${rank !== undefined || lastDim !== undefined ? ', ' : ''}rank ≥ ${minRank}` : '');
  const ok = (rank === undefined || x.rank === rank) && (minRank === undefined || x.rank >= minRank)
    && (lastDim === undefined || (x.rank >= 1 && x.shape[x.rank - 1] === lastDim));
  assert(ok, () => `${where}: '${name}' has shape ${fmt(x.shape)}, expected ${expected()}`);
  return x;
}

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
