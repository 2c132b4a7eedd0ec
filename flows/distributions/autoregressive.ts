// Autoregressive: TFP's tfd.Autoregressive, a distribution from a function of the previous draw, and MADE-backed conditionals that sample in one network pass.
import { reshape, stack } from '../../autodiff/ops/shape.js';
import { logSumExp } from '../../autodiff/ops/reduce.js';
import { sub } from '../../autodiff/ops/binary.js';
import { noGrad, Tensor, tensor, type NestedArray } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { Random } from '../../lib/util/random.js';
import { fmt, sameShape, sizeOf } from '../../lib/util/shape.js';
import { checkOneOf, checkOptions, checkPositiveInt, describe, isPlainObject } from '../../lib/util/validate.js';
import { sigmoidValue } from '../../autodiff/ops/unary.js';
import { AutoregressiveNetwork, type AutoregressiveNetworkConfig } from '../made/autoregressive-network.js';
import { type ParamLike } from '../bijectors/bijector.js';
import { onePassDraw, type CompleteDimension } from '../made/one-pass-sampler.js';
import { Bernoulli, bernoulliDraw } from './bernoulli.js';
import { Categorical, categoricalDraw, softmaxInto } from './categorical.js';
import { Distribution, type DistributionConfig, type LogProbOptions, type ValueLike } from './distribution.js';
import { Independent } from './independent.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** The conditional a {@link madeConditionals} function puts on each dimension. */
export type MadeConditional = 'bernoulli' | 'categorical';

/** Options of {@link madeConditionals}. */
export interface MadeConditionalsOptions {
  /**
   * `'bernoulli'` (default; the network has `params: 1`, its output the logit of x_d = 1) or
   * `'categorical'` (the network has `params: K` ≥ 2, its outputs the logits of the K levels of x_d).
   */
  distribution?: MadeConditional;
  /** How many rightmost batch dimensions of the conditionals `Independent` makes into the event; default 1 (the E dimensions). */
  reinterpretedBatchNdims?: number;
}

/**
 * A `distributionFn` built by {@link madeConditionals}: a function of x, and what it is made of,
 * so {@link Autoregressive} can sample it in one network pass and save it.
 */
export interface MadeDistributionFn {
  /** `Independent(Bernoulli or Categorical(logits = network(x)), reinterpretedBatchNdims)`. */
  (x: Tensor): Distribution;
  /** The MADE that gives every dimension's logits. */
  readonly network: AutoregressiveNetwork;
  /** Which conditional. */
  readonly conditional: MadeConditional;
  /** As in {@link MadeConditionalsOptions}. */
  readonly reinterpretedBatchNdims: number;
}

/**
 * MADE as a density model of discrete data (Germain et al. 2015), the first use on TFP's
 * `AutoregressiveNetwork` page: x_d given x_{<d} is Bernoulli (or Categorical) with logits from
 * the network's output for dimension d, which sees only x_{<d}:
 *
 *   p(x) = Π_d Bernoulli(x_d; logit = made(x)_d)     (params 1)
 *   p(x) = Π_d Categorical(x_d; logits = made(x)_{d,:}) (params K)
 *
 * TFP writes it as the lambda `x => Independent(Bernoulli({ logits: made(x)[..., 0] }), 1)`; this
 * returns that lambda with the network attached, which {@link Autoregressive} uses to sample in one
 * pass (`onePassDraw`) and to save the whole model.
 *
 * @param network - a non-conditional MADE, `params` 1 for Bernoulli or K ≥ 2 for Categorical
 * @param options - the conditional and `reinterpretedBatchNdims`
 * @returns the distribution function, for `new Autoregressive(fn, { sample0 })`
 * @throws TypeError when `network` is not an AutoregressiveNetwork or the conditional is unknown;
 *   ValueError for a conditional network, or `params` that does not fit the conditional
 * @see Germain et al. 2015, MADE, https://arxiv.org/abs/1502.03509
 *
 * @example
 * const made = new AutoregressiveNetwork({ params: 1, eventShape: 4, hiddenUnits: [8], activation: 'relu', seed: 1 });
 * const model = new Autoregressive(madeConditionals(made), { sample0: zeros([4]) });
 * model.sample(3, { seed: 2 }).shape; // [3, 4]
 */
