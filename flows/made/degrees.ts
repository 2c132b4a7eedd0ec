// MADE degrees: which inputs each unit may see, as plain number arrays (no tensors), following TFP's rules.
import { assert, ValueError } from '../../lib/util/errors.js';
import { toRandom, type Seed } from '../../lib/util/random.js';
import { checkTensorElements } from '../../lib/util/limits.js';
import { checkOptions, describe } from '../../lib/util/validate.js';
import { checkNoHoles } from '../../lib/util/arrays.js';

/**
 * How inputs are ordered. Degrees are 1-based, as in TFP: input `j` has degree
 * `m(j)`, its position in the autoregressive order, and output `d` may depend on
 * input `j` only if `m(j) < m(d)`.
 *
 * - `'left-to-right'`: `m = [1, 2, …, E]`, so p(x) = p(x₁) p(x₂ | x₁) … p(x_E | x_<E)
 * - `'right-to-left'`: `m = [E, E−1, …, 1]`
 * - `'random'`: a seeded shuffle of `[1, …, E]`
 * - an explicit array: used as given; it must be a permutation of `1 … E`
 */
export type InputOrder = 'left-to-right' | 'right-to-left' | 'random' | readonly number[];

/**
 * How hidden units get their degrees, layer by layer (TFP's `hidden_degrees`):
 * `'equal'` spreads them evenly over `[lo, E − 1]`, `'random'` draws them uniformly (seeded).
 */
export type HiddenDegrees = 'equal' | 'random';

const INPUT_ORDER_NAMES = ['left-to-right', 'right-to-left', 'random'] as const;
const HIDDEN_DEGREE_NAMES = ['equal', 'random'] as const;

/**
 * Checks that `eventSize` (the event dimension E) is a positive integer.
 * @param arg - the argument to name, e.g. `'eventSize'` or `'inputShape[-1]'`
 * @param where - the public function or class to name in the error
 * @throws TypeError if not a number; RangeError if not a positive integer
 */
export function checkEventSize(eventSize: unknown, arg: string, where: string): number {
  assert(typeof eventSize === 'number', () => `${where}: '${arg}' must be a positive integer, got ${describe(eventSize)}`, TypeError);
  assert(Number.isInteger(eventSize) && eventSize >= 1, () => `${where}: '${arg}' must be a positive integer, got ${eventSize}`, RangeError);
  return eventSize;
}

/**
 * Checks `hiddenUnits`: an array of positive integers (widths of the hidden layers, input side first).
 * @throws TypeError if not an array; RangeError naming the bad entry otherwise
 */
export function checkHiddenUnits(hiddenUnits: unknown, where: string): number[] {
  assert(Array.isArray(hiddenUnits), () => `${where}: 'hiddenUnits' must be an array of positive integers, got ${describe(hiddenUnits)}`, TypeError);
  checkNoHoles(hiddenUnits, 'hiddenUnits', where);
  (hiddenUnits as unknown[]).forEach((h, i) => {
    assert(typeof h === 'number' && Number.isInteger(h) && h >= 1,
      () => `${where}: 'hiddenUnits' entries must be positive integers, got ${describe(h)} at index ${i} of ${describe(hiddenUnits)}`, RangeError);
  });
  return (hiddenUnits as number[]).slice();
}

/**
 * Checks `hiddenDegrees` is `'equal'` or `'random'` (TFP silently accepts anything else).
 * @throws TypeError naming the value and the valid names
 */
export function checkHiddenDegrees(hiddenDegrees: unknown, where: string): HiddenDegrees {
  assert((HIDDEN_DEGREE_NAMES as readonly unknown[]).includes(hiddenDegrees),
    () => `${where}: unknown 'hiddenDegrees' ${describe(hiddenDegrees)}; expected 'equal' or 'random'`, TypeError);
  return hiddenDegrees as HiddenDegrees;
}

/**
 * Checks `inputOrder`: one of the three names, or an array. When `eventSize` is known the array
 * must be a permutation of `1 … eventSize`; without it, only its entries are checked (the
 * network checks the rest once it knows E).
 * @throws TypeError for an unknown name or a value of the wrong kind; ValueError for an array
 *   that is not a permutation of `1 … E`
 */
export function checkInputOrder(inputOrder: unknown, eventSize: number | undefined, where: string): InputOrder {
  if (typeof inputOrder === 'string') {
    assert((INPUT_ORDER_NAMES as readonly string[]).includes(inputOrder),
      () => `${where}: unknown 'inputOrder' ${describe(inputOrder)}; expected 'left-to-right', 'right-to-left', 'random' or a permutation of 1..E`, TypeError);
    return inputOrder as InputOrder;
  }
  assert(Array.isArray(inputOrder),
    () => `${where}: 'inputOrder' must be 'left-to-right', 'right-to-left', 'random' or an array, got ${describe(inputOrder)}`, TypeError);
  checkNoHoles(inputOrder, 'inputOrder', where);
  const order = inputOrder as unknown[];
  if (eventSize === undefined) {
    assert(order.every((m) => typeof m === 'number' && Number.isInteger(m) && m >= 1),
      () => `${where}: 'inputOrder' ${describe(order)} must be a permutation of 1..E (positive integers)`, ValueError);
    return order as number[];
  }
  // A permutation of 1..E: right length, every entry an integer in range, no repeats.
  const seen = new Array<boolean>(eventSize + 1).fill(false);
  const ok = order.length === eventSize && order.every((m) => {
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > eventSize || seen[m]) return false;
    seen[m] = true;
    return true;
  });
  assert(ok, () => `${where}: 'inputOrder' ${describe(order)} is not a permutation of 1..${eventSize}`, ValueError);
  return order as number[];
}

