import '../../../autodiff/methods.js'; // rvY.logProb(y).neg(), as the reference example writes it
import { add, mul } from '../../../autodiff/ops/binary.js';
import { neg } from '../../../autodiff/ops/unary.js';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { noGrad, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Permute } from '../../../flows/bijectors/permute.js';
import type { Distribution } from '../../../flows/distributions/distribution.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../../../flows/distributions/transformed-distribution.js';
import { readCsv } from '../../../lib/node/files.js';
import { AutoregressiveTransform } from '../../../lib/layers/autoregressive-transform.js';
import { LayerTransformedDistribution } from '../../../lib/layers/layer-transformed-distribution.js';
import { Dense } from '../../../lib/layers/dense.js';
import { DistributionLambda } from '../../../lib/layers/distribution-lambda.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { PermuteTransform } from '../../../lib/layers/permute-transform.js';
import { Sequential } from '../../../lib/models/sequential.js';
import { randn, seededRng } from '../../helpers/grad-check.js';

const bitsOf = (t: Tensor): number[] => Array.from(new Uint32Array(t.data.slice().buffer));

describe('the reference example (TFP AutoregressiveTransform docstring)', () => {
  it('runs as printed and gives the documented shapes', async () => {
    const n = 100;
    const data = randn(seededRng('reference-example'), [n, 2]);
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu', seed: 1 });
    const model = new Sequential([
      new InputLayer({ inputShape: [0] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({
        loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] })),
      new AutoregressiveTransform(made),
    ]);
    model.compile({ optimizer: new Adam(), loss: (y, rvY) => rvY.logProb(y).neg() });
    await model.fit(zeros([n, 0]), data, { batchSize: 25, epochs: 2, stepsPerEpoch: n / 25, verbose: 0 });
    const distribution = model.call(zeros([0]));
    expect(distribution).toBeInstanceOf(TransformedDistribution);
    expect(distribution.sample(4).shape).toEqual([4, 2]);
    expect(distribution.logProb(zeros([5, 3, 2])).shape).toEqual([5, 3]);
    // TFP's doc-test shapes for a MAF over a 2-D standard normal
    expect(distribution.sample([3, 1]).shape).toEqual([3, 1, 2]);
    expect(distribution.logProb(zeros([3, 2])).shape).toEqual([3]);
    expect(model.countParams()).toBe(made.countParams());
  });

  it('fit lowers the negative log-likelihood on the banana data', async () => {
    const data = (await readCsv('data/banana_train.csv')).values; // [2000, 2]
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu', seed: 42 });
    const model = new Sequential([
      new InputLayer({ inputShape: [0] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] })),
      new AutoregressiveTransform(made),
    ]);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'negativeLogLikelihood' });
    const n = data.shape[0];
    const before = model.evaluate(zeros([n, 0]), data, { batchSize: 500 });
    const h = await model.fit(zeros([n, 0]), data, { batchSize: 25, epochs: 2, stepsPerEpoch: n / 25, verbose: 0, seed: 0 });
    const after = model.evaluate(zeros([n, 0]), data, { batchSize: 500 });
    // Under the unit normal base alone: E[x2²] = 4 and E[x1²] = 1 + E[x2⁴]/16 = 1 + 3·16/16 = 4, so the NLL is
    // log 2π + (4 + 4)/2 ≈ 5.84 nats, against 3.50 for the true density; two epochs must bring it well down
    expect(after).toBeLessThan(before - 0.5);
    expect(after).toBeLessThan(4.5);
    expect(h.history.loss[1]).toBeLessThan(h.history.loss[0]);
  });
});

