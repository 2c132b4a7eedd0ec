// MADE: the masked dense network that outputs, for every event dimension, `params` numbers depending only on earlier dimensions.
import { add, mul } from '../../autodiff/ops/binary.js';
import { maskedMatmul } from '../../autodiff/ops/masked-matmul.js';
import { matmul } from '../../autodiff/ops/matmul.js';
import { broadcastTo, reshape } from '../../autodiff/ops/shape.js';
import { getInitializer, type Initializer, type InitializerName } from '../../autodiff/initializers.js';
import { Tensor } from '../../autodiff/tensor.js';
import { toTensor, type TensorLike } from '../../autodiff/tensor-like.js';
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { assert, ValueError } from '../../lib/util/errors.js';
import { checkSeed, Random, toRandom, type Seed } from '../../lib/util/random.js';
import { fmt, sameShape, sizeOf, type Shape } from '../../lib/util/shape.js';
import { checkNoHoles } from '../../lib/util/arrays.js';
import { checkBoolean, checkFiniteNumber, checkOptions, checkPositiveInt, describe } from '../../lib/util/validate.js';
import { checkFinite } from '../../autodiff/checks.js';
import { getActivation, type Activation } from './activations.js';
import {
  checkEventSize, checkHiddenDegrees, checkHiddenUnits, checkInputOrder, createDegrees,
  type HiddenDegrees, type InputOrder,
} from './degrees.js';
import { checkMadeSize } from './made-size.js';
import { hiddenMask, outputMask } from './masks.js';

/** A weight initializer: a name `getInitializer` knows, or a function drawing a tensor of `shape` from `rng`. */
export type InitializerSpec = InitializerName | Initializer;

/** One initializer for every masked layer, or one per masked layer (input side first, the output layer last). */
export type LayerInitializers = InitializerSpec | readonly InitializerSpec[];

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
  /**
   * Default `'glorotUniform'`, drawn over the full kernel shape and then masked. An array gives one
   * per masked layer, input side first (see {@link AutoregressiveNetwork.layerCount}).
   */
  kernelInitializer?: LayerInitializers;
  /** Default `'zeros'`; an array gives one per masked layer. */
  biasInitializer?: LayerInitializers;
  /**
   * Not in TFP (opt-in; default false): the output layer's kernel and bias start at `'nearZero'`,
   * U(−10⁻³, 10⁻³) (nflows' `zero_initialization`), whatever `kernelInitializer` and
   * `biasInitializer` say for it. Every transform family maps parameters 0 to the identity, so the
   * flow starts at (within 10⁻³ of) the identity instead of with glorot-sized log-scales.
   */
  zeroInitOutput?: boolean;
  /**
   * Not in TFP (opt-in; default false): nflows' `use_residual_blocks`. The first masked layer maps
   * the input to a stream of `H` units, then every entry of `hiddenUnits` (all equal to H) is one
   * pre-activation residual block `h ← h + W₂·act(W₁·act(h))`, whose masks keep the degrees of the
   * stream (so the network stays autoregressive), then the output layer reads the stream.
   */
  residualBlocks?: boolean;
  /**
   * Not in TFP: the rate of dropout on every activated hidden input, in [0, 1); default 0. Applied
   * only in training (`call(x, { training: true })`, which `fit` passes), with inverted scaling
   * (kept units × 1/(1 − rate)), so evaluation and sampling use the whole network.
   */
  dropout?: number;
  /**
   * Makes `'random'` order and degrees and the initial weights reproducible. A `Random` (or no seed,
   * which uses the global generator) is drawn from once, at construction, to get a number seed.
   */
  seed?: Seed;
  /**
   * Not in TFP: the MADE paper's mask sets (Germain et al. 2015, section 4.2). K ≥ 1 masks sharing
   * one set of weights; each mask draws afresh the parts its options make random: the input order
   * when `inputOrder` is `'random'` (order-agnostic training), the hidden degrees when
   * `hiddenDegrees` is `'random'` (connectivity-agnostic training). Default 1.
   */
  numMasks?: number;
  /** Which mask the network starts on, in [0, numMasks); default 0 (saved, so a reloaded network resumes on it). */
  maskIndex?: number;
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
  /** The kernel initializer(s) as given: a name or a function, or one per masked layer. */
  kernelInitializer: LayerInitializers;
  /** The bias initializer(s) as given. */
  biasInitializer: LayerInitializers;
  /** Whether the output layer starts near zero. */
  zeroInitOutput: boolean;
  /** Whether the hidden layers are residual blocks. */
  residualBlocks: boolean;
  /** The dropout rate in training. */
  dropout: number;
  /** The number or string every random choice and initial weight was drawn from. */
  seed: number | string;
  /** The number of mask sets; present only when above 1, so a one-mask config reads as before. */
  numMasks?: number;
  /** The selected mask when the config was taken; present only with `numMasks`. */
  maskIndex?: number;
  /** The network's name. */
  name: string;
}

