import { Adam } from '../../autodiff/optimizers/adam.js';
import { mean } from '../../autodiff/ops/reduce.js';
import { neg } from '../../autodiff/ops/unary.js';
import { noGrad, tensor, type Tensor } from '../../autodiff/tensor.js';
import { BatchNormalization } from '../../flows/bijectors/batch-normalization.js';
import type { Bijector } from '../../flows/bijectors/bijector.js';
import { Chain } from '../../flows/bijectors/chain.js';
import { Invert } from '../../flows/bijectors/invert.js';
import { Logit } from '../../flows/bijectors/logit.js';
import { MaskedAutoregressiveFlow } from '../../flows/bijectors/masked-autoregressive-flow.js';
import { Permute, Reverse } from '../../flows/bijectors/permute.js';
import { Standardize } from '../../flows/bijectors/standardize.js';
import { MultivariateNormalDiag } from '../../flows/distributions/multivariate-normal-diag.js';
import { maskedAutoregressiveFlowStack } from '../../flows/maf.js';
import type { Random } from '../../lib/util/random.js';
import { maxAbsDiff, randn, randu, seededRng } from '../helpers/grad-check.js';

const LOG_2PI = Math.log(2 * Math.PI);
const members = (flow: { bijector: Bijector }): readonly Bijector[] => (flow.bijector as Chain).bijectors;

