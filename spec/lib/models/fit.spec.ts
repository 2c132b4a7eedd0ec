import { mul, sub } from '../../../autodiff/ops/binary.js';
import { mean } from '../../../autodiff/ops/reduce.js';
import { reshape } from '../../../autodiff/ops/shape.js';
import { sqrt, square } from '../../../autodiff/ops/unary.js';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { SGD } from '../../../autodiff/optimizers/sgd.js';
import { isGradEnabled, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { Dense } from '../../../lib/layers/dense.js';
import { DistributionLambda } from '../../../lib/layers/distribution-lambda.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import type { Logs } from '../../../lib/models/callbacks.js';
import { Sequential } from '../../../lib/models/sequential.js';
import { batchStream, NonFiniteLossError } from '../../../lib/models/training.js';
import { Random } from '../../../lib/util/random.js';
import { randn, seededRng } from '../../helpers/grad-check.js';

/** y = 3·x₀ − x₁ + 0.5 + noise·0.1, rows of x standard normal. */
function regressionData(name: string, n: number): { x: Tensor; y: Tensor } {
  const rng = seededRng(name);
  const x = randn(rng, [n, 2]);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = 3 * x.data[2 * i] - x.data[2 * i + 1] + 0.5 + 0.1 * rng.normal();
  return { x, y: tensor(y, [n, 1]) };
}

function linearModel(seed = 1, lr = 0.05): Sequential<Tensor> {
  const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 1, seed })]);
  m.compile({ optimizer: new Adam({ learningRate: lr }), loss: 'meanSquaredError' });
  return m;
}

const bits = (ts: Tensor[]): number[][] => ts.map((t) => Array.from(new Uint32Array(t.data.slice().buffer)));

