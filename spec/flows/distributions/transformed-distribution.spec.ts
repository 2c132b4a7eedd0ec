import { add, mul } from '../../../autodiff/ops/binary.js';
import { mean, sum } from '../../../autodiff/ops/reduce.js';
import { neg } from '../../../autodiff/ops/unary.js';
import { noGrad, tensor, zeros, type Tensor } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { Chain } from '../../../flows/bijectors/chain.js';
import { Invert } from '../../../flows/bijectors/invert.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Permute, Reverse } from '../../../flows/bijectors/permute.js';
import { Scale } from '../../../flows/bijectors/scale.js';
import { Shift } from '../../../flows/bijectors/shift.js';
import type { Distribution } from '../../../flows/distributions/distribution.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { Normal } from '../../../flows/distributions/normal.js';
import { distributionFromConfig } from '../../../flows/distributions/serialization.js';
import { TransformedDistribution } from '../../../flows/distributions/transformed-distribution.js';
import { maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';
import { randomBatchNorm } from '../bijectors/bn-helpers.js';
import { randomMade } from '../bijectors/made-helpers.js';

const LOG_2PI = Math.log(2 * Math.PI);
const stdNormal2 = (): MultivariateNormalDiag => new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 1] });
// Weights N(0, 0.3²): log-scales stay within about ±1.5, so nearly all the mass lies in [−20, 20]²
// (with N(0, 0.5²) weights some seeds spread a coordinate to σ ≈ 11 and a [−12, 12]² box misses 10%).
const maf2 = (seed: string, hiddenUnits = [8]): MaskedAutoregressiveFlow =>
  new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: randomMade({ params: 2, eventShape: 2, hiddenUnits, activation: 'tanh' }, seed, 0.3) });

/**
 * The midpoint-rule grid over [−L, L]²: cell centres and the cell area. For a smooth density that
 * decays like a Gaussian the rule is spectrally accurate, so the error is the mass outside the box.
 */
function grid(L: number, n: number): { points: Tensor; area: number } {
  const h = (2 * L) / n;
  const pts = new Float64Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      pts[(i * n + j) * 2] = -L + (i + 0.5) * h;
      pts[(i * n + j) * 2 + 1] = -L + (j + 0.5) * h;
    }
  }
  return { points: tensor(pts, [n * n, 2]), area: h * h };
}