describe('maskedAutoregressiveFlowStack: structure', () => {
  it('K = 3 with batch norm: Chain([maf_0, bn_0, reverse_0, maf_1, bn_1, reverse_1, maf_2, bn_2]) on N(0, I)', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 4, transform: 'affine', numLayers: 3, hiddenUnits: [8, 6], batchNorm: true, seed: 1 });
    expect(flow.bijector).toBeInstanceOf(Chain);
    expect(members(flow).map((b) => b.name)).toEqual([
      'maf_0', 'batch_normalization_0', 'reverse_0', 'maf_1', 'batch_normalization_1', 'reverse_1', 'maf_2', 'batch_normalization_2',
    ]);
    expect(members(flow).map((b) => b.className)).toEqual([
      'MaskedAutoregressiveFlow', 'BatchNormalization', 'Reverse', 'MaskedAutoregressiveFlow', 'BatchNormalization', 'Reverse',
      'MaskedAutoregressiveFlow', 'BatchNormalization',
    ]);
    expect(members(flow)[2]).toBeInstanceOf(Reverse);
    expect((members(flow)[2] as Reverse).eventSize).toBe(4);
    // batch norms start in inference mode (a plain logProb uses the running averages)
    for (const b of members(flow)) if (b instanceof BatchNormalization) expect(b.training).toBe(false);
    const base = flow.distribution as MultivariateNormalDiag;
    expect(base).toBeInstanceOf(MultivariateNormalDiag);
    expect(base.eventShape).toEqual([4]);
    expect(Array.from((base.loc as Tensor).data)).toEqual([0, 0, 0, 0]);
    expect(base.scaleDiag).toBeNull();
    expect(flow.eventShape).toEqual([4]);
    expect(flow.batchShape).toEqual([]);
  });

  it('defaults: 5 spline layers (8 bins on [−5, 5]) of MADEs [512, 512] relu started near zero, reversed between, no batch norm', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 3 });
    const m = members(flow);
    expect(m.map((b) => b.className)).toEqual([
      'MaskedAutoregressiveFlow', 'Reverse', 'MaskedAutoregressiveFlow', 'Reverse', 'MaskedAutoregressiveFlow', 'Reverse',
      'MaskedAutoregressiveFlow', 'Reverse', 'MaskedAutoregressiveFlow',
    ]);
    const made = (m[0] as MaskedAutoregressiveFlow).network!;
    expect(made.hiddenUnits).toEqual([512, 512]);
    expect(made.getConfig().activation).toBe('relu');
    expect(made.params).toBe(23); // 3·8 − 1
    expect((m[0] as MaskedAutoregressiveFlow).transform?.getConfig()).toEqual({ name: 'spline', bins: 8, bound: 5, minBinWidth: 1e-3, minBinHeight: 1e-3, minSlope: 1e-3 });
    expect(made.zeroInitOutput).toBe(true);
    expect(made.residualBlocks).toBe(false);
    expect(members(maskedAutoregressiveFlowStack({ eventSize: 3, numLayers: 1, hiddenUnits: [4] })).map((b) => b.name)).toEqual(['maf_0']);
    // transform: 'affine' gives the paper's MAF, P = 2
    expect((members(maskedAutoregressiveFlowStack({ eventSize: 3, numLayers: 1, hiddenUnits: [4], transform: 'affine' }))[0] as MaskedAutoregressiveFlow).network!.params).toBe(2);
  });

  it('preprocessing sits outermost, inverted, so the density direction applies it to the data first', () => {
    const logit = new Logit({ alpha: 0.05 });
    const flow = maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 2, hiddenUnits: [4], preprocessing: logit });
    const first = members(flow)[0] as Invert;
    expect(first).toBeInstanceOf(Invert);
    expect(first.bijector).toBe(logit);
    expect(members(flow).map((b) => b.name)).toEqual(['invert_logit', 'maf_0', 'reverse_0', 'maf_1']);
  });

  it("'random' permutations are seeded permutations of 0..E−1, different between gaps and equal for equal seeds", () => {
    const perms = (seed: number) => members(maskedAutoregressiveFlowStack({ eventSize: 6, transform: 'affine', numLayers: 4, hiddenUnits: [8], permutation: 'random', seed }))
      .filter((b): b is Permute => b instanceof Permute).map((p) => p.permutation.slice());
    const a = perms(3);
    expect(a).toHaveLength(3);
    for (const p of a) expect(p.slice().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(a.map((p) => p.join(','))).size).toBe(3);
    expect(perms(3)).toEqual(a);
    expect(perms(4)).not.toEqual(a);
  });

  it('every MADE and batch-norm weight is trainable and reachable from the distribution; the count matches by hand', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 4, transform: 'affine', numLayers: 3, hiddenUnits: [8, 6], batchNorm: true, seed: 2 });
    // per MADE: kernels [4,8], [8,6], [6,8] (8 = 2 params × 4 dims) and biases [8], [6], [8]:
    //   4·8 + 8 + 8·6 + 6 + 6·8 + 8 = 40 + 54 + 56 = 150; per batch norm logGamma [4] and beta [4] = 8
    const w = flow.trainableWeights;
    expect(w).toHaveLength(3 * 6 + 3 * 2);
    expect(w.reduce((n, t) => n + t.size, 0)).toBe(3 * 150 + 3 * 8);
    expect(w.every((t) => t.requiresGrad)).toBe(true);
    expect(new Set(w).size).toBe(w.length);
    // running mean and variance of each batch norm: saved, not trained
    expect(flow.nonTrainableWeights).toHaveLength(6);
    expect(flow.nonTrainableWeights.some((t) => t.requiresGrad)).toBe(false);
    // preprocessing adds no weights
    const pre = maskedAutoregressiveFlowStack({ eventSize: 4, transform: 'affine', numLayers: 3, hiddenUnits: [8, 6], seed: 2, preprocessing: new Standardize({ mean: [0, 0, 0, 0], std: [1, 2, 3, 4] }) });
    expect(pre.trainableWeights.reduce((n, t) => n + t.size, 0)).toBe(3 * 150);
  });

  it('seeds: equal seeds give equal initial weights, and each MADE gets its own', () => {
    const a = maskedAutoregressiveFlowStack({ eventSize: 3, transform: 'affine', numLayers: 2, hiddenUnits: [5], seed: 'x' }).trainableWeights;
    const b = maskedAutoregressiveFlowStack({ eventSize: 3, transform: 'affine', numLayers: 2, hiddenUnits: [5], seed: 'x' }).trainableWeights;
    a.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(b[i].data)));
    expect(Array.from(a[0].data)).not.toEqual(Array.from(a[4].data)); // first kernel of maf_0 vs maf_1
  });

  it('rejects bad options, naming them', () => {
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 0 })).toThrow(/maskedAutoregressiveFlowStack: 'eventSize' must be a positive integer, got 0/);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 1.5 })).toThrow(RangeError);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, permutation: 'shuffle' as never })).toThrow(/'permutation' must be 'reverse' or 'random', got 'shuffle'/);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, preprocessing: {} as never })).toThrow(TypeError);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, batchNorm: 'yes' as never })).toThrow(/'batchNorm' must be a boolean/);
    expect(() => maskedAutoregressiveFlowStack(undefined as never)).toThrow(TypeError);
  });
});

