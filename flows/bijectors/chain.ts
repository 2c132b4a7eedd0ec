// Chain: the composition b1 ∘ b2 ∘ … ∘ bn, applied last-first as TFP does, routing kwargs to members by name.
import { add } from '../../autodiff/ops/binary.js';
import { zeros, type Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { Bijector, checkName, type BijectorConfig, type BijectorKwargs, type ForwardResult, type InverseResult } from './bijector.js';
import { checkOptions, describe, isPlainObject } from '../../lib/util/validate.js';
import { checkNoHoles } from '../../lib/util/arrays.js';
import { rebuild } from '../../lib/util/register.js';

/**
 * Composition of bijectors, in TFP's order: `new Chain([b1, b2, b3])` is `b1 ∘ b2 ∘ b3`, so
 *
 *   forward(x) = b1.forward(b2.forward(b3.forward(x)))      (the last one is applied first)
 *   inverse(y) = b3.inverse(b2.inverse(b1.inverse(y)))
 *   log|det J_forward(x)| = Σ_k log|det J_bk(x_k)|, x_k the input each member sees
 *
 * Kwargs reach every member, so `{ conditionalInput: c }` conditions every conditional MAF in the
 * chain at once; `{ maf1: { conditionalInput: c1 } }` reaches only the member named `maf1` (or a
 * bijector of that name nested inside a member). TFP's Chain cannot pass a condition to a MAF at
 * all (tensorflow/probability issues #1410, #1801).
 *
 * Members must keep the rank of their input (all of maflow's do), so the chain's minimal event
 * rank is the largest of its members'. An empty chain is the identity.
 *
 * @example
 * // log-density of a MAF, then a reversal, then a second MAF, conditioned on c:
 * const flow = new Chain([maf2, new Reverse(), maf1]);
 * flow.inverseAndLogDet(y, { eventNdims: 1, conditionalInput: c });
 */
export class Chain extends Bijector {
  /** The members, outermost first (`bijectors[0]` is applied last in `forward`). */
  readonly bijectors: readonly Bijector[];

  /**
   * @param bijectors - the members, `b1` first
   * @param options - `name`, default `'chain_of_' + names joined by '_of_'` as TFP
   * @throws TypeError when `bijectors` is not an array of Bijectors
   */
  constructor(bijectors: readonly Bijector[], options: { name?: string } = {}) {
    assert(Array.isArray(bijectors), () => `Chain: 'bijectors' must be an array of Bijectors, got ${describe(bijectors)}`, TypeError);
    checkNoHoles(bijectors, 'bijectors', 'Chain');
    bijectors.forEach((b: unknown, k) => {
      assert(b instanceof Bijector, () => `Chain: 'bijectors'[${k}] must be a Bijector, got ${describe(b)}`, TypeError);
    });
    checkOptions(options, ['name'], 'Chain');
    const name = options.name ?? (bijectors.length === 0 ? 'identity' : `chain_of_${bijectors.map((b) => b.name).join('_of_')}`);
    super({
      className: 'Chain',
      name: checkName(name, 'Chain'),
      forwardMinEventNdims: Math.max(0, ...bijectors.map((b) => b.forwardMinEventNdims)),
      inverseMinEventNdims: Math.max(0, ...bijectors.map((b) => b.inverseMinEventNdims)),
      isConstantJacobian: bijectors.every((b) => b.isConstantJacobian),
    });
    this.bijectors = Object.freeze(bijectors.slice());
  }

  /** Every member's weights, each once (a network shared by two members is listed once). */
  override get trainableWeights(): Tensor[] {
    return [...new Set(this.bijectors.flatMap((b) => b.trainableWeights))];
  }

  override get nonTrainableWeights(): Tensor[] {
    return [...new Set(this.bijectors.flatMap((b) => b.nonTrainableWeights))];
  }

  /** The chain's name, then every member's names (recursively). */
  override bijectorNames(): string[] {
    return [this.name, ...this.bijectors.flatMap((b) => b.bijectorNames())];
  }

  /**
   * The kwargs member `b` receives: every shared entry, plus the named entries that address `b`
   * or a bijector inside it (kept by name; `b` flattens its own).
   */
  private kwargsFor(b: Bijector, kwargs: BijectorKwargs): BijectorKwargs {
    const names = b.bijectorNames();
    const out: BijectorKwargs = {};
    for (const [key, value] of Object.entries(kwargs)) {
      if (!isPlainObject(value) || names.includes(key)) out[key] = value;
    }
    return out;
  }

  protected _forward(x: Tensor, kwargs: BijectorKwargs): Tensor {
    let y = x;
    for (let k = this.bijectors.length - 1; k >= 0; k--) y = this.bijectors[k].mapChecked('forward', y, this.kwargsFor(this.bijectors[k], kwargs));
    return y;
  }

  protected _inverse(y: Tensor, kwargs: BijectorKwargs): Tensor {
    let x = y;
    for (const b of this.bijectors) x = b.mapChecked('inverse', x, this.kwargsFor(b, kwargs));
    return x;
  }

  protected override _forwardAndLogDet(x: Tensor, kwargs: BijectorKwargs): ForwardResult {
    const eventNdims = this.forwardMinEventNdims;
    let y = x;
    let logDet: Tensor | null = null;
    for (let k = this.bijectors.length - 1; k >= 0; k--) {
      const b = this.bijectors[k];
      const r = b.mapAndLogDetChecked('forward', y, this.kwargsFor(b, kwargs), eventNdims);
      logDet = logDet === null ? r.logDet : add(logDet, r.logDet);
      y = r.value;
    }
    return { y, logDet: logDet ?? zeros(x.shape.slice(0, x.rank - eventNdims)) };
  }

  protected override _inverseAndLogDet(y: Tensor, kwargs: BijectorKwargs): InverseResult {
    const eventNdims = this.inverseMinEventNdims;
    let x = y;
    let logDet: Tensor | null = null;
    for (const b of this.bijectors) {
      const r = b.mapAndLogDetChecked('inverse', x, this.kwargsFor(b, kwargs), eventNdims);
      logDet = logDet === null ? r.logDet : add(logDet, r.logDet);
      x = r.value;
    }
    return { x, logDet: logDet ?? zeros(y.shape.slice(0, y.rank - eventNdims)) };
  }

  protected override _forwardLogDet(x: Tensor, kwargs: BijectorKwargs): Tensor {
    return this._forwardAndLogDet(x, kwargs).logDet;
  }

  protected override _inverseLogDet(y: Tensor, kwargs: BijectorKwargs): Tensor {
    return this._inverseAndLogDet(y, kwargs).logDet;
  }

  /** `{ className: 'Chain', name, bijectors: [member configs] }`; throws if a member cannot be serialised. */
  override getConfig(): BijectorConfig {
    return { ...super.getConfig(), bijectors: this.bijectors.map((b) => b.getConfig()) };
  }

  /** Rebuilds a Chain from {@link Chain.getConfig}, each member through the bijector registry (fresh weights). */
  static fromConfig(config: BijectorConfig): Chain {
    const where = 'Chain.fromConfig';
    assert(Array.isArray(config.bijectors), () => `${where}: 'bijectors' must be an array of bijector configs, got ${describe(config.bijectors)}`, TypeError);
    return new Chain(config.bijectors.map((member) => rebuild<Bijector>('bijector', member, where)), { name: config.name });
  }
}
