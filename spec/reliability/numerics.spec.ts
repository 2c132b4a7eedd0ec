import {
  AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer, MaskedAutoregressiveFlow,
  MultivariateNormalDiag, Normal, Random, Scale, Sequential, Tensor, TransformedDistribution, noGrad,
  registerDistributionFn, tensor, zeros,
} from '../../lib/index.js';
import { elu, exp, mul, mulExp, sum } from '../../lib/entries/ops.js';

// Numerical robustness beyond spec/autodiff (which holds softplus, sigmoid, tanh and logSumExp at
// ±1000): no exp that overflows in an intermediate step where the result is finite, and log-densities
// far in the tails that are finite wherever the math is.

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

describe('elementwise ops at ±1000', () => {
  it('elu(−1000) is −1 with slope 0, elu(1000) is 1000 with slope 1', () => {
    // eˣ − 1 = −1 + e^{−1000} rounds to −1; the slope eˣ underflows to 0
    const x = tensor([-1000, 1000], [2], { requiresGrad: true });
    const y = elu(x);
    sum(y).backward();
    expect(Array.from(y.data)).toEqual([-1, 1000]);
    expect(Array.from(x.grad!.data)).toEqual([0, 1]);
  });
});

describe('mulExp: a · eᵇ without forming eᵇ', () => {
  it('is finite where the product is, though eᵇ alone is not', () => {
    // 1e-300 · e^710 = 2.234e8 (e^710 = ∞ in float64); 1e300 · e^−800 = 3.6e-48 (e^−800 = 0)
    const y = mulExp(tensor([1e-300, 1e300, 2]), tensor([710, -800, 3])).data;
    expect(y[0] / (1e-300 * Math.exp(355) * Math.exp(355))).toBeCloseTo(1, 14);
    expect(y[0]).toBeGreaterThan(2.2e8);
    expect(y[1]).toBeGreaterThan(0);
    expect(y[1] / (1e300 * Math.exp(-400) * Math.exp(-400))).toBeCloseTo(1, 14);
    // the plain product: e^b first overflows or underflows
    const naive = mul(tensor([1e-300, 1e300]), exp(tensor([710, -800]))).data;
    expect(Array.from(naive)).toEqual([Infinity, 0]);
    // in range it is the same bits as a · eᵇ
    expect(y[2]).toBe(2 * Math.exp(3));
  });

  it('gives 0, not 0 · ∞ = NaN, for a = 0; ±∞ only where the product is out of range', () => {
    const y = mulExp(tensor([0, -0, 1, 1e-10]), tensor([1e6, 1e6, 1e6, -1e6])).data;
    expect(Object.is(y[0], 0)).toBe(true);
    expect(Object.is(y[1], -0)).toBe(true);
    expect(y[2]).toBe(Infinity);
    expect(y[3]).toBe(0);
  });

  it('has gradients eᵇ and a · eᵇ', () => {
    // a = 3, b = 0.5: ∂/∂a = e^0.5, ∂/∂b = 3e^0.5
    const a = tensor([3], [1], { requiresGrad: true });
    const b = tensor([0.5], [1], { requiresGrad: true });
    sum(mulExp(a, b)).backward();
    expect(a.grad!.data[0]).toBe(Math.exp(0.5));
    expect(b.grad!.data[0]).toBe(3 * Math.exp(0.5));
  });
});

