// Dense: the fully connected layer y = activation(x · W + b), for conditioning networks and examples.
import { getInitializer, type Initializer, type InitializerName } from '../../autodiff/initializers.js';
import { add } from '../../autodiff/ops/binary.js';
import { matmul } from '../../autodiff/ops/matmul.js';
import { reshape } from '../../autodiff/ops/shape.js';
import { Tensor } from '../../autodiff/tensor.js';
import { getActivation, type Activation } from '../../flows/made/activations.js';
import { assert, ValueError } from '../util/errors.js';
import { checkSeed, Random, toRandom, type Seed } from '../util/random.js';
import { checkParamCount, checkTensorElements } from '../util/limits.js';
import { fmt, sameShape, sizeOf, type Shape } from '../util/shape.js';
import { checkBoolean, checkPositiveInt, checkOptions, describe } from '../util/validate.js';
import { LAYER_ARG_NAMES, Layer, mustBeTensorInput, type CallOptions, type LayerArgs, type LayerConfig, type LayerOutput } from './layer.js';

/** Options of {@link Dense}; Keras's names and defaults. */
export interface DenseArgs extends LayerArgs {
  /** Output features, a positive integer. */
  units: number;
  /** Applied to `x · W + b`; default `'linear'` (none), as Keras. */
  activation?: Activation;
  /** Whether to add a bias; default true. */
  useBias?: boolean;
  /** Default `'glorotUniform'`, as Keras. */
  kernelInitializer?: InitializerName | Initializer;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerName | Initializer;
  /** Makes the initial weights reproducible; without one, a seed is drawn once from the global generator. */
  seed?: Seed;
}

