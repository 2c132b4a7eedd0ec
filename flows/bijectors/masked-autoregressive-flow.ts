// MaskedAutoregressiveFlow: one MAF layer, an autoregressive bijector driven by MADE (or any autoregressive function), with any transform family.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { broadcastTo, reshape, stack, unstack } from '../../autodiff/ops/shape.js';
import { Tensor, zeros } from '../../autodiff/tensor.js';
import { assert, ValueError } from '../../lib/util/errors.js';
import { fmt, sameShape, sizeOf } from '../../lib/util/shape.js';
import { checkOptions, describe, isPlainObject } from '../../lib/util/validate.js';
import { AutoregressiveNetwork, type AutoregressiveNetworkConfig } from '../made/autoregressive-network.js';
import { onePassForward } from '../made/one-pass-sampler.js';
import { affineFamily } from '../transforms/affine.js';
import type { TransformFamily, TransformFamilyConfig } from '../transforms/family.js';
import { transformFamilyFromConfig } from '../transforms/registry.js';
import { applyTransform } from '../transforms/transform-op.js';
import { Bijector, checkName, type BijectorConfig, type BijectorKwargs, type ForwardResult, type InverseResult } from './bijector.js';
import { checkLogScaleClamp, type LogScaleClamp } from '../transforms/log-scale-clamp.js';
import { type JsonValue } from '../../lib/util/json.js';

/** What a `shiftAndLogScaleFn` returns: `[shift, logScale]`, either `null` for 0 (cheaper than zeros). */
export type ShiftAndLogScale = readonly [Tensor | null, Tensor | null];

/**
 * A user function giving the affine parameters of every event dimension from the data-side
 * input `y` `[...batch, E]`: `shift_d` and `logScale_d` must depend only on dimensions before
 * `d` in some fixed order (the autoregressive property; not checked). It may return
 * `[shift, logScale]` (each broadcastable to `y`, or `null`) or one Tensor `[..., E, 2]`
 * (unstacked along the last axis, as TFP does).
 */
export type ShiftAndLogScaleFn = (y: Tensor, kwargs: BijectorKwargs) => ShiftAndLogScale | Tensor;

/**
 * A user function giving an elementwise bijector (`forwardMinEventNdims` 0) from the data-side
 * input `y`, autoregressive in the same sense (TFP's `bijector_fn`: e.g. a spline per dimension).
 */
export type BijectorFn = (y: Tensor, kwargs: BijectorKwargs) => Bijector;

/** Exactly one of these: the function that drives the layer. */
export interface MaskedAutoregressiveFlowFunctions {
  /** An {@link AutoregressiveNetwork} with `params: 2` (column 0 = shift, 1 = logScale), or a {@link ShiftAndLogScaleFn}. */
  shiftAndLogScaleFn?: AutoregressiveNetwork | ShiftAndLogScaleFn;
  /** A {@link BijectorFn}. */
  bijectorFn?: BijectorFn;
  /**
   * An {@link AutoregressiveNetwork} whose `params` outputs per dimension drive `transform` (not in
   * TFP): `params` must equal `transform.params`. With the default affine transform this is the
   * same layer as `shiftAndLogScaleFn: network`.
   */
  network?: AutoregressiveNetwork;
}

/** Options of {@link MaskedAutoregressiveFlow}, as TFP's. */
export interface MaskedAutoregressiveFlowOptions {
  /** Declares that `logScale` does not depend on the input (reported, not exploited); default false. */
  isConstantJacobian?: boolean;
  /** Rank of one event, default 1; must be 1 with an AutoregressiveNetwork. */
  eventNdims?: number;
  /** Also check that a `bijectorFn` returns elementwise bijectors; default false. */
  validateArgs?: boolean;
  /** Default `'masked_autoregressive_flow'`, as TFP. */
  name?: string;
  /**
   * The weights a user function closes over, reported as `trainableWeights` (TFP tracks them
   * through `tf.Module`; a plain function hides them). Not needed with an AutoregressiveNetwork.
   */
  trainableWeights?: readonly Tensor[];
  /**
   * Opt-in soft bound on the log-scale (not in TFP, which leaves it unbounded): a number `B` for
   * (−B, B), or `{ min, max }` with min < 0 < max. The raw log-scale r becomes zuko's soft clip
   * r / (1 + r/max) (r ≥ 0) or r / (1 + r/min) (r < 0): the identity near 0, never outside the
   * bounds, with a gradient that decays like 1/r² but never vanishes. Applied alike when
   * sampling and in the density pass, so the two stay inverse. Default: none.
   */
  logScaleClamp?: number | LogScaleClamp;
  /**
   * The univariate transform family applied to each dimension (not in TFP, whose MAF is affine):
   * `affineFamily()` (the default, TFP's), `boundedAffineFamily()` or `splineFamily({ bins, bound })`.
   * Needs `network` (or `shiftAndLogScaleFn` being a network, for an affine family).
   */
  transform?: TransformFamily;
}

