import { tensor } from '../../../autodiff/tensor.js';
import { Invert } from '../../../flows/bijectors/invert.js';
import { Logit } from '../../../flows/bijectors/logit.js';
import { randu } from '../../helpers/grad-check.js';
import { runBijectorHarness } from './harness.js';

// The data side (forward's input) is (0, 1): draw there, away from the edges so that central
// differences with h = 1e-5 stay inside the domain.
const unit = (rng: Parameters<typeof randu>[0], shape: number[]) => randu(rng, shape, 0.02, 0.98);

runBijectorHarness({ label: 'Logit (alpha 0.05)', make: () => new Logit({ alpha: 0.05 }), eventSize: 3, input: unit });
runBijectorHarness({ label: 'Logit (alpha 0)', make: () => new Logit({ alpha: 0 }), eventSize: 4, input: unit });
// As the flow holds it (forward = sigmoid side, base → data). The harness feeds the same draws to
// both directions, so they come from (0, 1), where the inverse (Logit.forward) is defined.
runBijectorHarness({ label: 'Invert(Logit) (alpha 1e-6)', make: () => new Invert(new Logit()), eventSize: 3, input: unit });

describe('Logit', () => {
  it('forward is logit(α + (1 − 2α)x), with values derived by hand', () => {
    const b = new Logit({ alpha: 0.05 });
    // x = 0.5 → s = 0.05 + 0.9·0.5 = 0.5 → logit 0
    // x = 0   → s = 0.05 → log(0.05/0.95) = −log 19
    // x = 1   → s = 0.95 → log 19
    const z = b.forward(tensor([0.5, 0, 1])).data;
    expect(z[0]).toBe(0);
    expect(z[1]).toBeCloseTo(-Math.log(19), 14);
    expect(z[2]).toBeCloseTo(Math.log(19), 14);
    // log-det: log 0.9 − log s − log(1 − s); at s = 0.5: log 0.9 + 2 log 2 = log 3.6;
    // at s = 0.05: log 0.9 − log 0.05 − log 0.95 = log(0.9 / 0.0475)
    const ld = b.forwardLogDetJacobian(tensor([0.5, 0])).data;
    expect(ld[0]).toBeCloseTo(Math.log(3.6), 14);
    expect(ld[1]).toBeCloseTo(Math.log(0.9 / 0.0475), 13);
  });

  it('inverse is (sigmoid(z) − α)/(1 − 2α); its log-det stays finite far out in the tails', () => {
    const b = new Logit({ alpha: 0.1 });
    // z = 0 → sigmoid 0.5 → (0.5 − 0.1)/0.8 = 0.5; z = log 9 → sigmoid 0.9 → (0.9 − 0.1)/0.8 = 1
    const x = b.inverse(tensor([0, Math.log(9)])).data;
    expect(x[0]).toBeCloseTo(0.5, 15);
    expect(x[1]).toBeCloseTo(1, 15);
    // z = ±800: sigmoid rounds to 0 or 1, but −softplus(−z) − softplus(z) = −800 exactly; minus log 0.8
    const ld = b.inverseLogDetJacobian(tensor([800, -800])).data;
    expect(ld[0]).toBeCloseTo(-800 - Math.log(0.8), 10);
    expect(ld[1]).toBeCloseTo(-800 - Math.log(0.8), 10);
  });

  it('the log-det turns a density on logits into one on (0, 1) that integrates to 1', () => {
    // p_X(x) = N(logit(s); 0, 1) · |dz/dx| over x ∈ (0, 1): midpoint rule on 20000 cells
    const b = new Logit({ alpha: 0.01 });
    const n = 20000;
    const xs = tensor(Array.from({ length: n }, (_, i) => (i + 0.5) / n));
    const z = b.forward(xs).data;
    const ld = b.forwardLogDetJacobian(xs).data;
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.exp(-0.5 * z[i] * z[i] - 0.5 * Math.log(2 * Math.PI) + ld[i]) / n;
    // The mass of N(0,1) inside [logit(0.01), logit(0.99)] = [−4.595, 4.595] is 1 − 4.3e-6
    expect(total).toBeCloseTo(1, 4);
  });

  it('rejects data outside its domain, naming the value, and a bad alpha', () => {
    const b = new Logit({ alpha: 0.05 });
    // domain: −0.05/0.9 < x < 0.95/0.9, i.e. (−0.0556, 1.0556)
    expect(() => b.forward(tensor([0.5, 1.2]))).toThrow(RangeError);
    expect(() => b.forward(tensor([0.5, 1.2]))).toThrow(/Logit\.forward: 'x' must lie in \(-0\.0555\d*, 1\.0555\d*\).*got 1\.2 at flat index 1/);
    expect(() => new Invert(b).inverse(tensor([NaN]))).toThrow(/got NaN at flat index 0/);
    expect(() => new Logit({ alpha: 0 }).forward(tensor([0]))).toThrow(/must lie in \(0, 1\)/);
    expect(() => b.inverse(tensor([1e3, -1e3]))).not.toThrow(); // the logit side takes any real
    expect(() => new Logit({ alpha: 0.5 })).toThrow(/Logit: 'alpha' must be a number in \[0, 0\.5\), got 0\.5/);
    expect(() => new Logit({ alpha: -1e-3 })).toThrow(RangeError);
  });

  it('getConfig round-trips', () => {
    const b = new Logit({ alpha: 0.05, name: 'pixels' });
    expect(b.getConfig()).toEqual({ className: 'Logit', name: 'pixels', alpha: 0.05 });
    expect(Logit.fromConfig(JSON.parse(JSON.stringify(b.getConfig()))).getConfig()).toEqual(b.getConfig());
    expect(new Logit().alpha).toBe(1e-6);
    expect(b.trainableWeights).toEqual([]);
  });
});