describe('AutoregressiveTransform', () => {
  it("throws TFP's error when made.params is not 2", () => {
    const made = new AutoregressiveNetwork({ params: 3, eventShape: 2 });
    expect(() => new AutoregressiveTransform(made)).toThrow('Argument made must output 2 parameters per input, found 3.');
    expect(() => new AutoregressiveTransform({} as AutoregressiveNetwork)).toThrow(/'made' must be an AutoregressiveNetwork/);
  });

  it('builds made from the incoming event shape and returns a TransformedDistribution with a MAF, drawing nothing', () => {
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [4], seed: 3 });
    const layer = new AutoregressiveTransform(made);
    expect(made.built).toBe(false);
    const base = new MultivariateNormalDiag({ loc: zeros([5, 3]) });
    const calls = jest.spyOn(made, 'call');
    const flat = jest.spyOn(made, 'flatOutput');
    const sample = jest.spyOn(base, 'sample');
    const d = layer.call(base);
    expect(made.built).toBe(true);
    expect(made.eventSize).toBe(3);
    expect(d).toBeInstanceOf(TransformedDistribution);
    expect(d.bijector).toBeInstanceOf(MaskedAutoregressiveFlow);
    expect(d.distribution).toBe(base);
    expect(d.batchShape).toEqual([5]);
    expect(d.eventShape).toEqual([3]);
    // no network pass and no sample for the call itself (TFP's layer draws one)
    expect(calls).not.toHaveBeenCalled();
    expect(flat).not.toHaveBeenCalled();
    expect(sample).not.toHaveBeenCalled();
    expect(layer.trainableWeights).toEqual(made.trainableWeights);
  });

  it('its logProb is the change of variables through the MAF', () => {
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [6], activation: 'tanh', seed: 4 });
    const base = new MultivariateNormalDiag({ loc: [0, 0, 0] });
    const d = new AutoregressiveTransform(made).call(base);
    const y = randn(seededRng('at-logprob'), [4, 3]);
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const { x, logDet } = maf.inverseAndLogDet(y, { eventNdims: 1 });
    expect(bitsOf(d.logProb(y))).toEqual(bitsOf(add(base.logProb(x), logDet)));
  });

  it('rejects a tensor input, a scalar event and a changed event size', () => {
    const layer = new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, eventShape: 2 }));
    expect(() => layer.call(zeros([3, 2]))).toThrow(/needs a Distribution input \(e\.g\. from a DistributionLambda\), got a Tensor of shape \[3,2\]/);
    expect(() => layer.call(new MultivariateNormalDiag({ loc: [0, 0, 0] }))).toThrow(/has a network for events \[2\], but the incoming MultivariateNormalDiag has event shape \[3\]/);
  });

  it('conditional made: conditions on the model input, so fit(x, y) learns p(y | x)', async () => {
    // y = 2·x + 0.2·ε with x ~ U(−1, 1), ε ~ N(0, 1) in the first coordinate; the second is pure noise
    const rng = seededRng('conditional-fit');
    const n = 400;
    const xs = new Float64Array(n);
    const ys = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      xs[i] = 2 * rng.uniform() - 1;
      ys[2 * i] = 2 * xs[i] + 0.2 * rng.normal();
      ys[2 * i + 1] = rng.normal();
    }
    const x = tensor(xs, [n, 1]);
    const y = tensor(ys, [n, 2]);
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [16], activation: 'tanh', conditional: true, conditionalEventShape: 1, seed: 5 });
    const model = new Sequential([
      new InputLayer({ inputShape: [1] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) })),
      new AutoregressiveTransform(made),
    ]);
    model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: 'negativeLogLikelihood' });
    const before = model.evaluate(x, y);
    await model.fit(x, y, { epochs: 30, batchSize: 50, verbose: 0, seed: 1 });
    const after = model.evaluate(x, y);
    expect(after).toBeLessThan(before - 0.8);
    // the density now depends on the condition: y = (1.6, 0) is likely given x = 0.8 and unlikely given x = −0.8
    const at = (c: number): number => noGrad(() => model.call(tensor([[c]])).logProb(tensor([[1.6, 0]]))).data[0];
    expect(at(0.8) - at(-0.8)).toBeGreaterThan(5);
    // the returned distribution carries its condition: samples given x = 0.8 centre near 1.6
    const d = model.call(tensor([[0.8]]));
    expect(d).toBeInstanceOf(LayerTransformedDistribution);
    const s = noGrad(() => d.sample(200, { seed: 3 })); // [200, 1, 2]
    expect(s.shape).toEqual([200, 1, 2]);
    let m0 = 0;
    for (let i = 0; i < 200; i++) m0 += s.data[2 * i] / 200;
    expect(Math.abs(m0 - 1.6)).toBeLessThan(0.2);
    // explicit bijectorKwargs override the bound condition
    const other = noGrad(() => d.logProb(tensor([[1.6, 0]]), { bijectorKwargs: { conditionalInput: tensor([[-0.8]]) } })).data[0];
    expect(other).toBe(at(-0.8));
  });

  it('conditional made without a fitting model input says what it needs', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, conditional: true, conditionalEventShape: 3, seed: 1 });
    const layer = new AutoregressiveTransform(made);
    const base = new MultivariateNormalDiag({ loc: [0, 0] });
    expect(() => layer.call(base)).toThrow(/has a conditional network \(conditionalEventShape \[3\]\) and conditions on the model's input, which must be \[rows, 3\] \(fit\(x = conditions, y = targets\)\); got none/);
    expect(() => layer.call(base, { conditionalInput: zeros([4, 0]) })).toThrow(/got shape \[4,0\]/);
  });

  it('stacks: two conditional transforms with a PermuteTransform between, each bound to the condition', async () => {
    const rng = seededRng('stacked');
    const n = 200;
    const x = randn(rng, [n, 2]);
    const ys = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      ys[3 * i] = x.data[2 * i] + 0.3 * rng.normal();
      ys[3 * i + 1] = ys[3 * i] * ys[3 * i] + 0.3 * rng.normal();
      ys[3 * i + 2] = x.data[2 * i + 1] - ys[3 * i + 1] + 0.3 * rng.normal();
    }
    const y = tensor(ys, [n, 3]);
    const made = (seed: number): AutoregressiveNetwork => new AutoregressiveNetwork({
      params: 2, eventShape: 3, hiddenUnits: [12], activation: 'tanh', conditional: true, conditionalEventShape: 2, seed });
    const model = new Sequential([
      new InputLayer({ inputShape: [2] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 3]) })),
      new AutoregressiveTransform(made(1)),
      new PermuteTransform({ permutation: [2, 0, 1] }),
      new AutoregressiveTransform(made(2)),
    ]);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'negativeLogLikelihood' });
    // per network, 2 masked layers (hidden, output), each with kernel, bias and conditional kernel: 6; two networks
    expect(model.trainableWeights).toHaveLength(12);
    const before = model.evaluate(x, y);
    await model.fit(x, y, { epochs: 10, batchSize: 25, verbose: 0, seed: 2 });
    expect(model.evaluate(x, y)).toBeLessThan(before - 0.5);
    // the outer distribution's logProb equals the hand-composed chain: inner MAF, permutation, outer MAF
    const d = model.call(tensor(x.data.slice(0, 8), [4, 2]));
    const yb = tensor(ys.slice(0, 12), [4, 3]);
    const [l1, , l2] = [model.layers[2], model.layers[3], model.layers[4]] as [AutoregressiveTransform, PermuteTransform, AutoregressiveTransform];
    const c = tensor(x.data.slice(0, 8), [4, 2]);
    const outer = l2.bijector.inverseAndLogDet(yb, { eventNdims: 1, conditionalInput: c });
    const perm = new Permute({ permutation: [2, 0, 1] });
    const mid = perm.inverse(outer.x);
    const inner = l1.bijector.inverseAndLogDet(mid, { eventNdims: 1, conditionalInput: c });
    const expected = add(add(new MultivariateNormalDiag({ loc: zeros([4, 3]) }).logProb(inner.x), inner.logDet), outer.logDet);
    expect(bitsOf(noGrad(() => d.logProb(yb)))).toEqual(bitsOf(noGrad(() => expected)));
    // bijectorKwargs re-condition every layer of the stack, not only the outermost
    const c2 = tensor(x.data.slice(8, 16), [4, 2]);
    const again = noGrad(() => d.logProb(yb, { bijectorKwargs: { conditionalInput: c2 } }));
    expect(bitsOf(again)).toEqual(bitsOf(noGrad(() => model.call(c2).logProb(yb))));
    expect(bitsOf(noGrad(() => d.sample(3, { seed: 4, bijectorKwargs: { conditionalInput: c2 } })))).toEqual(bitsOf(noGrad(() => model.call(c2).sample(3, { seed: 4 }))));
    // sampleAndLogProb: the same draws as sample, and their log-density without inverting the stack
    const both = noGrad(() => d.sampleAndLogProb(2, { seed: 5 }));
    expect(bitsOf(both.sample)).toEqual(bitsOf(noGrad(() => d.sample(2, { seed: 5 }))));
    const direct = noGrad(() => d.logProb(both.sample)).data;
    both.logProb.data.forEach((v, i) => expect(Math.abs(v - direct[i])).toBeLessThan(1e-9));
  });
});