/** Every option name the constructor accepts, functions included. */
const MAF_OPTIONS: readonly string[] = [
  'shiftAndLogScaleFn', 'bijectorFn', 'network', 'isConstantJacobian', 'eventNdims', 'validateArgs', 'name', 'trainableWeights',
  'logScaleClamp', 'transform',
];

const WHERE = 'MaskedAutoregressiveFlow';

/**
 * One layer of a masked autoregressive flow (Papamakarios et al. 2017), in TFP's directions, for
 * any univariate transform family (`flows/transforms/`). With θ_d, the P parameters of dimension
 * d, computed by an autoregressive network from the data-side point, and f(·; θ) the family's
 * increasing map of the line:
 *
 *   inverse (data y → base u, density; ONE network pass):
 *     u_d = f⁻¹(y_d; θ_d(y)),            log|det ∂u/∂y| = −Σ_d log f'(u_d; θ_d(y))
 *   forward (base u → data y, sampling; E network passes, or one with MADE and no gradient):
 *     y_d = f(u_d; θ_d(y_<d)),           log|det ∂y/∂u| = +Σ_d log f'(u_d; θ_d(y))
 *
 * TFP's MAF is the affine family, f(u; shift, logScale) = u · exp(logScale) + shift, so
 *
 *     u = (y − shift(y)) · exp(−logScale(y)),        log|det ∂u/∂y| = −Σ_d logScale_d(y)
 *
 * The Jacobian ∂u/∂y is triangular in the network's input order, with diagonal 1/f', hence the
 * log-det. `inverseAndLogDet` (what `logProb` uses) gets `u` and the log-det from the same single
 * pass (TFP spends two). The sampling recursion follows TFP: start from y = 0 and apply
 * y ← f(u; θ(y)) E times; after pass k the first k dimensions in input order are exact, and the
 * last pass's θ are the final y's, so the log-det comes free. With an AutoregressiveNetwork the
 * same values come from one walk over the degrees instead (flows/made/one-pass-sampler.ts), each hidden
 * unit and output computed once. Both directions and every gradient go through one op,
 * `applyTransform` (flows/transforms/transform-op.ts), on the family's three scalar functions.
 *
 * Conditioning: `kwargs.conditionalInput` reaches a conditional network (and every kwarg reaches
 * a user function), also inside a `Chain`, by name or all at once. `kwargs.training` turns the
 * network's dropout on.
 *
 * Bounding the scale (opt-in, `logScaleClamp`, affine family only): logScale = s(r) for the
 * network's raw output r, with s zuko's soft clip onto (min, max) (see
 * flows/transforms/log-scale-clamp.ts). TFP's MAF has no such bound: a flow layer should be free to
 * stretch as much as the data need, and the log-det stays exact either way. The bound trades that
 * freedom for robustness far from the data. `boundedAffineFamily()` bounds the scale another way.
 *
 * Cost: density O(one network pass). Sampling with an AutoregressiveNetwork: O(one network pass)
 * too, by walking the degrees once ({@link onePassForward}), whenever no gradient is wanted (see
 * {@link MaskedAutoregressiveFlow.fastForwardAndLogDet}); otherwise, and with a user function,
 * O(E network passes) — the reference loop {@link MaskedAutoregressiveFlow.forwardReference},
 * which the one-pass sampler is tested against.
 *
 * @see Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057
 * @see Germain et al. 2015, https://arxiv.org/abs/1502.03509
 * @see Durkan et al. 2019 (spline family), https://arxiv.org/abs/1906.04087
 *
 * @example
 * const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu' });
 * const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
 * const { x: u, logDet } = maf.inverseAndLogDet(y, { eventNdims: 1 }); // one pass
 * // a spline layer: 8 bins on [−5, 5], P = 3·8 − 1 = 23 parameters per dimension
 * const spline = splineFamily({ bins: 8, bound: 5 });
 * const nsf = new MaskedAutoregressiveFlow({
 *   network: new AutoregressiveNetwork({ params: spline.params, hiddenUnits: [10], activation: 'relu', zeroInitOutput: true }),
 *   transform: spline,
 * });
 */
