import { mul } from '../../autodiff/ops/binary.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { where } from '../../autodiff/ops/select.js';
import { log } from '../../autodiff/ops/unary.js';
import { Tensor, tensor, zeros } from '../../autodiff/tensor.js';
import { expectGradClose, randn, seededRng } from '../helpers/grad-check.js';

describe('where', () => {
  it('takes a where the condition is nonzero and b elsewhere', () => {
    const a = tensor([1, 2, 3, 4]);
    const b = tensor([-1, -2, -3, -4]);
    expect(where(tensor([1, 0, 0, 1]), a, b).toArray()).toEqual([1, -2, -3, 4]);
    // Any nonzero value counts as true, NaN included (as NumPy's bool(nan)).
    expect(where(tensor([-0.5, 0, NaN, 2]), a, b).toArray()).toEqual([1, -2, 3, 4]);
    expect(where([true, false, true, false], a, b).toArray()).toEqual([1, -2, 3, -4]);
    expect(where(tensor([0, 1]), 7, 9).toArray()).toEqual([9, 7]);
  });

  it('broadcasts condition, a and b together', () => {
    // condition [2, 1] against a [3] and b [] gives [2, 3]
    const y = where([[true], [false]], tensor([1, 2, 3]), 0);
    expect(y.shape).toEqual([2, 3]);
    expect(y.toArray()).toEqual([[1, 2, 3], [0, 0, 0]]);
    // a condition of rank 1 picks per column
    expect(where([false, true], tensor([[1, 2], [3, 4]]), tensor([[5], [6]])).toArray()).toEqual([[5, 2], [6, 4]]);
    expect(where(true, zeros([2, 1]), zeros([1, 3])).shape).toEqual([2, 3]);
  });

  it('does not let a non-finite value from the unselected branch into the output', () => {
    expect(where([true, false], tensor([1, Infinity]), tensor([NaN, 2])).toArray()).toEqual([1, 2]);
  });

  it('rejects shapes that do not broadcast, naming all three', () => {
    expect(() => where(tensor([1, 0, 1]), zeros([2]), 0)).toThrow(/where: shapes \[3\] and \[2\] and \[\] do not broadcast/);
    expect(() => where([[true, false], [true]], 1, 0)).toThrow(/where: 'condition' is ragged: expected length 2 at depth 1 \(shape \[2,2\]\), got length 1/);
    expect(() => where([1, 0] as unknown as boolean[], 1, 0)).toThrow(TypeError);
    expect(() => where('yes' as unknown as boolean, 1, 0)).toThrow(/where: 'condition' must be a Tensor or \(nested arrays of\) booleans, got string/);
    expect(() => where(true, 'a' as unknown as Tensor, 0)).toThrow(/where: 'a' must be a Tensor, a number, nested arrays/);
  });

  it('sends the gradient to a where true, to b where false, never to the condition', () => {
    const c = tensor([1, 0, 1], [3], { requiresGrad: true });
    const a = tensor([1, 2, 3], [3], { requiresGrad: true });
    const b = tensor([4], [1], { requiresGrad: true });
    // y = [a0, b0, a2]; f = Σ w ⊙ y with w = [10, 20, 30]: da = [10, 0, 30], db = [20]
    sum(mul(where(c, a, b), tensor([10, 20, 30]))).backward();
    expect(Array.from(a.grad!.data)).toEqual([10, 0, 30]);
    expect(Array.from(b.grad!.data)).toEqual([20]);
    expect(c.grad).toBeNull();
  });

  it('backward matches central differences, with broadcast a and b', () => {
    const rng = seededRng('select-where-grad');
    const w = randn(rng, [3, 4]);
    const cond = tensor(Float64Array.from({ length: 12 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), [3, 4]);
    expectGradClose((p, q) => sum(mul(where(cond, p, q), w)), [randn(rng, [3, 4]), randn(rng, [3, 4])]);
    // b [4] is read by every row where the condition is false: its gradient sums over rows
    expectGradClose((p, q) => sum(mul(where(cond, p, q), w)), [randn(rng, [3, 1]), randn(rng, [4])]);
    expectGradClose((p) => sum(mul(where([[true], [false], [true]], p, 0.5), w)), [randn(rng, [4])]);
    // a on both branches: every entry routes back to it, so df/da = w
    expectGradClose((p) => sum(mul(where(cond, p, p), w)), [randn(rng, [3, 4])]);
  });

  it('routes the gradient as the condition was at the forward pass', () => {
    const cond = tensor([1, 0]);
    const a = tensor([1, 2], [2], { requiresGrad: true });
    const y = where(cond, a, 0);
    cond.data[0] = 0; // the caller reuses its buffer before backward
    sum(y).backward();
    expect(Array.from(a.grad!.data)).toEqual([1, 0]);
  });

  it('gives the unselected branch exactly zero gradient (finite where its op is finite)', () => {
    const x = tensor([2, 0.5], [2], { requiresGrad: true });
    // y = [log 2, 0]: dy/dx = [1/2, 0]
    sum(where([true, false], log(x), 0)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0.5, 0]);
  });
});
