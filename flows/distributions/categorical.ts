// Categorical: one of K levels per batch entry, parameterised by logits or by probabilities, as TFP's tfd.Categorical.
import { div, sub } from '../../autodiff/ops/binary.js';
import { logSumExp, sum } from '../../autodiff/ops/reduce.js';
import { where } from '../../autodiff/ops/select.js';
import { log } from '../../autodiff/ops/unary.js';
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { noGrad, Tensor, tensor } from '../../autodiff/tensor.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { assert } from '../../lib/util/errors.js';
import type { Random } from '../../lib/util/random.js';
import { fmt, sameShape, sizeOf } from '../../lib/util/shape.js';
import { isTrainableLeaf, type ParamLike } from '../bijectors/bijector.js';
import { checkSupport, logitsOrProbs, optionsFromConfig, parameterConfig } from './discrete.js';
import { Distribution, type DistributionConfig, type LogProbOptions, type ValueLike } from './distribution.js';
import { isPlainObject } from '../../lib/util/validate.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** Options of {@link Categorical}: exactly one of `logits` and `probs`, each `[...batch, K]`. */
export interface CategoricalOptions {
  /** Unnormalised log-probabilities, finite, shape `[...batch, K]`. */
  logits?: ParamLike;
  /** Probabilities in [0, 1], shape `[...batch, K]`; normalised over the last axis on use. */
  probs?: ParamLike;
  /** Default `'Categorical'`, as TFP. */
  name?: string;
}

/**
 * The categorical distribution on {0, …, K − 1}, scalar events, batch shape the parameter's shape
 * without its last axis:
 *
 *   log p(x = k) = ℓ_k − log Σ_j exp ℓ_j          (logits ℓ; with probs π: log π_k − log Σ_j π_j)
 *   sample: the first k with u < Σ_{j ≤ k} p_j (inverse CDF, one uniform per draw)
 *   mean Σ_k k·p_k (the levels as numbers; TFP defines none),  mode argmax_k p_k (the first at a tie),
 *   entropy −Σ_k p_k log p_k
 *
 * The log-normaliser is a `logSumExp`, so logits of ±1000 neither overflow nor underflow.
 *
 * @see TFP `tfd.Categorical`, https://www.tensorflow.org/probability/api_docs/python/tfp/distributions/Categorical
 *
 * @example
 * const die = new Categorical({ probs: [0.5, 0.25, 0.25] });
 * die.logProb([0, 2]).toArray(); // log 0.5, log 0.25 ≈ [-0.6931, -1.3863]
 */
export class Categorical extends Distribution {
  /** K, the number of levels. */
  readonly numCategories: number;
  private readonly param: { kind: 'logits' | 'probs'; value: Tensor };

  /**
   * @throws TypeError when both or neither of `logits`/`probs` are given, or a value is not numeric;
   *   ValueError for a parameter of rank 0 (a Categorical needs its K levels on the last axis);
   *   RangeError for a non-finite logit or a probability outside [0, 1]
   */
  constructor(options: CategoricalOptions) {
    const param = logitsOrProbs(options, 'Categorical', []);
    const v = param.value;
    assert(v.rank >= 1 && v.shape[v.rank - 1] >= 1,
      () => `Categorical: '${param.kind}' has shape ${fmt(v.shape)}${v.rank === 0 ? ' (rank 0)' : ''}; expected [...batch, K] with the K ≥ 1 levels on the last axis`);
    super({ className: 'Categorical', name: options.name ?? 'Categorical', batchShape: v.shape.slice(0, -1), eventShape: [] });
    this.param = param;
    this.numCategories = v.shape[v.rank - 1];
  }

  /** Normalised log-probabilities `[...batch, K]`: ℓ − logSumExp(ℓ), or log(π / Σπ). */
  get logits(): Tensor {
    const { kind, value } = this.param;
    return kind === 'logits' ? sub(value, logSumExp(value, -1, true)) : log(div(value, sum(value, -1, true)));
  }

  /** Probabilities `[...batch, K]`, normalised over the last axis. */
  get probs(): Tensor {
    return tensor(this.probsData(), this.param.value.shape);
  }

  override get trainableWeights(): Tensor[] {
    return [this.param.value].filter(isTrainableLeaf);
  }

  /**
   * Log-probability of `x`; as {@link Distribution.logProb}, and with `validateArgs` (default true)
   * every value must be an integer in [0, K).
   * @throws ValueError naming the row and column of the first value that is not a level
   */
  override logProb(x: ValueLike, options: LogProbOptions = {}): Tensor {
    if (isPlainObject(options) && options.validateArgs !== false) {
      const K = this.numCategories;
      checkSupport(toTensor(x, 'x', 'Categorical.logProb'), 'Categorical.logProb',
        (v) => Number.isInteger(v) && v >= 0 && v < K, `an integer level in [0, ${K})`);
    }
    return super.logProb(x, options);
  }

