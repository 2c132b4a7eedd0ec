// The optimizer base: validated options, Keras's gradient clipping, per-parameter slots, and JSON-safe state.
import { assert, ValueError } from '../../lib/util/errors.js';
import { checkNoHoles } from '../../lib/util/arrays.js';
import { fmt } from '../../lib/util/shape.js';
import { checkFiniteNumber, checkOptions, describe } from '../../lib/util/validate.js';
import { Tensor } from '../tensor.js';

/**
 * Gradient clipping shared by every optimizer, as in Keras (`clipnorm`,
 * `global_clipnorm`, `clipvalue`). At most one of `clipNorm` and `globalClipNorm`
 * may be set; `clipValue` combines with either and is applied first, as legacy
 * tf.keras `OptimizerV2._transform_gradients` does. Clipping by value first and by
 * norm second keeps both bounds, since the norm step only shrinks entries.
 */
export interface ClipOptions {
  /** Each gradient tensor g is rescaled to g · c/‖g‖₂ when ‖g‖₂ > c. */
  clipNorm?: number;
  /** All gradients are rescaled together by c/N when their joint norm N = √(Σ_p ‖g_p‖₂²) exceeds c. */
  globalClipNorm?: number;
  /** Each entry is clipped to [−v, v]. */
  clipValue?: number;
}

/**
 * An optimizer's state in plain JSON: the step count and, for every slot (Adam's
 * `m` and `v`, SGD's `velocity`), one flat array per parameter in parameter order.
 * `JSON.stringify` keeps every float64 exactly, so a saved state resumes bit for bit.
 */
export interface OptimizerState {
  /** Steps taken so far (the `t` of Adam's bias correction is `iterations + 1` at the next step). */
  iterations: number;
  /** Slot name → `slots[name][i]` holds parameter `i`'s slot values, row-major, `params[i].size` long. */
  slots: Record<string, number[][]>;
}

/**
 * A copy of everything {@link Optimizer.step} changes, from {@link Optimizer.snapshot}; opaque
 * outside the optimizer. `fit` keeps one from before each step, to put the optimizer back as it
 * was after the last good step when training fails.
 */
export interface OptimizerSnapshot {
  /** The step count. */
  iterations: number;
  /** The parameters the optimizer knew, in their order. */
  tracked: Tensor[];
  /** A copy of each known parameter's slots. */
  slots: Map<Tensor, Float64Array[]>;
  /** A copy of slots given to `setState` and not yet bound to parameters, or `null`. */
  pending: Float64Array[][] | null;
}

/**
 * Base of the optimizers. `step(params)` reads each parameter's `.grad`, checks every
 * entry is finite, clips, and updates `p.data` in place (layers share their weights by
 * reference, so the update is visible to them). It works on the raw `Float64Array`s and
 * never builds a graph.
 *
 * Slots (moment estimates) are kept per parameter tensor, made with zeros the first
 * time a tensor is passed to `step`, and exported by {@link Optimizer.getState} in
 * parameter order.
 *
 * Subclasses validate their own options, name their slots, and implement
 * {@link Optimizer.applyUpdate}; each also has a static `fromConfig(config)` that
 * rebuilds it from {@link Optimizer.getConfig} (TypeScript has no abstract statics).
 */
export abstract class Optimizer {
  /** The class name used in every message and in saved files, e.g. `'Adam'`. */
  readonly className: string;
  /** Per-tensor clipping norm, if set. */
  readonly clipNorm: number | undefined;
  /** Joint clipping norm over all gradients of a step, if set. */
  readonly globalClipNorm: number | undefined;
  /** Elementwise clipping bound, if set. */
  readonly clipValue: number | undefined;
  /** Names of the per-parameter slots, in the order `applyUpdate` receives them. */
  protected abstract readonly slotNames: readonly string[];

  private lr: number;
  private iterationCount = 0;
  /** Parameters in the order they were first passed to `step` (or to `setState`). */
  private tracked: Tensor[] = [];
  private slotsByParam = new Map<Tensor, Float64Array[]>();
  /** Slots from `setState` called before the optimizer knew any parameter; bound at the next `step`. */
  private pending: { slots: Float64Array[][] } | null = null;

