import { mul } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { ones, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import type { Activation } from '../../../flows/made/activations.js';
import {
  AutoregressiveNetwork, type AutoregressiveNetworkConfig, type AutoregressiveNetworkOptions, type ConditionalInputLayers,
} from '../../../flows/made/autoregressive-network.js';
import type { HiddenDegrees, InputOrder } from '../../../flows/made/degrees.js';
import { makeMasks } from '../../../flows/made/masks.js';
import { ValueError } from '../../../lib/util/errors.js';
import { Random } from '../../../lib/util/random.js';
import { expectGradClose, randn, seededRng } from '../../helpers/grad-check.js';
import { expectAutoregressive } from './autoregressive-check.js';

/** A network whose forward pass reads weights a test hands it, so expectGradClose can differentiate them. */
class Probe extends AutoregressiveNetwork {
  useWeights(ws: Tensor[]): void {
    this.weights = ws;
  }
}

/** Bit-exact equality of two arrays (Object.is would tell 0 from −0, which no test cares about). */
function bitEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('AutoregressiveNetwork: masks and shapes as TFP', () => {
  it("has TFP's masks for E = 3, params 2, hidden [4, 4] and [5, 3]", () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [4, 4] });
    expect(made.masks.map((m) => m.toArray())).toEqual([
      [[1, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]],
      [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]],
      [[0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 1, 1]],
    ]);
    expect(made.inputOrder).toEqual([1, 2, 3]);
    expect(made.hiddenDegrees).toEqual([[1, 1, 2, 2], [1, 1, 2, 2]]);
    const narrow = new AutoregressiveNetwork({ params: 2, eventShape: [3], hiddenUnits: [5, 3] });
    expect(narrow.masks[1].toArray()).toEqual([[1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 0, 1], [0, 0, 1]]);
  });

  it("has TFP's parameter counts (masked entries included, as Keras counts)", () => {
    // E=4, p=3, [10,7,10]: (4·10+10) + (10·7+7) + (7·10+10) + (10·12+12) = 50 + 77 + 80 + 132 = 339
    expect(new AutoregressiveNetwork({ params: 3, eventShape: 4, hiddenUnits: [10, 7, 10] }).countParams()).toBe(339);
    // E=5, p=2, [9]: (5·9+9) + (9·10+10) = 54 + 100 = 154
    expect(new AutoregressiveNetwork({ params: 2, eventShape: 5, hiddenUnits: [9] }).countParams()).toBe(154);
    // E=9, p=1, [5,5], no bias: 9·5 + 5·5 + 5·9 = 45 + 25 + 45 = 115
    expect(new AutoregressiveNetwork({ params: 1, eventShape: 9, hiddenUnits: [5, 5], useBias: false }).countParams()).toBe(115);
    // E=3, p=4, no hidden, no bias: 3·12 = 36
    expect(new AutoregressiveNetwork({ params: 4, eventShape: 3, useBias: false }).countParams()).toBe(36);
    // E=4, p=2, [5,5]: (4·5+5) + (5·5+5) + (5·8+8) = 25 + 30 + 48 = 103
    expect(new AutoregressiveNetwork({ params: 2, eventShape: 4, hiddenUnits: [5, 5] }).countParams()).toBe(103);
  });

  it('runs its TSDoc example', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [4], activation: 'relu' });
    expect(made.inputOrder).toEqual([1, 2, 3]);
    expect(made.hiddenDegrees).toEqual([[1, 1, 2, 2]]);
    expect(made.masks[0].toArray()).toEqual([[1, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]);
    expect(made.masks[1].toArray()).toEqual([[0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 1, 1]]);
    expect(made.call(tensor([[0.5, -1, 2]])).shape).toEqual([1, 3, 2]);
    expect(made.countParams()).toBe(46);
  });

  it('maps [...batch, E] to [...batch, E, params] for any number of batch dims', () => {
    const rng = seededRng('made-shapes');
    const made = new AutoregressiveNetwork({ params: 3, eventShape: 4, hiddenUnits: [6], activation: 'tanh', seed: 1 });
    expect(made.call(randn(rng, [4])).shape).toEqual([4, 3]);
    expect(made.call(randn(rng, [5, 4])).shape).toEqual([5, 4, 3]);
    expect(made.call(randn(rng, [2, 3, 4])).shape).toEqual([2, 3, 4, 3]);
    expect(made.call(zeros([0, 4])).shape).toEqual([0, 4, 3]);
    // A batch is the rows run one by one: row b of call(x) is call(x[b]).
    const x = randn(rng, [2, 3, 4]);
    const y = made.call(x);
    for (let r = 0; r < 6; r++) {
      const row = made.call(tensor(x.data.slice(r * 4, r * 4 + 4), [4]));
      for (let i = 0; i < 12; i++) expect(row.data[i]).toBeCloseTo(y.data[r * 12 + i], 14);
    }
  });

  it('flatOutput is call without the reshape: column d·params + p is y[..., d, p]', () => {
    const rng = seededRng('made-flat');
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [5], activation: 'elu', seed: 'flat' });
    const x = randn(rng, [4, 3]);
    const flat = made.flatOutput(x);
    expect(flat.shape).toEqual([4, 6]);
    const y = made.call(x);
    expect(bitEqual(flat.data, y.data)).toBe(true);
    // shift of dimension 2 in row 1 is column 2·2 + 0 = 4, logScale column 5
    expect(flat.data[1 * 6 + 4]).toBe((y.toArray() as number[][][])[1][2][0]);
    expect(flat.data[1 * 6 + 5]).toBe((y.toArray() as number[][][])[1][2][1]);
  });

  it('builds at the first call when eventShape is absent, with the same weights as an eager build', () => {
    const lazy = new AutoregressiveNetwork({ params: 2, hiddenUnits: [7], inputOrder: 'random', hiddenDegrees: 'random', seed: 9 });
    expect(lazy.built).toBe(false);
    expect(lazy.eventShape).toBeUndefined();
    expect(() => lazy.masks).toThrow(/AutoregressiveNetwork.masks: the network is not built yet/);
    expect(lazy.call(zeros([2, 5])).shape).toEqual([2, 5, 2]);
    expect(lazy.built).toBe(true);
    expect(lazy.eventShape).toEqual([5]);
    expect(lazy.eventSize).toBe(5);
    const eager = new AutoregressiveNetwork({ params: 2, eventShape: 5, hiddenUnits: [7], inputOrder: 'random', hiddenDegrees: 'random', seed: 9 });
    expect(lazy.inputOrder).toEqual(eager.inputOrder);
    expect(lazy.hiddenDegrees).toEqual(eager.hiddenDegrees);
    lazy.getWeights().forEach((w, i) => expect(bitEqual(w.data, eager.getWeights()[i].data)).toBe(true));
    const viaBuild = new AutoregressiveNetwork({ params: 2, hiddenUnits: [7], inputOrder: 'random', hiddenDegrees: 'random', seed: 9 });
    viaBuild.build([10, 5]);
    expect(viaBuild.inputOrder).toEqual(eager.inputOrder);
    expect(() => lazy.call(zeros([2, 6]))).toThrow(/AutoregressiveNetwork.call: 'x' has shape \[2,6\], expected \[\.\.\., 5\]/);
  });

  it("seeds 'random' orders, degrees and weights; a Random seed is recorded as a number", () => {
    const options = { params: 1, eventShape: 10, hiddenUnits: [12], inputOrder: 'random', hiddenDegrees: 'random' } as const;
    const a = new AutoregressiveNetwork({ ...options, seed: 'a' });
    const a2 = new AutoregressiveNetwork({ ...options, seed: 'a' });
    const b = new AutoregressiveNetwork({ ...options, seed: 'b' });
    expect(a2.inputOrder).toEqual(a.inputOrder);
    expect(a2.hiddenDegrees).toEqual(a.hiddenDegrees);
    expect(bitEqual(a2.getWeights()[0].data, a.getWeights()[0].data)).toBe(true);
    expect(b.inputOrder).not.toEqual(a.inputOrder); // 10! orders
    const fromRandom = new AutoregressiveNetwork({ ...options, seed: new Random(5) });
    expect(typeof fromRandom.seed).toBe('number');
    expect(new AutoregressiveNetwork({ ...options, seed: new Random(5) }).seed).toBe(fromRandom.seed);
  });

  it('starts kernels from the initializer over the full shape, masked, surviving entries not rescaled; biases at zero', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 4, hiddenUnits: [6], seed: 'init' });
    const [k0, b0, k1, b1] = made.getWeights();
    const masks = made.masks;
    [[k0, masks[0]], [k1, masks[1]]].forEach(([k, m]) => {
      // glorotUniform: |w| < √(6/(fanIn + fanOut))
      const limit = Math.sqrt(6 / (k.shape[0] + k.shape[1]));
      for (let i = 0; i < k.size; i++) {
        if (m.data[i] === 0) expect(k.data[i]).toBe(0);
        else expect(Math.abs(k.data[i])).toBeLessThan(limit);
      }
    });
    expect(Array.from(b0.data)).toEqual(new Array(6).fill(0));
    expect(Array.from(b1.data)).toEqual(new Array(8).fill(0));
    // With ones as the initializer the kernels are the masks themselves: nothing rescaled.
    const unit = new AutoregressiveNetwork({ params: 2, eventShape: 4, hiddenUnits: [6], kernelInitializer: 'ones', biasInitializer: (s) => ones(s) });
    expect(unit.getWeights()[0].toArray()).toEqual(unit.masks[0].toArray());
    expect(unit.getWeights()[2].toArray()).toEqual(unit.masks[1].toArray());
    expect(Array.from(unit.getWeights()[1].data)).toEqual(new Array(6).fill(1));
  });
});

