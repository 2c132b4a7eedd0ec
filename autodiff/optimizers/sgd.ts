// Stochastic gradient descent with optional (Nesterov) momentum, as Keras's SGD.
import { assert } from '../../lib/util/errors.js';
import { checkFiniteNumber } from '../../lib/util/validate.js';
import { Optimizer, type ClipOptions } from './optimizer.js';

/** Options of {@link SGD}; every field is optional and defaults to Keras's value. */
export interface SGDOptions extends ClipOptions {
  /** Step size, a finite number > 0. Default 0.01. */
  learningRate?: number;
  /** Momentum μ in [0, 1]; 0 is plain gradient descent. Default 0. */
  momentum?: number;
  /** Use Nesterov momentum (only matters when `momentum` > 0). Default false. */
  nesterov?: boolean;
}

/** What {@link SGD.getConfig} returns: every hyperparameter, and the clip options that are set. */
export interface SGDConfig extends ClipOptions {
  /** The step size at the time of the call (a schedule may have changed it since construction). */
  learningRate: number;
  /** Momentum μ in [0, 1]; 0 is plain gradient descent. */
  momentum: number;
  /** Whether the Nesterov form of the momentum step is used. */
  nesterov: boolean;
}

/**
 * Gradient descent, with Keras's rules (keras/src/optimizers/sgd.py). For gradient g:
 *
 *   momentum = 0:   w ← w − lr·g
 *   momentum μ > 0: velocity ← μ·velocity − lr·g,   w ← w + velocity
 *   nesterov:       velocity ← μ·velocity − lr·g,   w ← w + μ·velocity − lr·g
 *
 * Nesterov's rule evaluates the step at the look-ahead point without a second gradient
 * (Sutskever et al. 2013, as rewritten by Bengio et al. 2012).
 *
 * Slots: `velocity` when μ > 0, none otherwise (as Keras makes no momentum variables then).
 *
 * @example
 * const opt = new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true });
 * opt.step(weights);
 *
 * @see Sutskever et al. 2013, http://proceedings.mlr.press/v28/sutskever13.html
 */
export class SGD extends Optimizer {
  /** Momentum μ. */
  readonly momentum: number;
  /** Whether the Nesterov form is used. */
  readonly nesterov: boolean;
  protected readonly slotNames: readonly string[];

  /**
   * @param options - see {@link SGDOptions}
   * @throws TypeError for a non-object `options`, an unknown option name (naming it), a non-number
   *   number option or a non-boolean `nesterov`
   * @throws RangeError for a value out of range, naming the option
   * @throws ValueError if both `clipNorm` and `globalClipNorm` are set
   */
  constructor(options: SGDOptions = {}) {
    super('SGD', options, ['momentum', 'nesterov'], 0.01);
    const o = options as Record<string, unknown>;
    this.momentum = checkFiniteNumber(o.momentum, 'momentum', 'SGD', { ge: 0, le: 1 }, 0);
    assert(o.nesterov === undefined || typeof o.nesterov === 'boolean', () =>
      `SGD: 'nesterov' must be a boolean, got ${typeof o.nesterov}`, TypeError);
    this.nesterov = (o.nesterov as boolean | undefined) ?? false;
    this.slotNames = this.momentum === 0 ? [] : ['velocity'];
  }

  /** Rebuilds an SGD from {@link SGD.getConfig} (or any {@link SGDOptions}), validating it. */
  static fromConfig(config: SGDOptions): SGD {
    return new SGD(config);
  }

  /** The hyperparameters as constructor options (JSON-safe). */
  getConfig(): SGDConfig {
    return { ...this.baseConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }

  protected applyUpdate(w: Float64Array, g: Float64Array, slots: Float64Array[]): void {
    const lr = this.learningRate;
    const mu = this.momentum;
    if (mu === 0) {
      for (let j = 0; j < w.length; j++) w[j] -= lr * g[j];
      return;
    }
    const velocity = slots[0];
    for (let j = 0; j < w.length; j++) {
      velocity[j] = mu * velocity[j] - lr * g[j];
      w[j] += this.nesterov ? mu * velocity[j] - lr * g[j] : velocity[j];
    }
  }
}