describe('Sequential.fit', () => {
  it('matches two hand-computed SGD steps: history.loss and val_loss', async () => {
    // ŷ = w·x + b from w = b = 0; x = [1, 2], y = [2, 4]; L = mean((y − ŷ)²)
    // epoch 1: L = (4 + 16)/2 = 10; ∂L/∂w = mean(−2·2·1, −2·4·2) = −10, ∂L/∂b = mean(−4, −8) = −6
    //          SGD lr 0.1: w = 1, b = 0.6 → residuals [0.4, 1.4], val_loss = (0.16 + 1.96)/2 = 1.06
    // epoch 2: L = 1.06; ∂L/∂w = mean(−0.8, −5.6) = −3.2, ∂L/∂b = mean(−0.8, −2.8) = −1.8
    //          w = 1.32, b = 0.78 → ŷ = [2.1, 3.42], residuals [−0.1, 0.58], val_loss = (0.01 + 0.3364)/2 = 0.1732
    const m = new Sequential([new InputLayer({ inputShape: [1] }), new Dense({ units: 1, kernelInitializer: 'zeros' })]);
    m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const x = tensor([[1], [2]]);
    const y = tensor([[2], [4]]);
    const h = await m.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0, validationData: [x, y] });
    expect(h.epoch).toEqual([0, 1]);
    expect(h.history.loss[0]).toBe(10);
    expect(h.history.loss[1]).toBeCloseTo(1.06, 13);
    expect(h.history.val_loss[0]).toBeCloseTo(1.06, 13);
    expect(h.history.val_loss[1]).toBeCloseTo(0.1732, 13);
    const [w, b] = m.getWeights();
    expect(w.data[0]).toBeCloseTo(1.32, 13);
    expect(b.data[0]).toBeCloseTo(0.78, 13);
  });

  it('lowers the loss of a linear regression, and each epoch loss is the size-weighted mean of its batch losses', async () => {
    const { x, y } = regressionData('fit-regression', 50);
    const m = linearModel();
    const before = m.evaluate(x, y);
    const batches: Logs[] = [];
    const epochLogs: Logs[] = [];
    const h = await m.fit(x, y, {
      epochs: 20, batchSize: 16, verbose: 0, seed: 3,
      callbacks: [{ onBatchEnd: (_b, logs) => { batches.push({ ...logs }); }, onEpochEnd: (_e, logs) => { epochLogs.push({ ...logs }); } }],
    });
    const after = m.evaluate(x, y);
    expect(after).toBeLessThan(before / 10);
    expect(h.history.loss).toHaveLength(20);
    expect(h.history.loss[19]).toBeLessThan(h.history.loss[0]);
    // 50 rows in batches of 16: 16, 16, 16, 2 per epoch
    expect(batches.slice(0, 4).map((b) => b.size)).toEqual([16, 16, 16, 2]);
    for (let e = 0; e < 20; e++) {
      const bs = batches.slice(4 * e, 4 * e + 4);
      const weighted = bs.reduce((s, b) => s + b.loss * b.size, 0) / 50;
      expect(h.history.loss[e]).toBeCloseTo(weighted, 12);
      expect(epochLogs[e].loss).toBe(h.history.loss[e]);
    }
  });

  it('val_loss is the model’s mean loss on the held-out rows after each epoch (validationSplit takes the last rows)', async () => {
    const { x, y } = regressionData('fit-val', 40);
    const m = linearModel();
    const seen: number[] = [];
    // 0.25 of 40 rows: rows 30..39 held out, before any shuffling
    const xv = tensor(x.data.slice(60), [10, 2]);
    const yv = tensor(y.data.slice(30), [10, 1]);
    const h = await m.fit(x, y, {
      epochs: 3, batchSize: 8, verbose: 0, validationSplit: 0.25, seed: 1,
      callbacks: [{ onEpochEnd: () => { seen.push(m.evaluate(xv, yv)); } }],
    });
    expect(h.history.val_loss).toEqual(seen);
  });

  it('is bit-for-bit deterministic for a seed, and another seed shuffles differently', async () => {
    const { x, y } = regressionData('fit-determinism', 30);
    const run = async (seed: number): Promise<{ w: number[][]; loss: number[] }> => {
      const m = linearModel(7);
      const h = await m.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, seed });
      return { w: bits(m.getWeights()), loss: h.history.loss };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(b).toEqual(a);
    expect(c.loss).not.toEqual(a.loss);
  });

  it('stepsPerEpoch carries one stream of passes across epochs, as Keras', async () => {
    // 10 rows, batches of 4: every pass is 4, 4, 2; 2 steps per epoch for 3 epochs read 4,4 | 2,4 | 4,2
    const x = zeros([10, 2]);
    const y = zeros([10, 1]);
    const sizes: number[] = [];
    const m = linearModel();
    await m.fit(x, y, { epochs: 3, batchSize: 4, stepsPerEpoch: 2, verbose: 0, callbacks: [{ onBatchEnd: (_b, l) => { sizes.push(l.size); } }] });
    expect(sizes).toEqual([4, 4, 2, 4, 4, 2]);
    // without it, one pass per epoch
    sizes.length = 0;
    await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [{ onBatchEnd: (_b, l) => { sizes.push(l.size); } }] });
    expect(sizes).toEqual([4, 4, 2, 4, 4, 2]);
  });

  it('visits every row once per pass: in order without shuffle, in a seeded order with it', async () => {
    const x = tensor(Array.from({ length: 7 }, (_, i) => [i, 0]));
    const y = tensor(Array.from({ length: 7 }, (_, i) => [i]));
    const rowsSeen = async (shuffle: boolean): Promise<number[]> => {
      const seen: number[] = [];
      const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 1, seed: 1 })]);
      // fit's own checks (a 1-row batch, the last step) run the loss without a graph: only steps are counted
      m.compile({ optimizer: new SGD(), loss: (yTrue, yPred) => { if (isGradEnabled()) seen.push(...yTrue.data); return mean(square(sub(yTrue, yPred as Tensor)), 1); } });
      // runEagerly: a replayed step (the default) would not call the loss function again
      await m.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, shuffle, seed: 5, runEagerly: true });
      return seen;
    };
    expect(await rowsSeen(false)).toEqual([0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6]);
    const shuffled = await rowsSeen(true);
    expect(shuffled.slice(0, 7).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(shuffled.slice(7).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(shuffled.slice(0, 7)).not.toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('batchStream: passes of seeded permutations cut into batches', () => {
    const s = batchStream(5, 2, true, new Random('batch-stream'));
    const pass = [s.next().value, s.next().value, s.next().value] as number[][];
    expect(pass.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(pass.flat().sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('yields to the event loop between steps', async () => {
    const { x, y } = regressionData('fit-yield', 40);
    const m = linearModel();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let stepsWithTimer = 0;
    await m.fit(x, y, { epochs: 1, batchSize: 1, verbose: 0, callbacks: [{ onBatchEnd: () => { if (ticks > 0) stepsWithTimer++; } }] });
    clearInterval(timer);
    // a loop that never yields would let no timer fire before the last step
    expect(stepsWithTimer).toBeGreaterThan(0);
  });

  it('trains a Dense stack with a distribution head (DistributionLambda of Dense outputs)', async () => {
    // y ~ N(2x, 1): a Dense layer predicts the mean; the loss is the negative log-likelihood
    const rng = seededRng('fit-dist-head');
    const n = 64;
    const x = randn(rng, [n, 1]);
    const y = tensor(Array.from(x.data, (v) => 2 * v + rng.normal()), [n, 1]);
    const m = new Sequential([
      new InputLayer({ inputShape: [1] }),
      new Dense({ units: 1, seed: 2 }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: t, scaleDiag: [1] })),
    ]);
    m.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'negativeLogLikelihood' });
    const h = await m.fit(x, y, { epochs: 30, batchSize: 16, verbose: 0, seed: 1 });
    expect(h.history.loss[29]).toBeLessThan(h.history.loss[0]);
    expect(m.getWeights()[0].data[0]).toBeCloseTo(2, 0);
  });
});