export class MaskedAutoregressiveFlow extends Bijector {
  /** The network, when the layer is driven by an AutoregressiveNetwork. */
  readonly network: AutoregressiveNetwork | null;
  /** The user's shift-and-log-scale function, or null (a network, or `bijectorFn`). */
  readonly shiftAndLogScaleFn: ShiftAndLogScaleFn | null;
  /** The bijector function, or null. */
  readonly bijectorFn: BijectorFn | null;
  /** The transform family applied to each dimension; null with `bijectorFn`. */
  readonly transform: TransformFamily | null;
  /** Rank of one event. */
  readonly eventNdims: number;
  /** Whether a `bijectorFn`'s bijectors are checked to be elementwise. */
  readonly validateArgs: boolean;
  /** The soft bounds of the log-scale, or null (unbounded, as TFP). See {@link MaskedAutoregressiveFlowOptions.logScaleClamp}. */
  readonly logScaleClamp: LogScaleClamp | null;
  private readonly extraWeights: readonly Tensor[];

  /**
   * @param fns - `{ shiftAndLogScaleFn }`, `{ bijectorFn }` or `{ network }` (exactly one),
   *   optionally with the options; or, as TFP's positional form, the network or function itself
   * @param options - see {@link MaskedAutoregressiveFlowOptions}
   * @throws ValueError when not exactly one function is given (TFP: "Exactly one of
   *   `shift_and_log_scale_fn` and `bijector_fn` should be specified."), when a network's `params`
   *   is not the transform's P, or `transform`/`logScaleClamp` come with a function they cannot
   *   apply to; TypeError for a function or transform of the wrong kind or an unknown option
   *   (naming it); RangeError for `eventNdims` not a positive integer, or not 1 with a network, or
   *   a `logScaleClamp` whose bounds do not satisfy min < 0 < max
   */
  constructor(
    fns: (MaskedAutoregressiveFlowFunctions & MaskedAutoregressiveFlowOptions) | AutoregressiveNetwork | ShiftAndLogScaleFn,
    options: MaskedAutoregressiveFlowOptions = {},
  ) {
    const given = fns instanceof AutoregressiveNetwork || typeof fns === 'function' ? { shiftAndLogScaleFn: fns } : fns;
    assert(isPlainObject(given), () => `${WHERE}: expected { shiftAndLogScaleFn }, { bijectorFn } or { network }, got ${describe(fns)}`, TypeError);
    assert(isPlainObject(options), () => `${WHERE}: 'options' must be an object, got ${describe(options)}`, TypeError);
    const opts = { ...given, ...options } as MaskedAutoregressiveFlowFunctions & MaskedAutoregressiveFlowOptions;
    // A typo (`evenNdims`, `logScaleClip`) would otherwise be dropped without a word.
    checkOptions(opts, MAF_OPTIONS, WHERE);
    const present = (v: unknown): boolean => v !== undefined && v !== null;
    const count = [opts.shiftAndLogScaleFn, opts.bijectorFn, opts.network].filter(present).length;
    if (count !== 1) {
      throw new ValueError(`${WHERE}: exactly one of 'shiftAndLogScaleFn' and 'bijectorFn' must be given, got ${count === 0 ? 'neither' : count === 2 ? 'both' : 'all three'} ` +
        "(or, for another transform family, { network, transform } alone)");
    }
    const eventNdims = opts.eventNdims ?? 1;
    assert(typeof eventNdims === 'number' && Number.isInteger(eventNdims) && eventNdims >= 1,
      () => `${WHERE}: 'eventNdims' must be a positive integer, got ${describe(eventNdims)}`, RangeError);
    const isConstantJacobian = opts.isConstantJacobian ?? false;
    assert(typeof isConstantJacobian === 'boolean', () => `${WHERE}: 'isConstantJacobian' must be a boolean, got ${describe(isConstantJacobian)}`, TypeError);
    const validateArgs = opts.validateArgs ?? false;
    assert(typeof validateArgs === 'boolean', () => `${WHERE}: 'validateArgs' must be a boolean, got ${describe(validateArgs)}`, TypeError);
    super({ className: WHERE, name: checkName(opts.name ?? 'masked_autoregressive_flow', WHERE), forwardMinEventNdims: eventNdims, isConstantJacobian });
    this.eventNdims = eventNdims;
    this.validateArgs = validateArgs;

    const extra = opts.trainableWeights ?? [];
    assert(Array.isArray(extra) && extra.every((w) => w instanceof Tensor),
      () => `${WHERE}: 'trainableWeights' must be an array of Tensors, got ${describe(extra)}`, TypeError);
    this.extraWeights = Object.freeze(extra.slice());

    // Checked here, so its errors name this layer; the affine family gets the checked bounds.
    const logScaleClamp = checkLogScaleClamp(opts.logScaleClamp, WHERE);
    const network = opts.network ?? (opts.shiftAndLogScaleFn instanceof AutoregressiveNetwork ? opts.shiftAndLogScaleFn : null);
    const transform = checkTransform(opts.transform, opts.logScaleClamp);
    if (present(opts.bijectorFn)) {
      const fn = opts.bijectorFn;
      assert(typeof fn === 'function', () => `${WHERE}: 'bijectorFn' must be a function (y, kwargs) => Bijector, got ${describe(fn)}`, TypeError);
      assert(transform === null && !present(opts.logScaleClamp),
        () => `${WHERE}: '${transform !== null ? 'transform' : 'logScaleClamp'}' applies to a network's parameters; a 'bijectorFn' makes its own bijectors`);
      this.network = null;
      this.shiftAndLogScaleFn = null;
      this.bijectorFn = fn;
      this.transform = null;
      this.logScaleClamp = null;
      return;
    }
    this.bijectorFn = null;
    const family = transform ?? affineFamily({ logScaleClamp });
    this.transform = family;
    // The clamp lives in the affine family; reported here as before (and saved with the layer).
    const clamp = family.name === 'affine' ? family.getConfig().logScaleClamp : null;
    this.logScaleClamp = clamp === null || clamp === undefined ? null : checkLogScaleClamp(clamp, WHERE);
    if (network !== null) {
      const arg = present(opts.network) ? 'network' : 'shiftAndLogScaleFn';
      assert(network instanceof AutoregressiveNetwork,
        () => `${WHERE}: 'network' must be an AutoregressiveNetwork, got ${describe(network)}`, TypeError);
      assert(network.params === family.params, () => family.name === 'affine' && arg === 'shiftAndLogScaleFn'
        ? `${WHERE}: 'shiftAndLogScaleFn' is an AutoregressiveNetwork with params ${network.params}, expected params 2 (column 0 = shift, 1 = log-scale)`
        : `${WHERE}: '${arg}' is an AutoregressiveNetwork with params ${network.params}, but the '${family.name}' transform reads ${family.params} parameters per dimension; build the network with params: ${family.params}`);
      assert(eventNdims === 1, () => `${WHERE}: 'eventNdims' is ${eventNdims}, but an AutoregressiveNetwork acts on vectors: expected 1`, RangeError);
      this.network = network;
      this.shiftAndLogScaleFn = null;
      return;
    }
    const fn = opts.shiftAndLogScaleFn;
    assert(typeof fn === 'function',
      () => `${WHERE}: 'shiftAndLogScaleFn' must be an AutoregressiveNetwork or a function (y, kwargs) => [shift, logScale], got ${describe(fn)}`, TypeError);
    assert(family.name === 'affine',
      () => `${WHERE}: a 'shiftAndLogScaleFn' gives affine parameters; the '${family.name}' transform needs { network } with params ${family.params}`);
    this.network = null;
    this.shiftAndLogScaleFn = fn;
  }