describe('maskedAutoregressiveFlowStack: options', () => {
  it('rejects an unknown option by name, with the nearest valid one', () => {
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, numLayer: 3 } as never)).toThrow(TypeError);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, numLayer: 3 } as never)).toThrow(/numLayer.*numLayers/);
  });

  it('logScaleClamp reaches every MAF layer and bounds each layer\'s log-det', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 3, transform: 'affine', numLayers: 3, hiddenUnits: [8], logScaleClamp: 0.5, seed: 4 });
    const mafs = (flow.bijector as Chain).bijectors.filter((b): b is MaskedAutoregressiveFlow => b instanceof MaskedAutoregressiveFlow);
    expect(mafs).toHaveLength(3);
    for (const maf of mafs) expect(maf.logScaleClamp).toEqual({ min: -0.5, max: 0.5 });
    // |logScale_d| < 0.5 in every dimension of every layer: |Σ log-dets| < 3 layers · 3 dims · 0.5 = 4.5,
    // even at a point far outside anything the networks were built for
    const far = tensor([[1e3, -1e3, 5e2]]);
    const logp = noGrad(() => flow.logProb(far)).item();
    expect(Number.isFinite(logp)).toBe(true);
    const base = noGrad(() => flow.bijector.inverseAndLogDet(far, { eventNdims: 1 })).logDet.item();
    expect(Math.abs(base)).toBeLessThan(4.5);
  });
});