describe('Sequential.fit: bad data is refused before training starts', () => {
  /** A callback that records whether training began. */
  const watcher = (): { started: boolean; hooks: { onTrainBegin: () => void } } => {
    const s = { started: false, hooks: { onTrainBegin: () => { s.started = true; } } };
    return s;
  };

  it('names the row and column of a NaN in y, and leaves the weights alone', async () => {
    const { x, y } = regressionData('fit-nan', 10);
    const yBad = y.clone();
    yBad.data[7] = NaN; // row 7, column 0
    const m = linearModel();
    m.build();
    const w0 = bits(m.getWeights());
    const s = watcher();
    await expect(m.fit(x, yBad, { verbose: 0, callbacks: [s.hooks] })).rejects.toThrow(/Sequential\.fit: 'y' has NaN at row 7, column 0 \(shape \[10,1\]\)/);
    expect(s.started).toBe(false);
    expect(bits(m.getWeights())).toEqual(w0);
  });

  it('names the row and column of ±Infinity in x, and of NaN in validation data', async () => {
    const { x, y } = regressionData('fit-inf', 10);
    const xBad = x.clone();
    xBad.data[2 * 4 + 1] = -Infinity; // row 4, column 1
    const m = linearModel();
    await expect(m.fit(xBad, y, { verbose: 0 })).rejects.toThrow(/'x' has -Infinity at row 4, column 1/);
    const yv = y.clone();
    yv.data[3] = NaN;
    await expect(m.fit(x, y, { verbose: 0, validationData: [x, yv] })).rejects.toThrow(/'validationData\[1\]' has NaN at row 3, column 0/);
    // validateArgs: false skips the scan (the NaN then shows up as a non-finite loss)
    await expect(m.fit(xBad, y, { verbose: 0, validateArgs: false, shuffle: false, batchSize: 10 })).rejects.toThrow(NonFiniteLossError);
  });

  it('names both shapes when x and y have different numbers of rows', async () => {
    const m = linearModel();
    await expect(m.fit(zeros([10, 2]), zeros([9, 1]), { verbose: 0 }))
      .rejects.toThrow(/'x' has shape \[10,2\] and 'y' has shape \[9,1\]; their first dimensions \(rows\) must match/);
  });

  it('names both shapes when x does not fit the model input or y its output', async () => {
    const m = linearModel();
    await expect(m.fit(zeros([10, 3]), zeros([10, 1]), { verbose: 0 }))
      .rejects.toThrow(/'x' has shape \[10,3\], but the model's inputShape is \[2\] \(expected \[10,2\]\)/);
    await expect(m.fit(zeros([10, 2]), zeros([10, 2]), { verbose: 0 }))
      .rejects.toThrow(/'y' has shape \[10,2\], but the model outputs \[batch,1\] \(expected \[10,1\]\)/);
    const d = new Sequential([
      new InputLayer({ inputShape: [0] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) })),
    ]);
    d.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
    await expect(d.fit(zeros([5, 0]), zeros([5, 3]), { verbose: 0 }))
      .rejects.toThrow(/'y' has shape \[5,3\], but the model outputs a MultivariateNormalDiag over events of shape \[2\] \(expected \[5,2\]\)/);
  });

  it('rejects bad options by name, with the right error class', async () => {
    const m = linearModel();
    const x = zeros([4, 2]);
    const y = zeros([4, 1]);
    const cases: Array<[Record<string, unknown>, ErrorConstructor, RegExp]> = [
      [{ batchSize: 0 }, RangeError, /'batchSize' must be a positive integer, got 0/],
      [{ batchSize: 2.5 }, RangeError, /'batchSize' must be a positive integer, got 2.5/],
      [{ batchSize: '32' }, TypeError, /'batchSize' must be a positive integer, got '32'/],
      [{ epochs: -1 }, RangeError, /'epochs' must be a positive integer, got -1/],
      [{ epochs: NaN }, RangeError, /'epochs'/],
      [{ stepsPerEpoch: 0 }, RangeError, /'stepsPerEpoch' must be a positive integer, got 0/],
      [{ batchsize: 8 }, TypeError, /unknown option 'batchsize' \(did you mean 'batchSize'\?\)/],
      [{ verbose: 3 }, RangeError, /'verbose' must be 0, 1 or 2, got 3/],
      [{ shuffle: 'yes' }, TypeError, /'shuffle' must be a boolean/],
      [{ validationSplit: 1.5 }, RangeError, /'validationSplit' must be in \(0, 1\), got 1.5/],
      [{ validationData: [x] }, TypeError, /'validationData' must be a pair \[x, y\]/],
      [{ callbacks: [{ onEpochEnds: () => undefined }] }, TypeError, /unknown hook 'onEpochEnds'/],
      [{ seed: Infinity }, RangeError, /'seed' must be finite, got Infinity/],
      [{ output: 5 }, TypeError, /'output' must be a stream/],
    ];
    for (const [options, Cls, message] of cases) {
      const p = m.fit(x, y, { verbose: 0, ...options });
      await expect(p).rejects.toThrow(Cls);
      await expect(m.fit(x, y, { verbose: 0, ...options })).rejects.toThrow(message);
    }
  });

  it('refuses to train an uncompiled model, and data that is not a tensor', async () => {
    const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 1 })]);
    await expect(m.fit(zeros([4, 2]), zeros([4, 1]))).rejects.toThrow(/not compiled; call model.compile\(\{ optimizer, loss \}\) first/);
    const c = linearModel();
    await expect(c.fit('x' as unknown as Tensor, zeros([4, 1]), { verbose: 0 })).rejects.toThrow(/'x' must be a Tensor, a number, nested arrays of numbers, a typed array, \{ data, shape \} or an ndarray, got 'x'/);
  });
});

