// The History fit returns: every epoch's logs (`loss`, `val_loss`), as Keras's and TensorFlow.js's.
import { Callback, type Logs } from './callbacks.js';

/**
 * Records the logs of every epoch. `fit` always adds one and resolves to it.
 *
 * @example
 * const history = await model.fit(x, y, { epochs: 3, validationSplit: 0.2, verbose: 0 });
 * history.epoch;            // [0, 1, 2]
 * history.history.loss;     // three mean training losses
 * history.history.val_loss; // three validation losses
 */
export class History extends Callback {
  /** The 0-based index of each recorded epoch. */
  epoch: number[] = [];
  /** Log name → one value per recorded epoch. */
  history: Record<string, number[]> = {};

  override onTrainBegin(_logs?: Logs): void {
    this.epoch = [];
    this.history = {};
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      (this.history[key] ??= []).push(value);
    }
  }
}
