// MADE: the masked dense network that outputs, for every event dimension, `params` numbers depending only on earlier dimensions.
import { add } from '../autodiff/ops/binary.js';
import { maskedMatmul } from '../autodiff/ops/masked-matmul.js';
import { matmul } from '../autodiff/ops/matmul.js';
import { broadcastTo, reshape } from '../autodiff/ops/shape.js';
import { getInitializer, type Initializer, type InitializerName } from '../autodiff/initializers.js';
import { Tensor } from '../autodiff/tensor.js';
import { toTensor, type TensorLike } from '../autodiff/tensor-like.js';
import { broadcastShapes } from '../autodiff/broadcast.js';
import { assert, ValueError } from '../lib/util/errors.js';
import { Random, toRandom, type Seed } from '../lib/util/random.js';
import { fmt, sameShape, sizeOf, type Shape } from '../lib/util/shape.js';
import { checkBoolean, checkOptions, checkPositiveInt } from '../lib/util/validate.js';
import { getActivation, type Activation } from './activations.js';
import {
  checkEventSize, checkHiddenDegrees, checkHiddenUnits, checkInputOrder, createDegrees,
  type HiddenDegrees, type InputOrder,
} from './degrees.js';
import { masksFromDegrees } from './masks.js';

/** A weight initializer: a name `getInitializer` knows, or a function drawing a tensor of `shape` from `rng`. */
export type InitializerSpec = InitializerName | Initializer;

/** Where the conditional input enters: every masked layer (TFP's default) or only the first. */
export type ConditionalInputLayers = 'all_layers' | 'first_layer';

/** Options of {@link AutoregressiveNetwork}; TFP's `AutoregressiveNetwork` arguments in camelCase. */
export interface AutoregressiveNetworkOptions {
  /** Outputs per event dimension, an integer ≥ 1 (2 for a flow: shift, logScale). */
  params: number;
  /** `E` or `[E]`; if absent, taken from the last dimension of the first input. Required when `conditional`. */
  eventShape?: number | readonly number[];
  /** Widths of the hidden layers, input side first; default `[]`. Layers narrower than E − 1 drop dependencies. */
  hiddenUnits?: readonly number[];
  /** Applied between masked layers, never after the output layer; default `'linear'` (TFP's `None`). */
  activation?: Activation;
  /** Default `'left-to-right'`. An array gives the 1-based degree of each input, a permutation of 1..E. */
  inputOrder?: InputOrder;
  /** Default `'equal'`. */
  hiddenDegrees?: HiddenDegrees;
  /** Whether the network takes a conditional input `[..., C]`; default false. */
  conditional?: boolean;
  /** `C` or `[C]`; required iff `conditional`. */
  conditionalEventShape?: number | readonly number[];
  /** Default `'all_layers'`. */
  conditionalInputLayers?: ConditionalInputLayers;
  /** Whether each masked layer has a bias; default true. The conditional layers never do. */
  useBias?: boolean;
  /** Default `'glorotUniform'`, drawn over the full kernel shape and then masked. */
  kernelInitializer?: InitializerSpec;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerSpec;
  /**
   * Makes `'random'` order and degrees and the initial weights reproducible. A `Random` (or no seed,
   * which uses the global generator) is drawn from once, at construction, to get a number seed.
   */
  seed?: Seed;
  /** Default `'autoregressive_network'`. */
  name?: string;
}

/**
 * Every option of a network with defaults filled in, as {@link AutoregressiveNetwork.getConfig}
 * returns it. It is plain JSON unless `activation` or an initializer is a function. `seed` is the
 * number or string the network drew everything from, so `fromConfig` rebuilds the same masks and
 * the same initial weights.
 */
