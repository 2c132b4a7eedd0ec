import { sum } from '../../../autodiff/ops/reduce.js';
import { Tensor, tensor } from '../../../autodiff/tensor.js';
import { Bernoulli } from '../../../flows/distributions/bernoulli.js';
import { Categorical } from '../../../flows/distributions/categorical.js';
import { Independent } from '../../../flows/distributions/independent.js';
import { Normal } from '../../../flows/distributions/normal.js';
import { distributionFromConfig } from '../../../flows/distributions/serialization.js';
import { ValueError } from '../../../lib/util/errors.js';
import { expectGradClose, randn, seededRng } from '../../helpers/grad-check.js';

const sigma = (l: number) => 1 / (1 + Math.exp(-l));

describe('Bernoulli', () => {
  const logits = [-30, -2, 0, 0.7, 40];

  it('logProb sums to 1 over {0, 1} for logits and for probs, and the two parameterisations agree', () => {
    const fromLogits = new Bernoulli({ logits });
    const fromProbs = new Bernoulli({ probs: logits.map(sigma) });
    for (const dist of [fromLogits, fromProbs]) {
      const p0 = dist.prob(new Array(5).fill(0)).data;
      const p1 = dist.prob(new Array(5).fill(1)).data;
      for (let i = 0; i < 5; i++) expect(Math.abs(p0[i] + p1[i] - 1)).toBeLessThan(1e-15);
    }
    // Where p is not within rounding of 0 or 1, the two forms agree to the last digits.
    const a = fromLogits.logProb([1, 0, 1, 0, 0]).data;
    const b = fromProbs.logProb([1, 0, 1, 0, 0]).data;
    for (let i = 1; i < 4; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-14);
  });

  it('keeps the tails from the logits: log p(0) at ℓ = 40 is −40 − e⁻⁴⁰, not log(1 − σ(40)) = log(1.1e-16)·…', () => {
    // log(1 − σ(ℓ)) = −softplus(ℓ) = −ℓ − log1p(e^−ℓ); rounding σ(40) to 1 would give −∞.
    const lp = new Bernoulli({ logits: [40, -40] }).logProb([0, 1]).data;
    expect(lp[0]).toBeCloseTo(-40 - Math.exp(-40), 14);
    expect(lp[1]).toBeCloseTo(-40 - Math.exp(-40), 14);
  });

  it('mean, variance, stddev, mode (0 at a tie, as TFP) and entropy in closed form', () => {
    const d = new Bernoulli({ probs: [0.3, 0.5, 0.9, 0, 1] });
    expect(Array.from(d.mean().data)).toEqual([0.3, 0.5, 0.9, 0, 1]);
    expect(d.variance().data[0]).toBeCloseTo(0.21, 15);
    expect(d.stddev().data[2]).toBeCloseTo(0.3, 15);
    expect(Array.from(d.mode().data)).toEqual([0, 0, 1, 0, 1]);
    // H(0.3) = −0.3 ln 0.3 − 0.7 ln 0.7 = 0.6108643020548935; H(½) = ln 2; H(0) = H(1) = 0.
    const h = d.entropy().data;
    expect(h[0]).toBeCloseTo(0.6108643020548935, 15);
    expect(h[1]).toBeCloseTo(Math.LN2, 15);
    expect([h[3], h[4]]).toEqual([0, 0]);
    // From the logit: softplus(ℓ) − ℓ·σ(ℓ), the same numbers.
    const hl = new Bernoulli({ logits: [Math.log(0.3 / 0.7)] }).entropy().item();
    expect(hl).toBeCloseTo(0.6108643020548935, 14);
  });

  it('samples are seeded, shaped [...sampleShape, ...batch], with frequencies within 4.5 SE of p', () => {
    const d = new Bernoulli({ probs: [0.1, 0.5, 0.85] });
    const s = d.sample(20000, { seed: 'bern' });
    expect(s.shape).toEqual([20000, 3]);
    expect(Array.from(d.sample(50, { seed: 3 }).data)).toEqual(Array.from(d.sample(50, { seed: 3 }).data));
    [0.1, 0.5, 0.85].forEach((p, j) => {
      let ones = 0;
      for (let i = 0; i < 20000; i++) ones += s.data[i * 3 + j];
      expect(Math.abs(ones / 20000 - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / 20000));
    });
  });

  it('logProb backward matches central differences: ∂ log p(x)/∂ℓ = x − σ(ℓ)', () => {
    const rng = seededRng('bern-grad');
    const x = tensor([[1, 0, 1], [0, 0, 1]]);
    expectGradClose((l) => sum(new Bernoulli({ logits: l }).logProb(x)), [randn(rng, [2, 3], 2)], { rtol: 1e-7 });
    expectGradClose((p) => sum(new Bernoulli({ probs: p }).logProb(x)), [tensor([[0.2, 0.6, 0.9], [0.4, 0.5, 0.7]])], { rtol: 1e-6 });
  });

  it('round-trips through its config', () => {
    const d = new Bernoulli({ logits: [0.3, -1] });
    const copy = distributionFromConfig(JSON.parse(JSON.stringify(d.getConfig())));
    expect(Array.from(copy.logProb([1, 0]).data)).toEqual(Array.from(d.logProb([1, 0]).data));
  });

  it('rejects bad input, naming the argument', () => {
    expect(() => new Bernoulli({ probs: [0.2, 1.5] })).toThrow(RangeError);
    expect(() => new Bernoulli({ probs: [0.2, 1.5] })).toThrow(/'probs' must be in \[0, 1\], got 1.5/);
    expect(() => new Bernoulli({ probs: -0.1 })).toThrow(/'probs'/);
    expect(() => new Bernoulli({ logits: 1, probs: 0.5 })).toThrow(TypeError);
    expect(() => new Bernoulli({})).toThrow(/exactly one of 'logits' and 'probs', got neither/);
    const d = new Bernoulli({ probs: [0.5, 0.5, 0.5] });
    expect(() => d.logProb([[1, 0, 1], [0, 1, 0.5]])).toThrow(ValueError);
    expect(() => d.logProb([[1, 0, 1], [0, 1, 0.5]])).toThrow(/'x' holds 0.5 at row 1, column 2/);
    expect(() => d.logProb([2, 0, 1])).toThrow(/row 0, column 0.*0 or 1/);
    // Validation off: TFP's behaviour, no check.
    expect(() => d.logProb([2, 0, 1], { validateArgs: false })).not.toThrow();
  });
});