export function madeConditionals(network: AutoregressiveNetwork, options: MadeConditionalsOptions = {}): MadeDistributionFn {
  const where = 'madeConditionals';
  assert(network instanceof AutoregressiveNetwork, () => `${where}: 'network' must be an AutoregressiveNetwork, got ${describe(network)}`, TypeError);
  assert(isPlainObject(options), () => `${where}: 'options' must be an object { distribution?, reinterpretedBatchNdims? }, got ${describe(options)}`, TypeError);
  checkOptions(options, ['distribution', 'reinterpretedBatchNdims'], where);
  const conditional = checkOneOf(options.distribution, ['bernoulli', 'categorical'] as const, 'distribution', where, 'bernoulli');
  const r = checkPositiveInt(options.reinterpretedBatchNdims, 'reinterpretedBatchNdims', where, 1);
  assert(!network.conditional, () => `${where}: 'network' is conditional; a MADE density model takes no conditional input`);
  assert(conditional === 'bernoulli' ? network.params === 1 : network.params >= 2,
    () => `${where}: a ${conditional} conditional needs a network with ${conditional === 'bernoulli' ? 'params 1 (one logit per dimension)' : 'params K ≥ 2 (one logit per level)'}, got params ${network.params}`);
  const fn = (x: Tensor): Distribution => {
    const out = network.call(x); // [..., E, params]
    const inner = conditional === 'bernoulli'
      ? new Bernoulli({ logits: reshape(out, out.shape.slice(0, -1)) })
      : new Categorical({ logits: out });
    return new Independent(inner, { reinterpretedBatchNdims: r });
  };
  return Object.assign(fn, { network, conditional, reinterpretedBatchNdims: r });
}

/** Options of {@link Autoregressive}. */
export interface AutoregressiveOptions {
  /**
   * The first input of `distributionFn`, shape `[...batch, ...event]` of the distribution it
   * gives: it fixes the batch and event shapes. Default for a {@link madeConditionals} function:
   * zeros `[E]`; required for any other function.
   */
  sample0?: ParamLike;
  /** How many times sampling calls `distributionFn`; default the event size (TFP's default). */
  numSteps?: number;
  /** Default `'Autoregressive'`. */
  name?: string;
}

/** Options of {@link Autoregressive.logProb}: those of {@link Distribution.logProb}, and a mask. */
export interface AutoregressiveLogProbOptions extends LogProbOptions {
  /**
   * For a MADE with `numMasks` K > 1: a mask index in [0, K) evaluates under that mask;
   * `'ensemble'` gives the paper's ensemble, log((1/K) Σ_k p_k(x)) by `logSumExp`. Default: the
   * network's selected mask (`network.maskIndex`), which training moves on every minibatch.
   */
  mask?: number | 'ensemble';
}

