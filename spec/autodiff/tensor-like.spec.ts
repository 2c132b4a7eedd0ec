import { inspect } from 'node:util';
import ndarray from 'ndarray';
import { add } from '../../autodiff/ops/binary.js';
import { Tensor, tensor, zeros } from '../../autodiff/tensor.js';
import { toTensor, type TensorLike } from '../../autodiff/tensor-like.js';
import { AutoregressiveNetwork } from '../../flows/made/autoregressive-network.js';
import { MaskedAutoregressiveFlow } from '../../flows/bijectors/masked-autoregressive-flow.js';
import { MultivariateNormalDiag } from '../../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../../flows/distributions/transformed-distribution.js';
import { Adam } from '../../autodiff/optimizers/adam.js';
import { AutoregressiveTransform } from '../../lib/layers/autoregressive-transform.js';
import { DistributionLambda } from '../../lib/layers/distribution-lambda.js';
import { InputLayer } from '../../lib/layers/input-layer.js';
import { Sequential } from '../../lib/models/sequential.js';

// One 3×2 matrix in every form a TensorLike can take.
const rows = [[0.5, -1], [2, 0.25], [-1.5, 1]];
const flat = Float64Array.of(0.5, -1, 2, 0.25, -1.5, 1);
function forms(values: number[][] = rows): Array<[string, TensorLike]> {
  const data = Float64Array.from(values.flat());
  const shape = [values.length, values[0].length];
  // A transposed ndarray view: strided, so the copy must follow the strides, not the buffer.
  const transposedBuffer = new Float64Array(data.length);
  for (let i = 0; i < shape[0]; i++) for (let j = 0; j < shape[1]; j++) transposedBuffer[j * shape[0] + i] = data[i * shape[1] + j];
  return [
    ['nested arrays', values],
    ['Tensor', tensor(values)],
    ['{ data: Float64Array, shape }', { data, shape }],
    ['{ data: Float32Array, shape }', { data: Float32Array.from(data), shape }],
    ['{ data: number[], shape }', { data: Array.from(data), shape }],
    ['ndarray', ndarray(data, shape)],
    ['strided ndarray view', ndarray(transposedBuffer, [shape[1], shape[0]]).transpose(1, 0)],
  ];
}

function flowModel() {
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) })),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [4], activation: 'tanh', seed: 3 })),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
  return model;
}

describe('TensorLike: one input type', () => {
  it('toTensor turns every form into the same [3, 2] values', () => {
    for (const [name, x] of forms()) {
      const t = toTensor(x, 'x', 'f');
      expect([name, t.shape]).toEqual([name, [3, 2]]);
      expect([name, Array.from(t.data)]).toEqual([name, Array.from(flat)]);
    }
    expect(toTensor(flat, 'x', 'f').shape).toEqual([6]); // a bare typed array is 1-D
    expect(toTensor(2, 'x', 'f').shape).toEqual([]);
  });

  it('a Tensor passes through as the same object, and a Float64Array with its shape is not copied', () => {
    const t = tensor(rows);
    expect(toTensor(t, 'x', 'f')).toBe(t);
    expect(toTensor({ data: flat, shape: [3, 2] }, 'x', 'f').data).toBe(flat);
  });

  it('rejects every other kind, naming the function, the argument and what arrived', () => {
    expect(() => toTensor('abc', 'x', 'Normal.logProb')).toThrow(TypeError);
    expect(() => toTensor('abc', 'x', 'Normal.logProb')).toThrow(
      /^Normal.logProb: 'x' must be a Tensor, a number, nested arrays of numbers, a typed array, \{ data, shape \} or an ndarray, got 'abc'$/);
    expect(() => toTensor(new Map(), 'x', 'f')).toThrow(/got an object \(Map\)/);
    expect(() => toTensor({ data: flat, shape: [4, 2] }, 'x', 'f')).toThrow(/^f: 'x' is not a valid \{ data, shape \}: 6 values do not fit shape \[4,2\]/);
    expect(() => toTensor([[1, 2], [3]], 'x', 'f')).toThrow(/^f: 'x' is not a valid array: 'values' is a ragged nested array/);
    expect(() => toTensor([[1, 'a']], 'x', 'f')).toThrow(TypeError);
  });

  it('logProb, prob, the bijector directions, ops, fit, evaluate, predict and call agree across forms', async () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], activation: 'tanh', seed: 1 });
    const maf = new MaskedAutoregressiveFlow(made);
    const flow = new TransformedDistribution({ distribution: new MultivariateNormalDiag({ loc: [0, 0] }), bijector: maf });
    const results = await Promise.all(forms().map(async ([, x]) => {
      const model = flowModel();
      const history = await model.fit(zeros([3, 0]), x, { epochs: 2, batchSize: 2, verbose: 0, seed: 0 });
      return [
        ...flow.logProb(x).data, ...flow.prob(x).data, ...maf.inverse(x).data, ...maf.forward(x).data,
        ...maf.inverseLogDetJacobian(x, { eventNdims: 1 }).data, ...add(x, 1).data, ...tensor(rows).mul(x).data,
        ...history.history.loss, model.evaluate(zeros([3, 0]), x), ...model.call(zeros([0])).logProb(x).data,
        ...model.predict([[]]).logProb(x).data,
      ];
    }));
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('the same validation applies whatever the form: NaN is named by row and column in each', async () => {
    const flow = new MultivariateNormalDiag({ loc: [0, 0] });
    const withNaN = [[0, 1], [2, NaN]];
    for (const [name, x] of forms(withNaN)) {
      expect(() => flow.logProb(x)).toThrow(/MultivariateNormalDiag.logProb: 'x' has NaN at row 1, column 1 \(shape \[2,2\]\)/);
      void name;
    }
    const model = flowModel();
    // One after another: a model refuses a second fit while one is running.
    for (const [, x] of forms(withNaN)) {
      await expect(model.fit(zeros([2, 0]), x, { verbose: 0 })).rejects.toThrow(/Sequential.fit: 'y' has NaN at row 1, column 1/);
    }
  });

  it('conditionalInput takes any form too: in bijector kwargs and in a network call', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, conditional: true, conditionalEventShape: 1, hiddenUnits: [4], seed: 2 });
    const maf = new MaskedAutoregressiveFlow(made);
    const c = [[0.5], [-1], [2]];
    const expected = maf.inverse(rows, { conditionalInput: tensor(c) }).data;
    for (const [, form] of forms(c)) {
      expect(maf.inverse(rows, { conditionalInput: form }).data).toEqual(expected);
      expect(made.call(rows, { conditionalInput: form }).data).toEqual(made.call(tensor(rows), { conditionalInput: tensor(c) }).data);
    }
    expect(() => maf.inverse(rows, { conditionalInput: 'c' as unknown as Tensor })).toThrow(/MaskedAutoregressiveFlow.inverse: 'conditionalInput' must be a Tensor, a number/);
  });
});

describe('Tensor printing', () => {
  it('console.log shows the shape and values, not the fields', () => {
    expect(inspect(tensor([[1, 2], [3, 4]]))).toBe('Tensor [2,2] [[1,2],[3,4]]');
    expect(inspect({ w: tensor([0.5]) })).toBe('{ w: Tensor [1] [0.5] }');
  });

  it('past 1000 values each axis shows its first and last 3 entries, as NumPy does', () => {
    const t = tensor(Float64Array.from({ length: 2000 }, (_, i) => i), [1000, 2]);
    expect(String(t)).toBe('Tensor [1000,2] [[0,1],[2,3],[4,5],…,[1994,1995],[1996,1997],[1998,1999]]');
  });
});
