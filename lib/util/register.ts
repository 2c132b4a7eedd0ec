// The one registry: every saved object (bijector, distribution, layer, optimizer, transform family) and every named function is rebuilt through it.
/**
 * # One serialisation path
 *
 * Everything maflow saves is an object with a class name, a config and (maybe) weights:
 *
 *   serialize(obj)          = { className: obj.className, config: obj.getConfig(), weights: obj.weights ?? [] }
 *   deserialize(kind, json) = fromConfig(json.config), then setWeights(json.weights) when given
 *
 * where `fromConfig` is what `registerSerializable(kind, className, fromConfig)` stored. There is
 * one table, keyed by kind and class name; the kinds only keep class names of different kinds
 * apart (a `'Permute'` bijector and a `'Permute'` layer may both exist) and say how a kind is
 * named in messages. The same table holds the functions a `DistributionLambda` saves by name
 * (kind `'distributionFn'`), so one rule guards every name: registering another entry under a
 * taken name throws unless `{ override: true }`, since everything saved under it would then load
 * with other code; the same entry again is a no-op.
 *
 * Floors. This file imports nothing above `lib/util`, so every floor registers and rebuilds
 * through it: each kind registers its built-in classes on its own floor, in the file that holds
 * the kind's views (`flows/transforms/registry.ts`, `autodiff/optimizers/registry.ts`,
 * `flows/bijectors/serialization.ts`, `flows/distributions/serialization.ts`,
 * `lib/layers/registry.ts`), so importing a view registers its kind's built-ins (the package root
 * imports them all). A config that nests one of its own kind (a `Chain`'s members, an
 * `Independent`'s distribution) is rebuilt with {@link rebuild}; one that nests another kind (a
 * flow's bijector, a `FlowLayer`'s flow, a MAF's transform family) goes through that kind's view,
 * whose import guarantees the nested classes are registered.
 *
 * The views are thin: `bijectorFromConfig`, `distributionFromConfig` (which also refuses a config
 * without the weights it needs), `transformFamilyFromConfig`, `layerFromConfig`,
 * `optimizerFromConfig` are `deserialize` of their kind; `registerLayer`, `registerOptimizer` and
 * `registerDistributionFn` are {@link registerEntry} with their own argument names; the file
 * writers (`flowToJSON`, `Sequential.toJSON`) take `serialize`'s output and encode the weights
 * bit-exact. Configs nest without weights (a `TransformedDistribution`'s config holds its
 * bijector's); weights travel once, beside the outermost config, in the owner's `weights` order.
 *
 * Errors. An unknown class name is refused naming the caller, the kind and every registered
 * name. {@link deserialize} rethrows what a `fromConfig` or `setWeights` throws as a ValueError
 * naming the caller and the class; {@link rebuild} lets it pass, so a failure is named once per
 * kind it crosses (`loadModel: …: layers[1]: cannot rebuild a FlowLayer from its config:
 * FlowLayer.fromConfig: cannot rebuild a TransformedDistribution from its config: …`).
 */
import { assert, ValueError, type ErrorClass } from './errors.js';
import { describe, isPlainObject } from './validate.js';

/** What the registry holds, each kind its own namespace of class names. */
export type SerializableKind = 'bijector' | 'distribution' | 'layer' | 'optimizer' | 'transformFamily' | 'distributionFn';

/** Options of `registerSerializable`, `registerDistributionFn`, `registerLayer` and `registerOptimizer`. */
export interface RegisterOptions {
  /** Replace what is registered under the name already; default false, which makes that an error. */
  override?: boolean;
}

/**
 * An object that can be saved: its class name (the registry key), a JSON-safe config from which
 * the registered `fromConfig` rebuilds it, and its weights if it has any (trained state that a
 * config never holds), restored by `setWeights` in the same order.
 */
