import {
  Adam, BatchNormalization, Dense, FlowLayer, InputLayer, NonFiniteLossError, Random, SGD, Sequential, Tensor, ValueError,
  maskedAutoregressiveFlowStack, tensor, zeros, type Optimizer,
} from '../../lib/index.js';

// "Last good state" is every piece of state fit changes: the weights, the batch-norm running
// averages and the optimizer (step count, Adam's moments). A fit that fails puts all of it back,
// and the last step, which no later step scores, is checked too. Every draw is seeded.

const bits = (ts: readonly Tensor[]): string[] => ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'));
const optimizerBits = (o: Optimizer, params: readonly Tensor[]): string => JSON.stringify(o.getState(params));

const rng = new Random('training-state-data');
const y64 = tensor(rng.fillNormal(new Float64Array(64 * 2)), [64, 2]);
const x64 = zeros([64, 0]);

/** A 2-layer MAF with batch norm between the layers, in a model (seeded). */
function bnFlow(seed: number, optimizer: Optimizer): Sequential {
  const flow = maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 2, hiddenUnits: [8], batchNorm: true, zeroInitOutput: false, seed });
  const m = new Sequential([new InputLayer({ inputShape: [0] }), new FlowLayer(flow)]);
  m.compile({ optimizer, loss: 'negativeLogLikelihood' });
  m.build();
  return m;
}

/** The weights and optimizer state, as bits, to compare after a failed fit. */
const stepState = (m: Sequential): { trainable: string[]; optimizer: string } => ({ trainable: bits(m.trainableWeights), optimizer: optimizerBits(m.optimizer!, m.trainableWeights) });

/** The error a fit that must fail rejects with. */
async function failedFit(m: Sequential, options: Parameters<Sequential['fit']>[2]): Promise<NonFiniteLossError> {
  const err = await m.fit(x64, y64, { verbose: 0, ...options }).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(NonFiniteLossError);
  return err as NonFiniteLossError;
}

/** The state at each step's begin (weights, optimizer) and end (batch-norm statistics), to compare a restore with. */
function recorder(m: Sequential): { begin: Array<{ trainable: string[]; optimizer: string }>; end: string[][]; hooks: object } {
  const begin: Array<{ trainable: string[]; optimizer: string }> = [];
  const end: string[][] = [];
  const hooks = {
    onBatchBegin: () => { begin.push(stepState(m)); },
    onBatchEnd: () => { end.push(bits(m.nonTrainableWeights)); },
  };
  return { begin, end, hooks };
}

describe('a fit that fails restores weights, batch-norm statistics and optimizer state', () => {
  it('with batch norm, a diverging SGD (learningRate 50) restores the running mean and variance too; evaluate stays finite', async () => {
    const m = bnFlow(4, new SGD({ learningRate: 50 }));
    const r = recorder(m);
    const e = await failedFit(m, { epochs: 5, batchSize: 16, seed: 1, callbacks: [r.hooks] });
    // the loss was NaN at step 3 of epoch 1: the last good step is step 2 (index 1)
    expect(e.message).toBe('Sequential.fit: the loss became NaN at epoch 1/5, step 3/4; training stopped and the weights, batch-norm statistics and optimizer state ' +
      'were restored to those that gave the last finite loss (epoch 1, step 2). Try a smaller learning rate, or gradient clipping (clipNorm)');
    const k = e.epoch * 4 + e.step - 1;
    // weights and optimizer as before step k's update; the running averages as step k's forward pass left them
    expect(stepState(m)).toEqual(r.begin[k]);
    expect(bits(m.nonTrainableWeights)).toEqual(r.end[k]);
    for (const w of m.nonTrainableWeights) expect(Array.from(w.data).every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(m.evaluate(x64, y64))).toBe(true);
  });

  it('when even the last good state has a non-finite loss in inference mode, the state from before fit comes back', async () => {
    const m = bnFlow(4, new SGD({ learningRate: 100 }));
    const before = { state: stepState(m), weights: bits(m.weights) };
    const err = await failedFit(m, { epochs: 5, batchSize: 16, seed: 1 });
    expect(err.message).toMatch(/training stopped and the model was restored to its state before training \(the state of the last finite loss, epoch 1, step 2, has a non-finite loss in inference mode\)/);
    expect(bits(m.weights)).toEqual(before.weights);
    expect(stepState(m)).toEqual(before.state);
    expect(m.optimizer!.iterations).toBe(0);
    expect(Number.isFinite(m.evaluate(x64, y64))).toBe(true);
  });

  it("Adam's iterations and moments m, v are restored with the weights", async () => {
    const m = bnFlow(1, new Adam({ learningRate: 3 }));
    const r = recorder(m);
    const e = await failedFit(m, { epochs: 5, batchSize: 16, seed: 1, callbacks: [r.hooks] });
    // Infinity at epoch 4, step 2: the last good step is global step 12 (0-based), taken by an optimizer that had stepped 12 times
    expect([e.epoch, e.step]).toEqual([3, 1]);
    const k = e.epoch * 4 + e.step - 1;
    expect(m.optimizer!.iterations).toBe(12);
    expect(stepState(m)).toEqual(r.begin[k]);
  });
});

