import { add, mul } from '../../autodiff/ops/binary.js';
import { sum } from '../../autodiff/ops/reduce.js';
import {
  broadcastTo, concat, expandDims, gather, reshape, slice, squeeze, stack, transpose, unstack,
} from '../../autodiff/ops/shape.js';
import { Tensor, tensor, zeros } from '../../autodiff/tensor.js';
import type { Random } from '../../lib/util/random.js';
import type { Shape } from '../../lib/util/shape.js';
import { expectGradClose, randn, seededRng } from '../helpers/grad-check.js';

/**
 * `y ↦ Σ y ⊙ w` for a fixed random `w`: a scalar whose gradient with respect to `y` is `w`,
 * so a backward that misplaces, drops or duplicates one entry of the gradient is caught.
 */
function weightedSum(rng: Random, shape: Shape): (y: Tensor) => Tensor {
  const w = randn(rng, shape);
  return (y) => sum(mul(y, w));
}

/** 0, 1, …, n−1 laid out in `shape`: every entry names its own flat index. */
function iota(shape: Shape): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from({ length: n }, (_, i) => i), shape);
}

describe('reshape', () => {
  it('keeps row-major order and infers one −1', () => {
    const x = tensor([1, 2, 3, 4, 5, 6]);
    expect(reshape(x, [2, 3]).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(reshape(x, [-1, 2]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]); // 6 / 2 = 3 rows
    expect(reshape(x, [3, 1, -1]).shape).toEqual([3, 1, 2]);
    expect(reshape(tensor([7]), []).shape).toEqual([]);
    expect(reshape(zeros([0, 3]), [3, 0]).shape).toEqual([3, 0]);
  });

  it('shares the data of its input, without a copy', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(reshape(x, [4]).data).toBe(x.data);
  });

  it('rejects mismatched sizes, two −1 and non-integer entries, naming the op and shapes', () => {
    const x = zeros([2, 3]);
    expect(() => reshape(x, [4, 2])).toThrow(/reshape: 'x' of shape \[2,3\] has 6 values but 'shape' \[4,2\] holds 8/);
    expect(() => reshape(x, [-1, -1])).toThrow(/reshape: 'shape' \[-1,-1\] has more than one −1/);
    expect(() => reshape(x, [4, -1])).toThrow(/reshape: cannot infer the −1 in 'shape' \[4,-1\] for 'x' of shape \[2,3\]/);
    expect(() => reshape(x, [1.5, 4])).toThrow(RangeError);
    expect(() => reshape(x, [1.5, 4])).toThrow(/reshape: 'shape' entries must be integers/);
    expect(() => reshape(x, [-2, -3])).toThrow(RangeError);
    expect(() => reshape(zeros([0]), [0, -1])).toThrow(/cannot infer/); // any size would fit
  });

  it('backward matches central differences', () => {
    const rng = seededRng('shape-reshape-grad');
    const f = weightedSum(rng, [3, 2, 2]);
    expectGradClose((p) => f(reshape(p, [3, -1, 2])), [randn(rng, [2, 6])]);
  });
});

