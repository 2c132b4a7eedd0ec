// Bernoulli: a coin per batch entry, parameterised by logits or by probabilities, as TFP's tfd.Bernoulli.
import { mul, sub } from '../../autodiff/ops/binary.js';
import { neg, log, log1p, sigmoid, softplus } from '../../autodiff/ops/unary.js';
import { where } from '../../autodiff/ops/select.js';
import { Tensor, tensor } from '../../autodiff/tensor.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { sigmoidValue, softplusValue } from '../../autodiff/ops/unary.js';
import type { Random } from '../../lib/util/random.js';
import { sizeOf } from '../../lib/util/shape.js';
import { isTrainableLeaf, type ParamLike } from '../bijectors/bijector.js';
import { checkSupport, logitsOrProbs, optionsFromConfig, parameterConfig } from './discrete.js';
import { Distribution, type DistributionConfig, type LogProbOptions, type ValueLike } from './distribution.js';
import { isPlainObject } from '../../lib/util/validate.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** Options of {@link Bernoulli}: exactly one of `logits` and `probs`. */
export interface BernoulliOptions {
  /** log(p / (1 − p)), any finite numbers; shape = the batch shape. */
  logits?: ParamLike;
  /** p = P(X = 1), in [0, 1]; shape = the batch shape. */
  probs?: ParamLike;
  /** Default `'Bernoulli'`, as TFP. */
  name?: string;
}

/**
 * The Bernoulli distribution on {0, 1}, scalar events, batch shape the parameter's shape:
 *
 *   p(x) = pˣ (1 − p)¹⁻ˣ,   log p(1) = −softplus(−ℓ),   log p(0) = −softplus(ℓ)   (ℓ the logit)
 *   mean p,  variance p(1 − p),  mode 1 iff p > ½ (TFP: 0 at a tie),
 *   entropy −p log p − (1 − p) log(1 − p) = softplus(ℓ) − ℓ·p
 *
 * With `logits` the log-probabilities are the softplus forms above, exact in both tails (p = 1 −
 * 10⁻²⁰ still gives log p(0) ≈ −46); with `probs` they are log p and log1p(−p). Gradients reach
 * a parameter given as a Tensor with `requiresGrad` (the MADE of a `madeConditionals` passes its
 * output as logits). Values are numbers 0 and 1.
 *
 * @see TFP `tfd.Bernoulli`, https://www.tensorflow.org/probability/api_docs/python/tfp/distributions/Bernoulli
 *
 * @example
 * const coin = new Bernoulli({ probs: [0.2, 0.9] });
 * coin.logProb([1, 0]).toArray(); // log 0.2, log 0.1 ≈ [-1.6094, -2.3026]
 */
export class Bernoulli extends Distribution {
  /** The parameter as given: `logits` or `probs` (the other is derived on use). */
  private readonly param: { kind: 'logits' | 'probs'; value: Tensor };

  /**
   * @throws TypeError when both or neither of `logits`/`probs` are given, or a value is not numeric;
   *   RangeError for a non-finite logit or a probability outside [0, 1]
   */
  constructor(options: BernoulliOptions) {
    const param = logitsOrProbs(options, 'Bernoulli', []);
    super({ className: 'Bernoulli', name: options.name ?? 'Bernoulli', batchShape: param.value.shape, eventShape: [] });
    this.param = param;
  }

  /** The logits ℓ = log p − log(1 − p) (±∞ where p is 0 or 1), shape `batchShape`. */
  get logits(): Tensor {
    const { kind, value } = this.param;
    return kind === 'logits' ? value : sub(log(value), log1p(neg(value)));
  }

  /** The probabilities p = σ(ℓ), shape `batchShape`. */
  get probs(): Tensor {
    const { kind, value } = this.param;
    return kind === 'probs' ? value : sigmoid(value);
  }

  override get trainableWeights(): Tensor[] {
    return [this.param.value].filter(isTrainableLeaf);
  }

