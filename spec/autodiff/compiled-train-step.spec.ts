import { compileTrainStep } from '../../autodiff/compiled/train-step.js';
import { mean, sum } from '../../autodiff/ops/reduce.js';
import { neg } from '../../autodiff/ops/unary.js';
import { mul } from '../../autodiff/ops/binary.js';
import { Adam } from '../../autodiff/optimizers/adam.js';
import { SGD } from '../../autodiff/optimizers/sgd.js';
import type { Optimizer } from '../../autodiff/optimizers/optimizer.js';
import { outGrad, record, ones, Tensor, zeros } from '../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../flows/made/autoregressive-network.js';
import { MaskedAutoregressiveFlow } from '../../flows/bijectors/masked-autoregressive-flow.js';
import { MultivariateNormalDiag } from '../../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../../flows/distributions/transformed-distribution.js';
import { maskedAutoregressiveFlowStack } from '../../flows/maf.js';
import { Random } from '../../lib/util/random.js';

/** True when the arrays hold the same doubles bit for bit (−0 ≠ 0, NaN = NaN), as Object.is compares. */
function sameBits(p: ArrayLike<number>, q: ArrayLike<number>): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
  return true;
}

/** A batch of `rows` standard normals of `width`, drawn from `rng`. */
function batch(rng: Random, rows: number, width: number): Tensor {
  return new Tensor(rng.fillNormal(new Float64Array(rows * width)), [rows, width]);
}

/** bench/flows.ts's config i: one MAF layer, MADE [2 → 10 → 4] with relu, on N(0, I), float64. */
function configI(seed: number): TransformedDistribution {
  const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [10], activation: 'relu', seed });
  return new TransformedDistribution({
    distribution: new MultivariateNormalDiag({ loc: zeros([2]), scaleDiag: ones([2]) }),
    bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }),
  });
}

/**
 * Trains two copies of a model, one with the step written out (zeroGrad, loss, backward, step) and
 * one with the compiled step, on the same batches; returns every loss and the final weights of each.
 */
function trainBoth(make: () => { weights: Tensor[]; loss: (...xs: Tensor[]) => Tensor; optimizer: Optimizer }, batches: Tensor[][]):
  { plain: { losses: number[]; weights: Float64Array[] }; compiled: { losses: number[]; weights: Float64Array[] }; step: ReturnType<typeof compileTrainStep> } {
  const p = make();
  const plainLosses = batches.map((xs) => {
    p.optimizer.zeroGrad(p.weights);
    const loss = p.loss(...xs);
    loss.backward();
    p.optimizer.step(p.weights);
    return loss.item();
  });
  const c = make();
  const step = compileTrainStep(c.loss, c.weights, c.optimizer);
  const compiledLosses = batches.map((xs) => step.step(...xs));
  return {
    plain: { losses: plainLosses, weights: p.weights.map((w) => w.data.slice()) },
    compiled: { losses: compiledLosses, weights: c.weights.map((w) => w.data.slice()) },
    step,
  };
}

function expectSameRun(run: ReturnType<typeof trainBoth>): void {
  expect(run.compiled.losses.length).toBe(run.plain.losses.length);
  run.plain.losses.forEach((l, i) => expect([i, Object.is(l, run.compiled.losses[i])]).toEqual([i, true]));
  run.plain.weights.forEach((w, i) => expect([i, sameBits(w, run.compiled.weights[i])]).toEqual([i, true]));
}

