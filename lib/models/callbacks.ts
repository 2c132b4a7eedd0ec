// Training callbacks, as Keras has them: the hooks fit calls, EarlyStopping and TerminateOnNaN.
import { checkNoHoles } from '../util/arrays.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { assert, ValueError } from '../util/errors.js';
import { checkOptions } from '../util/validate.js';

/** Numbers logged by `fit`: `loss` (and `val_loss`) per epoch; `batch`, `size`, `loss` per step. */
export type Logs = Record<string, number>;

/** What a callback may touch of the model being trained (a `Sequential`). */
export interface CallbackModel {
  /** Set it to `true` to end training after the current epoch (Keras's `model.stop_training`). */
  stopTraining: boolean;
  /** Copies of every weight, in `setWeights` order. */
  getWeights(): Tensor[];
  /** Replaces every weight's values. */
  setWeights(weights: readonly Tensor[]): void;
}

/** The training parameters every callback receives before training starts. */
export interface TrainParams {
  /** Epochs `fit` will run unless stopped early. */
  epochs: number;
  /** Optimizer steps per epoch. */
  steps: number;
  /** Training rows. */
  samples: number;
  /** Rows per optimizer step (the last batch of a pass may be smaller). */
  batchSize: number;
  /** `fit`'s verbosity: 0 silent, 1 a progress bar per epoch, 2 one line per epoch. */
  verbose: 0 | 1 | 2;
  /** `'loss'`, plus `'val_loss'` when there is validation data. */
  metrics: string[];
}

/**
 * The hooks `fit` calls, as plain functions (TensorFlow.js's `CustomCallbackArgs`). Each may
 * return a promise; `fit` awaits it. `epoch` and `batch` are 0-based, as in Keras.
 */
export interface CallbackHooks {
  /** Before the first epoch (after every argument was checked). */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** After the last epoch, or the one after which `stopTraining` was set. Not called when fit throws. */
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /** Before epoch `epoch`. */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** After epoch `epoch`, with its mean `loss` and, given validation data, `val_loss`. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Before step `batch` of the epoch, with `batch` and `size` (its rows). */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** After step `batch` (the weights are updated), with `batch`, `size` and that batch's `loss`. */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/**
 * Base class of the built-in callbacks: every hook does nothing until overridden.
 * `fit` calls `setModel` and `setParams` before `onTrainBegin`.
 */
export class Callback implements CallbackHooks {
  /** The model being trained; set by `fit`. */
  model: CallbackModel | null = null;
  /** The training parameters; set by `fit`. */
  params: TrainParams | null = null;

  /** Called by `fit` before training. */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** Called by `fit` before training. */
  setParams(params: TrainParams): void {
    this.params = params;
  }

  /** See {@link CallbackHooks.onTrainBegin}. */
  onTrainBegin(_logs: Logs): void | Promise<void> {}
  /** See {@link CallbackHooks.onTrainEnd}. */
  onTrainEnd(_logs: Logs): void | Promise<void> {}
  /** See {@link CallbackHooks.onEpochBegin}. */
  onEpochBegin(_epoch: number, _logs: Logs): void | Promise<void> {}
  /** See {@link CallbackHooks.onEpochEnd}. */
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  /** See {@link CallbackHooks.onBatchBegin}. */
  onBatchBegin(_batch: number, _logs: Logs): void | Promise<void> {}
  /** See {@link CallbackHooks.onBatchEnd}. */
  onBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
}

const HOOK_NAMES = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

/** What `fit` and `fitDataset` take as `callbacks`: one callback (TF.js's `{ onEpochEnd }`) or an array of them. */
export type CallbacksArg = Callback | CallbackHooks | ReadonlyArray<Callback | CallbackHooks>;

/**
 * `callbacks` as an array: `undefined` → `[]`, one callback → `[callback]`, each entry checked.
 * @throws TypeError naming `where` for a value that is neither an object nor an array, or an entry
 *   with a hook that does not exist
 */
export function callbackArray(callbacks: unknown, where: string): Array<Callback | CallbackHooks> {
  if (callbacks === undefined) return [];
  assert(typeof callbacks === 'object' && callbacks !== null,
    () => `${where}: 'callbacks' must be a callback ({ onEpochEnd, … } or a Callback) or an array of them, got ${callbacks === null ? 'null' : typeof callbacks}`, TypeError);
  if (Array.isArray(callbacks)) checkNoHoles(callbacks, 'callbacks', where);
  const list = (Array.isArray(callbacks) ? callbacks.slice() : [callbacks]) as Array<Callback | CallbackHooks>;
  new CallbackList(list, where); // checks every entry, named by its index in the user's list
  return list;
}

/**
 * Runs a list of callbacks in order, awaiting each hook.
 * @internal
 */
export class CallbackList {
  readonly callbacks: readonly (Callback | CallbackHooks)[];

