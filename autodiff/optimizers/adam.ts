// Adam (Kingma & Ba 2014) with Keras's update rule, defaults and ε placement.
import { checkFiniteNumber } from '../../lib/util/validate.js';
import { Optimizer, type ClipOptions } from './optimizer.js';

/** Options of {@link Adam}; every field is optional and defaults to Keras's value. */
export interface AdamOptions extends ClipOptions {
  /** Step size, a finite number > 0. Default 0.001. */
  learningRate?: number;
  /** Decay of the first-moment average m, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment average v, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to √v (Keras's "epsilon hat", not the ε added to √v̂ in the paper's Algorithm 1), ≥ 0. Default 1e-7. */
  epsilon?: number;
}

/** What {@link Adam.getConfig} returns: every hyperparameter, and the clip options that are set. */
export interface AdamConfig extends ClipOptions {
  /** The step size at the time of the call (a schedule may have changed it since construction). */
  learningRate: number;
  /** Decay of the first-moment average m, in [0, 1). */
  beta1: number;
  /** Decay of the second-moment average v, in [0, 1). */
  beta2: number;
  /** Added to √v in the denominator, ≥ 0. */
  epsilon: number;
}

/**
 * Adam, exactly as Keras's `keras.optimizers.Adam.update_step` (checked against
 * keras/src/optimizers/adam.py). At step t = 1, 2, … with gradient g:
 *
 *   m ← β₁·m + (1 − β₁)·g
 *   v ← β₂·v + (1 − β₂)·g²
 *   α = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
 *   w ← w − α·m / (√v + ε)
 *
 * α folds both bias corrections (m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)) into the step size, so
 * ε is added to the uncorrected √v; with ε = 0 this is the paper's update. Keras writes the
 * moment updates as m += (g − m)(1 − β₁), algebraically the same, equal to within an ulp.
 * An entry whose m is 0 (a masked weight that has only ever had zero gradients) is not
 * touched, which also avoids 0/0 when ε = 0.
 *
 * Slots: `m` and `v`, one per parameter, same size.
 *
 * @example
 * const opt = new Adam({ learningRate: 1e-3, clipNorm: 1 });
 * loss.backward();
 * opt.step(weights);     // updates weights' data in place
 * opt.zeroGrad(weights);
 *
 * @see Kingma & Ba 2014, https://arxiv.org/abs/1412.6980 (the α form is the one before Section 2.1)
 */
export class Adam extends Optimizer {
  /** Decay of the first-moment average. */
  readonly beta1: number;
  /** Decay of the second-moment average. */
  readonly beta2: number;
  /** Added to √v in the denominator. */
  readonly epsilon: number;
  protected readonly slotNames: readonly string[] = ['m', 'v'];

  /**
   * @param options - see {@link AdamOptions}
   * @throws TypeError for a non-object `options`, an unknown option name (naming it) or a non-number value
   * @throws RangeError for a value out of range, naming the option
   * @throws ValueError if both `clipNorm` and `globalClipNorm` are set
   */
  constructor(options: AdamOptions = {}) {
    super('Adam', options, ['beta1', 'beta2', 'epsilon'], 0.001);
    const o = options as Record<string, unknown>;
    this.beta1 = checkFiniteNumber(o.beta1, 'beta1', 'Adam', { ge: 0, lt: 1 }, 0.9);
    this.beta2 = checkFiniteNumber(o.beta2, 'beta2', 'Adam', { ge: 0, lt: 1 }, 0.999);
    this.epsilon = checkFiniteNumber(o.epsilon, 'epsilon', 'Adam', { ge: 0 }, 1e-7);
  }

  /** Rebuilds an Adam from {@link Adam.getConfig} (or any {@link AdamOptions}), validating it. */
  static fromConfig(config: AdamOptions): Adam {
    return new Adam(config);
  }

  /** The hyperparameters as constructor options (JSON-safe). */
  getConfig(): AdamConfig {
    return { ...this.baseConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  /** `v`, an average of squared gradients, is never negative. */
  protected override slotValueProblem(slot: string, value: number): string | null {
    return slot === 'v' && value < 0 ? 'a second moment ≥ 0 (v is an average of squared gradients)' : null;
  }

  protected applyUpdate(w: Float64Array, g: Float64Array, slots: Float64Array[], t: number): void {
    const [m, v] = slots;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const alpha = (this.learningRate * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let j = 0; j < w.length; j++) {
      m[j] = b1 * m[j] + (1 - b1) * g[j];
      v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
      if (m[j] !== 0) w[j] -= (alpha * m[j]) / (Math.sqrt(v[j]) + eps);
    }
  }
}
