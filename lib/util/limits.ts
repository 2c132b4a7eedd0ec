// Resource limits: sizes from a user or a file are checked against these before anything is allocated.
import { assert } from './errors.js';
import { fmt, type Shape } from './shape.js';

/**
 * The sizes maflow refuses to allocate, so that a typo (`hiddenUnits: [1e9]`) or a hostile file
 * ends in a `RangeError` instead of a V8 "heap out of memory" abort, which no `try` can catch.
 * Every limit can be raised (or lowered) with {@link setLimits}.
 */
export interface Limits {
  /** Elements of one tensor (a weight, a mask, a sample, a shape given to `zeros`); default 2²⁷ = 134,217,728 (1 GiB of float64). */
  maxTensorElements: number;
  /** Parameters of one network, or of all layers of one model together; default 2²⁶ = 67,108,864 (512 MiB of weights, ≈ 2.5 GiB with masks, gradients and Adam's moments). */
  maxModelParams: number;
  /**
   * Bytes one `sample`, `sampleAndLogProb` or `logProb` call may use, estimated before it runs as
   * rows × 8 × (event size + the output width of every 2-D weight of the distribution); default 2³⁰ (1 GiB).
   */
  maxCallBytes: number;
}

/** The limits maflow starts with (see {@link Limits} for what each bounds). */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxTensorElements: 2 ** 27,
  maxModelParams: 2 ** 26,
  maxCallBytes: 2 ** 30,
});

const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>;
let current: Limits = { ...DEFAULT_LIMITS };

/** The limits in force (a copy). */
export function getLimits(): Limits {
  return { ...current };
}

/**
 * Changes some limits, from now on, for the whole program; returns the previous ones, so a
 * caller can put them back.
 *
 * @example
 * const previous = setLimits({ maxTensorElements: 2 ** 30 }); // tensors of up to 8 GiB from now on
 * getLimits().maxTensorElements;                             // 1073741824
 * setLimits(previous);                                       // back to what it was
 *
 * @param limits - any of {@link Limits}, each a positive integer (`Infinity` turns a limit off)
 * @returns the limits in force before the call
 * @throws TypeError for an unknown name or a non-number; RangeError for a value that is not a positive integer or `Infinity`
 */
export function setLimits(limits: Partial<Limits>): Limits {
  const where = 'setLimits';
  // Checked here rather than with validate.ts's checkOptions: tensor.ts imports this file, and validate.ts imports tensor.ts.
  assert(typeof limits === 'object' && limits !== null && !Array.isArray(limits), () => `${where}: 'limits' must be an object, got ${limits === null ? 'null' : typeof limits}`, TypeError);
  const o = limits as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    assert((LIMIT_NAMES as string[]).includes(key), () => `${where}: unknown limit '${key}'; valid limits are ${LIMIT_NAMES.join(', ')}`, TypeError);
  }
  for (const name of LIMIT_NAMES) {
    const v = o[name];
    if (v === undefined) continue;
    assert(typeof v === 'number', () => `${where}: '${name}' must be a positive integer or Infinity, got ${typeof v}`, TypeError);
    assert(v === Infinity || (Number.isInteger(v) && v >= 1), () => `${where}: '${name}' must be a positive integer or Infinity, got ${v}`, RangeError);
  }
  const previous = current;
  current = { ...current, ...(o as Partial<Limits>) };
  return { ...previous };
}

function over(what: string, size: number, name: keyof Limits, where: string, unit: string): RangeError {
  return new RangeError(`${where}: ${what} is ${size.toLocaleString('en-US')} ${unit}, over the limit ${name} = ${current[name].toLocaleString('en-US')}; ` +
    `check the size, or raise the limit with setLimits({ ${name}: … })`);
}

/**
 * Checks one tensor's element count before it is allocated.
 * @param what - what the tensor is, as the message says it, e.g. `"'sampleShape' [1000000000] × event [2]"`
 * @throws RangeError naming `where`, `what`, the count and the limit
 */
export function checkTensorElements(count: number, what: string, where: string): void {
  if (!(count <= current.maxTensorElements)) throw over(what, count, 'maxTensorElements', where, 'elements');
}

/**
 * Checks a shape's element count ({@link checkTensorElements}); the shape's entries must already be checked.
 * @throws RangeError naming `where`, `what`, the shape, its size and the limit
 */
export function checkShapeElements(shape: Shape, what: string, where: string): void {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  if (!(n <= current.maxTensorElements)) throw over(`${what} ${fmt(shape)}`, n, 'maxTensorElements', where, 'elements');
}

/**
 * Checks a parameter count (of one network, or of a whole model) before the weights are made.
 * @throws RangeError naming `where`, `what`, the count and the limit
 */
export function checkParamCount(count: number, what: string, where: string): void {
  if (!(count <= current.maxModelParams)) throw over(what, count, 'maxModelParams', where, 'parameters');
}

/**
 * Checks the estimated bytes of one sample or logProb call before it runs.
 * @throws RangeError naming `where`, `what`, the bytes and the limit
 */
export function checkCallBytes(bytes: number, what: string, where: string): void {
  if (!(bytes <= current.maxCallBytes)) throw over(what, bytes, 'maxCallBytes', where, 'bytes');
}
