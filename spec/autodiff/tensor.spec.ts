import ndarray from 'ndarray';
import { add, mul } from '../../autodiff/ops/binary.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { exp } from '../../autodiff/ops/unary.js';
import { full, isGradEnabled, noGrad, ones, scalar, Tensor, tensor, zeros } from '../../autodiff/tensor.js';
import { ValueError } from '../../lib/util/errors.js';

describe('tensor()', () => {
  it('infers the shape of nested arrays', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.size).toBe(6);
    expect(x.rank).toBe(2);
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]); // row-major
    expect(tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(tensor([1, 2, 3]).shape).toEqual([3]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor([[1, 2], [3, 4]], [4]).toArray()).toEqual([1, 2, 3, 4]); // nested values, explicit shape
  });

  it('wraps a Float64Array with a shape without copying it', () => {
    const d = new Float64Array([1, 2, 3, 4, 5, 6]);
    const x = tensor(d, [2, 3]);
    expect(x.data).toBe(d);
    expect(x.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor(d).shape).toEqual([6]);
    expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]); // flat plain array
  });

  it('copies an ndarray in logical order, strided and transposed views included', () => {
    const src = new Float64Array([1, 2, 3, 4, 5, 6]);
    const nd = ndarray(src, [2, 3]);
    const x = tensor(nd);
    expect(x.shape).toEqual([2, 3]);
    expect(x.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(x.data).not.toBe(src);
    // transpose swaps the strides (3, 1) → (1, 3): logical order is column by column of the source
    expect(tensor(nd.transpose(1, 0)).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    // a negative step and an offset: columns reversed, then the first row dropped
    expect(tensor(nd.step(1, -1)).toArray()).toEqual([[3, 2, 1], [6, 5, 4]]);
    expect(tensor(nd.lo(1, 0).step(1, 2)).toArray()).toEqual([[4, 6]]);
    expect(tensor(ndarray([7, 8, 9, 10], [2, 2]), [4]).toArray()).toEqual([7, 8, 9, 10]);
    src[0] = 100; // the copy does not follow its source
    expect(x.data[0]).toBe(1);
  });

  it('makes scalars from numbers', () => {
    const s = tensor(3);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(3);
    expect(s.toArray()).toBe(3);
    expect(tensor(3, [1, 1]).toArray()).toEqual([[3]]);
    expect(scalar(2.5).item()).toBe(2.5);
    expect(scalar(2.5).requiresGrad).toBe(false);
  });

  it('rejects ragged arrays, naming the depth', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ValueError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/tensor: 'values' is a ragged nested array: expected length 2 at depth 1 \(shape \[2,2\]\), got length 1/);
    expect(() => tensor([[1, 2], 3] as unknown as number[][])).toThrow(/tensor: 'values' is a ragged nested array: expected length 2 at depth 1 \(shape \[2,2\]\), got a number/);
    expect(() => tensor([1, [2]] as unknown as number[])).toThrow(/tensor: 'values' is a ragged nested array: expected a number at depth 1 \(shape \[2\]\), got an array/);
    expect(() => tensor([['a']] as unknown as number[][])).toThrow(TypeError);
  });

  it('rejects sizes that do not match the shape', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/tensor: 3 values do not fit shape \[2,2\] \(4 values\)/);
    expect(() => tensor([[1, 2], [3, 4]], [3])).toThrow(/tensor: values of shape \[2,2\] do not fit shape \[3\]/);
    expect(() => tensor(1, [2])).toThrow(/tensor: a single number cannot fill shape \[2\]; use full\(shape, value\)/);
    expect(() => tensor(ndarray(new Float64Array(6), [2, 3]), [4])).toThrow(/tensor: ndarray of shape \[2,3\] does not fit shape \[4\]/);
    expect(() => new Tensor(new Float64Array(3), [2, 2])).toThrow(/Tensor: data has 3 values but shape \[2,2\] holds 4/);
  });

  it('rejects non-integer and negative shape entries', () => {
    expect(() => tensor([1, 2], [1.5])).toThrow(RangeError);
    expect(() => tensor([1, 2], [1.5])).toThrow(/tensor: shape entries must be non-negative integers, got \[1.5\]/);
    expect(() => tensor([1, 2], [-2])).toThrow(/tensor: shape entries must be non-negative integers, got \[-2\]/);
    expect(() => zeros([2, -1])).toThrow(/full: shape entries must be non-negative integers, got \[2,-1\]/);
    expect(() => tensor([1], 'x' as unknown as number[])).toThrow(TypeError);
  });
});

describe('zeros, ones, full', () => {
  it('fill a shape with one value', () => {
    expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(full([2, 1], -1.5).toArray()).toEqual([[-1.5], [-1.5]]);
    expect(full([], 7).item()).toBe(7);
    expect(zeros([0, 4]).size).toBe(0);
    expect(ones([2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(zeros([2]).requiresGrad).toBe(false);
  });
});

describe('Tensor accessors', () => {
  it('toArray nests by shape; toNdarray views the same data', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(x.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    const nd = x.toNdarray();
    expect(nd.shape).toEqual([3, 2]);
    expect(nd.get(2, 1)).toBe(6);
    expect(nd.data).toBe(x.data);
    expect(x.toString()).toBe('Tensor [3,2] [[1,2],[3,4],[5,6]]');
  });

  it('item returns the one value and rejects more', () => {
    expect(tensor([[4]]).item()).toBe(4);
    expect(() => tensor([1, 2]).item()).toThrow(/Tensor.item: tensor has shape \[2\], expected exactly one element/);
  });

  it('clone copies the data; detach shares it; both leave the graph', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = mul(x, 3);
    const c = y.clone();
    const d = y.detach();
    expect(c.data).not.toBe(y.data);
    expect(d.data).toBe(y.data);
    for (const t of [c, d]) {
      expect(t.requiresGrad).toBe(false);
      expect(t.parents).toEqual([]);
      expect(t.backwardFn).toBeNull();
      expect(Array.from(t.data)).toEqual([3, 6]);
    }
    c.data[0] = 0;
    expect(y.data[0]).toBe(3);
    // a detached tensor stops the gradient: f = Σ x · stop(3x) has df/dx = 3x, not 6x
    sum(mul(x, d)).backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 6]);
  });
});