  /** Inverse CDF, one uniform per draw in row-major order of `[...sampleShape, ...batchShape]`. */
  protected _sample(sampleShape: number[], rng: Random): Tensor {
    const shape = [...sampleShape, ...this.batchShape];
    const K = this.numCategories;
    const p = this.probsData();
    const rows = p.length / K;
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = categoricalDraw(rng.uniform(), p, (i % rows) * K, K);
    return new Tensor(out, shape, { op: 'sample' });
  }

  protected _logProb(x: Tensor): Tensor {
    // ℓ_x picked by a one-hot `where` (x broadcast against the batch): the graph reaches every logit.
    const K = this.numCategories;
    const logits = this.logits;
    const batch = broadcastShapes('Categorical.logProb', x.shape, this.batchShape);
    const levels = sameShape(x.shape, batch) ? x.data : noGrad(() => broadcastTo(x, batch)).data;
    const shape = [...batch, K];
    const hot = new Float64Array(sizeOf(shape));
    for (let i = 0; i < levels.length; i++) hot[i * K + levels[i]] = 1;
    return sum(where(new Tensor(hot, shape), logits, 0), -1);
  }

  /** Σ_k k·p_k, shape `batchShape` (the levels read as the numbers 0 … K − 1). */
  override mean(): Tensor {
    const K = this.numCategories;
    const p = this.probsData();
    const m = new Float64Array(p.length / K);
    for (let r = 0; r < m.length; r++) for (let k = 0; k < K; k++) m[r] += k * p[r * K + k];
    return new Tensor(m, this.batchShape);
  }

  /** The most probable level (the first at a tie), shape `batchShape`. */
  mode(): Tensor {
    const K = this.numCategories;
    const p = this.probsData();
    const m = new Float64Array(p.length / K);
    for (let r = 0; r < m.length; r++) {
      for (let k = 1; k < K; k++) if (p[r * K + k] > p[r * K + m[r]]) m[r] = k;
    }
    return new Tensor(m, this.batchShape);
  }

  /** −Σ_k p_k log p_k in nats (a level of probability 0 adds 0), shape `batchShape`. No gradient. */
  override entropy(): Tensor {
    const K = this.numCategories;
    const p = this.probsData();
    const lp = this.logits.data;
    const h = new Float64Array(p.length / K);
    for (let i = 0; i < p.length; i++) if (p[i] > 0) h[(i / K) | 0] -= p[i] * lp[i];
    return new Tensor(h, this.batchShape);
  }

  /** `{ className: 'Categorical', name, logits }` or `{ ..., probs }`: the parameter as given. */
  override getConfig(): DistributionConfig {
    return { ...super.getConfig(), ...parameterConfig(this.param) };
  }

  /** Rebuilds a Categorical from {@link Categorical.getConfig}'s output. */
  static fromConfig(config: DistributionConfig): Categorical {
    return new Categorical(optionsFromConfig(config));
  }

  /** The normalised probabilities as plain numbers, `[...batch, K]` row-major. */
  private probsData(): Float64Array {
    const { kind, value } = this.param;
    const K = this.numCategories;
    const p = new Float64Array(value.size);
    const scratch = new Float64Array(K);
    for (let o = 0; o < p.length; o += K) {
      if (kind === 'logits') {
        softmaxInto(value.data, o, K, scratch);
        p.set(scratch, o);
      } else {
        let s = 0;
        for (let k = 0; k < K; k++) s += value.data[o + k];
        for (let k = 0; k < K; k++) p[o + k] = value.data[o + k] / s;
      }
    }
    return p;
  }
}

/**
 * The inverse-CDF draw for a uniform u from the probabilities `p[o … o + K)`: the first k with
 * u < Σ_{j ≤ k} p_j (K − 1 if rounding leaves the total just below u). Every Categorical sampler
 * uses it, so a seeded one-pass draw matches. @internal
 */
export function categoricalDraw(u: number, p: ArrayLike<number>, o: number, K: number): number {
  let c = 0;
  for (let k = 0; k < K - 1; k++) {
    c += p[o + k];
    if (u < c) return k;
  }
  return K - 1;
}

/**
 * softmax(θ[o … o + K)) into `out[0 … K)`, the max subtracted first so logits of 1000 do not
 * overflow. The one softmax every Categorical sampler uses, so a seeded one-pass draw matches. @internal
 */
export function softmaxInto(theta: ArrayLike<number>, o: number, K: number, out: Float64Array): void {
  let m = -Infinity;
  for (let k = 0; k < K; k++) m = Math.max(m, theta[o + k]);
  let s = 0;
  for (let k = 0; k < K; k++) s += (out[k] = Math.exp(theta[o + k] - m));
  for (let k = 0; k < K; k++) out[k] /= s;
}