describe('log-densities far in the tails', () => {
  it('Normal: −½z² is finite up to |z| = 1.9e154, though z² overflows past 1.3e154', () => {
    // z = 1.5e154: −½z² = −1.125e308, finite; z² = 2.25e308 would be ∞
    const lp = new Normal({ loc: 0, scale: 1 }).logProb([1.5e154, -1.5e154, 2e154]).data;
    expect(lp[0] / (-0.5 * 1.5e154 * 1.5e154 - HALF_LOG_TWO_PI)).toBeCloseTo(1, 14);
    expect(lp[1]).toBe(lp[0]);
    expect(lp[2]).toBe(-Infinity); // −2e308 is out of range: −∞ is the right answer
  });

  it('MultivariateNormalDiag: the sum of squares does not overflow before the half', () => {
    // z = [1e154, 1e154]: Σ z² = 2e308 = ∞, but −½ Σ z² = −1e308
    const lp = new MultivariateNormalDiag({ loc: [0, 0] }).logProb([[1e154, 1e154]]).item();
    expect(lp / (-1e308 - 2 * HALF_LOG_TWO_PI)).toBeCloseTo(1, 14);
  });

  it('ordinary values are bit-identical to −½z² (halving is exact)', () => {
    const rng = new Random('numerics-normal');
    const x = rng.fillNormal(new Float64Array(50));
    const lp = new Normal({ loc: 0.3, scale: 1.7 }).logProb(tensor(x)).data;
    for (let i = 0; i < x.length; i++) {
      const z = (x[i] - 0.3) / 1.7;
      expect(lp[i]).toBe(-0.5 * (z * z) - Math.log(1.7) - HALF_LOG_TWO_PI);
    }
  });

  it('Scale with a log-scale of 710 maps 1e-300 to a finite 2.2e8, and back', () => {
    const b = new Scale({ logScale: 710 });
    const y = b.forward(tensor([1e-300]));
    expect(y.item()).toBeCloseTo(223399476.6, 1);
    expect(b.inverse(y).item() / 1e-300).toBeCloseTo(1, 12);
  });

  it('a MAF flow gives finite or −∞ log-densities, never NaN, from 1 to 1e300', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [16, 16], activation: 'relu', seed: 4 });
    const flow = new TransformedDistribution({
      distribution: new MultivariateNormalDiag({ loc: [0, 0, 0] }),
      bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }),
    });
    const rows: number[][] = [];
    for (let k = 0; k <= 300; k += 10) for (const s of [1, -1]) rows.push([s * 10 ** k, -s * 10 ** (k / 2), 10 ** (k / 3)]);
    const lp = noGrad(() => flow.logProb(rows)).data;
    for (let i = 0; i < lp.length; i++) expect(Number.isNaN(lp[i])).toBe(false);
    // at ordinary magnitudes the density is finite; from 1e10 on this relu network's log-scales
    // grow like y (±6e8 at 1e10), so u = (y − shift)·e^(−logScale) is truly out of range: −∞
    expect(Number.isFinite(lp[0]) && Number.isFinite(lp[1])).toBe(true);
    expect(lp[2]).toBe(-Infinity);
  });
});


describe('logScaleClamp keeps a flow finite far from the data', () => {
  /** The tail points of the test above: y_0 = ±10^k, k = 0, 10, …, 300. */
  function tailRows(): number[][] {
    const rows: number[][] = [];
    for (let k = 0; k <= 300; k += 10) for (const s of [1, -1]) rows.push([s * 10 ** k, -s * 10 ** (k / 2), 10 ** (k / 3)]);
    return rows;
  }

  it('the same network, clamped to (−3, 3), is finite out to 1e100 (where u itself stays in range)', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [16, 16], activation: 'relu', seed: 4 });
    const flow = new TransformedDistribution({
      distribution: new MultivariateNormalDiag({ loc: [0, 0, 0] }),
      bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, logScaleClamp: 3 }),
    });
    const rows = tailRows();
    const lp = noGrad(() => flow.logProb(rows)).data;
    // |logScale| < 3, so |u| ≤ (|y| + |shift|)·e³; the shift grows like y: finite until ½u² overflows
    for (let i = 0; i < lp.length; i++) {
      expect(Number.isNaN(lp[i])).toBe(false);
      if (Math.abs(rows[i][0]) <= 1e100) expect(Number.isFinite(lp[i])).toBe(true);
    }
  });

  it('an AutoregressiveTransform layer passes the clamp on, and a saved model keeps it, bit for bit', () => {
    registerDistributionFn('numericsNormal3', (t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 3]) }));
    const model = new Sequential([
      new InputLayer({ inputShape: [0] }),
      new DistributionLambda('numericsNormal3'),
      new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [16, 16], activation: 'relu', seed: 4 }), { logScaleClamp: { min: -3, max: 2 } }),
    ]);
    const json = model.toJSON();
    expect(json.layers[2].config.logScaleClamp).toEqual({ min: -3, max: 2 });
    const again = Sequential.fromJSON(JSON.stringify(json));
    const y = tensor(tailRows());
    const lp = (m: Sequential): Tensor => noGrad(() => (m.call(zeros([0])) as TransformedDistribution).logProb(y));
    const a = lp(model);
    expect(Array.from(lp(again).data)).toEqual(Array.from(a.data));
    expect(Number.isFinite(a.data[2])).toBe(true); // 1e10, −∞ without the clamp (above)
  });
});
