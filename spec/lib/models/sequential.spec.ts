import { Adam } from '../../../autodiff/optimizers/adam.js';
import { Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { AutoregressiveTransform } from '../../../lib/layers/autoregressive-transform.js';
import { Dense } from '../../../lib/layers/dense.js';
import { DistributionLambda } from '../../../lib/layers/distribution-lambda.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { Sequential } from '../../../lib/models/sequential.js';

function mlp(): Sequential<Tensor> {
  return new Sequential([
    new InputLayer({ inputShape: [2], name: 'in' }),
    new Dense({ units: 3, activation: 'relu', name: 'hidden', seed: 1 }),
    new Dense({ units: 1, name: 'out', seed: 2 }),
  ], { name: 'regressor' });
}

describe('Sequential', () => {
  it('summary(): a Keras-like table of layers, output shapes and parameter counts', () => {
    const lines: string[] = [];
    const text = mlp().summary({ printFn: (l) => lines.push(l) });
    // hidden: 2·3 + 3 = 9 weights; out: 3·1 + 1 = 4; the InputLayer is not listed (as Keras)
    const row = (a: string, b: string, c: string): string => (` ${a}`.padEnd(29) + b.padEnd(26) + c).trimEnd();
    expect(lines).toEqual([
      'Model: "regressor"',
      '_'.repeat(65),
      row('Layer (type)', 'Output Shape', 'Param #'),
      '='.repeat(65),
      row('hidden (Dense)', '(None, 3)', '9'),
      '',
      row('out (Dense)', '(None, 1)', '4'),
      '='.repeat(65),
      'Total params: 13',
      'Trainable params: 13',
      'Non-trainable params: 0',
      '_'.repeat(65),
    ]);
    expect(text).toBe(lines.join('\n'));
  });

  it('summary() of the reference flow shows each distribution and the sample shape; frozen layers count as non-trainable', () => {
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu', seed: 42 });
    const at = new AutoregressiveTransform(made, { name: 'maf' });
    const m = new Sequential([
      new InputLayer({ inputShape: [0] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] }), { name: 'base' }),
      at,
    ]);
    at.trainable = false;
    const text = m.summary({ printFn: null });
    // MADE E = 2, hidden [10]: 2·10 + 10 + 10·4 + 4 = 74
    expect(text).toContain(' base (DistributionLambda)');
    expect(text).toMatch(/ maf \(AutoregressiveTransform\) +TransformedDistribution \(None, 2\) +74\n/);
    expect(text).toContain('MultivariateNormalDiag (None, 2)');
    expect(text).toContain('Total params: 74\nTrainable params: 0\nNon-trainable params: 74');
    expect(m.trainableWeights).toEqual([]);
    expect(m.nonTrainableWeights).toHaveLength(4);
  });

  it('call() accepts any number of batch axes, none included', () => {
    const m = mlp();
    expect(m.call(zeros([5, 2])).shape).toEqual([5, 1]);
    expect(m.call(zeros([4, 3, 2])).shape).toEqual([4, 3, 1]);
    expect(m.call(zeros([2])).shape).toEqual([1]);
    expect(m.call([[1, 2]]).shape).toEqual([1, 1]);
    expect(() => m.call(zeros([5, 3]))).toThrow(/InputLayer\.call: 'x' has shape \[5,3\], but the model's inputShape is \[2\]/);
    expect(() => m.call(zeros([5, 2]), { trainig: true } as never)).toThrow(/unknown option 'trainig'/);
  });

  it('getWeights / setWeights copy, check counts and shapes first, and keep the same tensors', () => {
    const m = mlp();
    m.build();
    const live = m.trainableWeights;
    const ws = m.getWeights();
    expect(ws.map((w) => w.shape)).toEqual([[2, 3], [3], [3, 1], [1]]);
    expect(ws[0]).not.toBe(live[0]);
    const twos = ws.map((w) => new Tensor(new Float64Array(w.size).fill(2), w.shape));
    m.setWeights(twos);
    expect(m.trainableWeights[0]).toBe(live[0]); // updated in place, so an optimizer keeps tracking them
    expect(Array.from(live[0].data)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(() => m.setWeights(twos.slice(1))).toThrow(/the model has 4 weights, got 3/);
    const bad = [...twos.slice(0, 3), zeros([2])];
    expect(() => m.setWeights(bad)).toThrow(/weights\[3\] has shape \[2\], expected \[1\]/);
    expect(Array.from(live[0].data)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(m.countParams()).toBe(13);
  });

  it('checks its layers: kinds, unique names, InputLayer first', () => {
    expect(() => new Sequential([{} as Dense])).toThrow(/'layer' must be a Layer/);
    expect(() => new Sequential([new Dense({ units: 1, name: 'a' }), new Dense({ units: 1, name: 'a' })])).toThrow(/already has a layer named 'a'/);
    expect(() => new Sequential([new Dense({ units: 1 }), new InputLayer({ inputShape: [1] })])).toThrow(/an InputLayer can only be the first layer/);
    const m = new Sequential();
    m.add(new InputLayer({ inputShape: [1] }));
    m.add(new Dense({ units: 2 }));
    expect(m.layers).toHaveLength(2);
    expect(() => new Sequential([], { nam: 'x' } as never)).toThrow(/unknown option 'nam'/);
  });

  it('a model without an InputLayer is built by its first fit or by build(shape)', async () => {
    const m = new Sequential([new Dense({ units: 1, seed: 3 })]);
    expect(() => m.summary({ printFn: null })).toThrow(/the model is not built/);
    m.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
    await m.fit(zeros([4, 3]), zeros([4, 1]), { verbose: 0 });
    expect(m.inputShape).toEqual([3]);
    expect(m.summary({ printFn: null })).toContain('Total params: 4');
    expect(() => m.build([5])).toThrow(/'inputShape' \[5\] differs from the model's \[3\]/);
  });

  it('compile() checks the optimizer and the loss', () => {
    const m = mlp();
    expect(() => m.compile({ optimizer: {} as Adam, loss: 'meanSquaredError' })).toThrow(/'optimizer' must be an Optimizer/);
    expect(() => m.compile({ optimizer: new Adam(), loss: 'mse' as never })).toThrow(/'loss' must be a function \(yTrue, yPred\) => Tensor or one of 'meanSquaredError', 'negativeLogLikelihood', got 'mse'/);
    expect(() => m.compile({ optimizer: new Adam(), loss: 'meanSquaredError', metrics: [] } as never)).toThrow(/unknown option 'metrics'/);
  });

  it('evaluate() is the mean per-example loss, batch size aside', () => {
    const m = mlp();
    m.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
    const x = tensor([[1, 2], [3, -1], [0, 0], [2, 2], [-1, 4]]);
    const y = tensor([[1], [0], [2], [-1], [3]]);
    const yHat = m.call(x).data;
    let se = 0;
    for (let i = 0; i < 5; i++) se += (y.data[i] - yHat[i]) ** 2;
    expect(m.evaluate(x, y)).toBeCloseTo(se / 5, 14);
    expect(m.evaluate(x, y, { batchSize: 2 })).toBeCloseTo(se / 5, 14);
    expect(() => m.evaluate(x, y, { batchSize: 0 })).toThrow(RangeError);
    const bad = y.clone();
    bad.data[4] = Infinity;
    expect(() => m.evaluate(x, bad)).toThrow(/Sequential\.evaluate: 'y' has Infinity at row 4, column 0/);
    expect(() => mlp().evaluate(x, y)).toThrow(/the model has no loss/);
  });
});