describe('maskedAutoregressiveFlowStack: densities', () => {
  it('logProb = log N(u; 0, I) + Σ inverse log-dets, member by member in the density direction', () => {
    const rng = seededRng('maf-logprob-by-hand');
    const flow = maskedAutoregressiveFlowStack({ eventSize: 3, transform: 'affine', numLayers: 2, hiddenUnits: [6], batchNorm: true, seed: 5, preprocessing: new Logit({ alpha: 0.01 }) });
    const x = randu(rng, [4, 3], 0.05, 0.95);
    let u = x;
    const logDet = new Float64Array(4);
    for (const b of members(flow)) {
      const r = b.inverseAndLogDet(u, { eventNdims: 1 });
      r.logDet.data.forEach((v, i) => (logDet[i] += v));
      u = r.x;
    }
    const lp = flow.logProb(x).data;
    for (let i = 0; i < 4; i++) {
      let q = 0;
      for (let d = 0; d < 3; d++) q += u.data[i * 3 + d] ** 2;
      expect(lp[i]).toBeCloseTo(-0.5 * q - 1.5 * LOG_2PI + logDet[i], 12);
    }
  });

  it('with a Logit preprocessing, the density of the data in (0, 1)² integrates to 1', () => {
    // α = 0.2 keeps the density bounded at the edges of the domain (−α/(1−2α), (1−α)/(1−2α)) = (−1/3, 4/3),
    // where the midpoint rule then converges; 300² cells.
    const alpha = 0.2;
    const flow = maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 2, hiddenUnits: [8], activation: 'tanh', seed: 11, preprocessing: new Logit({ alpha }) });
    const [lo, hi] = [-alpha / (1 - 2 * alpha), (1 - alpha) / (1 - 2 * alpha)];
    const n = 300;
    const h = (hi - lo) / n;
    const pts = new Float64Array(n * n * 2);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        pts[(i * n + j) * 2] = lo + (i + 0.5) * h;
        pts[(i * n + j) * 2 + 1] = lo + (j + 0.5) * h;
      }
    }
    const lp = noGrad(() => flow.logProb(tensor(pts, [n * n, 2]))).data;
    let total = 0;
    for (const v of lp) total += Math.exp(v) * h * h;
    expect(total).toBeGreaterThan(0.99);
    expect(total).toBeLessThan(1.01);
  });

  it('sampling and density agree: sampleAndLogProb = logProb of the samples; forward then inverse is the identity', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 3, transform: 'affine', numLayers: 3, hiddenUnits: [8], batchNorm: true, seed: 7, preprocessing: new Logit({ alpha: 0.05 }) });
    const { sample, logProb } = noGrad(() => flow.sampleAndLogProb(5, { seed: 3 }));
    expect(sample.shape).toEqual([5, 3]);
    for (const v of sample.data) expect(v > 0 && v < 1).toBe(true); // the data side is the unit cube
    expect(maxAbsDiff(noGrad(() => flow.logProb(sample)).data, logProb.data)).toBeLessThan(1e-9);
    const u = randn(seededRng('maf-roundtrip'), [5, 3]);
    expect(maxAbsDiff(flow.bijector.inverse(flow.bijector.forward(u)).data, u.data)).toBeLessThan(1e-10);
  });

  it('conditional: every MADE sees the condition, given once for the whole chain', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 2, hiddenUnits: [8], conditional: true, conditionalEventShape: 3, seed: 4 });
    for (const b of members(flow)) if (b instanceof MaskedAutoregressiveFlow) expect(b.network!.conditional).toBe(true);
    const rng = seededRng('maf-conditional');
    const y = randn(rng, [4, 2]);
    const c1 = randn(rng, [4, 3]);
    const c2 = randn(rng, [4, 3]);
    const l1 = flow.logProb(y, { bijectorKwargs: { conditionalInput: c1 } }).data;
    const l2 = flow.logProb(y, { bijectorKwargs: { conditionalInput: c2 } }).data;
    expect(maxAbsDiff(l1, l2)).toBeGreaterThan(1e-3);
    // and each MADE on its own by name: conditioning only maf_1 on c2 differs from both
    const mixed = flow.logProb(y, { bijectorKwargs: { maf_0: { conditionalInput: c1 }, maf_1: { conditionalInput: c2 } } }).data;
    expect(maxAbsDiff(mixed, l1)).toBeGreaterThan(1e-6);
    expect(maxAbsDiff(mixed, l2)).toBeGreaterThan(1e-6);
    expect(flow.sample(2, { seed: 1, bijectorKwargs: { conditionalInput: tensor([[0, 1, 2], [1, 0, 0]]) } }).shape).toEqual([2, 2]);
  });

  it('batch norm: training steps use and update batch statistics; a plain logProb uses and keeps the running averages', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 1, hiddenUnits: [4], batchNorm: true, seed: 9 });
    const bn = members(flow)[1] as BatchNormalization;
    const x = randn(seededRng('maf-bn'), [16, 2], 3, 5);
    const before = Array.from(bn.movingMean.data);
    flow.logProb(x);
    expect(Array.from(bn.movingMean.data)).toEqual(before);
    flow.logProb(x, { bijectorKwargs: { training: true } });
    expect(Array.from(bn.movingMean.data)).not.toEqual(before);
  });

  it('one gradient step reaches every trainable weight', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 3, transform: 'affine', numLayers: 2, hiddenUnits: [8], batchNorm: true, seed: 12 });
    const x = randn(seededRng('maf-grad'), [10, 3]);
    neg(mean(flow.logProb(x, { bijectorKwargs: { training: true } }))).backward();
    for (const w of flow.trainableWeights) {
      expect(w.grad).not.toBeNull();
      expect((w.grad as Tensor).data.some((v) => v !== 0)).toBe(true);
    }
  });
});