describe('the last step is checked as well', () => {
  it('Adam({ learningRate: 10 }) with stepsPerEpoch 1 used to resolve with an evaluate of Infinity; now it throws and keeps the model as before', async () => {
    const m = bnFlow(1, new Adam({ learningRate: 10 }));
    const before = stepState(m);
    const err = await failedFit(m, { epochs: 1, stepsPerEpoch: 1, batchSize: 16, seed: 1 });
    expect(err.message).toBe('Sequential.fit: after the last step (epoch 1, step 1), the loss of the last batch at the new weights is NaN (training mode); ' +
      'training stopped and the weights, batch-norm statistics and optimizer state were restored to those that gave the last finite loss (epoch 1, step 1). ' +
      'Try a smaller learning rate, or gradient clipping (clipNorm)');
    // the weights and the optimizer as before the step; the running averages as its (finite) forward pass left them
    expect(stepState(m)).toEqual(before);
    expect(m.optimizer!.iterations).toBe(0);
    expect(Number.isFinite(m.evaluate(x64, y64))).toBe(true);
  });

  it('an extreme learning rate (SGD 1e300) used to return NaN weights; now the fit throws and no weight is NaN', async () => {
    const m = bnFlow(2, new SGD({ learningRate: 1e300 }));
    const before = stepState(m);
    const err = await failedFit(m, { epochs: 1, stepsPerEpoch: 1, batchSize: 16, seed: 1 });
    expect(err.message).toMatch(/^Sequential\.fit: after the last step \(epoch 1, step 1\), /);
    expect(stepState(m)).toEqual(before);
    for (const w of m.weights) expect(Array.from(w.data).every(Number.isFinite)).toBe(true);
  });

  it('a Dense model whose last update overflows a weight names the weight', async () => {
    const m = new Sequential([new InputLayer({ inputShape: [1] }), new Dense({ units: 1, seed: 1 })]);
    m.compile({ optimizer: new SGD({ learningRate: 1e308 }), loss: 'meanSquaredError' });
    const x = tensor([[1e10], [2e10]]);
    const y = tensor([[1], [2]]);
    const err = await m.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0, seed: 1 }).then(() => null, (e: unknown) => e);
    expect((err as Error).message).toMatch(/^Sequential\.fit: after the last step \(epoch 1, step 1\), weight 0 became -?Infinity at index 0; training stopped/);
    for (const w of m.getWeights()) expect(Array.from(w.data).every(Number.isFinite)).toBe(true);
  });

  it('a fit that trains well is not changed by the check (same weights and history, bit for bit, as the steps alone)', async () => {
    const run = async (): Promise<{ w: string[]; loss: number[] }> => {
      const m = bnFlow(5, new Adam({ learningRate: 1e-2 }));
      const h = await m.fit(x64, y64, { epochs: 2, batchSize: 16, verbose: 0, seed: 9 });
      return { w: bits(m.weights), loss: h.history.loss };
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a.loss.every(Number.isFinite)).toBe(true);
  });
});

describe('two fit calls at once on one model', () => {
  it('the second is rejected, the first finishes exactly as if it ran alone, and a later fit works', async () => {
    const data = { x: tensor(new Random('concurrent').fillNormal(new Float64Array(32)), [16, 2]), y: tensor(new Random('concurrent-y').fillNormal(new Float64Array(16)), [16, 1]) };
    const make = (): Sequential => {
      const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 1, seed: 3 })]);
      m.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      return m;
    };
    const m = make();
    const first = m.fit(data.x, data.y, { epochs: 3, batchSize: 4, verbose: 0, seed: 1 });
    const second = m.fit(data.x, data.y, { epochs: 3, batchSize: 4, verbose: 0, seed: 2 });
    await expect(second).rejects.toThrow(/^Sequential\.fit: model 'sequential(_\d+)?' is already being trained by a fit or fitDataset call that has not finished; await it before training it again$/);
    await first;
    const alone = make();
    await alone.fit(data.x, data.y, { epochs: 3, batchSize: 4, verbose: 0, seed: 1 });
    expect(bits(m.getWeights())).toEqual(bits(alone.getWeights()));
    expect(m.optimizer!.iterations).toBe(12);
    await m.fit(data.x, data.y, { epochs: 1, batchSize: 4, verbose: 0, seed: 1 });
    expect(m.optimizer!.iterations).toBe(16);
  });

  it('a fit that threw releases the model for the next one', async () => {
    const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 1, seed: 3 })]);
    m.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
    await expect(m.fit(zeros([4, 2]), zeros([4, 3]), { verbose: 0, seed: 1 })).rejects.toThrow(ValueError);
    await expect(m.fit(zeros([4, 2]), zeros([4, 1]), { verbose: 0, seed: 1 })).resolves.toBeDefined();
  });
});

