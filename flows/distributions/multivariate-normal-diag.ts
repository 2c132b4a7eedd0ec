// MultivariateNormalDiag: a Gaussian vector with independent coordinates, N(loc, diag(scaleDiag)²).
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { add, div, mul, sub } from '../../autodiff/ops/binary.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { log, square } from '../../autodiff/ops/unary.js';
import { ones, Tensor, tensor, zeros, type NestedArray } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import type { Random } from '../../lib/util/random.js';
import { fmt, sizeOf } from '../../lib/util/shape.js';
import { checkOptions, describe, isPlainObject } from '../../lib/util/validate.js';
import { isTrainableLeaf, type ParamLike } from '../bijectors/bijector.js';
import { Distribution, type DistributionConfig } from './distribution.js';
import { graphWanted, HALF_LOG_TWO_PI, readsCyclically } from './normal.js';
import { checkEntries } from '../../autodiff/checks.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** Options of {@link MultivariateNormalDiag}: at least one of `loc` and `scaleDiag`. */
export interface MultivariateNormalDiagOptions {
  /** Mean `[...batch, k]`; default 0. */
  loc?: ParamLike;
  /** Per-coordinate standard deviations `[...batch, k]`, each > 0; default 1. */
  scaleDiag?: ParamLike;
  /** Default `'MultivariateNormalDiag'`, as TFP. */
  name?: string;
}

/**
 * A Gaussian over vectors of size `k` with diagonal covariance, as TFP's
 * `MultivariateNormalDiag`: `loc` and `scaleDiag` broadcast (NumPy rules) to `[...batch, k]`,
 * the last axis being the event (`eventShape` `[k]`).
 *
 *   log p(x) = −½ Σ_i ((x_i − μ_i)/s_i)² − Σ_i log s_i − (k/2) log 2π
 *   sample:  x = μ + s ⊙ z,  z ~ N(0, I_k)
 *   mean μ,  stddev s,  entropy (k/2)(1 + log 2π) + Σ_i log s_i
 *
 * @example
 * const base = new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 1] });
 * base.sample(4).shape;              // [4, 2]
 * base.logProb(zeros([5, 3, 2])).shape; // [5, 3]
 */
export class MultivariateNormalDiag extends Distribution {
  /** The mean as given, or `null` for 0. */
  readonly loc: Tensor | null;
  /** The scales as given, or `null` for 1. */
  readonly scaleDiag: Tensor | null;