describe('noGrad', () => {
  it('records no graph', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = noGrad(() => sum(mul(x, x)));
    expect(y.requiresGrad).toBe(false);
    expect(y.parents).toEqual([]);
    expect(y.backwardFn).toBeNull();
    expect(y.item()).toBe(5);
    expect(() => y.backward()).toThrow(/Tensor.backward: this tensor \(op 'sum'\) does not depend on any tensor with requiresGrad/);
  });

  it('nests, returns fn’s value, and restores recording even when fn throws', () => {
    expect(isGradEnabled()).toBe(true);
    expect(noGrad(() => noGrad(() => isGradEnabled()) || isGradEnabled())).toBe(false);
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    const x = tensor([1], [1], { requiresGrad: true });
    expect(mul(x, 2).requiresGrad).toBe(true);
  });
});

describe('Tensor.backward', () => {
  it('needs a gradient for a non-scalar', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    expect(() => mul(x, 2).backward()).toThrow(ValueError);
    expect(() => mul(x, 2).backward()).toThrow(/Tensor.backward: called on shape \[2\] without a gradient; only scalars have an implicit gradient of 1/);
    expect(() => mul(x, 2).backward(tensor([1, 2, 3]))).toThrow(/Tensor.backward: 'gradient' has shape \[3\], expected \[2\]/);
    expect(() => mul(x, 2).backward(tensor([[1, 2]]))).toThrow(/'gradient' has shape \[1,2\], expected \[2\]/);
  });

  it('uses a seed gradient: dx = seed · ∂y/∂x', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    // y = x²: dy/dx = 2x = [2, 4]; seed [1, 10] gives [2, 40]
    mul(x, x).backward(tensor([1, 10]));
    expect(Array.from(x.grad!.data)).toEqual([2, 40]);
    expect(x.grad!.shape).toEqual([2]);
  });

  it('accumulates the gradient of a tensor used twice, and across calls', () => {
    const x = tensor([0, 1], [2], { requiresGrad: true });
    // f = Σ eˣ · x: df/dx = eˣ (1 + x) = [1, 2e]
    sum(mul(exp(x), x)).backward();
    expect(x.grad!.data[0]).toBe(1);
    expect(x.grad!.data[1]).toBeCloseTo(2 * Math.E, 15);
    // a second backward without zeroGrad adds: g = Σ x → +1 each
    sum(x).backward();
    expect(x.grad!.data[0]).toBe(2);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('frees intermediate gradients but keeps the leaves’ ones', () => {
    const w = tensor([1, 2], [2], { requiresGrad: true });
    const c = tensor([5, 5]); // a leaf without requiresGrad gets no gradient
    const h = mul(w, 3);
    const y = add(h, c);
    const loss = sum(y);
    loss.backward();
    expect(Array.from(w.grad!.data)).toEqual([3, 3]);
    expect(h.grad).toBeNull();
    expect(y.grad).toBeNull();
    expect(loss.grad).toBeNull();
    expect(c.grad).toBeNull();
  });

  it('reuses freed intermediate gradient buffers, zeroed, and never a leaf’s', () => {
    // f(x) = Σ (3x)²: df/dx = 18x. Every round frees the [4]-sized gradients of 3x and (3x)² and
    // takes them again; a buffer handed back unzeroed would add the last round's gradient in.
    const kept: Float64Array[] = [];
    for (const xs of [[1, 2, 3, 4], [-1, 0.5, 0, 2], [7, 7, 7, 7]]) {
      const x = tensor(xs, [4], { requiresGrad: true });
      const h = mul(x, 3);
      sum(mul(h, h)).backward();
      expect(Array.from(x.grad!.data)).toEqual(xs.map((v) => 18 * v));
      kept.push(x.grad!.data);
    }
    // the leaves' gradients are three different buffers, still holding their own values
    expect(new Set(kept).size).toBe(3);
    expect(Array.from(kept[0])).toEqual([18, 36, 54, 72]);
  });

  it('shares a frozen shape and copies any other', () => {
    const frozen = Object.freeze([2, 3]);
    expect(new Tensor(new Float64Array(6), frozen).shape).toBe(frozen);
    const open = [2, 3];
    const t = new Tensor(new Float64Array(6), open);
    open[0] = 3;
    expect(t.shape).toEqual([2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    // a frozen shape is still checked, with the constructor's message
    expect(() => new Tensor(new Float64Array(2), Object.freeze([2, -1]))).toThrow(/Tensor: shape entries must be non-negative integers, got \[2,-1\]/);
    expect(() => new Tensor(new Float64Array(2), 'x' as unknown as number[])).toThrow(/Tensor: shape must be an array of integers, got x/);
  });

  it('handles a deep chain without overflowing the stack', () => {
    const x = tensor([1], [1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = add(y, 1);
    sum(y).backward();
    expect(x.grad!.data[0]).toBe(1);
  });
});
