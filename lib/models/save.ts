// The model file: format and version, bit-exact float64 weights (base64), validation, and the atomic write.
import type { Optimizer, OptimizerState } from '../../autodiff/optimizers/optimizer.js';
import { optimizerFromConfig } from '../../autodiff/optimizers/registry.js';
import { Tensor } from '../../autodiff/tensor.js';
import { firstHole } from '../util/arrays.js';
import { registerEntry, serialize, type RegisterOptions } from '../util/register.js';
import { assert, ValueError } from '../util/errors.js';
import { requireNodeBuiltin } from '../util/node-builtin.js';
import { fmt, sizeOf } from '../util/shape.js';

// What a browser user does instead of a file.
const BROWSER_LOAD = 'in a browser, rebuild the model from its saved text with Sequential.fromJSON(text)';

/** The `format` field of every model file. */
export const MODEL_FORMAT = 'maflow-model';
/** The file version this code writes and reads. */
export const MODEL_FORMAT_VERSION = 1;

/** One tensor in a file: its shape and its float64 values, little-endian, in base64 (8 bytes per value). */
export interface EncodedTensor {
  /** The tensor's shape; `data` holds the product of its entries values, in row-major order. */
  shape: number[];
  /** Always `'float64'`, the only dtype maflow has; written so a reader need not guess. */
  dtype: 'float64';
  /** Standard base64 (RFC 4648, `=` padded) of the values' little-endian float64 bytes. */
  data: string;
}

/** A saved optimizer: the class, its constructor options, and its state with every slot array encoded. */
export interface OptimizerJSON {
  /** The optimizer's class, `'Adam'`, `'SGD'` or a name given to {@link registerOptimizer}. */
  className: string;
  /** Its `getConfig()`: the constructor options that rebuild it (e.g. `learningRate`). */
  config: Record<string, unknown>;
  /** Where training left off, so `fit` can resume exactly. */
  state: {
    /** Steps applied so far (Adam's bias corrections depend on it). */
    iterations: number;
    /** Each slot's arrays (e.g. Adam's `m` and `v`), one per trainable weight, in `model.trainableWeights` order. */
    slots: Record<string, EncodedTensor[]>;
  };
}

/**
 * What `Sequential.toJSON()` returns and `model.save(path)` writes.
 *
 * - `layers`: each layer's class and `getConfig()`, in order;
 * - `weights`: every weight of every layer, in `model.getWeights()` order, bit-exact
 *   (base64 of the float64 bytes, since JSON's decimal numbers lose −0 and need care elsewhere);
 * - `optimizer`: class, options and state (Adam's moments, the step count), or `null` if not compiled;
 * - `loss`: the loss's name if it was given by name, else `null` (a function cannot be saved).
 */
export interface ModelJSON {
  /** Always {@link MODEL_FORMAT}, `'maflow-model'`: marks the file as a maflow model. */
  format: typeof MODEL_FORMAT;
  /** The file version, {@link MODEL_FORMAT_VERSION} when written by this code; other versions are refused on load. */
  version: number;
  /** The model class; only `Sequential` models are saved. */
  className: 'Sequential';
  /** The model's `name`. */
  name: string;
  /** The shape of one example the model was built for, or `null` if it was never built. */
  inputShape: number[] | null;
  /** The layers in order, each as the key `layerFromConfig` rebuilds it from. */
  layers: Array<{
    /** The layer class, e.g. `'AutoregressiveTransform'` or a name given to `registerLayer`. */
    className: string;
    /** The layer's `getConfig()`. */
    config: Record<string, unknown>;
  }>;
  /** Every weight of every layer, in `model.getWeights()` order, bit-exact. */
  weights: EncodedTensor[];
  /** The compiled optimizer with its state, or `null` if the model was never compiled. */
  optimizer: OptimizerJSON | null;
  /** The loss's name when `compile` got one, else `null` (a loss function cannot be saved). */
  loss: string | null;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648, with `=` padding) of bytes; no Buffer or btoa, so it runs anywhere. */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i];
    const b1 = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const b2 = i + 2 < bytes.length ? bytes[i + 2] : 0;
    const n = (b0 << 16) | (b1 << 8) | b2;
    chunk += B64[(n >> 18) & 63] + B64[(n >> 12) & 63]
      + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? B64[n & 63] : '=');
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

/**
 * Bytes from standard base64.
 * @throws ValueError naming `where` for a length that is not a multiple of 4 or a character outside the alphabet
 */
