// Permute and Reverse: reorder the event's last axis, the glue between MAF layers (log-det 0).
import { gather } from '../../autodiff/ops/shape.js';
import { zeros, type Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import { checkOptions, checkPositiveInt, describe } from '../../lib/util/validate.js';
import { Bijector, checkName, type BijectorConfig } from './bijector.js';
import { checkNoHoles } from '../../lib/util/arrays.js';

/** Checks that `n` is an event size: a positive integer. */
/**
 * Reorders the last axis (`forwardMinEventNdims` 1), as TFP's `Permute(permutation)`:
 *
 *   forward:  y[..., i] = x[..., permutation[i]]        inverse:  x[..., permutation[i]] = y[..., i]
 *   log|det| = 0 (a permutation matrix has determinant ±1)
 *
 * Between MAF layers it lets each layer see the dimensions in a different order.
 *
 * @example
 * new Permute({ permutation: [2, 0, 1] }).forward(tensor([10, 20, 30])) // [30, 10, 20]
 */
export class Permute extends Bijector {
  /** 0-based: output position `i` takes input position `permutation[i]`. */
  readonly permutation: readonly number[];
  /** `inversePermutation[permutation[i]] = i`. */
  readonly inversePermutation: readonly number[];

  /**
   * @param options - `permutation`, a permutation of `0 … E−1`; `name` default `'permute'`
   * @throws TypeError when `permutation` is not an array; ValueError when it is not a permutation of 0..E−1
   */
  constructor(options: { permutation: readonly number[]; name?: string }) {
    const where = 'Permute';
    assert(typeof options === 'object' && options !== null, () => `${where}: expected options { permutation }, got ${describe(options)}`, TypeError);
    checkOptions(options, ['permutation', 'name'], where);
    const p = options.permutation;
    assert(Array.isArray(p), () => `${where}: 'permutation' must be an array of integers, got ${describe(p)}`, TypeError);
    checkNoHoles(p, 'permutation', where);
    const n = p.length;
    const seen = new Array<boolean>(n).fill(false);
    const ok = n > 0 && p.every((i) => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < n && !seen[i] && (seen[i] = true));
    assert(ok, () => `${where}: 'permutation' [${p.join(',')}] is not a permutation of 0..${n - 1} (each of 0..${n - 1} exactly once)`);
    super({ className: 'Permute', name: checkName(options.name ?? 'permute', where), forwardMinEventNdims: 1, isConstantJacobian: true });
    this.permutation = Object.freeze(p.slice());
    const inv = new Array<number>(n);
    p.forEach((pi, i) => (inv[pi] = i));
    this.inversePermutation = Object.freeze(inv);
  }

  /** Event size `E`, the permutation's length. */
  get eventSize(): number {
    return this.permutation.length;
  }

  protected override checkEvent(t: Tensor, where: string, arg: string): void {
    assert(t.shape[t.rank - 1] === this.eventSize,
      () => `${where}: '${arg}' has shape ${fmt(t.shape)}, expected [..., ${this.eventSize}] (the permutation's length)`);
  }

  protected _forward(x: Tensor): Tensor {
    return gather(x, this.permutation, -1);
  }

  protected _inverse(y: Tensor): Tensor {
    return gather(y, this.inversePermutation, -1);
  }

  protected override _forwardLogDet(x: Tensor): Tensor {
    return zeros(x.shape.slice(0, -1));
  }

  protected override _inverseLogDet(y: Tensor): Tensor {
    return zeros(y.shape.slice(0, -1));
  }

  /** `{ className: 'Permute', name, permutation }`. */
  override getConfig(): BijectorConfig {
    return { ...super.getConfig(), permutation: this.permutation.slice() };
  }

  /** Rebuilds a Permute from {@link Permute.getConfig}'s output. */
  static fromConfig(config: BijectorConfig): Permute {
    return new Permute({ permutation: config.permutation as number[], name: config.name });
  }
}

/**
 * Reverses the last axis, `y[..., i] = x[..., E−1−i]` (its own inverse, log-det 0): the
 * usual order swap between MAF layers, shorthand for `Permute({ permutation: [E−1, …, 0] })`.
 * Without `eventSize` it reverses whatever last axis arrives.
 */
export class Reverse extends Bijector {
  /** The event size, if fixed at construction; otherwise any last dim is accepted. */
  readonly eventSize: number | undefined;

  /**
   * @param options - `eventSize` (optional, checked on every call when given); `name` default `'reverse'`
   * @throws RangeError when `eventSize` is not a positive integer
   */
  constructor(options: { eventSize?: number; name?: string } = {}) {
    const where = 'Reverse';
    assert(typeof options === 'object' && options !== null, () => `${where}: expected options { eventSize?, name? }, got ${describe(options)}`, TypeError);
    checkOptions(options, ['eventSize', 'name'], where);
    super({ className: 'Reverse', name: checkName(options.name ?? 'reverse', where), forwardMinEventNdims: 1, isConstantJacobian: true });
    this.eventSize = options.eventSize === undefined ? undefined : checkPositiveInt(options.eventSize, 'eventSize', where);
  }

  protected override checkEvent(t: Tensor, where: string, arg: string): void {
    assert(this.eventSize === undefined || t.shape[t.rank - 1] === this.eventSize,
      () => `${where}: '${arg}' has shape ${fmt(t.shape)}, expected [..., ${this.eventSize}] ('eventSize')`);
  }

  private reverse(t: Tensor): Tensor {
    const n = t.shape[t.rank - 1];
    return gather(t, Array.from({ length: n }, (_, i) => n - 1 - i), -1);
  }

  protected _forward(x: Tensor): Tensor {
    return this.reverse(x);
  }

  protected _inverse(y: Tensor): Tensor {
    return this.reverse(y);
  }

  protected override _forwardLogDet(x: Tensor): Tensor {
    return zeros(x.shape.slice(0, -1));
  }

  protected override _inverseLogDet(y: Tensor): Tensor {
    return zeros(y.shape.slice(0, -1));
  }

  /** `{ className: 'Reverse', name, eventSize }` (`eventSize` null when not fixed). */
  override getConfig(): BijectorConfig {
    return { ...super.getConfig(), eventSize: this.eventSize ?? null };
  }

  /** Rebuilds a Reverse from {@link Reverse.getConfig}'s output. */
  static fromConfig(config: BijectorConfig): Reverse {
    return new Reverse({ eventSize: (config.eventSize as number | null) ?? undefined, name: config.name });
  }
}