export interface Serializable<Config extends object = object, Weight = unknown> {
  /** The name it is registered under, e.g. `'MaskedAutoregressiveFlow'`, `'Dense'`, `'Adam'`, `'spline'`. */
  readonly className: string;
  /** Its options as plain JSON: what `fromConfig` takes. */
  getConfig(): Config;
  /** The live weight tensors, in the order `setWeights` takes them; none when absent. */
  readonly weights?: readonly Weight[];
  /** Copies weights (as many as `weights`, same shapes) into the object. */
  setWeights?(weights: readonly NoInfer<Weight>[]): void;
}

/** What {@link serialize} returns and {@link deserialize} takes. */
export interface Serialized<Config extends object = object, Weight = unknown> {
  /** The registry key within the kind. */
  className: string;
  /** The object's `getConfig()`. */
  config: Config;
  /** Its weights, in its `weights` order; optional on the way in (absent: fresh weights). */
  weights?: readonly Weight[];
}

/** Rebuilds an object of a kind from its config (weights come after, through `setWeights`). */
export type FromConfig<T = unknown> = (config: never) => T;

/** How each kind is named in messages: `unknown ${noun} 'X'; ${listed} A, B (register others with ${registrar})`. */
const KINDS: Record<SerializableKind, { noun: string; listed: string; registrar: string; unknown: ErrorClass }> = {
  bijector: { noun: 'bijector class', listed: 'known classes are', registrar: "registerSerializable('bijector', …)", unknown: ValueError },
  distribution: { noun: 'distribution class', listed: 'known classes are', registrar: "registerSerializable('distribution', …)", unknown: ValueError },
  layer: { noun: 'layer class', listed: 'known classes are', registrar: 'registerLayer', unknown: ValueError },
  optimizer: { noun: 'optimizer class', listed: 'known classes are', registrar: 'registerOptimizer', unknown: ValueError },
  // Family names are a typed union (TransformFamilyName), so another string is the wrong kind of value.
  transformFamily: { noun: 'transform', listed: 'expected one of', registrar: "registerSerializable('transformFamily', …)", unknown: TypeError },
  distributionFn: { noun: 'distribution function', listed: 'registered names are', registrar: 'registerDistributionFn', unknown: ValueError },
};

const registry = new Map<SerializableKind, Map<string, unknown>>(Object.keys(KINDS).map((k) => [k as SerializableKind, new Map()]));

/** How a register function names its arguments in messages. */
export interface RegisterArgs {
  /** The function's name, e.g. `'registerLayer'`. */
  where: string;
  /** The name argument, e.g. `'className'`. */
  name: string;
  /** The entry argument, e.g. `'fromConfig'`. */
  entry: string;
  /** What the entry must be, e.g. `'a function'`. */
  entryIs: string;
}

/**
 * Enters `entry` under `kind` and `name`: the one registration every register function goes
 * through. A new name, the same entry again, or `{ override: true }` pass; another entry under
 * a taken name would make everything saved under it load with different code, so it throws.
 * @throws TypeError for an empty or non-string name, a non-function entry or bad options; ValueError
 *   naming `args.where` and `name` when the name holds another entry and `override` is not set
 * @internal the public faces are registerSerializable, registerLayer, registerOptimizer, registerDistributionFn
 */
export function registerEntry(kind: SerializableKind, name: string, entry: unknown, options: RegisterOptions, args: RegisterArgs): void {
  const { where } = args;
  assert(typeof name === 'string' && name !== '', () => `${where}: '${args.name}' must be a non-empty string, got ${describe(name)}`, TypeError);
  assert(typeof entry === 'function', () => `${where}: '${args.entry}' must be ${args.entryIs}, got ${describe(entry)}`, TypeError);
  assert(isPlainObject(options) && Object.keys(options).every((k) => k === 'override'),
    () => `${where}: 'options' must be { override?: boolean }, got ${isPlainObject(options) ? `keys ${Object.keys(options).join(', ')}` : describe(options)}`, TypeError);
  assert(options.override === undefined || typeof options.override === 'boolean', () => `${where}: 'override' must be a boolean, got ${typeof options.override}`, TypeError);
  const table = registry.get(kind)!;
  const previous = table.get(name);
  if (previous !== undefined && previous !== entry && options.override !== true) {
    throw new ValueError(`${where}: 'name' '${name}' is already registered to another ${kind === 'distributionFn' ? 'function' : 'factory'}; pass { override: true } to replace it ` +
      `(models saved under '${name}' will then load with the new one)`);
  }
  table.set(name, entry);
}