  /**
   * @param className - for messages, e.g. `'Adam'`
   * @param options - the user's options object (checked here for kind and unknown keys)
   * @param ownKeys - option names the subclass accepts besides `learningRate` and the clip options
   * @param defaultLearningRate - Keras's default for this optimizer
   */
  protected constructor(className: string, options: unknown, ownKeys: readonly string[], defaultLearningRate: number) {
    this.className = className;
    const o = checkOptions(options, ['learningRate', ...ownKeys, 'clipNorm', 'globalClipNorm', 'clipValue'], className);
    this.lr = checkFiniteNumber(o.learningRate, 'learningRate', className, { gt: 0 }, defaultLearningRate);
    this.clipNorm = optionalPositive(o.clipNorm, 'clipNorm', className);
    this.globalClipNorm = optionalPositive(o.globalClipNorm, 'globalClipNorm', className);
    this.clipValue = optionalPositive(o.clipValue, 'clipValue', className);
    // Keras: a per-tensor and a global norm clip would contradict each other.
    assert(this.clipNorm === undefined || this.globalClipNorm === undefined, () =>
      `${className}: at most one of 'clipNorm' and 'globalClipNorm' can be set, got clipNorm=${this.clipNorm}, globalClipNorm=${this.globalClipNorm}`);
  }

  /** The step size. Settable (for schedules); must stay a finite number > 0. */
  get learningRate(): number {
    return this.lr;
  }

  /**
   * Changes the step size from the next `step` on (a schedule sets it between epochs).
   * @throws TypeError when `value` is not a number; RangeError when it is not finite and > 0
   */
  set learningRate(value: number) {
    this.lr = checkFiniteNumber(value, 'learningRate', this.className, { gt: 0 }, this.lr);
  }

  /** Number of steps applied so far. */
  get iterations(): number {
    return this.iterationCount;
  }

  /**
   * Updates one parameter in place. Called once per parameter with a gradient, after
   * the step counter was incremented, so `t` is 1 on the first step.
   *
   * @param w - the parameter's data, updated in place
   * @param g - its (clipped) gradient; read only, it may be the tensor's own `.grad` buffer
   * @param slots - this parameter's slots in {@link Optimizer.slotNames} order, updated in place
   * @param t - the 1-based step number
   */
  protected abstract applyUpdate(w: Float64Array, g: Float64Array, slots: Float64Array[], t: number): void;

  /** The constructor options that rebuild this optimizer (JSON-safe; unset clip options are left out). */
  abstract getConfig(): object;

  /** `learningRate` and the clip options that are set, for subclasses' `getConfig`. */
  protected baseConfig(): {
    /** The current step size. */
    learningRate: number;
  } & ClipOptions {
    const config: { learningRate: number } & ClipOptions = { learningRate: this.lr };
    if (this.clipNorm !== undefined) config.clipNorm = this.clipNorm;
    if (this.globalClipNorm !== undefined) config.globalClipNorm = this.globalClipNorm;
    if (this.clipValue !== undefined) config.clipValue = this.clipValue;
    return config;
  }