describe('transpose', () => {
  it('reverses the axes by default', () => {
    expect(transpose(tensor([[1, 2, 3], [4, 5, 6]])).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(transpose(tensor(5)).toArray()).toBe(5);
  });

  it('follows perm: output axis i is input axis perm[i]', () => {
    const x = iota([2, 3, 4]); // x[i][j][k] = 12i + 4j + k
    const y = transpose(x, [1, 2, 0]);
    expect(y.shape).toEqual([3, 4, 2]);
    // y[j][k][i] = x[i][j][k]: y[2][1][1] = 12 + 8 + 1 = 21
    expect((y.toArray() as number[][][])[2][1][1]).toBe(21);
    expect(transpose(x, [-1, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(transpose(x, [0, 1, 2]).toArray()).toEqual(x.toArray());
  });

  it('rejects a perm that is not a permutation of the axes', () => {
    const x = zeros([2, 3]);
    expect(() => transpose(x, [0])).toThrow(/transpose: 'perm' \[0\] has 1 entries but 'x' of shape \[2,3\] has rank 2/);
    expect(() => transpose(x, [1, 1])).toThrow(/transpose: 'perm' \[1,1\] is not a permutation of 0..1 for 'x' of shape \[2,3\]/);
    expect(() => transpose(x, [0, 2])).toThrow(RangeError);
  });

  it('backward matches central differences', () => {
    const rng = seededRng('shape-transpose-grad');
    const f = weightedSum(rng, [4, 2, 3]);
    expectGradClose((p) => f(transpose(p, [2, 0, 1])), [randn(rng, [2, 3, 4])]);
    const g = weightedSum(rng, [3, 2]);
    expectGradClose((p) => g(transpose(p)), [randn(rng, [2, 3])]);
  });
});

describe('concat', () => {
  it('joins along an existing axis, negative axes included', () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6]]);
    expect(concat([a, b], 0).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(concat([a, tensor([[7], [8]]), a], -1).toArray()).toEqual([[1, 2, 7, 1, 2], [3, 4, 8, 3, 4]]);
    expect(concat([a], 1).toArray()).toEqual(a.toArray());
    expect(concat([zeros([2, 0]), a], 1).toArray()).toEqual(a.toArray());
  });

  it('rejects differing shapes off the axis, an empty list and a bad axis', () => {
    expect(() => concat([zeros([2, 3]), zeros([3, 3])], 1)).toThrow(/concat: tensors\[1\] has shape \[3,3\] but tensors\[0\] has \[2,3\]; they must agree except along axis 1/);
    expect(() => concat([zeros([2, 3]), zeros([6])], 0)).toThrow(/concat: tensors\[1\] has shape \[6\]/);
    expect(() => concat([], 0)).toThrow(/concat: 'tensors' is empty/);
    expect(() => concat([zeros([2]), [1, 2] as unknown as Tensor], 0)).toThrow(TypeError);
    expect(() => concat([zeros([2])], 1)).toThrow(/concat: axis 1 is out of range for rank 1/);
  });

  it('backward matches central differences', () => {
    const rng = seededRng('shape-concat-grad');
    const f = weightedSum(rng, [2, 6, 2]);
    expectGradClose((p, q, r) => f(concat([p, q, r], 1)), [randn(rng, [2, 1, 2]), randn(rng, [2, 3, 2]), randn(rng, [2, 2, 2])]);
    // the same tensor twice: its gradient is the sum of its two slabs
    const g = weightedSum(rng, [2, 5, 2]);
    expectGradClose((p, q) => g(concat([p, q, p], 1)), [randn(rng, [2, 2, 2]), randn(rng, [2, 1, 2])]);
  });

  it('sends gradients only to inputs that require them', () => {
    const a = tensor([1, 2], [2], { requiresGrad: true });
    const b = tensor([3, 4, 5]);
    const w = tensor([10, 20, 30, 40, 50]);
    sum(mul(concat([b, a], 0), w)).backward();
    // a sits at positions 3..4 of the output: da = w[3..4]
    expect(Array.from(a.grad!.data)).toEqual([40, 50]);
    expect(b.grad).toBeNull();
    const rng = seededRng('shape-concat-const');
    const c = randn(rng, [2, 2]);
    const g = weightedSum(rng, [2, 5]);
    expectGradClose((p) => g(concat([c, p], -1)), [randn(rng, [2, 3])]);
  });
});

describe('stack', () => {
  it('stacks equal shapes along a new axis', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expect(stack([a, b]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(stack([a, b], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([a, b], -1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor(1), tensor(2), tensor(3)]).toArray()).toEqual([1, 2, 3]);
    const x = iota([2, 3]);
    const y = stack([x, x, x, x], 1);
    expect(y.shape).toEqual([2, 4, 3]);
    expect((y.toArray() as number[][][])[1][3]).toEqual([3, 4, 5]); // y[i][t] = x[i]
  });

  it('rejects differing shapes, an empty list and a bad axis', () => {
    expect(() => stack([zeros([2]), zeros([3])])).toThrow(/stack: tensors\[1\] has shape \[3\] but tensors\[0\] has \[2\]; all must be equal/);
    expect(() => stack([])).toThrow(/stack: 'tensors' is empty/);
    expect(() => stack([zeros([2])], 2)).toThrow(/stack: axis 2 is out of range for rank 2/);
  });

  it('backward matches central differences, with mixed requiresGrad', () => {
    const rng = seededRng('shape-stack-grad');
    const f = weightedSum(rng, [2, 3, 3]);
    expectGradClose((p, q, r) => f(stack([p, q, r], 1)), [randn(rng, [2, 3]), randn(rng, [2, 3]), randn(rng, [2, 3])]);
    expectGradClose((p, q) => f(stack([p, q, p], 1)), [randn(rng, [2, 3]), randn(rng, [2, 3])]);
    const c = randn(rng, [2, 3]);
    const g = weightedSum(rng, [2, 3, 2]);
    expectGradClose((p) => g(stack([c, p], -1)), [randn(rng, [2, 3])]);
    const a = tensor([1, 2], [2], { requiresGrad: true });
    sum(mul(stack([tensor([0, 0]), a], 1), tensor([[1, 2], [3, 4]]))).backward();
    // a[i] lands at y[i][1]: da = [2, 4]
    expect(Array.from(a.grad!.data)).toEqual([2, 4]);
  });
});

describe('unstack', () => {
  it('splits along an axis into tensors without it', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(unstack(x).map((t) => t.toArray())).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(unstack(x, 1).map((t) => t.toArray())).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(unstack(x, -1).length).toBe(3);
    expect(unstack(tensor([7, 8])).map((t) => t.shape)).toEqual([[], []]);
    expect(() => unstack(tensor(1))).toThrow(/unstack: axis 0 is out of range for rank 0/);
  });

  it('is the inverse of stack', () => {
    const x = iota([2, 3, 4]);
    expect(stack(unstack(x, 1), 1).toArray()).toEqual(x.toArray());
  });

  it('backward adds each output into its slice, also when used in a sum', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]], undefined, { requiresGrad: true });
    const [r0, r1] = unstack(x); // r2 unused: its rows get no gradient
    // f = Σ r0 ⊙ r1 + Σ r1: df/dr0 = r1 = [3, 4], df/dr1 = r0 + 1 = [2, 3]
    sum(add(mul(r0, r1), r1)).backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 4, 2, 3, 0, 0]);
    const rng = seededRng('shape-unstack-grad');
    // Each column meets its neighbour: f = Σ_k Σ c_k ⊙ c_(k+1 mod 4), so every output is used twice.
    expectGradClose((p) => {
      const cols = unstack(p, -1); // four tensors of shape [3, 2]
      return cols.map((c, k) => sum(mul(c, cols[(k + 1) % 4]))).reduce((acc, t) => add(acc, t));
    }, [randn(rng, [3, 2, 4])]);
  });
});