/**
 * Makes a class of a kind loadable: {@link deserialize} (and every loader built on it: `loadModel`,
 * `distributionFromJSON`, `bijectorFromConfig`, …) rebuilds `className` with `fromConfig`. The
 * built-in classes are registered already.
 *
 * @param kind - `'bijector'`, `'distribution'`, `'layer'`, `'optimizer'` or `'transformFamily'`
 * @param className - the objects' `className`
 * @param fromConfig - rebuilds one from its `getConfig()`
 * @param options - `override: true` to replace what is registered under `className` (a built-in included)
 * @throws TypeError for a bad argument; ValueError when `className` is registered to another
 *   factory and `override` is not set
 *
 * @example
 * registerSerializable('bijector', 'Shift2', (config) => new Shift(2, config));
 */
export function registerSerializable<T>(kind: Exclude<SerializableKind, 'distributionFn'>, className: string, fromConfig: FromConfig<T>, options: RegisterOptions = {}): void {
  assert(Object.prototype.hasOwnProperty.call(KINDS, kind) && (kind as string) !== 'distributionFn',
    () => `registerSerializable: 'kind' must be one of ${Object.keys(KINDS).filter((k) => k !== 'distributionFn').join(', ')}, got ${describe(kind)}`, TypeError);
  registerEntry(kind, className, fromConfig, options, { where: 'registerSerializable', name: 'className', entry: 'fromConfig', entryIs: 'a function' });
}

/**
 * Registers built-in classes by their static `fromConfig`, keyed by class name: what each kind's
 * serialization file does for its own classes, on its own floor.
 * @param classes - e.g. `{ Shift, Scale }`: keys are the class names (written out, so minifying keeps them)
 */
export function registerClasses(kind: Exclude<SerializableKind, 'distributionFn'>, classes: Record<string, { fromConfig(config: never): unknown }>): void {
  for (const [className, cls] of Object.entries(classes)) registerSerializable(kind, className, (config: never) => cls.fromConfig(config));
}

/** The names registered under `kind`, in registration order. */
export function registeredNames(kind: SerializableKind): string[] {
  return [...registry.get(kind)!.keys()];
}

/** What is registered under `kind` and `name`, or `undefined`. */
export function registeredEntry(kind: SerializableKind, name: string): unknown {
  return typeof name === 'string' ? registry.get(kind)!.get(name) : undefined;
}

/** The last name `entry` is registered under in `kind`, or `undefined` (for saving a function by its name). */
export function registeredNameOf(kind: SerializableKind, entry: unknown): string | undefined {
  let found: string | undefined;
  for (const [name, e] of registry.get(kind)!) if (e === entry) found = name;
  return found;
}

/**
 * The `fromConfig` registered for `className`.
 * @throws the kind's error class (ValueError, TypeError for transform families) naming `where`, the kind and every registered name
 */
export function fromConfigOf<T>(kind: SerializableKind, className: string, where: string): (config: unknown) => T {
  const make = registeredEntry(kind, className);
  if (make === undefined) {
    const k = KINDS[kind];
    throw new k.unknown(`${where}: unknown ${k.noun} '${className}'; ${k.listed} ${registeredNames(kind).join(', ')} (register others with ${k.registrar})`);
  }
  return make as (config: unknown) => T;
}