describe('AutoregressiveNetwork: conditional input', () => {
  const conditionalNet = (layers: ConditionalInputLayers, seed: string) => new AutoregressiveNetwork({
    params: 2, eventShape: 3, hiddenUnits: [5, 5], activation: 'tanh', conditional: true,
    conditionalEventShape: 4, conditionalInputLayers: layers, seed,
  });

  it('broadcasts the batch shapes of x and the conditional input (TFP shapes)', () => {
    const made = conditionalNet('all_layers', 'cond-shapes');
    expect(made.call(zeros([2, 1, 3]), { conditionalInput: zeros([1, 2, 4]) }).shape).toEqual([2, 2, 3, 2]);
    expect(made.call(zeros([3]), { conditionalInput: zeros([2, 2, 4]) }).shape).toEqual([2, 2, 3, 2]);
    expect(made.call(zeros([5, 3]), { conditionalInput: zeros([4]) }).shape).toEqual([5, 3, 2]);
    expect(made.call(zeros([3]), { conditionalInput: zeros([4]) }).shape).toEqual([3, 2]);
    // Broadcasting repeats rows: each output row is the call on the matching (x, c) pair.
    const rng = seededRng('cond-broadcast');
    const x = randn(rng, [2, 1, 3]);
    const c = randn(rng, [1, 2, 4]);
    const y = made.call(x, { conditionalInput: c });
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const one = made.call(tensor(x.data.slice(i * 3, i * 3 + 3), [3]), { conditionalInput: tensor(c.data.slice(j * 4, j * 4 + 4), [4]) });
        const at = (i * 2 + j) * 6;
        for (let q = 0; q < 6; q++) expect(one.data[q]).toBeCloseTo(y.data[at + q], 14);
      }
    }
  });

  it("orders weights per layer as kernel, bias, conditional kernel ('all_layers') or only in layer 0 ('first_layer')", () => {
    expect(conditionalNet('all_layers', 'w').getWeights().map((w) => w.shape)).toEqual([
      [3, 5], [5], [4, 5], [5, 5], [5], [4, 5], [5, 6], [6], [4, 6],
    ]);
    expect(conditionalNet('first_layer', 'w').getWeights().map((w) => w.shape)).toEqual([
      [3, 5], [5], [4, 5], [5, 5], [5], [5, 6], [6],
    ]);
    const noBias = new AutoregressiveNetwork({ params: 1, eventShape: 2, conditional: true, conditionalEventShape: [3], useBias: false });
    expect(noBias.getWeights().map((w) => w.shape)).toEqual([[2, 2], [3, 2]]);
  });

  it("affects every output with 'all_layers', and with 'first_layer' every output that sees a hidden unit", () => {
    const rng = seededRng('cond-affects');
    const x = randn(rng, [2, 3]);
    const c = randn(rng, [2, 4]);
    const c2 = new Tensor(c.data.map((v) => v + 0.5), c.shape);
    const all = conditionalNet('all_layers', 'affects');
    const y = all.call(x, { conditionalInput: c });
    const y2 = all.call(x, { conditionalInput: c2 });
    for (let i = 0; i < y.size; i++) expect(y2.data[i]).not.toBe(y.data[i]);
    // 'first_layer': c reaches the output only through hidden units, and dimension 1 (degree 1)
    // sees none (its outputs are biases), so only dimensions 2 and 3 (columns 2..5) move.
    const first = conditionalNet('first_layer', 'affects');
    const z = first.call(x, { conditionalInput: c });
    const z2 = first.call(x, { conditionalInput: c2 });
    for (let b = 0; b < 2; b++) {
      for (let col = 0; col < 6; col++) {
        if (col < 2) expect(z2.data[b * 6 + col]).toBe(z.data[b * 6 + col]);
        else expect(z2.data[b * 6 + col]).not.toBe(z.data[b * 6 + col]);
      }
    }
  });
});

