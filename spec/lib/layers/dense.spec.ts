import { sum } from '../../../autodiff/ops/reduce.js';
import { Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { Dense, type DenseArgs } from '../../../lib/layers/dense.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { layerFromConfig, registerLayer } from '../../../lib/layers/registry.js';
import { expectGradClose, randn, seededRng } from '../../helpers/grad-check.js';

const bitsOf = (t: Tensor): number[] => Array.from(new Uint32Array(t.data.slice().buffer));

describe('Dense', () => {
  it('computes act(x·W + b) over any batch axes', () => {
    const d = new Dense({ units: 2, activation: 'relu' });
    d.build([2]);
    d.setWeights([tensor([[1, -1], [2, 0.5]]), tensor([0.5, -3])]);
    // [1, 1]·W = [3, −0.5], + b = [3.5, −3.5], relu → [3.5, 0]
    expect(d.call(tensor([[1, 1]])).toArray()).toEqual([[3.5, 0]]);
    // [2, −1]·W = [0, −2.5], + b = [0.5, −5.5] → [0.5, 0]
    expect(d.call(tensor([[[1, 1], [2, -1]]])).toArray()).toEqual([[[3.5, 0], [0.5, 0]]]);
    expect(d.call(tensor([2, -1])).toArray()).toEqual([0.5, 0]);
    expect(d.countParams()).toBe(6);
  });

  it('draws Glorot-uniform kernels and zero biases from its seed, the same for the same seed', () => {
    const a = new Dense({ units: 4, seed: 'dense-seed' });
    const b = new Dense({ units: 4, seed: 'dense-seed' });
    a.build([3]);
    b.build([3]);
    const [k, bias] = a.getWeights();
    expect(bitsOf(k)).toEqual(bitsOf(b.getWeights()[0]));
    // limit √(6 / (fanIn + fanOut)) = √(6/7)
    expect(Array.from(k.data).every((v) => Math.abs(v) <= Math.sqrt(6 / 7))).toBe(true);
    expect(Array.from(bias.data)).toEqual([0, 0, 0, 0]);
    const c = new Dense({ units: 4, seed: 'other' });
    c.build([3]);
    expect(bitsOf(c.getWeights()[0])).not.toEqual(bitsOf(k));
  });

  it('backward: the input gradient matches central differences, the weight gradients the closed form', () => {
    const rng = seededRng('dense-grad');
    const d = new Dense({ units: 3, activation: 'tanh', seed: 1 });
    const x = randn(rng, [4, 2]);
    expectGradClose((t) => sum(d.call(t)), [x]);
    // f = Σ_bj tanh(z_bj), z = x·W + b: ∂f/∂W_ij = Σ_b x_bi (1 − y_bj²), ∂f/∂b_j = Σ_b (1 − y_bj²)
    const [W, b] = d.trainableWeights;
    W.zeroGrad(); // the check above ran backward through the weights too
    b.zeroGrad();
    const y = d.call(x);
    sum(y).backward();
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        let g = 0;
        for (let r = 0; r < 4; r++) g += x.data[2 * r + i] * (1 - y.data[3 * r + j] ** 2);
        expect(W.grad!.data[3 * i + j]).toBeCloseTo(g, 13);
      }
    }
    for (let j = 0; j < 3; j++) {
      let g = 0;
      for (let r = 0; r < 4; r++) g += 1 - y.data[3 * r + j] ** 2;
      expect(b.grad!.data[j]).toBeCloseTo(g, 13);
    }
  });

  it('useBias: false has only a kernel', () => {
    const d = new Dense({ units: 2, useBias: false });
    d.build([3]);
    expect(d.weights.map((w) => w.shape)).toEqual([[3, 2]]);
  });

  it('round-trips its config through the registry with the same initial weights', () => {
    const d = new Dense({ units: 3, activation: 'tanh', seed: 7, name: 'h1' });
    const again = layerFromConfig({ className: 'Dense', config: d.getConfig() }) as Dense;
    expect(again.getConfig()).toEqual(d.getConfig());
    d.build([2]);
    again.build([2]);
    expect(again.getWeights().map(bitsOf)).toEqual(d.getWeights().map(bitsOf));
  });

  it('rejects bad options and inputs by name', () => {
    expect(() => new Dense({ units: 0 })).toThrow(RangeError);
    expect(() => new Dense({ units: 1.5 })).toThrow(/'units' must be a positive integer, got 1.5/);
    expect(() => new Dense({ units: '3' } as never)).toThrow(TypeError);
    expect(() => new Dense({ unit: 3 } as never)).toThrow(/Dense: unknown option 'unit'/);
    expect(() => new Dense({ units: 1, activation: 'gelu' as never })).toThrow(/unknown 'activation' 'gelu'/);
    expect(() => new Dense({ units: 1, kernelInitializer: 'orthogonal' as never })).toThrow(/bad 'kernelInitializer'.*unknown initializer 'orthogonal'/);
    const d = new Dense({ units: 1 });
    d.build([2]);
    expect(() => d.call(zeros([4, 3]))).toThrow(/'x' has shape \[4,3\], but layer '.*' expects \[\.\.\., 2\]/);
    expect(() => new Dense({ units: 1, activation: (t) => t }).getConfig()).toThrow(/has a function as 'activation', which cannot be saved/);
  });
});

describe('InputLayer', () => {
  it('passes its input through and names both shapes on a mismatch', () => {
    const l = new InputLayer({ inputShape: [3] });
    const x = zeros([2, 3]);
    expect(l.call(x)).toBe(x);
    expect(() => l.call(zeros([2, 4]))).toThrow(/InputLayer\.call: 'x' has shape \[2,4\], but the model's inputShape is \[3\]/);
    expect(() => new InputLayer({} as never)).toThrow(/'inputShape' is required/);
    expect(() => new InputLayer({ inputShape: [-1] })).toThrow(RangeError);
    expect(layerFromConfig({ className: 'InputLayer', config: l.getConfig() }).getConfig()).toEqual(l.getConfig());
  });
});

describe('layer registry', () => {
  it('rebuilds registered classes and names the unknown ones', () => {
    expect(() => layerFromConfig({ className: 'Conv2D', config: { name: 'c' } })).toThrow(/unknown layer class 'Conv2D'; known classes are InputLayer, Dense, DistributionLambda, AutoregressiveTransform, PermuteTransform/);
    registerLayer('Dense2', (c) => new Dense({ ...(c as unknown as DenseArgs), units: 2 }));
    expect((layerFromConfig({ className: 'Dense2', config: { name: 'd2' } }) as Dense).units).toBe(2);
    expect(() => layerFromConfig({ className: 'Dense', config: { name: 'x', units: -1 } })).toThrow(/cannot rebuild a Dense from its config: Dense: 'units' must be a positive integer, got -1/);
  });
});