describe('slice', () => {
  it('takes a block, TF-style, with −1 meaning "to the end"', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(slice(x, [0, 1], [-1, 2]).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(slice(x, [1, 0], [1, -1]).toArray()).toEqual([[4, 5, 6]]);
    expect(slice(x, [0, 3], [2, 0]).shape).toEqual([2, 0]);
    const y = iota([3, 4, 5]); // y[i][j][k] = 20i + 5j + k
    expect(slice(y, [1, 2, 3], [2, 1, 2]).toArray()).toEqual([[[33, 34]], [[53, 54]]]);
  });

  it('rejects begin and size outside the tensor with RangeError naming them', () => {
    const x = zeros([2, 3]);
    expect(() => slice(x, [0, 4], [1, 0])).toThrow(RangeError);
    expect(() => slice(x, [0, 4], [1, 0])).toThrow(/slice: 'begin' \[0,4\] is out of range for 'x' of shape \[2,3\] \(axis 1/);
    expect(() => slice(x, [-1, 0], [1, 1])).toThrow(/slice: 'begin' \[-1,0\]/);
    expect(() => slice(x, [1, 1], [2, 1])).toThrow(/slice: 'size' \[2,1\] with 'begin' \[1,1\] is out of range for 'x' of shape \[2,3\] \(axis 0/);
    expect(() => slice(x, [0, 0], [1, -2])).toThrow(RangeError);
    expect(() => slice(x, [0], [1])).toThrow(/slice: 'begin' \[0\] and 'size' \[1\] need one entry per axis of 'x' of shape \[2,3\]/);
  });

  it('backward matches central differences', () => {
    const rng = seededRng('shape-slice-grad');
    const f = weightedSum(rng, [2, 2, 3]);
    expectGradClose((p) => f(slice(p, [1, 0, 2], [2, 2, -1])), [randn(rng, [3, 4, 5])]);
  });
});

describe('gather', () => {
  it('picks entries along an axis, repeats allowed', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(gather(x, [1, 1, 0]).toArray()).toEqual([[4, 5, 6], [4, 5, 6], [1, 2, 3]]);
    expect(gather(x, [2, 0, 1], -1).toArray()).toEqual([[3, 1, 2], [6, 4, 5]]); // event permutation
    expect(gather(x, Int32Array.of(0, 0), 1).toArray()).toEqual([[1, 1], [4, 4]]);
    expect(gather(x, [], 1).shape).toEqual([2, 0]);
  });

  it('rejects indices outside [0, dim) and non-integers with RangeError', () => {
    const x = zeros([2, 3]);
    expect(() => gather(x, [0, 3], 1)).toThrow(RangeError);
    expect(() => gather(x, [0, 3], 1)).toThrow(/gather: 'indices'\[1\] is 3, expected an integer in \[0, 3\) for axis 1 of 'x' of shape \[2,3\]/);
    expect(() => gather(x, [-1])).toThrow(/gather: 'indices'\[0\] is -1/);
    expect(() => gather(x, [0.5])).toThrow(/gather: 'indices'\[0\] is 0.5/);
    expect(() => gather(x, [0], 2)).toThrow(/gather: axis 2 is out of range for rank 2/);
  });

  it('backward scatters with +=, so repeated indices accumulate', () => {
    const x = tensor([10, 20, 30], [3], { requiresGrad: true });
    // y = [x0, x0, x2, x0]: dy = 1 gives dx = [3, 0, 1]
    sum(gather(x, [0, 0, 2, 0])).backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 0, 1]);
    const rng = seededRng('shape-gather-grad');
    const f = weightedSum(rng, [2, 5, 3]);
    expectGradClose((p) => f(gather(p, [3, 0, 3, 1, 3], 1)), [randn(rng, [2, 4, 3])]);
    const g = weightedSum(rng, [2, 4]);
    expectGradClose((p) => g(gather(p, [2, 0, 3, 1], -1)), [randn(rng, [2, 4])]);
  });
});