describe('TransformedDistribution', () => {
  describe("TFP's shape examples", () => {
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu', seed: 42 });
    const flow = new TransformedDistribution({ distribution: stdNormal2(), bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }) });

    it('sample([3, 1]) → [3, 1, 2]; logProb of [3, 2] → [3]', () => {
      expect(flow.sample([3, 1], { seed: 1 }).shape).toEqual([3, 1, 2]);
      expect(flow.logProb(tensor([[1, 1], [1, 1], [1, 1]])).shape).toEqual([3]);
    });

    it('logProb of zeros [5, 3, 2] → [5, 3]; sample(4) → [4, 2]', () => {
      // The reference example's base: loc zeros([...t.shape.slice(0, -1), 2]) with t = zeros([0]) is [2].
      const base = new MultivariateNormalDiag({ loc: zeros([...zeros([0]).shape.slice(0, -1), 2]), scaleDiag: [1, 1] });
      const d = new TransformedDistribution({ distribution: base, bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }) });
      expect(d.logProb(zeros([5, 3, 2])).shape).toEqual([5, 3]);
      expect(d.sample(4).shape).toEqual([4, 2]);
      expect(d.batchShape).toEqual([]);
      expect(d.eventShape).toEqual([2]);
    });

    it('conditional example: sample(n, { bijectorKwargs: { conditionalInput: c [n, 1] } }) → [n, 1]', () => {
      const cmade = new AutoregressiveNetwork({ params: 2, hiddenUnits: [2, 2], eventShape: 1, conditional: true, conditionalEventShape: 1, seed: 3 });
      const d = new TransformedDistribution({
        distribution: new MultivariateNormalDiag({ loc: [0] }),
        bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: cmade }),
      });
      const c = tensor(new Float64Array(7).fill(1), [7, 1]);
      expect(d.sample(7, { bijectorKwargs: { conditionalInput: c } }).shape).toEqual([7, 1]);
      expect(d.logProb(zeros([7, 1]), { bijectorKwargs: { conditionalInput: c } }).shape).toEqual([7]);
    });
  });

  describe('1-D closed forms, exact', () => {
    it('Normal pushed through Chain([Shift(2), Scale(3)]) is Normal(2, 3)', () => {
      const d = new TransformedDistribution({ distribution: new Normal({ loc: 0, scale: 1 }), bijector: new Chain([new Shift(2), new Scale(3)]) });
      const want = new Normal({ loc: 2, scale: 3 });
      const x = randn(seededRng('td-affine'), [50], 4);
      expect(maxAbsDiff(d.logProb(x).data, want.logProb(x).data)).toBeLessThan(1e-12);
    });

    it('a MAF with E = 1 has bias-only parameters: N(shift, exp(logScale)²)', () => {
      // E = 1: the single output sees no input, so shift = b₀ and logScale = b₁ (the output biases)
      const made = randomMade({ params: 2, eventShape: 1, hiddenUnits: [4], activation: 'tanh' }, 'td-e1');
      const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
      const d = new TransformedDistribution({ distribution: new MultivariateNormalDiag({ loc: [0] }), bijector: maf });
      const [shift, logScale] = made.call(zeros([1])).data;
      const want = new Normal({ loc: shift, scale: Math.exp(logScale) });
      const x = randn(seededRng('td-e1-x'), [40, 1], 3);
      expect(maxAbsDiff(d.logProb(x).data, want.logProb(tensor(x.data, [40])).data)).toBeLessThan(1e-12);
      // and it integrates to 1 on a line
      const n = 4000;
      const L = shift + 14 * Math.exp(logScale);
      const lo = shift - 14 * Math.exp(logScale);
      const h = (L - lo) / n;
      const pts = tensor(new Float64Array(n).map((_, i) => lo + (i + 0.5) * h), [n, 1]);
      let m = 0;
      for (const v of noGrad(() => d.prob(pts)).data) m += v * h;
      expect(Math.abs(m - 1)).toBeLessThan(1e-12);
    });
  });

  describe('2-D flows with random weights integrate to 1 (midpoint rule on [−20, 20]², step 0.08)', () => {
    // The issue asks for an error below 1e-3; the midpoint rule on this box does far better,
    // (errors here are below 1e-7), so 1e-5 is asserted: a wrong sign or a missing term in any
    // log-det moves the mass by O(1).
    const { points, area } = grid(20, 500);
    const cases: Array<[string, () => Distribution]> = [
      ['MAF', () => new TransformedDistribution({ distribution: stdNormal2(), bijector: maf2('td-grid-1') })],
      ['MAF with two hidden relu layers', () => new TransformedDistribution({
        distribution: stdNormal2(),
        bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: randomMade({ params: 2, eventShape: 2, hiddenUnits: [6, 6], activation: 'relu' }, 'td-grid-2', 0.3) }),
      })],
      ['Chain(MAF, Reverse, MAF)', () => new TransformedDistribution({ distribution: stdNormal2(), bijector: new Chain([maf2('td-grid-3'), new Reverse(), maf2('td-grid-4')]) })],
      ['Chain(MAF, Permute, BatchNormalization)', () => new TransformedDistribution({
        distribution: stdNormal2(),
        bijector: new Chain([maf2('td-grid-5'), new Permute({ permutation: [1, 0] }), randomBatchNorm('td-grid-bn', 2)]),
      })],
      ['Invert(MAF) (an IAF: density by the E-pass recursion)', () => new TransformedDistribution({ distribution: stdNormal2(), bijector: new Invert(maf2('td-grid-6')) })],
      ['MAF on a non-standard base', () => new TransformedDistribution({ distribution: new MultivariateNormalDiag({ loc: [0.5, -0.5], scaleDiag: [0.8, 1.3] }), bijector: maf2('td-grid-7') })],
    ];
    it.each(cases)('%s', (_label, make) => {
      const d = make();
      const p = noGrad(() => d.prob(points, { bijectorKwargs: { training: false } })).data;
      let m = 0;
      for (const v of p) m += v * area;
      expect(Math.abs(m - 1)).toBeLessThan(1e-5);
    });
  });

  describe('samples agree with logProb', () => {
    it('linear MADE with constant log-scales: the flow is Gaussian; logProb exact, sample moments and entropy match', () => {
      // No hidden layer, linear: shift₀ = m₁, logScale₀ = s₁; shift₁ = m₂ + w·x₀, logScale₁ = s₂.
      // So x₀ = m₁ + e^{s₁}u₀ and x₁ = m₂ + w·x₀ + e^{s₂}u₁: Gaussian with
      //   μ = [m₁, m₂ + w·m₁],  Σ = [[a, w·a], [w·a, e^{2s₂} + w²·a]],  a = e^{2s₁},  det Σ = e^{2s₁}·e^{2s₂}
      const [m1, s1, m2, s2, w] = [0.5, 0.3, -1, -0.2, 0.8];
      const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, seed: 1 });
      // kernel [2, 4], columns d·2 + p; only x₀ → column 2 (shift of dimension 1) survives the mask and is set
      made.setWeights([tensor([[0, 0, w, 0], [0, 0, 0, 0]]), tensor([m1, s1, m2, s2])]);
      const d = new TransformedDistribution({ distribution: stdNormal2(), bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }) });
      const a = Math.exp(2 * s1);
      const mu = [m1, m2 + w * m1];
      const S = [[a, w * a], [w * a, Math.exp(2 * s2) + w * w * a]];
      const det = S[0][0] * S[1][1] - S[0][1] * S[1][0];
      const gaussLogProb = (x0: number, x1: number): number => {
        const [d0, d1] = [x0 - mu[0], x1 - mu[1]];
        const q = (S[1][1] * d0 * d0 - 2 * S[0][1] * d0 * d1 + S[0][0] * d1 * d1) / det;
        return -0.5 * q - 0.5 * Math.log(det) - LOG_2PI;
      };
      const x = randn(seededRng('td-linear-x'), [30, 2], 2);
      const lp = d.logProb(x);
      for (let i = 0; i < 30; i++) expect(Math.abs(lp.data[i] - gaussLogProb(x.data[2 * i], x.data[2 * i + 1]))).toBeLessThan(1e-12);

      const n = 20000;
      const { sample, logProb } = d.sampleAndLogProb(n, { seed: 'td-linear-samples' });
      const s = sample.data;
      const mean = [0, 0];
      for (let i = 0; i < n; i++) for (let k = 0; k < 2; k++) mean[k] += s[2 * i + k] / n;
      const cov = [[0, 0], [0, 0]];
      for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) cov[j][k] += ((s[2 * i + j] - mean[j]) * (s[2 * i + k] - mean[k])) / (n - 1);
      // four standard errors: √(Σ_kk/n) for means, √((Σ_jj·Σ_kk + Σ_jk²)/n) for covariances
      for (let k = 0; k < 2; k++) expect(Math.abs(mean[k] - mu[k])).toBeLessThan(4 * Math.sqrt(S[k][k] / n));
      for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) expect(Math.abs(cov[j][k] - S[j][k])).toBeLessThan(4 * Math.sqrt((S[j][j] * S[k][k] + S[j][k] ** 2) / n));
      // E[−log p(X)] = ½ log det(2πeΣ); −log p is ½χ²₂ plus a constant, variance 1, so SE = 1/√n
      const entropy = 0.5 * Math.log((2 * Math.PI * Math.E) ** 2 * det);
      expect(Math.abs(-mean1(logProb) - entropy)).toBeLessThan(4 / Math.sqrt(n));
    });

    it('nonlinear MAF: quadrant frequencies of samples match the grid-integrated density; so does the entropy', () => {
      const d = new TransformedDistribution({ distribution: stdNormal2(), bijector: new Chain([maf2('td-agree-2'), new Reverse(), maf2('td-agree-1')]) });
      const { points, area } = grid(20, 500);
      const p = noGrad(() => d.prob(points)).data;
      const quadrant = (x0: number, x1: number): number => (x0 < 0 ? 0 : 1) + (x1 < 0 ? 0 : 2);
      const gridP = [0, 0, 0, 0];
      let gridH = 0;
      for (let i = 0; i < p.length; i++) {
        gridP[quadrant(points.data[2 * i], points.data[2 * i + 1])] += p[i] * area;
        if (p[i] > 0) gridH -= p[i] * Math.log(p[i]) * area;
      }
      const n = 20000;
      const { sample, logProb } = noGrad(() => d.sampleAndLogProb(n, { seed: 'td-agree-samples' }));
      const freq = [0, 0, 0, 0];
      for (let i = 0; i < n; i++) freq[quadrant(sample.data[2 * i], sample.data[2 * i + 1])] += 1 / n;
      for (let q = 0; q < 4; q++) expect(Math.abs(freq[q] - gridP[q])).toBeLessThan(4 * Math.sqrt((gridP[q] * (1 - gridP[q])) / n));
      // SE of the entropy estimate from the sample spread of −log p
      let v = 0;
      const h = -mean1(logProb);
      for (const lp of logProb.data) v += (-lp - h) ** 2 / (n - 1);
      expect(Math.abs(h - gridH)).toBeLessThan(4 * Math.sqrt(v / n));
    });

    it('sampleAndLogProb equals logProb of its own samples, in E network passes instead of E + 1', () => {
      const made = randomMade({ params: 2, eventShape: 3, hiddenUnits: [6], activation: 'tanh' }, 'td-sal');
      const d = new TransformedDistribution({ distribution: new MultivariateNormalDiag({ loc: [0, 0, 0] }), bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }) });
      const spy = jest.spyOn(made, 'call');
      const { sample, logProb } = d.sampleAndLogProb([4, 2], { seed: 9 });
      expect(spy).toHaveBeenCalledTimes(3);
      spy.mockClear();
      expect(sample.shape).toEqual([4, 2, 3]);
      expect(logProb.shape).toEqual([4, 2]);
      expect(maxAbsDiff(d.logProb(sample).data, logProb.data)).toBeLessThan(1e-12);
      expect(spy).toHaveBeenCalledTimes(1); // logProb: one pass
      expect(d.sample([4, 2], { seed: 9 }).data).toEqual(sample.data);
      spy.mockRestore();
    });
  });

  describe('training', () => {
    it('gradients of the mean negative log-likelihood reach every weight of the flow and the base', () => {
      const loc = tensor([0.1, -0.2], undefined, { requiresGrad: true });
      const chain = new Chain([maf2('td-train-2'), new Reverse(), randomBatchNorm('td-train-bn', 2, true), maf2('td-train-1')]);
      const d = new TransformedDistribution({ distribution: new MultivariateNormalDiag({ loc, scaleDiag: [1, 1] }), bijector: chain });
      expect(d.trainableWeights).toEqual([loc, ...chain.trainableWeights]);
      expect(d.nonTrainableWeights.length).toBe(2);
      const y = randn(seededRng('td-train-y'), [16, 2]);
      neg(mean(d.logProb(y, { bijectorKwargs: { training: true } }))).backward();
      for (const w of d.trainableWeights) expect((w.grad as Tensor).data.some((g) => g !== 0)).toBe(true);
    });

    it('conditional kwargs reach a MAF inside a Chain by name through bijectorKwargs', () => {
      const cm = (seed: string, C: number): MaskedAutoregressiveFlow => new MaskedAutoregressiveFlow({
        shiftAndLogScaleFn: randomMade({ params: 2, eventShape: 2, hiddenUnits: [5], activation: 'tanh', conditional: true, conditionalEventShape: C }, seed),
        name: seed,
      });
      const [a, b] = [cm('ca', 1), cm('cb', 3)];
      const d = new TransformedDistribution({ distribution: stdNormal2(), bijector: new Chain([a, new Reverse(), b]) });
      const rng = seededRng('td-cond');
      const y = randn(rng, [5, 2]);
      const kw = { ca: { conditionalInput: randn(rng, [5, 1]) }, cb: { conditionalInput: randn(rng, [5, 3]) } };
      const lp = d.logProb(y, { bijectorKwargs: kw });
      const { x, logDet } = d.bijector.inverseAndLogDet(y, { ...kw, eventNdims: 1 });
      expect(lp.data).toEqual(add(stdNormal2().logProb(x), logDet).data);
      const s = d.sampleAndLogProb(5, { seed: 2, bijectorKwargs: kw });
      expect(maxAbsDiff(d.logProb(s.sample, { bijectorKwargs: kw }).data, s.logProb.data)).toBeLessThan(1e-12);
      expect(() => d.logProb(y, { bijectorKwargs: { cc: {} } })).toThrow(/bijector kwargs name 'cc', which is not a bijector here; the names are \['chain_of_ca_of_reverse_of_cb', 'ca', 'reverse', 'cb'\]/);
    });
  });

  it('has no closed-form moments or entropy, and says so', () => {
    const d = new TransformedDistribution({ distribution: stdNormal2(), bijector: new Reverse() });
    expect(() => d.mean()).toThrow(/TransformedDistribution.mean: not implemented for TransformedDistribution/);
    expect(() => d.entropy()).toThrow(/TransformedDistribution.entropy: not implemented/);
    expect(() => d.stddev()).toThrow(Error);
  });

  it('rejects a bijector needing vector events on a scalar base, and arguments of the wrong kind', () => {
    expect(() => new TransformedDistribution({ distribution: new Normal({ loc: 0, scale: 1 }), bijector: maf2('td-err') })).toThrow(
      /TransformedDistribution: 'bijector' MaskedAutoregressiveFlow 'masked_autoregressive_flow' acts on events of rank ≥ 1, but 'distribution' Normal has event shape \[\]/);
    expect(() => new TransformedDistribution({ distribution: {} as Distribution, bijector: new Reverse() })).toThrow(TypeError);
    expect(() => new TransformedDistribution({ distribution: stdNormal2(), bijector: 'b' as unknown as Reverse })).toThrow(/'bijector' must be a Bijector, got 'b'/);
    const d = new TransformedDistribution({ distribution: stdNormal2(), bijector: maf2('td-err2') });
    expect(() => d.logProb(zeros([4, 3]))).toThrow(/TransformedDistribution.logProb: 'x' has shape \[4,3\], expected \[..., 2\]/);
  });

  it('getConfig / distributionFromConfig rebuild a network-driven flow with the weights given', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], activation: 'relu', seed: 5 });
    const d = new TransformedDistribution({ distribution: stdNormal2(), bijector: new Chain([new MaskedAutoregressiveFlow(made), new Reverse()]) });
    const copy = distributionFromConfig(JSON.parse(JSON.stringify(d.getConfig())), d.getWeights());
    const y = randn(seededRng('td-config'), [3, 2]);
    expect(copy.logProb(y).data).toEqual(d.logProb(y).data);
    expect(copy.sample(3, { seed: 4 }).data).toEqual(d.sample(3, { seed: 4 }).data);
  });
});

