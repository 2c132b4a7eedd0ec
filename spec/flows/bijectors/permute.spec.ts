import { tensor, zeros } from '../../../autodiff/tensor.js';
import { Permute, Reverse } from '../../../flows/bijectors/permute.js';
import { bijectorFromConfig } from '../../../flows/bijectors/serialization.js';
import { runBijectorHarness } from './harness.js';

runBijectorHarness({ label: 'Permute [2,0,3,1]', make: () => new Permute({ permutation: [2, 0, 3, 1] }), eventSize: 4 });
runBijectorHarness({ label: 'Reverse', make: () => new Reverse(), eventSize: 3 });

describe('Permute', () => {
  it('forward: y[i] = x[permutation[i]]; inverse undoes it; log-det 0 per event', () => {
    const p = new Permute({ permutation: [2, 0, 1] });
    expect(p.forward(tensor([10, 20, 30])).toArray()).toEqual([30, 10, 20]);
    expect(p.inverse(tensor([30, 10, 20])).toArray()).toEqual([10, 20, 30]);
    expect(p.inversePermutation).toEqual([1, 2, 0]);
    expect(p.forwardLogDetJacobian(zeros([2, 3])).toArray()).toEqual([0, 0]);
    expect(p.forwardMinEventNdims).toBe(1);
  });

  it('rejects what is not a permutation of 0..E−1, and a wrong event size', () => {
    expect(() => new Permute({ permutation: [0, 0, 2] })).toThrow(/Permute: 'permutation' \[0,0,2\] is not a permutation of 0..2/);
    expect(() => new Permute({ permutation: [1, 2, 3] })).toThrow(/not a permutation of 0..2/);
    expect(() => new Permute({ permutation: [0, 1.5] })).toThrow(/not a permutation/);
    expect(() => new Permute({ permutation: [] })).toThrow(/not a permutation/);
    expect(() => new Permute({ permutation: 'abc' as unknown as number[] })).toThrow(TypeError);
    const p = new Permute({ permutation: [1, 0] });
    expect(() => p.forward(zeros([4, 3]))).toThrow(/Permute.forward: 'x' has shape \[4,3\], expected \[..., 2\] \(the permutation's length\)/);
  });

  it('Reverse reverses any last axis, or checks a fixed eventSize', () => {
    expect(new Reverse().forward(tensor([[1, 2, 3], [4, 5, 6]])).toArray()).toEqual([[3, 2, 1], [6, 5, 4]]);
    expect(new Reverse().inverse(tensor([1, 2])).toArray()).toEqual([2, 1]);
    expect(() => new Reverse({ eventSize: 2 }).forward(zeros([3]))).toThrow(/Reverse.forward: 'x' has shape \[3\], expected \[..., 2\]/);
    expect(() => new Reverse({ eventSize: 0 })).toThrow(RangeError);
  });

  it('getConfig round-trips', () => {
    for (const b of [new Permute({ permutation: [1, 0, 2], name: 'p' }), new Reverse({ eventSize: 3 }), new Reverse()]) {
      expect(bijectorFromConfig(JSON.parse(JSON.stringify(b.getConfig()))).getConfig()).toEqual(b.getConfig());
    }
  });
});