  /**
   * Log-probability of `x`; as {@link Distribution.logProb}, and with `validateArgs` (default
   * true) every value must be 0 or 1.
   * @throws ValueError naming the row and column of the first value that is not 0 or 1
   */
  override logProb(x: ValueLike, options: LogProbOptions = {}): Tensor {
    if (isPlainObject(options) && options.validateArgs !== false) {
      checkSupport(toTensor(x, 'x', 'Bernoulli.logProb'), 'Bernoulli.logProb', (v) => v === 0 || v === 1, '0 or 1 (a Bernoulli value)');
    }
    return super.logProb(x, options);
  }

  /** x = 1 iff u < p, one uniform u per draw, in row-major order of `[...sampleShape, ...batchShape]`. */
  protected _sample(sampleShape: number[], rng: Random): Tensor {
    const shape = [...sampleShape, ...this.batchShape];
    const p = this.probsData();
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = bernoulliDraw(rng.uniform(), p[i % p.length]);
    return new Tensor(out, shape, { op: 'sample' });
  }

  protected _logProb(x: Tensor): Tensor {
    const { kind, value } = this.param;
    const one = x.data.map((v) => (v === 1 ? 1 : 0));
    const isOne = new Tensor(one, x.shape);
    // log σ(ℓ) = −softplus(−ℓ) and log(1 − σ(ℓ)) = −softplus(ℓ): no log of a rounded probability.
    if (kind === 'logits') return where(isOne, neg(softplus(neg(value))), neg(softplus(value)));
    return where(isOne, log(value), log1p(neg(value)));
  }

  /** p, shape `batchShape`. */
  override mean(): Tensor {
    return this.probs;
  }

  /** p(1 − p), shape `batchShape`. */
  override variance(): Tensor {
    const p = this.probs;
    return mul(p, sub(1, p));
  }

  /** √(p(1 − p)), shape `batchShape`. */
  override stddev(): Tensor {
    return tensor(this.variance().data.map(Math.sqrt), this.batchShape);
  }

  /** 1 where p > ½, else 0 (0 at p = ½, as TFP), shape `batchShape`. */
  mode(): Tensor {
    return new Tensor(this.probsData().map((p) => (p > 0.5 ? 1 : 0)), this.batchShape);
  }

  /**
   * −p log p − (1 − p) log(1 − p) in nats (0 at p ∈ {0, 1}), shape `batchShape`; from the logit as
   * softplus(ℓ) − ℓ·p, which keeps its digits where p is within 10⁻¹⁶ of 0 or 1. No gradient.
   */
  override entropy(): Tensor {
    const { kind, value } = this.param;
    const h = value.data.map((v) => {
      if (kind === 'logits') return Math.max(0, softplusValue(v) - v * sigmoidValue(v));
      return (v > 0 ? -v * Math.log(v) : 0) + (v < 1 ? -(1 - v) * Math.log1p(-v) : 0);
    });
    return broadcastTo(new Tensor(h, value.shape), this.batchShape);
  }

  /** `{ className: 'Bernoulli', name, logits }` or `{ ..., probs }`: the parameter as given. */
  override getConfig(): DistributionConfig {
    return { ...super.getConfig(), ...parameterConfig(this.param) };
  }

  /** Rebuilds a Bernoulli from {@link Bernoulli.getConfig}'s output. */
  static fromConfig(config: DistributionConfig): Bernoulli {
    return new Bernoulli(optionsFromConfig(config));
  }

  /** p as plain numbers. */
  private probsData(): Float64Array {
    const { kind, value } = this.param;
    return kind === 'probs' ? value.data : value.data.map(sigmoidValue);
  }
}

/** The draw `u < p ? 1 : 0` for a uniform u: the one expression every Bernoulli sampler uses, so a seeded one-pass draw matches. @internal */
export function bernoulliDraw(u: number, p: number): number {
  return u < p ? 1 : 0;
}
