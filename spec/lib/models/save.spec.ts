import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { neg } from '../../../autodiff/ops/unary.js';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { noGrad, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import type { Distribution } from '../../../flows/distributions/distribution.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { AutoregressiveTransform } from '../../../lib/layers/autoregressive-transform.js';
import { Dense } from '../../../lib/layers/dense.js';
import { DistributionLambda, registerDistributionFn } from '../../../lib/layers/distribution-lambda.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { PermuteTransform } from '../../../lib/layers/permute-transform.js';
import { base64ToBytes, bytesToBase64, decodeFloat64, encodeFloat64, MODEL_FORMAT_VERSION } from '../../../lib/models/save.js';
import { Sequential } from '../../../lib/models/sequential.js';
import { loadModel } from '../../../lib/node/files.js';
import { randn, seededRng } from '../../helpers/grad-check.js';

const bits = (ts: Tensor[]): number[][] => ts.map((t) => Array.from(new Uint32Array(t.data.slice().buffer)));
const bitsOf = (t: Tensor): number[] => Array.from(new Uint32Array(t.data.slice().buffer));

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-save-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  jest.restoreAllMocks();
});

/** Files in the test directory other than `keep`: a leftover temporary file would show up here. */
const others = (...keep: string[]): string[] => fs.readdirSync(dir).filter((f) => !keep.includes(f));

const standardNormal2d = (t: Tensor): MultivariateNormalDiag =>
  new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] });
registerDistributionFn('standardNormal2d', standardNormal2d);

/** The reference model (two MAF layers, to cover PermuteTransform), trained a few steps so Adam has state. */
async function trainedFlow(): Promise<Sequential<Distribution>> {
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda(standardNormal2d),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [8], activation: 'relu', seed: 1 })),
    new PermuteTransform(),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [8], activation: 'tanh', seed: 2 })),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: (y, rv) => neg(rv.logProb(y)) });
  const data = randn(seededRng('save-flow-data'), [40, 2]);
  await model.fit(zeros([40, 0]), data, { epochs: 2, batchSize: 10, verbose: 0, seed: 1 });
  return model;
}

function denseModel(units = 1): Sequential<Tensor> {
  const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 3, activation: 'tanh', seed: 1 }), new Dense({ units, seed: 2 })]);
  m.compile({ optimizer: new Adam(), loss: 'meanSquaredError' });
  return m;
}

describe('base64 float64 encoding', () => {
  it('matches RFC 4648 and round-trips bytes', () => {
    const enc = (s: string): string => bytesToBase64(Uint8Array.from(s, (c) => c.charCodeAt(0)));
    expect(enc('Man')).toBe('TWFu');
    expect(enc('Ma')).toBe('TWE=');
    expect(enc('M')).toBe('TQ==');
    expect(enc('')).toBe('');
    expect(Array.from(base64ToBytes('TWE=', 't'))).toEqual([77, 97]);
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
    expect(Array.from(base64ToBytes(bytesToBase64(bytes), 't'))).toEqual(Array.from(bytes));
  });

  it('keeps every bit of every float64, −0 and NaN included, little-endian', () => {
    const values = Float64Array.of(-0, 0.1, 5e-324, Number.MAX_VALUE, -Infinity, NaN, Math.PI);
    const back = decodeFloat64(encodeFloat64(values), values.length, 't');
    expect(Array.from(new Uint32Array(back.buffer))).toEqual(Array.from(new Uint32Array(values.buffer)));
    // 1.0 is 0x3FF0000000000000: little-endian bytes 00 … 00 F0 3F
    expect(encodeFloat64([1])).toBe(bytesToBase64(Uint8Array.of(0, 0, 0, 0, 0, 0, 0xf0, 0x3f)));
  });

  it('rejects corrupt data by position and length', () => {
    expect(() => base64ToBytes('TWF', 'w')).toThrow(/w: base64 data has length 3, not a multiple of 4 \(truncated\?\)/);
    expect(() => base64ToBytes('TW*u', 'w')).toThrow(/invalid character '\*' at position 2/);
    expect(() => decodeFloat64(encodeFloat64([1, 2]), 3, 'w')).toThrow(/holds 2 float64 values, expected 3/);
  });
});

