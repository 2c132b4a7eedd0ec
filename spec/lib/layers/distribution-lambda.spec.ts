import { Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { Normal } from '../../../flows/distributions/normal.js';
import { DistributionLambda, getDistributionFn, registerDistributionFn } from '../../../lib/layers/distribution-lambda.js';
import { layerFromConfig } from '../../../lib/layers/registry.js';
import { PermuteTransform } from '../../../lib/layers/permute-transform.js';
import { randn, seededRng } from '../../helpers/grad-check.js';

const unitNormal3 = (t: Tensor): MultivariateNormalDiag => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 3]) });

describe('DistributionLambda', () => {
  it('returns the function’s distribution for its input tensor, without sampling', () => {
    const layer = new DistributionLambda(unitNormal3);
    const d = layer.call(zeros([4, 0]));
    expect(d).toBeInstanceOf(MultivariateNormalDiag);
    expect(d.batchShape).toEqual([4]);
    expect(d.eventShape).toEqual([3]);
    expect(layer.countParams()).toBe(0);
    expect(() => layer.call(d as never)).toThrow(/needs a Tensor input, got a MultivariateNormalDiag \(a Distribution\)/);
  });

  it('saves by registered name, and is rebuilt from it', () => {
    registerDistributionFn('unitNormal3', unitNormal3);
    expect(getDistributionFn('unitNormal3')).toBe(unitNormal3);
    const layer = new DistributionLambda(unitNormal3, { name: 'base', convertToTensorFn: 'mean' });
    expect(layer.getConfig()).toEqual({ name: 'base', trainable: true, makeDistributionFn: 'unitNormal3', convertToTensorFn: 'mean' });
    const again = layerFromConfig({ className: 'DistributionLambda', config: layer.getConfig() }) as DistributionLambda;
    expect(again.makeDistributionFn).toBe(unitNormal3);
    expect(again.convertToTensorFn).toBe('mean');
    expect(new DistributionLambda('unitNormal3').makeDistributionFn).toBe(unitNormal3);
  });

  it('refuses to save an unregistered function and explains how to register it', () => {
    const layer = new DistributionLambda((t) => unitNormal3(t), { name: 'anon' });
    expect(() => layer.getConfig()).toThrow(TypeError);
    expect(() => layer.getConfig()).toThrow(/layer 'anon' holds a function that is not registered, and JSON cannot hold code; call registerDistributionFn\('someName', fn\)/);
    const custom = new DistributionLambda(unitNormal3, { convertToTensorFn: (d) => d.sample() });
    expect(() => custom.getConfig()).toThrow(/has a function as 'convertToTensorFn', which cannot be saved/);
  });

  it('registering a name again replaces its function only with { override: true }', () => {
    const f1 = (t: Tensor): MultivariateNormalDiag => unitNormal3(t);
    const f2 = (t: Tensor): MultivariateNormalDiag => unitNormal3(t);
    registerDistributionFn('swap', f1);
    registerDistributionFn('swap', f1); // the same function again: nothing to replace
    expect(() => registerDistributionFn('swap', f2)).toThrow(/^registerDistributionFn: 'name' 'swap' is already registered to another function; pass \{ override: true \}/);
    expect(new DistributionLambda('swap').makeDistributionFn).toBe(f1);
    registerDistributionFn('swap', f2, { override: true });
    expect(new DistributionLambda('swap').makeDistributionFn).toBe(f2);
    expect(() => new DistributionLambda(f1).getConfig()).toThrow(/not registered/);
  });

  it('rejects bad arguments by name', () => {
    expect(() => new DistributionLambda('nowhere')).toThrow(/no function is registered as 'nowhere'; call registerDistributionFn\('nowhere', fn\) first/);
    expect(() => new DistributionLambda(42 as never)).toThrow(/'makeDistributionFn' must be a function/);
    expect(() => new DistributionLambda(unitNormal3, { convertToTensorFn: 'mode' as never })).toThrow(/'convertToTensorFn' must be 'sample', 'mean' or a function/);
    expect(() => new DistributionLambda(unitNormal3, { convertToTensor: 'mean' } as never)).toThrow(/unknown option 'convertToTensor'/);
    expect(() => registerDistributionFn('', unitNormal3)).toThrow(TypeError);
    expect(() => registerDistributionFn('x', 'fn' as never)).toThrow(/'fn' must be a function/);
  });
});

describe('PermuteTransform', () => {
  it("reverses the event by default: logProb(y) is the base's at the reversed point (log-det 0)", () => {
    const base = new MultivariateNormalDiag({ loc: [1, 2, 3], scaleDiag: [1, 2, 3] });
    const d = new PermuteTransform().call(base);
    const y = randn(seededRng('permute-transform'), [4, 3]);
    const reversed = tensor(Array.from({ length: 4 }, (_, r) => [y.data[3 * r + 2], y.data[3 * r + 1], y.data[3 * r]]));
    expect(Array.from(d.logProb(y).data)).toEqual(Array.from(base.logProb(reversed).data));
    expect(d.eventShape).toEqual([3]);
  });

  it('uses an explicit permutation, and checks it against the event', () => {
    const base = new MultivariateNormalDiag({ loc: [0, 0, 0] });
    const layer = new PermuteTransform({ permutation: [2, 0, 1] });
    expect(layer.call(base).sample(5, { seed: 1 }).shape).toEqual([5, 3]);
    expect(() => layer.call(new MultivariateNormalDiag({ loc: [0, 0] }))).toThrow(/permutes 3 dimensions, but the incoming MultivariateNormalDiag has event shape \[2\]/);
    expect(() => new PermuteTransform({ permutation: [0, 0] })).toThrow(/is not a permutation of 0\.\.1/);
    expect(() => new PermuteTransform({ permutation: 'shuffle' as never })).toThrow(/'permutation' must be an array of 0-based indices or 'reverse'/);
    expect(() => layer.call(new Normal({ loc: 0, scale: 1 }))).toThrow(/needs a distribution over vectors \[E\], got Normal with event shape \[\]/);
    expect(() => layer.call(zeros([3]))).toThrow(/needs a Distribution input, got a Tensor of shape \[3\]/);
    const again = layerFromConfig({ className: 'PermuteTransform', config: layer.getConfig() }) as PermuteTransform;
    expect(again.permutation).toEqual([2, 0, 1]);
  });
});