export interface AutoregressiveNetworkConfig {
  /** Outputs per event dimension. */
  params: number;
  /** `[E]`, or `undefined` when neither given nor built yet (then taken from the first input). */
  eventShape: number[] | undefined;
  /** Widths of the hidden layers, input side first; `[]` for none. */
  hiddenUnits: number[];
  /** The activation between masked layers, as given: a name or a function. */
  activation: Activation;
  /** The input order as given: a name, or the 1-based degree of each input. */
  inputOrder: InputOrder;
  /** How the hidden units' degrees were assigned: `'equal'` or `'random'`. */
  hiddenDegrees: HiddenDegrees;
  /** Whether the network takes a conditional input. */
  conditional: boolean;
  /** `[C]` for a conditional network, else `undefined`. */
  conditionalEventShape: number[] | undefined;
  /** Where the conditional input enters: `'all_layers'` or `'first_layer'`. */
  conditionalInputLayers: ConditionalInputLayers;
  /** Whether each masked layer has a bias. */
  useBias: boolean;
  /** The kernel initializer as given: a name or a function. */
  kernelInitializer: InitializerSpec;
  /** The bias initializer as given: a name or a function. */
  biasInitializer: InitializerSpec;
  /** The number or string every random choice and initial weight was drawn from. */
  seed: number | string;
  /** The network's name. */
  name: string;
}

const WHERE = 'AutoregressiveNetwork';

