import { Adam } from '../../../autodiff/optimizers/adam.js';
import { SGD } from '../../../autodiff/optimizers/sgd.js';
import { mul } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { Tensor, tensor } from '../../../autodiff/tensor.js';
import { ValueError } from '../../../lib/util/errors.js';
import { randn, seededRng } from '../../helpers/grad-check.js';
import { expectClose, param, setSquareGrads } from '../../helpers/optimizer-helpers.js';

/** Runs 3 steps of f(w) = Σ w² from w = [1, −0.5] and returns w after each step. */
function trajectory(opt: SGD): number[][] {
  const w = param([1, -0.5]);
  const out: number[][] = [];
  for (let k = 0; k < 3; k++) {
    setSquareGrads([w]);
    opt.step([w]);
    out.push(Array.from(w.data));
  }
  return out;
}

describe('SGD', () => {
  it('without momentum: w ← w − lr·g', () => {
    // lr = 0.1, g = 2w: w ← w − 0.2w = 0.8w, so w = 0.8ᵗ·[1, −0.5]
    const [w1, w2, w3] = trajectory(new SGD({ learningRate: 0.1 }));
    expectClose(w1, [0.8, -0.4]);
    expectClose(w2, [0.64, -0.32]);
    expectClose(w3, [0.512, -0.256]);
  });

  it('with momentum 0.9: velocity = μ·velocity − lr·g; w ← w + velocity', () => {
    // lr = 0.1, μ = 0.9, w = [1, −0.5]; the second coordinate is always −½ of the first.
    // t = 1: g = 2,    velocity = −0.2,                   w = 0.8
    // t = 2: g = 1.6,  velocity = −0.18 − 0.16 = −0.34,   w = 0.46
    // t = 3: g = 0.92, velocity = −0.306 − 0.092 = −0.398, w = 0.062
    const opt = new SGD({ learningRate: 0.1, momentum: 0.9 });
    const [w1, w2, w3] = trajectory(opt);
    expectClose(w1, [0.8, -0.4]);
    expectClose(w2, [0.46, -0.23]);
    expectClose(w3, [0.062, -0.031]);
    expectClose(opt.getState().slots.velocity[0], [-0.398, 0.199]);
  });

  it('with Nesterov momentum 0.9: w ← w + μ·velocity − lr·g', () => {
    // t = 1: g = 2,      velocity = −0.2,                      w = 1 + (−0.18) − 0.2 = 0.62
    // t = 2: g = 1.24,   velocity = −0.18 − 0.124 = −0.304,    w = 0.62 + (−0.2736) − 0.124 = 0.2224
    // t = 3: g = 0.4448, velocity = −0.2736 − 0.04448 = −0.31808, w = 0.2224 + (−0.286272) − 0.04448 = −0.108352
    const [w1, w2, w3] = trajectory(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }));
    expectClose(w1, [0.62, -0.31]);
    expectClose(w2, [0.2224, -0.1112]);
    expectClose(w3, [-0.108352, 0.054176]);
  });

  it('gets the momentum trajectory from gradients made by backward()', () => {
    const w = param([1, -0.5]);
    const opt = new SGD({ learningRate: 0.1, momentum: 0.9 });
    for (let k = 0; k < 3; k++) {
      sum(mul(w, w)).backward();
      opt.step([w]);
      opt.zeroGrad([w]);
    }
    expectClose(w.data, [0.062, -0.031]);
    expect(w.parents).toEqual([]);
  });

  it('clipValue clips each entry to [−v, v]', () => {
    // g = 2·[1, −0.5, 3] = [2, −1, 6] → clipValue 1.5 → [1.5, −1, 1.5]; lr = 0.1 → w = [0.85, −0.4, 2.85]
    const w = param([1, -0.5, 3]);
    setSquareGrads([w]);
    new SGD({ learningRate: 0.1, clipValue: 1.5 }).step([w]);
    expectClose(w.data, [0.85, -0.4, 2.85]);
    expect(Array.from(w.grad!.data)).toEqual([2, -1, 6]); // .grad itself is not clipped
  });

  it('clipNorm clips each tensor on its own; a gradient under the norm is untouched', () => {
    // a = [1, −0.5]: g = [2, −1], ‖g‖ = √5 ≈ 2.236 < 2.5, kept → a = [0.8, −0.4]
    // b = [3]: g = 6 > 2.5 → 2.5 → b = 3 − 0.25 = 2.75
    const [a, b] = [param([1, -0.5]), param([3])];
    setSquareGrads([a, b]);
    new SGD({ learningRate: 0.1, clipNorm: 2.5 }).step([a, b]);
    expect(Array.from(a.data)).toEqual([1 - 0.1 * 2, -0.5 + 0.1 * 1]); // bit-exact: not rescaled by 2.5/2.5
    expectClose(b.data, [2.75]);
  });

  it('globalClipNorm scales every gradient by c/N with N the joint norm', () => {
    // g = [2, −1] and [6]: N = √(4 + 1 + 36) = √41, c = 2.5, scale 2.5/√41
    // a = [1 − 0.1·5/√41, −0.5 + 0.1·2.5/√41] = [0.9219131191, −0.4609565595], b = 3 − 0.1·15/√41 = 2.7657393572
    const [a, b] = [param([1, -0.5]), param([3])];
    setSquareGrads([a, b]);
    new SGD({ learningRate: 0.1, globalClipNorm: 2.5 }).step([a, b]);
    expectClose(a.data, [0.921913119055697, -0.4609565595278485]);
    expectClose(b.data, [2.765739357167091]);
    // Under the threshold nothing changes: c = 7 > √41 ≈ 6.4
    const [a2, b2] = [param([1, -0.5]), param([3])];
    setSquareGrads([a2, b2]);
    new SGD({ learningRate: 0.1, globalClipNorm: 7 }).step([a2, b2]);
    expect(Array.from(a2.data)).toEqual([0.8, -0.4]);
    expect(Array.from(b2.data)).toEqual([3 - 0.1 * 6]);
  });

  it('clipValue is applied before clipNorm (legacy tf.keras order), so both bounds hold', () => {
    // g = [3, 4], clipValue 3.5, clipNorm 4.5:
    //   value first: [3, 3.5], norm √21.25 = 4.6098 > 4.5 → ·4.5/√21.25 = [2.9285611806, 3.4166547106]
    //   (norm first would give [2.7, 3.6] → [2.7, 3.5])
    // lr = 0.1 from w = [1, 1]: [0.7071438819, 0.6583345289]
    const w = param([1, 1]);
    w.grad = tensor([3, 4]);
    new SGD({ learningRate: 0.1, clipValue: 3.5, clipNorm: 4.5 }).step([w]);
    expectClose(w.data, [0.7071438819448141, 0.6583345289356164]);
  });

  it('leaves a weight with zero gradient unchanged, with or without momentum', () => {
    for (const options of [{}, { momentum: 0.9 }, { momentum: 0.9, nesterov: true }]) {
      const w = param([1, 0.123456789]);
      const opt = new SGD({ learningRate: 0.1, ...options });
      for (let k = 0; k < 4; k++) {
        w.grad = tensor([2 * w.data[0], 0]);
        opt.step([w]);
      }
      expect(w.data[1]).toBe(0.123456789);
    }
  });

  it('throws on a non-finite gradient, naming SGD and the parameter, and changes nothing', () => {
    const [a, b] = [param([1, -0.5]), param([3])];
    const [a2, b2] = [param([1, -0.5]), param([3])];
    const opt = new SGD({ learningRate: 0.1, momentum: 0.5 });
    const twin = new SGD({ learningRate: 0.1, momentum: 0.5 });
    setSquareGrads([a, b, a2, b2]);
    opt.step([a, b]);
    twin.step([a2, b2]);
    const before = JSON.stringify({ a: Array.from(a.data), b: Array.from(b.data), state: opt.getState() });
    setSquareGrads([a, b]);
    a.grad!.data[1] = NaN;
    expect(() => opt.step([a, b])).toThrow(ValueError);
    expect(() => opt.step([a, b])).toThrow(/SGD\.step: gradient of parameter 0 \(shape \[2\]\) has a non-finite entry NaN at index 1/);
    expect(JSON.stringify({ a: Array.from(a.data), b: Array.from(b.data), state: opt.getState() })).toBe(before);
    setSquareGrads([a, b, a2, b2]);
    opt.step([a, b]);
    twin.step([a2, b2]);
    expect(a.data).toEqual(a2.data);
    expect(b.data).toEqual(b2.data);
  });

  it('getState/setState through JSON resumes a Nesterov trajectory bit for bit', () => {
    const rng = seededRng('sgd-state-roundtrip');
    const params = [randn(rng, [2, 3]), randn(rng, [3])].map((t) => new Tensor(t.data, t.shape, { requiresGrad: true }));
    const grads = (ps: Tensor[]): void => ps.forEach((p) => { p.grad = tensor(Array.from(p.data, (w) => 2 * w + Math.sin(w)), p.shape); });
    const opt = new SGD({ learningRate: 0.03, momentum: 0.7, nesterov: true, globalClipNorm: 2 });
    for (let k = 0; k < 3; k++) { grads(params); opt.step(params); }
    const saved = JSON.stringify({ config: opt.getConfig(), state: opt.getState(), weights: params.map((p) => Array.from(p.data)) });
    for (let k = 0; k < 3; k++) { grads(params); opt.step(params); }

    const file = JSON.parse(saved);
    const restored: Tensor[] = file.weights.map((w: number[], k: number) => tensor(w, params[k].shape, { requiresGrad: true }));
    const resumed = SGD.fromConfig(file.config);
    resumed.setState(file.state, restored);
    for (let k = 0; k < 3; k++) { grads(restored); resumed.step(restored); }
    restored.forEach((p, k) => expect(p.data).toEqual(params[k].data));
    expect(resumed.getState()).toEqual(opt.getState());
  });

  it('has no slots without momentum, and its state says so', () => {
    const w = param([1]);
    const opt = new SGD();
    setSquareGrads([w]);
    opt.step([w]);
    expect(opt.getState()).toEqual({ iterations: 1, slots: {} });
    expect(() => opt.setState({ iterations: 1, slots: { velocity: [[0]] } })).toThrow(/SGD\.setState: 'state\.slots' has slots \[velocity\], expected \[\]/);
    // An Adam state does not load into SGD.
    const adam = new Adam();
    adam.step([w]);
    expect(() => new SGD({ momentum: 0.9 }).setState(adam.getState(), [w])).toThrow(/has slots \[m, v\], expected \[velocity\]/);
  });

  it('validates options, naming SGD and the option', () => {
    expect(() => new SGD({ learning_rate: 0.1 } as never)).toThrow(/SGD: unknown option 'learning_rate' \(did you mean 'learningRate'\?\); valid options are learningRate, momentum, nesterov, clipNorm, globalClipNorm, clipValue/);
    expect(() => new SGD({ Momentum: 0.9 } as never)).toThrow(/unknown option 'Momentum' \(did you mean 'momentum'\?\)/);
    expect(() => new SGD({ learningRate: -0.1 })).toThrow(RangeError);
    expect(() => new SGD({ learningRate: -0.1 })).toThrow(/SGD: 'learningRate' must be a finite number > 0, got -0\.1/);
    expect(() => new SGD({ momentum: 1.1 })).toThrow(/SGD: 'momentum' must be a finite number ≥ 0 and ≤ 1, got 1\.1/);
    expect(() => new SGD({ momentum: -0.1 })).toThrow(RangeError);
    expect(() => new SGD({ nesterov: 'yes' } as never)).toThrow(TypeError);
    expect(() => new SGD({ nesterov: 'yes' } as never)).toThrow(/SGD: 'nesterov' must be a boolean, got string/);
    expect(() => new SGD({ clipNorm: 1, globalClipNorm: 2 })).toThrow(/SGD: at most one of 'clipNorm' and 'globalClipNorm'/);
    expect(() => new SGD({ momentum: 1 })).not.toThrow();
  });

  it('uses Keras defaults and round-trips its config through JSON', () => {
    expect(new SGD().getConfig()).toEqual({ learningRate: 0.01, momentum: 0, nesterov: false });
    const config = JSON.parse(JSON.stringify(new SGD({ learningRate: 0.2, momentum: 0.5, nesterov: true, globalClipNorm: 1 }).getConfig()));
    expect(config).toEqual({ learningRate: 0.2, momentum: 0.5, nesterov: true, globalClipNorm: 1 });
    expect(SGD.fromConfig(config).getConfig()).toEqual(config);
  });

  it('counts iterations and lets the learning rate change between steps', () => {
    // lr 0.1 then 0.05 on g = 2w from w = 1: 1 − 0.2 = 0.8, then 0.8 − 0.05·1.6 = 0.72
    const w = param([1]);
    const opt = new SGD({ learningRate: 0.1 });
    setSquareGrads([w]);
    opt.step([w]);
    opt.learningRate = 0.05;
    setSquareGrads([w]);
    opt.step([w]);
    expectClose(w.data, [0.72]);
    expect(opt.iterations).toBe(2);
  });
});
