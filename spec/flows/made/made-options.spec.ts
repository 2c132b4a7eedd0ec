import { unstack } from '../../../autodiff/ops/shape.js';
import { noGrad, Tensor, tensor } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork, type AutoregressiveNetworkOptions } from '../../../flows/made/autoregressive-network.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../../../flows/distributions/transformed-distribution.js';
import { splineFamily } from '../../../flows/transforms/spline.js';
import { randn, seededRng } from '../../helpers/grad-check.js';
import { jacobianAD } from '../bijectors/harness.js';
import { randomMade } from '../bijectors/made-helpers.js';

/** Which outputs must not see which inputs: output d's parameters see input j iff m(j) < m(d). */
function expectAutoregressive(made: AutoregressiveNetwork, label: string): void {
  const E = made.eventSize;
  const P = made.params;
  const m = made.inputOrder;
  const rng = seededRng(`ar-${label}`);
  const x = randn(rng, [1, E]);
  const base = noGrad(() => made.call(x)).data;
  for (let j = 0; j < E; j++) {
    const moved = x.data.slice();
    moved[j] += 0.731;
    const out = noGrad(() => made.call(new Tensor(moved, [1, E]))).data;
    for (let d = 0; d < E; d++) {
      for (let p = 0; p < P; p++) {
        // Perturbation (TFP's check): an output that must not see x_j stays bit-equal.
        if (m[j] >= m[d]) expect({ label, j, d, p, same: out[d * P + p] === base[d * P + p] }).toEqual({ label, j, d, p, same: true });
      }
    }
  }
  // Through gradients (pytorch-made's check): ∂ θ_dp / ∂ x_j is exactly 0 where it must be.
  for (let p = 0; p < P; p++) {
    const J = jacobianAD((t) => unstack(made.call(t), -1)[p], x)[0];
    for (let d = 0; d < E; d++) for (let j = 0; j < E; j++) if (m[j] >= m[d]) expect(J[d][j]).toBe(0);
  }
}

describe('AutoregressiveNetwork: residual blocks (nflows use_residual_blocks)', () => {
  const configs: Array<AutoregressiveNetworkOptions & { eventShape: number }> = [
    { params: 2, eventShape: 3, hiddenUnits: [8], activation: 'relu', residualBlocks: true },
    { params: 2, eventShape: 5, hiddenUnits: [9, 9], activation: 'tanh', residualBlocks: true, inputOrder: 'random', hiddenDegrees: 'random' },
    { params: 3, eventShape: 4, hiddenUnits: [6, 6, 6], activation: 'elu', residualBlocks: true, inputOrder: 'right-to-left' },
    { params: 23, eventShape: 2, hiddenUnits: [5], activation: 'relu', residualBlocks: true, conditional: true, conditionalEventShape: 2 },
  ];
  it.each(configs.map((c, i) => [i, c] as const))('config %i stays autoregressive (perturbation and Jacobian)', (i, options) => {
    const made = randomMade(options, `residual-${i}`);
    if (options.conditional === true) {
      const c = tensor([[0.3, -0.8]]);
      const wrapped = { call: (t: Tensor) => made.call(t, { conditionalInput: c }), eventSize: made.eventSize, params: made.params, inputOrder: made.inputOrder };
      expectAutoregressive(wrapped as unknown as AutoregressiveNetwork, `residual-${i}`);
    } else {
      expectAutoregressive(made, `residual-${i}`);
    }
  });

  it('has the layer program of nflows: input layer, two masked layers per block, output layer', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [4, 4], activation: 'relu', residualBlocks: true });
    expect(made.layerCount).toBe(6);
    const s = made.structure();
    expect(s.layers.map((l) => [l.source, l.activateSource, l.residual])).toEqual([
      [-1, false, -1], // x → stream
      [0, true, -1], [1, true, 0], // block 1: W₂·act(W₁·act(h)) + h
      [2, true, -1], [3, true, 2], // block 2
      [4, false, -1], // the output layer reads the stream
    ]);
    // Every hidden layer keeps the stream's degrees: 'equal' degrees of 4 units for E = 3 are [1, 1, 2, 2].
    for (const l of s.layers.slice(0, -1)) expect(l.degrees).toEqual([1, 1, 2, 2]);
    // Weights: 3·4 + 4 + 2·(4·4 + 4)·2 + 4·6 + 6 = 126.
    expect(made.countParams()).toBe(126);
    expect(made.hiddenDegrees).toEqual([[1, 1, 2, 2], [1, 1, 2, 2]]);
  });

  it('computes h ← h + W₂·act(W₁·act(h)) (hand example, linear activation)', () => {
    // E = 2, one block of 1 unit (degree 1): stream h = x₁·a + b0, block adds W₂·(W₁·h + b1) + b2.
    const made = new AutoregressiveNetwork({ params: 1, eventShape: 2, hiddenUnits: [1], residualBlocks: true });
    made.setWeights([
      tensor([[2], [0]]), tensor([0.5]), // x → h: h = 2·x₁ + 0.5 (x₂ is masked)
      tensor([[3]]), tensor([1]), // W₁, b₁
      tensor([[-1]]), tensor([0.25]), // W₂, b₂
      tensor([[0, 4]]), tensor([0.1, 0.2]), // output: only dimension 2 sees the unit
    ]);
    const x = tensor([[1.5, -7]]);
    const h = 2 * 1.5 + 0.5;
    const stream = h + (-1 * (3 * h + 1) + 0.25);
    expect(Array.from(made.call(x).data)).toEqual([0.1, 4 * stream + 0.2]);
  });

  it('rejects hidden widths that differ, naming them', () => {
    expect(() => new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [4, 5], residualBlocks: true }))
      .toThrow(/'residualBlocks' needs 'hiddenUnits' of one repeated width .* got \[4,5\]/);
    expect(() => new AutoregressiveNetwork({ params: 2, eventShape: 3, residualBlocks: true })).toThrow(/got \[\]/);
  });
});