describe('AutoregressiveNetwork: the autoregressive property', () => {
  const orders: Array<InputOrder | 'explicit'> = ['left-to-right', 'right-to-left', 'random', 'explicit'];
  const kinds: HiddenDegrees[] = ['equal', 'random'];
  const activations: Activation[] = ['relu', 'tanh', 'sigmoid', 'elu', 'softplus', 'linear', (t) => mul(t, t)];

  /** Configuration `trial`: every order, degree rule, activation and conditional setting is cycled through. */
  function configuration(trial: number, rng: Random): AutoregressiveNetworkOptions {
    const eventSize = trial < 12 ? trial + 1 : rng.int(1, 12);
    const order = orders[trial % orders.length];
    const conditional = trial % 3 !== 0;
    return {
      params: rng.int(1, 3),
      eventShape: eventSize,
      // Widths from 1 (narrower than E − 1: dependencies dropped) to 2E + 2.
      hiddenUnits: Array.from({ length: trial % 4 }, () => rng.int(1, 2 * eventSize + 2)),
      inputOrder: order === 'explicit' ? rng.permutation(eventSize).map((j) => j + 1) : order,
      hiddenDegrees: kinds[Math.floor(trial / 4) % 2],
      activation: activations[trial % activations.length],
      conditional,
      conditionalEventShape: conditional ? rng.int(1, 3) : undefined,
      conditionalInputLayers: trial % 2 === 0 ? 'all_layers' : 'first_layer',
      useBias: trial % 5 !== 4,
      seed: `made-ar-${trial}`,
    };
  }

  it('holds for 60 seeded configurations, by perturbation (bit-equal) and by the autodiff Jacobian (exact zeros)', () => {
    const rng = seededRng('made-autoregressive');
    for (let trial = 0; trial < 60; trial++) {
      const options = configuration(trial, rng);
      const made = new AutoregressiveNetwork(options);
      const C = made.conditionalEventShape?.[0];
      const x = randn(rng, [2, made.eventSize]);
      // A rank-1 conditional input on odd trials, so the broadcast path is exercised too.
      const c = C === undefined ? undefined : randn(rng, trial % 2 === 0 ? [2, C] : [C]);
      expectAutoregressive(made, x, c, `trial ${trial} (${JSON.stringify({ ...options, activation: String(options.activation) })})`);
    }
  });

  it('keeps every allowed dependency when hidden layers are at least E − 1 wide (equal degrees, tanh)', () => {
    const rng = seededRng('made-full-dependency');
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 5, hiddenUnits: [8, 8], activation: 'tanh', inputOrder: 'random', seed: 'full' });
    const m = made.inputOrder;
    const xLeaf = new Tensor(randn(rng, [1, 5]).data, [1, 5], { requiresGrad: true });
    const y = made.call(xLeaf);
    for (let d = 0; d < 5; d++) {
      for (let p = 0; p < 2; p++) {
        const seed = zeros([1, 5, 2]);
        seed.data[d * 2 + p] = 1;
        xLeaf.zeroGrad();
        y.backward(seed);
        const g = xLeaf.grad?.data ?? new Float64Array(5);
        // Nonzero exactly where m(j) < m(d): the Jacobian is strictly triangular in input order, and full.
        for (let j = 0; j < 5; j++) expect(g[j] !== 0).toBe(m[j] < m[d]);
      }
    }
  });

  it('drops dependencies with a hidden layer narrower than E − 1, but stays autoregressive', () => {
    // E = 4, one hidden unit: degree ⌈1·3/2⌉ = 2, so it sees x₁, x₂ and feeds dimensions 3, 4 only;
    // dimension 2 (which may see x₁) and every dependency on x₃ are lost.
    const made = new AutoregressiveNetwork({ params: 1, eventShape: 4, hiddenUnits: [1], seed: 'narrow' });
    expect(made.hiddenDegrees).toEqual([[2]]);
    expect(made.masks[0].toArray()).toEqual([[1], [1], [0], [0]]);
    expect(made.masks[1].toArray()).toEqual([[0, 0, 1, 1]]);
  });
});