describe('save and loadModel', () => {
  it('a Dense model comes back with bit-identical outputs, and training resumes bit for bit', async () => {
    const rng = seededRng('save-dense');
    const x = randn(rng, [20, 2]);
    const y = randn(rng, [20, 1]);
    const m = denseModel();
    await m.fit(x, y, { epochs: 2, batchSize: 5, verbose: 0, seed: 1 });
    const file = path.join(dir, 'dense.json');
    await m.save(file);
    const back = await loadModel<Tensor>(file);
    expect(back.name).toBe(m.name);
    expect(back.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(bits(back.getWeights())).toEqual(bits(m.getWeights()));
    expect(bitsOf(noGrad(() => back.call(x)))).toEqual(bitsOf(noGrad(() => m.call(x))));
    // the named loss and Adam's moments and step count came back: one more epoch gives the same weights
    expect(back.lossName).toBe('meanSquaredError');
    expect(back.optimizer?.iterations).toBe(8);
    await m.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0, seed: 2 });
    await back.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0, seed: 2 });
    expect(bits(back.getWeights())).toEqual(bits(m.getWeights()));
    expect(others('dense.json')).toEqual([]);
  });

  it('the reference flow comes back with bit-identical logProb and seeded samples', async () => {
    const model = await trainedFlow();
    const file = path.join(dir, 'flow.json');
    await model.save(file);
    const back = (await loadModel(file)) as Sequential<Distribution>;
    const points = randn(seededRng('save-flow-points'), [5, 3, 2]);
    const d0 = model.call(zeros([0]));
    const d1 = back.call(zeros([0]));
    expect(bitsOf(noGrad(() => d1.logProb(points)))).toEqual(bitsOf(noGrad(() => d0.logProb(points))));
    expect(bitsOf(noGrad(() => d1.sample(6, { seed: 9 })))).toEqual(bitsOf(noGrad(() => d0.sample(6, { seed: 9 }))));
    // a loss function cannot be saved: the optimizer comes back, the loss must be given again
    expect(back.lossFn).toBeNull();
    expect(back.optimizer?.getState()).toEqual(model.optimizer?.getState());
    back.compile({ optimizer: back.optimizer!, loss: 'negativeLogLikelihood' });
    expect(back.evaluate(zeros([15, 0]), tensor(points.data, [15, 2]))).toBeCloseTo(noGrad(() => neg(d0.logProb(points))).data.reduce((a, b) => a + b) / 15, 12);
  });

  it('toJSON / fromJSON round-trip through a string, for the browser', async () => {
    const model = await trainedFlow();
    const json = model.toJSON();
    expect(json.format).toBe('maflow-model');
    expect(json.version).toBe(MODEL_FORMAT_VERSION);
    expect(json.layers.map((l) => l.className)).toEqual(['InputLayer', 'DistributionLambda', 'AutoregressiveTransform', 'PermuteTransform', 'AutoregressiveTransform']);
    expect(json.layers[1].config.makeDistributionFn).toBe('standardNormal2d');
    const back = Sequential.fromJSON(JSON.stringify(json)) as Sequential<Distribution>;
    const x = tensor([[0.5, -1], [2, 0.25]]);
    expect(bitsOf(noGrad(() => back.call(zeros([0])).logProb(x)))).toEqual(bitsOf(noGrad(() => model.call(zeros([0])).logProb(x))));
  });

  it('refuses to save an unregistered DistributionLambda, saying how, and writes nothing', async () => {
    const file = path.join(dir, 'unregistered.json');
    fs.writeFileSync(file, 'previous contents');
    const model = new Sequential([
      new InputLayer({ inputShape: [0] }),
      new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) })),
      new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, seed: 3 })),
    ]);
    await expect(model.save(file)).rejects.toThrow(TypeError);
    await expect(model.save(file)).rejects.toThrow(/holds a function that is not registered, and JSON cannot hold code; call registerDistributionFn\('someName', fn\)/);
    expect(fs.readFileSync(file, 'utf8')).toBe('previous contents');
    expect(others('unregistered.json', 'dense.json', 'flow.json')).toEqual([]);
  });

  it('a crash between writing and renaming leaves the old file intact and no temporary file', async () => {
    const file = path.join(dir, 'atomic.json');
    const m = denseModel();
    await m.save(file);
    const before = fs.readFileSync(file, 'utf8');
    await m.fit(randn(seededRng('atomic'), [4, 2]), zeros([4, 1]), { verbose: 0 });
    jest.spyOn(fs.promises, 'rename').mockRejectedValueOnce(new Error('simulated crash before rename'));
    await expect(m.save(file)).rejects.toThrow(/simulated crash before rename/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // and the next save succeeds
    await m.save(file);
    expect(fs.readFileSync(file, 'utf8')).not.toBe(before);
  });
});