/**
 * TFP's `tfd.Autoregressive`: the distribution whose draws are the fixed point of
 * x ← distributionFn(x).sample(), for a `distributionFn` whose distribution at dimension d depends
 * only on the dimensions before it (such as a MADE's conditionals):
 *
 *   sample:  x⁽⁰⁾ = sample0,  x⁽ˢ⁾ = distributionFn(x⁽ˢ⁻¹⁾).sample(seed),  s = 1 … numSteps;  return x⁽ⁿᵘᵐˢᵗᵉᵖˢ⁾
 *   log p(x) = distributionFn(x).logProb(x)       (one call: every conditional at once)
 *
 * Every step samples with the same seed (TFP's stateless seed), so the noise is fixed and the
 * iteration reaches a fixed point: after step s the first s dimensions in the autoregressive order
 * are exact draws and stay put, so numSteps = E (the default) gives exact samples. Batch and event
 * shapes are those of `distributionFn(sample0)`.
 *
 * Cost: sampling is numSteps calls of `distributionFn`, E network passes for a MADE, except for a
 * {@link madeConditionals} function, whose samples take one walk over the network's degrees
 * (`onePassDraw`, the cost of one pass; `numSteps` must then be at least E). `logProb` is one
 * pass. Draws of a discrete conditional carry no gradient.
 *
 * @see TFP `tfd.Autoregressive`, https://www.tensorflow.org/probability/api_docs/python/tfp/distributions/Autoregressive
 * @see Germain et al. 2015, MADE, https://arxiv.org/abs/1502.03509
 *
 * @example
 * const made = new AutoregressiveNetwork({ params: 1, eventShape: 64, hiddenUnits: [20, 20], activation: 'relu', seed: 0 });
 * const model = new Autoregressive(madeConditionals(made, { reinterpretedBatchNdims: 2 }), { sample0: zeros([3, 64]) });
 * model.sample(7, { seed: 1 }).shape;     // [7, 3, 64]
 * model.logProb(zeros([100, 3, 64])).shape; // [100]
 */
export class Autoregressive extends Distribution {
  /** The function from the previous draw to the distribution of the next. */
  readonly distributionFn: ((x: Tensor) => Distribution) | MadeDistributionFn;
  /** The first input of `distributionFn`. */
  readonly sample0: Tensor;
  /** How many calls of `distributionFn` a draw takes. */
  readonly numSteps: number;
  private readonly made: MadeDistributionFn | null;

  /**
   * @param distributionFn - x `[...batch, ...event]` → a Distribution over x's event
   * @param options - `sample0`, `numSteps`, `name`
   * @throws TypeError when `distributionFn` is not a function, when `sample0` is missing for a plain
   *   function or not numeric; RangeError for a `numSteps` that is not a positive integer;
   *   ValueError when `sample0` does not have the event shape the network or `distributionFn` expects
   */
  constructor(distributionFn: ((x: Tensor) => Distribution) | MadeDistributionFn, options: AutoregressiveOptions = {}) {
    const where = 'Autoregressive';
    assert(typeof distributionFn === 'function', () => `${where}: 'distributionFn' must be a function x => Distribution, got ${describe(distributionFn)}`, TypeError);
    assert(isPlainObject(options), () => `${where}: 'options' must be an object { sample0?, numSteps?, name? }, got ${describe(options)}`, TypeError);
    checkOptions(options, ['sample0', 'numSteps', 'name'], where);
    const made = isMadeFn(distributionFn) ? distributionFn : null;
    let sample0: Tensor;
    if (options.sample0 === undefined) {
      assert(made !== null, () => `${where}: 'sample0' is required for a distributionFn not made by madeConditionals (it fixes the batch and event shapes)`, TypeError);
      sample0 = new Tensor(new Float64Array(made.network.eventSize), [made.network.eventSize]);
    } else {
      sample0 = toTensor(options.sample0, 'sample0', where);
    }
    if (made !== null && made.network.built) {
      const E = made.network.eventSize;
      assert(sample0.rank >= 1 && sample0.shape[sample0.rank - 1] === E,
        () => `${where}: 'sample0' has shape ${fmt(sample0.shape)}, expected [..., ${E}] (the network's event size)`);
    }
    const d0 = distributionFn(sample0);
    assert(d0 instanceof Distribution, () => `${where}: 'distributionFn' must return a Distribution, got ${describe(d0)}`, TypeError);
    assert(sameShape(sample0.shape, [...d0.batchShape, ...d0.eventShape]),
      () => `${where}: 'sample0' has shape ${fmt(sample0.shape)}, but distributionFn(sample0) has batch ${fmt(d0.batchShape)} and event ${fmt(d0.eventShape)}; sample0 must be one draw of it`);
    const eventSize = sizeOf(d0.eventShape);
    const numSteps = checkPositiveInt(options.numSteps, 'numSteps', where, Math.max(1, eventSize));
    super({ className: where, name: options.name ?? 'Autoregressive', batchShape: d0.batchShape, eventShape: d0.eventShape });
    this.distributionFn = distributionFn;
    this.sample0 = sample0;
    this.numSteps = numSteps;
    this.made = made;
  }

