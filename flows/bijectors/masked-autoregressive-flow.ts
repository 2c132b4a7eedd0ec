// MaskedAutoregressiveFlow: one MAF layer, an affine autoregressive bijector driven by MADE (or any autoregressive function).
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { add, mulExp, mulExpValue, sub } from '../../autodiff/ops/binary.js';
import { broadcastTo, unstack } from '../../autodiff/ops/shape.js';
import { neg } from '../../autodiff/ops/unary.js';
import { Tensor, zeros } from '../../autodiff/tensor.js';
import { assert, ValueError } from '../../lib/util/errors.js';
import { fmt, sameShape } from '../../lib/util/shape.js';
import { checkOptions } from '../../lib/util/validate.js';
import { AutoregressiveNetwork, type AutoregressiveNetworkConfig } from '../autoregressive-network.js';
import { gradientWanted, onePassForward } from '../one-pass-sampler.js';
import {
  Bijector, checkName, describe, isPlainObject, sumRightmost,
  type BijectorConfig, type BijectorKwargs, type ForwardResult, type InverseResult, type JsonValue,
} from './bijector.js';
import { checkLogScaleClamp, softClamp, softClampValue, type LogScaleClamp } from './log-scale-clamp.js';

// ForwardResult lived here before every bijector shared it; re-exported so existing imports keep working.
export type { ForwardResult } from './bijector.js';

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
}

/** Every option name the constructor accepts, functions included. */
const MAF_OPTIONS: readonly string[] = [
  'shiftAndLogScaleFn', 'bijectorFn', 'isConstantJacobian', 'eventNdims', 'validateArgs', 'name', 'trainableWeights', 'logScaleClamp',
];

const WHERE = 'MaskedAutoregressiveFlow';

/**
 * One layer of a masked autoregressive flow (Papamakarios et al. 2017), in TFP's directions.
 * With `shift` and `logScale` computed by an autoregressive network from the data-side point:
 *
 *   inverse (data y → base u, density; ONE network pass):
 *     u = (y − shift(y)) · exp(−logScale(y)),        log|det ∂u/∂y| = −Σ_d logScale_d(y)
 *   forward (base u → data y, sampling; E network passes, or one with MADE and no gradient):
 *     y_d = u_d · exp(logScale_d(y_<d)) + shift_d(y_<d),  log|det ∂y/∂u| = +Σ_d logScale_d(y)
 *
 * The Jacobian ∂u/∂y is triangular in the network's input order, with diagonal exp(−logScale),
 * hence the log-det. `inverseAndLogDet` (what `logProb` uses) gets `u` and the log-det from the
 * same single pass (TFP spends two). The sampling recursion follows TFP: start from y = 0 and
 * apply y ← u · exp(logScale(y)) + shift(y) E times; after pass k the first k dimensions in
 * input order are exact, and the last pass's logScale is the final y's, so the log-det comes free.
 * With an AutoregressiveNetwork the same values come from one walk over the degrees instead
 * (flows/one-pass-sampler.ts), each hidden unit and output computed once.
 *
 * Conditioning: `kwargs.conditionalInput` reaches a conditional network (and every kwarg reaches
 * a user function), also inside a `Chain`, by name or all at once.
 *
 * Bounding the scale (opt-in, `logScaleClamp`): logScale = s(r) for the network's raw output r,
 * with s zuko's soft clip onto (min, max) (see flows/bijectors/log-scale-clamp.ts). TFP's MAF has
 * no such bound (only its deprecated default template clipped hard, to [−5, 3]): a flow layer
 * should be free to stretch as much as the data need, and the log-det stays exact either way. The
 * bound trades that freedom for robustness far from the data, where an unbounded network can
 * output log-scales of ±10⁸ and exp overflows.
 *
 * Cost: density O(one MADE pass). Sampling with an AutoregressiveNetwork: O(one MADE pass) too,
 * by walking the degrees once ({@link onePassForward}, with or without `logScaleClamp`), whenever
 * no gradient is wanted (see {@link MaskedAutoregressiveFlow.fastForwardAndLogDet}); otherwise, and
 * with a user function, O(E MADE passes) — the reference loop
 * {@link MaskedAutoregressiveFlow.forwardReference}, which the one-pass sampler is tested against.
 *
 * @see Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057
 * @see Germain et al. 2015, https://arxiv.org/abs/1502.03509
 *
 * @example
 * const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu' });
 * const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
 * const { x: u, logDet } = maf.inverseAndLogDet(y, { eventNdims: 1 }); // one pass
 */
