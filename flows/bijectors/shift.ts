// Shift: the elementwise translation y = x + shift, with log-det 0.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { add, sub } from '../../autodiff/ops/binary.js';
import { tensor, zeros, type NestedArray, type Tensor } from '../../autodiff/tensor.js';
import { checkOptions, isPlainObject } from '../../lib/util/validate.js';
import { Bijector, checkName, isTrainableLeaf, type BijectorConfig, type ParamLike } from './bijector.js';
import { checkEntries } from '../../autodiff/checks.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** Options of {@link Shift}. */
export interface ShiftOptions {
  /** The translation; broadcasts against the input (e.g. `[E]` against `[batch, E]`). */
  shift: ParamLike;
  /** Default `'shift'`, as TFP. */
  name?: string;
}

/**
 * Translation, elementwise (`forwardMinEventNdims` 0):
 *
 *   forward:  y = x + shift        inverse:  x = y − shift        log|det ∂y/∂x| = 0
 *
 * Both directions are one addition. Inside a MAF layer `shift` is the network's output;
 * as a stand-alone bijector a `shift` Tensor with `requiresGrad` is a trainable weight.
 *
 * @example
 * new Shift(2).forward(tensor([1, 2])) // [3, 4]
 */
export class Shift extends Bijector {
  /** The translation, as given (a Tensor given by the user is kept, not copied). */
  readonly shift: Tensor;

  /**
   * @param shift - the translation (a Tensor, number or array), or `{ shift, name }`
   * @throws TypeError for a shift that is not a Tensor/number/array; RangeError for a non-finite entry
   */
  constructor(shift: ParamLike | ShiftOptions, options: { name?: string } = {}) {
    if (isPlainObject(shift)) checkOptions(shift, ['shift', 'name'], 'Shift');
    else checkOptions(options, ['name'], 'Shift');
    const opts: ShiftOptions = isPlainObject(shift) ? (shift as unknown as ShiftOptions) : { shift: shift as ParamLike, ...options };
    super({ className: 'Shift', name: checkName(opts.name ?? 'shift', 'Shift'), forwardMinEventNdims: 0, isConstantJacobian: true });
    this.shift = toTensor(opts.shift, 'shift', 'Shift');
    checkEntries(this.shift, 'shift', 'Shift', Number.isFinite, 'finite');
  }

  override get trainableWeights(): Tensor[] {
    return isTrainableLeaf(this.shift) ? [this.shift] : [];
  }

  protected _forward(x: Tensor): Tensor {
    return add(x, this.shift);
  }

  protected _inverse(y: Tensor): Tensor {
    return sub(y, this.shift);
  }

  // Zero, but with the broadcast shape so that batch shapes stay right.
  protected override _forwardLogDet(x: Tensor): Tensor {
    return zeros(broadcastShapes('Shift.forwardLogDetJacobian', x.shape, this.shift.shape));
  }

  protected override _inverseLogDet(y: Tensor): Tensor {
    return zeros(broadcastShapes('Shift.inverseLogDetJacobian', y.shape, this.shift.shape));
  }

  /** `{ className: 'Shift', name, shift }` with `shift` as nested arrays. */
  override getConfig(): BijectorConfig {
    return { ...super.getConfig(), shift: this.shift.toArray() };
  }

  /** Rebuilds a Shift from {@link Shift.getConfig}'s output. */
  static fromConfig(config: BijectorConfig): Shift {
    return new Shift({ shift: tensor(config.shift as NestedArray), name: config.name });
  }
}