export function base64ToBytes(text: string, where: string): Uint8Array {
  assert(text.length % 4 === 0, () => `${where}: base64 data has length ${text.length}, not a multiple of 4 (truncated?)`);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = text.charCodeAt(i + k);
      const isPad = c === 61 && i + k >= text.length - pad;
      const v = isPad ? 0 : c < 128 ? B64_INDEX[c] : -1;
      if (v < 0) throw new ValueError(`${where}: base64 data has an invalid character '${text[i + k]}' at position ${i + k}`);
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** Encodes float64 values exactly (every bit, −0 and all), little-endian whatever the platform. */
export function encodeFloat64(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  return bytesToBase64(bytes);
}

/**
 * Decodes {@link encodeFloat64}'s output.
 * @param count - the number of values expected
 * @throws ValueError when the data does not hold exactly `count` values
 */
export function decodeFloat64(text: string, count: number, where: string): Float64Array {
  const bytes = base64ToBytes(text, where);
  assert(bytes.length === count * 8, () => `${where}: holds ${bytes.length / 8} float64 values, expected ${count}`);
  const view = new DataView(bytes.buffer);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** A tensor as a file stores it. */
export function encodeTensor(t: Tensor): EncodedTensor {
  return { shape: t.shape.slice(), dtype: 'float64', data: encodeFloat64(t.data) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/**
 * A tensor from a file, with every field checked.
 * @throws ValueError naming `where` for a malformed shape, a dtype other than float64, or data of the wrong length
 */
export function decodeTensor(value: unknown, where: string): Tensor {
  assert(isRecord(value), () => `${where} must be an object { shape, dtype, data }, got ${kind(value)}`);
  const { shape, dtype, data } = value;
  assert(Array.isArray(shape) && firstHole(shape) < 0 && shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0),
    () => `${where}.shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  assert(dtype === 'float64', () => `${where}.dtype is ${JSON.stringify(dtype)}, expected "float64"`);
  assert(typeof data === 'string', () => `${where}.data must be a base64 string, got ${kind(data)}`);
  const s = shape as number[];
  return new Tensor(decodeFloat64(data, sizeOf(s), `${where}.data`), s);
}

/**
 * Rebuilds an optimizer from the `config` a file holds (its `getConfig()`), as `Adam.fromConfig`
 * does; the loader then restores its state. Given to {@link registerOptimizer}.
 */
export type OptimizerFactory = (config: Record<string, unknown>) => Optimizer;

/**
 * Makes a custom optimizer class loadable from a file (the built-in `Adam` and `SGD` always are):
 * a view over the one registry, `registerSerializable('optimizer', className, fromConfig, options)`.
 * @param className - the optimizer's `className`
 * @param fromConfig - rebuilds it from its `getConfig()`
 * @param options - `override: true` to replace what is registered under `className`
 * @throws TypeError for a non-string name or a non-function factory; ValueError when `className`
 *   is registered to another factory and `override` is not set
 */
export function registerOptimizer(className: string, fromConfig: OptimizerFactory, options: RegisterOptions = {}): void {
  registerEntry('optimizer', className, fromConfig, options, { where: 'registerOptimizer', name: 'className', entry: 'fromConfig', entryIs: 'a function' });
}

/** An optimizer and its state as a file stores them; the state is exported in the order of `params`. */
export function encodeOptimizer(optimizer: Optimizer, params: readonly Tensor[]): OptimizerJSON {
  const state = optimizer.getState(params);
  const slots: Record<string, EncodedTensor[]> = {};
  for (const [name, perParam] of Object.entries(state.slots)) {
    slots[name] = perParam.map((values, i) => ({ shape: params[i].shape.slice(), dtype: 'float64', data: encodeFloat64(values) }));
  }
  const { className, config } = serialize(optimizer);
  return { className, config: config as Record<string, unknown>, state: { iterations: state.iterations, slots } };
}

/**
 * Rebuilds an optimizer from a file, with its state checked against `params` (what it will train).
 * Nothing outside the new optimizer is touched.
 * @throws ValueError naming `where` for an unknown class, a bad config, or state that does not fit `params`
 */
export function decodeOptimizer(value: unknown, params: readonly Tensor[], where: string): Optimizer {
  assert(isRecord(value), () => `${where} must be an object { className, config, state }, got ${kind(value)}`);
  const { className, config, state } = value;
  assert(typeof className === 'string', () => `${where}.className must be a string, got ${kind(className)}`);
  assert(isRecord(config), () => `${where}.config must be an object, got ${kind(config)}`);
  const optimizer = optimizerFromConfig({ className, config }, where);
  assert(isRecord(state) && typeof state.iterations === 'number' && isRecord(state.slots),
    () => `${where}.state must be an object { iterations, slots }`);
  const slots: Record<string, number[][]> = {};
  for (const [name, perParam] of Object.entries(state.slots)) {
    assert(Array.isArray(perParam) && firstHole(perParam) < 0 && perParam.length === params.length,
      () => `${where}.state.slots.${name} must hold ${params.length} arrays (one per trainable weight), got ${Array.isArray(perParam) ? perParam.length : kind(perParam)}`);
    slots[name] = perParam.map((enc: unknown, i: number) => {
      const t = decodeTensor(enc, `${where}.state.slots.${name}[${i}]`);
      assert(t.size === params[i].size, () => `${where}.state.slots.${name}[${i}] has shape ${fmt(t.shape)}, but trainable weight ${i} has shape ${fmt(params[i].shape)}`);
      return Array.from(t.data);
    });
  }
  const decoded: OptimizerState = { iterations: state.iterations, slots };
  try {
    optimizer.setState(decoded, params);
  } catch (e) {
    throw new ValueError(`${where}.state does not fit: ${(e as Error).message}`);
  }
  return optimizer;
}

/**
 * Checks the envelope of a model file: an object with `format: 'maflow-model'`, a version this code
 * reads, and fields of the right kinds. The layers, weights and optimizer are checked as they are rebuilt.
 * @throws ValueError naming `where` and the first field that is wrong
 */
export function checkModelJSON(value: unknown, where: string): ModelJSON {
  assert(isRecord(value), () => `${where}: expected a model object, got ${kind(value)}`);
  assert(value.format === MODEL_FORMAT, () => `${where}: 'format' is ${JSON.stringify(value.format)}, expected "${MODEL_FORMAT}" (not a maflow model file)`);
  const v = value.version;
  assert(typeof v === 'number' && Number.isInteger(v) && v >= 1, () => `${where}: 'version' is ${JSON.stringify(v)}, expected a positive integer`);
  assert(v === MODEL_FORMAT_VERSION, () => v > MODEL_FORMAT_VERSION
    ? `${where}: the file has format version ${v}, written by a newer maflow; this version reads version ${MODEL_FORMAT_VERSION}`
    : `${where}: the file has format version ${v}; this version reads version ${MODEL_FORMAT_VERSION}`);
  assert(value.className === 'Sequential', () => `${where}: 'className' is ${JSON.stringify(value.className)}, expected "Sequential"`);
  assert(typeof value.name === 'string', () => `${where}: 'name' must be a string, got ${kind(value.name)}`);
  const s = value.inputShape;
  assert(s === null || (Array.isArray(s) && firstHole(s) < 0 && s.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)),
    () => `${where}: 'inputShape' must be null or an array of non-negative integers, got ${JSON.stringify(s)}`);
  assert(Array.isArray(value.layers) && firstHole(value.layers) < 0, () => `${where}: 'layers' must be an array without holes, got ${kind(value.layers)}`);
  (value.layers as unknown[]).forEach((l, i) => {
    assert(isRecord(l) && typeof l.className === 'string' && isRecord(l.config),
      () => `${where}: 'layers[${i}]' must be an object { className, config }, got ${JSON.stringify(l)}`);
  });
  assert(Array.isArray(value.weights) && firstHole(value.weights) < 0, () => `${where}: 'weights' must be an array without holes, got ${kind(value.weights)}`);
  assert(value.optimizer === null || isRecord(value.optimizer), () => `${where}: 'optimizer' must be null or an object, got ${kind(value.optimizer)}`);
  assert(value.loss === null || typeof value.loss === 'string', () => `${where}: 'loss' must be null or a loss name, got ${kind(value.loss)}`);
  return value as unknown as ModelJSON;
}

/**
 * Parses a model file's text.
 * @throws ValueError naming `source` when the text is not JSON (a truncated or corrupt file)
 */
export function parseModelText(text: string, source: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ValueError(`${where}: ${source} is not valid JSON (truncated or corrupt?): ${(e as Error).message}`);
  }
}

export { writeFileAtomic } from './atomic-write.js';

/** Reads a UTF-8 text file (Node only; `node:fs` is reached when called). */
export async function readTextFile(path: string): Promise<string> {
  const fs = requireNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises', 'Sequential.loadWeights', BROWSER_LOAD);
  return fs.readFile(path, 'utf8');
}
