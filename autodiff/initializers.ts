// Weight initializers with Keras's names, fans and scales; every draw comes from the Random passed in.
import { assert } from '../lib/util/errors.js';
import { Random } from '../lib/util/random.js';
import { checkShape, sizeOf, type Shape } from '../lib/util/shape.js';
import { Tensor } from './tensor.js';

/**
 * Makes a tensor of `shape` (a leaf with `requiresGrad` false; the layer turns it into a
 * parameter). Random initializers draw the entries in row-major order from `rng`, so a seed
 * reproduces them.
 */
export type Initializer = (shape: Shape, rng: Random) => Tensor;

/** The initializers {@link getInitializer} knows by name (Keras's, in camelCase). */
export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'zeros' | 'ones' | 'nearZero';

/**
 * Number of inputs and outputs a weight of `shape` connects, as Keras's `compute_fans`:
 * rank 0: 1 and 1; rank 1: both `shape[0]`; rank 2 `[fanIn, fanOut]` (a dense kernel);
 * rank > 2 (a convolution kernel `[..., inChannels, outChannels]`): the last two times the
 * receptive field size, the product of the leading dimensions.
 *
 * @example
 * computeFans([3, 3, 16, 32]); // { fanIn: 144, fanOut: 288 }: receptive field 3·3 = 9
 */
export function computeFans(shape: Shape): {
  /** Inputs feeding each output unit: `shape[rank − 2]` times the receptive field. */
  fanIn: number;
  /** Output units each input feeds: `shape[rank − 1]` times the receptive field. */
  fanOut: number;
} {
  checkShape(shape, 'computeFans');
  const r = shape.length;
  if (r === 0) return { fanIn: 1, fanOut: 1 };
  if (r === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const receptiveField = sizeOf(shape.slice(0, r - 2));
  return { fanIn: shape[r - 2] * receptiveField, fanOut: shape[r - 1] * receptiveField };
}

/**
 * Standard deviation of N(0, 1) truncated to [−2, 2]: √(1 − 4φ(2)/(Φ(2) − Φ(−2))).
 * Keras divides by it so that the truncated draws have the intended standard deviation.
 */
export const TRUNCATED_NORMAL_STD = 0.87962566103423978;

function checkRng(rng: unknown, where: string): asserts rng is Random {
  assert(rng instanceof Random, () => `${where}: 'rng' must be a Random (lib/util/random.ts), got ${rng === null ? 'null' : typeof rng}`, TypeError);
}

/** U[−limit, limit) in row-major order. `limit·(2u − 1)` is exact in 2u − 1, so no draw reaches +limit. */
function uniformTensor(where: string, shape: Shape, rng: Random, limit: number): Tensor {
  checkShape(shape, where);
  checkRng(rng, where);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = limit * (2 * rng.uniform() - 1);
  return new Tensor(data, shape);
}

/**
 * N(0, stddev²) truncated at ±2·stddev by redrawing, as `tf.random.truncated_normal`; the result has
 * standard deviation `stddev · TRUNCATED_NORMAL_STD`. Each entry costs 1/0.9545 ≈ 1.05 draws on average.
 */
function truncatedNormalTensor(where: string, shape: Shape, rng: Random, stddev: number): Tensor {
  checkShape(shape, where);
  checkRng(rng, where);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    data[i] = stddev * z;
  }
  return new Tensor(data, shape);
}

/**
 * Glorot (Xavier) uniform: U(−l, l) with l = √(6/(fanIn + fanOut)), so Var = l²/3 = 2/(fanIn + fanOut).
 * Keras's default kernel initializer. Fans below 1 (empty shapes) count as 1, as in Keras.
 *
 * @param shape - e.g. `[fanIn, fanOut]` for a dense kernel
 * @param rng - the generator to draw from
 * @throws TypeError if `rng` is not a Random; RangeError for a bad shape
 * @see Glorot & Bengio 2010, http://proceedings.mlr.press/v9/glorot10a.html
 */
export const glorotUniform: Initializer = (shape, rng) => {
  const { fanIn, fanOut } = computeFans(shape);
  // Keras's max(1, (fanIn + fanOut)/2) guard against empty shapes, written as max(2, fanIn + fanOut).
  return uniformTensor('glorotUniform', shape, rng, Math.sqrt(6 / Math.max(2, fanIn + fanOut)));
};