  /**
   * @throws ValueError when neither is given, either has rank 0, or their shapes do not broadcast;
   *   TypeError for a non-numeric value; RangeError for a non-finite `loc` or a `scaleDiag` entry
   *   that is not positive and finite
   */
  constructor(options: MultivariateNormalDiagOptions) {
    const where = 'MultivariateNormalDiag';
    assert(isPlainObject(options), () => `${where}: expected options { loc?, scaleDiag? }, got ${describe(options)}`, TypeError);
    checkOptions(options, ['loc', 'scaleDiag', 'name'], where);
    const given = (v: unknown): boolean => v !== undefined && v !== null;
    assert(given(options.loc) || given(options.scaleDiag), () => `${where}: give 'loc' or 'scaleDiag' (or both) to fix the event size; got neither`);
    const loc = given(options.loc) ? toTensor(options.loc, 'loc', where) : null;
    const scaleDiag = given(options.scaleDiag) ? toTensor(options.scaleDiag, 'scaleDiag', where) : null;
    for (const [arg, t] of [['loc', loc], ['scaleDiag', scaleDiag]] as const) {
      assert(t === null || t.rank >= 1, () => `${where}: '${arg}' has shape ${fmt((t as Tensor).shape)}, expected rank ≥ 1 ([...batch, k]: the last axis is the event)`);
    }
    if (loc !== null) checkEntries(loc, 'loc', where, Number.isFinite, 'finite');
    if (scaleDiag !== null) checkEntries(scaleDiag, 'scaleDiag', where, (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    const full = broadcastShapes(`${where}: 'loc' and 'scaleDiag'`, ...[loc, scaleDiag].filter((t): t is Tensor => t !== null).map((t) => t.shape));
    super({ className: where, name: options.name ?? where, batchShape: full.slice(0, -1), eventShape: full.slice(-1) });
    this.loc = loc;
    this.scaleDiag = scaleDiag;
  }

  override get trainableWeights(): Tensor[] {
    return [this.loc, this.scaleDiag].filter((t): t is Tensor => t !== null && isTrainableLeaf(t));
  }

  /** `[...batchShape, k]`. */
  private get fullShape(): number[] {
    return [...this.batchShape, ...this.eventShape];
  }

  protected _sample(sampleShape: number[], rng: Random): Tensor {
    const shape = [...sampleShape, ...this.fullShape];
    const z = rng.fillNormal(new Float64Array(sizeOf(shape)));
    const { loc, scaleDiag } = this;
    if (!graphWanted(loc, scaleDiag) && [loc, scaleDiag].every((p) => p === null || readsCyclically(p, shape))) {
      // The graph's x = μ + s ⊙ z in one loop over z, with the same roundings per element.
      const s = scaleDiag?.data;
      const l = loc?.data;
      for (let i = 0, js = 0, jl = 0; i < z.length; i++) {
        if (s !== undefined) {
          z[i] = s[js] * z[i];
          if (++js === s.length) js = 0;
        }
        if (l !== undefined) {
          z[i] = l[jl] + z[i];
          if (++jl === l.length) jl = 0;
        }
      }
      return new Tensor(z, shape, { op: 'sample' }); // no graph, but not a user-made leaf
    }
    let x = tensor(z, shape);
    if (scaleDiag !== null) x = mul(scaleDiag, x);
    if (loc !== null) x = add(loc, x);
    return x;
  }

  protected _logProb(x: Tensor): Tensor {
    const k = this.eventShape[0];
    // The common unbatched case (loc and scaleDiag [k] or [1]) without a graph: one loop.
    if (this.batchShape.length === 0 && !graphWanted(x, this.loc, this.scaleDiag)) return this.logProbFused(x);
    let z = this.loc === null ? x : sub(x, this.loc);
    if (this.scaleDiag !== null) z = div(z, this.scaleDiag);
    // Σ z · (−½z) rather than −½ Σ z²: the same bits, without the sum of squares overflowing first.
    let lp = sub(sum(mul(z, mul(z, -0.5)), -1), k * HALF_LOG_TWO_PI);
    // Σ_i log s_i over the full k: a scaleDiag of shape [1] stands for k equal scales.
    if (this.scaleDiag !== null) lp = sub(lp, this.sumLogScale());
    return lp;
  }

  /**
   * The graph's log-density in one pass over `x` `[..., k]`, for an unbatched distribution when no
   * gradient is wanted: per row the same operations in the same order (z, then Σ z·(−½z) from 0,
   * then − (k/2) log 2π, then − Σ log s), so the same bits.
   */
  private logProbFused(x: Tensor): Tensor {
    const k = this.eventShape[0];
    const xd = x.data;
    // A parameter of shape [1] stands for k equal values: step 0 instead of 1.
    const l = this.loc?.data;
    const lStep = l !== undefined && l.length === k ? 1 : 0;
    const s = this.scaleDiag?.data;
    const sStep = s !== undefined && s.length === k ? 1 : 0;
    let sumLog = 0;
    if (s !== undefined) for (let i = 0; i < k; i++) sumLog += Math.log(s[i * sStep]);
    const c = k * HALF_LOG_TWO_PI;
    const y = new Float64Array(k === 0 ? sizeOf(x.shape.slice(0, -1)) : xd.length / k);
    for (let r = 0, at = 0; r < y.length; r++) {
      let acc = 0;
      for (let i = 0; i < k; i++, at++) {
        let z = xd[at];
        if (l !== undefined) z = z - l[i * lStep];
        if (s !== undefined) z = z / s[i * sStep];
        acc += z * (z * -0.5);
      }
      y[r] = s === undefined ? acc - c : acc - c - sumLog;
    }
    return new Tensor(y, x.shape.slice(0, -1), { op: 'logProb' });
  }

  /** Σ_i log s_i, shape `[...batch of scaleDiag]`. */
  private sumLogScale(): Tensor {
    const s = this.scaleDiag as Tensor;
    const k = this.eventShape[0];
    // Broadcast only a last axis of 1 (k equal scales); [..., k] is summed as it is, with the same bits.
    return sum(s.shape[s.rank - 1] === k ? log(s) : broadcastTo(log(s), [...s.shape.slice(0, -1), k]), -1);
  }

  /** μ broadcast to `[...batchShape, k]`. */
  override mean(): Tensor {
    return this.loc === null ? zeros(this.fullShape) : broadcastTo(this.loc, this.fullShape);
  }

  /** s broadcast to `[...batchShape, k]`. */
  override stddev(): Tensor {
    return this.scaleDiag === null ? ones(this.fullShape) : broadcastTo(this.scaleDiag, this.fullShape);
  }

  /** s² broadcast to `[...batchShape, k]`. */
  override variance(): Tensor {
    return this.scaleDiag === null ? ones(this.fullShape) : broadcastTo(square(this.scaleDiag), this.fullShape);
  }

  /** (k/2)(1 + log 2π) + Σ_i log s_i, shape `batchShape`. */
  override entropy(): Tensor {
    const c = this.eventShape[0] * (0.5 + HALF_LOG_TWO_PI);
    const h = this.scaleDiag === null ? zeros([]) : add(this.sumLogScale(), c);
    return broadcastTo(this.scaleDiag === null ? add(h, c) : h, this.batchShape);
  }

  /** `{ className, name, loc, scaleDiag }`, values as nested arrays (`null` when not given). */
  override getConfig(): DistributionConfig {
    return { ...super.getConfig(), loc: this.loc?.toArray() ?? null, scaleDiag: this.scaleDiag?.toArray() ?? null };
  }

  /** Rebuilds a MultivariateNormalDiag from {@link MultivariateNormalDiag.getConfig}'s output. */
  static fromConfig(config: DistributionConfig): MultivariateNormalDiag {
    const t = (v: unknown): Tensor | undefined => (v === null || v === undefined ? undefined : tensor(v as NestedArray));
    return new MultivariateNormalDiag({ loc: t(config.loc), scaleDiag: t(config.scaleDiag), name: config.name });
  }
}