/**
 * The class name a self-describing config carries under `key` (bijector and distribution
 * configs hold `className`, a transform family's `name`).
 * @throws TypeError naming `where` when `config` is not an object with a string `key`
 */
export function classNameIn(config: unknown, where: string, key = 'className'): string {
  assert(isPlainObject(config) && typeof (config as Record<string, unknown>)[key] === 'string',
    () => `${where}: 'config' must be an object with a '${key}', got ${describe(config)}`, TypeError);
  return (config as Record<string, string>)[key];
}

/**
 * Rebuilds a config nested in another's (a Chain's member, a flow's base distribution), with
 * fresh weights: the owner's weights are restored afterwards, as one list. Errors pass unwrapped,
 * for the outermost {@link deserialize} to name.
 * @throws TypeError when `config` carries no class name under `key`; the kind's error for an unknown one
 */
export function rebuild<T>(kind: SerializableKind, config: unknown, where: string, key = 'className'): T {
  return fromConfigOf<T>(kind, classNameIn(config, where, key), where)(config);
}

/**
 * `{ className, config, weights }`: what saving any object starts from. The weights are the live
 * tensors (none for an object without `weights`); a file encodes them, a copy copies them.
 * @throws what the object's `getConfig` throws (a user function that cannot be saved, named)
 *
 * @example
 * serialize(new Shift([1, 2])).className; // 'Shift'
 */
export function serialize<Config extends object, Weight>(obj: Serializable<Config, Weight>): Serialized<Config, Weight> & {
  /** The object's weights (its `weights`, or none), in order: what `deserialize` hands to `setWeights`. */
  weights: readonly Weight[];
} {
  assert(typeof obj === 'object' && obj !== null && typeof obj.className === 'string' && typeof obj.getConfig === 'function',
    () => `serialize: 'obj' must be an object with a 'className' and a getConfig(), got ${describe(obj)}`, TypeError);
  return { className: obj.className, config: obj.getConfig(), weights: obj.weights ?? [] };
}

/**
 * Rebuilds an object of `kind` from {@link serialize}'s output: the registered `fromConfig`,
 * then `setWeights(weights)` when weights are given (without them the object keeps the weights
 * it is built with: a network's from its seed).
 *
 * @param kind - which namespace `json.className` is looked up in
 * @param json - `{ className, config, weights? }`, possibly through JSON (weights as any TensorLike the class takes)
 * @param where - the caller to name in errors
 * @throws TypeError for a malformed `json`; the kind's error for an unknown class (naming the
 *   registered ones); ValueError naming `where` and the class when its `fromConfig` or `setWeights` fails
 */
export function deserialize<T>(kind: SerializableKind, json: Serialized, where = 'deserialize'): T {
  assert(isPlainObject(json) && typeof json.className === 'string',
    () => `${where}: expected { className, config, weights? }, got ${describe(json)}`, TypeError);
  const make = fromConfigOf<T>(kind, json.className, where);
  const article = /^[AEIOU]/.test(json.className) ? 'an' : 'a';
  const obj = rethrowNamed(() => make(json.config), (m) => `${where}: cannot rebuild ${article} ${json.className} from its config: ${m}`);
  const { weights } = json;
  if (weights !== undefined) {
    const target = obj as Partial<Serializable>;
    rethrowNamed(() => {
      assert(typeof target.setWeights === 'function' || (Array.isArray(weights) && weights.length === 0),
        () => `${json.className} has no weights, got ${describe(weights)}`);
      target.setWeights?.(weights);
    }, (m) => `${where}: the weights do not fit ${article} ${json.className}: ${m}`);
  }
  return obj;
}

/** Runs `f`; what it throws becomes a ValueError with the message `say(original)`. */
function rethrowNamed<T>(f: () => T, say: (message: string) => string): T {
  try {
    return f();
  } catch (e) {
    throw new ValueError(say((e as Error).message));
  }
}
