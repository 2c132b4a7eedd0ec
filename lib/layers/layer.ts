// The Layer base class: Keras's contract (build, call, weights, config) for tensors and distributions alike.
import { Tensor } from '../../autodiff/tensor.js';
import type { Distribution } from '../../flows/distributions/distribution.js';
import { checkNoHoles } from '../util/arrays.js';
import { assert } from '../util/errors.js';
import { weightDomainProblem } from '../../autodiff/weight-constraints.js';
import type { Seed } from '../util/random.js';
import { fmt, sameShape, type Shape } from '../util/shape.js';
import { describe } from '../util/validate.js';

/** What a layer takes and returns: a tensor, or a distribution (a random variable, in TFP's layers). */
export type LayerOutput = Tensor | Distribution;

/** Options of a layer call. */
export interface CallOptions {
  /** Training or inference (for layers that behave differently, e.g. batch normalization); default false. */
  training?: boolean;
  /**
   * The model's input tensor `[batch, C]`: what a conditional `AutoregressiveTransform` conditions on.
   * `Sequential.call` sets it to its own input.
   */
  conditionalInput?: Tensor;
  /** Where draws come from when a distribution is turned into a tensor by sampling. */
  seed?: Seed;
}

/**
 * How a distribution-valued layer's output becomes a tensor for a following layer that needs one
 * (TFP's `convert_to_tensor_fn`): `'sample'` (one draw, the default), `'mean'`, or a function.
 * Only the names can be saved with a model.
 */
export type ConvertToTensorFn<D extends Distribution = Distribution> = 'sample' | 'mean' | ((distribution: D) => Tensor);

/**
 * Checks a {@link ConvertToTensorFn} option.
 * @throws TypeError naming `where` for anything but `'sample'`, `'mean'` or a function
 */
export function checkConvertToTensorFn<D extends Distribution>(fn: unknown, where: string): ConvertToTensorFn<D> {
  assert(fn === 'sample' || fn === 'mean' || typeof fn === 'function',
    () => `${where}: 'convertToTensorFn' must be 'sample', 'mean' or a function (distribution) => Tensor, got ${typeof fn === 'string' ? `'${fn}'` : typeof fn}`, TypeError);
  return fn as ConvertToTensorFn<D>;
}

/**
 * Applies a {@link ConvertToTensorFn}; a sample draws from `options.seed`.
 * @throws TypeError when a user function returns something other than a Tensor
 */
export function applyConvertToTensorFn<D extends Distribution>(fn: ConvertToTensorFn<D>, distribution: D, options: CallOptions, where: string): Tensor {
  if (fn === 'sample') return distribution.sample([], options.seed === undefined ? {} : { seed: options.seed });
  if (fn === 'mean') return distribution.mean();
  const t = fn(distribution);
  assert(t instanceof Tensor, () => `${where}: 'convertToTensorFn' returned ${describe(t)}, expected a Tensor`, TypeError);
  return t;
}

/** A layer's JSON-safe configuration, as {@link Layer.getConfig} returns it (rebuilt by `layerFromConfig`). */
export interface LayerConfig {
  /** The layer's `name`. */
  name: string;
  [option: string]: unknown;
}

/** Options every layer accepts. */
export interface LayerArgs {
  /** Unique within a model; default the class's snake_case name with a counter (`dense`, `dense_1`, …). */
  name?: string;
  /** Whether the layer's weights are trained; default true. */
  trainable?: boolean;
}

/** The option names every layer accepts (each layer adds its own). */
export const LAYER_ARG_NAMES: readonly string[] = ['name', 'trainable'];

const nameCounts = new Map<string, number>();

/** `prefix`, then `prefix_1`, `prefix_2`, … for each later call (Keras's default layer names). */
export function uniqueLayerName(prefix: string): string {
  const n = nameCounts.get(prefix) ?? 0;
  nameCounts.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

/**
 * True for a distribution (anything with `logProb`, `sample` and an `eventShape`). Checked by
 * shape rather than `instanceof`, so user-written distributions work too.
 */
export function isDistribution(v: unknown): v is Distribution {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor)
    && typeof (v as Distribution).logProb === 'function' && typeof (v as Distribution).sample === 'function'
    && Array.isArray((v as Distribution).eventShape);
}

/** A distribution's class name for messages and summaries. */
export function distributionName(d: Distribution): string {
  const named = (d as { className?: unknown }).className;
  return typeof named === 'string' ? named : d.constructor.name;
}

/**
 * A Keras-style layer: a named, configurable map with weights, built lazily from the
 * shape of its first input.
 *
 * Subclasses set {@link Layer.className}, implement {@link Layer.call}, override
 * {@link Layer.build} to make their weights and {@link Layer.ownWeights} to list them, and
 * extend {@link Layer.getConfig} with their options. A subclass that takes a
 * {@link Distribution} as input sets {@link Layer.acceptsDistribution}; for any other layer a
 * `Sequential` first turns the previous layer's distribution into a tensor with that layer's
 * {@link Layer.convertToTensor} (by default, one sample).
 *
 * @typeParam Out - what `call` returns: `Tensor` or a `Distribution` subclass
 */
export abstract class Layer<Out extends LayerOutput = LayerOutput> {
  /** The class name, as error messages and saved files print it (survives minification). */
  abstract readonly className: string;
  /** The layer's name. */
  readonly name: string;
  /** Whether the weights exist. */
  built = false;
  /** Whether {@link Layer.call} takes a Distribution (otherwise it needs a Tensor). */
  readonly acceptsDistribution: boolean = false;
  private trainableFlag: boolean;