  /**
   * One optimization step over `params`, in place:
   * check every gradient is finite, clip (value, then norm or global norm), then apply
   * the subclass's update to each parameter whose `.grad` is set. Parameters whose
   * `.grad` is `null` got no gradient and are left alone (their slots are still made,
   * so the exported state lists every parameter).
   *
   * Nothing is changed unless the whole step succeeds: on a non-finite gradient entry
   * the parameters, slots and step count stay as they were, so a caller can keep the
   * last good weights.
   *
   * @param params - leaf tensors (weights), the same list in the same order at every step
   * @throws TypeError if `params` is not an array of Tensors
   * @throws ValueError naming the optimizer and the parameter index if a gradient entry is
   *   NaN or ±∞, if a gradient's size differs from its parameter's, if a tensor appears twice,
   *   or if no parameter has a gradient (`backward()` was not called)
   */
  step(params: readonly Tensor[]): void {
    const where = `${this.className}.step`;
    checkParams(params, where);
    if (params.length === 0) return;

    const grads: Array<Float64Array | null> = params.map((p, i) => {
      if (p.grad === null) return null;
      assert(p.grad.size === p.size, () =>
        `${where}: gradient of parameter ${i} has shape ${fmt(p.grad!.shape)}, expected ${fmt(p.shape)}`);
      return p.grad.data;
    });
    assert(grads.some((g) => g !== null), () =>
      `${where}: none of the ${params.length} parameters has a gradient (every .grad is null); call backward() on the loss first`);
    grads.forEach((g, i) => {
      if (g === null) return;
      for (let j = 0; j < g.length; j++) {
        if (!Number.isFinite(g[j])) {
          throw new ValueError(`${where}: gradient of parameter ${i} (shape ${fmt(params[i].shape)}) has a non-finite entry ${g[j]} at index ${j}; no parameter or slot was changed`);
        }
      }
    });
    if (this.pending !== null) {
      const n = this.pending.slots[0]?.length ?? 0;
      assert(this.slotNames.length === 0 || n === params.length, () =>
        `${where}: the state given to setState holds ${n} parameters, but step got ${params.length}`);
      this.pending.slots.forEach((perParam, s) => perParam.forEach((arr, i) => {
        assert(arr.length === params[i].size, () =>
          `${where}: the state given to setState has ${arr.length} values in slot '${this.slotNames[s]}' for parameter ${i}, but it has shape ${fmt(params[i].shape)} (${params[i].size} values)`);
      }));
    }

    const clipped = this.clip(grads);

    // Only bookkeeping from here on: nothing below can throw.
    if (this.pending !== null) {
      const slots = this.pending.slots;
      this.bind(params, (i) => slots.map((perParam) => perParam[i]));
      this.pending = null;
    }
    for (const p of params) {
      if (!this.slotsByParam.has(p)) {
        this.slotsByParam.set(p, this.slotNames.map(() => new Float64Array(p.size)));
        this.tracked.push(p);
      }
    }
    const t = ++this.iterationCount;
    params.forEach((p, i) => {
      const g = clipped[i];
      if (g !== null) this.applyUpdate(p.data, g, this.slotsByParam.get(p)!, t);
    });
  }

  /**
   * A copy of the step count and every slot, for {@link Optimizer.restoreSnapshot}.
   * @param into - an earlier snapshot whose buffers are reused (a training loop takes one per step)
   */
  snapshot(into?: OptimizerSnapshot): OptimizerSnapshot {
    const s: OptimizerSnapshot = into ?? { iterations: 0, tracked: [], slots: new Map(), pending: null };
    s.iterations = this.iterationCount;
    s.tracked = this.tracked.slice();
    for (const p of this.tracked) {
      const live = this.slotsByParam.get(p) as Float64Array[];
      const copy = s.slots.get(p);
      if (copy === undefined || copy.length !== live.length) s.slots.set(p, live.map((a) => a.slice()));
      else live.forEach((a, k) => copy[k].set(a));
    }
    s.pending = this.pending === null ? null : this.pending.slots.map((perParam) => perParam.map((a) => a.slice()));
    return s;
  }

  /**
   * Puts back the step count and every slot from {@link Optimizer.snapshot}: the optimizer
   * forgets the steps taken since (a parameter it first saw since has no slots again).
   */
  restoreSnapshot(s: OptimizerSnapshot): void {
    this.iterationCount = s.iterations;
    this.tracked = s.tracked.slice();
    this.slotsByParam = new Map(s.tracked.map((p) => [p, (s.slots.get(p) as Float64Array[]).map((a) => a.slice())]));
    this.pending = s.pending === null ? null : { slots: s.pending.map((perParam) => perParam.map((a) => a.slice())) };
  }

  /**
   * What is wrong with a finite `value` in slot `slot`, or `null` if nothing: the check of
   * meaning that {@link Optimizer.setState} applies to every entry (Adam's `v`, an average of
   * squares, cannot be negative). The base class accepts every finite value.
   */
  protected slotValueProblem(_slot: string, _value: number): string | null {
    return null;
  }

  /** Sets `.grad` of every parameter to `null`, ready for the next `backward()`. */
  zeroGrad(params: readonly Tensor[]): void {
    checkParams(params, `${this.className}.zeroGrad`);
    for (const p of params) p.zeroGrad();
  }