  /**
   * @param callbacks - `Callback` instances or objects of hooks
   * @throws TypeError when an entry is not an object, or names a hook that does not exist (a typo such as `onEpochEnds`)
   */
  constructor(callbacks: readonly (Callback | CallbackHooks)[], where: string) {
    callbacks.forEach((c, k) => {
      assert(typeof c === 'object' && c !== null,
        () => `${where}: 'callbacks[${k}]' must be a Callback or an object of hooks, got ${c === null ? 'null' : typeof c}`, TypeError);
      if (!(c instanceof Callback)) {
        for (const key of Object.keys(c)) {
          assert((HOOK_NAMES as readonly string[]).includes(key),
            () => `${where}: 'callbacks[${k}]' has an unknown hook '${key}'; expected ${HOOK_NAMES.join(', ')}`, TypeError);
          assert(typeof (c as Record<string, unknown>)[key] === 'function',
            () => `${where}: 'callbacks[${k}].${key}' must be a function, got ${typeof (c as Record<string, unknown>)[key]}`, TypeError);
        }
      }
    });
    this.callbacks = callbacks;
  }

  setup(model: CallbackModel, params: TrainParams): void {
    for (const c of this.callbacks) {
      if (c instanceof Callback) {
        c.setModel(model);
        c.setParams(params);
      }
    }
  }

  async trainBegin(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(logs);
  }

  async trainEnd(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(logs);
  }

  async epochBegin(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, logs);
  }

  async epochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs);
  }

  async batchBegin(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin?.(batch, logs);
  }

  async batchEnd(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd?.(batch, logs);
  }
}

/** Options of {@link EarlyStopping}; the defaults are Keras's. */
export interface EarlyStoppingOptions {
  /** The epoch log to watch; default `'val_loss'`. */
  monitor?: string;
  /** The smallest change that counts as an improvement; default 0. */
  minDelta?: number;
  /** Epochs without improvement to wait before stopping; default 0. */
  patience?: number;
  /** `'min'` (lower is better), `'max'`, or `'auto'` (default): `'max'` for accuracies, `'min'` otherwise. */
  mode?: 'auto' | 'min' | 'max';
  /** Training stops unless the monitored value beats this (as well as the best so far). */
  baseline?: number;
  /** Put back the weights of the best epoch when training ends; default false. */
  restoreBestWeights?: boolean;
}

const EARLY_STOPPING_OPTIONS = ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights'];

/**
 * Stops training once the monitored value has not improved for `patience` epochs, as
 * Keras's `EarlyStopping`. An epoch improves on the best value `b` when
 * `v < b − minDelta` (mode `'min'`) or `v > b + minDelta` (mode `'max'`).
 *
 * With `restoreBestWeights`, the weights of the best epoch are put back when training ends,
 * whether it stopped early or ran all its epochs (Keras 2 restores them only when it stops early,
 * which leaves the last, worse weights in a model that never ran out of patience).
 *
 * @example
 * await model.fit(x, y, { epochs: 100, validationSplit: 0.2,
 *   callbacks: [new EarlyStopping({ patience: 5, restoreBestWeights: true })] });
 */
export class EarlyStopping extends Callback {
  /** The epoch log watched, e.g. `'val_loss'`. */
  readonly monitor: string;
  /** The smallest change that counts as an improvement, ≥ 0. */
  readonly minDelta: number;
  /** Epochs without improvement to wait before stopping. */
  readonly patience: number;
  /** Whether lower (`'min'`) or higher (`'max'`) is better; `'auto'` is resolved at construction. */
  readonly mode: 'min' | 'max';
  /** The value an epoch must beat for the wait to restart, or `undefined` for none. */
  readonly baseline: number | undefined;
  /** Whether the best epoch's weights are put back when training ends. */
  readonly restoreBestWeights: boolean;
  /** The 0-based epoch training stopped after, or −1 if it ran all its epochs. */
  stoppedEpoch = -1;
  /** The 0-based epoch with the best monitored value, or −1 before the first epoch ends. */
  bestEpoch = -1;
  /** The best monitored value seen. */
  best = Infinity;
  private wait = 0;
  private bestWeights: Tensor[] | null = null;