const WHERE = 'AutoregressiveNetwork';

/** Every option name of {@link AutoregressiveNetworkOptions}. */
const NETWORK_OPTIONS: readonly string[] = [
  'params', 'eventShape', 'hiddenUnits', 'activation', 'inputOrder', 'hiddenDegrees', 'conditional',
  'conditionalEventShape', 'conditionalInputLayers', 'useBias', 'kernelInitializer', 'biasInitializer', 'zeroInitOutput',
  'residualBlocks', 'dropout', 'seed', 'numMasks', 'maskIndex', 'name',
];

/** `n` or `[n]` as `[n]`: rank 1, positive. */
function rankOneShape(shape: unknown, arg: string): number[] {
  const list = typeof shape === 'number' ? [shape] : shape;
  assert(Array.isArray(list), () => `${WHERE}: '${arg}' must be a positive integer or an array [n], got ${describe(shape)}`, TypeError);
  assert(list.length === 1, () => `${WHERE}: '${arg}' must describe a rank-1 shape [n], got [${list.join(',')}]`);
  checkEventSize(list[0], arg, WHERE);
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

/**
 * One initializer per masked layer: `spec` repeated, or `spec` itself when it is an array (which
 * must then have `count` entries, none missing).
 */
function resolveLayerInitializers(spec: LayerInitializers, count: number, arg: string): Initializer[] {
  if (!Array.isArray(spec)) return new Array<Initializer>(count).fill(resolveInitializer(spec, arg));
  const list = spec as readonly unknown[];
  assert(list.length === count,
    () => `${WHERE}: '${arg}' has ${list.length} entries, expected one per masked layer: ${count} (hidden layers, then the output layer)`);
  const out: Initializer[] = [];
  for (let k = 0; k < count; k++) {
    assert(k in list, () => `${WHERE}: '${arg}' has a hole at index ${k}; give an initializer for every masked layer`, TypeError);
    out.push(resolveInitializer(list[k], `${arg}[${k}]`));
  }
  return out;
}

/**
 * One masked layer of the network's program, as {@link AutoregressiveNetwork.structure} reports it
 * to code that walks the network by degree (the one-pass sampler):
 *
 *   out = act?(layers[source] or x) · (W ⊙ M) + b [+ c · V] [+ layers[residual]]
 */
export interface MaskedLayerStructure {
  /** The layer whose output this one reads: −1 for the network's input x, else an earlier layer. */
  readonly source: number;
  /** Whether the activation (and, in training, dropout) is applied to the source before the product. */
  readonly activateSource: boolean;
  /** An earlier layer whose output is added to this one's (a residual connection), or −1. */
  readonly residual: number;
  /** Index into `trainableWeights` of the kernel `[fanIn, fanOut]`. */
  readonly kernel: number;
  /** Index of the bias `[fanOut]`, or −1. */
  readonly bias: number;
  /** Index of the conditional kernel `[C, fanOut]`, or −1. */
  readonly conditional: number;
  /** The 0/1 mask `[fanIn, fanOut]`. */
  readonly mask: Tensor;
  /**
   * The degree of each output unit. For the output layer, column `d·params + p` has the degree of
   * dimension d, `inputOrder[d]`.
   */
  readonly degrees: readonly number[];
  /**
   * The mask rule against the source's degrees: unit k sees source unit i iff m(i) < m(k) when
   * strict (the output layer), m(i) ≤ m(k) otherwise.
   */
  readonly strict: boolean;
}

/** The whole program of a built network: what a degree walk needs, read from the network itself. */
export interface NetworkStructure {
  /** E. */
  readonly eventSize: number;
  /** Outputs per event dimension. */
  readonly params: number;
  /** C, or 0 without a conditional input. */
  readonly conditionalSize: number;
  /** The 1-based degree of each input (`inputOrder`). */
  readonly inputDegrees: readonly number[];
  /** The masked layers in the order they run; the last is the output layer. */
  readonly layers: readonly MaskedLayerStructure[];
  /** The activation as given (a name or a function). */
  readonly activation: Activation;
}

/** The network's parts once E is known (see {@link AutoregressiveNetwork.build}). */
interface Built {
  eventSize: number;
  degrees: number[][];
  masks: Tensor[];
  /** The masked layers, in the order they run. */
  layers: MaskedLayerStructure[];
  /** Shape and name of each weight, in getWeights order (for setWeights' checks). */
  labels: Array<{ shape: number[]; label: string }>;
  /** Every mask set (one unless `numMasks` > 1); `degrees`, `masks` and `layers` above are the selected one's. */
  maskSets: Array<Pick<Built, 'degrees' | 'masks' | 'layers'>>;
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
  /** Whether the output layer starts near zero (see {@link AutoregressiveNetworkOptions.zeroInitOutput}). */
  readonly zeroInitOutput: boolean;
  /** Whether the hidden layers are residual blocks (see {@link AutoregressiveNetworkOptions.residualBlocks}). */
  readonly residualBlocks: boolean;
  /** The dropout rate in training. */
  readonly dropout: number;
  /** The seed everything random was drawn from (see {@link AutoregressiveNetworkOptions.seed}). */
  readonly seed: number | string;
  /** The layer's name. */
  readonly name: string;
  /** The number of mask sets K (see {@link AutoregressiveNetworkOptions.numMasks}). */
  readonly numMasks: number;
  private maskIndexValue: number;

  private eventShapeValue: number[] | undefined;
  private readonly activationOption: Activation;
  private readonly act: (t: Tensor) => Tensor;
  private readonly inputOrderOption: InputOrder;
  private readonly hiddenDegreesOption: HiddenDegrees;
  private readonly kernelInitializerOption: LayerInitializers;
  private readonly biasInitializerOption: LayerInitializers;
  /** Per masked layer. */
  private readonly kernelInits: Initializer[];
  private readonly biasInits: Initializer[];
  // Two streams fixed at construction, so building now or at the first call gives the same network.
  private readonly structureRng: Random;
  private readonly weightRng: Random;
  private readonly dropoutRng: Random;
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
    assert(typeof options === 'object' && options !== null, () => `${WHERE}: 'options' must be an object, got ${describe(options)}`, TypeError);
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
      () => `${WHERE}: unknown 'conditionalInputLayers' ${describe(layersOption)}; expected 'all_layers' or 'first_layer'`, TypeError);
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
    this.residualBlocks = checkBoolean(options.residualBlocks, 'residualBlocks', WHERE, false);
    if (this.residualBlocks) {
      const H = this.hiddenUnits;
      assert(H.length >= 1 && H.every((h) => h === H[0]),
        () => `${WHERE}: 'residualBlocks' needs 'hiddenUnits' of one repeated width (one entry per block, e.g. [64, 64]), got [${H.join(',')}]`);
    }
    this.zeroInitOutput = checkBoolean(options.zeroInitOutput, 'zeroInitOutput', WHERE, false);
    this.dropout = checkFiniteNumber(options.dropout, 'dropout', WHERE, { ge: 0, lt: 1 }, 0);
    this.kernelInitializerOption = freezeSpec(options.kernelInitializer ?? 'glorotUniform');
    this.biasInitializerOption = freezeSpec(options.biasInitializer ?? 'zeros');
    const count = this.layerCount;
    this.kernelInits = resolveLayerInitializers(this.kernelInitializerOption, count, 'kernelInitializer');
    this.biasInits = resolveLayerInitializers(this.biasInitializerOption, count, 'biasInitializer');
    if (this.zeroInitOutput) {
      this.kernelInits[count - 1] = resolveInitializer('nearZero', 'zeroInitOutput');
      this.biasInits[count - 1] = this.kernelInits[count - 1];
    }

    const seed = options.seed;
    checkSeed(seed, 'seed', WHERE);
    // A Random (or the global one) is consumed once here, so the config can record a plain seed.
    this.seed = typeof seed === 'number' || typeof seed === 'string' ? seed : Math.floor(toRandom(seed).uniform() * 2 ** 53);
    const base = new Random(this.seed);
    this.structureRng = base.fork();
    this.weightRng = base.fork();
    this.dropoutRng = base.fork();

    this.numMasks = checkPositiveInt(options.numMasks, 'numMasks', WHERE, 1);
    // K copies of one fixed mask would be one mask K times: something must be drawn per mask.
    assert(this.numMasks === 1 || this.inputOrderOption === 'random' || this.hiddenDegreesOption === 'random',
      () => `${WHERE}: 'numMasks' ${this.numMasks} needs inputOrder 'random' and/or hiddenDegrees 'random', which each mask draws afresh; got inputOrder ${describe(this.inputOrderOption)}, hiddenDegrees ${describe(this.hiddenDegreesOption)}`);
    this.maskIndexValue = this.checkMask(options.maskIndex ?? 0, 'maskIndex', WHERE);

    const name = options.name ?? 'autoregressive_network';
    assert(typeof name === 'string', () => `${WHERE}: 'name' must be a string, got ${describe(name)}`, TypeError);
    this.name = name;

    if (this.eventShapeValue !== undefined) this.build(this.eventShapeValue);
  }

  /**
   * The number of masked layers: `hiddenUnits.length + 1`, or with residual blocks
   * `2·hiddenUnits.length + 2` (the input layer, two per block, the output layer).
   */
  get layerCount(): number {
    return this.residualBlocks ? 2 * this.hiddenUnits.length + 2 : this.hiddenUnits.length + 1;
  }

  /** Rebuilds a network from {@link getConfig}'s output: same options and seed, hence same masks and initial weights. */
  static fromConfig(config: AutoregressiveNetworkConfig): AutoregressiveNetwork {
    assert(typeof config === 'object' && config !== null, () => `${WHERE}.fromConfig: 'config' must be an object, got ${describe(config)}`, TypeError);
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
      kernelInitializer: copySpec(this.kernelInitializerOption),
      biasInitializer: copySpec(this.biasInitializerOption),
      zeroInitOutput: this.zeroInitOutput,
      residualBlocks: this.residualBlocks,
      dropout: this.dropout,
      seed: this.seed,
      ...(this.numMasks > 1 ? { numMasks: this.numMasks, maskIndex: this.maskIndexValue } : {}),
      name: this.name,
    };
  }

  /** The selected mask set, in [0, numMasks): the one `call`, `structure()`, `masks` and the degrees use. */
  get maskIndex(): number {
    return this.maskIndexValue;
  }

  /**
   * Selects mask set `k` for every later pass. The weights are shared, so this only changes
   * which connections (and which input order) the network uses.
   * @param k - an integer in [0, numMasks)
   * @throws TypeError for a non-number; RangeError for a `k` outside [0, numMasks)
   */
  useMask(k: number): void {
    this.maskIndexValue = this.checkMask(k, 'k', `${WHERE}.useMask`);
    if (this.parts !== null) Object.assign(this.parts, this.parts.maskSets[k]);
  }

  /** Moves to mask `(maskIndex + 1) mod numMasks` (the paper's training: one mask per minibatch) and returns it. */
  nextMask(): number {
    this.useMask((this.maskIndexValue + 1) % this.numMasks);
    return this.maskIndexValue;
  }

  /** `k` checked against [0, numMasks). */
  private checkMask(k: unknown, arg: string, where: string): number {
    assert(typeof k === 'number', () => `${where}: '${arg}' must be an integer in [0, ${this.numMasks}), got ${describe(k)}`, TypeError);
    assert(Number.isInteger(k) && k >= 0 && k < this.numMasks,
      () => `${where}: '${arg}' is ${k}, expected an integer in [0, ${this.numMasks}) (the network has numMasks ${this.numMasks})`, RangeError);
    return k;
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
    assert(Array.isArray(ws), () => `${WHERE}.setWeights: 'weights' must be an array of Tensors, got ${describe(ws)}`, TypeError);
    checkNoHoles(ws, 'weights', `${WHERE}.setWeights`);
    assert(ws.length === this.weights.length,
      () => `${WHERE}.setWeights: expected ${this.weights.length} weights (${parts.labels.map((l) => l.label).join(', ')}), got ${ws.length} tensors in 'weights'`);
    ws.forEach((w, i) => {
      assert(w instanceof Tensor, () => `${WHERE}.setWeights: weight ${i} (${parts.labels[i].label}) must be a Tensor, got ${describe(w)}`, TypeError);
      assert(sameShape(w.shape, parts.labels[i].shape),
        () => `${WHERE}.setWeights: weight ${i} (${parts.labels[i].label}) has shape ${fmt(w.shape)}, expected ${fmt(parts.labels[i].shape)}`);
    });
    ws.forEach((w, i) => this.weights[i].data.set(w.data));
    parts.layers.forEach(({ kernel }, k) => applyMask(this.weights[kernel], unionMask(parts.maskSets.map((set) => set.masks[k]))));
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
      () => `${WHERE}.build: 'inputShape' must be E or a shape [..., E], got ${describe(inputShape)}`, TypeError);
    const E = checkEventSize(shape[shape.length - 1], 'inputShape[-1]', `${WHERE}.build`);
    if (this.eventShapeValue !== undefined) {
      assert(E === this.eventShapeValue[0],
        () => `${WHERE}.build: 'inputShape' ${fmt(shape)} has last dimension ${E}, expected eventSize ${this.eventShapeValue![0]}`);
    }
    if (this.parts !== null) return;
    checkMadeSize({
      // With residual blocks the masked layers are E → H, then two H → H per block, then H → output.
      eventSize: E, hiddenUnits: this.residualBlocks ? [this.hiddenUnits[0], ...this.hiddenUnits.flatMap((h) => [h, h])] : this.hiddenUnits, params: this.params, conditionalSize: this.conditionalEventShape?.[0],
      conditionalAllLayers: this.conditionalInputLayers === 'all_layers', useBias: this.useBias,
    }, WHERE);
    this.eventShapeValue = [E];
    const inputOrder = checkInputOrder(this.inputOrderOption, E, WHERE);
    const program = layerProgram(this.residualBlocks, this.hiddenUnits.length);
    // Mask 0 is drawn first, so a network with one mask is the network it always was; mask k > 0
    // draws the random parts (order and/or hidden degrees) afresh from the same stream.
    const sets = Array.from({ length: this.numMasks }, () => this.maskSet(E, inputOrder, program));
    const C = this.conditionalEventShape?.[0];
    const weights: Tensor[] = [];
    const labels: Built['labels'] = [];
    const push = (shape: number[], label: string, init: Initializer): number => {
      const w = init(shape, this.weightRng);
      assert(w instanceof Tensor && sameShape(w.shape, shape),
        () => `${WHERE}.build: the initializer for ${label} returned ${w instanceof Tensor ? `shape ${fmt(w.shape)}` : describe(w)}, expected a Tensor of shape ${fmt(shape)}`);
      weights.push(new Tensor(Float64Array.from(w.data), shape, { requiresGrad: true }));
      labels.push({ shape, label });
      return weights.length - 1;
    };
    // One set of weights serves every mask (the paper's mask sets share their parameters).
    const slots = sets[0].masks.map((mask, k) => {
      const [fanIn, fanOut] = mask.shape;
      const kernel = push([fanIn, fanOut], `layer ${k} kernel`, this.kernelInits[k]);
      applyMask(weights[kernel], unionMask(sets.map((set) => set.masks[k])));
      const bias = this.useBias ? push([fanOut], `layer ${k} bias`, this.biasInits[k]) : -1;
      const entersHere = this.conditional && program[k].takesCondition && (this.conditionalInputLayers === 'all_layers' || k === 0);
      const conditional = entersHere ? push([C as number, fanOut], `layer ${k} conditional kernel`, this.kernelInits[k]) : -1;
      return { kernel, bias, conditional };
    });
    this.weights = weights;
    const maskSets = sets.map(({ degrees, masks, layerDegrees }) => ({
      degrees,
      masks,
      layers: masks.map((mask, k): MaskedLayerStructure => {
        const { source, activateSource, residual } = program[k];
        return { source, activateSource, residual, ...slots[k], mask, degrees: layerDegrees[k], strict: k === masks.length - 1 };
      }),
    }));
    this.parts = { eventSize: E, ...maskSets[this.maskIndexValue], labels, maskSets };
  }

  /**
   * One mask set: degrees drawn from the structure stream, the masks of every layer of `program`,
   * and each layer's unit degrees as {@link MaskedLayerStructure} reports them.
   */
  private maskSet(E: number, inputOrder: InputOrder, program: LayerWiring[]): { degrees: number[][]; masks: Tensor[]; layerDegrees: ReadonlyArray<readonly number[]> } {
    // A residual stream keeps one set of degrees through every block, so only one layer's are drawn.
    const degrees = createDegrees({
      eventSize: E, hiddenUnits: this.residualBlocks ? [this.hiddenUnits[0]] : this.hiddenUnits, inputOrder,
      hiddenDegrees: this.hiddenDegreesOption, rng: this.structureRng,
    }, WHERE);
    // Each masked layer's source degrees and own degrees: the input's, then hidden ones (the
    // stream's, repeated, for residual blocks), then the output's.
    const nodeDegrees = program.map((_, k) => (k === program.length - 1 ? null : degrees[this.residualBlocks ? 1 : k + 1]));
    const masks = program.map((layer, k) => {
      const from = layer.source < 0 ? degrees[0] : (nodeDegrees[layer.source] as number[]);
      const to = nodeDegrees[k];
      return to === null ? outputMask(from, degrees[0], this.params) : hiddenMask(from, to);
    });
    const outputDegrees = degrees[0].flatMap((m) => new Array<number>(this.params).fill(m));
    const layerDegrees = nodeDegrees.map((m) => Object.freeze(m === null ? outputDegrees : m.slice()));
    // `degrees` as TFP reports them: the input's, then one entry per hidden layer of `hiddenUnits`.
    const reported = this.residualBlocks ? [degrees[0], ...this.hiddenUnits.map(() => degrees[1])] : degrees;
    return { degrees: reported, masks, layerDegrees };
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
   * @param options.training - applies dropout (if the network has any); default false
   * @returns shape `[...broadcast(batch, condBatch), E, params]`
   * @throws TypeError if `x` is not a TensorLike; ValueError when its last dim is not E, when a conditional
   *   network gets no `conditionalInput` or one whose last dim is not C, when a non-conditional one
   *   gets one, or when the batch shapes do not broadcast
   */
  call(xIn: TensorLike, options: NetworkCallOptions = {}): Tensor {
    const where = `${WHERE}.call`;
    const x = toTensor(xIn, 'x', where);
    checkOptions(options, ['conditionalInput', 'training'], where);
    const training = checkBoolean(options.training, 'training', where, false);
    assert(x.rank >= 1, () => `${where}: 'x' has shape ${fmt(x.shape)}, expected [..., E] with rank ≥ 1`);
    if (this.parts === null) this.build(x.shape);
    const E = this.eventSize;
    assert(x.shape[x.rank - 1] === E, () => `${where}: 'x' has shape ${fmt(x.shape)}, expected [..., ${E}]`);
    const c = options?.conditionalInput === undefined ? undefined : toTensor(options.conditionalInput, 'conditionalInput', where);
    const xBatch = x.shape.slice(0, -1);
    if (!this.conditional) {
      assert(c === undefined, () => `${where}: 'conditionalInput' was given but the network is not conditional`);
      const n = sizeOf(xBatch);
      return reshape(this.flatOutput(reshape(x, [n, E]), undefined, training), [...xBatch, E, this.params]);
    }
    const C = (this.conditionalEventShape as readonly number[])[0];
    assert(c !== undefined, () => `${where}: the network is conditional; pass { conditionalInput } of shape [..., ${C}]`);
    assert(c instanceof Tensor, () => `${where}: 'conditionalInput' must be a Tensor, got ${describe(c)}`, TypeError);
    assert(c.rank >= 1 && c.shape[c.rank - 1] === C, () => `${where}: 'conditionalInput' has shape ${fmt(c.shape)}, expected [..., ${C}]`);
    checkFinite(c, 'conditionalInput', where, 'a condition must be a finite number');
    const cBatch = c.shape.slice(0, -1);
    const batch = broadcastShapes(`${where} (batch shapes of 'x' and 'conditionalInput')`, xBatch, cBatch);
    const n = sizeOf(batch);
    // Both inputs are broadcast to the common batch and flattened, so one 2-D pass serves any batch shape.
    const x2d = reshape(sameShape(xBatch, batch) ? x : broadcastTo(x, [...batch, E]), [n, E]);
    const c2d = reshape(sameShape(cBatch, batch) ? c : broadcastTo(c, [...batch, C]), [n, C]);
    return reshape(this.flatOutput(x2d, c2d, training), [...batch, E, this.params]);
  }

  /**
   * The fast path for a flow: one pass on 2-D inputs, the output left flat. Column `d·params + p`
   * is parameter `p` of dimension `d` (for a MAF layer, `shift_d` is column `d·params + 0` and
   * `logScale_d` column `d·params + 1`). No broadcasting, no reshape of the output.
   *
   * @param x - shape `[batch, E]`
   * @param conditionalInput - shape `[batch, C]`, required iff the network is conditional
   * @param training - applies dropout (if the network has any); default false
   * @returns shape `[batch, E·params]`
   * @throws ValueError for wrong shapes or a missing/unexpected conditional input; builds the network if needed
   */
  flatOutput(x: Tensor, conditionalInput?: Tensor, training = false): Tensor {
    const where = `${WHERE}.flatOutput`;
    assert(x instanceof Tensor, () => `${where}: 'x' must be a Tensor, got ${describe(x)}`, TypeError);
    if (this.parts === null && x.rank === 2) this.build(x.shape);
    const parts = this.mustBeBuilt('flatOutput');
    const E = parts.eventSize;
    assert(x.rank === 2 && x.shape[1] === E, () => `${where}: 'x' has shape ${fmt(x.shape)}, expected [batch, ${E}]`);
    const c = conditionalInput;
    if (this.conditional) {
      const C = (this.conditionalEventShape as readonly number[])[0];
      assert(c instanceof Tensor && c.rank === 2 && c.shape[0] === x.shape[0] && c.shape[1] === C,
        () => `${where}: 'conditionalInput' has ${c instanceof Tensor ? `shape ${fmt(c.shape)}` : describe(c)}, expected [${x.shape[0]}, ${C}]`);
    } else {
      assert(c === undefined, () => `${where}: 'conditionalInput' was given but the network is not conditional`);
    }
    // The paper's order-agnostic training: every training pass moves to the next mask.
    if (training && this.numMasks > 1) this.nextMask();
    const w = this.weights;
    const outputs: Tensor[] = [];
    // act(layer k), made once however many layers read it (with dropout in training).
    const activated = new Map<number, Tensor>();
    const dropping = training && this.dropout > 0;
    for (const { source, activateSource, residual, kernel, bias, conditional, mask } of parts.layers) {
      let h = source < 0 ? x : outputs[source];
      if (activateSource) {
        let a = activated.get(source);
        if (a === undefined) {
          a = this.act(h);
          if (dropping) a = mul(a, dropoutMask(a.shape, this.dropout, this.dropoutRng));
          activated.set(source, a);
        }
        h = a;
      }
      let z = maskedMatmul(h, w[kernel], mask, bias >= 0 ? w[bias] : undefined);
      if (conditional >= 0) z = add(z, matmul(c as Tensor, w[conditional]));
      if (residual >= 0) z = add(z, outputs[residual]);
      // No activation after the output layer: the flow constrains its parameters itself.
      outputs.push(z);
    }
    return outputs[outputs.length - 1];
  }

  /**
   * The network's program, for code that walks it by degree (the one-pass sampler): every masked
   * layer's wiring, weights, mask and degrees, read from the network as built.
   * @throws ValueError before the network is built
   */
  structure(): NetworkStructure {
    const parts = this.mustBeBuilt('structure');
    return {
      eventSize: parts.eventSize,
      params: this.params,
      conditionalSize: this.conditionalEventShape?.[0] ?? 0,
      inputDegrees: parts.degrees[0].slice(),
      layers: parts.layers.slice(),
      activation: this.activationOption,
    };
  }

  private mustBeBuilt(what: string): Built {
    assert(this.parts !== null,
      () => `${WHERE}.${what}: the network is not built yet; pass 'eventShape' to the constructor, call build(E), or call it once`);
    return this.parts;
  }
}