  /**
   * The step count and slots as plain numbers, for saving with the model.
   *
   * @param params - the parameter order to export; defaults to the order the parameters were
   *   first passed to `step`. A parameter the optimizer has not seen gets zero slots.
   */
  getState(params?: readonly Tensor[]): OptimizerState {
    const order = params ?? this.tracked;
    if (params !== undefined) checkParams(params, `${this.className}.getState`);
    const slots: Record<string, number[][]> = {};
    this.slotNames.forEach((name, s) => {
      // Slots waiting for their parameters are positional already.
      if (this.pending !== null) {
        slots[name] = this.pending.slots[s].map((arr) => Array.from(arr));
      } else {
        slots[name] = order.map((p) => Array.from(this.slotsByParam.get(p)?.[s] ?? new Float64Array(p.size)));
      }
    });
    return { iterations: this.iterationCount, slots };
  }

  /**
   * Restores a state from {@link Optimizer.getState} (for example after `JSON.parse`), so
   * training continues exactly where it stopped. Everything is checked before anything
   * changes: on any mismatch the optimizer is left as it was.
   *
   * @param state - `iterations` (a non-negative integer) and exactly this optimizer's slot names,
   *   each with one array of finite numbers per parameter
   * @param params - the parameters the arrays belong to, in order. Defaults to the parameters
   *   already passed to `step`; if there are none yet, the arrays are bound (and their sizes
   *   checked) at the next `step`.
   * @throws TypeError if `state` or its fields have the wrong kind
   * @throws RangeError for a value without meaning in its slot (a negative Adam `v`)
   * @throws ValueError naming the slot and parameter whose count or size does not match
   */
  setState(state: OptimizerState, params?: readonly Tensor[]): void {
    const where = `${this.className}.setState`;
    if (params !== undefined) checkParams(params, where);
    assert(typeof state === 'object' && state !== null && !Array.isArray(state), () =>
      `${where}: 'state' must be an object { iterations, slots }, got ${describe(state)}`, TypeError);
    assert(typeof state.iterations === 'number' && Number.isInteger(state.iterations) && state.iterations >= 0, () =>
      `${where}: 'state.iterations' must be a non-negative integer, got ${describe(state.iterations)}`, TypeError);
    assert(typeof state.slots === 'object' && state.slots !== null && !Array.isArray(state.slots), () =>
      `${where}: 'state.slots' must be an object mapping slot names to arrays, got ${describe(state.slots)}`, TypeError);
    const given = Object.keys(state.slots).sort();
    const expected = [...this.slotNames].sort();
    assert(given.length === expected.length && given.every((k, i) => k === expected[i]), () =>
      `${where}: 'state.slots' has slots [${given.join(', ')}], expected [${expected.join(', ')}]`);

    const target = params ?? (this.tracked.length > 0 ? this.tracked : null);
    const arrays: Float64Array[][] = this.slotNames.map((name) => {
      const perParam: unknown = state.slots[name];
      assert(Array.isArray(perParam), () => `${where}: slot '${name}' must be an array of arrays, got ${describe(perParam)}`, TypeError);
      checkNoHoles(perParam, `state.slots.${name}`, where);
      if (target !== null) {
        assert(perParam.length === target.length, () =>
          `${where}: slot '${name}' holds ${perParam.length} parameters, expected ${target.length}`);
      }
      return perParam.map((values: unknown, i: number) => {
        assert(Array.isArray(values), () => `${where}: slot '${name}' entry ${i} must be an array of numbers, got ${describe(values)}`, TypeError);
        checkNoHoles(values, `state.slots.${name}[${i}]`, where);
        if (target !== null) {
          assert(values.length === target[i].size, () =>
            `${where}: slot '${name}' has ${values.length} values for parameter ${i}, expected ${target[i].size} (shape ${fmt(target[i].shape)})`);
        }
        const arr = new Float64Array(values.length);
        for (let j = 0; j < values.length; j++) {
          const v: unknown = values[j];
          assert(typeof v === 'number' && Number.isFinite(v), () =>
            `${where}: slot '${name}' parameter ${i} index ${j} is ${describe(v)}, expected a finite number`, TypeError);
          const problem = this.slotValueProblem(name, v);
          assert(problem === null, () => `${where}: slot '${name}' parameter ${i} index ${j} is ${v}, expected ${problem}`, RangeError);
          arr[j] = v;
        }
        return arr;
      });
    });
    if (target === null) {
      const counts = arrays.map((a) => a.length);
      assert(counts.every((c) => c === counts[0]), () =>
        `${where}: slots hold different numbers of parameters (${this.slotNames.map((n, s) => `${n}: ${counts[s]}`).join(', ')})`);
    }

    this.iterationCount = state.iterations;
    if (target === null) {
      this.pending = { slots: arrays };
    } else {
      this.pending = null;
      this.bind(target, (i) => arrays.map((perParam) => perParam[i]));
    }
  }