const DENSE_ARGS = [...LAYER_ARG_NAMES, 'units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'seed'];

/**
 * A fully connected layer, as Keras's `Dense`:
 *
 *   y[..., j] = act( Σ_i x[..., i] · W[i, j] + b[j] )
 *
 * with kernel `W` `[inputDim, units]` and bias `b` `[units]`, made at the first call from the
 * input's last dimension. Any number of leading batch axes.
 *
 * @example
 * const dense = new Dense({ units: 3, activation: 'relu', seed: 1 });
 * dense.call(zeros([5, 2])).shape; // [5, 3]; W is [2, 3], b is [3]
 * dense.countParams();             // 2·3 + 3 = 9
 */
export class Dense extends Layer<Tensor> {
  readonly className = 'Dense';
  /** Output features. */
  readonly units: number;
  /** Whether there is a bias. */
  readonly useBias: boolean;
  /** The seed the initial weights are drawn from. */
  readonly seed: number | string;
  private readonly activationOption: Activation;
  private readonly act: (t: Tensor) => Tensor;
  private readonly kernelInitializerOption: InitializerName | Initializer;
  private readonly biasInitializerOption: InitializerName | Initializer;
  private kernel: Tensor | null = null;
  private bias: Tensor | null = null;

  /**
   * @throws TypeError for an unknown option, a wrong kind of value, or an unknown activation or initializer name;
   *   RangeError when `units` is not a positive integer
   */
  constructor(args: DenseArgs) {
    checkOptions(args, DENSE_ARGS, 'Dense');
    assert(typeof args === 'object' && args !== null, () => `Dense: 'args' must be an object { units, ... }`, TypeError);
    super(args, 'Dense', 'dense');
    const { units, activation = 'linear', useBias = true, kernelInitializer = 'glorotUniform', biasInitializer = 'zeros', seed } = args;
    this.units = checkPositiveInt(units, 'units', 'Dense');
    this.useBias = checkBoolean(useBias, 'useBias', 'Dense');
    this.activationOption = activation;
    this.act = getActivation(activation, 'Dense');
    this.kernelInitializerOption = kernelInitializer;
    this.biasInitializerOption = biasInitializer;
    for (const [arg, spec] of [['kernelInitializer', kernelInitializer], ['biasInitializer', biasInitializer]] as const) {
      try {
        getInitializer(spec);
      } catch (e) {
        throw new TypeError(`Dense: bad '${arg}': ${(e as Error).message}`);
      }
    }
    checkSeed(seed, 'seed', 'Dense');
    // A Random (or the global one) is drawn from once, so the config can record a plain seed.
    this.seed = typeof seed === 'number' || typeof seed === 'string' ? seed : Math.floor(toRandom(seed).uniform() * 2 ** 53);
  }

  /** Rebuilds a Dense from {@link Dense.getConfig}: same options and seed, so the same initial weights. */
  static fromConfig(config: LayerConfig): Dense {
    return new Dense(config as unknown as DenseArgs);
  }

  /**
   * Makes `W` `[inputShape[-1], units]` and `b` `[units]`, drawn from this layer's seed.
   * @throws ValueError when the input's last dimension differs from the one the layer was built for
   */
  override build(inputShape: Shape): void {
    assert(inputShape.length >= 1, () => `Dense.build: input shape ${fmt(inputShape)} has no last axis to connect`);
    const fanIn = inputShape[inputShape.length - 1];
    if (this.kernel !== null) {
      assert(this.kernel.shape[0] === fanIn, () => `Dense.build: layer '${this.name}' was built for inputs [..., ${this.kernel!.shape[0]}], got ${fmt(inputShape)}`);
      return;
    }
    checkTensorElements(fanIn * this.units, `the kernel [${fanIn},${this.units}] of layer '${this.name}'`, 'Dense.build');
    checkParamCount(fanIn * this.units + (this.useBias ? this.units : 0), `layer '${this.name}'`, 'Dense.build');
    const rng = new Random(this.seed);
    const makeWeight = (shape: number[], init: InitializerName | Initializer, label: string): Tensor => {
      const w = getInitializer(init)(shape, rng);
      if (!(w instanceof Tensor) || !sameShape(w.shape, shape)) {
        throw new ValueError(`Dense.build: the ${label} initializer returned ${describe(w)}, expected a Tensor of shape ${fmt(shape)}`);
      }
      return new Tensor(Float64Array.from(w.data), shape, { requiresGrad: true });
    };
    this.kernel = makeWeight([fanIn, this.units], this.kernelInitializerOption, 'kernel');
    if (this.useBias) this.bias = makeWeight([this.units], this.biasInitializerOption, 'bias');
    this.built = true;
  }

  protected override ownWeights(): Tensor[] {
    if (this.kernel === null) return [];
    return this.bias === null ? [this.kernel] : [this.kernel, this.bias];
  }

  /**
   * `act(x · W + b)`.
   * @param x - shape `[...batch, inputDim]`
   * @returns shape `[...batch, units]`
   * @throws TypeError when `x` is not a Tensor; ValueError when its last dimension is not `inputDim`
   */
  call(x: LayerOutput, _options?: CallOptions): Tensor {
    mustBeTensorInput(x, this);
    assert(x.rank >= 1, () => `Dense.call: 'x' has shape ${fmt(x.shape)}, expected [..., inputDim]`);
    if (!this.built) this.build(x.shape);
    const W = this.kernel as Tensor;
    const fanIn = W.shape[0];
    assert(x.shape[x.rank - 1] === fanIn, () => `Dense.call: 'x' has shape ${fmt(x.shape)}, but layer '${this.name}' expects [..., ${fanIn}]`);
    const batch = x.shape.slice(0, -1);
    // Flattened to one [n, inputDim] matrix so a single product serves any number of batch axes.
    let z = matmul(reshape(x, [sizeOf(batch), fanIn]), W);
    if (this.bias !== null) z = add(z, this.bias);
    return reshape(this.act(z), [...batch, this.units]);
  }

  /**
   * @throws TypeError when the activation or an initializer is a function (JSON cannot hold code)
   */
  override getConfig(): LayerConfig {
    for (const [arg, v] of [['activation', this.activationOption], ['kernelInitializer', this.kernelInitializerOption],
      ['biasInitializer', this.biasInitializerOption]] as const) {
      assert(typeof v === 'string', () => `Dense.getConfig: layer '${this.name}' has a function as '${arg}', which cannot be saved; use one of the named ones`, TypeError);
    }
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activationOption,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializerOption,
      biasInitializer: this.biasInitializerOption,
      seed: this.seed,
    };
  }
}
