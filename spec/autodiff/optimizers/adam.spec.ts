import { Adam } from '../../../autodiff/optimizers/adam.js';
import { SGD } from '../../../autodiff/optimizers/sgd.js';
import { mul } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { Tensor, tensor } from '../../../autodiff/tensor.js';
import { ValueError } from '../../../lib/util/errors.js';
import { randn, seededRng } from '../../helpers/grad-check.js';
import { expectClose, param, setSquareGrads } from '../../helpers/optimizer-helpers.js';

describe('Adam', () => {
  it('follows a hand-computed 3-step trajectory on f(w) = w₁² + w₂² (Keras update, ε = 1e-7)', () => {
    // lr = 0.1, β₁ = 0.9, β₂ = 0.999, ε = 1e-7, w = [1, −0.5], g = 2w.
    const w = param([1, -0.5]);
    const opt = new Adam({ learningRate: 0.1 });
    // Step 1 (t = 1): g = [2, −1]
    //   m = 0.1·g = [0.2, −0.1];  v = 0.001·g² = [0.004, 0.001];  √v = [0.0632455532, 0.0316227766]
    //   α₁ = 0.1·√(1 − 0.999)/(1 − 0.9) = √0.001 = 0.0316227766
    //   Δ₁ = α₁·m/(√v + ε) = 0.1/(1 + 1e-7/0.0632455532) = 0.0999998419   (≈ lr: the first step has size lr)
    //   Δ₂ = −0.1/(1 + 1e-7/0.0316227766) = −0.0999996838
    //   w = [1 − 0.0999998419, −0.5 + 0.0999996838] = [0.9000001581, −0.4000003162]
    setSquareGrads([w]);
    opt.step([w]);
    expectClose(w.data, [0.900000158113633, -0.400000316226766]);
    expect(opt.iterations).toBe(1);
    // Step 2 (t = 2): g = [1.8000003162, −0.8000006325]
    //   m = 0.9·0.2 + 0.1·1.8000003162 = 0.3600000316;   0.9·(−0.1) + 0.1·(−0.8000006325) = −0.1700000632
    //   v = 0.999·0.004 + 0.001·1.8000003162² = 0.003996 + 0.0032400011 = 0.0072360011
    //       0.999·0.001 + 0.001·0.8000006325² = 0.000999 + 0.0006400010 = 0.0016390010
    //   α₂ = 0.1·√(1 − 0.999²)/(1 − 0.9²) = 0.1·√0.001999/0.19 = 0.0235316725
    //   Δ = α₂·m/(√v + ε) = 0.0235316725·0.3600000316/0.0850647880 = 0.0995876562
    //       0.0235316725·(−0.1700000632)/0.0404846775 = −0.0988123426
    //   w = [0.9000001581 − 0.0995876562, −0.4000003162 + 0.0988123426] = [0.8004125019, −0.3011879736]
    setSquareGrads([w]);
    opt.step([w]);
    expectClose(w.data, [0.8004125019437753, -0.3011879736307703]);
    // Step 3 (t = 3): g = [1.6008250039, −0.6023759473]
    //   m = 0.9·0.3600000316 + 0.1·1.6008250039 = 0.4840825288;   −0.1530000569 − 0.0602375947 = −0.2132376516
    //   v = 0.999·0.0072360011 + 0.001·2.5626406931 = 0.0097914058
    //       0.999·0.0016390010 + 0.001·0.3628567818 = 0.0020002188
    //   α₃ = 0.1·√(1 − 0.999³)/(1 − 0.9³) = 0.1·√0.002997001/0.271 = 0.0202010597
    //   Δ = 0.0202010597·0.4840825288/(0.0989515327 + 1e-7) = 0.0988258588
    //       0.0202010597·(−0.2132376516)/(0.0447238057 + 1e-7) = −0.0963159741
    //   w = [0.7015866431, −0.2048719995]
    setSquareGrads([w]);
    opt.step([w]);
    expectClose(w.data, [0.7015866431267169, -0.204871999501114]);
    // The slots after step 3 are the m and v above.
    const state = opt.getState();
    expect(state.iterations).toBe(3);
    expectClose(state.slots.m[0], [0.48408252884920894, -0.21323765164697192]);
    expectClose(state.slots.v[0], [0.009791405830351426, 0.0020002187927533653]);
  });

  it('gets the same trajectory from gradients made by backward()', () => {
    const w = param([1, -0.5]);
    const opt = new Adam({ learningRate: 0.1 });
    for (let k = 0; k < 3; k++) {
      sum(mul(w, w)).backward(); // dΣw²/dw = 2w
      opt.step([w]);
      opt.zeroGrad([w]);
      expect(w.grad).toBeNull();
    }
    expectClose(w.data, [0.7015866431267169, -0.204871999501114]);
  });

  it('updates p.data in place and records no graph', () => {
    const w = param([1, -0.5]);
    const data = w.data;
    setSquareGrads([w]);
    new Adam().step([w]);
    expect(w.data).toBe(data); // the same buffer a layer holds
    expect(w.parents).toEqual([]);
    expect(w.backwardFn).toBeNull();
    expect(w.requiresGrad).toBe(true);
  });

  it('bias correction: with ε = 0 the first step is exactly lr·sign(g), whatever |g|', () => {
    // t = 1: m = (1 − β₁)g, √v = √(1 − β₂)|g|, α = lr·√(1 − β₂)/(1 − β₁),
    // so α·m/√v = lr·sign(g). Without the corrections it would be lr·0.1/√0.001 ≈ 3.16·lr.
    const w = param([0, 0, 0]);
    w.grad = tensor([1e-3, -1, 1e3]);
    new Adam({ learningRate: 0.01, epsilon: 0 }).step([w]);
    expectClose(w.data, [-0.01, 0.01, -0.01], 1e-17);
  });

  it('adds ε to the uncorrected √v (Keras), not to √v̂ (paper Algorithm 1)', () => {
    // ε = 1, w = 1, g = 2, lr = 0.1: m = 0.2, √v = √0.004 = 0.0632455532, α = 0.0316227766
    //   Keras:  Δ = α·m/(√v + ε) = 0.0063245553/1.0632455532 = 0.0059483487
    //   paper:  Δ = lr·m̂/(√v̂ + ε) = 0.1·2/(2 + 1) = 0.0667
    const w = param([1]);
    w.grad = tensor([2]);
    new Adam({ learningRate: 0.1, epsilon: 1 }).step([w]);
    expectClose(w.data, [0.9940516512848024]);
  });

  it('clipNorm clips each gradient tensor to that norm on its own', () => {
    // a = [1, −0.5], b = [3], g = 2w, clipNorm = 2.5.
    // ‖g_a‖ = √5 = 2.236 < 2.5 at every step, so a follows the unclipped trajectory above.
    // ‖g_b‖ = 6, 5.8, 5.6 > 2.5: b always sees g = 2.5, so m_t = 2.5(1 − β₁ᵗ), √v_t = 2.5√(1 − β₂ᵗ) and
    //   Δ_t = α_t·m_t/(√v_t + ε) = lr·2.5√(1 − β₂ᵗ)/(2.5√(1 − β₂ᵗ) + ε) = 0.1·(1 − 1e-7/(2.5√(1 − β₂ᵗ)))
    //   t = 1: 0.1·(1 − 1e-7/0.0790569415) = 0.0999998735  → b = 2.9000001265
    //   t = 2: 0.1·(1 − 1e-7/0.1117754445) = 0.0999999105  → b = 2.8000002160
    //   t = 3: 0.1·(1 − 1e-7/0.1368621798) = 0.0999999269  → b = 2.7000002890
    // Unclipped, b would be 2.9000000527, 2.8001027976, 2.7003816447.
    const a = param([1, -0.5]);
    const b = param([3]);
    const opt = new Adam({ learningRate: 0.1, clipNorm: 2.5 });
    const bs: number[] = [];
    for (let k = 0; k < 3; k++) {
      setSquareGrads([a, b]);
      const gb = b.grad!.data[0];
      opt.step([a, b]);
      expect(b.grad!.data[0]).toBe(gb); // clipping works on a copy; .grad is untouched
      bs.push(b.data[0]);
    }
    expectClose(bs, [2.9000001264909465, 2.800000215955955, 2.7000002890221064]);
    expectClose(a.data, [0.7015866431267169, -0.204871999501114]);
    expect(Math.abs(b.data[0] - 2.700381644695592)).toBeGreaterThan(1e-4); // clipping changed the outcome
  });

  it('globalClipNorm scales all gradients together to the joint norm', () => {
    // a = [1, −0.5], b = [3], g = 2w, globalClipNorm = 2.5.
    // Step 1: N = √(2² + 1² + 6²) = √41 = 6.4031242374, scale 2.5/√41 = 0.3904344047
    //   g = [0.7808688094, −0.3904344047, 2.3426064283]
    //   m = 0.1·g, v = 0.001·g², α₁ = 0.0316227766
    //   Δ = 0.1/(1 + 1e-7/(√0.001·|g|)) = [0.0999995950, −0.0999991901, 0.0999998650]
    //   a = [0.9000004050, −0.4000008099], b = 2.9000001350
    // Step 2: g = 2w = [1.8000008099, −0.8000016199, 5.8000002700], N = 6.1253578377, scale 0.4081394208 →
    //   g = [0.7346512880, −0.3265121978, 2.3672087508]; m = 0.9m + 0.1g, v = 0.999v + 0.001g², α₂ = 0.0235316725
    //   a = [0.8002060781, −0.3008595543], b = 2.7999743632
    // Step 3: likewise, α₃ = 0.0202010597: a = [0.7008155252, −0.2036515135], b = 2.6999069107
    const a = param([1, -0.5]);
    const b = param([3]);
    const opt = new Adam({ learningRate: 0.1, globalClipNorm: 2.5 });
    const trajectory: number[][] = [];
    for (let k = 0; k < 3; k++) {
      setSquareGrads([a, b]);
      opt.step([a, b]);
      trajectory.push([a.data[0], a.data[1], b.data[0]]);
    }
    expectClose(trajectory[0], [0.9000004049674947, -0.4000008099317093, 2.9000001349895292]);
    expectClose(trajectory[1], [0.8002060781367445, -0.3008595543342287, 2.7999743632446017]);
    expectClose(trajectory[2], [0.700815525213036, -0.203651513545693, 2.699906910744919]);
  });

  it('leaves a weight whose gradient is always zero (a masked weight) bit-for-bit unchanged', () => {
    // m = v = 0 for that entry, so α·m/(√v + ε) = 0; with ε = 0 it would be 0/0, hence the m ≠ 0 guard.
    for (const epsilon of [1e-7, 0]) {
      const w = param([1, 0.123456789, -2]);
      const opt = new Adam({ learningRate: 0.1, epsilon, clipNorm: 1 });
      for (let k = 0; k < 5; k++) {
        w.grad = tensor([2 * w.data[0], 0, 2 * w.data[2]]);
        opt.step([w]);
      }
      expect(w.data[1]).toBe(0.123456789);
      expect(Number.isFinite(w.data[0]) && w.data[0] !== 1).toBe(true);
    }
  });

  it('skips parameters whose grad is null but still counts the step and keeps their slots', () => {
    const a = param([1, -0.5]);
    const b = param([3]);
    const opt = new Adam({ learningRate: 0.1 });
    setSquareGrads([a]);
    opt.step([a, b]);
    expect(Array.from(b.data)).toEqual([3]);
    expectClose(a.data, [0.900000158113633, -0.400000316226766]);
    expect(opt.getState().slots.m).toEqual([[0.19999999999999996, -0.09999999999999998], [0]]);
    expect(opt.iterations).toBe(1);
  });

  it('throws on a non-finite gradient, naming Adam and the parameter, and changes nothing', () => {
    const run = (opt: Adam, a: Tensor, b: Tensor): void => {
      setSquareGrads([a, b]);
      opt.step([a, b]);
    };
    const [a, b] = [param([1, -0.5]), param([3, 0.25])];
    const [a2, b2] = [param([1, -0.5]), param([3, 0.25])];
    const opt = new Adam({ learningRate: 0.1 });
    const twin = new Adam({ learningRate: 0.1 });
    run(opt, a, b);
    run(opt, a, b);
    run(twin, a2, b2);
    run(twin, a2, b2);

    const before = { a: a.data.slice(), b: b.data.slice(), state: JSON.stringify(opt.getState()) };
    for (const bad of [NaN, Infinity, -Infinity]) {
      setSquareGrads([a, b]);
      b.grad!.data[1] = bad;
      expect(() => opt.step([a, b])).toThrow(ValueError);
      expect(() => opt.step([a, b])).toThrow(new RegExp(`Adam\\.step: gradient of parameter 1 \\(shape \\[2\\]\\) has a non-finite entry ${bad} at index 1`));
      expect(a.data).toEqual(before.a);
      expect(b.data).toEqual(before.b);
      expect(JSON.stringify(opt.getState())).toBe(before.state);
      expect(opt.iterations).toBe(2);
    }
    // A following finite step gives exactly what an optimizer that never saw the bad step gives.
    run(opt, a, b);
    run(twin, a2, b2);
    expect(a.data).toEqual(a2.data);
    expect(b.data).toEqual(b2.data);
    expect(opt.getState()).toEqual(twin.getState());
  });

  it('getState/setState through JSON resumes a trajectory bit for bit', () => {
    const rng = seededRng('adam-state-roundtrip');
    const targets = [randn(rng, [3, 2]), randn(rng, [4])];
    // f(w) = Σ (w − target)² · (1 + index), so the parameters see different gradient scales
    const grads = (ps: Tensor[]): void => ps.forEach((p, k) => {
      p.grad = tensor(Array.from(p.data, (w, i) => 2 * (k + 1) * (w - targets[k].data[i])), p.shape);
    });
    const params = [randn(rng, [3, 2]), randn(rng, [4])].map((t) => new Tensor(t.data, t.shape, { requiresGrad: true }));
    const opt = new Adam({ learningRate: 0.05, beta1: 0.8, clipValue: 1.5 });
    for (let k = 0; k < 4; k++) {
      grads(params);
      opt.step(params);
    }
    const saved = JSON.stringify({ config: opt.getConfig(), state: opt.getState(), weights: params.map((p) => Array.from(p.data)) });
    for (let k = 0; k < 3; k++) {
      grads(params);
      opt.step(params);
    }

    const file = JSON.parse(saved);
    const restored = file.weights.map((w: number[], k: number) => tensor(w, params[k].shape, { requiresGrad: true }));
    const resumed = Adam.fromConfig(file.config);
    resumed.setState(file.state, restored);
    expect(resumed.iterations).toBe(4);
    for (let k = 0; k < 3; k++) {
      grads(restored);
      resumed.step(restored);
    }
    restored.forEach((p: Tensor, k: number) => expect(p.data).toEqual(params[k].data));
    expect(resumed.getState()).toEqual(opt.getState());
  });

  it('setState without params binds the slots at the next step, in the order step receives', () => {
    const a = param([1, -0.5]);
    const b = param([3]);
    const opt = new Adam({ learningRate: 0.1 });
    setSquareGrads([a, b]);
    opt.step([a, b]);
    const state = JSON.parse(JSON.stringify(opt.getState()));
    const [a2, b2] = [param(Array.from(a.data)), param(Array.from(b.data))];
    const fresh = new Adam({ learningRate: 0.1 });
    fresh.setState(state);
    expect(fresh.getState()).toEqual(state);
    setSquareGrads([a, b, a2, b2]);
    opt.step([a, b]);
    fresh.step([a2, b2]);
    expect(a2.data).toEqual(a.data);
    expect(b2.data).toEqual(b.data);
  });

  it('setState rejects mismatched states by name and changes nothing', () => {
    const a = param([1, -0.5]);
    const b = param([3]);
    const opt = new Adam();
    setSquareGrads([a, b]);
    opt.step([a, b]);
    const good = opt.getState();
    const before = JSON.stringify(good);
    const bad = (patch: (s: ReturnType<Adam['getState']>) => unknown): unknown => patch(JSON.parse(before));
    const cases: Array<[unknown, RegExp, ErrorConstructor | typeof ValueError]> = [
      [bad((s) => ({ ...s, slots: { m: s.slots.m } })), /Adam\.setState: 'state\.slots' has slots \[m\], expected \[m, v\]/, ValueError],
      [bad((s) => ({ ...s, slots: { ...s.slots, velocity: [] } })), /has slots \[m, v, velocity\], expected \[m, v\]/, ValueError],
      [bad((s) => ({ ...s, slots: { m: s.slots.m.slice(0, 1), v: s.slots.v } })), /slot 'm' holds 1 parameters, expected 2/, ValueError],
      [bad((s) => ({ ...s, slots: { m: s.slots.m, v: [s.slots.v[0], [1, 2]] } })), /slot 'v' has 2 values for parameter 1, expected 1 \(shape \[1\]\)/, ValueError],
      [bad((s) => ({ ...s, slots: { m: s.slots.m, v: [[null, 1], [1]] } })), /slot 'v' parameter 0 index 0 is null, expected a finite number/, TypeError],
      [bad((s) => ({ ...s, iterations: -1 })), /'state\.iterations' must be a non-negative integer, got -1/, TypeError],
      [bad((s) => ({ ...s, iterations: 1.5 })), /got 1\.5/, TypeError],
      [null, /Adam\.setState: 'state' must be an object/, TypeError],
    ];
    for (const [state, message, kind] of cases) {
      expect(() => opt.setState(state as never)).toThrow(kind);
      expect(() => opt.setState(state as never)).toThrow(message);
      expect(JSON.stringify(opt.getState())).toBe(before);
    }
    // Against explicit params, sizes are checked immediately.
    expect(() => opt.setState(good, [a, param([1, 2])])).toThrow(/slot 'm' has 1 values for parameter 1, expected 2/);
    expect(JSON.stringify(opt.getState())).toBe(before);
  });

  it('a deferred state whose sizes do not fit is rejected at step, naming the mismatch', () => {
    const opt = new Adam();
    opt.setState({ iterations: 2, slots: { m: [[0.1, 0.2]], v: [[0.01, 0.04]] } });
    const w = param([1, 2, 3]);
    setSquareGrads([w]);
    expect(() => opt.step([w])).toThrow(/Adam\.step: the state given to setState has 2 values in slot 'm' for parameter 0, but it has shape \[3\]/);
    expect(Array.from(w.data)).toEqual([1, 2, 3]);
    expect(opt.iterations).toBe(2);
    expect(() => opt.step([w, param([1])])).toThrow(/holds 1 parameters, but step got 2/);
  });

  it('validates options: unknown names, kinds and ranges, naming Adam and the option', () => {
    expect(() => new Adam({ learningrate: 0.1 } as never)).toThrow(TypeError);
    expect(() => new Adam({ learningrate: 0.1 } as never)).toThrow(/Adam: unknown option 'learningrate' \(did you mean 'learningRate'\?\); valid options are learningRate, beta1, beta2, epsilon, clipNorm, globalClipNorm, clipValue/);
    expect(() => new Adam({ momentum: 0.9 } as never)).toThrow(/Adam: unknown option 'momentum'; valid/);
    expect(() => new Adam(null as never)).toThrow(/Adam: 'options' must be an object, got null/);
    expect(() => new Adam({ learningRate: '0.1' } as never)).toThrow(TypeError);
    expect(() => new Adam({ learningRate: '0.1' } as never)).toThrow(/Adam: 'learningRate' must be a number, got '0\.1'/);
    for (const lr of [0, -1, NaN, Infinity]) {
      expect(() => new Adam({ learningRate: lr })).toThrow(RangeError);
      expect(() => new Adam({ learningRate: lr })).toThrow(new RegExp(`Adam: 'learningRate' must be a finite number > 0, got ${lr}`));
    }
    expect(() => new Adam({ beta1: 1 })).toThrow(/Adam: 'beta1' must be a finite number ≥ 0 and < 1, got 1/);
    expect(() => new Adam({ beta2: -0.1 })).toThrow(/Adam: 'beta2' must be a finite number ≥ 0 and < 1, got -0\.1/);
    expect(() => new Adam({ epsilon: -1e-8 })).toThrow(/Adam: 'epsilon' must be a finite number ≥ 0, got -1e-8/);
    expect(() => new Adam({ epsilon: Infinity })).toThrow(RangeError);
    expect(() => new Adam({ clipNorm: 0 })).toThrow(/Adam: 'clipNorm' must be a finite number > 0, got 0/);
    expect(() => new Adam({ globalClipNorm: -1 })).toThrow(RangeError);
    expect(() => new Adam({ clipValue: NaN })).toThrow(/'clipValue'/);
    expect(() => new Adam({ clipNorm: 1, globalClipNorm: 1 })).toThrow(/Adam: at most one of 'clipNorm' and 'globalClipNorm' can be set/);
    expect(() => new Adam({ clipNorm: 1, clipValue: 0.5 })).not.toThrow();
    expect(() => new Adam({ beta1: 0, beta2: 0, epsilon: 0 })).not.toThrow();
    const opt = new Adam();
    expect(() => { opt.learningRate = 0; }).toThrow(/Adam: 'learningRate' must be a finite number > 0, got 0/);
    expect(opt.learningRate).toBe(0.001);
  });

  it('uses Keras defaults and round-trips its config through JSON', () => {
    const opt = new Adam();
    expect(opt.getConfig()).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    const custom = new Adam({ learningRate: 0.02, beta2: 0.99, clipNorm: 3, clipValue: 1 });
    const config = JSON.parse(JSON.stringify(custom.getConfig()));
    expect(config).toEqual({ learningRate: 0.02, beta1: 0.9, beta2: 0.99, epsilon: 1e-7, clipNorm: 3, clipValue: 1 });
    expect(Adam.fromConfig(config).getConfig()).toEqual(config);
    expect(custom.className).toBe('Adam');
    // Rejects an SGD config instead of ignoring its keys.
    expect(() => Adam.fromConfig(new SGD().getConfig() as never)).toThrow(/Adam: unknown option 'momentum'/);
  });

  it('step rejects bad params by name', () => {
    const opt = new Adam();
    const w = param([1]);
    expect(() => opt.step(w as never)).toThrow(/Adam\.step: 'params' must be an array of Tensors/);
    expect(() => opt.step([w, [1] as never])).toThrow(/Adam\.step: params\[1\] must be a Tensor, got \[1\]/);
    w.grad = tensor([1]);
    expect(() => opt.step([w, w])).toThrow(/Adam\.step: params\[1\] is the same tensor as an earlier entry/);
    expect(() => opt.step([param([1]), param([2])])).toThrow(/Adam\.step: none of the 2 parameters has a gradient/);
    w.grad = tensor([1, 2]);
    expect(() => opt.step([w])).toThrow(/Adam\.step: gradient of parameter 0 has shape \[2\], expected \[1\]/);
    expect(opt.iterations).toBe(0);
    opt.step([]); // nothing to do
    expect(opt.iterations).toBe(0);
  });
});