  /** Replaces all slots by `slotsOf(i)` for `params[i]`, and makes `params` the tracked order. */
  private bind(params: readonly Tensor[], slotsOf: (i: number) => Float64Array[]): void {
    this.slotsByParam = new Map();
    this.tracked = params.slice();
    params.forEach((p, i) => this.slotsByParam.set(p, slotsOf(i)));
  }

  /**
   * Clipped copies of the gradients (the originals when no clipping is set; `.grad` is never mutated).
   * Value clipping first, then per-tensor or global norm clipping.
   */
  private clip(grads: ReadonlyArray<Float64Array | null>): Array<Float64Array | null> {
    if (this.clipNorm === undefined && this.globalClipNorm === undefined && this.clipValue === undefined) return grads.slice();
    const out: Array<Float64Array | null> = grads.map((g) => (g === null ? null : g.slice()));
    if (this.clipValue !== undefined) {
      const c = this.clipValue;
      for (const g of out) if (g !== null) for (let j = 0; j < g.length; j++) g[j] = Math.min(c, Math.max(-c, g[j]));
    }
    if (this.clipNorm !== undefined) {
      const c = this.clipNorm;
      for (const g of out) {
        if (g === null) continue;
        const n = l2Norm([g]);
        // tf.clip_by_norm: g · c / max(‖g‖, c); skipping the ‖g‖ ≤ c case keeps g bit-exact there.
        if (n <= c) continue;
        const scale = c / n;
        for (let j = 0; j < g.length; j++) g[j] *= scale;
      }
    }
    if (this.globalClipNorm !== undefined) {
      const c = this.globalClipNorm;
      const present = out.filter((g): g is Float64Array => g !== null);
      const n = l2Norm(present);
      if (n > c) {
        const scale = c / n;
        for (const g of present) for (let j = 0; j < g.length; j++) g[j] *= scale;
      }
    }
    return out;
  }
}

/**
 * √(Σ x²) over several arrays of finite values. Squares of entries past ~1e154 overflow
 * to ∞, which would clip a finite gradient to zero; dividing by the largest |x| first
 * keeps the sum in range.
 */
function l2Norm(arrays: readonly Float64Array[]): number {
  let big = 0;
  for (const a of arrays) for (let j = 0; j < a.length; j++) big = Math.max(big, Math.abs(a[j]));
  if (big === 0) return 0;
  let s = 0;
  for (const a of arrays) {
    for (let j = 0; j < a.length; j++) {
      const r = a[j] / big;
      s += r * r;
    }
  }
  return big * Math.sqrt(s);
}

/** @throws TypeError unless `params` is an array of Tensors; ValueError if one appears twice */
function checkParams(params: unknown, where: string): asserts params is readonly Tensor[] {
  assert(Array.isArray(params), () => `${where}: 'params' must be an array of Tensors, got ${describe(params)}`, TypeError);
  checkNoHoles(params, 'params', where);
  const seen = new Set<Tensor>();
  (params as unknown[]).forEach((p, i) => {
    assert(p instanceof Tensor, () => `${where}: params[${i}] must be a Tensor, got ${describe(p)}`, TypeError);
    assert(!seen.has(p), () => `${where}: params[${i}] is the same tensor as an earlier entry; each parameter must appear once`);
    seen.add(p);
  });
}

/** An optional option that must be a finite number > 0 when given (the clipping thresholds). */
function optionalPositive(value: unknown, name: string, where: string): number | undefined {
  return value === undefined ? undefined : checkFiniteNumber(value, name, where, { gt: 0 });
}
