// Logit: the MAF paper's preprocessing of data in (0, 1), x ↦ logit(α + (1 − 2α)x), with its exact log-det.
import { add, mul, sub } from '../../autodiff/ops/binary.js';
import { log, log1p, neg, sigmoid, softplus } from '../../autodiff/ops/unary.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import { Bijector, checkName, type BijectorConfig, type ForwardResult } from './bijector.js';
import { describe, isPlainObject } from '../../lib/util/validate.js';

/** Options of {@link Logit}. */
export interface LogitOptions {
  /**
   * The offset `α` in `[0, ½)` that keeps the logit finite at 0 and 1: data are squeezed into
   * `[α, 1 − α]` first. Default 1e-6, the paper's value for MNIST (it uses 0.05 for CIFAR-10).
   */
  alpha?: number;
  /** Default `'logit'`. */
  name?: string;
}

/**
 * The logit transform of Papamakarios et al. (2017, §4.3), elementwise (`forwardMinEventNdims` 0).
 * Its `forward` is the map its name says, from data in (0, 1) to the real line; with
 * `s = α + (1 − 2α)·x`:
 *
 *   forward:  z = logit(s) = log s − log(1 − s)
 *   inverse:  x = (sigmoid(z) − α) / (1 − 2α)
 *   log|det ∂z/∂x| = log(1 − 2α) − log s − log(1 − s)                    per element
 *   log|det ∂x/∂z| = −log(1 − 2α) − softplus(−z) − softplus(z)           per element
 *
 * (`log sigmoid(z) = −softplus(−z)` and `log(1 − sigmoid(z)) = −softplus(z)` stay finite where
 * `sigmoid(z)` rounds to 0 or 1.)
 *
 * Direction inside a flow: a `TransformedDistribution`'s bijector maps base → data, and here the
 * data side is (0, 1), so the flow holds `new Invert(new Logit({ alpha }))` as its outermost
 * member (that is what `maskedAutoregressiveFlowStack({ preprocessing })` does). Its `logProb` then
 * runs `Logit.forward` on the data and adds the forward log-det above, so the density is the one
 * of the data in (0, 1), not of their logits.
 *
 * No weights: α is a constant.
 *
 * @see Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057 (§4.3)
 * @see Dinh et al. 2017 (Real NVP), https://arxiv.org/abs/1605.08803 (the same transform)
 *
 * @example
 * const logit = new Logit({ alpha: 0.05 });
 * logit.forward(tensor([0.5]));                 // [0]
 * logit.forwardLogDetJacobian(tensor([0.5]));   // log 0.9 − 2·log 0.5 (log 3.6) ≈ [1.2809]
 */
export class Logit extends Bijector {
  /** The offset α in [0, ½). */
  readonly alpha: number;

  /**
   * @param options - `alpha` (default 1e-6), `name` (default `'logit'`)
   * @throws TypeError when `options` is not an object; RangeError when `alpha` is not a number in [0, ½)
   */
  constructor(options: LogitOptions = {}) {
    const where = 'Logit';
    assert(isPlainObject(options), () => `${where}: expected options { alpha?, name? }, got ${describe(options)}`, TypeError);
    const alpha = options.alpha ?? 1e-6;
    assert(typeof alpha === 'number' && alpha >= 0 && alpha < 0.5,
      () => `${where}: 'alpha' must be a number in [0, 0.5), got ${describe(alpha)}`, RangeError);
    super({ className: where, name: checkName(options.name ?? 'logit', where), forwardMinEventNdims: 0 });
    this.alpha = alpha;
  }

  /** The open interval of `x` on which the forward map is defined: where `0 < α + (1 − 2α)x < 1`. */
  get domain(): [number, number] {
    const w = 1 - 2 * this.alpha;
    return [-this.alpha / w, (1 - this.alpha) / w];
  }

  // The data side ('x', what forward and its log-det take) must lie in the domain; the logit
  // side ('y') may be any real. Outside it the logs would silently give NaN.
  protected override checkEvent(t: Tensor, where: string, arg: string): void {
    if (arg !== 'x') return;
    const [lo, hi] = this.domain;
    for (let i = 0; i < t.size; i++) {
      const v = t.data[i];
      if (!(v > lo && v < hi)) {
        throw new RangeError(`${where}: '${arg}' must lie in (${lo}, ${hi}) (data in [0, 1], widened by alpha ${this.alpha}), ` +
          `got ${v} at flat index ${i} (shape ${fmt(t.shape)})`);
      }
    }
  }

  /** `s = α + (1 − 2α)·x`, in (0, 1) on the domain. */
  private squeeze(x: Tensor): Tensor {
    return this.alpha === 0 ? x : add(mul(x, 1 - 2 * this.alpha), this.alpha);
  }

  protected _forward(x: Tensor): Tensor {
    const s = this.squeeze(x);
    return sub(log(s), log1p(neg(s)));
  }

  protected _inverse(y: Tensor): Tensor {
    const p = sigmoid(y);
    return this.alpha === 0 ? p : mul(sub(p, this.alpha), 1 / (1 - 2 * this.alpha));
  }

  protected override _forwardLogDet(x: Tensor): Tensor {
    return this.forwardLogDetAt(this.squeeze(x));
  }

  protected override _inverseLogDet(y: Tensor): Tensor {
    const ld = neg(add(softplus(neg(y)), softplus(y)));
    return this.alpha === 0 ? ld : sub(ld, Math.log1p(-2 * this.alpha));
  }

  protected override _forwardAndLogDet(x: Tensor): ForwardResult {
    const s = this.squeeze(x);
    const logS = log(s);
    const log1mS = log1p(neg(s));
    return { y: sub(logS, log1mS), logDet: this.forwardLogDetFrom(logS, log1mS) };
  }

  private forwardLogDetAt(s: Tensor): Tensor {
    return this.forwardLogDetFrom(log(s), log1p(neg(s)));
  }

  /** `log(1 − 2α) − log s − log(1 − s)`; the constant is added only when α > 0 (no −0 for α = 0). */
  private forwardLogDetFrom(logS: Tensor, log1mS: Tensor): Tensor {
    const ld = neg(add(logS, log1mS));
    return this.alpha === 0 ? ld : add(ld, Math.log1p(-2 * this.alpha));
  }

  /** `{ className: 'Logit', name, alpha }`. */
  override getConfig(): BijectorConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }

  /** Rebuilds a Logit from {@link Logit.getConfig}'s output. */
  static fromConfig(config: BijectorConfig): Logit {
    return new Logit({ alpha: config.alpha as number, name: config.name });
  }
}
