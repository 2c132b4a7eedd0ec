// Argument checks for the public boundary: option names, numbers, booleans and strings, with uniform messages.
// This is the ground floor: it imports nothing from autodiff, flows or lib. The checks of tensors
// (rank, last axis, finite entries) build on it in autodiff/checks.ts.
import { assert } from './errors.js';

// Every message here reads `${where}: '${name}' …, got …`: the class and method, the argument,
// what arrived and what was expected, as tfjs-core's argument checks print them.

/**
 * The key of a method by which a class describes its instances for {@link describe}: a Tensor
 * answers `'a Tensor of shape [1,2]'`. A symbol keeps this floor free of the classes above it.
 */
export const DESCRIBE: unique symbol = Symbol.for('maflow.describe');

/** What `v`'s own {@link DESCRIBE} method says, if it has one. */
function describeOwn(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const own = (v as { [DESCRIBE]?: unknown })[DESCRIBE];
  return typeof own === 'function' ? String((own as () => unknown).call(v)) : undefined;
}

/** True for `{…}` literals (an object whose prototype is `Object.prototype` or `null`), not arrays, tensors or class instances. */
export function isPlainObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A short description of a value for error messages: a number or boolean itself, else its kind
 * with what identifies it.
 *
 * @example
 * describe(tensor([[1, 2]]));  // 'a Tensor of shape [1,2]'
 * describe('32');              // "'32'": quoted, so the string '32' and the number 32 read apart
 * describe([1, 2]);            // '[1,2]': a short array of numbers, strings or booleans shows its entries
 * describe(new Array(100));     // 'an array of length 100'
 * describe(new Date());        // 'an object (Date)'
 */
export function describe(v: unknown): string {
  const own = describeOwn(v);
  if (own !== undefined) return own;
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) {
    const short = v.length <= 16 && v.every((e) => typeof e === 'number' || typeof e === 'boolean' || (typeof e === 'string' && e.length <= 40));
    return short ? `[${v.map((e) => (typeof e === 'string' ? `'${e}'` : String(e))).join(',')}]` : `an array of length ${v.length}`;
  }
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
function nearestName(key: string, allowed: readonly string[]): string | undefined {
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
  assert(typeof options === 'object' && options !== null && !Array.isArray(options) && describeOwn(options) === undefined, () =>
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
