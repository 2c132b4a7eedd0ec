// "Last good state": everything fit changes, copied before each step so a failed fit can put all of it back.
import type { Optimizer, OptimizerSnapshot } from '../../autodiff/optimizers/optimizer.js';
import type { Tensor } from '../../autodiff/tensor.js';

/**
 * Everything a training step changes, copied so that a failed `fit` leaves the model as it was
 * after its last good step:
 *
 * - every weight of the model, trainable (kernels, biases, batch norm's `logGamma`, `beta`) and
 *   not (batch norm's running mean and variance, which the forward pass moves);
 * - the optimizer's step count and slots (Adam's `m` and `v`, SGD's velocity).
 *
 * `save` reuses its buffers, so a step costs one copy of the weights and slots, no allocation.
 */
export class TrainingState {
  private readonly copies: Float64Array[];
  private optimizerCopy: OptimizerSnapshot | undefined;
  private readonly initialCopies: Float64Array[];
  private readonly initialOptimizer: OptimizerSnapshot;

  /**
   * Copies the state as it is now.
   * @param weights - every weight training may change, trainable or not
   * @param optimizer - the optimizer that will step them
   */
  constructor(private readonly weights: readonly Tensor[], private readonly optimizer: Optimizer) {
    this.copies = weights.map((w) => w.data.slice());
    this.optimizerCopy = optimizer.snapshot();
    this.initialCopies = weights.map((w) => w.data.slice());
    this.initialOptimizer = optimizer.snapshot();
  }

  /** Copies the state as it is now over the previous copy. */
  save(): void {
    this.weights.forEach((w, i) => this.copies[i].set(w.data));
    this.optimizerCopy = this.optimizer.snapshot(this.optimizerCopy);
  }

  /** Puts the last copy back into the weights (in place) and the optimizer. */
  restore(): void {
    this.weights.forEach((w, i) => w.data.set(this.copies[i]));
    if (this.optimizerCopy !== undefined) this.optimizer.restoreSnapshot(this.optimizerCopy);
  }

  /** Puts back the state as it was when this object was made (before fit's first step). */
  restoreInitial(): void {
    this.weights.forEach((w, i) => w.data.set(this.initialCopies[i]));
    this.optimizer.restoreSnapshot(this.initialOptimizer);
  }
}

/** Where a list of tensors first holds NaN or ±∞: the tensor's index, the flat index and the value; `null` if nowhere. */
export function firstNonFinite(tensors: readonly Tensor[]): { tensor: number; index: number; value: number } | null {
  for (let t = 0; t < tensors.length; t++) {
    const d = tensors[t].data;
    // v − v is 0 for every finite v and NaN for NaN and ±∞.
    for (let i = 0; i < d.length; i++) if (d[i] - d[i] !== 0) return { tensor: t, index: i, value: d[i] };
  }
  return null;
}

/** Where an optimizer's state (its slots, in parameter order) first holds NaN or ±∞, or `null`. */
export function firstNonFiniteSlot(optimizer: Optimizer, params: readonly Tensor[]): { slot: string; param: number; index: number; value: number } | null {
  const { slots } = optimizer.getState(params);
  for (const [slot, perParam] of Object.entries(slots)) {
    for (let p = 0; p < perParam.length; p++) {
      const values = perParam[p];
      for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return { slot, param: p, index: i, value: values[i] };
    }
  }
  return null;
}
