import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import {
  AutoregressiveNetwork, AutoregressiveTransform, DEFAULT_LIMITS, DistributionLambda, InputLayer, MultivariateNormalDiag, Sequential,
  createDegrees, getLimits, loadModel, makeMasks, registerDistributionFn, setLimits, zeros, type Tensor,
} from '../../lib/index.js';

// Sizes from a user or a file are checked against the limits before anything is allocated. The
// memory cases run in a child process with a 96 MB heap and 2 GB of address space: before the
// limits, each of them died there with "heap out of memory" (a V8 abort no try can catch) or
// failed to allocate, so a regression fails this spec instead of exhausting the machine.

let dir = '';
let bundle = '';
const childSource = `
import * as fs from 'node:fs';
import * as m from '${path.resolve('lib/index.ts')}';
const [what, file] = process.argv.slice(2);
const cases = {
  networkInCode: () => new m.AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [1e9] }),
  hugeEvent: () => new m.AutoregressiveNetwork({ params: 2, eventShape: 1e8 }),
  sample: () => new m.MultivariateNormalDiag({ loc: [0, 0] }).sample(1e9, { seed: 1 }),
  degrees: () => m.createDegrees({ eventSize: 2, hiddenUnits: [1e9] }),
  load: () => m.loadModel(file),
};
try {
  await cases[what]();
  console.log(JSON.stringify({ returned: true, heapMB: process.memoryUsage().heapUsed / 2 ** 20 }));
} catch (e) {
  console.log(JSON.stringify({ name: e.name, message: e.message, heapMB: process.memoryUsage().heapUsed / 2 ** 20 }));
}
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-limits-'));
  const entry = path.join(dir, 'child.ts');
  bundle = path.join(dir, 'child.mjs');
  fs.writeFileSync(entry, childSource);
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'silent' });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs one case in a small child process; its outcome, or how it died. */
function inChild(what: string, file = ''): { name?: string; message?: string; returned?: boolean; heapMB?: number; died?: string } {
  const r = spawnSync('sh', ['-c', `ulimit -v 2000000; exec "${process.execPath}" --max-old-space-size=96 "${bundle}" ${what} "${file}"`], { encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return { died: `status ${r.status}, signal ${r.signal}: ${r.stderr.slice(0, 300)}` };
  return JSON.parse(line) as { name: string; message: string };
}

/** A small, valid model file whose MADE config is then edited (a 3 KB file asking for gigabytes). */
function fileWith(edit: (json: ReturnType<Sequential['toJSON']>) => void, name: string): string {
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda('limitsNormal2d'),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [4], seed: 3 })),
  ]);
  const json = model.toJSON();
  edit(json);
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}
registerDistributionFn('limitsNormal2d', (t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) }));

describe('limits: documented defaults, raised and restored by the user', () => {
  afterEach(() => setLimits(DEFAULT_LIMITS));

  it('has the documented defaults: 2^27 elements per tensor, 2^26 parameters, 1 GiB per call', () => {
    expect(getLimits()).toEqual({ maxTensorElements: 134217728, maxModelParams: 67108864, maxCallBytes: 1073741824 });
  });

  it('a RangeError names the function, the size and the limit, and how to raise it', () => {
    // kernel of the hidden layer: 2 · 1e9 = 2e9 elements
    expect(() => new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [1e9] })).toThrow(new RangeError(
      'AutoregressiveNetwork: the degrees (eventSize 2 + Σ hiddenUnits [1000000000]) is 1,000,000,002 elements, over the limit maxTensorElements = 134,217,728; ' +
      'check the size, or raise the limit with setLimits({ maxTensorElements: … })'));
    // a network of 2·50,000 + 50,000 + 50,000·4 + 4 = 350,004 parameters, over a limit of 100,000
    setLimits({ maxModelParams: 100_000 });
    expect(() => new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [50_000] })).toThrow(
      /^AutoregressiveNetwork: the network \(eventSize 2, hiddenUnits \[50000\], params 2\) is 350,004 parameters, over the limit maxModelParams = 100,000/);
  });

  it('raising a limit lets the size through; the old limits come back from setLimits', () => {
    const previous = setLimits({ maxTensorElements: 10 });
    expect(previous.maxTensorElements).toBe(DEFAULT_LIMITS.maxTensorElements);
    expect(() => zeros([3, 4])).toThrow(/^full: 'shape' \[3,4\] is 12 elements, over the limit maxTensorElements = 10/);
    setLimits({ maxTensorElements: 12 });
    expect(zeros([3, 4]).size).toBe(12);
    setLimits(previous);
    expect(getLimits()).toEqual(DEFAULT_LIMITS);
  });

  it('setLimits checks its argument', () => {
    expect(() => setLimits({ maxTensorElement: 5 } as never)).toThrow(TypeError);
    expect(() => setLimits({ maxTensorElements: 0 })).toThrow(new RangeError("setLimits: 'maxTensorElements' must be a positive integer or Infinity, got 0"));
    expect(() => setLimits({ maxCallBytes: 1.5 })).toThrow(RangeError);
    expect(() => setLimits({ maxModelParams: '5' as never })).toThrow(TypeError);
  });

  it('every allocating entry point checks first: sample, logProb, zeros, InputLayer, createDegrees, makeMasks, Dense', () => {
    const mvn = new MultivariateNormalDiag({ loc: [0, 0] });
    expect(() => mvn.sample(1e9, { seed: 1 })).toThrow(/^MultivariateNormalDiag\.sample: the sample of 'sampleShape' \[1000000000\], shape \[1000000000,2\], is 2,000,000,000 elements, over the limit maxTensorElements/);
    // 1,000 rows × 8 bytes × 2 (event) = 16,000 bytes
    setLimits({ maxCallBytes: 15_999 });
    expect(() => mvn.logProb(zeros([1000, 2]))).toThrow(/^MultivariateNormalDiag\.logProb: the estimated working memory of 1000 rows is 16,000 bytes, over the limit maxCallBytes = 15,999/);
    expect(() => mvn.sample(1000, { seed: 1 })).toThrow(/maxCallBytes/);
    setLimits({ maxCallBytes: 16_000 });
    expect(mvn.logProb(zeros([1000, 2])).shape).toEqual([1000]);
    expect(() => new InputLayer({ inputShape: [1e9] })).toThrow(/^InputLayer: 'inputShape' \[1000000000\] is 1,000,000,000 elements, over the limit maxTensorElements/);
    expect(() => createDegrees({ eventSize: 2, hiddenUnits: [1e9] })).toThrow(/^createDegrees: the degrees .* over the limit maxTensorElements/);
    expect(() => makeMasks({ params: 2, eventSize: 100_000 })).toThrow(/^makeMasks: the kernel of masked layer 0 \[100000,200000\] is 20,000,000,000 elements/);
  });
});

describe('limits in a small child process (96 MB heap, 2 GB address space)', () => {
  const rejected = (r: ReturnType<typeof inChild>, pattern: RegExp): void => {
    expect(r.died).toBeUndefined();
    expect(r.name).toBe('RangeError');
    expect(r.message).toMatch(pattern);
    expect(r.heapMB).toBeLessThan(96);
  };

  it('new AutoregressiveNetwork({ hiddenUnits: [1e9] }) throws a RangeError (was: heap out of memory)', () => {
    rejected(inChild('networkInCode'), /^AutoregressiveNetwork: .* over the limit maxTensorElements = 134,217,728/);
  });

  it('eventShape 1e8 throws a RangeError (was: 20 GB before it was stopped)', () => {
    rejected(inChild('hugeEvent'), /^AutoregressiveNetwork: the kernel of masked layer 0 \[100000000,200000000\] is 20,000,000,000,000,000 elements, over the limit maxTensorElements = 134,217,728/);
  });

  it('sample(1e9) throws a RangeError', () => {
    rejected(inChild('sample'), /^MultivariateNormalDiag\.sample: the sample .* over the limit maxTensorElements/);
  });

  it('createDegrees with hiddenUnits [1e9] throws a RangeError', () => {
    rejected(inChild('degrees'), /^createDegrees: .* over the limit maxTensorElements/);
  });

  it('a 3 KB model file with hiddenUnits [1e9] is refused before anything is built (was: heap out of memory)', () => {
    const file = fileWith((json) => { (json.layers[2].config.made as { hiddenUnits: number[] }).hiddenUnits = [1e9]; }, 'hidden-1e9.json');
    expect(fs.statSync(file).size).toBeLessThan(4000);
    rejected(inChild('load', file), /^loadModel: .*hidden-1e9\.json: layers\[2\]\.config\.made: .* over the limit maxTensorElements/);
  });

  it('a file with eventShape [1e8] is refused (was: 20 GB)', () => {
    const file = fileWith((json) => { (json.layers[2].config.made as { eventShape: number[] }).eventShape = [1e8]; }, 'event-1e8.json');
    rejected(inChild('load', file), /^loadModel: .*event-1e8\.json: layers\[2\]\.config\.made: the kernel of masked layer 0 \[100000000,4\] is 400,000,000 elements/);
  });

  it('a file with inputShape [1e9] is refused (was: 7.9 GB allocated, then loaded)', () => {
    const file = fileWith((json) => { json.inputShape = [1e9]; (json.layers[0].config as { inputShape: number[] }).inputShape = [1e9]; }, 'input-1e9.json');
    rejected(inChild('load', file), /^loadModel: .*input-1e9\.json: 'inputShape' \[1000000000\] is 1,000,000,000 elements, over the limit maxTensorElements/);
  });

  it('a file whose weights claim a huge shape is refused by its size, not by its data', () => {
    const file = fileWith((json) => { json.weights[0].shape = [1e6, 1e6]; }, 'weight-shape.json');
    rejected(inChild('load', file), /^loadModel: .*weight-shape\.json: weights\[0\]\.shape \[1000000,1000000\] is 1,000,000,000,000 elements, over the limit maxTensorElements/);
  });

  it('the same files are refused in this process too, with the model untouched by any allocation', async () => {
    const file = fileWith((json) => { (json.layers[2].config.made as { hiddenUnits: number[] }).hiddenUnits = [1e9]; }, 'hidden-1e9-here.json');
    await expect(loadModel(file)).rejects.toThrow(RangeError);
  });
});