function mean1(t: Tensor): number {
  return sum(mul(t, 1 / t.size)).item();
}

describe('nested TransformedDistributions (stacked layers)', () => {
  it('logProb composes and sampleAndLogProb stays one pass per level', () => {
    const made1 = randomMade({ params: 2, eventShape: 2, hiddenUnits: [4], activation: 'tanh' }, 'td-nest-1', 0.3);
    const made2 = randomMade({ params: 2, eventShape: 2, hiddenUnits: [4], activation: 'tanh' }, 'td-nest-2', 0.3);
    const inner = new TransformedDistribution({ distribution: stdNormal2(), bijector: new MaskedAutoregressiveFlow(made1) });
    const middle = new TransformedDistribution({ distribution: inner, bijector: new Reverse() });
    const outer = new TransformedDistribution({ distribution: middle, bijector: new MaskedAutoregressiveFlow(made2) });
    const flat = new TransformedDistribution({
      distribution: stdNormal2(),
      bijector: new Chain([new MaskedAutoregressiveFlow(made2), new Reverse(), new MaskedAutoregressiveFlow(made1)]),
    });
    const y = randn(seededRng('td-nest-y'), [6, 2]);
    expect(maxAbsDiff(outer.logProb(y).data, flat.logProb(y).data)).toBeLessThan(1e-12);
    const s1 = jest.spyOn(made1, 'call');
    const s2 = jest.spyOn(made2, 'call');
    const { sample, logProb } = outer.sampleAndLogProb(5, { seed: 3 });
    expect([s1.mock.calls.length, s2.mock.calls.length]).toEqual([2, 2]); // E = 2 passes each, no inverse
    s1.mockRestore();
    s2.mockRestore();
    expect(maxAbsDiff(outer.logProb(sample).data, logProb.data)).toBeLessThan(1e-12);
  });
});