describe('Categorical', () => {
  it('logProb sums to 1 over the K levels, with logits of ±1000 and with unnormalised probs', () => {
    const d = new Categorical({ logits: [[1000, 999, -1000], [0.3, -0.2, 1.1]] });
    expect(d.batchShape).toEqual([2]);
    expect(d.eventShape).toEqual([]);
    const total = [0, 0];
    for (let k = 0; k < 3; k++) d.prob([k, k]).data.forEach((p, r) => { total[r] += p; });
    for (const t of total) expect(Math.abs(t - 1)).toBeLessThan(1e-13); // exp of rounded logs; a wrong normaliser is off by far more
    // log p(0) = 1000 − log(e^1000 + e^999 + e^−1000) = −log(1 + e^−1) = −0.31326168751822286.
    expect(d.logProb([0, 0]).data[0]).toBeCloseTo(-0.31326168751822286, 12); // ℓ − lse loses to the ulp of 1000, 1.1e-13
    const p = new Categorical({ probs: [0.4, 0.2, 0.2] }); // normalised on use, as [0.5, 0.25, 0.25]
    expect(Array.from(p.logProb([0, 2]).data)).toEqual([Math.log(0.5), Math.log(0.25)]);
  });

  it('broadcasts x against the batch: x [4, 2] with batch [2] → [4, 2]', () => {
    const d = new Categorical({ logits: [[0, 1], [2, 0]] });
    expect(d.logProb([[0, 1], [1, 0], [0, 0], [1, 1]]).shape).toEqual([4, 2]);
    expect(d.logProb(1).shape).toEqual([2]);
  });

  it('mean Σ k·p_k, mode (the first at a tie), entropy −Σ p log p', () => {
    const d = new Categorical({ probs: [[0.5, 0.25, 0.25], [0.2, 0.4, 0.4]] });
    expect(d.mean().data[0]).toBeCloseTo(0.75, 15);
    expect(Array.from(d.mode().data)).toEqual([0, 1]);
    // −(½ ln ½ + 2·¼ ln ¼) = 1.5 ln 2 = 1.0397207708399179.
    expect(d.entropy().data[0]).toBeCloseTo(1.0397207708399179, 15);
  });

  it('samples by inverse CDF, seeded, with level frequencies within 4.5 SE', () => {
    const probs = [0.1, 0.6, 0.3];
    const s = new Categorical({ probs }).sample(30000, { seed: 'cat' });
    const counts = [0, 0, 0];
    for (const v of s.data) counts[v]++;
    probs.forEach((p, k) => expect(Math.abs(counts[k] / 30000 - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / 30000)));
  });

  it('logProb backward matches central differences: ∂ log p(x)/∂ℓ_k = 1[k = x] − p_k', () => {
    const rng = seededRng('cat-grad');
    const x = tensor([2, 0]);
    expectGradClose((l) => sum(new Categorical({ logits: l }).logProb(x)), [randn(rng, [2, 3], 2)], { rtol: 1e-7 });
  });

  it('rejects rank-0 logits, non-levels and bad probs, naming the argument', () => {
    expect(() => new Categorical({ logits: 1.5 })).toThrow(ValueError);
    expect(() => new Categorical({ logits: 1.5 })).toThrow(/'logits' has shape \[\] \(rank 0\); expected \[...batch, K\]/);
    expect(() => new Categorical({ probs: [0.5, -0.5] })).toThrow(/'probs' must be in \[0, 1\]/);
    const d = new Categorical({ logits: [0, 0, 0] });
    expect(() => d.logProb([[0, 1], [3, 1]])).toThrow(/'x' holds 3 at row 1, column 0.*\[0, 3\)/);
    expect(() => d.logProb([0.5])).toThrow(/0.5 at row 0, column 0/);
  });
});