export class MaskedAutoregressiveFlow extends Bijector {
  /** The network, when `shiftAndLogScaleFn` is an AutoregressiveNetwork. */
  readonly network: AutoregressiveNetwork | null;
  /** The shift-and-log-scale function (the network's, wrapped, when given a network), or null with `bijectorFn`. */
  readonly shiftAndLogScaleFn: ShiftAndLogScaleFn | null;
  /** The bijector function, or null with `shiftAndLogScaleFn`. */
  readonly bijectorFn: BijectorFn | null;
  /** Rank of one event. */
  readonly eventNdims: number;
  /** Whether a `bijectorFn`'s bijectors are checked to be elementwise. */
  readonly validateArgs: boolean;
  /** The soft bounds of the log-scale, or null (unbounded, as TFP). See {@link MaskedAutoregressiveFlowOptions.logScaleClamp}. */
  readonly logScaleClamp: LogScaleClamp | null;
  private readonly extraWeights: readonly Tensor[];

  /**
   * @param fns - `{ shiftAndLogScaleFn }` or `{ bijectorFn }` (exactly one), optionally with the
   *   options; or, as TFP's positional form, the network or function itself
   * @param options - see {@link MaskedAutoregressiveFlowOptions}
   * @throws ValueError when both or neither function is given (TFP: "Exactly one of
   *   `shift_and_log_scale_fn` and `bijector_fn` should be specified."), or when the network's
   *   `params` is not 2; TypeError for a function of the wrong kind or an unknown option (naming it);
   *   RangeError for `eventNdims` not a positive integer, or not 1 with a network, or a
   *   `logScaleClamp` whose bounds do not satisfy min < 0 < max
   */
  constructor(
    fns: (MaskedAutoregressiveFlowFunctions & MaskedAutoregressiveFlowOptions) | AutoregressiveNetwork | ShiftAndLogScaleFn,
    options: MaskedAutoregressiveFlowOptions = {},
  ) {
    const given = fns instanceof AutoregressiveNetwork || typeof fns === 'function' ? { shiftAndLogScaleFn: fns } : fns;
    assert(isPlainObject(given), () => `${WHERE}: expected { shiftAndLogScaleFn } or { bijectorFn }, got ${describe(fns)}`, TypeError);
    assert(isPlainObject(options), () => `${WHERE}: 'options' must be an object, got ${describe(options)}`, TypeError);
    const opts = { ...given, ...options };
    // A typo (`evenNdims`, `logScaleClip`) would otherwise be dropped without a word.
    checkOptions(opts, MAF_OPTIONS, WHERE);
    const hasSls = opts.shiftAndLogScaleFn !== undefined && opts.shiftAndLogScaleFn !== null;
    const hasBij = opts.bijectorFn !== undefined && opts.bijectorFn !== null;
    if (hasSls === hasBij) {
      throw new ValueError(`${WHERE}: exactly one of 'shiftAndLogScaleFn' and 'bijectorFn' must be given, got ${hasSls ? 'both' : 'neither'}`);
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
    this.logScaleClamp = checkLogScaleClamp(opts.logScaleClamp, WHERE);

    const extra = opts.trainableWeights ?? [];
    assert(Array.isArray(extra) && extra.every((w) => w instanceof Tensor),
      () => `${WHERE}: 'trainableWeights' must be an array of Tensors, got ${describe(extra)}`, TypeError);
    this.extraWeights = Object.freeze(extra.slice());

    if (hasSls) {
      const fn = opts.shiftAndLogScaleFn;
      if (fn instanceof AutoregressiveNetwork) {
        assert(fn.params === 2,
          () => `${WHERE}: 'shiftAndLogScaleFn' is an AutoregressiveNetwork with params ${fn.params}, expected params 2 (column 0 = shift, 1 = log-scale)`);
        assert(eventNdims === 1, () => `${WHERE}: 'eventNdims' is ${eventNdims}, but an AutoregressiveNetwork acts on vectors: expected 1`, RangeError);
        this.network = fn;
        this.shiftAndLogScaleFn = (y, kwargs) => networkShiftAndLogScale(fn, y, kwargs);
      } else {
        assert(typeof fn === 'function',
          () => `${WHERE}: 'shiftAndLogScaleFn' must be an AutoregressiveNetwork or a function (y, kwargs) => [shift, logScale], got ${describe(fn)}`, TypeError);
        this.network = null;
        this.shiftAndLogScaleFn = fn;
      }
      this.bijectorFn = null;
    } else {
      const fn = opts.bijectorFn;
      assert(typeof fn === 'function', () => `${WHERE}: 'bijectorFn' must be a function (y, kwargs) => Bijector, got ${describe(fn)}`, TypeError);
      this.network = null;
      this.shiftAndLogScaleFn = null;
      this.bijectorFn = fn;
    }
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
   * The affine parameters at the data-side point `y`, each broadcastable to `y` (or null for 0),
   * after checking what a user function returned.
   */
  private shiftAndLogScale(y: Tensor, kwargs: BijectorKwargs): { shift: Tensor | null; logScale: Tensor | null } {
    const where = `${WHERE} '${this.name}': shiftAndLogScaleFn`;
    const out = (this.shiftAndLogScaleFn as ShiftAndLogScaleFn)(y, kwargs);
    let shift: unknown;
    let logScale: unknown;
    if (out instanceof Tensor) {
      assert(out.rank >= 1 && out.shape[out.rank - 1] === 2,
        () => `${where} returned a Tensor of shape ${fmt(out.shape)}; a single Tensor must be [..., 2] (shift, logScale)`);
      [shift, logScale] = unstack(out, -1);
    } else {
      assert(Array.isArray(out) && out.length === 2,
        () => `${where} must return [shift, logScale] (either may be null) or a Tensor [..., 2], got ${describe(out)}`, TypeError);
      [shift, logScale] = out;
    }
    for (const [arg, t] of [['shift', shift], ['logScale', logScale]] as const) {
      assert(t === null || t instanceof Tensor, () => `${where} returned a ${arg} that is ${describe(t)}, expected a Tensor or null`, TypeError);
      if (t !== null) broadcastShapes(`${where} returned a ${arg} that does not fit the input ${fmt(y.shape)}`, (t as Tensor).shape, y.shape);
    }
    // The clamp sits here, where both directions read the log-scale, so they stay each other's inverse.
    const clamp = this.logScaleClamp;
    if (clamp !== null && logScale !== null) logScale = softClamp(logScale as Tensor, clamp);
    return { shift: shift as Tensor | null, logScale: logScale as Tensor | null };
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

  /** `Σ logScale` over the event, with `logScale` broadcast to `shape` (the output's) first. */
  private logDetOf(logScale: Tensor | null, shape: readonly number[]): Tensor {
    if (logScale === null) return zeros(shape.slice(0, shape.length - this.eventNdims));
    const full = sameShape(logScale.shape, shape) ? logScale : broadcastTo(logScale, shape);
    return sumRightmost(full, this.eventNdims);
  }

  /** Density direction, one pass: `u = (y − shift) · exp(−logScale)`, `logDet = −Σ logScale`. */
  protected override _inverseAndLogDet(y: Tensor, kwargs: BijectorKwargs): InverseResult {
    if (this.bijectorFn !== null) return this.bijectorAt(y, kwargs).inverseAndLogDet(y, { ...kwargs, eventNdims: this.eventNdims });
    const fused = this.fusedInverseAndLogDet(y, kwargs);
    if (fused !== null) return fused;
    const { shift, logScale } = this.shiftAndLogScale(y, kwargs);
    let u = shift === null ? y : sub(y, shift);
    // mulExp: (y − shift) · e^(−logScale) without forming e^(−logScale) alone, which overflows first in the tails.
    if (logScale !== null) u = mulExp(u, neg(logScale));
    const logDet = this.logDetOf(logScale, u.shape);
    return { x: u, logDet: logScale === null ? logDet : neg(logDet) }; // no −0 for a missing logScale
  }

  /**
   * The density direction with a network when no gradient is wanted (evaluation `logProb`): the
   * one network pass, then `u_d = (y_d − shift_d) · exp(−logScale_d)` and `logDet = −Σ_d logScale_d`
   * in one loop over the network's flat output, instead of six tensor ops and their buffers. The
   * same operations in the same order as the op path, so the values are bit-identical.
   * Null (use the ops) with a user function, or when a gradient may be wanted.
   */
  private fusedInverseAndLogDet(y: Tensor, kwargs: BijectorKwargs): InverseResult | null {
    const made = this.network;
    const c = kwargs.conditionalInput;
    if (made === null || !made.built || gradientWanted(made, y, c)) return null;
    const out = made.call(y, c === undefined ? {} : { conditionalInput: c }); // [...batch, E, 2]: shift_d at 2d, logScale_d at 2d + 1
    const batch = out.shape.slice(0, -2);
    const E = made.eventSize;
    // y is broadcast against a conditional input's batch shape, as the ops would.
    const yData = sameShape(y.shape.slice(0, -1), batch) ? y.data : broadcastTo(y, [...batch, E]).data;
    const o = out.data;
    const n = o.length / (2 * E);
    const u = new Float64Array(n * E);
    const logDet = new Float64Array(n);
    const clamp = this.logScaleClamp;
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let d = 0, i = b * E; d < E; d++, i++) {
        const logScale = clamp === null ? o[2 * i + 1] : softClampValue(o[2 * i + 1], clamp.min, clamp.max);
        u[i] = mulExpValue(yData[i] - o[2 * i], -logScale);
        s += logScale;
      }
      logDet[b] = -s;
    }
    return { x: new Tensor(u, [...batch, E]), logDet: new Tensor(logDet, batch) };
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
   * sampler ({@link onePassForward}): the cost of ONE network pass instead of E, no graph recorded.
   *
   * It steps aside (null) when grad mode is on and a weight, `x` or the conditional input requires a
   * gradient, so that gradients through sampling, if wanted, still flow through the recorded
   * E-pass recursion. Sample under `noGrad` to get the fast path while training weights:
   * `noGrad(() => flow.sample(n))`. A user function (or `bijectorFn`) always keeps the E-pass loop.
   */
  protected fastForwardAndLogDet(x: Tensor, kwargs: BijectorKwargs): ForwardResult | null {
    if (this.network === null) return null;
    // The walk applies the same soft clamp as the density pass, so forward stays its inverse.
    return onePassForward(this.network, x, kwargs.conditionalInput, this.logScaleClamp);
  }

  /**
   * Reference implementation of the sampling direction: E network passes (E = the event's size),
   *
   *   y⁰ = 0,   yᵏ = u · exp(logScale(yᵏ⁻¹)) + shift(yᵏ⁻¹)   for k = 1 … E,
   *
   * exact after E passes because the parameters of the dimension of degree k only see dimensions
   * of degree < k, which are exact from pass k − 1 on. The log-det `Σ logScale(y^{E−1})` equals
   * `Σ logScale(y^E)` for the same reason. Slow, obvious, tested against.
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
    let eventSize = 1;
    for (const d of u.shape.slice(u.rank - this.eventNdims)) eventSize *= d;
    let y: Tensor = zeros(u.shape);
    let logDet: Tensor = zeros(u.shape.slice(0, u.rank - this.eventNdims));
    for (let k = 0; k < eventSize; k++) {
      if (this.bijectorFn !== null) {
        const r = this.bijectorAt(y, kwargs).forwardAndLogDet(u, { ...kwargs, eventNdims: this.eventNdims });
        y = r.y;
        logDet = r.logDet;
        continue;
      }
      const { shift, logScale } = this.shiftAndLogScale(y, kwargs);
      let next = logScale === null ? u : mulExp(u, logScale);
      if (shift !== null) next = add(next, shift);
      logDet = this.logDetOf(logScale, next.shape);
      y = next;
    }
    return { y, logDet };
  }

  /**
   * `{ className, name, eventNdims, isConstantJacobian, validateArgs, logScaleClamp, network }`, `network` being
   * the AutoregressiveNetwork's config (its weights are saved separately).
   * @throws TypeError when the layer holds a user function, which JSON cannot carry
   */
  override getConfig(): BijectorConfig {
    const where = `${WHERE}.getConfig`;
    assert(this.network !== null,
      () => `${where}: '${this.name}' holds a user ${this.bijectorFn !== null ? "'bijectorFn'" : "'shiftAndLogScaleFn'"}, which JSON cannot carry; build the layer from an AutoregressiveNetwork to save it`, TypeError);
    const network = this.network.getConfig();
    for (const key of ['activation', 'kernelInitializer', 'biasInitializer'] as const) {
      assert(typeof network[key] !== 'function',
        () => `${where}: the network's '${key}' is a user function, which JSON cannot carry; use a named one to save the layer`, TypeError);
    }
    return {
      ...super.getConfig(),
      eventNdims: this.eventNdims,
      isConstantJacobian: this.isConstantJacobian,
      validateArgs: this.validateArgs,
      logScaleClamp: this.logScaleClamp === null ? null : { ...this.logScaleClamp },
      network: JSON.parse(JSON.stringify(network)) as JsonValue,
    };
  }

  /** Rebuilds the layer and a fresh network (same seed, hence same initial weights) from {@link getConfig}'s output. */
  static fromConfig(config: BijectorConfig): MaskedAutoregressiveFlow {
    const network = AutoregressiveNetwork.fromConfig(config.network as unknown as AutoregressiveNetworkConfig);
    return new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: network }, {
      name: config.name,
      eventNdims: config.eventNdims as number,
      isConstantJacobian: config.isConstantJacobian as boolean,
      validateArgs: config.validateArgs as boolean,
      // absent from configs written before the option existed
      logScaleClamp: (config.logScaleClamp ?? undefined) as LogScaleClamp | undefined,
    });
  }
}

/**
 * The network's output `[..., E, 2]` split into `shift = [..., :, 0]` and `logScale = [..., :, 1]`
 * (event-major layout: parameter p of dimension d at `[..., d, p]`). Only `conditionalInput`
 * reaches the network.
 */
function networkShiftAndLogScale(made: AutoregressiveNetwork, y: Tensor, kwargs: BijectorKwargs): ShiftAndLogScale {
  const c = kwargs.conditionalInput;
  const out = made.call(y, c === undefined ? {} : { conditionalInput: c });
  const [shift, logScale] = unstack(out, -1);
  return [shift, logScale];
}
