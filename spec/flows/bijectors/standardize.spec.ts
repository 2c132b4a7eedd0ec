import { tensor } from '../../../autodiff/tensor.js';
import { Standardize } from '../../../flows/bijectors/standardize.js';
import { runBijectorHarness } from './harness.js';

runBijectorHarness({ label: 'Standardize', make: () => new Standardize({ mean: [1, -2, 0.5], std: [2, 0.25, 3] }), eventSize: 3 });

describe('Standardize', () => {
  it('fromData: column means and population standard deviations, derived by hand', () => {
    // column 0: 1, 3, 5 → mean 3, deviations −2, 0, 2 → var 8/3; column 1: 10, 10, 40 → mean 20,
    // deviations −10, −10, 20 → var 600/3 = 200
    const st = Standardize.fromData(tensor([[1, 10], [3, 10], [5, 40]]));
    expect(Array.from(st.mean.data)).toEqual([3, 20]);
    expect(st.std.data[0]).toBeCloseTo(Math.sqrt(8 / 3), 15);
    expect(st.std.data[1]).toBeCloseTo(Math.sqrt(200), 13);
    // the standardized training rows have mean 0 and variance 1 per column
    const z = st.forward(tensor([[1, 10], [3, 10], [5, 40]])).data;
    for (let d = 0; d < 2; d++) {
      const col = [z[d], z[2 + d], z[4 + d]];
      expect(col.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 14);
      expect(col.reduce((a, b) => a + b * b, 0) / 3).toBeCloseTo(1, 14);
    }
  });

  it('forward (x − mean)/std, inverse z·std + mean, log-det −Σ log std', () => {
    const st = new Standardize({ mean: [2, 20], std: [1, 10] });
    expect(st.forward(tensor([[3, 40]])).toArray()).toEqual([[1, 2]]);
    expect(st.inverse(tensor([[1, 2]])).toArray()).toEqual([[3, 40]]);
    // per element −log std: [−0, −log 10]; summed over the event: −log 10, the same for every row
    const ld = st.forwardLogDetJacobian(tensor([[3, 40], [0, 0]]), { eventNdims: 1 });
    expect(ld.shape).toEqual([2]);
    expect(ld.data[0]).toBeCloseTo(-Math.log(10), 15);
    expect(ld.data[1]).toBeCloseTo(-Math.log(10), 15);
    expect(st.inverseLogDetJacobian(tensor([[0, 0]]), { eventNdims: 1 }).data[0]).toBeCloseTo(Math.log(10), 15);
    expect(st.isConstantJacobian).toBe(true);
  });

  it('a constant column keeps std 1 (centred, not divided by zero), as scikit-learn does', () => {
    const st = Standardize.fromData(tensor([[7, 1], [7, 3]]));
    expect(Array.from(st.std.data)).toEqual([1, 1]);
    expect(Array.from(st.mean.data)).toEqual([7, 2]);
  });

  it('is fixed: statistics are copies that no optimizer sees', () => {
    const mean = tensor([1, 2], undefined, { requiresGrad: true });
    const st = new Standardize({ mean, std: [1, 1] });
    expect(st.trainableWeights).toEqual([]);
    expect(st.mean).not.toBe(mean);
    expect(st.mean.requiresGrad).toBe(false);
    mean.data[0] = 99;
    expect(st.mean.data[0]).toBe(1);
  });

  it('rejects bad statistics and data with messages naming them', () => {
    expect(() => new Standardize({ mean: [0, 0], std: [1, 0] })).toThrow(/Standardize: 'std' must be positive and finite, got 0 at flat index 1/);
    expect(() => new Standardize({ mean: [0, NaN], std: [1, 1] })).toThrow(RangeError);
    expect(() => new Standardize({ mean: [0, 0, 0], std: [1, 1] })).toThrow(/'mean' has shape \[3\] and 'std' has shape \[2\]/);
    expect(() => Standardize.fromData(tensor([1, 2, 3]))).toThrow(/Standardize\.fromData: 'x' has shape \[3\], expected \[rows, E\]/);
    expect(() => Standardize.fromData(tensor([[1, Infinity]]))).toThrow(/'x' must be finite, got Infinity at flat index 1/);
  });

  it('getConfig round-trips', () => {
    const st = Standardize.fromData(tensor([[1, 10], [3, 30]]), { name: 'scaler' });
    const copy = Standardize.fromConfig(JSON.parse(JSON.stringify(st.getConfig())));
    expect(copy.getConfig()).toEqual(st.getConfig());
    expect(copy.name).toBe('scaler');
  });
});
