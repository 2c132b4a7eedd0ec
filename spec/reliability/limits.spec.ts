import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AutoregressiveNetwork, AutoregressiveTransform, DEFAULT_LIMITS, DistributionLambda, InputLayer, MultivariateNormalDiag,
  Sequential, getLimits, registerDistributionFn, setLimits, zeros, type Tensor,
} from '../../lib/index.js';
import { createDegrees, makeMasks } from '../../lib/entries/made.js';
import { runInSmallChild, SMALL_CHILD, type ChildOutcome } from '../helpers/small-child.js';

// Sizes from a user or a file are checked against the limits before anything is allocated. The
// default limits are tried with the sizes of the issue in a child process with a 96 MB heap and
// 2 GB of address space: before the limits, each of them died there with "heap out of memory"
// (a V8 abort no try can catch) or failed to allocate, so a regression fails this spec instead
// of exhausting the machine. In this process, only lowered limits and small sizes are tried.

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-limits-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

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
    // E + Σ H = 2 + 1,000 numbers of degrees, over a limit of 1,000
    setLimits({ maxTensorElements: 1000 });
    expect(() => new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [1000] })).toThrow(new RangeError(
      'AutoregressiveNetwork: the degrees (eventSize 2 + Σ hiddenUnits [1000]) is 1,002 elements, over the limit maxTensorElements = 1,000; ' +
      'check the size, or raise the limit with setLimits({ maxTensorElements: … })'));
    // a network of 2·50,000 + 50,000 + 50,000·4 + 4 = 350,004 parameters, over a limit of 100,000
    setLimits({ maxTensorElements: DEFAULT_LIMITS.maxTensorElements, maxModelParams: 100_000 });
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

  it('every allocating entry point checks first: sample, logProb, zeros, InputLayer, createDegrees, makeMasks', () => {
    const mvn = new MultivariateNormalDiag({ loc: [0, 0] });
    setLimits({ maxTensorElements: 1000 });
    expect(() => mvn.sample(501, { seed: 1 })).toThrow(/^MultivariateNormalDiag\.sample: the sample of 'sampleShape' \[501\], shape \[501,2\], is 1,002 elements, over the limit maxTensorElements = 1,000/);
    expect(() => new InputLayer({ inputShape: [10, 101] })).toThrow(/^InputLayer: 'inputShape' \[10,101\] is 1,010 elements, over the limit maxTensorElements/);
    expect(() => createDegrees({ eventSize: 2, hiddenUnits: [999] })).toThrow(/^createDegrees: the degrees \(eventSize 2 \+ Σ hiddenUnits \[999\]\) is 1,001 elements/);
    expect(() => makeMasks({ params: 2, eventSize: 23 })).toThrow(/^makeMasks: the kernel of masked layer 0 \[23,46\] is 1,058 elements/);
    setLimits(DEFAULT_LIMITS);
    // 1,000 rows × 8 bytes × 2 (event) = 16,000 bytes
    setLimits({ maxCallBytes: 15_999 });
    expect(() => mvn.logProb(zeros([1000, 2]))).toThrow(/^MultivariateNormalDiag\.logProb: the estimated working memory of 1000 rows is 16,000 bytes, over the limit maxCallBytes = 15,999/);
    expect(() => mvn.sample(1000, { seed: 1 })).toThrow(/maxCallBytes/);
    setLimits({ maxCallBytes: 16_000 });
    expect(mvn.logProb(zeros([1000, 2])).shape).toEqual([1000]);
  });
});

describe('the issue\'s sizes, with the default limits, in a small child process (96 MB heap, 2 GB address space)', () => {
  const rejected = (r: ChildOutcome, pattern: RegExp): void => {
    expect(r.died).toBeUndefined();
    expect(r.name).toBe('RangeError');
    expect(r.message).toMatch(pattern);
    expect(r.heapMB).toBeLessThan(SMALL_CHILD.heapMB);
  };
  const inChild = (what: string, file = ''): ChildOutcome => runInSmallChild({
    networkInCode: 'new m.AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [1e9] })',
    hugeEvent: 'new m.AutoregressiveNetwork({ params: 2, eventShape: 1e8 })',
    sample: 'new m.MultivariateNormalDiag({ loc: [0, 0] }).sample(1e9, { seed: 1 })',
    degrees: 'm.createDegrees({ eventSize: 2, hiddenUnits: [1e9] })',
    load: `m.loadModel(${JSON.stringify(file)})`,
  }[what] as string);

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
});
