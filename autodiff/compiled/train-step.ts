// A compiled training step: the graph of one step recorded once, then replayed on new batches with no tensors made, no checks and no allocation.
import { assert } from '../../lib/util/errors.js';
import { fmt, sameShape } from '../../lib/util/shape.js';
import { Optimizer } from '../optimizers/optimizer.js';
import { describe } from '../../lib/util/validate.js';
import { isGradEnabled, recordTape, Tensor, topologicalOrder } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensor-like.js';

/** What {@link CompiledTrainStep.debug} reports. */
export interface CompiledStepDebug {
  /** Whether the last step was a replay of a recorded graph. */
  replayed: boolean;
  /** Why steps run uncompiled from now on, or null while replays are possible. */
  reason: string | null;
  /** Steps that recorded a graph (one per new input shape). */
  recordings: number;
  /** Steps replayed. */
  replays: number;
  /** Steps run as written, graph and all: recordings, the check of each recording, and every step once replays have stopped. */
  uncompiled: number;
}

/** The graph of one step for one set of input shapes, and what replaying it needs. */
interface Plan {
  /** The step's own copies of the inputs: a replay copies each batch into them. */
  inputs: Tensor[];
  loss: Tensor;
  /** Every op's forward, in the order the ops ran. */
  forwards: Array<() => void>;
  /** The nodes the loss depends on, parents before children (as `Tensor.backward` visits them, in reverse). */
  order: Tensor[];
  /** Whether a replay has been checked against the uncompiled step, bit for bit. */
  verified: boolean;
}

// A few input shapes at once: the full batch and the last, smaller batch of an epoch, say.
const MAX_PLANS = 4;

/**
 * A training step compiled from a loss function: `step(...inputs)` computes the loss, its
 * gradient with respect to `weights`, and one optimizer update, with the same bits as
 *
 * ```ts no-run
 * optimizer.zeroGrad(weights);
 * const loss = lossFn(...inputs);
 * loss.backward();
 * optimizer.step(weights);
 * ```
 *
 * but without building a graph each time. The first step for a set of input shapes runs exactly
 * that, recording every op's forward (each op hands `record` a closure that recomputes its output
 * in place from its inputs' current data). Later steps with the same shapes copy the inputs into
 * the recorded ones, run the recorded forwards in order, seed the loss's gradient with 1, run the
 * recorded backwards in reverse order into the gradient buffers of the first step, and update the
 * weights: no Tensor is made, no argument is checked, nothing is allocated. Small models, where
 * those costs dominate the arithmetic, train several times faster.
 *
 * The second step of each recording is run both ways and compared bit for bit, which catches a
 * loss that computes something from the data outside the ops (which a replay would not redo).
 * Steps run uncompiled (and {@link CompiledTrainStep.debug} says why) when an op of the loss
 * cannot be replayed (one without a forward closure), when that check fails, or for a fifth input
 * shape. A new input shape records a new graph.
 *
 * What a replay cannot see, the loss must not depend on: tensors other than the inputs and the
 * weights are read as they are now (in place changes to their data are seen, a new tensor is not),
 * and a loss that draws random numbers (dropout) replays the first draw. Pass whatever changes per
 * step as an input. The check of the second step calls `lossFn` once more, which such a loss notices
 * (one more draw). The weights' and intermediate gradient buffers are reused from step to step.
 *
 * @param lossFn - the loss of a batch, a scalar Tensor, from the step's inputs (each a Tensor)
 * @param weights - the tensors the optimizer updates
 * @param optimizer - the optimizer
 * @example
 * const step = compileTrainStep((x) => neg(mean(flow.logProb(x))), flow.trainableWeights, new Adam());
 * for (const batch of batches) step.step(batch); // the loss of each batch, before its update
 */
export class CompiledTrainStep {
  /** Counters and the reason for running uncompiled, for tests and tuning. */
  readonly debug: CompiledStepDebug = { replayed: false, reason: null, recordings: 0, replays: 0, uncompiled: 0 };
  private readonly plans = new Map<string, Plan>();
  private last: Plan | null = null;

