// Bijector: the invertible-map interface every flow layer implements, with TFP's directions and event-ndims rules.
import { sum } from '../../autodiff/ops/reduce.js';
import { neg } from '../../autodiff/ops/unary.js';
import { Tensor } from '../../autodiff/tensor.js';
import { toTensor, type TensorLike } from '../../autodiff/tensor-like.js';
import { assert, ValueError } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import { describe, isPlainObject } from '../../lib/util/validate.js';
import type { JsonValue } from '../../lib/util/json.js';
import { checkFinite } from '../../autodiff/checks.js';
import { copyWeightsInto } from '../../autodiff/weights.js';

/**
 * Extra arguments a bijector call passes on to its parts.
 *
 * - `conditionalInput` reaches the network of a conditional `MaskedAutoregressiveFlow`.
 * - `training` selects batch statistics (true) or running averages (false) in `BatchNormalization`.
 * - Any other key whose value is a plain object addresses one bijector by its `name`:
 *   `{ maf1: { conditionalInput: c1 } }` reaches only the bijector named `maf1`, wherever it sits
 *   inside a `Chain` or `Invert`. Its entries override the shared ones for that bijector.
 *   A name that is not there throws a ValueError listing the names that are.
 * - Keys with other values (numbers, Tensors, …) are passed unchanged to every bijector, so a
 *   user `shiftAndLogScaleFn` may read its own arguments.
 */
export interface BijectorKwargs {
  /**
   * The condition of a conditional `MaskedAutoregressiveFlow`'s network, shape `[...batch, C]`
   * (its batch shape broadcasts with the input's); ignored by every other bijector.
   */
  conditionalInput?: TensorLike;
  /**
   * `BatchNormalization`'s mode: true normalises with the statistics of the batch at hand (and
   * updates the running averages), false (the default) with the running averages.
   */
  training?: boolean;
  /** A plain object addresses the bijector of that name; any other value reaches every bijector. */
  [bijectorName: string]: unknown;
}

/** {@link BijectorKwargs} plus `eventNdims`, the number of rightmost axes that form one event. */
export interface LogDetKwargs extends BijectorKwargs {
  /**
   * Rightmost axes of the input that form one event, an integer in `[minEventNdims, rank]`;
   * the log-det is summed over those beyond the bijector's minimal event. Default: the minimal
   * event's (`forwardMinEventNdims` or `inverseMinEventNdims`).
   */
  eventNdims?: number;
}

/**
 * What the sampling direction returns together with its log-det: {@link Bijector.forwardAndLogDet},
 * `MaskedAutoregressiveFlow.forwardReference` and {@link maflow/made!onePassForward}.
 */
export interface ForwardResult {
  /** The data-side point `forward(x)`, shape `[...batch, ...event]`: `x`'s, broadcast with any parameter or condition batch shape. */
  y: Tensor;
  /**
   * `log |det ∂y/∂x|` per event, shape `[...batch]`: `y`'s shape without its event axes (the last
   * `eventNdims`, or the minimal event's in a subclass's `_forwardAndLogDet`).
   */
  logDet: Tensor;
}

/** What the density direction returns together with its log-det: {@link Bijector.inverseAndLogDet}. */
export interface InverseResult {
  /** The base-side point `inverse(y)`, shape `[...batch, ...event]`: `y`'s, broadcast with any parameter or condition batch shape. */
  x: Tensor;
  /**
   * `log |det ∂x/∂y|` per event, shape `[...batch]`: `x`'s shape without its event axes (the last
   * `eventNdims`, or the minimal event's in a subclass's `_inverseAndLogDet`).
   */
  logDet: Tensor;
}


/** The JSON-safe options that rebuild a bijector (see `bijectorFromConfig`); weights are saved apart. */
export interface BijectorConfig {
  /** The class to rebuild, e.g. `'Shift'`: the key `bijectorFromConfig` looks the class up by. */
  className: string;
  /** The bijector's `name`. */
  name: string;
  /** The class's own constructor options, JSON-safe (nested bijectors as their configs). */
  [option: string]: JsonValue;
}

/** What a subclass tells the base class about itself: the argument of {@link Bijector}'s protected constructor. */
export interface BijectorParameters {
  /** The class name used in error messages (survives minification, unlike `constructor.name`). */
  className: string;
  /** The instance's name, a non-empty string; {@link BijectorKwargs} address the bijector by it. */
  name: string;
  /** Smallest number of rightmost axes the forward map acts on jointly: 0 elementwise, 1 for a vector. */
  forwardMinEventNdims: number;
  /** Same for the inverse; equal to the forward one for every rank-preserving bijector (the default). */
  inverseMinEventNdims?: number;
  /** True when the log-det does not depend on the input (TFP uses this for caching; we only report it). */
  isConstantJacobian?: boolean;
}