describe('AutoregressiveNetwork: config and weights', () => {
  it('getConfig/fromConfig + getWeights/setWeights rebuild a network with bit-identical outputs', () => {
    const rng = seededRng('made-config');
    const made = new AutoregressiveNetwork({
      params: 2, eventShape: 4, hiddenUnits: [6, 5], activation: 'softplus', inputOrder: 'random', hiddenDegrees: 'random',
      conditional: true, conditionalEventShape: 2, conditionalInputLayers: 'first_layer', useBias: true,
      kernelInitializer: 'heNormal', biasInitializer: 'glorotUniform', seed: 77, name: 'made',
    });
    // Move the weights away from their initial values, so the copy must come from setWeights.
    made.trainableWeights.forEach((w) => { for (let i = 0; i < w.size; i++) w.data[i] += 0.01 * (i % 7); });
    made.setWeights(made.getWeights()); // re-zeroes masked entries
    const config = made.getConfig();
    expect(config).toEqual({
      params: 2, eventShape: [4], hiddenUnits: [6, 5], activation: 'softplus', inputOrder: 'random', hiddenDegrees: 'random',
      conditional: true, conditionalEventShape: [2], conditionalInputLayers: 'first_layer', useBias: true,
      kernelInitializer: 'heNormal', biasInitializer: 'glorotUniform', zeroInitOutput: false, residualBlocks: false, dropout: 0,
      seed: 77, name: 'made',
    });
    const copy = AutoregressiveNetwork.fromConfig(JSON.parse(JSON.stringify(config)) as AutoregressiveNetworkConfig);
    expect(copy.masks.map((mk) => mk.toArray())).toEqual(made.masks.map((mk) => mk.toArray()));
    copy.setWeights(made.getWeights());
    const x = randn(rng, [3, 4]);
    const c = randn(rng, [3, 2]);
    expect(bitEqual(copy.call(x, { conditionalInput: c }).data, made.call(x, { conditionalInput: c }).data)).toBe(true);
    expect(copy.getConfig()).toEqual(config);
  });

  it('fromConfig alone gives the same initial weights; a lazily built network records its eventShape', () => {
    const lazy = new AutoregressiveNetwork({ params: 1, hiddenUnits: [3], seed: 'cfg' });
    lazy.call(zeros([3]));
    expect(lazy.getConfig().eventShape).toEqual([3]);
    const copy = AutoregressiveNetwork.fromConfig(lazy.getConfig());
    copy.getWeights().forEach((w, i) => expect(bitEqual(w.data, lazy.getWeights()[i].data)).toBe(true));
  });

  it('setWeights copies in place (trainableWeights stay the live tensors) and zeroes masked entries', () => {
    const made = new AutoregressiveNetwork({ params: 1, eventShape: 3, hiddenUnits: [2] });
    const live = made.trainableWeights;
    expect(live.every((w) => w.requiresGrad && w.op === 'leaf')).toBe(true);
    made.setWeights(made.getWeights().map((w) => ones(w.shape)));
    expect(made.trainableWeights[0]).toBe(live[0]);
    expect(live[0].toArray()).toEqual(made.masks[0].toArray());
    expect(Array.from(live[1].data)).toEqual([1, 1]);
  });

  it('masked kernel entries get exactly zero gradient and stay 0 after a gradient step', () => {
    const rng = seededRng('made-step');
    const made = new AutoregressiveNetwork({
      params: 2, eventShape: 4, hiddenUnits: [5, 5], activation: 'relu', conditional: true, conditionalEventShape: 2, seed: 'step',
    });
    const x = randn(rng, [8, 4]);
    const c = randn(rng, [8, 2]);
    const loss = sum(mul(made.call(x, { conditionalInput: c }), randn(rng, [8, 4, 2])));
    loss.backward();
    const ws = made.trainableWeights;
    const masks = made.masks;
    // Kernels of masked layers are weights 0, 3, 6 (kernel, bias, conditional kernel per layer).
    [0, 3, 6].forEach((wi, k) => {
      const w = ws[wi];
      const g = w.grad!.data;
      for (let i = 0; i < w.size; i++) {
        if (masks[k].data[i] === 0) expect(g[i]).toBe(0);
        w.data[i] -= 0.1 * g[i];
        if (masks[k].data[i] === 0) expect(w.data[i]).toBe(0);
      }
    });
    // Some unmasked entry did move, so the check above is not vacuous.
    expect(ws[3].grad!.data.some((v) => v !== 0)).toBe(true);
  });

  it('backward matches central differences for every weight (conditional, tanh, two hidden layers)', () => {
    const rng = seededRng('made-grad');
    const options: AutoregressiveNetworkOptions = {
      params: 2, eventShape: 3, hiddenUnits: [4, 3], activation: 'tanh', conditional: true, conditionalEventShape: 2,
      biasInitializer: 'glorotUniform', seed: 'grad',
    };
    const probe = new Probe(options);
    const x = randn(rng, [3, 3]);
    const c = randn(rng, [3, 2]);
    const r = randn(rng, [3, 3, 2]);
    const weights = probe.getWeights();
    expect(weights.length).toBe(9);
    const worst = expectGradClose((...ws) => {
      probe.useWeights(ws);
      return sum(mul(probe.call(x, { conditionalInput: c }), r));
    }, weights, { h: 1e-6, rtol: 1e-6 });
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('AutoregressiveNetwork: errors name the argument', () => {
  const make = (o: Partial<AutoregressiveNetworkOptions> & Record<string, unknown>) =>
    () => new AutoregressiveNetwork({ params: 2, ...o } as AutoregressiveNetworkOptions);

  it('rejects bad params, eventShape and hiddenUnits', () => {
    expect(make({ params: 0 })).toThrow(RangeError);
    expect(make({ params: 0 })).toThrow(/AutoregressiveNetwork: 'params' must be a positive integer, got 0/);
    expect(make({ params: 1.5 })).toThrow(/'params' must be a positive integer, got 1.5/);
    expect(make({ params: '2' as unknown as number })).toThrow(TypeError);
    expect(make({ eventShape: [2, 3] })).toThrow(ValueError);
    expect(make({ eventShape: [2, 3] })).toThrow(/AutoregressiveNetwork: 'eventShape' must describe a rank-1 shape \[n\], got \[2,3\]/);
    expect(make({ eventShape: 0 })).toThrow(RangeError);
    expect(make({ eventShape: [0] })).toThrow(/AutoregressiveNetwork: 'eventShape' must be a positive integer, got 0/);
    expect(make({ eventShape: 'x' as unknown as number })).toThrow(TypeError);
    expect(make({ hiddenUnits: [4, 0] })).toThrow(RangeError);
    expect(make({ hiddenUnits: [4, 0] })).toThrow(/AutoregressiveNetwork: 'hiddenUnits' entries must be positive integers, got 0 at index 1 of \[4,0\]/);
  });

  it('rejects unknown names: inputOrder, hiddenDegrees, activation, initializers, conditionalInputLayers', () => {
    expect(make({ inputOrder: 'up' as 'random' })).toThrow(TypeError);
    expect(make({ inputOrder: 'up' as 'random' })).toThrow(/AutoregressiveNetwork: unknown 'inputOrder' 'up'/);
    expect(make({ hiddenDegrees: 'uniform' as 'equal' })).toThrow(TypeError);
    expect(make({ hiddenDegrees: 'uniform' as 'equal' })).toThrow(/AutoregressiveNetwork: unknown 'hiddenDegrees' 'uniform'; expected 'equal' or 'random'/);
    expect(make({ activation: 'gelu' as 'relu' })).toThrow(TypeError);
    expect(make({ activation: 'gelu' as 'relu' })).toThrow(/AutoregressiveNetwork: unknown 'activation' 'gelu'; expected one of 'relu', 'tanh', 'sigmoid', 'elu', 'softplus', 'linear' or a function/);
    expect(make({ kernelInitializer: 'glorot_uniform' as 'zeros' })).toThrow(TypeError);
    expect(make({ kernelInitializer: 'glorot_uniform' as 'zeros' })).toThrow(/AutoregressiveNetwork: bad 'kernelInitializer': .*unknown initializer 'glorot_uniform'/);
    expect(make({ biasInitializer: 3 as unknown as 'zeros' })).toThrow(/AutoregressiveNetwork: bad 'biasInitializer'/);
    expect(make({ conditionalInputLayers: 'first_layers' as 'first_layer' })).toThrow(TypeError);
    expect(make({ conditionalInputLayers: 'first_layers' as 'first_layer' })).toThrow(/unknown 'conditionalInputLayers' 'first_layers'; expected 'all_layers' or 'first_layer'/);
    expect(make({ seed: {} as unknown as number })).toThrow(/AutoregressiveNetwork: 'seed' must be a number, a string or a Random/);
  });

  it('rejects an inputOrder that is not a permutation of 1..E, at construction or at the first call', () => {
    expect(make({ eventShape: 3, inputOrder: [1, 1, 2] })).toThrow(ValueError);
    expect(make({ eventShape: 3, inputOrder: [1, 1, 2] })).toThrow(/AutoregressiveNetwork: 'inputOrder' \[1,1,2\] is not a permutation of 1..3/);
    const lazy = new AutoregressiveNetwork({ params: 1, inputOrder: [2, 1] });
    expect(() => lazy.call(zeros([4, 3]))).toThrow(/AutoregressiveNetwork: 'inputOrder' \[2,1\] is not a permutation of 1..3/);
    expect(new AutoregressiveNetwork({ params: 1, inputOrder: [2, 1] }).call(zeros([2])).shape).toEqual([2, 1]);
  });

  it('rejects inconsistent conditional options', () => {
    expect(make({ conditional: true, conditionalEventShape: 2 })).toThrow(ValueError);
    expect(make({ conditional: true, conditionalEventShape: 2 })).toThrow(/AutoregressiveNetwork: 'eventShape' must be given when 'conditional' is true/);
    expect(make({ eventShape: 3, conditional: true })).toThrow(/AutoregressiveNetwork: 'conditionalEventShape' must be given when 'conditional' is true/);
    expect(make({ eventShape: 3, conditionalEventShape: 2 })).toThrow(/AutoregressiveNetwork: 'conditionalEventShape' was given but 'conditional' is false/);
    expect(make({ eventShape: 3, conditional: true, conditionalEventShape: [2, 2] })).toThrow(/'conditionalEventShape' must describe a rank-1 shape \[n\], got \[2,2\]/);
  });

  it('rejects bad calls: wrong last dim, missing or mis-shaped conditional input, batch shapes that do not broadcast', () => {
    const plain = new AutoregressiveNetwork({ params: 2, eventShape: 3 });
    expect(() => plain.call(zeros([2, 4]))).toThrow(ValueError);
    expect(() => plain.call(zeros([2, 4]))).toThrow(/AutoregressiveNetwork.call: 'x' has shape \[2,4\], expected \[\.\.\., 3\]/);
    expect(() => plain.call('x' as unknown as Tensor)).toThrow(TypeError);
    expect(() => plain.call(zeros([3]), { conditionalInput: zeros([2]) })).toThrow(/'conditionalInput' was given but the network is not conditional/);
    const cond = new AutoregressiveNetwork({ params: 2, eventShape: 3, conditional: true, conditionalEventShape: 2 });
    expect(() => cond.call(zeros([3]))).toThrow(/AutoregressiveNetwork.call: the network is conditional; pass \{ conditionalInput \} of shape \[\.\.\., 2\]/);
    expect(() => cond.call(zeros([3]), { conditionalInput: zeros([5, 4]) })).toThrow(/AutoregressiveNetwork.call: 'conditionalInput' has shape \[5,4\], expected \[\.\.\., 2\]/);
    expect(() => cond.call(zeros([4, 3]), { conditionalInput: zeros([5, 2]) })).toThrow(/AutoregressiveNetwork.call .*do not broadcast/);
    expect(() => cond.flatOutput(zeros([4, 3]), zeros([5, 2]))).toThrow(/AutoregressiveNetwork.flatOutput: 'conditionalInput' has shape \[5,2\], expected \[4, 2\]/);
    expect(() => plain.build([7])).toThrow(/AutoregressiveNetwork.build: 'inputShape' \[7\] has last dimension 7, expected eventSize 3/);
  });

  it('rejects setWeights with the wrong count or shapes, naming the weight', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [4] });
    const ws = made.getWeights();
    expect(() => made.setWeights(ws.slice(1))).toThrow(ValueError);
    expect(() => made.setWeights(ws.slice(1))).toThrow(/AutoregressiveNetwork.setWeights: expected 4 weights \(layer 0 kernel, layer 0 bias, layer 1 kernel, layer 1 bias\), got 3/);
    expect(() => made.setWeights([ws[0], ws[1], zeros([4, 5]), ws[3]])).toThrow(/AutoregressiveNetwork.setWeights: weight 2 \(layer 1 kernel\) has shape \[4,5\], expected \[4,6\]/);
    expect(() => made.setWeights([ws[0], ws[1], ws[2], [0] as unknown as Tensor])).toThrow(TypeError);
    expect(() => new AutoregressiveNetwork({ params: 1 }).getWeights()).toThrow(/AutoregressiveNetwork.getWeights: the network is not built yet/);
  });

  it('masks from the network equal makeMasks with the same options', () => {
    const made = new AutoregressiveNetwork({ params: 3, eventShape: 6, hiddenUnits: [4, 9], inputOrder: 'right-to-left' });
    expect(made.masks.map((mk) => mk.toArray())).toEqual(
      makeMasks({ params: 3, eventSize: 6, hiddenUnits: [4, 9], inputOrder: 'right-to-left' }).map((mk) => mk.toArray()));
  });
});