describe('expandDims and squeeze', () => {
  it('insert and remove size-1 axes, sharing data', () => {
    const x = tensor([[1, 2, 3]]); // [1, 3]
    expect(expandDims(x, 0).shape).toEqual([1, 1, 3]);
    expect(expandDims(x, 2).shape).toEqual([1, 3, 1]);
    expect(expandDims(x, -1).shape).toEqual([1, 3, 1]);
    expect(expandDims(x, -3).shape).toEqual([1, 1, 3]);
    expect(expandDims(x, 1).data).toBe(x.data);
    const y = zeros([1, 3, 1, 2]);
    expect(squeeze(y).shape).toEqual([3, 2]);
    expect(squeeze(y, 2).shape).toEqual([1, 3, 2]);
    expect(squeeze(y, [-2, 0]).shape).toEqual([3, 2]);
    expect(squeeze(y).data).toBe(y.data);
    expect(squeeze(tensor([[5]])).shape).toEqual([]);
  });

  it('reject bad axes and squeezing an axis whose size is not 1', () => {
    expect(() => expandDims(zeros([2]), 2)).toThrow(/expandDims: axis 2 is out of range for rank 2/);
    expect(() => squeeze(zeros([1, 3]), 1)).toThrow(/squeeze: axis 1 of 'x' of shape \[1,3\] has size 3, expected 1/);
    expect(() => squeeze(zeros([1, 1]), [0, -2])).toThrow(/squeeze: axis -2 is listed twice/);
    expect(() => squeeze(zeros([1]), 1)).toThrow(RangeError);
  });

  it('backward matches central differences', () => {
    const rng = seededRng('shape-expand-squeeze-grad');
    const f = weightedSum(rng, [2, 1, 3]);
    expectGradClose((p) => f(expandDims(p, 1)), [randn(rng, [2, 3])]);
    const g = weightedSum(rng, [2, 3]);
    expectGradClose((p) => g(squeeze(p)), [randn(rng, [1, 2, 1, 3])]);
  });
});

