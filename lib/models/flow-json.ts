// Saving a bare flow: any Distribution or Bijector as one JSON object in the model file's format, its config plus bit-exact weights.
import { Bijector, type BijectorConfig } from '../../flows/bijectors/bijector.js';
import { bijectorFromConfig } from '../../flows/bijectors/serialization.js';
import { Distribution, type DistributionConfig } from '../../flows/distributions/distribution.js';
import { distributionFromConfig } from '../../flows/distributions/serialization.js';
import { assert } from '../util/errors.js';
import { serialize } from '../util/register.js';
import { describe } from '../util/validate.js';
import { decodeTensor, encodeTensor, MODEL_FORMAT, MODEL_FORMAT_VERSION, parseModelText, type EncodedTensor } from './save.js';

/**
 * A flow as `flowToJSON` returns it and `saveFlow` writes it: the envelope of a model file
 * (`format`, `version`), the kind of object, its `getConfig()`, and every weight bit-exact,
 * in its `weights` order (trainable, then non-trainable such as batch-norm averages).
 */
export interface FlowJSON<Kind extends 'Distribution' | 'Bijector' = 'Distribution' | 'Bijector'> {
  /** Always `'maflow-model'`, as in a `Sequential`'s file. */
  format: typeof MODEL_FORMAT;
  /** The file version, {@link MODEL_FORMAT_VERSION} when written by this code. */
  version: number;
  /** `'Distribution'` or `'Bijector'`: which loader rebuilds it (a `Sequential`'s file says `'Sequential'`). */
  className: Kind;
  /** The object's `getConfig()`, whose own `className` names its class (e.g. `'TransformedDistribution'`). */
  config: Kind extends 'Distribution' ? DistributionConfig : BijectorConfig;
  /** Every weight, in the object's `weights` order, bit-exact. */
  weights: EncodedTensor[];
}

/**
 * A distribution or bijector with its weights, as one JSON-safe object (the format of a model
 * file), made from `serialize(flow)` with the weights encoded bit-exact: store `JSON.stringify(flowToJSON(flow))` anywhere (a file through `saveFlow` in Node,
 * `localStorage` or IndexedDB in a browser) and rebuild it with {@link distributionFromJSON} or
 * {@link bijectorFromJSON}: same densities and samples, bit for bit.
 *
 * @throws TypeError when the flow holds a user function, which JSON cannot carry (named by its `getConfig`)
 *
 * @example
 * const flow = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 2, hiddenUnits: [8], seed: 3 });
 * const copy = distributionFromJSON(JSON.stringify(flowToJSON(flow)));
 * copy.logProb([[1, 2]]).item() === flow.logProb([[1, 2]]).item(); // true
 */
export function flowToJSON(flow: Distribution): FlowJSON<'Distribution'>;
export function flowToJSON(flow: Bijector): FlowJSON<'Bijector'>;
export function flowToJSON(flow: Distribution | Bijector): FlowJSON;
export function flowToJSON(flow: Distribution | Bijector): FlowJSON {
  const isDist = flow instanceof Distribution;
  assert(isDist || flow instanceof Bijector, () => `flowToJSON: 'flow' must be a Distribution or a Bijector, got ${describe(flow)}`, TypeError);
  const { config, weights } = serialize(flow);
  return { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, className: isDist ? 'Distribution' : 'Bijector', config, weights: weights.map(encodeTensor) };
}

/**
 * The weights of a flow file, checked: the envelope (format, version, kind), then every tensor,
 * which must be finite (training never keeps a non-finite weight, so one in a file is damage).
 */
function readFlowJSON(json: unknown, kind: 'Distribution' | 'Bijector', where: string): { config: unknown; weights: ReturnType<typeof decodeTensor>[] } {
  const value = typeof json === 'string' ? parseModelText(json, "'json'", where) : json;
  assert(typeof value === 'object' && value !== null && !Array.isArray(value), () => `${where}: expected a flow object, got ${describe(value)}`);
  const v = value as Record<string, unknown>;
  assert(v.format === MODEL_FORMAT, () => `${where}: 'format' is ${JSON.stringify(v.format)}, expected "${MODEL_FORMAT}" (not a maflow file)`);
  assert(v.version === MODEL_FORMAT_VERSION, () => `${where}: the file has format version ${JSON.stringify(v.version)}; this version reads version ${MODEL_FORMAT_VERSION}`);
  assert(v.className === kind, () => v.className === 'Sequential'
    ? `${where}: the file holds a Sequential model; load it with Sequential.fromJSON (or loadModel in Node)`
    : `${where}: 'className' is ${JSON.stringify(v.className)}, expected "${kind}"`);
  assert(Array.isArray(v.weights), () => `${where}: 'weights' must be an array, got ${describe(v.weights)}`);
  const weights = (v.weights as unknown[]).map((enc, i) => {
    const t = decodeTensor(enc, `${where}: weights[${i}]`);
    const bad = t.data.findIndex((x) => !Number.isFinite(x));
    assert(bad < 0, () => `${where}: weights[${i}] holds ${t.data[bad]} at index ${bad}; a saved weight must be finite`);
    return t;
  });
  return { config: v.config, weights };
}

/**
 * Rebuilds a distribution from {@link flowToJSON}'s object or its JSON text, weights included.
 * @throws ValueError naming the problem for text that is not JSON, another format or version, a
 *   file of a bijector or model, an unknown class, or weights that do not fit
 */
export function distributionFromJSON(json: FlowJSON<'Distribution'> | string, where = 'distributionFromJSON'): Distribution {
  const { config, weights } = readFlowJSON(json, 'Distribution', where);
  return distributionFromConfig(config as DistributionConfig, weights, where);
}

/**
 * Rebuilds a bijector from {@link flowToJSON}'s object or its JSON text, weights included.
 * @throws ValueError as {@link distributionFromJSON}
 */
export function bijectorFromJSON(json: FlowJSON<'Bijector'> | string, where = 'bijectorFromJSON'): Bijector {
  const { config, weights } = readFlowJSON(json, 'Bijector', where);
  return bijectorFromConfig(config as BijectorConfig, weights, where);
}