  /** The network's weights (empty until it is built) and any `trainableWeights` given, each once. */
  override get trainableWeights(): Tensor[] {
    const own = this.network !== null && this.network.built ? this.network.trainableWeights : [];
    return [...new Set([...own, ...this.extraWeights])];
  }

  /** The network's event size `E` once built, else `undefined`. */
  get eventSize(): number | undefined {
    return this.network !== null && this.network.built ? this.network.eventSize : undefined;
  }

  protected override checkEvent(t: Tensor, where: string, arg: string): void {
    const e = this.eventSize;
    assert(e === undefined || t.shape[t.rank - 1] === e,
      () => `${where}: '${arg}' has shape ${fmt(t.shape)}, expected [..., ${e}] (the network's eventSize)`);
  }

  /**
   * The transform's parameters at the data-side point `y`: `theta` `[...batch, E, P]`, with the
   * event flattened to one axis of E values, and `shape`, the shape of the layer's output
   * (`y`'s, or the broadcast of `y` with a conditional input's batch or a user function's outputs).
   */
  private paramsAt(y: Tensor, kwargs: BijectorKwargs): { theta: Tensor; shape: number[] } {
    const made = this.network;
    if (made !== null) {
      const c = kwargs.conditionalInput;
      const training = kwargs.training === true;
      const theta = made.call(y, { ...(c === undefined ? {} : { conditionalInput: c }), ...(training ? { training } : {}) });
      return { theta, shape: theta.shape.slice(0, -1) }; // [...batch, E, P] → [...batch, E]
    }
    return this.userParams(y, kwargs);
  }