/**
 * `Σ` over the last `k` axes: turns a log-det computed per `minEventNdims`-event into one per
 * larger event (the Jacobian of independent blocks is block-diagonal, so log-dets add).
 */
export function sumRightmost(t: Tensor, k: number): Tensor {
  if (k === 0) return t;
  const axes: number[] = [];
  for (let i = 1; i <= k; i++) axes.push(-i);
  return sum(t, axes);
}

/** `name` must be a non-empty string; the shared check of every constructor. */
export function checkName(name: unknown, where: string): string {
  assert(typeof name === 'string' && name.length > 0, () => `${where}: 'name' must be a non-empty string, got ${describe(name)}`, TypeError);
  return name;
}

/**
 * Checks every `conditionalInput` in bijector kwargs, shared (`{ conditionalInput }`) or
 * addressed to one bijector (`{ maf1: { conditionalInput } }`), for NaN and ±∞: a condition
 * is data, and NaN in it would otherwise come out as a NaN density.
 * @throws ValueError naming `where`, the kwarg, and the row and column of the first bad entry
 */
export function checkConditionsFinite(kwargs: BijectorKwargs | undefined, where: string): void {
  if (kwargs === undefined || kwargs === null || typeof kwargs !== 'object') return;
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === 'conditionalInput' && value instanceof Tensor) {
      checkFinite(value, 'conditionalInput', where, 'a condition must be a finite number');
    } else if (isPlainObject(value)) {
      const c = (value as BijectorKwargs).conditionalInput;
      if (c instanceof Tensor) checkFinite(c, `bijectorKwargs.${key}.conditionalInput`, where, 'a condition must be a finite number');
    }
  }
}

/**
 * An invertible, differentiable map with a tractable log-Jacobian-determinant, in TFP's
 * directions: `forward` maps base samples to data (the sampling direction) and `inverse`
 * maps data to base (the density direction), so that for `y = forward(x)`
 *
 *   log p_Y(y) = log p_X(inverse(y)) + inverseLogDetJacobian(y),
 *   inverseLogDetJacobian(y) = −forwardLogDetJacobian(inverse(y)).
 *
 * Shapes: inputs are `[...batch, ...event]`; the event is the last `eventNdims` axes, at least
 * `forwardMinEventNdims` of them. Log-dets have the batch shape `[...batch]`. A subclass computes
 * the log-det of its minimal event; this class sums it over any extra event axes and validates
 * inputs, `eventNdims` and kwargs at the public boundary.
 *
 * Subclasses implement `_forward`, `_inverse`, and at least one of `_forwardLogDet` and
 * `_inverseLogDet` (each defaults to minus the other at the mapped point). They override
 * `_forwardAndLogDet` / `_inverseAndLogDet` when both results can share work (a MAF's density
 * direction costs one network pass for `u` and its log-det together).
 */
export abstract class Bijector {
  /** The class name, as error messages print it. */
  readonly className: string;
  /** This bijector's name; {@link BijectorKwargs} address it by this name inside a `Chain`. */
  readonly name: string;
  /** Rightmost axes the forward map acts on jointly (0 = elementwise, 1 = vectors). */
  readonly forwardMinEventNdims: number;
  /** Rightmost axes the inverse map acts on jointly. */
  readonly inverseMinEventNdims: number;
  /** True when the log-det does not depend on the input. */
  readonly isConstantJacobian: boolean;

  /**
   * Stores what a subclass reports about itself; subclasses call it first.
   * @param p - the class name, the instance name and the minimal event ranks
   * @throws TypeError when `p.name` is not a non-empty string
   */
  protected constructor(p: BijectorParameters) {
    this.className = p.className;
    this.name = checkName(p.name, p.className);
    this.forwardMinEventNdims = p.forwardMinEventNdims;
    this.inverseMinEventNdims = p.inverseMinEventNdims ?? p.forwardMinEventNdims;
    this.isConstantJacobian = p.isConstantJacobian ?? false;
  }

  /** Tensors an optimizer should update (none by default). */
  get trainableWeights(): Tensor[] {
    return [];
  }

  /** State that is saved with the model but not trained (e.g. running averages); none by default. */
  get nonTrainableWeights(): Tensor[] {
    return [];
  }

