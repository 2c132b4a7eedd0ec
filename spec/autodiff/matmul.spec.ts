// matmul: values, batch broadcasting, gradients against central differences, and argument errors.
import { gemmReference } from '../../autodiff/kernels/gemm.js';
import { mul } from '../../autodiff/ops/binary.js';
import { matmul } from '../../autodiff/ops/matmul.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { Tensor, noGrad, tensor, zeros } from '../../autodiff/tensor.js';
import { expectGradClose, maxAbsDiff, randn, seededRng } from '../helpers/grad-check.js';

/**
 * A scalar that weights every output entry differently, Σ C ⊙ R with a fixed random R: unlike
 * Σ C, it gives a non-uniform dC, so a swapped transpose or a misplaced batch block fails.
 */
function weightedSum(c: Tensor, seed: string): Tensor {
  return sum(mul(c, randn(seededRng(seed), c.shape)));
}

describe('matmul', () => {
  it('multiplies 2-D matrices', () => {
    // [[1, 2], [3, 4]] · [[5], [6]] = [[1·5 + 2·6], [3·5 + 4·6]] = [[17], [39]]
    expect(matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])).toArray()).toEqual([[17], [39]]);
    // [1,3] · [3,2]: [1, 2, 3] · [[1, 0], [0, 1], [1, 1]] = [1 + 3, 2 + 3] = [4, 5]
    expect(matmul(tensor([[1, 2, 3]]), tensor([[1, 0], [0, 1], [1, 1]])).toArray()).toEqual([[4, 5]]);
  });

  it('multiplies batch entry by batch entry, and shares a rank-2 operand across the batch', () => {
    const a = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 3]]]); // [2, 2, 2]: I and diag(2, 3)
    const b = tensor([[[1, 2], [3, 4]], [[1, 1], [1, 1]]]); // [2, 2, 2]
    // I·[[1,2],[3,4]] = [[1,2],[3,4]]; diag(2,3)·ones = [[2,2],[3,3]]
    expect(matmul(a, b).toArray()).toEqual([[[1, 2], [3, 4]], [[2, 2], [3, 3]]]);
    // Shared right operand [[1, 2], [3, 4]]: I·B = B and diag(2, 3)·B = [[2, 4], [9, 12]]
    expect(matmul(a, tensor([[1, 2], [3, 4]])).toArray()).toEqual([[[1, 2], [3, 4]], [[2, 4], [9, 12]]]);
    // Shared left operand [[1, 1]]: column sums of each B, [[4, 6]] and [[2, 2]]
    expect(matmul(tensor([[1, 1]]), b).toArray()).toEqual([[[4, 6]], [[2, 2]]]);
  });

  it('broadcasts batch dimensions by NumPy rules: [2,1,3,4]·[5,4,2] → [2,5,3,2]', () => {
    const rng = seededRng('matmul-broadcast-values');
    const a = randn(rng, [2, 1, 3, 4]);
    const b = randn(rng, [5, 4, 2]);
    const c = matmul(a, b);
    expect(c.shape).toEqual([2, 5, 3, 2]);
    // c[i, j] = a[i, 0] · b[j], each block checked against the reference kernel.
    const block = new Float64Array(3 * 2);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 5; j++) {
        gemmReference(3, 2, 4, a.data, b.data, block, { aOffset: i * 12, bOffset: j * 8 });
        expect(maxAbsDiff(c.data.subarray((i * 5 + j) * 6, (i * 5 + j + 1) * 6), block)).toBeLessThan(1e-14);
      }
    }
    expect(matmul(zeros([3, 4]), zeros([2, 4, 5])).shape).toEqual([2, 3, 5]);
    expect(matmul(zeros([2, 3, 4]), zeros([4, 5])).shape).toEqual([2, 3, 5]);
    expect(matmul(zeros([1, 3, 4]), zeros([6, 1, 4, 5])).shape).toEqual([6, 1, 3, 5]);
  });

  it('handles empty batch, rows and inner dimension', () => {
    expect(matmul(zeros([0, 3, 4]), zeros([4, 5])).shape).toEqual([0, 3, 5]);
    expect(matmul(zeros([2, 0]), zeros([0, 3])).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]); // an empty sum is 0
    expect(matmul(zeros([0, 4]), zeros([4, 3])).shape).toEqual([0, 3]);
  });

  it('2-D backward matches central differences', () => {
    const rng = seededRng('matmul-grad-2d');
    const [a, b] = [randn(rng, [3, 4]), randn(rng, [4, 2])];
    expect(expectGradClose((p, q) => weightedSum(matmul(p, q), 'matmul-grad-2d-r'), [a, b])).toBeLessThan(1e-6);
    // Edge sizes of the 4×4 tile: 5×7 · 7×6
    const [c, d] = [randn(rng, [5, 7]), randn(rng, [7, 6])];
    expect(expectGradClose((p, q) => weightedSum(matmul(p, q), 'matmul-grad-2d-r2'), [c, d])).toBeLessThan(1e-6);
  });

  it('batched backward matches central differences: [2,3,4]·[2,4,5]', () => {
    const rng = seededRng('matmul-grad-batched');
    const [a, b] = [randn(rng, [2, 3, 4]), randn(rng, [2, 4, 5])];
    expect(expectGradClose((p, q) => weightedSum(matmul(p, q), 'matmul-grad-batched-r'), [a, b])).toBeLessThan(1e-6);
  });

  it('broadcast backward sums over broadcast batch axes: [2,1,3,4]·[5,4,2]', () => {
    const rng = seededRng('matmul-grad-broadcast');
    const [a, b] = [randn(rng, [2, 1, 3, 4]), randn(rng, [5, 4, 2])];
    expect(expectGradClose((p, q) => weightedSum(matmul(p, q), 'matmul-grad-broadcast-r'), [a, b])).toBeLessThan(1e-6);
  });

  it('backward with a shared rank-2 operand on either side', () => {
    const rng = seededRng('matmul-grad-shared');
    const [a, w] = [randn(rng, [3, 2, 4]), randn(rng, [4, 3])];
    expect(expectGradClose((p, q) => weightedSum(matmul(p, q), 'matmul-grad-shared-r1'), [a, w])).toBeLessThan(1e-6);
    const [v, b] = [randn(rng, [2, 4]), randn(rng, [3, 4, 5])];
    expect(expectGradClose((p, q) => weightedSum(matmul(p, q), 'matmul-grad-shared-r2'), [v, b])).toBeLessThan(1e-6);
  });

  it('collects both gradients when one tensor is both operands: matmul(a, a)', () => {
    const rng = seededRng('matmul-grad-twice');
    const a = randn(rng, [3, 3]);
    expect(expectGradClose((p) => weightedSum(matmul(p, p), 'matmul-grad-twice-r'), [a])).toBeLessThan(1e-6);
    // By hand: f(a) = Σ (a·a) with a = [[1, 2], [0, 1]]; df/da = 1·aᵀ + aᵀ·1 with 1 all ones.
    // Every row of 1·aᵀ is the row sums of a, [3, 1]; row i of aᵀ·1 is column sum i of a, so [1, 1], [3, 3].
    // → [[3, 1], [3, 1]] + [[1, 1], [3, 3]] = [[4, 2], [6, 4]]
    const x = tensor([[1, 2], [0, 1]], undefined, { requiresGrad: true });
    sum(matmul(x, x)).backward();
    expect(x.grad!.toArray()).toEqual([[4, 2], [6, 4]]);
  });

  it('gives no gradient to an operand that does not require one, and records nothing under noGrad', () => {
    const rng = seededRng('matmul-requires');
    const a = new Tensor(randn(rng, [2, 3]).data, [2, 3], { requiresGrad: true });
    const b = randn(rng, [3, 2]);
    sum(matmul(a, b)).backward();
    expect(a.grad).not.toBeNull();
    expect(b.grad).toBeNull();
    expect(noGrad(() => matmul(a, b)).requiresGrad).toBe(false);
  });

  it('rejects mismatched inner dimensions and names both shapes', () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: a is \[2,3\], b is \[4,5\]/);
    expect(() => matmul(zeros([7, 2, 3]), zeros([4, 5]))).toThrow(/a is \[7,2,3\], b is \[4,5\]/);
  });

  it('rejects operands of rank < 2, batch shapes that do not broadcast, and non-tensors', () => {
    expect(() => matmul(zeros([3]), zeros([3, 2]))).toThrow(/matmul: 'a' has shape \[3\], expected rank ≥ 2/);
    expect(() => matmul(zeros([2, 3]), zeros([3]))).toThrow(/matmul: 'b' has shape \[3\], expected rank ≥ 2/);
    expect(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 4]))).toThrow(/matmul: batch dimensions do not broadcast: a is \[2,2,3\], b is \[3,3,4\]/);
    expect(() => matmul([[1]] as unknown as Tensor, zeros([1, 1]))).toThrow(TypeError);
    expect(() => matmul(zeros([1, 1]), null as unknown as Tensor)).toThrow(/matmul: 'b' must be a Tensor, got null/);
  });
});