/**
 * A correlated, non-Gaussian 2-D data set: x₂ ~ N(0, 1), x₁ = x₂² − 1 + 0.3·ε (ε ~ N(0, 1)):
 * uncorrelated but dependent, a parabola no Gaussian can follow.
 */
function parabola(rng: Random, n: number): Tensor {
  const d = new Float64Array(2 * n);
  for (let b = 0; b < n; b++) {
    const x2 = rng.normal();
    d[2 * b] = x2 * x2 - 1 + 0.3 * rng.normal();
    d[2 * b + 1] = x2;
  }
  return tensor(d, [n, 2]);
}

/** Mean NLL of `test` under the maximum-likelihood Gaussian of `train` (full 2×2 covariance). */
function gaussianNll(train: Tensor, test: Tensor): number {
  const n = train.shape[0];
  const m = [0, 0];
  for (let b = 0; b < n; b++) for (let d = 0; d < 2; d++) m[d] += train.data[2 * b + d] / n;
  let [s11, s12, s22] = [0, 0, 0];
  for (let b = 0; b < n; b++) {
    const [a, c] = [train.data[2 * b] - m[0], train.data[2 * b + 1] - m[1]];
    s11 += (a * a) / n;
    s12 += (a * c) / n;
    s22 += (c * c) / n;
  }
  const det = s11 * s22 - s12 * s12;
  let total = 0;
  const k = test.shape[0];
  for (let b = 0; b < k; b++) {
    const [a, c] = [test.data[2 * b] - m[0], test.data[2 * b + 1] - m[1]];
    const q = (s22 * a * a - 2 * s12 * a * c + s11 * c * c) / det;
    total += (0.5 * q + 0.5 * Math.log(det) + LOG_2PI) / k;
  }
  return total;
}

const STEPS = 150;

describe('maskedAutoregressiveFlowStack: training', () => {
  it.each([
    ['MAF (3)', false],
    ['MAF (3) + batch norm', true],
  ] as const)('%s trained 150 Adam steps beats the maximum-likelihood Gaussian on held-out data', (_label, batchNorm) => {
    const rng = seededRng(`maf-train-${batchNorm}`);
    const train = parabola(rng, 1000);
    const test = parabola(rng, 1000);
    const flow = maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 3, hiddenUnits: [16, 16], batchNorm, batchNormMomentum: 0.9, seed: 1 });
    const params = flow.trainableWeights;
    const opt = new Adam({ learningRate: 5e-3 });
    // Batch-norm momentum 0.9: the running averages must settle within 150 steps (0.99¹⁵⁰ ≈ 0.22 of the start would remain).
    const batch = 100;
    for (let step = 0; step < STEPS; step++) {
      const s = (step * batch) % 1000;
      const xb = tensor(train.data.subarray(2 * s, 2 * (s + batch)), [batch, 2]);
      const loss = neg(mean(flow.logProb(xb, { bijectorKwargs: { training: true } })));
      opt.zeroGrad(params);
      loss.backward();
      opt.step(params);
    }
    const flowNll = noGrad(() => -mean(flow.logProb(test)).item());
    const gaussNll = gaussianNll(train, test);
    // The Gaussian of this data has covariance diag(Var(x₂² + 0.3ε) = 2.09, 1) (x₁, x₂ uncorrelated), so its NLL
    // is about log 2π + ½ log 2.09 + 1 ≈ 3.21 nats; the true density's is H(x₂) + H(0.3ε) ≈ 1.42 + 0.21 = 1.63 nats.
    expect(gaussNll).toBeGreaterThan(3.1);
    expect(gaussNll).toBeLessThan(3.3);
    expect(flowNll).toBeLessThan(gaussNll - 1); // seen: 1.68 (MAF), 1.74 (MAF + BN)
    expect(flowNll).toBeGreaterThan(1.5); // and not below the truth's 1.63 by more than noise
  });
});
