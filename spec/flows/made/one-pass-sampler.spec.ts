import { mul } from '../../../autodiff/ops/binary.js';
import { mean } from '../../../autodiff/ops/reduce.js';
import { reshape } from '../../../autodiff/ops/shape.js';
import { neg } from '../../../autodiff/ops/unary.js';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { noGrad, tensor, zeros, type Tensor } from '../../../autodiff/tensor.js';
import type { Activation } from '../../../flows/made/activations.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import type { BijectorKwargs } from '../../../flows/bijectors/bijector.js';
import { Chain } from '../../../flows/bijectors/chain.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Reverse } from '../../../flows/bijectors/permute.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../../../flows/distributions/transformed-distribution.js';
import { onePassForward } from '../../../flows/made/one-pass-sampler.js';
import { maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';
import { randomMade } from '../bijectors/made-helpers.js';
import { makeCase } from './made-cases.js';

/** Counts the network passes a flow makes: `call` (what the MAF uses) and `flatOutput` (what `call` uses). */
function countPasses(made: AutoregressiveNetwork): { calls: () => number; restore: () => void } {
  const call = jest.spyOn(made, 'call');
  const flat = jest.spyOn(made, 'flatOutput');
  return {
    calls: () => call.mock.calls.length + flat.mock.calls.length,
    restore: () => {
      call.mockRestore();
      flat.mockRestore();
    },
  };
}

/** max |a − b| relative to the size of `b` (at least 1, so values near 0 are compared absolutely). */
function relErr(a: Tensor, b: Tensor): number {
  let scale = 1;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  return maxAbsDiff(a.data, b.data) / scale;
}

const CASES = 36;

describe('one-pass MAF sampling', () => {
  it(`equals the E-pass reference to 1e-12 relative on ${CASES} random configurations, with no network pass`, () => {
    const rng = seededRng('one-pass-configs');
    const seen = { layers: new Set<number>(), conditional: new Set<string>(), batchDims: new Set<number>(), narrow: 0, noBias: 0, E1: 0 };
    for (let i = 0; i < CASES; i++) {
      const k = makeCase(i, rng);
      const made = randomMade(k.options, `one-pass-${i}`);
      const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
      const u = randn(rng, k.uShape);
      const c = k.cShape === undefined ? undefined : randn(rng, k.cShape);
      const kwargs = k.kwargs(c);
      const ref = noGrad(() => maf.forwardReference(u, kwargs));
      const passes = countPasses(made);
      const fast = noGrad(() => maf.forwardAndLogDet(u, { ...kwargs, eventNdims: 1 }));
      const calls = passes.calls();
      passes.restore();
      const E = k.options.eventShape;
      // The recursion makes E passes; the walk makes none.
      expect({ label: k.label, calls }).toEqual({ label: k.label, calls: 0 });
      expect(fast.y.shape).toEqual(ref.y.shape);
      expect(fast.logDet.shape).toEqual(ref.logDet.shape);
      const within = (err: number): number | 'ok' => (err <= 1e-12 ? 'ok' : err); // a failure shows the case and its error
      expect({ label: k.label, y: within(relErr(fast.y, ref.y)), logDet: within(relErr(fast.logDet, ref.logDet)) })
        .toEqual({ label: k.label, y: 'ok', logDet: 'ok' });
      seen.layers.add(k.options.hiddenUnits?.length ?? 0);
      if (k.options.conditional === true) seen.conditional.add(k.options.conditionalInputLayers as string);
      seen.batchDims.add(fast.logDet.rank);
      if ((k.options.hiddenUnits ?? []).some((h) => h < E - 1)) seen.narrow++;
      if (k.options.useBias === false) seen.noBias++;
      if (E === 1) seen.E1++;
    }
    // The families the issue asks for were all exercised.
    expect([...seen.layers].sort()).toEqual([0, 1, 2, 3]);
    expect([...seen.conditional].sort()).toEqual(['all_layers', 'first_layer']);
    expect([...seen.batchDims].sort()).toEqual([0, 1, 2]);
    expect(seen.narrow).toBeGreaterThan(3);
    expect(seen.noBias).toBeGreaterThan(3);
    expect(seen.E1).toBe(2);
  });

  it('hand example: E 2, no hidden layer, shift and logScale of x₂ linear in x₁', () => {
    // Output layer only: columns (shift₁, logScale₁, shift₂, logScale₂); mask row x₁ → dimension 2 only.
    // W = [[·, ·, 0.5, 0.25], [·, ·, ·, ·]], b = [1, −1, 0, 0.5]:
    //   x₁ = u₁·e^(−1) + 1;  x₂ = u₂·e^(0.5 + 0.25·x₁) + 0.5·x₁;  logDet = −1 + 0.5 + 0.25·x₁.
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2 });
    made.setWeights([tensor([[9, 9, 0.5, 0.25], [9, 9, 9, 9]]), tensor([1, -1, 0, 0.5])]);
    const maf = new MaskedAutoregressiveFlow(made);
    const u = tensor([[2, -1]]);
    const { y, logDet } = noGrad(() => maf.forwardAndLogDet(u, { eventNdims: 1 }));
    const x1 = 2 * Math.exp(-1) + 1; // 1.7357588823428847
    const x2 = -1 * Math.exp(0.5 + 0.25 * x1) + 0.5 * x1;
    expect(y.data[0]).toBe(x1);
    expect(Math.abs(y.data[1] - x2)).toBeLessThan(1e-15);
    expect(Math.abs(logDet.data[0] - (-0.5 + 0.25 * x1))).toBeLessThan(1e-15);
  });

  it('TransformedDistribution.sample and sampleAndLogProb use it through a Chain with Reverse', () => {
    const E = 5;
    const mades = [0, 1, 2].map((k) => randomMade({ params: 2, eventShape: E, hiddenUnits: [11, 7], activation: 'relu' }, `one-pass-td-${k}`, 0.3));
    const mafs = mades.map((m, k) => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: m, name: `maf${k}` }));
    const chain = new Chain([mafs[2], new Reverse({ name: 'r1' }), mafs[1], new Reverse({ name: 'r0' }), mafs[0]]);
    const base = new MultivariateNormalDiag({ loc: zeros([E]), scaleDiag: [1, 1, 1, 1, 1] });
    const flow = new TransformedDistribution({ distribution: base, bijector: chain });
    const passes = mades.map(countPasses);
    const x = noGrad(() => flow.sample([3, 2], { seed: 'td' }));
    const both = noGrad(() => flow.sampleAndLogProb([3, 2], { seed: 'td' }));
    expect(passes.map((p) => p.calls())).toEqual([0, 0, 0]);
    passes.forEach((p) => p.restore());
    // The same draw of the base, pushed through the reference recursion layer by layer (maf0 first).
    const u = base.sample([3, 2], { seed: 'td' });
    const rev = (t: Tensor): Tensor => new Reverse().forward(t);
    const expected = noGrad(() => mafs[2].forwardReference(rev(mafs[1].forwardReference(rev(mafs[0].forwardReference(u).y)).y)).y);
    expect(x.shape).toEqual([3, 2, E]);
    expect(relErr(x, expected)).toBeLessThan(1e-12);
    expect(maxAbsDiff(both.sample.data, x.data)).toBe(0);
    // logProb from the sampling pass (base logProb − Σ forward log-dets) equals the density pass's.
    expect(maxAbsDiff(both.logProb.data, noGrad(() => flow.logProb(x)).data)).toBeLessThan(1e-10);
  });

  it('falls back to the recorded recursion when grad mode is on and a weight requires a gradient', () => {
    const made = randomMade({ params: 2, eventShape: 3, hiddenUnits: [6], activation: 'tanh' }, 'one-pass-grad');
    const maf = new MaskedAutoregressiveFlow(made);
    const u = randn(seededRng('one-pass-grad'), [4, 3]);
    const passes = countPasses(made);
    const y = maf.forward(u);
    expect(passes.calls()).toBe(2 * 3); // E calls, each counted at call and at flatOutput
    expect(y.requiresGrad).toBe(true);
    mean(y).backward();
    expect(made.trainableWeights.every((w) => w.grad !== null)).toBe(true);
    // With the weights frozen nothing needs a gradient, so the walk runs even in grad mode.
    made.trainableWeights.forEach((w) => { w.requiresGrad = false; });
    const frozen = maf.forward(u);
    expect(passes.calls()).toBe(2 * 3);
    expect(frozen.requiresGrad).toBe(false);
    expect(relErr(frozen, y)).toBeLessThan(1e-12);
    // An input that requires a gradient also sends it back to the recursion.
    const uGrad = tensor(u.data.slice(), u.shape, { requiresGrad: true });
    expect(maf.forward(uGrad).requiresGrad).toBe(true);
    expect(passes.calls()).toBe(4 * 3);
    passes.restore();
    expect(onePassForward(made, uGrad)).toBeNull();
  });

  it('reads the live weights: no stale copy after setWeights or an optimizer step', () => {
    const made = randomMade({ params: 2, eventShape: 4, hiddenUnits: [7], activation: 'relu', inputOrder: 'random', hiddenDegrees: 'random' }, 'one-pass-live');
    const maf = new MaskedAutoregressiveFlow(made);
    const u = randn(seededRng('one-pass-live-u'), [3, 4]);
    const before = noGrad(() => maf.forward(u));
    // A training step changes the weights in place.
    const opt = new Adam({ learningRate: 0.1 });
    const loss = neg(mean(maf.inverseAndLogDet(randn(seededRng('one-pass-live-x'), [8, 4]), { eventNdims: 1 }).logDet));
    loss.backward();
    opt.step(made.trainableWeights);
    const afterStep = noGrad(() => maf.forward(u));
    expect(maxAbsDiff(afterStep.data, before.data)).toBeGreaterThan(1e-3);
    expect(relErr(afterStep, noGrad(() => maf.forwardReference(u)).y)).toBeLessThan(1e-12);
    made.setWeights(made.getWeights().map((w) => mul(w, 0.5)));
    expect(relErr(noGrad(() => maf.forward(u)), noGrad(() => maf.forwardReference(u)).y)).toBeLessThan(1e-12);
  });

  it('builds an unbuilt network from the input, as the first call would', () => {
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [5], activation: 'relu', biasInitializer: 'glorotUniform', seed: 4 });
    const maf = new MaskedAutoregressiveFlow(made);
    const u = randn(seededRng('one-pass-build'), [2, 3]);
    const y = noGrad(() => maf.forward(u));
    expect(made.built).toBe(true);
    expect(relErr(y, noGrad(() => maf.forwardReference(u)).y)).toBeLessThan(1e-12);
  });

  it('leaves malformed input to the recursion, which reports it', () => {
    const made = randomMade({ params: 2, eventShape: 3, hiddenUnits: [4], conditional: true, conditionalEventShape: 2 }, 'one-pass-bad');
    const maf = new MaskedAutoregressiveFlow(made);
    const u = zeros([2, 3]);
    expect(() => noGrad(() => maf.forward(u))).toThrow(/the network is conditional; pass \{ conditionalInput \} of shape \[\.\.\., 2\]/);
    expect(() => noGrad(() => maf.forward(u, { conditionalInput: zeros([2, 5]) }))).toThrow(/'conditionalInput' has shape \[2,5\], expected \[\.\.\., 2\]/);
    expect(() => noGrad(() => maf.forward(u, { conditionalInput: zeros([3, 2]) }))).toThrow(/do not broadcast|not broadcast|broadcast/);
    expect(onePassForward(made, u)).toBeNull();
  });

  it('rejects an activation that is not elementwise, naming it', () => {
    const flatten: Activation = (t) => reshape(t, [t.size]);
    const made = randomMade({ params: 2, eventShape: 3, hiddenUnits: [4], activation: flatten }, 'one-pass-act');
    expect(() => noGrad(() => onePassForward(made, zeros([2, 3])))).toThrow(/onePassForward: the network's activation returned shape \[\d+\] for an input of shape \[2,\d+\]; an activation must be elementwise/);
  });

  it('a user function keeps the E-pass loop', () => {
    const made = randomMade({ params: 2, eventShape: 3, hiddenUnits: [5] }, 'one-pass-user');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: (y: Tensor) => made.call(y) });
    const passes = countPasses(made);
    noGrad(() => maf.forward(zeros([2, 3])));
    expect(passes.calls()).toBe(2 * 3);
    passes.restore();
  });
});