describe('AutoregressiveNetwork: zeroInitOutput and per-layer initializers', () => {
  it('zeroInitOutput starts the output layer within 1e-3 of zero, and the flow within 1e-2 nats of its base', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [16, 16], activation: 'relu', zeroInitOutput: true, seed: 4 });
    const [, , , , outKernel, outBias] = made.getWeights();
    for (const v of [...outKernel.data, ...outBias.data]) expect(Math.abs(v)).toBeLessThanOrEqual(1e-3);
    expect(outKernel.data.some((v) => v !== 0)).toBe(true); // near zero, not zero: the weights still differ
    const base = new MultivariateNormalDiag({ loc: [0, 0, 0] });
    const flow = new TransformedDistribution({ distribution: base, bijector: new MaskedAutoregressiveFlow(made) });
    const x = randn(seededRng('zero-init'), [10, 3]);
    const gap = Math.max(...Array.from(noGrad(() => flow.logProb(x)).data, (v, i) => Math.abs(v - noGrad(() => base.logProb(x)).data[i])));
    expect(gap).toBeLessThan(1e-2);
  });

  it('the same holds for a spline flow: θ ≈ 0 is (nearly) the identity', () => {
    const spline = splineFamily({ bins: 6, bound: 4 });
    const made = new AutoregressiveNetwork({ params: spline.params, eventShape: 2, hiddenUnits: [8], activation: 'relu', zeroInitOutput: true });
    const maf = new MaskedAutoregressiveFlow({ network: made, transform: spline });
    const x = randn(seededRng('zero-init-spline'), [6, 2], 2);
    const u = noGrad(() => maf.inverse(x));
    for (let i = 0; i < x.size; i++) expect(Math.abs(u.data[i] - x.data[i])).toBeLessThan(2e-2);
  });

  it('takes one initializer per masked layer, input side first', () => {
    const made = new AutoregressiveNetwork({
      params: 1, eventShape: 3, hiddenUnits: [4], kernelInitializer: ['ones', 'zeros'], biasInitializer: ['zeros', 'ones'],
    });
    const [k0, b0, k1, b1] = made.getWeights();
    // The first kernel is ones where the mask lets through (masked entries stay 0).
    expect(Array.from(k0.data)).toEqual(Array.from(made.masks[0].data));
    expect(Array.from(b0.data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(k1.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(b1.data)).toEqual([1, 1, 1]);
    expect(made.getConfig().kernelInitializer).toEqual(['ones', 'zeros']);
  });

  it('rejects a per-layer list of the wrong length or with holes, naming the argument', () => {
    expect(() => new AutoregressiveNetwork({ params: 1, eventShape: 3, hiddenUnits: [4], kernelInitializer: ['ones'] }))
      .toThrow(/'kernelInitializer' has 1 entries, expected one per masked layer: 2/);
    // eslint-disable-next-line no-sparse-arrays
    expect(() => new AutoregressiveNetwork({ params: 1, eventShape: 3, hiddenUnits: [4, 4], biasInitializer: ['zeros', , 'zeros'] as never }))
      .toThrow(/'biasInitializer' has a hole at index 1/);
    expect(() => new AutoregressiveNetwork({ params: 1, eventShape: 3, hiddenUnits: [4], kernelInitializer: ['ones', 'glorotUnifrm' as never] }))
      .toThrow(/bad 'kernelInitializer\[1\]'/);
  });
});

describe('AutoregressiveNetwork: dropout', () => {
  const options = { params: 2, eventShape: 4, hiddenUnits: [32, 32], activation: 'relu' as const, seed: 9 };
  it('is applied only in training, and the rest of the time the network is the one without dropout', () => {
    const withDrop = new AutoregressiveNetwork({ ...options, dropout: 0.5 });
    const without = new AutoregressiveNetwork(options);
    const x = randn(seededRng('dropout'), [5, 4]);
    expect(Array.from(withDrop.call(x).data)).toEqual(Array.from(without.call(x).data));
    const trained = withDrop.call(x, { training: true }).data;
    expect(Array.from(trained)).not.toEqual(Array.from(without.call(x).data));
    // Inverted dropout keeps the network autoregressive: the first dimension's outputs are still biases only.
    expect([trained[0], trained[1]]).toEqual([without.call(x).data[0], without.call(x).data[1]]);
  });
  it('draws its masks from the seed: two networks with one seed drop alike', () => {
    const a = new AutoregressiveNetwork({ ...options, dropout: 0.3 });
    const b = new AutoregressiveNetwork({ ...options, dropout: 0.3 });
    const x = randn(seededRng('dropout-seed'), [3, 4]);
    expect(Array.from(a.call(x, { training: true }).data)).toEqual(Array.from(b.call(x, { training: true }).data));
  });
  it('rejects a rate outside [0, 1)', () => {
    expect(() => new AutoregressiveNetwork({ ...options, dropout: 1 })).toThrow(/AutoregressiveNetwork: 'dropout' must be a finite number ≥ 0 and < 1, got 1/);
    expect(() => new AutoregressiveNetwork({ ...options, dropout: -0.1 })).toThrow(RangeError);
  });
  it('reaches the network from a MAF layer through kwargs.training', () => {
    const made = new AutoregressiveNetwork({ ...options, dropout: 0.5 });
    const maf = new MaskedAutoregressiveFlow(made);
    const x = randn(seededRng('dropout-maf'), [3, 4]);
    const evalU = maf.inverse(x).data;
    const trainU = maf.inverse(x, { training: true }).data;
    expect(Array.from(trainU)).not.toEqual(Array.from(evalU));
  });
});