/** Options of {@link AutoregressiveNetwork.call}. */
export interface NetworkCallOptions {
  /** `[...condBatch, C]`; required iff the network is conditional. */
  conditionalInput?: TensorLike;
  /** Whether this is a training step (dropout on); default false. */
  training?: boolean;
}

/**
 * A dropout mask of `shape`: each entry 1/(1 − rate) with probability 1 − rate, else 0 (inverted
 * dropout, so the expected input of the next layer is unchanged and evaluation needs no rescaling).
 */
function dropoutMask(shape: Shape, rate: number, rng: Random): Tensor {
  const data = new Float64Array(sizeOf(shape));
  const keep = 1 / (1 - rate);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < rate ? 0 : keep;
  return new Tensor(data, shape);
}

/** How one masked layer is wired (see {@link MaskedLayerStructure}); `takesCondition` false for a block's second layer. */
interface LayerWiring {
  source: number;
  activateSource: boolean;
  residual: number;
  takesCondition: boolean;
}

/**
 * The wiring of the masked layers. Plain MADE with L hidden layers: layer 0 reads x, layer k reads
 * act(layer k − 1), the output layer reads act(layer L − 1). With B residual blocks (nflows'
 * pre-activation blocks): layer 0 maps x to the stream; block b's layers 2b + 1 and 2b + 2 compute
 * W₂·act(W₁·act(h)) and add the stream h back; the output layer reads the last stream, not
 * activated (as nflows' MADE). The conditional input enters every layer but a block's second.
 */