  /** The network's weights for a {@link madeConditionals} function (what `fit` and a saved model need); else none. */
  override get trainableWeights(): Tensor[] {
    return this.made === null ? [] : this.made.network.trainableWeights;
  }

  /**
   * `distributionFn(x).logProb(x)`: one network pass for a MADE. With `{ mask: k }` under mask k of
   * a MADE with mask sets; with `{ mask: 'ensemble' }` the average of the K probabilities,
   * log((1/K) Σ_k exp(log p_k(x))) = logSumExp_k(log p_k(x)) − log K (K passes).
   *
   * @param x - shape `[...b, ...eventShape]`
   * @param options - as {@link Distribution.logProb}, plus `mask`
   * @returns shape `broadcast(b, batchShape)`
   * @throws RangeError for a `mask` outside [0, numMasks); TypeError for a `mask` of the wrong kind
   *   or a `mask` with a distributionFn not made by madeConditionals; otherwise as `distributionFn(x).logProb`
   */
  override logProb(x: ValueLike, options: AutoregressiveLogProbOptions = {}): Tensor {
    const where = 'Autoregressive.logProb';
    assert(isPlainObject(options), () => `${where}: 'options' must be an object { mask?, validateArgs?, bijectorKwargs? }, got ${describe(options)}`, TypeError);
    checkOptions(options, ['mask', 'validateArgs', 'bijectorKwargs'], where);
    const { mask, ...rest } = options;
    const t = this.checkValue(x, where);
    if (mask === undefined) return this.distributionFn(t).logProb(t, rest);
    assert(this.made !== null, () => `${where}: 'mask' needs a distributionFn made by madeConditionals (a MADE with mask sets)`, TypeError);
    const network = this.made.network;
    const K = network.numMasks;
    const ensemble = mask === 'ensemble';
    assert(ensemble || typeof mask === 'number', () => `${where}: 'mask' must be a mask index or 'ensemble', got ${describe(mask)}`, TypeError);
    assert(ensemble || (Number.isInteger(mask) && (mask as number) >= 0 && (mask as number) < K),
      () => `${where}: 'mask' is ${String(mask)}, expected an integer in [0, ${K}) (the network has numMasks ${K}) or 'ensemble'`, RangeError);
    const selected = network.maskIndex;
    try {
      const under = (k: number): Tensor => {
        network.useMask(k);
        return this.distributionFn(t).logProb(t, rest);
      };
      if (!ensemble) return under(mask as number);
      const each = Array.from({ length: K }, (_, k) => under(k));
      // Σ_k p_k as exp of a logSumExp: adding probabilities of 64-pixel images (e^−40) would underflow.
      return sub(logSumExp(stack(each, 0), 0), Math.log(K));
    } finally {
      network.useMask(selected);
    }
  }

  protected _logProb(x: Tensor): Tensor {
    return this.distributionFn(x).logProb(x, { validateArgs: false });
  }

  /**
   * numSteps calls of `distributionFn`, each drawing from the distribution of the previous draw;
   * for a {@link madeConditionals} function (with numSteps ≥ E), one walk over the degrees that
   * draws every dimension from its conditional as soon as its logits are complete.
   */
  protected _sample(sampleShape: number[], rng: Random): Tensor {
    // Every step draws with the same seed, as TFP does: with the noise fixed, step s leaves the
    // first s − 1 dimensions as they were and makes dimension s exact, so the loop converges.
    // (Fresh noise per step would redraw x_1 while x_2 still conditions on the old x_1.)
    const seed = Math.floor(rng.uniform() * 2 ** 53);
    const onePass = this.onePassSample(sampleShape, seed);
    if (onePass !== null) return onePass;
    let x = this.distributionFn(this.sample0).sample(sampleShape, { seed });
    for (let s = 1; s < this.numSteps; s++) x = this.distributionFn(x).sample([], { seed });
    return x;
  }