  /**
   * @throws TypeError for an unknown option name or a wrong type; RangeError for a negative
   *   or non-integer `patience`, a negative or non-finite `minDelta`, or an unknown `mode`
   */
  constructor(options: EarlyStoppingOptions = {}) {
    super();
    const where = 'EarlyStopping';
    checkOptions(options, EARLY_STOPPING_OPTIONS, where);
    const { monitor = 'val_loss', minDelta = 0, patience = 0, mode = 'auto', baseline, restoreBestWeights = false } = options;
    assert(typeof monitor === 'string' && monitor !== '', () => `${where}: 'monitor' must be a non-empty string, got ${String(monitor)}`, TypeError);
    assert(typeof minDelta === 'number' && Number.isFinite(minDelta) && minDelta >= 0,
      () => `${where}: 'minDelta' must be a finite number ≥ 0, got ${String(minDelta)}`, RangeError);
    assert(typeof patience === 'number' && Number.isInteger(patience) && patience >= 0,
      () => `${where}: 'patience' must be an integer ≥ 0, got ${String(patience)}`, RangeError);
    assert(mode === 'auto' || mode === 'min' || mode === 'max',
      () => `${where}: 'mode' must be 'auto', 'min' or 'max', got ${String(mode)}`, TypeError);
    assert(baseline === undefined || (typeof baseline === 'number' && Number.isFinite(baseline)),
      () => `${where}: 'baseline' must be a finite number, got ${String(baseline)}`, TypeError);
    assert(typeof restoreBestWeights === 'boolean',
      () => `${where}: 'restoreBestWeights' must be a boolean, got ${typeof restoreBestWeights}`, TypeError);
    this.monitor = monitor;
    this.minDelta = minDelta;
    this.patience = patience;
    // Keras's 'auto': accuracies go up, everything else (losses) goes down.
    this.mode = mode === 'auto' ? (monitor.includes('acc') ? 'max' : 'min') : mode;
    this.baseline = baseline;
    this.restoreBestWeights = restoreBestWeights;
  }

  private improves(value: number, reference: number): boolean {
    return this.mode === 'min' ? value < reference - this.minDelta : value > reference + this.minDelta;
  }

  override onTrainBegin(_logs?: Logs): void {
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.bestEpoch = -1;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestWeights = null;
  }

  /** @throws ValueError when the epoch logs have no value named `monitor` (e.g. `'val_loss'` without validation data) */
  override onEpochEnd(epoch: number, logs: Logs): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new ValueError(`EarlyStopping: 'monitor' is '${this.monitor}' but the epoch logs hold only ${Object.keys(logs).map((k) => `'${k}'`).join(', ')}` +
        (this.monitor.startsWith('val_') ? `; pass 'validationData' or 'validationSplit' to fit, or monitor 'loss'` : ''));
    }
    const model = this.model as CallbackModel;
    this.wait++;
    if (this.improves(value, this.best)) {
      this.best = value;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights();
      // As Keras: wait restarts only when the baseline is beaten too, and an improving epoch never stops training.
      if (this.baseline === undefined || this.improves(value, this.baseline)) this.wait = 0;
      return;
    }
    // Keras never stops after the first epoch: with patience 0 that epoch has nothing to be compared with.
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  override onTrainEnd(_logs?: Logs): void {
    if (this.restoreBestWeights && this.bestWeights !== null) {
      (this.model as CallbackModel).setWeights(this.bestWeights);
    }
    this.bestWeights = null;
  }
}

/**
 * Stops training when a batch's loss is NaN or ±∞, as Keras's `TerminateOnNaN`.
 * `fit` already does more by default: it throws an error naming the epoch, the step and the
 * value, and puts back the last weights that gave a finite loss. This callback is kept for
 * Keras code that lists it; it sees the loss only if a custom loop reports one.
 */
export class TerminateOnNaN extends Callback {
  override onBatchEnd(_batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss) && this.model !== null) this.model.stopTraining = true;
  }
}
