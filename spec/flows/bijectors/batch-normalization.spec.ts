import { add, mul } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { tensor, zeros } from '../../../autodiff/tensor.js';
import { BatchNormalization } from '../../../flows/bijectors/batch-normalization.js';
import { bijectorFromConfig } from '../../../flows/bijectors/serialization.js';
import { expectGradClose, maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';
import { randomBatchNorm } from './bn-helpers.js';
import { runBijectorHarness } from './harness.js';

runBijectorHarness({ label: 'BatchNormalization (inference)', make: () => randomBatchNorm('bn-harness', 3), eventSize: 3, trainable: true });

describe('BatchNormalization', () => {
  // y = [[1, 10], [3, 14]]: batch mean m = [2, 12], biased variance v = [1, 4]
  const y = tensor([[1, 10], [3, 14]]);

  it('training: inverse normalises with batch statistics: x = (y − m)/√(v + ε)·e^logGamma + beta', () => {
    const bn = new BatchNormalization({ epsilon: 1e-3 });
    const { x, logDet } = bn.inverseAndLogDet(y, { eventNdims: 1 });
    // logGamma = beta = 0: x = ±1/√(1.001) in column 0, ±2/√(4.001) in column 1
    expect(x.toArray()).toEqual([[-1 / Math.sqrt(1.001), -2 / Math.sqrt(4.001)], [1 / Math.sqrt(1.001), 2 / Math.sqrt(4.001)]]);
    // log-det −½ (log 1.001 + log 4.001) for both rows (the statistics are shared)
    const expected = -0.5 * (Math.log(1.001) + Math.log(4.001));
    expect(logDet.toArray()).toEqual([expected, expected]);
  });

  it('training: inverse updates the running averages in place with momentum; the log-det alone does not', () => {
    const bn = new BatchNormalization({ momentum: 0.9 });
    expect(bn.built).toBe(false); // built by the first call
    bn.inverseLogDetJacobian(y, { eventNdims: 1 });
    expect(Array.from(bn.movingMean.data)).toEqual([0, 0]);
    expect(Array.from(bn.movingVariance.data)).toEqual([1, 1]);
    const held = bn.movingMean;
    bn.inverse(y);
    // m̄ = 0.9·0 + 0.1·[2, 12] = [0.2, 1.2]; v̄ = 0.9·1 + 0.1·[1, 4] = [1, 1.3]
    expect(held).toBe(bn.movingMean);
    expect(bn.movingMean.data[0]).toBeCloseTo(0.2, 15);
    expect(bn.movingMean.data[1]).toBeCloseTo(1.2, 15);
    expect(bn.movingVariance.data[0]).toBeCloseTo(1, 15);
    expect(bn.movingVariance.data[1]).toBeCloseTo(1.3, 15);
    expect(bn.nonTrainableWeights).toEqual([bn.movingMean, bn.movingVariance]);
    expect(bn.trainableWeights).toEqual([bn.logGamma, bn.beta]);
  });

  it('inference (training: false, or kwargs.training false) uses the running averages and leaves them alone', () => {
    const bn = randomBatchNorm('bn-infer', 2, true);
    const before = Array.from(bn.movingMean.data);
    const a = bn.inverse(y, { training: false });
    expect(Array.from(bn.movingMean.data)).toEqual(before);
    const { logGamma, beta, movingMean, movingVariance } = bn;
    for (let b = 0; b < 2; b++) {
      for (let d = 0; d < 2; d++) {
        const want = ((y.data[b * 2 + d] - movingMean.data[d]) / Math.sqrt(movingVariance.data[d] + 1e-3)) * Math.exp(logGamma.data[d]) + beta.data[d];
        expect(a.data[b * 2 + d]).toBeCloseTo(want, 14);
      }
    }
    bn.training = false;
    expect(bn.inverse(y).data).toEqual(a.data);
  });

  it('forward de-normalises with the running averages even while training (TFP), so it inverts inference', () => {
    const bn = randomBatchNorm('bn-forward', 2, true);
    const x = randn(seededRng('bn-forward-x'), [5, 2]);
    const yy = bn.forward(x);
    expect(maxAbsDiff(bn.inverse(yy, { training: false }).data, x.data)).toBeLessThan(1e-14);
    expect(maxAbsDiff(bn.forwardLogDetJacobian(x, { eventNdims: 1 }).data, bn.inverseLogDetJacobian(yy, { eventNdims: 1, training: false }).data.map((v) => -v))).toBeLessThan(1e-14);
  });

  it('training: gradients flow through the batch statistics (central differences)', () => {
    const bn = randomBatchNorm('bn-grad', 3, true);
    const r = randn(seededRng('bn-grad-r'), [4, 3]);
    const yy = randn(seededRng('bn-grad-y'), [4, 3]);
    expectGradClose((t) => {
      const { x, logDet } = bn.inverseAndLogDet(t, { eventNdims: 1 });
      return add(sum(mul(x, r)), sum(logDet));
    }, [yy]);
  });

  it('builds from the first input and then rejects another event size', () => {
    const bn = new BatchNormalization();
    expect(bn.built).toBe(false);
    expect(bn.eventSize).toBeUndefined();
    expect(bn.trainableWeights).toEqual([]);
    bn.inverse(zeros([3, 4]));
    expect(bn.eventSize).toBe(4);
    expect(() => bn.inverse(zeros([3, 5]))).toThrow(/BatchNormalization.inverse: 'y' has shape \[3,5\], expected \[..., 4\]/);
    expect(() => bn.forward(zeros([]))).toThrow(/expected rank ≥ 1/);
  });

  it('rejects bad options, naming them', () => {
    expect(() => new BatchNormalization({ momentum: 1.5 })).toThrow(RangeError);
    expect(() => new BatchNormalization({ momentum: 1.5 })).toThrow(/BatchNormalization: 'momentum' must be a number in \[0, 1\], got 1.5/);
    expect(() => new BatchNormalization({ epsilon: 0 })).toThrow(/'epsilon' must be a positive finite number, got 0/);
    expect(() => new BatchNormalization({ eventSize: 0 })).toThrow(/'eventSize' must be a positive integer, got 0/);
    expect(() => new BatchNormalization({ training: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => new BatchNormalization().inverse(zeros([2]), { training: 1 as unknown as boolean })).toThrow(/kwargs 'training' must be a boolean/);
  });

  it('getConfig round-trips through JSON', () => {
    const bn = new BatchNormalization({ eventSize: 3, momentum: 0.5, epsilon: 1e-5, training: false, name: 'bn1' });
    const copy = bijectorFromConfig(JSON.parse(JSON.stringify(bn.getConfig())));
    expect(copy.getConfig()).toEqual({ className: 'BatchNormalization', name: 'bn1', eventSize: 3, momentum: 0.5, epsilon: 1e-5, training: false });
  });
});