describe('compileTrainStep', () => {
  it('config i (MAF, MADE [10], batch 25): 100 steps give the losses and weights of the uncompiled step, bit for bit', () => {
    const rng = new Random('compiled-config-i');
    const batches = Array.from({ length: 100 }, () => [batch(rng, 25, 2)]);
    const run = trainBoth(() => {
      const flow = configI(7);
      return { weights: flow.trainableWeights, loss: (x) => neg(mean(flow.logProb(x))), optimizer: new Adam({ learningRate: 1e-2 }) };
    }, batches);
    expectSameRun(run);
    // One recording, one step checked both ways, 98 replays.
    expect(run.step.debug).toMatchObject({ reason: null, recordings: 1, replays: 98, uncompiled: 2, replayed: true });
    // The weights moved: the comparison is not of two untrained models.
    expect(run.plain.losses[99]).toBeLessThan(run.plain.losses[0]);
  });

  it('a conditional two-layer spline MAF with a random permutation, and SGD: 100 steps bit for bit', () => {
    const rng = new Random('compiled-conditional');
    const batches = Array.from({ length: 100 }, () => [batch(rng, 16, 3), batch(rng, 16, 2)]);
    const run = trainBoth(() => {
      const flow = maskedAutoregressiveFlowStack({
        eventSize: 3, numLayers: 2, hiddenUnits: [8, 8], transform: 'spline', bins: 4, permutation: 'random',
        conditional: true, conditionalEventShape: 2, seed: 3,
      });
      return {
        weights: flow.trainableWeights,
        loss: (y, c) => neg(mean(flow.logProb(y, { bijectorKwargs: { conditionalInput: c } }))),
        optimizer: new SGD({ learningRate: 0.05, clipNorm: 10 }),
      };
    }, batches);
    expectSameRun(run);
    expect(run.step.debug).toMatchObject({ reason: null, recordings: 1, replays: 98 });
  });

  it('records again for a new batch shape (a last, smaller batch) and replays each shape, bit for bit', () => {
    const rng = new Random('compiled-shapes');
    // Epochs of 60 rows in batches of 25: 25, 25, 10.
    const batches = Array.from({ length: 5 }, () => [[batch(rng, 25, 2)], [batch(rng, 25, 2)], [batch(rng, 10, 2)]]).flat();
    const run = trainBoth(() => {
      const flow = configI(11);
      return { weights: flow.trainableWeights, loss: (x) => neg(mean(flow.logProb(x))), optimizer: new Adam({ learningRate: 1e-2 }) };
    }, batches);
    expectSameRun(run);
    // Two shapes: each recorded once and checked once; the other 11 of 15 steps replayed.
    expect(run.step.debug).toMatchObject({ reason: null, recordings: 2, uncompiled: 4, replays: 11 });
  });

  it('runs uncompiled, and says why, when an op cannot be replayed', () => {
    // An op recorded without a forward: a compiled step cannot recompute it.
    const opaqueSquare = (x: Tensor): Tensor => {
      const y = x.data.map((v) => v * v);
      return record('opaqueSquare', y, x.shape, [x], (out) => {
        const g = outGrad(out);
        const gx = x.gradData();
        for (let i = 0; i < g.length; i++) gx[i] += g[i] * 2 * x.data[i];
      });
    };
    const rng = new Random('compiled-opaque');
    const batches = Array.from({ length: 5 }, () => [batch(rng, 4, 3)]);
    const run = trainBoth(() => {
      const w = new Tensor(new Float64Array([0.5, -1, 2]), [3], { requiresGrad: true });
      return { weights: [w], loss: (x) => sum(opaqueSquare(mul(x, w))), optimizer: new SGD({ learningRate: 0.01 }) };
    }, batches);
    expectSameRun(run);
    expect(run.step.debug).toMatchObject({ reason: 'the loss uses ops that cannot be replayed: opaqueSquare', replays: 0, uncompiled: 5, replayed: false });
  });

  it('stops replaying when a replay differs from the uncompiled step (the loss reads its input outside the ops)', () => {
    const rng = new Random('compiled-outside');
    const batches = Array.from({ length: 4 }, () => [batch(rng, 4, 3)]);
    const run = trainBoth(() => {
      const w = new Tensor(new Float64Array([0.5, -1, 2]), [3], { requiresGrad: true });
      // x.data read directly: a replay would keep the first batch's value.
      return { weights: [w], loss: (x) => mul(sum(mul(x, w)), x.data[0]), optimizer: new SGD({ learningRate: 0.01 }) };
    }, batches);
    expectSameRun(run);
    expect(run.step.debug.reason).toMatch(/a replay differed from the uncompiled step/);
    expect(run.step.debug.replays).toBe(0);
  });

  it('rejects a loss that is not a scalar, and a lossFn or weights of the wrong kind', () => {
    const w = new Tensor(new Float64Array([1, 2]), [2], { requiresGrad: true });
    const step = compileTrainStep((x) => mul(x, w), [w], new SGD());
    expect(() => step.step(new Tensor(new Float64Array([1, 1]), [2]))).toThrow(/'lossFn' must return a scalar Tensor, got shape \[2\]/);
    expect(() => compileTrainStep('f' as unknown as () => Tensor, [w], new SGD())).toThrow(TypeError);
    expect(() => compileTrainStep(() => sum(w), [w.data] as unknown as Tensor[], new SGD())).toThrow(/'weights' must be an array of Tensors/);
  });
});

describe('compileTrainStep: bad arguments', () => {
  const w = new Tensor(Float64Array.of(1, 2), [2], { requiresGrad: true });
  const loss = (x: Tensor): Tensor => sum(mul(x, w));
  it('names the argument and what arrived', () => {
    expect(() => compileTrainStep(3 as never, [w], new Adam())).toThrow(/compileTrainStep: 'lossFn' must be a function of the step's inputs, got 3/);
    expect(() => compileTrainStep(loss, [3] as never, new Adam())).toThrow(/compileTrainStep: 'weights' must be an array of Tensors, got \[3\]/);
    expect(() => compileTrainStep(loss, [w], {} as never)).toThrow(/compileTrainStep: 'optimizer' must be an Optimizer \(e\.g\. new Adam\(\)\), got an object/);
    expect(() => compileTrainStep(loss, [w], new SGD()).step('a' as never)).toThrow(/'inputs\[0\]' must be a Tensor/);
  });
  it('refuses a NaN input through the optimizer, leaving the weights as they were', () => {
    const step = compileTrainStep(loss, [w], new SGD({ learningRate: 0.1 }));
    step.step(new Tensor(Float64Array.of(1, 1), [2]));
    step.step(new Tensor(Float64Array.of(1, 1), [2]));
    const before = Array.from(w.data);
    expect(() => step.step(new Tensor(Float64Array.of(Number.NaN, 1), [2]))).toThrow(/non-finite/);
    expect(Array.from(w.data)).toEqual(before);
  });
});