describe('loading a bad file throws a clear error and changes nothing', () => {
  async function target(): Promise<{ model: Sequential<Tensor>; weights: number[][]; state: unknown; good: string }> {
    const model = denseModel();
    await model.fit(randn(seededRng('bad-file'), [8, 2]), zeros([8, 1]), { verbose: 0, seed: 1 });
    const good = JSON.stringify(denseModel().toJSON());
    return { model, weights: bits(model.getWeights()), state: model.optimizer!.getState(), good };
  }

  const cases: Array<[string, (good: string) => string, RegExp]> = [
    ['truncated', (g) => g.slice(0, Math.floor(g.length / 2)), /is not valid JSON \(truncated or corrupt\?\)/],
    ['empty', () => '', /is not valid JSON/],
    ['wrong version', (g) => g.replace('"version":1', '"version":2'), /format version 2, written by a newer maflow; this version reads version 1/],
    ['not a model', () => JSON.stringify({ hello: 'world' }), /'format' is undefined, expected "maflow-model" \(not a maflow model file\)/],
    ['unknown layer', (g) => g.replace('"className":"Dense"', '"className":"Conv2D"'), /unknown layer class 'Conv2D'/],
    ['missing weight', (g) => { const j = JSON.parse(g); j.weights.pop(); return JSON.stringify(j); }, /the file has 3 weights, but its layers have 4/],
    ['short weight data', (g) => { const j = JSON.parse(g); j.weights[0].data = j.weights[0].data.slice(0, 8); return JSON.stringify(j); }, /weights\[0\]\.data: holds 0\.75 float64 values, expected 6/],
    ['bad optimizer state', (g) => { const j = JSON.parse(g); j.optimizer.state.slots.m.pop(); return JSON.stringify(j); }, /optimizer\.state\.slots\.m must hold 4 arrays/],
  ];

  for (const [name, corrupt, message] of cases) {
    it(`${name}: loadModel and loadWeights throw, the model keeps its weights and optimizer state`, async () => {
      const { model, weights, state, good } = await target();
      const file = path.join(dir, `bad-${name.replace(/ /g, '-')}.json`);
      fs.writeFileSync(file, corrupt(good));
      await expect(loadModel(file)).rejects.toThrow(message);
      await expect(model.loadWeights(file)).rejects.toThrow(message);
      expect(bits(model.getWeights())).toEqual(weights);
      expect(model.optimizer!.getState()).toEqual(state);
    });
  }

  it('loadWeights of another architecture names both sets of shapes and changes nothing', async () => {
    const { model, weights } = await target();
    const file = path.join(dir, 'other-arch.json');
    await denseModel(2).save(file);
    await expect(model.loadWeights(file)).rejects.toThrow(/has weights of shapes \[2,3\] \[3\] \[3,2\] \[2\], but this model has \[2,3\] \[3\] \[3,1\] \[1\]/);
    expect(bits(model.getWeights())).toEqual(weights);
  });

  it('loadWeights of a good file replaces the weights and the optimizer state', async () => {
    const { model } = await target();
    const source = denseModel();
    await source.fit(randn(seededRng('good-file'), [8, 2]), zeros([8, 1]), { verbose: 0, seed: 4 });
    const file = path.join(dir, 'good.json');
    await source.save(file);
    await model.loadWeights(file);
    expect(bits(model.getWeights())).toEqual(bits(source.getWeights()));
    expect(model.optimizer!.getState()).toEqual(source.optimizer!.getState());
  });

  it('a DistributionLambda whose name is not registered in the loading program says so', () => {
    const json = JSON.stringify(new Sequential([new InputLayer({ inputShape: [0] }), new DistributionLambda(standardNormal2d)]).toJSON());
    expect(() => Sequential.fromJSON(json.replace('"standardNormal2d"', '"elsewhere"')))
      .toThrow(/no function is registered as 'elsewhere'; call registerDistributionFn\('elsewhere', fn\) first/);
  });
});
