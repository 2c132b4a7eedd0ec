// MADE masks: the 0/1 [fanIn, fanOut] matrices that make a dense network autoregressive, built from degrees.
import { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import type { Seed } from '../../lib/util/random.js';
import { checkNoHoles } from '../../lib/util/arrays.js';
import { checkTensorElements } from '../../lib/util/limits.js';
import { checkOptions, checkPositiveInt, describe } from '../../lib/util/validate.js';
import { checkMadeSize } from './made-size.js';
import { checkEventSize, checkHiddenUnits, createDegrees, type HiddenDegrees, type InputOrder } from './degrees.js';

/**
 * The masks of a MADE network from its degrees (TFP's `_create_masks` followed by the
 * tiling of the output mask over `params`).
 *
 * Masks are `[fanIn, fanOut]`, so a layer computes `x · (W ⊙ M)` with no transpose.
 *
 *     hidden (input → hidden, hidden → hidden):  M[i][k] = 1  iff  m(i) ≤ m(k)
 *     output (last layer → output):              M[k][d·params + p] = 1  iff  m(k) < m_input(d)
 *
 * Output column `d·params + p` is parameter `p` of event dimension `d` (event-major,
 * parameter-minor), so all `params` outputs of one dimension share one mask column.
 * The strict `<` in the last mask is what makes output `d` independent of input `d`
 * and of every later input; the `≤` in the hidden masks lets a unit of degree k carry x_k.
 *
 * @param degrees - `[m_input, m_hidden1, …]` as {@link createDegrees} returns (1-based)
 * @param params - outputs per event dimension, an integer ≥ 1
 * @returns one mask per dense layer (hidden layers, then the output layer); each a 0/1 tensor
 *   of shape `[fanIn, fanOut]`, the last `[fanIn, E·params]`
 * @throws RangeError when `params` is not a positive integer; ValueError when `degrees` is empty
 */
export function masksFromDegrees(degrees: readonly (readonly number[])[], params: number): Tensor[] {
  assert(Array.isArray(degrees) && degrees.length >= 1,
    () => `masksFromDegrees: 'degrees' must hold at least the input degrees, got ${JSON.stringify(degrees)}`);
  assert(Number.isInteger(params) && params >= 1, () => `masksFromDegrees: 'params' must be a positive integer, got ${params}`, RangeError);
  checkNoHoles(degrees, 'degrees', 'masksFromDegrees');
  degrees.forEach((m, l) => {
    assert(Array.isArray(m), () => `masksFromDegrees: 'degrees[${l}]' must be an array of degrees, got ${describe(m)}`, TypeError);
    checkNoHoles(m, `degrees[${l}]`, 'masksFromDegrees');
  });
  const widths = [...degrees.map((m) => m.length), degrees[0].length * params];
  for (let l = 1; l < widths.length; l++) checkTensorElements(widths[l - 1] * widths[l], `mask ${l - 1} [${widths[l - 1]},${widths[l]}]`, 'masksFromDegrees');
  const masks: Tensor[] = [];
  for (let l = 1; l < degrees.length; l++) masks.push(hiddenMask(degrees[l - 1], degrees[l]));
  masks.push(outputMask(degrees[degrees.length - 1], degrees[0], params));
  return masks;
}

/**
 * The mask `[from.length, to.length]` of a hidden layer: entry (i, k) is 1 iff m(i) ≤ m(k), so a
 * unit of degree k sees the units (or inputs) of degree at most k.
 *
 * @param from - the degrees of the layer's inputs
 * @param to - the degrees of its units
 */
export function hiddenMask(from: readonly number[], to: readonly number[]): Tensor {
  const data = new Float64Array(from.length * to.length);
  for (let i = 0; i < from.length; i++) {
    for (let k = 0; k < to.length; k++) data[i * to.length + k] = from[i] <= to[k] ? 1 : 0;
  }
  return new Tensor(data, [from.length, to.length]);
}

/**
 * The mask `[from.length, E·params]` of the output layer: the `params` columns of dimension d
 * (columns d·params … d·params + params − 1) see unit k iff m(k) < m(d), strictly, so no output
 * sees its own input.
 *
 * @param from - the degrees of the last hidden layer's units (or of the inputs, with no hidden layer)
 * @param input - the input degrees m(d), one per event dimension
 * @param params - outputs per event dimension
 */
export function outputMask(from: readonly number[], input: readonly number[], params: number): Tensor {
  const fanOut = input.length * params;
  const data = new Float64Array(from.length * fanOut);
  for (let k = 0; k < from.length; k++) {
    for (let d = 0; d < input.length; d++) {
      const connected = from[k] < input[d] ? 1 : 0;
      for (let p = 0; p < params; p++) data[k * fanOut + d * params + p] = connected;
    }
  }
  return new Tensor(data, [from.length, fanOut]);
}

/** Options of {@link makeMasks}. */
export interface MaskOptions {
  /** Outputs per event dimension (2 for a flow's shift and log-scale), an integer ≥ 1. */
  params: number;
  /** E, the number of inputs. */
  eventSize: number;
  /** Widths of the hidden layers; default `[]` (a single masked layer, input → output). */
  hiddenUnits?: readonly number[];
  /** Default `'left-to-right'`. */
  inputOrder?: InputOrder;
  /** Default `'equal'`. */
  hiddenDegrees?: HiddenDegrees;
  /** Seed or generator for `'random'` order or degrees. */
  rng?: Seed;
}

/**
 * The masks of a MADE network with these settings, identical to TFP's
 * `_make_dense_autoregressive_masks` for the same (non-random) options.
 * Hidden layers narrower than `E − 1` are allowed; see {@link createDegrees}.
 *
 * @returns one 0/1 mask `[fanIn, fanOut]` per dense layer; see {@link masksFromDegrees}
 * @throws for bad options, naming the option (see {@link createDegrees})
 * @see Germain et al. 2015, MADE, https://arxiv.org/abs/1502.03509
 *
 * @example
 * const [toHidden, toOutput] = makeMasks({ params: 1, eventSize: 3, hiddenUnits: [2] });
 * // hidden degrees ⌈k·2/3⌉ = [1, 2]; toHidden[j][k] = 1 iff m(j) ≤ m(k):
 * toHidden.toArray(); // [[1, 1], [0, 1], [0, 0]]
 * // toOutput[k][d] = 1 iff m(k) < m(d):
 * toOutput.toArray(); // [[0, 1, 1], [0, 0, 1]]
 */
export function makeMasks(options: MaskOptions): Tensor[] {
  assert(typeof options === 'object' && options !== null, () => `makeMasks: 'options' must be an object { params, eventSize, ... }, got ${describe(options)}`, TypeError);
  checkOptions(options, ['params', 'eventSize', 'hiddenUnits', 'inputOrder', 'hiddenDegrees', 'rng'], 'makeMasks');
  checkPositiveInt(options.params, 'params', 'makeMasks');
  // The sizes first, so a mask too large to make is refused before its degrees are drawn.
  const eventSize = checkEventSize(options.eventSize, 'eventSize', 'makeMasks');
  checkMadeSize({ eventSize, hiddenUnits: checkHiddenUnits(options.hiddenUnits ?? [], 'makeMasks'), params: options.params }, 'makeMasks');
  const degrees = createDegrees({
    eventSize: options.eventSize,
    hiddenUnits: options.hiddenUnits,
    inputOrder: options.inputOrder,
    hiddenDegrees: options.hiddenDegrees,
    rng: options.rng,
  }, 'makeMasks');
  return masksFromDegrees(degrees, options.params);
}