describe('broadcastTo', () => {
  it('repeats along broadcast axes by NumPy rules', () => {
    expect(broadcastTo(tensor([1, 2]), [2, 2]).toArray()).toEqual([[1, 2], [1, 2]]);
    expect(broadcastTo(tensor([[1], [2]]), [2, 3]).toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(broadcastTo(tensor(4), [2]).toArray()).toEqual([4, 4]);
    expect(broadcastTo(zeros([3, 1]), [2, 3, 5]).shape).toEqual([2, 3, 5]);
    const x = tensor([1, 2]);
    expect(broadcastTo(x, [2]).data).toBe(x.data);
  });

  it('rejects shapes that do not broadcast to the target, naming both', () => {
    expect(() => broadcastTo(zeros([3]), [2, 4])).toThrow(/broadcastTo: 'x' of shape \[3\] does not broadcast to 'shape' \[2,4\]/);
    // Broadcasting [2, 3] with [3] gives [2, 3], but broadcastTo may not shrink its input.
    expect(() => broadcastTo(zeros([2, 3]), [3])).toThrow(/broadcastTo: 'x' of shape \[2,3\] does not broadcast to 'shape' \[3\]/);
    expect(() => broadcastTo(zeros([1]), [2.5])).toThrow(RangeError);
  });

  it('backward sums over the broadcast axes', () => {
    const x = tensor([[1], [2]], undefined, { requiresGrad: true });
    // y[i][j] = x[i]: dx[i] = Σ_j w[i][j] = [1 + 2 + 3, 4 + 5 + 6]
    sum(mul(broadcastTo(x, [2, 3]), tensor([[1, 2, 3], [4, 5, 6]]))).backward();
    expect(Array.from(x.grad!.data)).toEqual([6, 15]);
    const rng = seededRng('shape-broadcast-grad');
    const f = weightedSum(rng, [4, 3, 2]);
    expectGradClose((p) => f(broadcastTo(p, [4, 3, 2])), [randn(rng, [3, 1])]);
    expectGradClose((p) => f(broadcastTo(p, [4, 3, 2])), [randn(rng, [4, 3, 2])]);
  });
});

describe('shape ops reject non-tensor inputs', () => {
  it('with TypeError naming the op and argument', () => {
    expect(() => reshape([1, 2] as unknown as Tensor, [2])).toThrow(/reshape: 'x' must be a Tensor/);
    expect(() => transpose(3 as unknown as Tensor)).toThrow(TypeError);
  });
});