  /**
   * @param args - `name`, `trainable`
   * @param where - the class name, for messages
   * @param defaultName - the snake_case prefix for a generated name
   * @throws TypeError when `name` is not a non-empty string or `trainable` not a boolean
   */
  protected constructor(args: LayerArgs, where: string, defaultName: string) {
    const { name, trainable = true } = args;
    assert(name === undefined || (typeof name === 'string' && name !== ''),
      () => `${where}: 'name' must be a non-empty string, got ${typeof name === 'string' ? "''" : typeof name}`, TypeError);
    assert(typeof trainable === 'boolean', () => `${where}: 'trainable' must be a boolean, got ${typeof trainable}`, TypeError);
    this.name = name ?? uniqueLayerName(defaultName);
    this.trainableFlag = trainable;
  }

  /** Whether the optimizer updates this layer's weights (they move to `nonTrainableWeights` when false). */
  get trainable(): boolean {
    return this.trainableFlag;
  }

  /**
   * Freezes (`false`) or unfreezes (`true`) the layer's weights: they move between `trainableWeights`
   * and `nonTrainableWeights`, so the optimizer leaves frozen ones alone.
   * @throws TypeError when `value` is not a boolean
   */
  set trainable(value: boolean) {
    assert(typeof value === 'boolean', () => `${this.className}.trainable: expected a boolean, got ${typeof value}`, TypeError);
    this.trainableFlag = value;
  }

  /**
   * Makes the weights for inputs of `inputShape` (the full shape, batch axes included).
   * The base class only marks the layer built.
   */
  build(_inputShape: Shape): void {
    this.built = true;
  }

  /**
   * The layer's map.
   * @param input - a Tensor, or a Distribution if {@link Layer.acceptsDistribution}
   * @param options - see {@link CallOptions}
   */
  abstract call(input: LayerOutput, options?: CallOptions): Out;

  /** The live weight tensors, in `getWeights` order; none by default. */
  protected ownWeights(): Tensor[] {
    return [];
  }

  /** The weights the optimizer updates (all of them, unless `trainable` is false). */
  get trainableWeights(): Tensor[] {
    return this.trainableFlag ? this.ownWeights() : [];
  }

  /** The weights kept out of training. */
  get nonTrainableWeights(): Tensor[] {
    return this.trainableFlag ? [] : this.ownWeights();
  }

  /** Every weight, in `getWeights` order. */
  get weights(): Tensor[] {
    return this.ownWeights();
  }

  /** Number of scalar weights. */
  countParams(): number {
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  /** Copies of the weights. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.clone());
  }

  /**
   * Copies `weights` into the layer's weights, in place (so an optimizer tracking them keeps working).
   * Everything is checked before anything is copied.
   * @param weights - as many tensors as {@link Layer.getWeights} returns, with the same shapes
   * @throws TypeError if `weights` is not an array of Tensors; ValueError for the wrong count or a wrong shape
   */
  setWeights(weights: readonly Tensor[]): void {
    const where = `${this.className}.setWeights`;
    const own = this.weights;
    assert(Array.isArray(weights), () => `${where}: 'weights' must be an array of Tensors, got ${typeof weights}`, TypeError);
    checkNoHoles(weights, 'weights', where);
    assert(weights.length === own.length, () => `${where}: layer '${this.name}' has ${own.length} weights, got ${weights.length}`);
    weights.forEach((w, i) => {
      assert(w instanceof Tensor, () => `${where}: weight ${i} must be a Tensor, got ${describe(w)}`, TypeError);
      assert(sameShape(w.shape, own[i].shape), () => `${where}: weight ${i} of layer '${this.name}' has shape ${fmt(w.shape)}, expected ${fmt(own[i].shape)}`);
      const problem = weightDomainProblem(own[i], w.data);
      assert(problem === null, () => `${where}: weight ${i} of layer '${this.name}' ${problem}`, RangeError);
    });
    weights.forEach((w, i) => own[i].data.set(w.data));
  }

  /** The options that rebuild this layer with `layerFromConfig` (weights are saved apart). */
  getConfig(): LayerConfig {
    return { name: this.name, trainable: this.trainableFlag };
  }

  /**
   * Turns this layer's output distribution into a tensor for a following layer that needs one.
   * Default: one sample, shape `[...batchShape, ...eventShape]` (TFP's `convert_to_tensor_fn`
   * default, `tfd.Distribution.sample`).
   */
  convertToTensor(distribution: Distribution, options: CallOptions = {}): Tensor {
    return applyConvertToTensorFn('sample', distribution, options, `${this.className}.convertToTensor`);
  }

  /**
   * A one-line description of an output for `summary()`: a tensor's shape with the batch axis as
   * `None`; for a distribution, its class and the shape of one sample (`[...batch, ...event]`), e.g.
   * `TransformedDistribution (None, 2)`.
   */
  describeOutput(output: LayerOutput): string {
    if (output instanceof Tensor) return `(${['None', ...output.shape.slice(1)].join(', ')})`;
    const shape = [...output.batchShape, ...output.eventShape];
    const dims = output.batchShape.length > 0 ? ['None', ...shape.slice(1)] : shape;
    return `${distributionName(output)} (${dims.join(', ')})`;
  }
}

/**
 * Checks that a layer got a Tensor.
 * @throws TypeError naming the layer and what arrived
 */
export function mustBeTensorInput(input: unknown, layer: { className: string; name: string }): asserts input is Tensor {
  assert(input instanceof Tensor, () => `${layer.className}.call: layer '${layer.name}' needs a Tensor input, got ${describe(input)}` +
    (isDistribution(input) ? '; in a Sequential the previous layer turns it into a tensor with its convertToTensorFn' : ''), TypeError);
}