describe('DistributionLambda in a Sequential', () => {
  it('turns its distribution into a tensor only when the next layer needs one, with convertToTensorFn', () => {
    const sampled = new Sequential([
      new InputLayer({ inputShape: [2] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: t, scaleDiag: [1e-9, 1e-9] })),
      new Dense({ units: 1, kernelInitializer: 'ones' }),
    ]);
    // a sample of N(t, 1e-9²) is t to 8 digits; the Dense layer sums it: 1 + 2 = 3
    expect(sampled.call(tensor([[1, 2]])).data[0]).toBeCloseTo(3, 7);
    const byMean = new Sequential([
      new InputLayer({ inputShape: [2] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: t, scaleDiag: [5, 5] }), { convertToTensorFn: 'mean' }),
      new Dense({ units: 1, kernelInitializer: 'ones' }),
    ]);
    expect(byMean.call(tensor([[1, 2]])).data[0]).toBe(3);
    const byFn = new Sequential([
      new InputLayer({ inputShape: [2] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: t }), { convertToTensorFn: (d) => mul((d as MultivariateNormalDiag).mean(), 10) }),
      new Dense({ units: 1, kernelInitializer: 'ones' }),
    ]);
    expect(byFn.call(tensor([[1, 2]])).data[0]).toBe(30);
  });

  it('the model output of the last DistributionLambda is the distribution itself', () => {
    const fn = jest.fn((t: Tensor) => new MultivariateNormalDiag({ loc: t }));
    const m = new Sequential([new InputLayer({ inputShape: [2] }), new DistributionLambda(fn)]);
    const d: Distribution = m.call(tensor([[1, 2]]));
    expect(d).toBeInstanceOf(MultivariateNormalDiag);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(() => new DistributionLambda((() => zeros([2])) as unknown as (t: Tensor) => Distribution).call(zeros([1])))
      .toThrow(/makeDistributionFn returned a Tensor of shape \[2\], expected a Distribution/);
    expect(neg(d.logProb(tensor([[1, 2]]))).shape).toEqual([1]);
  });
});