  /** `trainableWeights` then `nonTrainableWeights`. */
  get weights(): Tensor[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  /** Copies of {@link Bijector.weights}, the state `getConfig` leaves out (a saved flow stores both). */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.clone());
  }

  /**
   * Copies `weights` into {@link Bijector.weights}, in place, after checking every count and shape.
   * @param weights - as many tensors (any TensorLike) as `getWeights()` returns, with the same shapes
   * @throws TypeError for a non-array or an entry of the wrong kind; ValueError naming the first mismatch
   */
  setWeights(weights: readonly TensorLike[]): void {
    copyWeightsInto(this.weights, weights, `${this.className}.setWeights`);
  }

  /** This bijector's name and those of the bijectors inside it: what {@link BijectorKwargs} may address. */
  bijectorNames(): string[] {
    return [this.name];
  }

  /**
   * Sampling direction: base point `x` → data point `y`.
   * @param x - any TensorLike of shape `[...batch, ...event]`, rank ≥ `forwardMinEventNdims`
   * @param kwargs - see {@link BijectorKwargs}
   * @returns `y`, the same shape as `x` (broadcast with any parameter or condition batch shape)
   * @throws TypeError when `x` is not a TensorLike; ValueError for a wrong rank or event size, or an unknown bijector name in `kwargs`
   */
  forward(x: TensorLike, kwargs?: BijectorKwargs): Tensor {
    const where = `${this.className}.forward`;
    const t = this.checkInput(x, where, 'x', this.forwardMinEventNdims);
    return this._forward(t, this.resolveKwargs(kwargs, where));
  }

  /**
   * Density direction: data point `y` → base point `x`.
   * @param y - shape `[...batch, ...event]`, rank ≥ `inverseMinEventNdims`
   * @returns `x`, the same shape as `y`
   * @throws as {@link Bijector.forward}
   */
  inverse(y: TensorLike, kwargs?: BijectorKwargs): Tensor {
    const where = `${this.className}.inverse`;
    const t = this.checkInput(y, where, 'y', this.inverseMinEventNdims);
    return this._inverse(t, this.resolveKwargs(kwargs, where));
  }

  /**
   * `log |det ∂forward(x)/∂x|` per event of `eventNdims` rightmost axes.
   * @param x - shape `[...batch, ...event]`
   * @param kwargs - `eventNdims` (default `forwardMinEventNdims`, at most `x.rank`) and {@link BijectorKwargs}
   * @returns shape `[...batch]` = `x.shape` without its last `eventNdims` axes
   * @throws RangeError naming `eventNdims` when it is not an integer in `[forwardMinEventNdims, x.rank]`
   */
  forwardLogDetJacobian(x: TensorLike, kwargs: LogDetKwargs = {}): Tensor {
    const where = `${this.className}.forwardLogDetJacobian`;
    const [t, k] = this.extraEventNdims(x, where, 'x', kwargs, this.forwardMinEventNdims);
    return sumRightmost(this._forwardLogDet(t, this.resolveKwargs(kwargs, where)), k);
  }

  /**
   * `log |det ∂inverse(y)/∂y|` per event of `eventNdims` rightmost axes.
   * @param y - shape `[...batch, ...event]`
   * @returns shape `[...batch]`
   * @throws RangeError naming `eventNdims` when it is not an integer in `[inverseMinEventNdims, y.rank]`
   */
  inverseLogDetJacobian(y: TensorLike, kwargs: LogDetKwargs = {}): Tensor {
    const where = `${this.className}.inverseLogDetJacobian`;
    const [t, k] = this.extraEventNdims(y, where, 'y', kwargs, this.inverseMinEventNdims);
    return sumRightmost(this._inverseLogDet(t, this.resolveKwargs(kwargs, where)), k);
  }

  /**
   * `forward` and `forwardLogDetJacobian` in one pass (what `sampleAndLogProb` uses).
   * @param x - shape `[...batch, ...event]`
   * @param kwargs - `eventNdims` and {@link BijectorKwargs}, as for {@link Bijector.forwardLogDetJacobian}
   * @returns `y` `[...batch, ...event]` and `logDet` `[...batch]`
   * @throws as {@link Bijector.forwardLogDetJacobian}
   */
  forwardAndLogDet(x: TensorLike, kwargs: LogDetKwargs = {}): ForwardResult {
    const where = `${this.className}.forwardAndLogDet`;
    const [t, k] = this.extraEventNdims(x, where, 'x', kwargs, this.forwardMinEventNdims);
    const r = this._forwardAndLogDet(t, this.resolveKwargs(kwargs, where));
    return { y: r.y, logDet: sumRightmost(r.logDet, k) };
  }

  /**
   * `inverse` and `inverseLogDetJacobian` in one pass (what `logProb` uses: one network pass for a MAF).
   * @param y - shape `[...batch, ...event]`
   * @param kwargs - `eventNdims` and {@link BijectorKwargs}, as for {@link Bijector.inverseLogDetJacobian}
   * @returns `x` `[...batch, ...event]` and `logDet` `[...batch]`
   * @throws as {@link Bijector.inverseLogDetJacobian}
   */
  inverseAndLogDet(y: TensorLike, kwargs: LogDetKwargs = {}): InverseResult {
    const where = `${this.className}.inverseAndLogDet`;
    const [t, k] = this.extraEventNdims(y, where, 'y', kwargs, this.inverseMinEventNdims);
    const r = this._inverseAndLogDet(t, this.resolveKwargs(kwargs, where));
    return { x: r.x, logDet: sumRightmost(r.logDet, k) };
  }

  /**
   * The way in for the bijectors and distributions built on this one (`Chain`, `Invert`,
   * `TransformedDistribution`): `forward` or `inverse` of `t`, which their own public method has
   * already converted and checked, with `kwargs` already validated there. Only this bijector's event
   * check runs (a shape test); nothing passes over the data again.
   * @param direction - `'forward'` (base → data) or `'inverse'` (data → base)
   * @internal
   */
  mapChecked(direction: 'forward' | 'inverse', t: Tensor, kwargs: BijectorKwargs): Tensor {
    this.checkEvent(t, `${this.className}.${direction}`, direction === 'forward' ? 'x' : 'y');
    const own = this.routeKwargs(kwargs);
    return direction === 'forward' ? this._forward(t, own) : this._inverse(t, own);
  }

  /**
   * {@link Bijector.mapChecked} with the log-det per event of `eventNdims` rightmost axes (which the
   * caller has checked lie in `[minEventNdims, t.rank]`).
   * @returns the mapped point and its log-det, shape `t.shape` without its last `eventNdims` axes
   * @internal
   */
  mapAndLogDetChecked(direction: 'forward' | 'inverse', t: Tensor, kwargs: BijectorKwargs, eventNdims: number): { value: Tensor; logDet: Tensor } {
    this.checkEvent(t, `${this.className}.${direction}AndLogDet`, direction === 'forward' ? 'x' : 'y');
    const own = this.routeKwargs(kwargs);
    if (direction === 'forward') {
      const r = this._forwardAndLogDet(t, own);
      return { value: r.y, logDet: sumRightmost(r.logDet, eventNdims - this.forwardMinEventNdims) };
    }
    const r = this._inverseAndLogDet(t, own);
    return { value: r.x, logDet: sumRightmost(r.logDet, eventNdims - this.inverseMinEventNdims) };
  }

  /** JSON-safe options that rebuild this bijector (weights are saved separately). */
  getConfig(): BijectorConfig {
    return { className: this.className, name: this.name };
  }

  /** The forward map on trusted input. */
  protected abstract _forward(x: Tensor, kwargs: BijectorKwargs): Tensor;

  /** The inverse map on trusted input. */
  protected abstract _inverse(y: Tensor, kwargs: BijectorKwargs): Tensor;

  /** Forward log-det of one minimal event, shape `x.shape` without its last `forwardMinEventNdims` axes. */
  protected _forwardLogDet(x: Tensor, kwargs: BijectorKwargs): Tensor {
    return neg(this._inverseLogDet(this._forward(x, kwargs), kwargs));
  }

  /** Inverse log-det of one minimal event, shape `y.shape` without its last `inverseMinEventNdims` axes. */
  protected _inverseLogDet(y: Tensor, kwargs: BijectorKwargs): Tensor {
    return neg(this._forwardLogDet(this._inverse(y, kwargs), kwargs));
  }

  /** Override when `y` and its log-det share work. */
  protected _forwardAndLogDet(x: Tensor, kwargs: BijectorKwargs): ForwardResult {
    return { y: this._forward(x, kwargs), logDet: this._forwardLogDet(x, kwargs) };
  }

  /** Override when `x` and its log-det share work. */
  protected _inverseAndLogDet(y: Tensor, kwargs: BijectorKwargs): InverseResult {
    return { x: this._inverse(y, kwargs), logDet: this._inverseLogDet(y, kwargs) };
  }

  /** Subclasses check the event part of an input's shape here (e.g. its last dim); rank is already checked. */
  protected checkEvent(_t: Tensor, _where: string, _arg: string): void {}

  /**
   * Converts `t` (any {@link TensorLike}) and checks it has rank ≥ `minNdims`, then the subclass's event check.
   * @returns `t` as a Tensor
   */
  protected checkInput(t: unknown, where: string, arg: string, minNdims: number): Tensor {
    const x = toTensor(t, arg, where);
    assert(x.rank >= minNdims,
      () => `${where}: '${arg}' has shape ${fmt(x.shape)} (rank ${x.rank}), expected rank ≥ ${minNdims} (the event has ${minNdims} axes)`);
    this.checkEvent(x, where, arg);
    return x;
  }

  /**
   * Converts and validates the input and `kwargs.eventNdims`; returns the input as a Tensor and how
   * many axes beyond the minimal event the log-det must be summed over.
   */
  private extraEventNdims(input: unknown, where: string, arg: string, kwargs: LogDetKwargs, minNdims: number): [Tensor, number] {
    const t = this.checkInput(input, where, arg, minNdims);
    assert(isPlainObject(kwargs), () => `${where}: 'kwargs' must be a plain object, got ${describe(kwargs)}`, TypeError);
    const n = kwargs.eventNdims ?? minNdims;
    assert(typeof n === 'number' && Number.isInteger(n) && n >= minNdims && n <= t.rank,
      () => `${where}: 'eventNdims' is ${describe(n)}, expected an integer in [${minNdims}, ${t.rank}] for '${arg}' of shape ${fmt(t.shape)}`,
      RangeError);
    return [t, n - minNdims];
  }

  /**
   * Flattens this bijector's own named entry into the shared kwargs and checks every other
   * named entry addresses a bijector inside this one. Entries for inner bijectors stay keyed by
   * name so that a `Chain` or `Invert` can route them.
   * @throws TypeError when `kwargs` is not a plain object; ValueError for an unknown bijector name
   */
  protected resolveKwargs(kwargs: BijectorKwargs | undefined, where: string): BijectorKwargs {
    if (kwargs === undefined) return {};
    this.checkKwargs(kwargs, where);
    return this.routeKwargs(kwargs, where);
  }

  /**
   * The checking half of {@link Bijector.resolveKwargs}, for the distribution that owns this
   * bijector to run once at its own public boundary: a plain object, finite conditions, and every
   * named entry a bijector inside this one.
   * @throws TypeError when `kwargs` is not a plain object; ValueError for NaN in a condition or an unknown bijector name
   * @internal
   */
  checkKwargs(kwargs: unknown, where: string): void {
    if (kwargs === undefined) return;
    assert(isPlainObject(kwargs), () => `${where}: 'kwargs' must be a plain object, got ${describe(kwargs)}`, TypeError);
    checkConditionsFinite(kwargs as BijectorKwargs, where);
    const names = this.bijectorNames();
    for (const [key, value] of Object.entries(kwargs as BijectorKwargs)) {
      // conditionalInput is data, whatever its form ({ data, shape } is a plain object too), never a bijector's name.
      if (isPlainObject(value) && key !== 'conditionalInput' && !names.includes(key)) {
        throw new ValueError(`${where}: bijector kwargs name '${key}', which is not a bijector here; the names are [${names.map((s) => `'${s}'`).join(', ')}]`);
      }
    }
  }

  /**
   * The routing half of {@link Bijector.resolveKwargs}, on kwargs checked at the public boundary:
   * this bijector's own named entry is flattened into the shared ones, and entries addressed to
   * bijectors inside it stay keyed by name.
   */
  private routeKwargs(kwargs: BijectorKwargs, where: string = this.className): BijectorKwargs {
    const flat: BijectorKwargs = {};
    let own: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(kwargs)) {
      if (key === 'eventNdims') continue; // consumed by the public method, never passed on
      if (key === this.name && key !== 'conditionalInput' && isPlainObject(value)) own = value as Record<string, unknown>;
      else flat[key] = value;
    }
    if (own !== undefined) {
      for (const [key, value] of Object.entries(own)) if (key !== 'eventNdims') flat[key] = value;
    }
    // The one piece of data kwargs carry: any TensorLike, a Tensor from here on.
    if (flat.conditionalInput !== undefined) flat.conditionalInput = toTensor(flat.conditionalInput, 'conditionalInput', where);
    return flat;
  }
}

/** A parameter as users give it: a Tensor (kept as is, so gradients reach it) or any other {@link TensorLike} (copied). */
export type ParamLike = TensorLike;

/** True for a user-made leaf with `requiresGrad`: a weight to report in `trainableWeights` (not a computed tensor). */
export function isTrainableLeaf(t: Tensor): boolean {
  return t.requiresGrad && t.parents.length === 0 && t.backwardFn === null;
}
