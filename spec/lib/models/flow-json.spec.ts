import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { full, noGrad, tensor, type Tensor } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { Chain } from '../../../flows/bijectors/chain.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Reverse } from '../../../flows/bijectors/permute.js';
import { bijectorFromConfig } from '../../../flows/bijectors/serialization.js';
import { distributionFromConfig } from '../../../flows/distributions/serialization.js';
import { maskedAutoregressiveFlowStack } from '../../../flows/maf.js';
import { bijectorFromJSON, distributionFromJSON, flowToJSON } from '../../../lib/models/flow-json.js';
import { encodeTensor } from '../../../lib/models/save.js';
import { loadBijector, loadDistribution, saveFlow } from '../../../lib/node/files.js';
import { Random } from '../../../lib/util/random.js';

const bits = (t: Tensor): string => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

/** A MAF (5) + BN on 2-D data, trained for 20 steps, so its weights and batch-norm averages are far from the initial ones. */
function trainedFlow() {
  const flow = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 3, hiddenUnits: [8], batchNorm: true, seed: 7 });
  const rng = new Random('flow-json-data');
  const data = tensor(Array.from({ length: 64 }, () => { const b = 2 * rng.normal(); return [rng.normal() + b * b / 4, b]; }));
  const adam = new Adam({ learningRate: 0.01 });
  for (let step = 0; step < 20; step++) {
    adam.zeroGrad(flow.trainableWeights);
    flow.logProb(data, { bijectorKwargs: { training: true } }).mean().neg().backward();
    adam.step(flow.trainableWeights);
  }
  return { flow, data };
}

describe('saving a bare flow with its weights', () => {
  const { flow, data } = trainedFlow();
  const fresh = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 3, hiddenUnits: [8], batchNorm: true, seed: 7 });

  it('the trained flow differs from a freshly built one (so a round trip that dropped the weights would show)', () => {
    expect(bits(fresh.logProb(data))).not.toEqual(bits(flow.logProb(data)));
  });

  it('flowToJSON → text → distributionFromJSON: logProb and seeded samples bit for bit, batch-norm averages included', () => {
    const text = JSON.stringify(flowToJSON(flow));
    const json = JSON.parse(text);
    expect(json.format).toBe('maflow-model');
    expect(json.className).toBe('Distribution');
    expect(json.weights).toHaveLength(flow.weights.length);
    expect(flow.nonTrainableWeights.length).toBeGreaterThan(0);
    const copy = distributionFromJSON(text);
    expect(bits(copy.logProb(data))).toEqual(bits(flow.logProb(data)));
    expect(bits(noGrad(() => copy.sample(5, { seed: 3 })))).toEqual(bits(noGrad(() => flow.sample(5, { seed: 3 }))));
  });

  it('a bijector round-trips too, weights included', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], seed: 5 });
    const chain = new Chain([new MaskedAutoregressiveFlow(made), new Reverse()]);
    made.trainableWeights.forEach((w, i) => w.data.fill(0.1 * (i + 1)));
    const copy = bijectorFromJSON(JSON.stringify(flowToJSON(chain)));
    expect(bits(copy.inverse(data))).toEqual(bits(chain.inverse(data)));
    expect(bits(bijectorFromConfig(chain.getConfig(), chain.getWeights()).inverse(data))).toEqual(bits(chain.inverse(data)));
  });

  it('saveFlow / loadDistribution / loadBijector in Node, through a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maflow-flow-json-'));
    try {
      await saveFlow(flow, join(dir, 'flow.json'));
      const again = await loadDistribution(join(dir, 'flow.json'));
      expect(bits(again.logProb(data))).toEqual(bits(flow.logProb(data)));
      await expect(loadBijector(join(dir, 'flow.json'))).rejects.toThrow(/loadBijector: .*flow.json: 'className' is "Distribution", expected "Bijector"/);
      const damaged = readFileSync(join(dir, 'flow.json'), 'utf8').slice(0, 500);
      writeFileSync(join(dir, 'bad.json'), damaged);
      await expect(loadDistribution(join(dir, 'bad.json'))).rejects.toThrow(/loadDistribution: .*bad.json: 'json' is not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('distributionFromConfig refuses a flow with weights when they are not given, saying how many and what to do', () => {
    const config = JSON.parse(JSON.stringify(flow.getConfig()));
    const n = flow.weights.length;
    expect(() => distributionFromConfig(config)).toThrow(new RegExp(
      `^distributionFromConfig: the TransformedDistribution 'maf' has ${n} weights, which a config does not hold; pass them as distributionFromConfig\\(config, flow.getWeights\\(\\)\\), or save the flow whole with flowToJSON\\(flow\\)`));
    const copy = distributionFromConfig(config, flow.getWeights());
    expect(bits(copy.logProb(data))).toEqual(bits(flow.logProb(data)));
  });

  it('setWeights checks the count and every shape before it changes anything', () => {
    const target = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 3, hiddenUnits: [8], batchNorm: true, seed: 7 });
    const before = bits(target.logProb(data));
    const ws = flow.getWeights();
    expect(() => target.setWeights(ws.slice(1))).toThrow(/TransformedDistribution.setWeights: expected \d+ weights .*, got \d+/);
    const wrong = [...ws.slice(0, -1), tensor([1, 2, 3])];
    expect(() => target.setWeights(wrong)).toThrow(/TransformedDistribution.setWeights: weights\[\d+\] has shape \[3\], expected \[2\]/);
    expect(bits(target.logProb(data))).toEqual(before);
    target.setWeights(ws);
    expect(bits(target.logProb(data))).toEqual(bits(flow.logProb(data)));
  });

  it('refuses a model file, another kind, or damaged weights, naming the problem', () => {
    const json = flowToJSON(flow);
    expect(() => bijectorFromJSON(json as never)).toThrow(/bijectorFromJSON: 'className' is "Distribution", expected "Bijector"/);
    expect(() => distributionFromJSON({ ...json, className: 'Sequential' } as never)).toThrow(/holds a Sequential model; load it with Sequential.fromJSON/);
    expect(() => distributionFromJSON({ ...json, version: 99 })).toThrow(/format version 99; this version reads version 1/);
    const nan = { ...json, weights: [encodeTensor(full(json.weights[0].shape, NaN)), ...json.weights.slice(1)] };
    expect(() => distributionFromJSON(nan)).toThrow(/distributionFromJSON: weights\[0\] holds NaN at index 0; a saved weight must be finite/);
  });
});
