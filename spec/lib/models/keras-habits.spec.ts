// Keras and TF.js habits that work: model.predict, one callbacks object, and a hint for fit(data, options).
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { tensor, zeros, type Tensor } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { AutoregressiveTransform } from '../../../lib/layers/autoregressive-transform.js';
import { Dense } from '../../../lib/layers/dense.js';
import { DistributionLambda } from '../../../lib/layers/distribution-lambda.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { Sequential } from '../../../lib/models/sequential.js';

function denseModel(): Sequential<Tensor> {
  const m = new Sequential([new InputLayer({ inputShape: [3] }), new Dense({ units: 2, seed: 1 })]);
  m.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
  return m;
}

function flowModel() {
  const m = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) })),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [4], seed: 2 })),
  ]);
  m.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
  return m;
}

const x = tensor(Array.from({ length: 70 }, (_, i) => [i / 70, Math.sin(i), 1 - i / 35]));

describe('Sequential.predict', () => {
  it('a tensor model: the output for every row, batch by batch, equal to call', () => {
    const m = denseModel();
    const out = m.predict(x, { batchSize: 32 }); // 70 rows: batches of 32, 32, 6
    expect(out.shape).toEqual([70, 2]);
    expect(Array.from(out.data)).toEqual(Array.from(m.call(x).data));
    expect(out.requiresGrad).toBe(false);
    expect(m.predict(x.toArray()).data).toEqual(out.data); // any TensorLike
  });

  it('a flow: the distribution, whose sample and logProb do the work', () => {
    const m = flowModel();
    const flow = m.predict(zeros([1, 0]));
    expect(flow.batchShape).toEqual([1]);
    expect(flow.sample(5, { seed: 1 }).shape).toEqual([5, 1, 2]);
    expect(flow.logProb([[0.5, 1]]).data).toEqual(m.call(zeros([0])).logProb([[0.5, 1]]).data);
  });

  it('checks x against the input shape and its options by name', () => {
    expect(() => denseModel().predict(zeros([4, 2]))).toThrow(/Sequential.predict: 'x' has shape \[4,2\], expected \[rows, 3\]/);
    expect(() => denseModel().predict(x, { batchsize: 4 } as never)).toThrow(/unknown option 'batchsize' \(did you mean 'batchSize'\?\)/);
    expect(() => denseModel().predict(x, { batchSize: 0 })).toThrow(RangeError);
  });
});

describe('fit habits', () => {
  it('one callbacks object, as TF.js takes it ({ onEpochEnd }), is called like an array of one', async () => {
    const epochs: number[] = [];
    await denseModel().fit(x, zeros([70, 2]), { epochs: 3, verbose: 0, callbacks: { onEpochEnd: (e) => { epochs.push(e); } } });
    expect(epochs).toEqual([0, 1, 2]);
    await expect(denseModel().fit(x, zeros([70, 2]), { verbose: 0, callbacks: { onEpochEnds: () => undefined } as never }))
      .rejects.toThrow(/'callbacks\[0\]' has an unknown hook 'onEpochEnds'/);
  });

  it('fit(data, options) without x says what x should be', async () => {
    const m = flowModel();
    const data = tensor([[0, 1], [2, 3]]);
    const hint = /^Sequential.fit: takes \(x, y, options\), got \(data, options\)\. A flow learns the density of y given x: for an unconditional flow pass x = zeros\(\[rows, 0\]\), as in model.fit\(zeros\(\[data.shape\[0\], 0\]\), data, \{ epochs \}\)/;
    await expect(m.fit(data, { epochs: 2 } as never)).rejects.toThrow(hint);
    await expect(m.fit(data, { epochs: 2 } as never)).rejects.toThrow(TypeError);
    await expect((m.fit as (x: unknown) => Promise<unknown>)(data)).rejects.toThrow(/got only x/);
  });
});