describe('Independent', () => {
  it("moves the rightmost batch dims into the event: TFP's shapes, logProb the sum", () => {
    const logits = randn(seededRng('ind'), [3, 64]);
    const inner = new Bernoulli({ logits });
    const two = new Independent(inner, { reinterpretedBatchNdims: 2 });
    expect([two.batchShape, two.eventShape]).toEqual([[], [3, 64]]);
    const one = new Independent(inner, { reinterpretedBatchNdims: 1 });
    expect([one.batchShape, one.eventShape]).toEqual([[3], [64]]);
    expect(new Independent(inner).eventShape).toEqual([3, 64]); // default: the whole batch
    const x = new Tensor(new Float64Array(100 * 3 * 64).map((_, i) => (i * 7919) % 3 === 0 ? 1 : 0), [100, 3, 64]);
    const lp = two.logProb(x);
    expect(lp.shape).toEqual([100]);
    let ref = 0;
    const each = inner.logProb(x).data;
    for (let i = 0; i < 192; i++) ref += each[i];
    expect(lp.data[0]).toBeCloseTo(ref, 10);
    expect(two.sample(7, { seed: 1 }).shape).toEqual([7, 3, 64]);
    expect(Array.from(two.sample(7, { seed: 1 }).data)).toEqual(Array.from(inner.sample(7, { seed: 1 }).data));
  });

  it('sums the entropy over the reinterpreted axes; mean and mode are the inner ones', () => {
    const d = new Independent(new Bernoulli({ probs: [[0.3, 0.5], [0.9, 0.1]] }), { reinterpretedBatchNdims: 1 });
    expect(d.entropy().data[1]).toBeCloseTo(2 * 0.3250829733914482, 14); // H(0.9) = H(0.1)
    expect(d.mode().toArray()).toEqual([[0, 0], [1, 0]]);
    expect(d.mean().shape).toEqual([2, 2]);
  });

  it('round-trips through its config', () => {
    const d = new Independent(new Normal({ loc: [0, 1], scale: [1, 2] }), { reinterpretedBatchNdims: 1 });
    const copy = distributionFromConfig(JSON.parse(JSON.stringify(d.getConfig())));
    expect(copy.eventShape).toEqual([2]);
    expect(copy.logProb([0.5, 0.5]).item()).toBe(d.logProb([0.5, 0.5]).item());
  });

  it('rejects a reinterpretedBatchNdims larger than the batch rank, and a non-distribution', () => {
    const inner = new Bernoulli({ probs: [[0.5, 0.5]] });
    expect(() => new Independent(inner, { reinterpretedBatchNdims: 3 })).toThrow(ValueError);
    expect(() => new Independent(inner, { reinterpretedBatchNdims: 3 }))
      .toThrow(/'reinterpretedBatchNdims' is 3, larger than the batch rank 2 of the Bernoulli \(batch shape \[1,2\]\)/);
    expect(() => new Independent(inner, { reinterpretedBatchNdims: -1 })).toThrow(RangeError);
    expect(() => new Independent({} as never)).toThrow(/'distribution' must be a Distribution/);
  });
});
