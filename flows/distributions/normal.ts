// Normal: the univariate Gaussian N(loc, scale²), elementwise over a batch of parameters.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { add, div, mul, sub } from '../../autodiff/ops/binary.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { log, square } from '../../autodiff/ops/unary.js';
import { isGradEnabled, Tensor, tensor, type NestedArray } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import type { Random } from '../../lib/util/random.js';
import { sizeOf, type Shape } from '../../lib/util/shape.js';
import { checkOptions, describe, isPlainObject } from '../../lib/util/validate.js';
import { isTrainableLeaf, type ParamLike } from '../bijectors/bijector.js';
import { Distribution, type DistributionConfig } from './distribution.js';
import { checkEntries } from '../../autodiff/checks.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** ½ log(2π). */
export const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * True when a gradient may be asked of a result computed from `inputs`: gradients are on (not
 * inside `noGrad`) and one of them requires a gradient. Otherwise the ops would record no graph,
 * and a distribution may compute the same values in one fused loop.
 * @internal
 */
export function graphWanted(...inputs: Array<Tensor | null>): boolean {
  return isGradEnabled() && inputs.some((t) => t !== null && t.requiresGrad);
}

/**
 * True when `p` broadcast against `shape` gives `shape` and reads its values cyclically: `p`'s shape,
 * leading 1s dropped, is the tail of `shape`, so output element i reads `p[i mod p.size]`.
 * @internal
 */
export function readsCyclically(p: Tensor, shape: Shape): boolean {
  if (p.rank > shape.length) return false;
  let lead = 0;
  while (lead < p.rank && p.shape[lead] === 1) lead++;
  const offset = shape.length - p.rank;
  for (let d = lead; d < p.rank; d++) if (p.shape[d] !== shape[offset + d]) return false;
  return true;
}

/** Options of {@link Normal}. */
export interface NormalOptions {
  /** Mean μ. */
  loc: ParamLike;
  /** Standard deviation σ > 0. */
  scale: ParamLike;
  /** Default `'Normal'`, as TFP. */
  name?: string;
}

/**
 * The normal distribution, scalar events (`eventShape` `[]`), batch shape the broadcast of
 * `loc` and `scale`:
 *
 *   log p(x) = −½ ((x − μ)/σ)² − log σ − ½ log 2π
 *   sample:  x = μ + σ·z,  z ~ N(0, 1)   (reparameterised: gradients reach μ and σ)
 *   mean μ,  stddev σ,  entropy ½ log(2πe) + log σ
 *
 * @example
 * new Normal({ loc: 0, scale: 1 }).logProb(0).item() // −½ log 2π ≈ −0.9189
 */
export class Normal extends Distribution {
  /** Mean μ, as given (a Tensor given by the user is kept, so gradients reach it). */
  readonly loc: Tensor;
  /** Standard deviation σ, as given. */
  readonly scale: Tensor;

  /**
   * @throws TypeError for a missing or non-numeric `loc`/`scale`; RangeError for a non-finite `loc`
   *   or a `scale` that is not positive and finite; ValueError when their shapes do not broadcast
   */
  constructor(options: NormalOptions) {
    const where = 'Normal';
    assert(isPlainObject(options), () => `${where}: expected options { loc, scale }, got ${describe(options)}`, TypeError);
    checkOptions(options, ['loc', 'scale', 'name'], where);
    const loc = toTensor(options.loc, 'loc', where);
    const scale = toTensor(options.scale, 'scale', where);
    checkEntries(loc, 'loc', where, Number.isFinite, 'finite');
    checkEntries(scale, 'scale', where, (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    super({ className: where, name: options.name ?? 'Normal', batchShape: broadcastShapes(`${where}: 'loc' and 'scale'`, loc.shape, scale.shape), eventShape: [] });
    this.loc = loc;
    this.scale = scale;
  }

  override get trainableWeights(): Tensor[] {
    return [this.loc, this.scale].filter(isTrainableLeaf);
  }

  protected _sample(sampleShape: number[], rng: Random): Tensor {
    const shape = [...sampleShape, ...this.batchShape];
    const z = rng.fillNormal(new Float64Array(sizeOf(shape)));
    const { loc, scale } = this;
    if (!graphWanted(loc, scale) && readsCyclically(loc, shape) && readsCyclically(scale, shape)) {
      // The graph's x = μ + σ·z in one loop over z, with the same two roundings per element.
      const l = loc.data;
      const s = scale.data;
      for (let i = 0, jl = 0, js = 0; i < z.length; i++) {
        z[i] = l[jl] + s[js] * z[i];
        if (++jl === l.length) jl = 0;
        if (++js === s.length) js = 0;
      }
      return new Tensor(z, shape, { op: 'sample' }); // no graph, but not a user-made leaf
    }
    return add(loc, mul(scale, tensor(z, shape)));
  }

  protected _logProb(x: Tensor): Tensor {
    const { loc, scale } = this;
    if (!graphWanted(x, loc, scale) && readsCyclically(loc, x.shape) && readsCyclically(scale, x.shape)) return this.logProbFused(x);
    const z = div(sub(x, loc), scale);
    // z · (−½z), not −½ · z²: the same bits (halving is exact), but z² overflows for |z| > 1.3e154
    // while −½z² is finite up to |z| = 1.9e154.
    return sub(sub(mul(z, mul(z, -0.5)), log(scale)), HALF_LOG_TWO_PI);
  }

  /**
   * The graph's log-density in one loop, for when no gradient is wanted and μ, σ broadcast to `x`'s
   * shape: the same operations in the same order per element, so the same bits.
   */
  private logProbFused(x: Tensor): Tensor {
    const xd = x.data;
    const l = this.loc.data;
    const s = this.scale.data;
    const logS = s.map(Math.log);
    const y = new Float64Array(xd.length);
    for (let i = 0, jl = 0, js = 0; i < xd.length; i++) {
      const z = (xd[i] - l[jl]) / s[js];
      y[i] = z * (z * -0.5) - logS[js] - HALF_LOG_TWO_PI;
      if (++jl === l.length) jl = 0;
      if (++js === s.length) js = 0;
    }
    return new Tensor(y, x.shape, { op: 'logProb' });
  }

  /** μ broadcast to `batchShape`. */
  override mean(): Tensor {
    return broadcastTo(this.loc, this.batchShape);
  }

  /** σ broadcast to `batchShape`. */
  override stddev(): Tensor {
    return broadcastTo(this.scale, this.batchShape);
  }

  /** σ² broadcast to `batchShape`. */
  override variance(): Tensor {
    return broadcastTo(square(this.scale), this.batchShape);
  }

  /** ½ log(2πe) + log σ = ½ + ½ log 2π + log σ, shape `batchShape`. */
  override entropy(): Tensor {
    return broadcastTo(add(log(this.scale), 0.5 + HALF_LOG_TWO_PI), this.batchShape);
  }

  /** `{ className: 'Normal', name, loc, scale }`, values as nested arrays. */
  override getConfig(): DistributionConfig {
    return { ...super.getConfig(), loc: this.loc.toArray(), scale: this.scale.toArray() };
  }

  /** Rebuilds a Normal from {@link Normal.getConfig}'s output. */
  static fromConfig(config: DistributionConfig): Normal {
    return new Normal({ loc: tensor(config.loc as NestedArray), scale: tensor(config.scale as NestedArray), name: config.name });
  }
}