  /** A user `shiftAndLogScaleFn`'s `[shift, logScale]`, checked, broadcast together and stacked as the affine family's θ. */
  private userParams(y: Tensor, kwargs: BijectorKwargs): { theta: Tensor; shape: number[] } {
    const where = `${WHERE} '${this.name}': shiftAndLogScaleFn`;
    const out = (this.shiftAndLogScaleFn as ShiftAndLogScaleFn)(y, kwargs);
    let parts: unknown[];
    if (out instanceof Tensor) {
      assert(out.rank >= 1 && out.shape[out.rank - 1] === 2,
        () => `${where} returned a Tensor of shape ${fmt(out.shape)}; a single Tensor must be [..., 2] (shift, logScale)`);
      parts = unstack(out, -1);
    } else {
      assert(Array.isArray(out) && out.length === 2,
        () => `${where} must return [shift, logScale] (either may be null) or a Tensor [..., 2], got ${describe(out)}`, TypeError);
      parts = out;
    }
    let shape = y.shape.slice();
    ['shift', 'logScale'].forEach((arg, i) => {
      const t = parts[i];
      assert(t === null || t instanceof Tensor, () => `${where} returned a ${arg} that is ${describe(t)}, expected a Tensor or null`, TypeError);
      if (t !== null) shape = broadcastShapes(`${where} returned a ${arg} that does not fit the input ${fmt(y.shape)}`, (t as Tensor).shape, shape);
    });
    // θ [...batch, prod(event), 2]: the event's axes flattened, as the transform reads one vector per event.
    const batch = shape.slice(0, shape.length - this.eventNdims);
    const flat = [...batch, sizeOf(shape.slice(batch.length))];
    const full = (t: unknown): Tensor => reshape(t === null ? zeros(shape) : sameShape((t as Tensor).shape, shape) ? t as Tensor : broadcastTo(t as Tensor, shape), flat);
    return { theta: stack([full(parts[0]), full(parts[1])], -1), shape };
  }

  /** `bijectorFn(y)`, checked to be a Bijector (and elementwise, with `validateArgs`). */
  private bijectorAt(y: Tensor, kwargs: BijectorKwargs): Bijector {
    const b = (this.bijectorFn as BijectorFn)(y, kwargs);
    assert(b instanceof Bijector, () => `${WHERE} '${this.name}': bijectorFn must return a Bijector, got ${describe(b)}`, TypeError);
    if (this.validateArgs) {
      assert(b.forwardMinEventNdims === 0,
        () => `${WHERE} '${this.name}': bijectorFn returned ${b.className} '${b.name}' with forwardMinEventNdims ${b.forwardMinEventNdims}; it must act elementwise (0)`);
    }
    return b;
  }