/**
 * Glorot (Xavier) normal, as Keras: a normal truncated at two of its standard deviations
 * (redrawn beyond), with stddev √(2/(fanIn + fanOut)) / 0.8796…, so that the truncated
 * draws have standard deviation √(2/(fanIn + fanOut)). Every entry lies within
 * ±2·√(2/(fanIn + fanOut))/0.8796….
 *
 * @throws TypeError if `rng` is not a Random; RangeError for a bad shape
 * @see Glorot & Bengio 2010, http://proceedings.mlr.press/v9/glorot10a.html
 */
export const glorotNormal: Initializer = (shape, rng) => {
  const { fanIn, fanOut } = computeFans(shape);
  const stddev = Math.sqrt(2 / Math.max(2, fanIn + fanOut)) / TRUNCATED_NORMAL_STD;
  return truncatedNormalTensor('glorotNormal', shape, rng, stddev);
};

/**
 * He (Kaiming) uniform: U(−l, l) with l = √(6/fanIn), so Var = 2/fanIn (keeps the scale
 * of ReLU activations).
 *
 * @throws TypeError if `rng` is not a Random; RangeError for a bad shape
 * @see He et al. 2015, https://arxiv.org/abs/1502.01852
 */
export const heUniform: Initializer = (shape, rng) => {
  const { fanIn } = computeFans(shape);
  return uniformTensor('heUniform', shape, rng, Math.sqrt(6 / Math.max(1, fanIn)));
};

/**
 * He (Kaiming) normal, as Keras: truncated at two standard deviations (redrawn), with
 * stddev √(2/fanIn) / 0.8796…, so the draws have standard deviation √(2/fanIn).
 *
 * @throws TypeError if `rng` is not a Random; RangeError for a bad shape
 * @see He et al. 2015, https://arxiv.org/abs/1502.01852
 */
export const heNormal: Initializer = (shape, rng) => {
  const { fanIn } = computeFans(shape);
  const stddev = Math.sqrt(2 / Math.max(1, fanIn)) / TRUNCATED_NORMAL_STD;
  return truncatedNormalTensor('heNormal', shape, rng, stddev);
};

/**
 * Every entry equal to `value` (draws nothing from the generator).
 *
 * @param value - a finite number
 * @throws TypeError if `value` is not a number; RangeError if it is not finite
 */
export function constant(value: number): Initializer {
  assert(typeof value === 'number', () => `constant: 'value' must be a number, got ${typeof value}`, TypeError);
  assert(Number.isFinite(value), () => `constant: 'value' must be finite, got ${value}`, RangeError);
  return (shape) => {
    checkShape(shape, 'constant');
    return new Tensor(new Float64Array(sizeOf(shape)).fill(value), shape);
  };
}

/** All zeros (biases, by Keras's default). */
export const zeros: Initializer = constant(0);

/** All ones. */
export const ones: Initializer = constant(1);

/**
 * U(−10⁻³, 10⁻³), nflows' `zero_initialization` of a MADE's output layer: a flow whose last layer
 * starts here starts within 10⁻³ of the identity (every transform family maps parameters 0 to the
 * identity), while the weights still differ, so their gradients do too.
 *
 * @throws TypeError if `rng` is not a Random; RangeError for a bad shape
 */
export const nearZero: Initializer = (shape, rng) => uniformTensor('nearZero', shape, rng, 1e-3);

const byName: Readonly<Record<InitializerName, Initializer>> = { glorotUniform, glorotNormal, heUniform, heNormal, zeros, ones, nearZero };

/**
 * The initializer with that name, or the function itself.
 *
 * @example
 * const w = getInitializer('glorotUniform')([4, 8], new Random(0)); // shape [4, 8]
 *
 * @throws TypeError for an unknown name (naming it and listing the valid ones) or a value that is
 *   neither a string nor a function
 */
export function getInitializer(nameOrFn: InitializerName | Initializer): Initializer {
  if (typeof nameOrFn === 'function') return nameOrFn;
  assert(typeof nameOrFn === 'string', () =>
    `getInitializer: expected an initializer name or function, got ${nameOrFn === null ? 'null' : typeof nameOrFn}`, TypeError);
  assert(Object.prototype.hasOwnProperty.call(byName, nameOrFn), () =>
    `getInitializer: unknown initializer '${nameOrFn}'; valid names are ${Object.keys(byName).join(', ')}`, TypeError);
  return byName[nameOrFn];
}
