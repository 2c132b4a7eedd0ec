import { sum } from '../../../autodiff/ops/reduce.js';
import { noGrad, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork, type AutoregressiveNetworkOptions } from '../../../flows/made/autoregressive-network.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Autoregressive, madeConditionals, type MadeDistributionFn } from '../../../flows/distributions/autoregressive.js';
import { Bernoulli } from '../../../flows/distributions/bernoulli.js';
import { Independent } from '../../../flows/distributions/independent.js';
import { onePassForward } from '../../../flows/made/one-pass-sampler.js';
import { ValueError } from '../../../lib/util/errors.js';
import { distributionFromJSON, flowToJSON } from '../../../lib/models/flow-json.js';
import { maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';
import { randomMade } from '../bijectors/made-helpers.js';
import { expectAutoregressive } from '../made/autoregressive-check.js';

/** Every point of {0 … L−1}^E, as rows of a [L^E, E] tensor. */
function allPoints(E: number, L: number): Tensor {
  const n = L ** E;
  const data = new Float64Array(n * E);
  for (let i = 0; i < n; i++) for (let d = 0, r = i; d < E; d++, r = Math.floor(r / L)) data[i * E + d] = r % L;
  return new Tensor(data, [n, E]);
}

/** The MADE behind a model built with madeConditionals. */
const networkOf = (model: Autoregressive): AutoregressiveNetwork => (model.distributionFn as MadeDistributionFn).network;

const masked = (options: Partial<AutoregressiveNetworkOptions> & { eventShape: number }, seed: string, scale = 1): AutoregressiveNetwork =>
  randomMade({ params: 1, hiddenUnits: [7], activation: 'relu', ...options }, seed, scale);

describe('Autoregressive with MADE conditionals', () => {
  it("has TFP's shapes: sample(7) with sample0 [3, 64] → [7, 3, 64]; logProb on [100, 3, 64] → [100]", () => {
    const made = new AutoregressiveNetwork({ params: 1, eventShape: 64, hiddenUnits: [20, 20], activation: 'relu', seed: 0 });
    const model = new Autoregressive(madeConditionals(made, { reinterpretedBatchNdims: 2 }), { sample0: zeros([3, 64]) });
    expect([model.batchShape, model.eventShape, model.numSteps]).toEqual([[], [3, 64], 192]);
    const s = model.sample(7, { seed: 1 });
    expect(s.shape).toEqual([7, 3, 64]);
    expect(s.data.every((v) => v === 0 || v === 1)).toBe(true);
    expect(model.logProb(zeros([100, 3, 64])).shape).toEqual([100]);
    // The same with TFP's E-pass loop (a plain function): same shapes.
    const fn = madeConditionals(made, { reinterpretedBatchNdims: 2 });
    const loop = new Autoregressive((x) => fn(x), { sample0: zeros([3, 64]) });
    expect(loop.sample(7, { seed: 1 }).shape).toEqual([7, 3, 64]);
  });

  it('the product of conditionals is a distribution: it sums to 1 over all 2^5 binary and 3^3 ternary points', () => {
    const bin = new Autoregressive(madeConditionals(masked({ eventShape: 5, inputOrder: 'random' }, 'ar-enum', 1.5)));
    expect(Math.abs(sum(bin.prob(allPoints(5, 2))).item() - 1)).toBeLessThan(1e-13);
    const made3 = randomMade({ params: 3, eventShape: 3, hiddenUnits: [6], activation: 'tanh', hiddenDegrees: 'random' }, 'ar-cat', 1.5);
    const cat = new Autoregressive(madeConditionals(made3, { distribution: 'categorical' }));
    expect(Math.abs(sum(cat.prob(allPoints(3, 3))).item() - 1)).toBeLessThan(1e-13);
    // And each value is the product of its conditionals: p(x) = Π_d σ(ℓ_d)^x_d (1 − σ(ℓ_d))^(1 − x_d).
    const x = tensor([[1, 0, 1, 1, 0]]);
    const l = noGrad(() => networkOf(bin).call(x)).data;
    let ref = 1;
    for (let d = 0; d < 5; d++) ref *= x.data[d] === 1 ? 1 / (1 + Math.exp(-l[d])) : 1 / (1 + Math.exp(l[d]));
    expect(bin.prob(x).item()).toBeCloseTo(ref, 15);
  });

  it("samples in one network pass, bit-equal to TFP's E-pass loop with the same seed", () => {
    for (const [conditional, params] of [['bernoulli', 1], ['categorical', 3]] as const) {
      const made = randomMade({ params, eventShape: 6, hiddenUnits: [9, 8], activation: 'relu', inputOrder: 'random', hiddenDegrees: 'random' }, `ar-1p-${conditional}`, 1);
      const fn = madeConditionals(made, { distribution: conditional });
      const model = new Autoregressive(fn, { sample0: zeros([2, 6]) });
      const call = jest.spyOn(made, 'call');
      const flat = jest.spyOn(made, 'flatOutput');
      const fast = model.sample(5, { seed: 'same' });
      expect(call.mock.calls.length + flat.mock.calls.length).toBe(0);
      // A plain function hides the network, so TFP's loop runs: E = 6 calls, each one pass (+1 in the constructor).
      const loop = new Autoregressive((x) => fn(x), { sample0: zeros([2, 6]) }).sample(5, { seed: 'same' });
      expect(call.mock.calls.length).toBe(7);
      call.mockRestore();
      flat.mockRestore();
      expect(fast.shape).toEqual([5, 2, 6]);
      expect(Array.from(fast.data)).toEqual(Array.from(loop.data));
      expect(new Set(fast.data).size).toBe(params === 1 ? 2 : 3);
    }
  });

  it('one-pass and E-pass samples both follow the enumerated distribution (frequencies within 4.5 SE)', () => {
    const fn = madeConditionals(masked({ eventShape: 3 }, 'ar-freq', 1.5));
    const exact = new Autoregressive(fn).prob(allPoints(3, 2)).data;
    for (const model of [new Autoregressive(fn), new Autoregressive((x) => fn(x), { sample0: zeros([3]) })]) {
      const N = 20000;
      const s = model.sample(N, { seed: 'freq' }).data;
      const counts = new Array<number>(8).fill(0);
      for (let i = 0; i < N; i++) counts[s[3 * i] + 2 * s[3 * i + 1] + 4 * s[3 * i + 2]]++;
      counts.forEach((c, k) => expect(Math.abs(c / N - exact[k])).toBeLessThan(4.5 * Math.sqrt((exact[k] * (1 - exact[k])) / N) + 1e-9));
    }
  });

  it('saves and loads with its weights and selected mask: same logProb and samples, bit for bit', () => {
    const made = masked({ eventShape: 4, inputOrder: 'random', numMasks: 3 }, 'ar-save');
    made.useMask(2);
    const model = new Autoregressive(madeConditionals(made));
    const copy = distributionFromJSON(JSON.stringify(flowToJSON(model))) as Autoregressive;
    const x = allPoints(4, 2);
    expect(Array.from(copy.logProb(x).data)).toEqual(Array.from(model.logProb(x).data));
    expect(Array.from(copy.logProb(x, { mask: 'ensemble' }).data)).toEqual(Array.from(model.logProb(x, { mask: 'ensemble' }).data));
    expect(networkOf(copy).maskIndex).toBe(2);
    expect(Array.from(copy.sample(5, { seed: 9 }).data)).toEqual(Array.from(model.sample(5, { seed: 9 }).data));
  });

  it('rejects bad input, naming the argument', () => {
    const made = masked({ eventShape: 64 }, 'ar-bad');
    expect(() => new Autoregressive(madeConditionals(made), { sample0: zeros([3, 5]) })).toThrow(ValueError);
    expect(() => new Autoregressive(madeConditionals(made), { sample0: zeros([3, 5]) })).toThrow(/'sample0' has shape \[3,5\], expected \[..., 64\]/);
    const bern = (x: Tensor) => new Independent(new Bernoulli({ logits: x }), { reinterpretedBatchNdims: 1 });
    expect(() => new Autoregressive(bern)).toThrow(/'sample0' is required/);
    expect(() => new Autoregressive(bern, { sample0: zeros([2]), numSteps: 0 })).toThrow(RangeError);
    expect(() => new Autoregressive(bern, { sample0: zeros([2]) }).getConfig()).toThrow(TypeError);
    expect(() => new Autoregressive(bern, { sample0: zeros([2]) }).logProb([0, 1], { mask: 0 })).toThrow(/'mask' needs a distributionFn made by madeConditionals/);
    expect(() => madeConditionals(new AutoregressiveNetwork({ params: 2, eventShape: 3 }))).toThrow(/params 1 .*got params 2/);
    const model = new Autoregressive(madeConditionals(made));
    expect(() => model.logProb(zeros([64]).data.map((_, i) => (i === 9 ? 0.5 : 0)) as unknown as number[])).toThrow(/0.5 at row 0, column 9/);
    expect(() => model.logProb(zeros([64]), { mask: 1 })).toThrow(/'mask' is 1, expected an integer in \[0, 1\)/);
  });
});

describe('AutoregressiveNetwork mask sets (numMasks)', () => {
  it('draws K orders and/or hidden degrees from the seed; mask 0 is the one-mask network', () => {
    const options = { params: 2, eventShape: 5, hiddenUnits: [8, 8], inputOrder: 'random', hiddenDegrees: 'random', seed: 4 } as const;
    const one = new AutoregressiveNetwork(options);
    const four = new AutoregressiveNetwork({ ...options, numMasks: 4 });
    expect(four.inputOrder).toEqual(one.inputOrder);
    expect(four.hiddenDegrees).toEqual(one.hiddenDegrees);
    expect(four.getWeights().length).toBe(one.getWeights().length);
    const orders = new Set<string>();
    for (let k = 0; k < 4; k++) {
      four.useMask(k);
      orders.add(four.inputOrder.join());
    }
    expect(orders.size).toBeGreaterThan(1);
    // Only hidden degrees random: every mask keeps the given order, the degrees differ.
    const conn = new AutoregressiveNetwork({ params: 1, eventShape: 5, hiddenUnits: [8], hiddenDegrees: 'random', numMasks: 3, seed: 1 });
    const degrees = [0, 1, 2].map((k) => { conn.useMask(k); return [conn.inputOrder.join(), conn.hiddenDegrees.join()]; });
    expect(new Set(degrees.map((d) => d[0])).size).toBe(1);
    expect(new Set(degrees.map((d) => d[1])).size).toBe(3);
  });

  it('is autoregressive under every mask, by perturbation and by the Jacobian', () => {
    const rng = seededRng('mask-sets-ar');
    for (const [i, residualBlocks] of [[0, false], [1, true]] as const) {
      const made = new AutoregressiveNetwork({
        params: 2, eventShape: 6, hiddenUnits: [9, 9], activation: 'tanh', inputOrder: 'random', hiddenDegrees: 'random',
        numMasks: 5, residualBlocks, conditional: i === 1, conditionalEventShape: i === 1 ? 2 : undefined, seed: `ms-${i}`,
      });
      const c = i === 1 ? randn(rng, [3, 2]) : undefined;
      for (let k = 0; k < 5; k++) {
        made.useMask(k);
        expectAutoregressive(made, randn(rng, [3, 6]), c, `mask ${k}, residual ${residualBlocks}`);
      }
    }
  });

  it('the one-pass sampler equals the E-pass recursion under every mask, with no network pass', () => {
    const rng = seededRng('mask-sets-1p');
    const made = randomMade({ params: 2, eventShape: 5, hiddenUnits: [7, 6], activation: 'relu', inputOrder: 'random', hiddenDegrees: 'random', numMasks: 4 }, 'ms-1p', 0.5);
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const u = randn(rng, [4, 5]);
    const seen = new Set<string>();
    for (let k = 0; k < 4; k++) {
      made.useMask(k);
      const ref = noGrad(() => maf.forwardReference(u));
      const fast = noGrad(() => onePassForward(made, u));
      expect(fast).not.toBeNull();
      expect(maxAbsDiff(fast!.y.data, ref.y.data)).toBeLessThan(1e-12);
      expect(maxAbsDiff(fast!.logDet.data, ref.logDet.data)).toBeLessThan(1e-12);
      seen.add(Array.from(ref.y.data.slice(0, 5)).join());
    }
    expect(seen.size).toBe(4); // four masks, four different flows
  });

  it('training passes cycle the masks; the ensemble is log mean exp of the per-mask log-probabilities', () => {
    const made = masked({ eventShape: 4, inputOrder: 'random', numMasks: 3 }, 'ms-cycle');
    const x = allPoints(4, 2);
    expect(made.maskIndex).toBe(0);
    made.call(x, { training: true });
    expect(made.maskIndex).toBe(1);
    made.call(x, { training: true });
    made.call(x, { training: true });
    expect(made.maskIndex).toBe(0);
    made.call(x); // evaluation keeps the mask
    expect(made.maskIndex).toBe(0);
    const model = new Autoregressive(madeConditionals(made));
    const per = [0, 1, 2].map((k) => model.logProb(x, { mask: k }).data);
    expect(per[0]).not.toEqual(per[1]);
    const ens = model.logProb(x, { mask: 'ensemble' }).data;
    for (let i = 0; i < x.shape[0]; i++) {
      const ref = Math.log((Math.exp(per[0][i]) + Math.exp(per[1][i]) + Math.exp(per[2][i])) / 3);
      expect(ens[i]).toBeCloseTo(ref, 13);
    }
    // Each mask and the ensemble sum to 1 over the 16 points.
    for (const mask of [0, 1, 2, 'ensemble'] as const) {
      expect(Math.abs(sum(model.prob(x, { mask } as never)).item() - 1)).toBeLessThan(1e-13);
    }
    expect(made.maskIndex).toBe(0); // logProb with a mask restores the selected one
  });

  it('averages with logSumExp: an ensemble at log p ≈ −1280 stays finite (adding probabilities gives −∞)', () => {
    const made = new AutoregressiveNetwork({ params: 1, eventShape: 64, hiddenUnits: [5], inputOrder: 'random', numMasks: 2, seed: 2 });
    made.setWeights(made.getWeights().map((w, i) => (i === 3 ? tensor(new Array(64).fill(20)) : zeros(w.shape))));
    const model = new Autoregressive(madeConditionals(made));
    // log p(0) = 64 · −softplus(20) ≈ −1280 under both masks.
    const lp = model.logProb(zeros([64]), { mask: 'ensemble' }).item();
    expect(lp).toBeCloseTo(-64 * (20 + Math.log1p(Math.exp(-20))), 9);
  });

  it('ensemble logProb backward matches central differences for every weight', () => {
    const made = masked({ eventShape: 3, hiddenUnits: [4], activation: 'tanh', inputOrder: 'random', numMasks: 3 }, 'ms-grad', 0.8);
    const model = new Autoregressive(madeConditionals(made));
    const x = tensor([[1, 0, 1], [0, 1, 1]]);
    const weights = made.trainableWeights;
    weights.forEach((w) => w.zeroGrad());
    sum(model.logProb(x, { mask: 'ensemble' })).backward();
    const h = 1e-6;
    const f = () => noGrad(() => sum(model.logProb(x, { mask: 'ensemble' })).item());
    for (const w of weights) {
      const g = w.grad?.data ?? new Float64Array(w.size);
      for (let i = 0; i < w.size; i++) {
        const v = w.data[i];
        w.data[i] = v + h;
        const up = f();
        w.data[i] = v - h;
        const down = f();
        w.data[i] = v;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(g[i] - numeric)).toBeLessThan(1e-8 + 1e-6 * Math.abs(numeric));
      }
    }
  });

  it('rejects numMasks < 1, K fixed masks, and a mask index out of range, naming the argument', () => {
    expect(() => new AutoregressiveNetwork({ params: 1, eventShape: 3, numMasks: 0 })).toThrow(RangeError);
    expect(() => new AutoregressiveNetwork({ params: 1, eventShape: 3, numMasks: 0 })).toThrow(/'numMasks' must be a positive integer, got 0/);
    expect(() => new AutoregressiveNetwork({ params: 1, eventShape: 3, numMasks: 2 })).toThrow(/'numMasks' 2 needs inputOrder 'random' and\/or hiddenDegrees 'random'/);
    const made = new AutoregressiveNetwork({ params: 1, eventShape: 3, inputOrder: 'random', numMasks: 2 });
    expect(() => made.useMask(2)).toThrow(RangeError);
    expect(() => made.useMask(2)).toThrow(/'k' is 2, expected an integer in \[0, 2\)/);
    expect(() => new AutoregressiveNetwork({ params: 1, eventShape: 3, inputOrder: 'random', numMasks: 2, maskIndex: 5 })).toThrow(/'maskIndex' is 5/);
    const model = new Autoregressive(madeConditionals(made));
    expect(() => model.logProb(zeros([3]), { mask: -1 })).toThrow(RangeError);
    expect(() => model.logProb(zeros([3]), { mask: 'all' as never })).toThrow(TypeError);
  });
});
