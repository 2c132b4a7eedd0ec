import { SGD } from '../../../autodiff/optimizers/sgd.js';
import { Tensor, tensor } from '../../../autodiff/tensor.js';
import { Dense } from '../../../lib/layers/dense.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { Callback, EarlyStopping, TerminateOnNaN, type CallbackModel, type Logs } from '../../../lib/models/callbacks.js';
import { History } from '../../../lib/models/history.js';
import { Sequential } from '../../../lib/models/sequential.js';

/** A stand-in model whose single weight is set by the test. */
function fakeModel(): CallbackModel & { w: number } {
  const m = {
    stopTraining: false,
    w: 0,
    getWeights: () => [tensor([m.w])],
    setWeights: (ws: readonly Tensor[]) => { m.w = ws[0].data[0]; },
  };
  return m;
}

/** Feeds `values` of `monitor` to `cb` epoch by epoch (the model's weight is the epoch index) until it stops. */
function runScripted(cb: EarlyStopping, values: number[], monitor = 'val_loss'): { model: ReturnType<typeof fakeModel>; epochs: number } {
  const model = fakeModel();
  cb.setModel(model);
  cb.onTrainBegin({});
  let epochs = 0;
  for (let e = 0; e < values.length; e++) {
    model.w = e;
    cb.onEpochEnd(e, { loss: 1, [monitor]: values[e] });
    epochs++;
    if (model.stopTraining) break;
  }
  cb.onTrainEnd({});
  return { model, epochs };
}

describe('History', () => {
  it('records every epoch log under its name, and starts afresh at each training', () => {
    const h = new History();
    h.onTrainBegin();
    h.onEpochEnd(0, { loss: 3, val_loss: 4 });
    h.onEpochEnd(1, { loss: 2, val_loss: 3.5 });
    expect(h.epoch).toEqual([0, 1]);
    expect(h.history).toEqual({ loss: [3, 2], val_loss: [4, 3.5] });
    h.onTrainBegin();
    expect(h.history).toEqual({});
  });
});

describe('EarlyStopping', () => {
  it('stops once the value has not improved for `patience` epochs', () => {
    // best 3 at epoch 1; epochs 2 and 3 do not improve: wait reaches patience 2 at epoch 3
    const cb = new EarlyStopping({ patience: 2 });
    const { epochs } = runScripted(cb, [5, 3, 4, 4.5, 6, 1]);
    expect(epochs).toBe(4);
    expect(cb.stoppedEpoch).toBe(3);
    expect(cb.bestEpoch).toBe(1);
    expect(cb.best).toBe(3);
  });

  it('counts only improvements larger than minDelta', () => {
    // 4.95 is not below 5 − 0.1, so epoch 1 does not improve and patience 1 runs out
    const cb = new EarlyStopping({ patience: 1, minDelta: 0.1 });
    expect(runScripted(cb, [5, 4.95, 4.9]).epochs).toBe(2);
    const loose = new EarlyStopping({ patience: 1, minDelta: 0.01 });
    expect(runScripted(loose, [5, 4.95, 4.9]).epochs).toBe(3);
  });

  it('with a baseline, patience only restarts once the baseline is beaten', () => {
    // values 5, 6, 7 and patience 2: without a baseline epoch 0 resets the wait and epoch 2 stops;
    // with baseline 2 epoch 0 improves on ∞ but not on 2, so the wait is already 2 at epoch 1
    expect(runScripted(new EarlyStopping({ patience: 2 }), [5, 6, 7, 8]).epochs).toBe(3);
    expect(runScripted(new EarlyStopping({ patience: 2, baseline: 2 }), [5, 6, 7, 8]).epochs).toBe(2);
  });

  it("never stops after the first epoch, and mode 'auto' maximises accuracies", () => {
    expect(runScripted(new EarlyStopping({ patience: 0 }), [5]).epochs).toBe(1);
    // patience 0: the first epoch without improvement stops
    expect(runScripted(new EarlyStopping({ patience: 0 }), [5, 6, 1]).epochs).toBe(2);
    const acc = new EarlyStopping({ monitor: 'val_acc', patience: 0 });
    expect(acc.mode).toBe('max');
    expect(runScripted(acc, [0.5, 0.6, 0.55, 0.9], 'val_acc').epochs).toBe(3);
  });

  it('with restoreBestWeights puts back the weights of the best epoch, stopped early or not', () => {
    const stopped = runScripted(new EarlyStopping({ patience: 1, restoreBestWeights: true }), [5, 3, 4, 6]);
    expect(stopped.epochs).toBe(3);
    expect(stopped.model.w).toBe(1);
    const ranOut = runScripted(new EarlyStopping({ patience: 5, restoreBestWeights: true }), [5, 2, 4]);
    expect(ranOut.epochs).toBe(3);
    expect(ranOut.model.w).toBe(1);
    const keep = runScripted(new EarlyStopping({ patience: 1 }), [5, 3, 4, 6]);
    expect(keep.model.w).toBe(2); // without the option the last weights stay
  });

  it('restores the best weights of a real fit', async () => {
    // Train y = 2x from w = 0 but validate on y = x: val_loss falls while w → 1, then rises as w → 2
    const m = new Sequential([new InputLayer({ inputShape: [1] }), new Dense({ units: 1, useBias: false, kernelInitializer: 'zeros' })]);
    m.compile({ optimizer: new SGD({ learningRate: 0.02 }), loss: 'meanSquaredError' });
    const x = tensor([[1], [2], [3]]);
    const perEpoch: number[] = [];
    const stop = new EarlyStopping({ patience: 3, restoreBestWeights: true });
    const h = await m.fit(x, tensor([[2], [4], [6]]), {
      epochs: 50, batchSize: 3, verbose: 0, validationData: [x, tensor([[1], [2], [3]])],
      callbacks: [{ onEpochEnd: () => { perEpoch.push(m.getWeights()[0].data[0]); } }, stop],
    });
    const vals = h.history.val_loss;
    const best = vals.indexOf(Math.min(...vals));
    expect(stop.stoppedEpoch).toBe(best + 3);
    expect(vals).toHaveLength(best + 4);
    expect(m.getWeights()[0].data[0]).toBe(perEpoch[best]);
    expect(Math.abs(perEpoch[best] - 1)).toBeLessThan(0.2);
  });

  it('says what to do when the monitored value is not logged', () => {
    const cb = new EarlyStopping();
    cb.setModel(fakeModel());
    cb.onTrainBegin({});
    expect(() => cb.onEpochEnd(0, { loss: 1 })).toThrow(/'monitor' is 'val_loss' but the epoch logs hold only 'loss'; pass 'validationData' or 'validationSplit' to fit, or monitor 'loss'/);
  });

  it('rejects bad options by name', () => {
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(RangeError);
    expect(() => new EarlyStopping({ patience: 1.5 })).toThrow(/'patience' must be an integer ≥ 0, got 1.5/);
    expect(() => new EarlyStopping({ minDelta: -0.1 })).toThrow(/'minDelta' must be a finite number ≥ 0/);
    expect(() => new EarlyStopping({ mode: 'up' as 'min' })).toThrow(/'mode' must be 'auto', 'min' or 'max', got up/);
    expect(() => new EarlyStopping({ restoreBestWeight: true } as never)).toThrow(/unknown option 'restoreBestWeight'/);
  });
});