  /**
   * Applies the transform to `z` (`u` forward, `y` inverse) with parameters `theta`, `z` first
   * broadcast to the output `shape`; the result has that shape, the log-det its batch part.
   */
  private apply(direction: 'forward' | 'inverse', z: Tensor, theta: Tensor, shape: number[]): { value: Tensor; logDet: Tensor } {
    const full = sameShape(z.shape, shape) ? z : broadcastTo(z, shape);
    const flat = theta.shape.slice(0, -1);
    const r = applyTransform(this.transform as TransformFamily, direction, sameShape(flat, shape) ? full : reshape(full, flat), theta);
    return { value: sameShape(flat, shape) ? r.value : reshape(r.value, shape), logDet: r.logDet };
  }

  /** Density direction, one pass: `u = f⁻¹(y; θ(y))`, `logDet = −Σ log f'(u; θ(y))`. */
  protected override _inverseAndLogDet(y: Tensor, kwargs: BijectorKwargs): InverseResult {
    if (this.bijectorFn !== null) return this.bijectorAt(y, kwargs).inverseAndLogDet(y, { ...kwargs, eventNdims: this.eventNdims });
    const { theta, shape } = this.paramsAt(y, kwargs);
    const { value, logDet } = this.apply('inverse', y, theta, shape);
    return { x: value, logDet };
  }

  protected _inverse(y: Tensor, kwargs: BijectorKwargs): Tensor {
    return this._inverseAndLogDet(y, kwargs).x;
  }

  protected override _inverseLogDet(y: Tensor, kwargs: BijectorKwargs): Tensor {
    return this._inverseAndLogDet(y, kwargs).logDet;
  }

  /**
   * Sampling direction: a faster sampler if {@link fastForwardAndLogDet} offers one, else the
   * reference recursion.
   */
  protected override _forwardAndLogDet(x: Tensor, kwargs: BijectorKwargs): ForwardResult {
    return this.fastForwardAndLogDet(x, kwargs) ?? this.forwardLoop(x, kwargs);
  }

  protected _forward(x: Tensor, kwargs: BijectorKwargs): Tensor {
    return this._forwardAndLogDet(x, kwargs).y;
  }

  protected override _forwardLogDet(x: Tensor, kwargs: BijectorKwargs): Tensor {
    return this._forwardAndLogDet(x, kwargs).logDet;
  }

  /**
   * The hook where a faster sampler plugs in; it must agree with {@link forwardReference}, and
   * `null` means "use the reference loop". With an AutoregressiveNetwork this is the one-pass
   * sampler ({@link onePassForward}): the cost of ONE network pass instead of E, no graph recorded,
   * for every transform family.
   *
   * It steps aside (null) when grad mode is on and a weight, `x` or the conditional input requires a
   * gradient, so that gradients through sampling, if wanted, still flow through the recorded
   * E-pass recursion. Sample under `noGrad` to get the fast path while training weights:
   * `noGrad(() => flow.sample(n))`. A user function (or `bijectorFn`) always keeps the E-pass loop.
   */
  protected fastForwardAndLogDet(x: Tensor, kwargs: BijectorKwargs): ForwardResult | null {
    if (this.network === null) return null;
    return onePassForward(this.network, x, kwargs.conditionalInput, this.transform as TransformFamily);
  }

  /**
   * Reference implementation of the sampling direction: E network passes (E = the event's size),
   *
   *   y⁰ = 0,   yᵏ = f(u; θ(yᵏ⁻¹))   for k = 1 … E,
   *
   * exact after E passes because the parameters of the dimension of degree k only see dimensions
   * of degree < k, which are exact from pass k − 1 on. The log-det `Σ log f'(u; θ(y^{E−1}))` equals
   * the one at y^E for the same reason. Slow, obvious, tested against.
   *
   * @param x - base point `u`, shape `[...batch, ...event]`
   * @returns `y` (same shape) and `logDet` `[...batch]` (per event of `eventNdims` axes)
   * @throws as {@link Bijector.forward}
   */
  forwardReference(x: Tensor, kwargs?: BijectorKwargs): ForwardResult {
    const where = `${WHERE}.forwardReference`;
    this.checkInput(x, where, 'x', this.eventNdims);
    return this.forwardLoop(x, this.resolveKwargs(kwargs, where));
  }