/** Every option name of {@link AutoregressiveNetworkOptions}. */
const NETWORK_OPTIONS: readonly string[] = [
  'params', 'eventShape', 'hiddenUnits', 'activation', 'inputOrder', 'hiddenDegrees', 'conditional',
  'conditionalEventShape', 'conditionalInputLayers', 'useBias', 'kernelInitializer', 'biasInitializer', 'seed', 'name',
];

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.join(',')}]`;
  if (v === null) return 'null';
  return typeof v === 'function' ? 'a function' : `${typeof v} ${String(v)}`;
}

/** `n` or `[n]` as `[n]`: rank 1, positive. */
function rankOneShape(shape: unknown, arg: string): number[] {
  const list = typeof shape === 'number' ? [shape] : shape;
  assert(Array.isArray(list), () => `${WHERE}: '${arg}' must be a positive integer or an array [n], got ${show(shape)}`, TypeError);
  assert(list.length === 1, () => `${WHERE}: '${arg}' must describe a rank-1 shape [n], got [${list.join(',')}]`);
  checkEventSize(list[0], WHERE, arg);
  return [list[0] as number];
}

/** An initializer resolved once at construction, so an unknown name fails there, naming the argument. */
function resolveInitializer(spec: unknown, arg: string): Initializer {
  try {
    return getInitializer(spec as InitializerSpec);
  } catch (e) {
    const Ctor = e instanceof TypeError ? TypeError : e instanceof RangeError ? RangeError : ValueError;
    throw new Ctor(`${WHERE}: bad '${arg}': ${(e as Error).message}`);
  }
}

/** The network's parts once E is known (see {@link AutoregressiveNetwork.build}). */
interface Built {
  eventSize: number;
  degrees: number[][];
  masks: Tensor[];
  /** Per masked layer: index into `weights` of its kernel, bias (−1 if none), conditional kernel (−1 if none). */
  layers: Array<{ kernel: number; bias: number; conditional: number }>;
  /** Shape and name of each weight, in getWeights order (for setWeights' checks). */
  labels: Array<{ shape: number[]; label: string }>;
}

/**
 * MADE, the masked autoencoder for distribution estimation, as TFP's
 * `tfb.AutoregressiveNetwork`: same options, same masks, same weight shapes and order.
 *
 * A stack of dense layers whose kernels are multiplied by fixed 0/1 masks. With `m(j)` the
 * 1-based degree of input `j` (its place in `inputOrder`) and `m(k)` the degree of a hidden unit:
 *
 *     hidden layers:  h = act(h_prev · (W ⊙ M) + b [+ c · V])     M[i][k] = 1 iff m(i) ≤ m(k)
 *     output layer:   y = h_last · (W ⊙ M) + b [+ c · V]           M[k][d·params + p] = 1 iff m(k) < m(d)
 *
 * so output `y[..., d, p]` depends only on inputs `j` with `m(j) < m(d)`, and on the conditional
 * input `c` (an unmasked dense layer `V`, no bias, added before the activation of every masked
 * layer, or only the first). The Jacobian ∂y_d/∂x in input order is therefore strictly triangular.
 *
 * Degrees follow TFP exactly (see `createDegrees`): hidden layers narrower than `E − 1` are
 * allowed, as in TFP, but then some degrees are missing and some dependencies are dropped
 * (the network stays autoregressive but cannot model every conditional).
 *
 * Output layout: flat column `d·params + p` is parameter `p` of event dimension `d`
 * (event-major, parameter-minor); {@link call} reshapes it to `[..., E, params]`.
 *
 * Weights, in the order of `getWeights`/`setWeights`/`trainableWeights`: for each masked layer k,
 * its kernel `[fanIn, fanOut]`, its bias `[fanOut]` (if `useBias`), then its conditional kernel
 * `[C, fanOut]` (if the conditional input enters layer k). Kernels start from `kernelInitializer`
 * over the full kernel shape and are then masked (surviving entries are not rescaled); masked
 * entries are stored as exact zeros and receive exactly zero gradient, so they stay zero.
 *
 * Cost: one pass is `O(batch · Σ fanIn·fanOut)`; the flow's sampling direction needs E passes.
 *
 * @see Germain et al. 2015, MADE, https://arxiv.org/abs/1502.03509
 * @see Papamakarios et al. 2017, MAF, https://arxiv.org/abs/1705.07057
 *
 * @example
 * const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [4], activation: 'relu' });
 * made.inputOrder;          // [1, 2, 3]
 * made.hiddenDegrees;       // [[1, 1, 2, 2]]   ⌈k·2/5⌉ for k = 1..4
 * made.masks[0].toArray();  // [[1,1,1,1], [0,0,1,1], [0,0,0,0]]   input j → unit k iff m(j) ≤ m(k)
 * made.masks[1].toArray();  // [[0,0,1,1,1,1], [0,0,1,1,1,1], [0,0,0,0,1,1], [0,0,0,0,1,1]]
 *                           //   unit k → column d·2 + p iff m(k) < m(d)
 * made.call(tensor([[0.5, -1, 2]])).shape;  // [1, 3, 2]
 * made.countParams();       // 3·4 + 4 + 4·6 + 6 = 46
 */
export class AutoregressiveNetwork {
  /** Outputs per event dimension. */
  readonly params: number;
  /** Widths of the hidden layers. */
  readonly hiddenUnits: readonly number[];
  /** Whether the network takes a conditional input. */
  readonly conditional: boolean;
  /** `[C]` when conditional. */
  readonly conditionalEventShape: readonly number[] | undefined;
  /** Where the conditional input enters. */
  readonly conditionalInputLayers: ConditionalInputLayers;
  /** Whether the masked layers have biases. */
  readonly useBias: boolean;
  /** The seed everything random was drawn from (see {@link AutoregressiveNetworkOptions.seed}). */
  readonly seed: number | string;
  /** The layer's name. */
  readonly name: string;

  private eventShapeValue: number[] | undefined;
  private readonly activationOption: Activation;
  private readonly act: (t: Tensor) => Tensor;
  private readonly inputOrderOption: InputOrder;
  private readonly hiddenDegreesOption: HiddenDegrees;
  private readonly kernelInitializerOption: InitializerSpec;
  private readonly biasInitializerOption: InitializerSpec;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;
  // Two streams fixed at construction, so building now or at the first call gives the same network.
  private readonly structureRng: Random;
  private readonly weightRng: Random;
  private parts: Built | null = null;
  /** The live weight tensors, in getWeights order (protected so a test subclass can substitute them). */
  protected weights: Tensor[] = [];

  /**
   * Checks every option (TFP checks few) and, when the event shape is known, builds the network.
   * @throws TypeError for a value of the wrong kind or an unknown name (`hiddenDegrees`, `activation`,
   *   initializers, `conditionalInputLayers`, `inputOrder` strings); RangeError for numbers out of range
   *   (`params`, shape entries, `hiddenUnits` entries); ValueError for a shape that is not rank 1, an
   *   `inputOrder` that is not a permutation of 1..E, `conditional` without `eventShape` or
   *   `conditionalEventShape`, or `conditionalEventShape` without `conditional`
   */
  constructor(options: AutoregressiveNetworkOptions) {
    assert(typeof options === 'object' && options !== null, () => `${WHERE}: 'options' must be an object, got ${show(options)}`, TypeError);
    // TFP ignores nothing it does not know either: a typo such as `hiddenUnit` would otherwise build a network with no hidden layer.
    checkOptions(options, NETWORK_OPTIONS, WHERE);
    this.params = checkPositiveInt(options.params, 'params', WHERE);
    this.eventShapeValue = options.eventShape === undefined ? undefined : rankOneShape(options.eventShape, 'eventShape');
    this.hiddenUnits = Object.freeze(checkHiddenUnits(options.hiddenUnits ?? [], WHERE));
    this.activationOption = options.activation ?? 'linear';
    this.act = getActivation(this.activationOption, WHERE);
    const order = checkInputOrder(options.inputOrder ?? 'left-to-right', this.eventShapeValue?.[0], WHERE);
    this.inputOrderOption = typeof order === 'string' ? order : Object.freeze(order.slice());
    this.hiddenDegreesOption = checkHiddenDegrees(options.hiddenDegrees ?? 'equal', WHERE);

    const conditional = checkBoolean(options.conditional, 'conditional', WHERE, false);
    this.conditional = conditional;
    const layersOption = options.conditionalInputLayers ?? 'all_layers';
    assert(layersOption === 'all_layers' || layersOption === 'first_layer',
      () => `${WHERE}: unknown 'conditionalInputLayers' ${show(layersOption)}; expected 'all_layers' or 'first_layer'`, TypeError);
    this.conditionalInputLayers = layersOption;
    if (conditional) {
      assert(this.eventShapeValue !== undefined, () => `${WHERE}: 'eventShape' must be given when 'conditional' is true`);
      assert(options.conditionalEventShape !== undefined, () => `${WHERE}: 'conditionalEventShape' must be given when 'conditional' is true`);
      this.conditionalEventShape = Object.freeze(rankOneShape(options.conditionalEventShape, 'conditionalEventShape'));
    } else {
      assert(options.conditionalEventShape === undefined,
        () => `${WHERE}: 'conditionalEventShape' was given but 'conditional' is false`);
      this.conditionalEventShape = undefined;
    }

    this.useBias = checkBoolean(options.useBias, 'useBias', WHERE, true);
    this.kernelInitializerOption = options.kernelInitializer ?? 'glorotUniform';
    this.biasInitializerOption = options.biasInitializer ?? 'zeros';
    this.kernelInit = resolveInitializer(this.kernelInitializerOption, 'kernelInitializer');
    this.biasInit = resolveInitializer(this.biasInitializerOption, 'biasInitializer');

    const seed = options.seed;
    assert(seed === undefined || seed instanceof Random || typeof seed === 'string' || (typeof seed === 'number'),
      () => `${WHERE}: 'seed' must be a number, a string or a Random, got ${show(seed)}`, TypeError);
    assert(typeof seed !== 'number' || Number.isFinite(seed), () => `${WHERE}: 'seed' must be finite, got ${String(seed)}`, RangeError);
    // A Random (or the global one) is consumed once here, so the config can record a plain seed.
    this.seed = typeof seed === 'number' || typeof seed === 'string' ? seed : Math.floor(toRandom(seed).uniform() * 2 ** 53);
    const base = new Random(this.seed);
    this.structureRng = base.fork();
    this.weightRng = base.fork();

    const name = options.name ?? 'autoregressive_network';
    assert(typeof name === 'string', () => `${WHERE}: 'name' must be a string, got ${show(name)}`, TypeError);
    this.name = name;

    if (this.eventShapeValue !== undefined) this.build(this.eventShapeValue);
  }

  /** Rebuilds a network from {@link getConfig}'s output: same options and seed, hence same masks and initial weights. */
  static fromConfig(config: AutoregressiveNetworkConfig): AutoregressiveNetwork {
    assert(typeof config === 'object' && config !== null, () => `${WHERE}.fromConfig: 'config' must be an object, got ${show(config)}`, TypeError);
    return new AutoregressiveNetwork({ ...config });
  }

  /** Every option, defaults filled in, and the resolved seed. See {@link AutoregressiveNetworkConfig}. */
  getConfig(): AutoregressiveNetworkConfig {
    return {
      params: this.params,
      eventShape: this.eventShapeValue?.slice(),
      hiddenUnits: this.hiddenUnits.slice(),
      activation: this.activationOption,
      inputOrder: typeof this.inputOrderOption === 'string' ? this.inputOrderOption : this.inputOrderOption.slice(),
      hiddenDegrees: this.hiddenDegreesOption,
      conditional: this.conditional,
      conditionalEventShape: this.conditionalEventShape?.slice(),
      conditionalInputLayers: this.conditionalInputLayers,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializerOption,
      biasInitializer: this.biasInitializerOption,
      seed: this.seed,
      name: this.name,
    };
  }

  /** Whether the masks and weights exist (E known). */
  get built(): boolean {
    return this.parts !== null;
  }

  /** `[E]`, or `undefined` until the network is built. */
  get eventShape(): readonly number[] | undefined {
    return this.eventShapeValue?.slice();
  }

  /** E. @throws ValueError before the network is built */
  get eventSize(): number {
    return this.mustBeBuilt('eventSize').eventSize;
  }

  /** The 1-based degree of each input, `m(j)` for j = 0..E−1. @throws ValueError before the network is built */
  get inputOrder(): number[] {
    return this.mustBeBuilt('inputOrder').degrees[0].slice();
  }

  /** The degrees of each hidden layer. @throws ValueError before the network is built */
  get hiddenDegrees(): number[][] {
    return this.mustBeBuilt('hiddenDegrees').degrees.slice(1).map((m) => m.slice());
  }

  /** One constant 0/1 mask `[fanIn, fanOut]` per masked layer, the output layer's last. @throws ValueError before the network is built */
  get masks(): Tensor[] {
    return this.mustBeBuilt('masks').masks.slice();
  }

  /** The live weight tensors (leaves with `requiresGrad`), in getWeights order, for an optimizer. @throws ValueError before the network is built */
  get trainableWeights(): Tensor[] {
    this.mustBeBuilt('trainableWeights');
    return this.weights.slice();
  }

  /** Number of weights, masked entries included (as Keras counts them). @throws ValueError before the network is built */
  countParams(): number {
    this.mustBeBuilt('countParams');
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  /** Copies of the weights, in order: per layer, kernel, bias (if `useBias`), conditional kernel (if it enters that layer). */
  getWeights(): Tensor[] {
    this.mustBeBuilt('getWeights');
    return this.weights.map((w) => w.clone());
  }

  /**
   * Copies `ws` into the weights, in place (tensors from `trainableWeights` stay valid).
   * Masked kernel entries are set to 0 whatever `ws` holds there, so they never matter.
   * @param ws - as many tensors as {@link getWeights} returns, with the same shapes
   * @throws TypeError if `ws` is not an array of Tensors; ValueError for the wrong count or a wrong shape
   */
  setWeights(ws: readonly Tensor[]): void {
    const parts = this.mustBeBuilt('setWeights');
    assert(Array.isArray(ws), () => `${WHERE}.setWeights: 'weights' must be an array of Tensors, got ${show(ws)}`, TypeError);
    assert(ws.length === this.weights.length,
      () => `${WHERE}.setWeights: expected ${this.weights.length} weights (${parts.labels.map((l) => l.label).join(', ')}), got ${ws.length} tensors in 'weights'`);
    ws.forEach((w, i) => {
      assert(w instanceof Tensor, () => `${WHERE}.setWeights: weight ${i} (${parts.labels[i].label}) must be a Tensor, got ${show(w)}`, TypeError);
      assert(sameShape(w.shape, parts.labels[i].shape),
        () => `${WHERE}.setWeights: weight ${i} (${parts.labels[i].label}) has shape ${fmt(w.shape)}, expected ${fmt(parts.labels[i].shape)}`);
    });
    ws.forEach((w, i) => this.weights[i].data.set(w.data));
    parts.layers.forEach(({ kernel }, k) => applyMask(this.weights[kernel], parts.masks[k]));
  }

  /**
   * Makes the masks and weights for inputs of shape `[..., E]` (TFP's `build`). Called by the
   * constructor when `eventShape` is given, else by the first {@link call}; later calls only check E.
   *
   * @param inputShape - the input's shape (its last dimension is E), or E itself
   * @throws ValueError when E differs from `eventShape`, or `inputOrder` is not a permutation of 1..E
   */
  build(inputShape: Shape | number): void {
    const shape = typeof inputShape === 'number' ? [inputShape] : inputShape;
    assert(Array.isArray(shape) && shape.length >= 1,
      () => `${WHERE}.build: 'inputShape' must be E or a shape [..., E], got ${show(inputShape)}`, TypeError);
    const E = checkEventSize(shape[shape.length - 1], `${WHERE}.build`, 'inputShape[-1]');
    if (this.eventShapeValue !== undefined) {
      assert(E === this.eventShapeValue[0],
        () => `${WHERE}.build: 'inputShape' ${fmt(shape)} has last dimension ${E}, expected eventSize ${this.eventShapeValue![0]}`);
    }
    if (this.parts !== null) return;
    this.eventShapeValue = [E];
    const inputOrder = checkInputOrder(this.inputOrderOption, E, WHERE);
    const degrees = createDegrees({
      eventSize: E, hiddenUnits: this.hiddenUnits, inputOrder, hiddenDegrees: this.hiddenDegreesOption, rng: this.structureRng,
    }, WHERE);
    const masks = masksFromDegrees(degrees, this.params);
    const C = this.conditionalEventShape?.[0];
    const weights: Tensor[] = [];
    const labels: Built['labels'] = [];
    const layers: Built['layers'] = [];
    const push = (shape: number[], label: string, init: Initializer): number => {
      const w = init(shape, this.weightRng);
      assert(w instanceof Tensor && sameShape(w.shape, shape),
        () => `${WHERE}.build: the initializer for ${label} returned ${w instanceof Tensor ? `shape ${fmt(w.shape)}` : show(w)}, expected a Tensor of shape ${fmt(shape)}`);
      weights.push(new Tensor(Float64Array.from(w.data), shape, { requiresGrad: true }));
      labels.push({ shape, label });
      return weights.length - 1;
    };
    masks.forEach((mask, k) => {
      const [fanIn, fanOut] = mask.shape;
      const kernel = push([fanIn, fanOut], `layer ${k} kernel`, this.kernelInit);
      applyMask(weights[kernel], mask);
      const bias = this.useBias ? push([fanOut], `layer ${k} bias`, this.biasInit) : -1;
      const entersHere = this.conditional && (this.conditionalInputLayers === 'all_layers' || k === 0);
      const conditional = entersHere ? push([C as number, fanOut], `layer ${k} conditional kernel`, this.kernelInit) : -1;
      layers.push({ kernel, bias, conditional });
    });
    this.weights = weights;
    this.parts = { eventSize: E, degrees, masks, layers, labels };
  }

  /**
   * The network's output for `x`, reshaped to `[..., E, params]`: entry `[..., d, p]` is
   * parameter `p` of dimension `d` and depends only on inputs `j` with `m(j) < m(d)`.
   *
   * With a conditional input, the output batch shape is the NumPy broadcast of both batch shapes
   * (x `[2,1,3]`, c `[1,2,4]` → `[2,2,3,params]`; x `[3]`, c `[2,2,4]` → `[2,2,3,params]`).
   *
   * @param xIn - any TensorLike of shape `[...batch, E]` (any number of batch dims, including none)
   * @param options.conditionalInput - shape `[...condBatch, C]`; required iff the network is conditional
   * @returns shape `[...broadcast(batch, condBatch), E, params]`
   * @throws TypeError if `x` is not a TensorLike; ValueError when its last dim is not E, when a conditional
   *   network gets no `conditionalInput` or one whose last dim is not C, when a non-conditional one
   *   gets one, or when the batch shapes do not broadcast
   */
  call(xIn: TensorLike, options: { conditionalInput?: TensorLike } = {}): Tensor {
    const where = `${WHERE}.call`;
    const x = toTensor(xIn, where, 'x');
    checkOptions(options, ['conditionalInput'], where);
    assert(x.rank >= 1, () => `${where}: 'x' has shape ${fmt(x.shape)}, expected [..., E] with rank ≥ 1`);
    if (this.parts === null) this.build(x.shape);
    const E = this.eventSize;
    assert(x.shape[x.rank - 1] === E, () => `${where}: 'x' has shape ${fmt(x.shape)}, expected [..., ${E}]`);
    const c = options?.conditionalInput === undefined ? undefined : toTensor(options.conditionalInput, where, 'conditionalInput');
    const xBatch = x.shape.slice(0, -1);
    if (!this.conditional) {
      assert(c === undefined, () => `${where}: 'conditionalInput' was given but the network is not conditional`);
      const n = sizeOf(xBatch);
      return reshape(this.flatOutput(reshape(x, [n, E])), [...xBatch, E, this.params]);
    }
    const C = (this.conditionalEventShape as readonly number[])[0];
    assert(c !== undefined, () => `${where}: the network is conditional; pass { conditionalInput } of shape [..., ${C}]`);
    assert(c instanceof Tensor, () => `${where}: 'conditionalInput' must be a Tensor, got ${show(c)}`, TypeError);
    assert(c.rank >= 1 && c.shape[c.rank - 1] === C, () => `${where}: 'conditionalInput' has shape ${fmt(c.shape)}, expected [..., ${C}]`);
    const cBatch = c.shape.slice(0, -1);
    const batch = broadcastShapes(`${where} (batch shapes of 'x' and 'conditionalInput')`, xBatch, cBatch);
    const n = sizeOf(batch);
    // Both inputs are broadcast to the common batch and flattened, so one 2-D pass serves any batch shape.
    const x2d = reshape(sameShape(xBatch, batch) ? x : broadcastTo(x, [...batch, E]), [n, E]);
    const c2d = reshape(sameShape(cBatch, batch) ? c : broadcastTo(c, [...batch, C]), [n, C]);
    return reshape(this.flatOutput(x2d, c2d), [...batch, E, this.params]);
  }

  /**
   * The fast path for a flow: one pass on 2-D inputs, the output left flat. Column `d·params + p`
   * is parameter `p` of dimension `d` (for a MAF layer, `shift_d` is column `d·params + 0` and
   * `logScale_d` column `d·params + 1`). No broadcasting, no reshape of the output.
   *
   * @param x - shape `[batch, E]`
   * @param conditionalInput - shape `[batch, C]`, required iff the network is conditional
   * @returns shape `[batch, E·params]`
   * @throws ValueError for wrong shapes or a missing/unexpected conditional input; builds the network if needed
   */
  flatOutput(x: Tensor, conditionalInput?: Tensor): Tensor {
    const where = `${WHERE}.flatOutput`;
    assert(x instanceof Tensor, () => `${where}: 'x' must be a Tensor, got ${show(x)}`, TypeError);
    if (this.parts === null && x.rank === 2) this.build(x.shape);
    const parts = this.mustBeBuilt('flatOutput');
    const E = parts.eventSize;
    assert(x.rank === 2 && x.shape[1] === E, () => `${where}: 'x' has shape ${fmt(x.shape)}, expected [batch, ${E}]`);
    const c = conditionalInput;
    if (this.conditional) {
      const C = (this.conditionalEventShape as readonly number[])[0];
      assert(c instanceof Tensor && c.rank === 2 && c.shape[0] === x.shape[0] && c.shape[1] === C,
        () => `${where}: 'conditionalInput' has ${c instanceof Tensor ? `shape ${fmt(c.shape)}` : show(c)}, expected [${x.shape[0]}, ${C}]`);
    } else {
      assert(c === undefined, () => `${where}: 'conditionalInput' was given but the network is not conditional`);
    }
    const w = this.weights;
    const last = parts.layers.length - 1;
    let h = x;
    parts.layers.forEach(({ kernel, bias, conditional }, k) => {
      let z = maskedMatmul(h, w[kernel], parts.masks[k], bias >= 0 ? w[bias] : undefined);
      if (conditional >= 0) z = add(z, matmul(c as Tensor, w[conditional]));
      // No activation after the output layer: the flow constrains its parameters itself.
      h = k < last ? this.act(z) : z;
    });
    return h;
  }

  private mustBeBuilt(what: string): Built {
    assert(this.parts !== null,
      () => `${WHERE}.${what}: the network is not built yet; pass 'eventShape' to the constructor, call build(E), or call it once`);
    return this.parts;
  }
}

/** Zeroes the masked entries of a kernel in place: the stored kernel is always W ⊙ M. */
function applyMask(kernel: Tensor, mask: Tensor): void {
  const m = mask.data;
  const d = kernel.data;
  for (let i = 0; i < d.length; i++) if (m[i] === 0) d[i] = 0;
}