describe('Sequential.fit: divergence', () => {
  it('stops on a non-finite loss, naming epoch, step and value, and keeps the last weights that gave a finite loss', async () => {
    const { x, y } = regressionData('fit-diverge', 32);
    const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 1, seed: 4 })]);
    // lr 10 on a least-squares problem: each step multiplies the error by about −(2·lr·λ − 1), so it blows up
    m.compile({ optimizer: new SGD({ learningRate: 10 }), loss: 'meanSquaredError' });
    let before: Tensor[] = [];
    let lastFinite: Tensor[] = [];
    let steps = 0;
    const err = await m.fit(x, y, {
      epochs: 100, batchSize: 8, verbose: 0, seed: 2,
      callbacks: [{
        onBatchBegin: () => { before = m.getWeights(); },
        onBatchEnd: () => { lastFinite = before; steps++; },
      }],
    }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    const e = err as NonFiniteLossError;
    expect(Number.isFinite(e.value)).toBe(false);
    expect(e.message).toMatch(new RegExp(`^Sequential\\.fit: the loss became ${e.value} at epoch ${e.epoch + 1}/100, step ${e.step + 1}/4; ` +
      'training stopped and the weights, batch-norm statistics and optimizer state were restored to those that gave the last finite loss \\(epoch \\d+, step \\d+\\)'));
    expect(e.epoch * 4 + e.step).toBe(steps); // the failing step is the one after the last completed one
    expect(steps).toBeGreaterThan(1);
    // the weights that gave the last finite loss, bit for bit
    expect(bits(m.getWeights())).toEqual(bits(lastFinite));
    for (const w of m.getWeights()) expect(Array.from(w.data).every(Number.isFinite)).toBe(true);
  });

  it('stops when a gradient is non-finite though the loss is finite, with the weights of that loss', async () => {
    // From step 3 on, the loss adds 0·√(ŷ − ŷ): its value is the same, but d√u/du at u = 0 is +∞,
    // and +∞ − ∞ from the two uses of ŷ makes the gradient NaN
    const { x, y } = regressionData('fit-nan-grad', 16);
    const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 1, seed: 5 })]);
    let calls = 0;
    m.compile({
      optimizer: new Adam(),
      loss: (yTrue, yPred) => {
        const p = yPred as Tensor;
        const se = mean(square(sub(yTrue, p)), 1);
        return ++calls >= 3 ? sub(se, reshape(mul(sqrt(sub(p, p)), 0), [-1])) : se;
      },
    });
    let atThirdStep: Tensor[] = [];
    const err = await m.fit(x, y, {
      epochs: 1, batchSize: 4, verbose: 0, shuffle: false, runEagerly: true, // the loss changes with its calls: no replays
      callbacks: [{ onBatchBegin: (b) => { if (b === 2) atThirdStep = m.getWeights(); } }],
    }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/a gradient became non-finite at epoch 1\/1, step 3\/4 \(loss [0-9.]+\); training stopped/);
    expect(Number.isFinite((err as NonFiniteLossError).value)).toBe(true);
    expect(bits(m.getWeights())).toEqual(bits(atThirdStep));
  });
});