  constructor(
    private readonly lossFn: (...inputs: Tensor[]) => Tensor,
    private readonly weights: readonly Tensor[],
    private readonly optimizer: Optimizer,
  ) {
    assert(typeof lossFn === 'function', () => `compileTrainStep: 'lossFn' must be a function of the step's inputs, got ${describe(lossFn)}`, TypeError);
    assert(Array.isArray(weights) && weights.every((w) => w instanceof Tensor),
      () => `compileTrainStep: 'weights' must be an array of Tensors, got ${describe(weights)}`, TypeError);
    assert(optimizer instanceof Optimizer, () => `compileTrainStep: 'optimizer' must be an Optimizer (e.g. new Adam()), got ${describe(optimizer)}`, TypeError);
  }

  /**
   * One training step on `inputs`: the loss, its gradient, and the optimizer's update.
   * @param inputs - the step's inputs (a batch, conditions, …), passed to `lossFn` as Tensors
   * @returns the loss before the update
   * @throws ValueError from the optimizer on a non-finite gradient (nothing is updated then)
   */
  step(...inputs: TensorLike[]): number {
    const value = this.lossAndGradients(...inputs);
    this.optimizer.step(this.weights);
    return value;
  }

  /**
   * The loss of `inputs` and its gradient, left in the weights' `.grad` (zeroed first), without
   * the optimizer's update: for a caller that checks the loss before it updates (`fit` does).
   * @returns the loss
   */
  lossAndGradients(...inputs: TensorLike[]): number {
    assert(isGradEnabled(), () => 'CompiledTrainStep: called inside noGrad, where no gradient can be computed');
    const xs = inputs.map((x, k) => toTensor(x, `inputs[${k}]`, 'CompiledTrainStep'));
    // The plan of the last step, when the shapes repeat (no key to build); else the one for these shapes.
    const last = this.last;
    const key = last !== null && sameShapes(last.inputs, xs) ? null : xs.map((x) => fmt(x.shape)).join(' ');
    const plan = key === null ? (last as Plan) : this.plans.get(key);
    this.last = plan ?? null;
    this.debug.replayed = false;
    if (this.debug.reason !== null || (plan === undefined && this.plans.size >= MAX_PLANS)) return this.uncompiled(xs);
    if (plan === undefined) return this.record(key as string, xs);
    for (let k = 0; k < xs.length; k++) plan.inputs[k].data.set(xs[k].data);
    const value = this.replay(plan);
    if (!plan.verified) return this.verify(plan, xs, value);
    this.debug.replayed = true;
    this.debug.replays++;
    return value;
  }

  /**
   * Stops replaying: every later step runs uncompiled.
   * @param reason - what {@link CompiledStepDebug.reason} will say
   */
  disable(reason: string): void {
    this.debug.reason ??= reason;
    this.plans.clear();
    this.last = null;
  }

  /** The step as written, graph and all. */
  private uncompiled(xs: Tensor[]): number {
    this.debug.uncompiled++;
    this.optimizer.zeroGrad(this.weights);
    const loss = this.lossOf(this.lossFn(...xs));
    loss.backward();
    return loss.data[0];
  }

  /** Runs the step on copies of the inputs, recording every op; keeps the plan if it can be replayed. */
  private record(key: string, xs: Tensor[]): number {
    const inputs = xs.map((x) => new Tensor(x.data.slice(), x.shape));
    const { result, tape } = recordTape(() => this.lossFn(...inputs));
    const loss = this.lossOf(result);
    this.optimizer.zeroGrad(this.weights);
    const order = topologicalOrder(loss);
    const plan: Plan = { inputs, loss, forwards: tape.forwards, order, verified: false };
    backward(plan);
    this.debug.uncompiled++;
    if (tape.missing.length > 0) {
      this.disable(`the loss uses ops that cannot be replayed: ${[...new Set(tape.missing)].join(', ')}`);
    } else if (this.debug.reason === null) {
      this.debug.recordings++;
      // From now on these gradients are zeroed and reused, not allocated, on every replay.
      for (const node of order) node.spareGrad ??= node.grad;
      this.plans.set(key, plan);
    }
    return loss.data[0];
  }

