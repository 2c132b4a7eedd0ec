import { CompiledTrainStep } from '../../../autodiff/compiled/train-step.js';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { SGD } from '../../../autodiff/optimizers/sgd.js';
import { add, mul, sub } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { square } from '../../../autodiff/ops/unary.js';
import type { CallOptions } from '../../../lib/layers/layer.js';
import { TrainStep, type TrainableModel } from '../../../lib/models/training.js';
import { tensor, zeros, type Tensor } from '../../../autodiff/tensor.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { AutoregressiveTransform } from '../../../lib/layers/autoregressive-transform.js';
import { DistributionLambda } from '../../../lib/layers/distribution-lambda.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { Sequential } from '../../../lib/models/sequential.js';
import { Random } from '../../../lib/util/random.js';

// fit replays the graph of its first step of each batch shape (autodiff/compiled/train-step.ts).

/** TFP's banana example (README), `n` points, as a fresh model and its data. */
function banana(n: number, options: { dropout?: number } = {}): { model: Sequential; y: Tensor } {
  const rng = new Random(0);
  const y = tensor(Array.from({ length: n }, () => {
    const x2 = 2 * rng.normal();
    return [rng.normal() + (x2 * x2) / 4, x2];
  }));
  const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu', seed: 4, ...options });
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] })),
    new AutoregressiveTransform(made),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 1e-2 }), loss: (yTrue, rv) => rv.logProb(yTrue).neg() });
  return { model, y };
}

const original = CompiledTrainStep.prototype.lossAndGradients;

/** Every CompiledTrainStep a fit makes, with its counters after the fit. */
function watchSteps(): CompiledTrainStep[] {
  const steps: CompiledTrainStep[] = [];
  jest.spyOn(CompiledTrainStep.prototype, 'lossAndGradients').mockImplementation(function (this: CompiledTrainStep, ...xs) {
    if (!steps.includes(this)) steps.push(this);
    return original.apply(this, xs);
  });
  return steps;
}

afterEach(() => jest.restoreAllMocks());

describe('fit with the compiled step', () => {
  it('gives the losses and weights of runEagerly (a graph per step), bit for bit (60 rows in batches of 25: 25, 25, 10)', async () => {
    const run = async (compiled: boolean): Promise<{ losses: number[]; weights: Float64Array[]; steps: CompiledTrainStep[] }> => {
      jest.restoreAllMocks();
      const steps = watchSteps();
      const { model, y } = banana(60);
      const losses: number[] = [];
      await model.fit(zeros([60, 0]), y, { batchSize: 25, epochs: 8, verbose: 0, seed: 3, runEagerly: !compiled, callbacks: { onBatchEnd: (_b, logs) => { losses.push(logs.loss as number); } } });
      return { losses, weights: model.trainableWeights.map((w) => w.data.slice()), steps };
    };
    const plain = await run(false);
    const fast = await run(true);
    expect(fast.losses.length).toBe(24);
    fast.losses.forEach((l, i) => expect([i, Object.is(l, plain.losses[i])]).toEqual([i, true]));
    fast.weights.forEach((w, i) => expect([i, w.every((v, j) => Object.is(v, plain.weights[i][j]))]).toEqual([i, true]));
    // Two batch shapes, each recorded once and checked once: 20 of the 24 steps replayed.
    expect(fast.steps).toHaveLength(1);
    expect(fast.steps[0].debug).toMatchObject({ reason: null, recordings: 2, replays: 20, uncompiled: 4 });
    expect(plain.steps).toHaveLength(0); // runEagerly: no compiled step at all
  });

  it('does not replay a model that draws from the fit\'s random stream in training, and says so', () => {
    // y = x·w + ε with ε drawn from the seed fit passes: a replay would repeat the first ε.
    const w = tensor([1, 2], undefined, { requiresGrad: true });
    const model = {
      name: 'noisy', optimizer: null, lossFn: null, inputShape: [2], trainableWeights: [w], stopTraining: false,
      call: (x: Tensor, o?: CallOptions) => add(mul(x, w), (o?.seed as Random).normal()),
      build: () => {}, getWeights: () => [w], setWeights: () => {},
    } as unknown as TrainableModel<Tensor>;
    const steps = watchSteps();
    const stepper = new TrainStep(model, new SGD({ learningRate: 0.1 }), (y, out) => sum(square(sub(out, y)), 1), [w], 'spec');
    const rng = new Random(2);
    for (let s = 0; s < 3; s++) stepper.run(tensor([[1, 2], [3, 4]]), tensor([[0, 1], [1, 0]]), rng, 0, s, `step ${s}`);
    expect(steps[0].debug).toMatchObject({ reason: 'the model draws from the random stream fit passes it (options.seed) in training', replays: 0, uncompiled: 3 });
  });
});