  /**
   * The one-pass draw of a MADE's conditionals, or null when it does not apply. It reads the same
   * uniforms as the loop's steps (one per entry, row-major, from `seed`) through the same draw, so
   * it returns the loop's samples.
   */
  private onePassSample(sampleShape: number[], seed: number): Tensor | null {
    const made = this.made;
    if (made === null) return null;
    const network = made.network;
    const E = network.eventSize;
    if (this.numSteps < E) return null; // then the draw depends on sample0, as the loop has it
    const shape = [...sampleShape, ...this.sample0.shape];
    const n = sizeOf(shape) / E;
    const P = network.params;
    const u = new Random(seed).fillUniform(new Float64Array(n * E));
    const probs = new Float64Array(P);
    // Step 1 of the degree walk: x_bd drawn from the conditional its logits define.
    const draw: CompleteDimension = made.conditional === 'bernoulli'
      ? (d, theta, rowStride, offset, x) => {
        for (let b = 0; b < n; b++) x[b * E + d] = bernoulliDraw(u[b * E + d], sigmoidValue(theta[b * rowStride + offset]));
      }
      : (d, theta, rowStride, offset, x) => {
        for (let b = 0; b < n; b++) {
          softmaxInto(theta, b * rowStride + offset, P, probs);
          x[b * E + d] = categoricalDraw(u[b * E + d], probs, 0, P);
        }
      };
    // Discrete draws carry no gradient, so the walk runs without a graph.
    const x = noGrad(() => onePassDraw(network, n, draw));
    return x === null ? null : new Tensor(x, shape, { op: 'sample' });
  }

  /**
   * `{ className: 'Autoregressive', name, network, conditional, reinterpretedBatchNdims, sample0, numSteps }`
   * (the network's weights are saved beside the config, as for every flow).
   * @throws TypeError for a distributionFn not made by {@link madeConditionals}: JSON cannot hold a function
   */
  override getConfig(): DistributionConfig {
    const made = this.made;
    assert(made !== null, () => `Autoregressive.getConfig: 'distributionFn' is a user function, which a config cannot hold; build it with madeConditionals(network) to save the model`, TypeError);
    const network = made.network.getConfig();
    assert(typeof network.activation === 'string', () => `Autoregressive.getConfig: the network's activation is a user function, which a config cannot hold`, TypeError);
    return {
      ...super.getConfig(),
      network: network as unknown as DistributionConfig,
      conditional: made.conditional,
      reinterpretedBatchNdims: made.reinterpretedBatchNdims,
      sample0: this.sample0.toArray(),
      numSteps: this.numSteps,
    };
  }

  /** Rebuilds an Autoregressive from {@link Autoregressive.getConfig}'s output (its weights are then set by the loader). */
  static fromConfig(config: DistributionConfig): Autoregressive {
    const network = AutoregressiveNetwork.fromConfig(config.network as unknown as AutoregressiveNetworkConfig);
    const fn = madeConditionals(network, {
      distribution: config.conditional as MadeConditional, reinterpretedBatchNdims: config.reinterpretedBatchNdims as number,
    });
    return new Autoregressive(fn, { sample0: tensor(config.sample0 as NestedArray), numSteps: config.numSteps as number, name: config.name });
  }
}

function isMadeFn(fn: unknown): fn is MadeDistributionFn {
  return typeof fn === 'function' && (fn as Partial<MadeDistributionFn>).network instanceof AutoregressiveNetwork;
}
