import { tensor, zeros } from '../../../autodiff/tensor.js';
import { Shift } from '../../../flows/bijectors/shift.js';
import { bijectorFromConfig } from '../../../flows/bijectors/serialization.js';
import { runBijectorHarness } from './harness.js';

runBijectorHarness({ label: 'Shift (constant)', make: () => new Shift([0.5, -1, 2]), eventSize: 3 });
runBijectorHarness({
  label: 'Shift (trainable)',
  make: () => new Shift({ shift: tensor([0.5, -1, 2], undefined, { requiresGrad: true }) }),
  eventSize: 3,
  trainable: true,
});

describe('Shift', () => {
  it('adds the shift forward and subtracts it inverse, log-det 0', () => {
    const b = new Shift(2);
    expect(b.forward(tensor([1, 2])).toArray()).toEqual([3, 4]);
    expect(b.inverse(tensor([1, 2])).toArray()).toEqual([-1, 0]);
    // elementwise (min event ndims 0): one zero per element, or per row with eventNdims 1
    expect(b.forwardLogDetJacobian(zeros([2, 3])).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(b.forwardLogDetJacobian(zeros([2, 3]), { eventNdims: 1 }).toArray()).toEqual([0, 0]);
    expect(b.isConstantJacobian).toBe(true);
    expect(b.forwardMinEventNdims).toBe(0);
    expect(b.name).toBe('shift');
  });

  it('broadcasts the shift against the batch: [2,1] shift, [3] input → [2,3]', () => {
    const y = new Shift(tensor([[1], [2]])).forward(tensor([0, 10, 20]));
    expect(y.toArray()).toEqual([[1, 11, 21], [2, 12, 22]]);
    expect(new Shift(tensor([[1], [2]])).forwardLogDetJacobian(tensor([0, 10, 20]), { eventNdims: 1 }).shape).toEqual([2]);
  });

  it('rejects bad shifts, naming the class and argument', () => {
    expect(() => new Shift('a' as unknown as number)).toThrow(TypeError);
    expect(() => new Shift('a' as unknown as number)).toThrow(/Shift: 'shift' must be a Tensor, a number, nested arrays of numbers, a typed array, \{ data, shape \} or an ndarray, got 'a'/);
    expect(() => new Shift([1, NaN])).toThrow(RangeError);
    expect(() => new Shift([1, NaN])).toThrow(/Shift: 'shift' must be finite, got NaN at flat index 1/);
    expect(() => new Shift(1).forward('x' as unknown as never)).toThrow(/Shift.forward: 'x' must be a Tensor, a number, nested arrays of numbers, a typed array, \{ data, shape \} or an ndarray, got 'x'/);
    expect(new Shift(1).forward([1, 2]).toArray()).toEqual([2, 3]); // any TensorLike
  });

  it('getConfig round-trips through JSON', () => {
    const b = new Shift({ shift: [1, 2], name: 's1' });
    const copy = bijectorFromConfig(JSON.parse(JSON.stringify(b.getConfig()))) as Shift;
    expect(copy).toBeInstanceOf(Shift);
    expect(copy.name).toBe('s1');
    expect(copy.shift.toArray()).toEqual([1, 2]);
  });
});
