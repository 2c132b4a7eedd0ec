import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, FlowLayer, InputLayer, MultivariateNormalDiag,
  Sequential, Tensor, ValueError, full, loadModel, maskedAutoregressiveFlowStack, registerDistributionFn, tensor, zeros,
} from '../../lib/node/index.js';
import { type ModelJSON } from '../../lib/entries/serialization.js';

// What a file or setState holds is checked for meaning, not only for shape: a negative variance or
// second moment, a flow whose parts do not fit each other, weights saved from another
// architecture. Each is refused before the model (or the one loading into) changes.

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-load-checks-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const bits = (ts: readonly Tensor[]): string[] => ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'));
const encode = (values: number[]): string => Buffer.from(new Float64Array(values).buffer).toString('base64');

function bnModel(seed = 1): Sequential {
  const flow = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 2, hiddenUnits: [4], batchNorm: true, seed });
  const m = new Sequential([new InputLayer({ inputShape: [0] }), new FlowLayer(flow)]);
  m.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
  m.build();
  return m;
}

function write(json: ModelJSON, name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

// FlowLayer weights: the trainable ones (MADE 0, batch norm 0's logGamma and beta, MADE 1, batch norm 1's),
// then the running averages: weights[12], [13] are batch norm 0's mean and variance.
const MOVING_VARIANCE_0 = 13;

describe('state is checked for meaning', () => {
  it('a negative batch-norm running variance in a file is refused (was: loaded, and every logProb NaN)', async () => {
    const json = bnModel().toJSON();
    expect(json.weights[MOVING_VARIANCE_0].shape).toEqual([2]);
    json.weights[MOVING_VARIANCE_0].data = encode([1, -0.5]);
    const file = write(json, 'negative-variance.json');
    await expect(loadModel(file)).rejects.toThrow(/^Sequential\.setWeights: weights\[13\] \(weight 13 of layer 'flow_layer(_\d+)?', shape \[2\]\) holds -0\.5 at index 1, expected a variance: finite and ≥ 0$/);
    const target = bnModel(2);
    const before = bits(target.weights);
    await expect(target.loadWeights(file)).rejects.toThrow(RangeError);
    expect(bits(target.weights)).toEqual(before);
  });

  it('setWeights refuses a negative variance too, and changes nothing', () => {
    const m = bnModel();
    const before = bits(m.weights);
    const w = m.getWeights();
    w[MOVING_VARIANCE_0] = tensor([-1, 1]);
    expect(() => m.setWeights(w)).toThrow(RangeError);
    expect(() => m.setWeights(w)).toThrow(/holds -1 at index 0, expected a variance: finite and ≥ 0/);
    expect(bits(m.weights)).toEqual(before);
  });

  it("a negative Adam second moment, from setState or from a file, is refused (was: accepted, then √v is NaN)", async () => {
    const p = tensor([1, 2], undefined, { requiresGrad: true });
    const adam = new Adam();
    expect(() => adam.setState({ iterations: 1, slots: { m: [[0, 0]], v: [[0.5, -1e-9]] } }, [p])).toThrow(new RangeError(
      "Adam.setState: slot 'v' parameter 0 index 1 is -1e-9, expected a second moment ≥ 0 (v is an average of squared gradients)"));
    expect(adam.getState([p])).toEqual({ iterations: 0, slots: { m: [[0, 0]], v: [[0, 0]] } });
    // the same in a file
    const m = bnModel();
    for (const w of m.trainableWeights) w.grad = full(w.shape, 0.1);
    m.optimizer!.step(m.trainableWeights);
    const json = m.toJSON();
    const v0 = json.optimizer!.state.slots.v[0];
    const raw = Buffer.from(v0.data, 'base64');
    const values = Array.from({ length: raw.length / 8 }, (_, i) => raw.readDoubleLE(8 * i));
    values[3] = -2;
    v0.data = encode(values);
    await expect(loadModel(write(json, 'negative-v.json'))).rejects.toThrow(/optimizer\.state does not fit: Adam\.setState: slot 'v' parameter 0 index 3 is -2, expected a second moment ≥ 0/);
  });
});

describe('load rejects a flow that cannot run', () => {
  it('a permutation of another size than the flow (was: loaded, failing at the first logProb)', async () => {
    const json = bnModel().toJSON();
    const chain = ((json.layers[1].config.flow as { bijector: { bijectors: Array<Record<string, unknown>> } }).bijector).bijectors;
    const reverse = chain.find((b) => b.className === 'Reverse')!;
    Object.assign(reverse, { className: 'Permute', permutation: [2, 1, 0] });
    delete reverse.eventSize;
    await expect(loadModel(write(json, 'permutation-3.json'))).rejects.toThrow(
      /^loadModel: .*permutation-3\.json: layers\[1\] \('flow_layer(_\d+)?'\) makes a TransformedDistribution that cannot run: Permute\.inverseAndLogDet: 'y' has shape \[2\], expected \[\.\.\., 3\] \(the permutation's length\)$/);
  });

  it('a base distribution of another size than the flow', async () => {
    const json = bnModel().toJSON();
    ((json.layers[1].config.flow as { distribution: { loc: number[] } }).distribution).loc = [0, 0, 0];
    await expect(loadModel(write(json, 'base-3.json'))).rejects.toThrow(/^loadModel: .*base-3\.json: layers\[1\] \('flow_layer(_\d+)?'\) makes a TransformedDistribution that cannot run: /);
  });

  it('a good file still loads and scores the same, bit for bit', async () => {
    const m = bnModel(3);
    const file = path.join(dir, 'good.json');
    await m.save(file);
    const again = await loadModel(file);
    const y = tensor([[0.5, -1], [2, 0.25]]);
    const lp = (s: Sequential): string[] => bits([(s.call(zeros([2, 0])) as MultivariateNormalDiag).logProb(y)]);
    expect(lp(again)).toEqual(lp(m));
  });
});

describe('loadWeights needs the same architecture, not only the same shapes', () => {
  registerDistributionFn('loadChecksNormal3', (t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 3]) }));
  const madeModel = (options: { activation?: 'relu' | 'tanh'; inputOrder?: 'left-to-right' | 'right-to-left' | 'random'; seed?: number }): Sequential => {
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [6], activation: options.activation ?? 'relu', inputOrder: options.inputOrder ?? 'left-to-right', seed: options.seed ?? 1 });
    const m = new Sequential([new InputLayer({ inputShape: [0] }), new DistributionLambda('loadChecksNormal3'), new AutoregressiveTransform(made)]);
    m.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
    m.build();
    return m;
  };

  it('another activation is refused, naming it, and the model is unchanged (was: accepted)', async () => {
    const file = path.join(dir, 'relu.json');
    await madeModel({ activation: 'relu' }).save(file);
    const target = madeModel({ activation: 'tanh' });
    const before = bits(target.weights);
    await expect(target.loadWeights(file)).rejects.toThrow(new ValueError(`Sequential.loadWeights: layer 2 ('${target.layers[2].name}') is not the architecture ${file} was saved from ` +
      '(config.made.activation: "tanh" here, "relu" in the file); nothing was changed'));
    expect(bits(target.weights)).toEqual(before);
  });

  it('another input order is refused (was: accepted)', async () => {
    const file = path.join(dir, 'ltr.json');
    await madeModel({}).save(file);
    await expect(madeModel({ inputOrder: 'right-to-left' }).loadWeights(file)).rejects.toThrow(/\(config\.made\.inputOrder: "right-to-left" here, "left-to-right" in the file\)/);
  });

  it("'random' orders drawn from other seeds are refused by their degrees", async () => {
    const file = path.join(dir, 'random.json');
    await madeModel({ inputOrder: 'random', seed: 1 }).save(file);
    await expect(madeModel({ inputOrder: 'random', seed: 2 }).loadWeights(file)).rejects.toThrow(/\(degrees\[0\]\.inputOrder\[0\]: \d here, \d in the file\)/);
  });

  it('the same architecture with another seed (initial weights only) loads', async () => {
    const file = path.join(dir, 'seed.json');
    const source = madeModel({ seed: 1 });
    await source.save(file);
    const target = madeModel({ seed: 5 });
    await target.loadWeights(file);
    expect(bits(target.weights)).toEqual(bits(source.weights));
  });
});
