import { add, div, maximum, minimum, mul, sub } from '../../autodiff/ops/binary.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { Tensor, tensor, zeros } from '../../autodiff/tensor.js';
import { expectGradClose, randn, seededRng } from '../helpers/grad-check.js';

const ops = { add, sub, mul, div, maximum, minimum };

describe('binary ops', () => {
  it('compute elementwise values with NumPy broadcasting', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]); // [2, 3]
    const b = tensor([10, 20, 30]); // [3] broadcasts along axis 0
    expect(add(a, b).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(sub(a, tensor([[1], [2]])).toArray()).toEqual([[0, 1, 2], [2, 3, 4]]);
    expect(mul(a, 2).toArray()).toEqual([[2, 4, 6], [8, 10, 12]]);
    expect(div(6, tensor([1, 2, 3])).toArray()).toEqual([6, 3, 2]);
    expect(maximum(a, 3).toArray()).toEqual([[3, 3, 3], [4, 5, 6]]);
    expect(minimum(a, 3).toArray()).toEqual([[1, 2, 3], [3, 3, 3]]);
  });

  it('broadcasts [5,1,2] with [3,1] to [5,3,2], as NumPy does', () => {
    expect(add(zeros([5, 1, 2]), zeros([3, 1])).shape).toEqual([5, 3, 2]);
    expect(add(zeros([2]), zeros([5, 3, 2])).shape).toEqual([5, 3, 2]);
    expect(add(zeros([]), zeros([0, 3])).shape).toEqual([0, 3]);
  });

  it('rejects shapes that do not broadcast, naming the op and both shapes', () => {
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(/add: shapes \[2,3\] and \[4\] do not broadcast/);
    expect(() => mul(zeros([3, 2]), zeros([2, 2]))).toThrow(/mul: shapes \[3,2\] and \[2,2\]/);
  });

  it('rejects non-tensor arguments by name', () => {
    expect(() => add(zeros([2]), 'x' as unknown as Tensor)).toThrow(TypeError);
    expect(() => add(zeros([2]), 'x' as unknown as Tensor)).toThrow(/'b' must be a Tensor or a number/);
  });

  for (const [name, op] of Object.entries(ops)) {
    it(`${name}: backward matches central differences, same shapes and broadcast`, () => {
      const rng = seededRng(`binary-${name}`);
      // Inputs kept away from 0 (div) and from each other (max/min kinks).
      const a = randn(rng, [3, 4], 1, 0);
      const b = randn(rng, [3, 4], 1, 0);
      for (let i = 0; i < b.size; i++) {
        b.data[i] = b.data[i] + (b.data[i] >= 0 ? 0.5 : -0.5);
        if (Math.abs(a.data[i] - b.data[i]) < 0.1) a.data[i] += 0.3;
      }
      expect(expectGradClose((p, q) => sum(mul(op(p, q), p)), [a, b])).toBeLessThan(1e-6);
      const row = randn(rng, [1, 4]).data.map((v) => v + (v >= 0 ? 2 : -2));
      expect(expectGradClose((p, q) => sum(op(p, q)), [a, tensor(row, [1, 4])])).toBeLessThan(1e-6);
      expect(expectGradClose((p, q) => sum(op(p, q)), [tensor(row, [4]), a])).toBeLessThan(1e-6);
    });
  }

  it('accumulates gradients when one tensor is used twice', () => {
    // f(x) = Σ x·x + x: df/dx = 2x + 1
    const x = tensor([1, -2, 3], [3], { requiresGrad: true });
    sum(add(mul(x, x), x)).backward();
    expect(Array.from(x.grad!.data)).toEqual([3, -3, 7]);
  });
});
