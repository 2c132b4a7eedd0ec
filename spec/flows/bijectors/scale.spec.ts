import { tensor, zeros } from '../../../autodiff/tensor.js';
import { Scale } from '../../../flows/bijectors/scale.js';
import { bijectorFromConfig } from '../../../flows/bijectors/serialization.js';
import { runBijectorHarness } from './harness.js';

runBijectorHarness({ label: 'Scale (scale, with a negative entry)', make: () => new Scale({ scale: [2, -0.5, 3] }), eventSize: 3 });
runBijectorHarness({
  label: 'Scale (trainable logScale)',
  make: () => new Scale({ logScale: tensor([0.3, -0.7, 1.1], undefined, { requiresGrad: true }) }),
  eventSize: 3,
  trainable: true,
});
runBijectorHarness({
  label: 'Scale (trainable scale)',
  make: () => new Scale({ scale: tensor([0.3, -0.7, 1.1], undefined, { requiresGrad: true }) }),
  eventSize: 3,
  trainable: true,
});

describe('Scale', () => {
  it('multiplies forward, divides inverse; log-det log|scale| per element', () => {
    const b = new Scale({ scale: [2, -4] });
    expect(b.forward(tensor([1, 1])).toArray()).toEqual([2, -4]);
    expect(b.inverse(tensor([1, 1])).toArray()).toEqual([0.5, -0.25]);
    // log|2| + log|−4| = log 8 per row with eventNdims 1
    const ld = b.forwardLogDetJacobian(zeros([3, 2]), { eventNdims: 1 });
    expect(ld.shape).toEqual([3]);
    for (const v of ld.data) expect(v).toBeCloseTo(Math.log(8), 14);
    expect(new Scale(3).forward(tensor([2])).toArray()).toEqual([6]);
  });

  it('with logScale: y = x·e^logScale and log-det = logScale exactly', () => {
    const b = new Scale({ logScale: Math.log(2) });
    expect(b.forward(tensor([1, 3])).toArray()).toEqual([2, 6]);
    expect(b.inverseLogDetJacobian(zeros([4])).toArray()).toEqual([-Math.log(2), -Math.log(2), -Math.log(2), -Math.log(2)]);
  });

  it('rejects both or neither of scale and logScale, and zero or non-finite values', () => {
    expect(() => new Scale({ scale: 1, logScale: 0 })).toThrow(/Scale: exactly one of 'scale' and 'logScale' must be given, got both/);
    expect(() => new Scale({})).toThrow(/got neither/);
    expect(() => new Scale({ scale: [1, 0] })).toThrow(RangeError);
    expect(() => new Scale({ scale: [1, 0] })).toThrow(/Scale: 'scale' must be nonzero and finite, got 0 at flat index 1/);
    expect(() => new Scale({ scale: Infinity })).toThrow(/got Infinity/);
    expect(() => new Scale({ logScale: [NaN] })).toThrow(/Scale: 'logScale' must be finite, got NaN/);
  });

  it('getConfig round-trips both forms', () => {
    for (const b of [new Scale({ scale: [2, 3] }), new Scale({ logScale: [0.5], name: 'ls' })]) {
      const copy = bijectorFromConfig(JSON.parse(JSON.stringify(b.getConfig()))) as Scale;
      expect(copy.getConfig()).toEqual(b.getConfig());
    }
  });
});