  /** The plan's forwards and backwards; the loss. */
  private replay(plan: Plan): number {
    const { forwards } = plan;
    for (let k = 0; k < forwards.length; k++) forwards[k]();
    // optimizer.zeroGrad without its argument checks: the weights were checked once, in the constructor.
    for (let k = 0; k < this.weights.length; k++) this.weights[k].zeroGrad();
    backward(plan);
    return plan.loss.data[0];
  }

  /**
   * The first replay of a plan, checked against the uncompiled step on the same inputs: the same
   * loss and every weight's gradient, bit for bit; otherwise replays stop.
   */
  private verify(plan: Plan, xs: Tensor[], value: number): number {
    const grads = this.weights.map((w) => (w.grad === null ? null : w.grad.data.slice()));
    const checked = this.uncompiled(xs);
    const same = Object.is(value, checked) && this.weights.every((w, i) => {
      const g = grads[i];
      return g === null ? w.grad === null : w.grad !== null && sameBits(g, w.grad.data);
    });
    if (same) plan.verified = true;
    else this.disable('a replay differed from the uncompiled step: the loss computes something from its inputs outside the ops');
    return checked;
  }

  /** Checks that the loss function gave a scalar that depends on a weight (`backward` says so, as in the uncompiled step). */
  private lossOf(loss: unknown): Tensor {
    assert(loss instanceof Tensor && loss.size === 1,
      () => `CompiledTrainStep: 'lossFn' must return a scalar Tensor, got ${loss instanceof Tensor ? `shape ${fmt(loss.shape)}` : typeof loss}`, TypeError);
    if (!loss.requiresGrad) loss.backward();
    return loss;
  }
}

/**
 * `plan.loss.backward()` with the plan's order and no checks: the same visits in the same order,
 * so the same bits. Intermediate gradients are dropped after use (their buffers stay, as spares).
 */
function backward(plan: Plan): void {
  const { order, loss } = plan;
  for (let i = 0; i < order.length; i++) if (order[i].backwardFn !== null) order[i].grad = null;
  loss.gradData()[0] += 1;
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (node.backwardFn === null) continue;
    if (node.grad !== null) {
      node.backwardFn();
      node.spareGrad ??= node.grad;
    }
    node.grad = null;
  }
}

/** True when the tensors of `p` and `q` have the same shapes, pairwise. */
function sameShapes(p: readonly Tensor[], q: readonly Tensor[]): boolean {
  if (p.length !== q.length) return false;
  for (let k = 0; k < p.length; k++) if (!sameShape(p[k].shape, q[k].shape)) return false;
  return true;
}

/** True when the arrays hold the same doubles bit for bit (−0 ≠ 0, NaN = NaN). */
function sameBits(p: Float64Array, q: Float64Array): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
  return true;
}

/**
 * Compiles a training step; see {@link CompiledTrainStep}.
 *
 * @param lossFn - the loss of a batch, a scalar Tensor, from the step's inputs
 * @param weights - the tensors the optimizer updates
 * @param optimizer - the optimizer
 * @returns the step: `step(...inputs)` trains on one batch and returns its loss
 * @throws TypeError when `lossFn` is not a function, `weights` not an array of Tensors or `optimizer` not an Optimizer, each naming what arrived
 */
export function compileTrainStep(lossFn: (...inputs: Tensor[]) => Tensor, weights: readonly Tensor[], optimizer: Optimizer): CompiledTrainStep {
  return new CompiledTrainStep(lossFn, weights, optimizer);
}

/**
 * Wraps `target` so that any use of it (reading a property, such as calling a method) is noted:
 * `fit` passes its random stream through one while recording, and does not replay a model that
 * draws from it, since a replay would repeat the recorded draws.
 * @internal
 */
export function watchUse<T extends object>(target: T): { value: T; used: () => boolean } {
  let used = false;
  const value = new Proxy(target, {
    get(t, key) {
      used = true;
      const v: unknown = Reflect.get(t, key, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  return { value, used: () => used };
}
