import { Adam } from '../../../autodiff/optimizers/adam.js';
import { noGrad, tensor, zeros, type Tensor } from '../../../autodiff/tensor.js';
import type { Distribution } from '../../../flows/distributions/distribution.js';
import { maskedAutoregressiveFlowStack } from '../../../flows/maf.js';
import { FlowLayer } from '../../../lib/layers/flow-layer.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { Sequential } from '../../../lib/models/sequential.js';
import { randn, seededRng } from '../../helpers/grad-check.js';

function bits(t: Tensor): string {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');
}

// Correlated 2-D data: x2 = 0.8·x1 + 0.3·ε.
function data(n: number): Tensor {
  const z = randn(seededRng('flow-layer-data'), [n, 2]);
  for (let i = 0; i < n; i++) z.data[2 * i + 1] = 0.8 * z.data[2 * i] + 0.3 * z.data[2 * i + 1];
  return z;
}

describe('FlowLayer', () => {
  const make = (): Sequential<Distribution> => new Sequential([
    new InputLayer({ inputShape: [0] }),
    new FlowLayer(maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 2, hiddenUnits: [8], batchNorm: true, seed: 3 })),
  ]) as Sequential<Distribution>;

  it('hands every flow weight to the model: MADE kernels and biases, batch-norm parameters and running averages', () => {
    const model = make();
    // per MADE (E = 2, hidden [8], params 2): kernel 2·8 + bias 8 + kernel 8·4 + bias 4 = 60; two MADEs: 120;
    // per batch norm: logGamma 2 + beta 2 trainable, movingMean 2 + movingVariance 2 not; two of them: 8 + 8
    expect(model.countParams()).toBe(136);
    expect(model.layers[1].trainableWeights.reduce((s, w) => s + w.size, 0)).toBe(128);
    expect(model.layers[1].nonTrainableWeights.reduce((s, w) => s + w.size, 0)).toBe(8);
  });

  it('fit trains the flow (batch statistics in the steps), evaluate uses the running averages', async () => {
    const model = make();
    const y = data(400);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'negativeLogLikelihood' });
    const before = model.evaluate(zeros([400, 0]), y);
    const movingMean = model.layers[1].nonTrainableWeights[0].data.slice();
    const history = await model.fit(zeros([400, 0]), y, { batchSize: 50, epochs: 8, verbose: 0, seed: 0 });
    expect(history.history.loss[7]).toBeLessThan(history.history.loss[0]);
    const after = model.evaluate(zeros([400, 0]), y);
    // a correlated Gaussian with these parameters has entropy ≈ 1.61 nats; N(0, I) gives ≈ 2.45 before training
    expect(after).toBeLessThan(before - 0.4);
    // training moved the running averages; evaluating does not
    const moved = model.layers[1].nonTrainableWeights[0].data.slice();
    expect(Array.from(moved)).not.toEqual(Array.from(movingMean));
    model.evaluate(zeros([400, 0]), y);
    expect(Array.from(model.layers[1].nonTrainableWeights[0].data)).toEqual(Array.from(moved));
  });

  it('saves and loads through toJSON/fromJSON with bit-identical logProb and samples', async () => {
    const model = make();
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'negativeLogLikelihood' });
    await model.fit(zeros([200, 0]), data(200), { batchSize: 50, epochs: 2, verbose: 0, seed: 0 });
    const back = Sequential.fromJSON(JSON.stringify(model.toJSON())) as Sequential<Distribution>;
    const y = tensor([[0.3, -1.2], [2, 1.5]]);
    const p = (m: Sequential<Distribution>): Tensor => noGrad(() => m.call(zeros([0])).logProb(y));
    expect(bits(p(back))).toBe(bits(p(model)));
    const s = (m: Sequential<Distribution>): Tensor => noGrad(() => m.call(zeros([0])).sample(5, { seed: 9 }));
    expect(bits(s(back))).toBe(bits(s(model)));
  });

  it('rejects a flow of the wrong kind and unknown options, by name', () => {
    expect(() => new FlowLayer(zeros([2]) as never)).toThrow(/FlowLayer: 'flow' must be a TransformedDistribution/);
    const flow = maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 1, hiddenUnits: [4], seed: 0 });
    expect(() => new FlowLayer(flow, { conditonal: true } as never)).toThrow(/conditonal/);
    expect(() => new FlowLayer(flow, { conditional: 'yes' } as never)).toThrow(/'conditional' must be a boolean/);
  });
});