describe('batch norm in training mode needs 2 or more rows', () => {
  it('batches of 1 used to give a loss of −12.7 and an evaluate of 3.2e9; now fit refuses before the first step', async () => {
    const m = bnFlow(1, new Adam());
    const before = bits(m.weights);
    await expect(m.fit(x64, y64, { epochs: 1, batchSize: 1, verbose: 0, seed: 1 })).rejects.toThrow(
      /^Sequential\.fit: 'batchSize' 1 leaves batches of 1 row \(64 rows, 1 per step\), and the model cannot train on one row: BatchNormalization\.inverse: .*Choose a batchSize that leaves no single row \(e\.g\. 2\), or drop a row$/);
    expect(bits(m.weights)).toEqual(before);
    expect(m.optimizer!.iterations).toBe(0);
  });

  it('a last batch of 1 row (33 rows, batchSize 32) is refused up front, naming the rows and a batchSize that works', async () => {
    const m = bnFlow(1, new Adam());
    const y = tensor(new Random('33').fillNormal(new Float64Array(66)), [33, 2]);
    await expect(m.fit(zeros([33, 0]), y, { epochs: 1, batchSize: 32, verbose: 0, seed: 1 })).rejects.toThrow(new ValueError(
      "Sequential.fit: 'batchSize' 32 leaves a batch of 1 row (33 rows = 1 × 32 + 1), and the model cannot train on one row: " +
      "BatchNormalization.inverse: 'batch_normalization_0' is in training mode and 'y' has shape [1,2], 1 row; batch statistics need at least 2 rows " +
      '(one row has variance 0). Use batches of 2 or more rows, or { training: false } for the running averages. Choose a batchSize that leaves no single row (e.g. 33), or drop a row'));
    // a model without batch norm trains on the same batches
    const plain = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 1, seed: 1 })]);
    plain.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
    await expect(plain.fit(y, zeros([33, 1]), { batchSize: 32, verbose: 0, seed: 1 })).resolves.toBeDefined();
  });

  it('the bijector itself refuses one row in training mode, and takes it in inference mode', () => {
    const bn = new BatchNormalization({ eventSize: 2 });
    expect(() => bn.inverse(tensor([[1, 2]]))).toThrow(/^BatchNormalization\.inverse: 'batch_normalization' is in training mode and 'y' has shape \[1,2\], 1 row/);
    expect(bn.inverse(tensor([[1, 2]]), { training: false }).shape).toEqual([1, 2]);
    expect(bn.inverse(tensor([[1, 2], [3, 4]])).shape).toEqual([2, 2]);
  });
});

describe('Optimizer.snapshot / restoreSnapshot', () => {
  it('restores step count and slots, forgets parameters first seen after the snapshot, and restores pending setState slots', () => {
    const p = tensor([1, 2], undefined, { requiresGrad: true });
    const q = tensor([3], undefined, { requiresGrad: true });
    const adam = new Adam({ learningRate: 0.1 });
    adam.setState({ iterations: 2, slots: { m: [[0.5, 0.5]], v: [[1, 1]] } });
    const s0 = adam.snapshot();
    p.grad = tensor([1, 1]);
    adam.step([p]); // binds the pending slots to p and updates them in place
    adam.restoreSnapshot(s0);
    expect(adam.getState()).toEqual({ iterations: 2, slots: { m: [[0.5, 0.5]], v: [[1, 1]] } });
    adam.step([p]);
    const s1 = adam.snapshot();
    const at1 = JSON.stringify(adam.getState([p, q]));
    q.grad = tensor([2]);
    adam.step([p, q]);
    adam.restoreSnapshot(s1);
    expect(JSON.stringify(adam.getState([p, q]))).toBe(at1);
    expect(adam.iterations).toBe(3);
  });
});
