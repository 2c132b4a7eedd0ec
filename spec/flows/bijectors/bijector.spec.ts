import { mul } from '../../../autodiff/ops/binary.js';
import { full, tensor, zeros, type Tensor } from '../../../autodiff/tensor.js';
import { Bijector, sumRightmost, type BijectorKwargs } from '../../../flows/bijectors/bijector.js';
import { Chain } from '../../../flows/bijectors/chain.js';
import { checkEntries } from '../../../autodiff/checks.js';
import { isPlainObject } from '../../../lib/util/validate.js';
import { toTensor } from '../../../autodiff/tensor-like.js';

/** Records the kwargs it receives; forward doubles, so the log-det is E·log 2 per vector event. */
class Recorder extends Bijector {
  seen: BijectorKwargs[] = [];
  constructor(name: string) {
    super({ className: 'Recorder', name, forwardMinEventNdims: 1 });
  }
  protected _forward(x: Tensor, kwargs: BijectorKwargs): Tensor {
    this.seen.push(kwargs);
    return mul(x, 2);
  }
  protected _inverse(y: Tensor, kwargs: BijectorKwargs): Tensor {
    this.seen.push(kwargs);
    return mul(y, 0.5);
  }
  protected override _forwardLogDet(x: Tensor): Tensor {
    return full(x.shape.slice(0, -1), x.shape[x.rank - 1] * Math.log(2));
  }
}

describe('Bijector base class', () => {
  it('sums the minimal-event log-det over extra event axes: [2,3,4] with eventNdims 3 → []', () => {
    const r = new Recorder('r');
    expect(r.forwardLogDetJacobian(zeros([2, 3, 4])).shape).toEqual([2, 3]);
    expect(r.forwardLogDetJacobian(zeros([2, 3, 4]), { eventNdims: 2 }).shape).toEqual([2]);
    expect(r.forwardLogDetJacobian(zeros([2, 3, 4]), { eventNdims: 3 }).shape).toEqual([]);
    // the inverse log-det defaults to −(forward log-det at inverse(y)): −2 rows · 3 · log 2
    expect(r.inverseLogDetJacobian(zeros([2, 3]), { eventNdims: 2 }).item()).toBeCloseTo(-6 * Math.log(2), 14);
    expect(r.forwardLogDetJacobian(zeros([2, 3])).toArray()).toEqual([3 * Math.log(2), 3 * Math.log(2)]);
  });

  it('flattens its own named kwargs over the shared ones, and never passes eventNdims on', () => {
    const r = new Recorder('r');
    const c = zeros([1]);
    r.forwardAndLogDet(zeros([3]), { eventNdims: 1, training: true, r: { training: false, conditionalInput: c } });
    expect(r.seen[0]).toEqual({ training: false, conditionalInput: c });
  });

  it('a Chain routes named entries to the member of that name only', () => {
    const a = new Recorder('a');
    const b = new Recorder('b');
    new Chain([a, b]).forward(zeros([2]), { training: true, a: { temperature: 2 } });
    expect(a.seen[0]).toEqual({ training: true, temperature: 2 });
    expect(b.seen[0]).toEqual({ training: true });
  });

  it('rejects kwargs that are not an object, and inputs that are not Tensors', () => {
    const r = new Recorder('r');
    expect(() => r.forward(zeros([2]), 5 as unknown as BijectorKwargs)).toThrow(/Recorder.forward: 'kwargs' must be a plain object, got 5/);
    expect(() => r.inverse(null as unknown as Tensor)).toThrow(TypeError);
    expect(() => r.inverse(null as unknown as Tensor)).toThrow(/Recorder.inverse: 'y' must be a Tensor, a number, nested arrays of numbers, a typed array, \{ data, shape \} or an ndarray, got null/);
    expect(() => r.forwardLogDetJacobian(zeros([2]), { eventNdims: -1 })).toThrow(/'eventNdims' is -1, expected an integer in \[1, 1\]/);
  });

  it('helpers: isPlainObject, sumRightmost, toParameter, checkEntries', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(zeros([1]))).toBe(false);
    expect(isPlainObject([1])).toBe(false);
    expect(sumRightmost(tensor([[1, 2], [3, 4]]), 1).toArray()).toEqual([3, 7]);
    expect(sumRightmost(tensor([[1, 2], [3, 4]]), 2).toArray()).toEqual(10);
    const t = tensor([1]);
    expect(toTensor(t, 'p', 'f')).toBe(t);
    expect(toTensor([[1, 2]], 'p', 'f').shape).toEqual([1, 2]);
    expect(() => toTensor([[1, 2], [3]], 'p', 'f')).toThrow(/f: 'p' is not a valid array: 'values' is a ragged nested array/);
    expect(() => toTensor({}, 'p', 'f')).toThrow(TypeError);
    expect(() => checkEntries(tensor([1, -1]), 'p', 'f', (v) => v > 0, 'positive')).toThrow(/f: 'p' must be positive, got -1 at flat index 1 \(shape \[2\]\)/);
  });
});
