// Invert: swaps a bijector's directions, so Invert(MAF) is an inverse autoregressive flow (IAF).
import type { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { Bijector, checkName, type BijectorConfig, type BijectorKwargs, type ForwardResult, type InverseResult } from './bijector.js';
import { checkOptions, describe } from '../../lib/util/validate.js';
import { rebuild } from '../../lib/util/register.js';

/**
 * The inverse of a bijector: `forward` is `bijector.inverse` and `inverse` is `bijector.forward`,
 *
 *   Invert(b).forward(x) = b.inverse(x),   log|det J_Invert(b).forward(x)| = b.inverseLogDetJacobian(x)
 *
 * `Invert(MaskedAutoregressiveFlow(…))` is the IAF of Kingma et al. (2016): sampling costs one
 * network pass and the density `eventSize` passes, the reverse of a MAF.
 *
 * Kwargs are passed through to the wrapped bijector (its own name still addresses it).
 *
 * @see Kingma et al. 2016, https://arxiv.org/abs/1606.04934
 */
export class Invert extends Bijector {
  /** The wrapped bijector. */
  readonly bijector: Bijector;

  /**
   * @param bijector - the bijector to invert
   * @param options - `name`, default `'invert_' + bijector.name` as TFP
   * @throws TypeError when `bijector` is not a Bijector
   */
  constructor(bijector: Bijector, options: { name?: string } = {}) {
    assert(bijector instanceof Bijector, () => `Invert: 'bijector' must be a Bijector, got ${describe(bijector)}`, TypeError);
    checkOptions(options, ['name'], 'Invert');
    super({
      className: 'Invert',
      name: checkName(options.name ?? `invert_${bijector.name}`, 'Invert'),
      forwardMinEventNdims: bijector.inverseMinEventNdims,
      inverseMinEventNdims: bijector.forwardMinEventNdims,
      isConstantJacobian: bijector.isConstantJacobian,
    });
    this.bijector = bijector;
  }

  override get trainableWeights(): Tensor[] {
    return this.bijector.trainableWeights;
  }

  override get nonTrainableWeights(): Tensor[] {
    return this.bijector.nonTrainableWeights;
  }

  override bijectorNames(): string[] {
    return [this.name, ...this.bijector.bijectorNames()];
  }

  protected _forward(x: Tensor, kwargs: BijectorKwargs): Tensor {
    return this.bijector.mapChecked('inverse', x, kwargs);
  }

  protected _inverse(y: Tensor, kwargs: BijectorKwargs): Tensor {
    return this.bijector.mapChecked('forward', y, kwargs);
  }

  protected override _forwardLogDet(x: Tensor, kwargs: BijectorKwargs): Tensor {
    return this.bijector.inverseLogDetJacobian(x, { ...kwargs, eventNdims: this.forwardMinEventNdims });
  }

  protected override _inverseLogDet(y: Tensor, kwargs: BijectorKwargs): Tensor {
    return this.bijector.forwardLogDetJacobian(y, { ...kwargs, eventNdims: this.inverseMinEventNdims });
  }

  protected override _forwardAndLogDet(x: Tensor, kwargs: BijectorKwargs): ForwardResult {
    const r = this.bijector.mapAndLogDetChecked('inverse', x, kwargs, this.forwardMinEventNdims);
    return { y: r.value, logDet: r.logDet };
  }

  protected override _inverseAndLogDet(y: Tensor, kwargs: BijectorKwargs): InverseResult {
    const r = this.bijector.mapAndLogDetChecked('forward', y, kwargs, this.inverseMinEventNdims);
    return { x: r.value, logDet: r.logDet };
  }

  /** `{ className: 'Invert', name, bijector: inner config }`. */
  override getConfig(): BijectorConfig {
    return { ...super.getConfig(), bijector: this.bijector.getConfig() };
  }

  /** Rebuilds an Invert from {@link Invert.getConfig}, the wrapped bijector through the bijector registry (fresh weights). */
  static fromConfig(config: BijectorConfig): Invert {
    return new Invert(rebuild<Bijector>('bijector', config.bijector, 'Invert.fromConfig'), { name: config.name });
  }
}