describe('gradients of the training loss', () => {
  it('match central differences for every entry of every weight (MAF, BatchNormalization in training, base loc)', () => {
    const loc = tensor([0.1, -0.2], undefined, { requiresGrad: true });
    const d = new TransformedDistribution({
      distribution: new MultivariateNormalDiag({ loc, scaleDiag: [1, 1.5] }),
      bijector: new Chain([
        new MaskedAutoregressiveFlow(randomMade({ params: 2, eventShape: 2, hiddenUnits: [3], activation: 'tanh' }, 'td-fd-2', 0.4)),
        new Permute({ permutation: [1, 0] }),
        randomBatchNorm('td-fd-bn', 2, true),
        new MaskedAutoregressiveFlow(randomMade({ params: 2, eventShape: 2, hiddenUnits: [3], activation: 'relu' }, 'td-fd-1', 0.4)),
      ]),
    });
    const y = randn(seededRng('td-fd-y'), [7, 2]);
    // the mean negative log-likelihood a fit step minimises
    const loss = (): Tensor => neg(mean(d.logProb(y, { bijectorKwargs: { training: true } })));
    const weights = d.trainableWeights;
    weights.forEach((w) => w.zeroGrad());
    loss().backward();
    const h = 1e-6;
    for (const w of weights) {
      const g = (w.grad as Tensor).data;
      for (let i = 0; i < w.size; i++) {
        const orig = w.data[i];
        w.data[i] = orig + h;
        const up = noGrad(loss).item();
        w.data[i] = orig - h;
        const down = noGrad(loss).item();
        w.data[i] = orig;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(g[i] - numeric)).toBeLessThan(1e-9 + 1e-6 * Math.abs(numeric));
      }
    }
  });
});