function layerProgram(residual: boolean, hidden: number): LayerWiring[] {
  if (!residual) {
    return Array.from({ length: hidden + 1 }, (_, k) => ({ source: k - 1, activateSource: k > 0, residual: -1, takesCondition: true }));
  }
  const program: LayerWiring[] = [{ source: -1, activateSource: false, residual: -1, takesCondition: true }];
  for (let b = 0; b < hidden; b++) {
    const stream = 2 * b; // layer 0, then the second layer of each block
    program.push({ source: stream, activateSource: true, residual: -1, takesCondition: true });
    program.push({ source: stream + 1, activateSource: true, residual: stream, takesCondition: false });
  }
  program.push({ source: 2 * hidden, activateSource: false, residual: -1, takesCondition: true });
  return program;
}

/** An initializer option kept as given: an array is copied and frozen, so later edits to the caller's array change nothing. */
function freezeSpec(spec: LayerInitializers): LayerInitializers {
  return Array.isArray(spec) ? Object.freeze((spec as readonly InitializerSpec[]).slice()) : spec;
}

/** A copy of an initializer option for a config (arrays copied, so the config can be edited freely). */
function copySpec(spec: LayerInitializers): LayerInitializers {
  return Array.isArray(spec) ? (spec as readonly InitializerSpec[]).slice() : spec;
}

/** The entries some mask keeps: 1 where any of `masks` (all of one shape) is 1. */
function unionMask(masks: readonly Tensor[]): Tensor {
  if (masks.length === 1) return masks[0];
  const data = new Float64Array(masks[0].size);
  for (const m of masks) for (let i = 0; i < data.length; i++) if (m.data[i] !== 0) data[i] = 1;
  return new Tensor(data, masks[0].shape);
}

/** Zeroes the masked entries of a kernel in place: the stored kernel is always W ⊙ M (M the union of the mask sets). */
function applyMask(kernel: Tensor, mask: Tensor): void {
  const m = mask.data;
  const d = kernel.data;
  for (let i = 0; i < d.length; i++) if (m[i] === 0) d[i] = 0;
}
