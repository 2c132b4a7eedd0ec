import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer, MultivariateNormalDiag,
  PermuteTransform, Random, Sequential, Tensor, TransformedDistribution, registerDistributionFn, setGlobalSeed, tensor,
  zeros,
} from '../../lib/index.js';
import { trainValidationTestSplit } from '../../lib/entries/data.js';

// Same seed ⇒ the same bits: initial weights, data shuffling, every batch loss, the trained
// weights, the optimizer state and samples. Each run below builds everything afresh in this
// process; spec/smoke/smoke.mjs compares the ESM and CJS builds the same way.

registerDistributionFn('determinismNormal2d', (t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) }));

/** Two moons-ish data: deterministic, so only the seeds under test vary. */
function data(n: number): Tensor {
  const rng = new Random('determinism-data');
  const d = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = Math.PI * rng.uniform();
    const upper = i % 2 === 0;
    d[2 * i] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + 0.1 * rng.normal();
    d[2 * i + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + 0.1 * rng.normal();
  }
  return tensor(d, [n, 2]);
}

const bits = (t: Tensor | Float64Array): string => {
  const a = t instanceof Tensor ? t.data : t;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
};

interface Run {
  initial: string[];
  batchLosses: number[];
  epochLosses: number[];
  trained: string[];
  state: string;
  samples: string;
  sampleLogProb: string;
  split: string[];
}

/** Builds a two-layer flow from `seed`, trains it with `fitSeed`, and records every number that should repeat. */
async function run(seed: number, fitSeed: number): Promise<Run> {
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda('determinismNormal2d'),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [16, 16], activation: 'relu', inputOrder: 'random', hiddenDegrees: 'random', seed })),
    new PermuteTransform(),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [16], activation: 'tanh', seed: seed + 1 })),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 1e-2 }), loss: 'negativeLogLikelihood' });
  model.build();
  const initial = model.getWeights().map(bits);
  const y = data(96);
  const batchLosses: number[] = [];
  const history = await model.fit(zeros([96, 0]), y, {
    batchSize: 16, epochs: 3, seed: fitSeed, verbose: 0,
    callbacks: [{ onBatchEnd: (_b, logs) => { batchLosses.push(logs.loss); } }],
  });
  const flow = model.call(zeros([0])) as TransformedDistribution;
  const { sample, logProb } = flow.sampleAndLogProb(64, { seed: 'draws' });
  const split = trainValidationTestSplit(y, { validation: 0.25, test: 0.25 }, fitSeed);
  return {
    initial,
    batchLosses,
    epochLosses: history.history.loss,
    trained: model.getWeights().map(bits),
    state: JSON.stringify(model.optimizer!.getState()),
    samples: bits(sample),
    sampleLogProb: bits(logProb),
    split: [split.train, split.validation, split.test].map(bits),
  };
}

describe('determinism: the same seeds give the same bits', () => {
  let first: Run;
  let second: Run;
  beforeAll(async () => {
    first = await run(7, 11);
    second = await run(7, 11);
  });

  it('initial weights', () => {
    expect(second.initial).toEqual(first.initial);
  });

  it('every batch loss (hence the shuffled batches) and every epoch loss, compared with Object.is', () => {
    expect(first.batchLosses).toHaveLength(18); // 96 rows / 16 = 6 steps × 3 epochs
    expect(first.batchLosses.every(Number.isFinite)).toBe(true);
    second.batchLosses.forEach((v, i) => expect(Object.is(v, first.batchLosses[i])).toBe(true));
    second.epochLosses.forEach((v, i) => expect(Object.is(v, first.epochLosses[i])).toBe(true));
  });

  it('trained weights and the optimizer state', () => {
    expect(second.trained).toEqual(first.trained);
    expect(second.trained).not.toEqual(first.initial); // training did move them
    expect(second.state).toBe(first.state);
  });

  it('samples and their log-densities, and the seeded data split', () => {
    expect(second.samples).toBe(first.samples);
    expect(second.sampleLogProb).toBe(first.sampleLogProb);
    expect(second.split).toEqual(first.split);
  });

  it('another fit seed shuffles differently, another network seed starts elsewhere', async () => {
    const otherShuffle = await run(7, 12);
    expect(otherShuffle.initial).toEqual(first.initial);
    expect(otherShuffle.batchLosses[0]).not.toBe(first.batchLosses[0]);
    const otherNet = await run(8, 11);
    expect(otherNet.initial).not.toEqual(first.initial);
  });

  it('setGlobalSeed makes unseeded networks and draws repeat', () => {
    const draw = (): string[] => {
      setGlobalSeed('determinism-global');
      const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [5], inputOrder: 'random' });
      const base = new MultivariateNormalDiag({ loc: [0, 0, 0] });
      return [...made.getWeights().map(bits), String(made.seed), bits(base.sample(5))];
    };
    expect(draw()).toEqual(draw());
  });
});