describe('graph-free density pass of a MAF layer (evaluation logProb)', () => {
  it('gives bit-identical u and log-det to the recorded ops, with and without a broadcast conditional input', () => {
    const rng = seededRng('fused-inverse');
    const plain = randomMade({ params: 2, eventShape: 4, hiddenUnits: [6], activation: 'tanh', inputOrder: 'random' }, 'fused-plain');
    const cond = randomMade({ params: 2, eventShape: 3, hiddenUnits: [5], conditional: true, conditionalEventShape: 2 }, 'fused-cond');
    const cases: Array<[AutoregressiveNetwork, Tensor, BijectorKwargs]> = [
      [plain, randn(rng, [5, 4]), {}],
      [plain, randn(rng, [4]), {}],
      // y [2, 1, 3] against c [4, 2] → batch [2, 4]: y is broadcast, as sub(y, shift) would.
      [cond, randn(rng, [2, 1, 3]), { conditionalInput: randn(rng, [4, 2]) }],
    ];
    for (const [made, y, kwargs] of cases) {
      const maf = new MaskedAutoregressiveFlow(made);
      const recorded = maf.inverseAndLogDet(y, { ...kwargs, eventNdims: 1 }); // weights require grad: the ops run
      expect(recorded.x.requiresGrad).toBe(true);
      const fused = noGrad(() => maf.inverseAndLogDet(y, { ...kwargs, eventNdims: 1 }));
      expect(fused.x.shape).toEqual(recorded.x.shape);
      expect(fused.logDet.shape).toEqual(recorded.logDet.shape);
      expect(maxAbsDiff(fused.x.data, recorded.x.data)).toBe(0);
      expect(maxAbsDiff(fused.logDet.data, recorded.logDet.data)).toBe(0);
    }
  });

  it('is what TransformedDistribution.logProb uses under noGrad: one network pass, the same density', () => {
    const made = randomMade({ params: 2, eventShape: 3, hiddenUnits: [5], activation: 'relu' }, 'fused-td');
    const flow = new TransformedDistribution({
      distribution: new MultivariateNormalDiag({ loc: zeros([3]), scaleDiag: [1, 1, 1] }),
      bijector: new MaskedAutoregressiveFlow(made),
    });
    const x = randn(seededRng('fused-td-x'), [6, 3]);
    const recorded = flow.logProb(x);
    const passes = countPasses(made);
    const evaluated = noGrad(() => flow.logProb(x));
    expect(passes.calls()).toBe(2); // one call, counted at call and at flatOutput
    passes.restore();
    expect(maxAbsDiff(evaluated.data, recorded.data)).toBe(0);
  });
});