describe('TerminateOnNaN', () => {
  it('asks the model to stop when a batch loss is not finite', () => {
    const cb = new TerminateOnNaN();
    const m = fakeModel();
    cb.setModel(m);
    cb.onBatchEnd(0, { loss: 2 });
    expect(m.stopTraining).toBe(false);
    cb.onBatchEnd(1, { loss: NaN });
    expect(m.stopTraining).toBe(true);
  });
});

describe('callback hooks in fit', () => {
  it('are called in Keras order, awaited, with 0-based indices and the params', async () => {
    const events: string[] = [];
    class Recorder extends Callback {
      override onTrainBegin(): void { events.push(`trainBegin ${JSON.stringify(this.params)}`); }
      override onEpochBegin(e: number): void { events.push(`epochBegin ${e}`); }
      override onBatchBegin(b: number, l: Logs): void { events.push(`batchBegin ${b} ${l.size}`); }
      override async onBatchEnd(b: number): Promise<void> {
        await new Promise((r) => setTimeout(r, 1));
        events.push(`batchEnd ${b}`);
      }
      override onEpochEnd(e: number, l: Logs): void { events.push(`epochEnd ${e} ${Object.keys(l).join(',')}`); }
      override onTrainEnd(): void { events.push('trainEnd'); }
    }
    const m = new Sequential([new InputLayer({ inputShape: [1] }), new Dense({ units: 1, seed: 1 })]);
    m.compile({ optimizer: new SGD(), loss: 'meanSquaredError' });
    await m.fit(tensor([[1], [2], [3]]), tensor([[1], [2], [3]]), { epochs: 2, batchSize: 2, verbose: 0, callbacks: [new Recorder()] });
    expect(events).toEqual([
      'trainBegin {"epochs":2,"steps":2,"samples":3,"batchSize":2,"verbose":0,"metrics":["loss"]}',
      'epochBegin 0', 'batchBegin 0 2', 'batchEnd 0', 'batchBegin 1 1', 'batchEnd 1', 'epochEnd 0 loss',
      'epochBegin 1', 'batchBegin 0 2', 'batchEnd 0', 'batchBegin 1 1', 'batchEnd 1', 'epochEnd 1 loss',
      'trainEnd',
    ]);
  });

  it('a callback setting stopTraining ends training after the epoch', async () => {
    const m = new Sequential([new InputLayer({ inputShape: [1] }), new Dense({ units: 1, seed: 1 })]);
    m.compile({ optimizer: new SGD(), loss: 'meanSquaredError' });
    const h = await m.fit(tensor([[1]]), tensor([[1]]), {
      epochs: 10, verbose: 0, callbacks: [{ onEpochEnd: (e) => { if (e === 2) m.stopTraining = true; } }],
    });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(m.stopTraining).toBe(false);
  });
});