/**
 * The degree of each input, `m(j)` for j = 0 … E−1 (1-based degrees, as TFP's `_create_input_order`).
 *
 * @param eventSize - E, the number of inputs
 * @param inputOrder - see {@link InputOrder}; default `'left-to-right'`
 * @param rng - seed or generator for `'random'` (unlike TFP, never NumPy's global state)
 * @returns a fresh array of length E, a permutation of `1 … E`
 * @throws RangeError for a bad `eventSize`; TypeError/ValueError for a bad `inputOrder`
 *
 * @example
 * createInputOrder(3, 'right-to-left'); // [3, 2, 1]
 */
export function createInputOrder(eventSize: number, inputOrder: InputOrder = 'left-to-right', rng?: Seed): number[] {
  const E = checkEventSize(eventSize, 'eventSize', 'createInputOrder');
  checkTensorElements(E, "'eventSize'", 'createInputOrder');
  const order = checkInputOrder(inputOrder, E, 'createInputOrder');
  const leftToRight = Array.from({ length: E }, (_, j) => j + 1);
  if (order === 'left-to-right') return leftToRight;
  if (order === 'right-to-left') return leftToRight.reverse();
  if (order === 'random') return toRandom(rng).shuffle(leftToRight);
  return order.slice();
}

const DEGREES_OPTIONS: readonly string[] = ['eventSize', 'hiddenUnits', 'inputOrder', 'hiddenDegrees', 'rng'];

/** Options of {@link createDegrees}. */
export interface DegreesOptions {
  /** E, the number of inputs (the event size). */
  eventSize: number;
  /** Widths of the hidden layers, input side first; default `[]`. */
  hiddenUnits?: readonly number[];
  /** Default `'left-to-right'`. An explicit array is used as the input degrees. */
  inputOrder?: InputOrder;
  /** Default `'equal'`. */
  hiddenDegrees?: HiddenDegrees;
  /** Seed or generator for `'random'` order and degrees; the order is drawn first, then each layer. */
  rng?: Seed;
}

/**
 * The degrees of the inputs and of every hidden layer, as TFP's `_create_degrees`.
 *
 * Layer by layer, with `prev` the previous layer's degrees and `lo = min(min(prev), E − 1)`:
 *
 *     'equal':  m(k) = max(lo, ⌈k·(E − 1)/(H + 1)⌉)   for unit k = 1 … H of a layer of width H
 *     'random': m(k) ~ Uniform{lo, …, E − 1}
 *
 * 'equal' cuts `[0, E − 1]` into `H + 1` equal segments and takes the inner boundaries, so every
 * degree `1 … E − 1` appears once `H ≥ E − 1`. A layer narrower than `E − 1` is allowed (TFP allows
 * it): some degrees are then missing and the dependencies they would carry are dropped, so the
 * network is still autoregressive but cannot express every conditional. With E = 1 every hidden
 * degree is 0: such units see no input and feed the single output only a constant.
 *
 * @param options - see {@link DegreesOptions}
 * @param where - the function named in error messages (callers such as `makeMasks` pass their own name)
 * @returns `[m_input, m_hidden1, …]`: the input degrees (length E), then one array per hidden layer
 * @throws RangeError/TypeError/ValueError for bad options, naming the option
 * @see Germain et al. 2015, MADE, https://arxiv.org/abs/1502.03509 (section 4)
 *
 * @example
 * createDegrees({ eventSize: 3, hiddenUnits: [4, 4] });
 * // [[1, 2, 3], [1, 1, 2, 2], [1, 1, 2, 2]]:  ⌈k·2/5⌉ for k = 1 … 4
 */
export function createDegrees(options: DegreesOptions, where = 'createDegrees'): number[][] {
  assert(typeof options === 'object' && options !== null, () => `${where}: 'options' must be an object { eventSize, ... }, got ${describe(options)}`, TypeError);
  checkOptions(options, DEGREES_OPTIONS, where);
  const E = checkEventSize(options.eventSize, 'eventSize', where);
  const hiddenUnits = checkHiddenUnits(options.hiddenUnits ?? [], where);
  const inputOrder = checkInputOrder(options.inputOrder ?? 'left-to-right', E, where);
  const hiddenDegrees = checkHiddenDegrees(options.hiddenDegrees ?? 'equal', where);
  checkTensorElements(E + hiddenUnits.reduce((a, h) => a + h, 0), `the degrees (eventSize ${E} + Σ hiddenUnits [${hiddenUnits.join(',')}])`, where);
  const rng = toRandom(options.rng);
  const degrees = [createInputOrder(E, inputOrder, rng)];
  for (const H of hiddenUnits) {
    const prev = degrees[degrees.length - 1];
    // A unit of degree below every unit of the previous layer would see nothing; capping at E − 1
    // keeps degree E out of hidden layers (a unit of degree E could feed no output).
    let lo = E - 1;
    for (const m of prev) lo = Math.min(lo, m);
    const layer = new Array<number>(H);
    for (let k = 1; k <= H; k++) {
      layer[k - 1] = hiddenDegrees === 'equal' ? Math.max(lo, Math.ceil((k * (E - 1)) / (H + 1))) : rng.int(lo, E - 1);
    }
    degrees.push(layer);
  }
  return degrees;
}