  private forwardLoop(u: Tensor, kwargs: BijectorKwargs): ForwardResult {
    const eventSize = sizeOf(u.shape.slice(u.rank - this.eventNdims));
    let y: Tensor = zeros(u.shape);
    let logDet: Tensor = zeros(u.shape.slice(0, u.rank - this.eventNdims));
    for (let k = 0; k < eventSize; k++) {
      if (this.bijectorFn !== null) {
        ({ y, logDet } = this.bijectorAt(y, kwargs).forwardAndLogDet(u, { ...kwargs, eventNdims: this.eventNdims }));
        continue;
      }
      const { theta, shape } = this.paramsAt(y, kwargs);
      ({ value: y, logDet } = this.apply('forward', u, theta, shape));
    }
    return { y, logDet };
  }

  /**
   * `{ className, name, eventNdims, isConstantJacobian, validateArgs, logScaleClamp, network }`, `network` being
   * the AutoregressiveNetwork's config (its weights are saved separately), and `transform`, the
   * family's config, for a family other than the affine one.
   * @throws TypeError when the layer holds a user function, which JSON cannot carry
   */
  override getConfig(): BijectorConfig {
    const where = `${WHERE}.getConfig`;
    assert(this.network !== null,
      () => `${where}: '${this.name}' holds a user ${this.bijectorFn !== null ? "'bijectorFn'" : "'shiftAndLogScaleFn'"}, which JSON cannot carry; build the layer from an AutoregressiveNetwork to save it`, TypeError);
    const network = this.network.getConfig();
    for (const key of ['activation', 'kernelInitializer', 'biasInitializer'] as const) {
      assert(typeof network[key] !== 'function' && !(Array.isArray(network[key]) && (network[key] as unknown[]).some((v) => typeof v === 'function')),
        () => `${where}: the network's '${key}' is a user function, which JSON cannot carry; use a named one to save the layer`, TypeError);
    }
    const family = this.transform as TransformFamily;
    return {
      ...super.getConfig(),
      eventNdims: this.eventNdims,
      isConstantJacobian: this.isConstantJacobian,
      validateArgs: this.validateArgs,
      logScaleClamp: this.logScaleClamp === null ? null : { ...this.logScaleClamp },
      ...(family.name === 'affine' ? {} : { transform: family.getConfig() as unknown as JsonValue }),
      network: JSON.parse(JSON.stringify(network)) as JsonValue,
    };
  }

  /** Rebuilds the layer and a fresh network (same seed, hence same initial weights) from {@link getConfig}'s output. */
  static fromConfig(config: BijectorConfig): MaskedAutoregressiveFlow {
    const network = AutoregressiveNetwork.fromConfig(config.network as unknown as AutoregressiveNetworkConfig);
    const transform = config.transform === undefined ? undefined : transformFamilyFromConfig(config.transform as unknown as TransformFamilyConfig);
    return new MaskedAutoregressiveFlow({ network }, {
      name: config.name,
      eventNdims: config.eventNdims as number,
      isConstantJacobian: config.isConstantJacobian as boolean,
      validateArgs: config.validateArgs as boolean,
      // absent from configs written before the option existed
      logScaleClamp: (config.logScaleClamp ?? undefined) as LogScaleClamp | undefined,
      transform,
    });
  }
}

/**
 * The `transform` option checked: a family (or undefined), and no `logScaleClamp` beside a family
 * that is not affine (the clamp belongs to the affine family: `affineFamily({ logScaleClamp })`).
 */
function checkTransform(transform: unknown, logScaleClamp: unknown): TransformFamily | null {
  if (transform === undefined || transform === null) return null;
  const t = transform as Partial<TransformFamily>;
  assert(typeof t === 'object' && typeof t.forward === 'function' && typeof t.inverse === 'function'
    && typeof t.forwardGrad === 'function' && Number.isInteger(t.params),
  () => `${WHERE}: 'transform' must be a transform family (affineFamily(), boundedAffineFamily() or splineFamily()), got ${describe(transform)}`, TypeError);
  assert(logScaleClamp === undefined || logScaleClamp === null,
    () => `${WHERE}: 'logScaleClamp' and 'transform' were both given; pass the clamp to the family instead: affineFamily({ logScaleClamp })`);
  return transform as TransformFamily;
}
