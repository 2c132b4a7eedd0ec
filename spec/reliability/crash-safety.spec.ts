import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Dense, InputLayer, Random, SGD, Sequential, Tensor, ValueError, loadModel, tensor } from '../../lib/node/index.js';

// No lost work, beyond spec/lib/models/save-crash.spec.ts (a child process SIGKILLed mid-save)
// and save.spec.ts (a rename that fails; corrupt files): a write cut short half-way, a file whose
// optimizer state does not fit, and a file with a non-finite weight. In every case the file on
// disk and the model in memory stay exactly as they were.

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-crash-safety-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

const bits = (ts: Tensor[]): string[] => ts.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'));

function model(optimizer: SGD, seed = 1): Sequential<Tensor> {
  const m = new Sequential([new InputLayer({ inputShape: [2] }), new Dense({ units: 3, activation: 'tanh', seed }), new Dense({ units: 1, seed: seed + 1 })]);
  m.compile({ optimizer, loss: 'meanSquaredError' });
  return m;
}

async function trained(optimizer: SGD, seed = 1): Promise<Sequential<Tensor>> {
  const m = model(optimizer, seed);
  const rng = new Random('crash-safety-data');
  const x = tensor(rng.fillNormal(new Float64Array(16)), [8, 2]);
  const y = tensor(rng.fillNormal(new Float64Array(8)), [8, 1]);
  await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, seed });
  return m;
}

/** Everything a failed load must leave alone. */
function snapshot(m: Sequential<Tensor>): { weights: string[]; state: string } {
  return { weights: bits(m.getWeights()), state: JSON.stringify(m.optimizer!.getState()) };
}

describe('save: a write cut short never replaces the old file', () => {
  it('a crash half-way through writing the temporary file leaves the old file whole, and the next save works', async () => {
    const file = path.join(dir, 'half.json');
    const m = await trained(new SGD({ learningRate: 0.05 }));
    await m.save(file);
    const before = fs.readFileSync(file, 'utf8');
    await m.fit(tensor([[1, 2]]), tensor([[3]]), { verbose: 0 });
    // The temporary file gets half the text, then the "disk" fails: what a crash mid-write leaves.
    const open = fs.promises.open.bind(fs.promises);
    jest.spyOn(fs.promises, 'open').mockImplementationOnce(async (p, flags) => {
      const handle = await open(p as string, flags as string);
      const writeFile = handle.writeFile.bind(handle);
      handle.writeFile = async (data: unknown) => {
        await writeFile(String(data).slice(0, String(data).length >> 1));
        throw new Error('simulated crash mid-write');
      };
      return handle;
    });
    await expect(m.save(file)).rejects.toThrow(/simulated crash mid-write/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await m.save(file);
    const again = await loadModel(file);
    expect(bits(again.getWeights())).toEqual(bits(m.getWeights()));
  });

  it('a process that dies between write and rename leaves the old file and a stray temporary file, which loading ignores', async () => {
    const file = path.join(dir, 'stray.json');
    const m = await trained(new SGD({ learningRate: 0.05 }));
    await m.save(file);
    const before = fs.readFileSync(file, 'utf8');
    // What the dead process left: its complete temporary file next to the untouched target.
    fs.writeFileSync(path.join(dir, '.stray.json.999.0.0.tmp'), JSON.stringify(m.toJSON()).slice(0, 100));
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    const loaded = await loadModel(file);
    expect(bits(loaded.getWeights())).toEqual(bits(m.getWeights()));
  });
});

describe('loading changes nothing unless the whole file fits', () => {
  it('an optimizer state with another slot layout (SGD with momentum into SGD without) throws and keeps weights and state', async () => {
    // Both optimizers are 'SGD', but only the one with momentum has a 'velocity' slot: the
    // weights used to be copied before the state was found not to fit.
    const source = await trained(new SGD({ learningRate: 0.05, momentum: 0.9 }), 3);
    const file = path.join(dir, 'momentum.json');
    await source.save(file);
    const target = await trained(new SGD({ learningRate: 0.05 }));
    const before = snapshot(target);
    await expect(target.loadWeights(file)).rejects.toThrow(ValueError);
    await expect(target.loadWeights(file)).rejects.toThrow(/Sequential\.loadWeights: the optimizer state in .*momentum\.json does not fit this model's SGD \(SGD.setState: 'state.slots' has slots \[velocity\], expected \[\]\); nothing was changed/);
    expect(snapshot(target)).toEqual(before);
  });

  it('a non-finite weight in the file throws, naming it, and keeps the model', async () => {
    const source = await trained(new SGD({ learningRate: 0.05 }), 5);
    const json = source.toJSON();
    const w = new Float64Array(2 * 3);
    w[4] = NaN;
    json.weights[0].data = Buffer.from(w.buffer).toString('base64');
    const file = path.join(dir, 'nan-weight.json');
    fs.writeFileSync(file, JSON.stringify(json));
    const target = await trained(new SGD({ learningRate: 0.05 }));
    const before = snapshot(target);
    await expect(target.loadWeights(file)).rejects.toThrow(/weights\[0\] holds NaN at index 4; a saved weight must be finite/);
    await expect(loadModel(file)).rejects.toThrow(ValueError);
    expect(snapshot(target)).toEqual(before);
  });

  it('a good file of the same architecture loads weights and state together', async () => {
    const source = await trained(new SGD({ learningRate: 0.05, momentum: 0.9 }), 7);
    const file = path.join(dir, 'good.json');
    await source.save(file);
    const target = model(new SGD({ learningRate: 0.05, momentum: 0.9 }));
    await target.loadWeights(file);
    expect(snapshot(target)).toEqual(snapshot(source));
  });
});
