import { add, mul, sub } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { stack, unstack } from '../../../autodiff/ops/shape.js';
import { exp, neg, tanh } from '../../../autodiff/ops/unary.js';
import { noGrad, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import type { BijectorKwargs } from '../../../flows/bijectors/bijector.js';
import { Chain } from '../../../flows/bijectors/chain.js';
import { Invert } from '../../../flows/bijectors/invert.js';
import type { ForwardResult } from '../../../flows/bijectors/bijector.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Scale } from '../../../flows/bijectors/scale.js';
import { bijectorFromConfig } from '../../../flows/bijectors/serialization.js';
import { Shift } from '../../../flows/bijectors/shift.js';
import { maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';
import { jacobianAD, runBijectorHarness } from './harness.js';
import { randomMade } from './made-helpers.js';

const made3 = (seed: string): AutoregressiveNetwork =>
  randomMade({ params: 2, eventShape: 3, hiddenUnits: [8], activation: 'tanh' }, seed);

runBijectorHarness({
  label: 'MAF (MADE E=3, tanh [8])',
  make: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3('maf-h1') }),
  eventSize: 3,
  trainable: true,
});
runBijectorHarness({
  label: 'MAF (MADE E=4, relu [6, 6], random order)',
  make: () => new MaskedAutoregressiveFlow({
    shiftAndLogScaleFn: randomMade({ params: 2, eventShape: 4, hiddenUnits: [6, 6], activation: 'relu', inputOrder: 'random' }, 'maf-h2'),
  }),
  eventSize: 4,
  trainable: true,
});
runBijectorHarness({
  label: 'MAF (conditional MADE, C=2)',
  make: () => new MaskedAutoregressiveFlow({
    shiftAndLogScaleFn: randomMade({ params: 2, eventShape: 3, hiddenUnits: [5], activation: 'tanh', conditional: true, conditionalEventShape: 2 }, 'maf-h3'),
  }),
  eventSize: 3,
  kwargs: (batch, rng) => ({ conditionalInput: randn(rng, [...batch, 2]) }),
  trainable: true,
});
runBijectorHarness({
  label: 'Invert(MAF) (an IAF)',
  make: () => new Invert(new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3('iaf-h') })),
  eventSize: 3,
  trainable: true,
});

// The clamp's bounds are set tight enough that the soft clip bends these networks' log-scales.
runBijectorHarness({
  label: 'MAF (MADE E=3, tanh [8], logScaleClamp 0.5)',
  make: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3('maf-h-clamp'), logScaleClamp: 0.5 }),
  eventSize: 3,
  trainable: true,
});
runBijectorHarness({
  label: 'MAF (MADE E=4, relu [6, 6], random order, logScaleClamp { min: −0.3, max: 0.2 })',
  make: () => new MaskedAutoregressiveFlow({
    shiftAndLogScaleFn: randomMade({ params: 2, eventShape: 4, hiddenUnits: [6, 6], activation: 'relu', inputOrder: 'random' }, 'maf-h2-clamp'),
    logScaleClamp: { min: -0.3, max: 0.2 },
  }),
  eventSize: 4,
  trainable: true,
});

/** A hand-written autoregressive function for E = 3: shift_d, logScale_d from y_<d, left to right. */
function handFn(w: Tensor): (y: Tensor) => [Tensor, Tensor] {
  return (y) => {
    const [y0, y1] = unstack(y, -1);
    const z = zeros(y0.shape);
    // shift = (w0, w1·y0, w2·tanh(y0 + y1)), logScale = (0.3, 0.2·y0, −0.1·y1)
    const [w0, w1, w2] = unstack(w, 0);
    const shift = stack([add(z, w0), mul(w1, y0), mul(w2, tanh(add(y0, y1)))], -1);
    const logScale = stack([add(z, 0.3), mul(0.2, y0), mul(-0.1, y1)], -1);
    return [shift, logScale];
  };
}

const handW = tensor([0.7, -0.4, 1.2], undefined, { requiresGrad: true });
runBijectorHarness({
  label: 'MAF (user shiftAndLogScaleFn)',
  make: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: handFn(handW), trainableWeights: [handW] }),
  eventSize: 3,
  trainable: true,
});
runBijectorHarness({
  label: 'MAF (user bijectorFn)',
  make: () => new MaskedAutoregressiveFlow({
    bijectorFn: (y) => {
      const [shift, logScale] = handFn(handW)(y);
      return new Chain([new Shift(shift), new Scale({ logScale })]);
    },
    trainableWeights: [handW],
  }),
  eventSize: 3,
  trainable: true,
});

describe('MaskedAutoregressiveFlow', () => {
  it('inverse is u = (y − shift(y))·exp(−logScale(y)) from one network output, log-det −Σ logScale', () => {
    const made = made3('maf-formula');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const y = randn(seededRng('maf-formula-y'), [4, 3]);
    const [shift, logScale] = unstack(made.call(y), -1); // column 0 = shift, 1 = logScale
    const { x: u, logDet } = maf.inverseAndLogDet(y, { eventNdims: 1 });
    expect(maxAbsDiff(u.data, mul(sub(y, shift), exp(neg(logScale))).data)).toBe(0);
    expect(maxAbsDiff(logDet.data, neg(sum(logScale, -1)).data)).toBe(0);
  });

  it('density direction costs one network pass (u and log-det together); sampling with its log-det costs E', () => {
    const made = made3('maf-count');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const spy = jest.spyOn(made, 'call');
    const y = randn(seededRng('maf-count'), [5, 3]);
    maf.inverseAndLogDet(y, { eventNdims: 1 });
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockClear();
    maf.forwardAndLogDet(y, { eventNdims: 1 });
    expect(spy).toHaveBeenCalledTimes(3);
    spy.mockRestore();
  });

  it('sampling recursion: after pass k the first k dimensions (in input order) are exact', () => {
    // With inputOrder [3, 1, 2] (1-based degrees), dimension 1 is first, then 2, then 0.
    const made = randomMade({ params: 2, eventShape: 3, hiddenUnits: [7], activation: 'tanh', inputOrder: [3, 1, 2] }, 'maf-order');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const u = randn(seededRng('maf-order-u'), [6, 3]);
    const y = maf.forward(u);
    expect(maxAbsDiff(maf.inverse(y).data, u.data)).toBeLessThan(1e-13);
    // Pass 1 from y = 0 fixes the degree-1 dimension (index 1) only: its parameters are biases.
    const [shift, logScale] = unstack(made.call(zeros([6, 3])), -1);
    const y1 = add(mul(u, exp(logScale)), shift);
    for (let b = 0; b < 6; b++) expect(y1.data[b * 3 + 1]).toBe(y.data[b * 3 + 1]);
  });

  it('∂u/∂y is triangular in the input order, with diagonal exp(−logScale)', () => {
    const made = randomMade({ params: 2, eventShape: 4, hiddenUnits: [9], activation: 'tanh', inputOrder: 'random' }, 'maf-tri');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const m = made.inputOrder;
    const y = randn(seededRng('maf-tri-y'), [3, 4]);
    const J = jacobianAD((t) => maf.inverse(t), y);
    const [, logScale] = unstack(made.call(y), -1);
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          if (i === j) expect(J[b][i][i]).toBeCloseTo(Math.exp(-logScale.data[b * 4 + i]), 14);
          else if (m[j] >= m[i]) expect(J[b][i][j]).toBe(0); // u_i sees y_j only if m(j) < m(i)
        }
      }
    }
  });

  it('forwardReference is the recursion forward uses, and a fast path plugs in through fastForwardAndLogDet', () => {
    const made = made3('maf-fast');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const u = randn(seededRng('maf-fast'), [4, 3]);
    const ref = maf.forwardReference(u);
    expect(maxAbsDiff(maf.forward(u).data, ref.y.data)).toBe(0);
    expect(maxAbsDiff(maf.forwardLogDetJacobian(u, { eventNdims: 1 }).data, ref.logDet.data)).toBe(0);
    let used = 0;
    class Fast extends MaskedAutoregressiveFlow {
      protected override fastForwardAndLogDet(x: Tensor): ForwardResult {
        used++;
        return { y: x, logDet: zeros([x.shape[0]]) };
      }
    }
    const fast = new Fast({ shiftAndLogScaleFn: made });
    expect(fast.forward(u).data).toBe(u.data);
    expect(used).toBe(1);
    expect(maxAbsDiff(fast.forwardReference(u).y.data, ref.y.data)).toBe(0);
  });

  it('forward log-det is the last pass\'s Σ logScale, equal to Σ logScale(forward(u))', () => {
    const made = made3('maf-ld');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const u = randn(seededRng('maf-ld'), [5, 3]);
    const { y, logDet } = maf.forwardAndLogDet(u, { eventNdims: 1 });
    const [, logScale] = unstack(made.call(y), -1);
    expect(maxAbsDiff(logDet.data, sum(logScale, -1).data)).toBeLessThan(1e-14);
  });

  it('accepts a function returning one [..., E, 2] Tensor (TFP unstacks it), and null shift or log-scale', () => {
    const made = made3('maf-tensorfn');
    const a = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const b = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: (y: Tensor) => made.call(y) });
    const y = randn(seededRng('maf-tensorfn'), [2, 3]);
    expect(maxAbsDiff(a.inverse(y).data, b.inverse(y).data)).toBe(0);
    const shiftOnly = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: (t: Tensor) => [unstack(made.call(t), -1)[0], null] as const }, { isConstantJacobian: true });
    expect(shiftOnly.isConstantJacobian).toBe(true);
    expect(shiftOnly.inverseLogDetJacobian(y, { eventNdims: 1 }).toArray()).toEqual([0, 0]);
    const u = shiftOnly.inverse(y);
    expect(maxAbsDiff(shiftOnly.forward(u).data, y.data)).toBeLessThan(1e-14);
    const identity = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: () => [null, null] as const });
    expect(identity.forward(y).data).toEqual(y.data);
  });

  it('accepts TFP\'s positional form MaskedAutoregressiveFlow(made)', () => {
    const made = made3('maf-positional');
    const maf = new MaskedAutoregressiveFlow(made, { name: 'm1' });
    expect(maf.network).toBe(made);
    expect(maf.name).toBe('m1');
    expect(maf.trainableWeights).toEqual(made.trainableWeights);
  });

  it('reports no weights before a lazily built network is built, then all of them', () => {
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [4], seed: 1 });
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    expect(maf.trainableWeights).toEqual([]);
    expect(maf.eventSize).toBeUndefined();
    maf.inverse(zeros([2, 5]));
    expect(maf.eventSize).toBe(5);
    expect(maf.trainableWeights.length).toBe(4);
  });

  it('passes every kwarg to a user function and only conditionalInput to a network', () => {
    const seen: BijectorKwargs[] = [];
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: (_y: Tensor, kw: BijectorKwargs) => { seen.push(kw); return [null, null] as const; } });
    const c = zeros([2]);
    maf.inverse(zeros([3]), { conditionalInput: c, temperature: 2 });
    expect(seen[0]).toEqual({ conditionalInput: c, temperature: 2 });
    maf.inverse(zeros([3]), { masked_autoregressive_flow: { temperature: 3 }, temperature: 2 });
    expect(seen[1]).toEqual({ temperature: 3 });
  });

  it('supports eventNdims 2 with a user function: E = rows·cols passes, log-det summed over both axes', () => {
    // Raster order over a 2×2 event: shift at (r, c) = 0.5·(sum of earlier entries), logScale = 0.1·(same)
    const fn = (y: Tensor): [Tensor, Tensor] => {
      const flat = y.data;
      const n = y.size / 4;
      const s = new Float64Array(y.size);
      for (let b = 0; b < n; b++) for (let k = 1; k < 4; k++) s[b * 4 + k] = s[b * 4 + k - 1] + flat[b * 4 + k - 1];
      const prefix = new Tensor(s, y.shape); // constant w.r.t. the graph; enough for this value check
      return [mul(0.5, prefix), mul(0.1, prefix)];
    };
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: fn }, { eventNdims: 2 });
    expect(maf.forwardMinEventNdims).toBe(2);
    const u = randn(seededRng('maf-ev2'), [3, 2, 2]);
    const { y, logDet } = maf.forwardAndLogDet(u, { eventNdims: 2 });
    expect(logDet.shape).toEqual([3]);
    expect(maxAbsDiff(maf.inverse(y).data, u.data)).toBeLessThan(1e-13);
    expect(maxAbsDiff(maf.inverseLogDetJacobian(y, { eventNdims: 2 }).data, neg(logDet).data)).toBeLessThan(1e-13);
    expect(() => maf.forward(zeros([2]))).toThrow(/'x' has shape \[2\] \(rank 1\), expected rank ≥ 2/);
  });

  it('getConfig/fromConfig rebuilds a network-driven layer; a user function cannot be saved', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], activation: 'relu', seed: 7, name: 'made' });
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, name: 'maf1' });
    const config = JSON.parse(JSON.stringify(maf.getConfig()));
    const copy = bijectorFromConfig(config) as MaskedAutoregressiveFlow;
    expect(copy.name).toBe('maf1');
    copy.trainableWeights.forEach((w, i) => w.data.set(maf.trainableWeights[i].data));
    const y = randn(seededRng('maf-config'), [3, 2]);
    expect(copy.inverse(y).data).toEqual(maf.inverse(y).data);
    const userFn = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: () => [null, null] as const });
    expect(() => userFn.getConfig()).toThrow(TypeError);
    expect(() => userFn.getConfig()).toThrow(/holds a user 'shiftAndLogScaleFn', which JSON cannot carry/);
  });

  describe('logScaleClamp', () => {
    /** s(r) = r/(1 + r/max) for r ≥ 0, r/(1 + r/min) below, computed by hand for the checks. */
    const s = (r: number, min: number, max: number): number => (r >= 0 ? r / (1 + r / max) : r / (1 + r / min));

    it('the density pass uses logScale = s(raw): u = (y − shift)·exp(−s(r)), log-det −Σ s(r)', () => {
      const made = made3('maf-clamp-formula');
      const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, logScaleClamp: { min: -0.2, max: 0.1 } });
      const y = randn(seededRng('maf-clamp-formula-y'), [4, 3], 3);
      const raw = made.call(y).data; // [4, 3, 2]: shift at even, raw logScale at odd entries
      const { x: u, logDet } = maf.inverseAndLogDet(y, { eventNdims: 1 });
      for (let b = 0; b < 4; b++) {
        let sum = 0;
        for (let d = 0; d < 3; d++) {
          const i = b * 3 + d;
          const ls = s(raw[2 * i + 1], -0.2, 0.1);
          expect(ls > -0.2 && ls < 0.1).toBe(true);
          expect(u.data[i]).toBeCloseTo((y.data[i] - raw[2 * i]) * Math.exp(-ls), 13);
          sum += ls;
        }
        expect(logDet.data[b]).toBeCloseTo(-sum, 13);
      }
      // the graph-free pass (under noGrad) and the recorded ops give the same bits
      const fused = noGrad(() => maf.inverseAndLogDet(y, { eventNdims: 1 }));
      expect(maxAbsDiff(fused.x.data, u.data)).toBe(0);
      expect(maxAbsDiff(fused.logDet.data, logDet.data)).toBe(0);
    });

    it('sampling clamps too, so forward and inverse stay inverse even where the raw log-scale is huge', () => {
      // A user function whose raw log-scale is 50·y_0 for dimension 1: without a clamp, e^(±50·y_0).
      const fn = (y: Tensor): [Tensor, Tensor] => {
        const [y0] = unstack(y, -1);
        const z = zeros(y0.shape);
        return [stack([z, mul(0.5, y0)], -1), stack([z, mul(50, y0)], -1)];
      };
      const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: fn, logScaleClamp: 2 });
      const u = randn(seededRng('maf-clamp-roundtrip'), [6, 2], 2);
      const { y, logDet } = maf.forwardAndLogDet(u, { eventNdims: 1 });
      expect(maxAbsDiff(maf.inverse(y).data, u.data)).toBeLessThan(1e-12);
      for (const v of logDet.data) expect(Math.abs(v)).toBeLessThan(2); // one clamped dimension: |s| < 2
    });

    it('the one-pass sampler clamps as the recursion does: no network pass, equal to 1e-12', () => {
      const made = made3('maf-clamp-sampler');
      const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, logScaleClamp: 0.3 });
      const u = randn(seededRng('maf-clamp-sampler-u'), [5, 3]);
      const call = jest.spyOn(made, 'call');
      const fast = noGrad(() => maf.forwardAndLogDet(u, { eventNdims: 1 }));
      expect(call).not.toHaveBeenCalled();
      call.mockRestore();
      const ref = noGrad(() => maf.forwardReference(u));
      // The walk sums each unit's inputs in another order than a network pass: ulps, not bits.
      expect(maxAbsDiff(fast.y.data, ref.y.data)).toBeLessThan(1e-12);
      expect(maxAbsDiff(fast.logDet.data, ref.logDet.data)).toBeLessThan(1e-12);
    });

    it('gives a raw log-scale of 1000 a gradient of (1 + 1000/B)⁻², not 0', () => {
      // logScale = s(r) with r = 1000·w, B = 1: ∂s/∂w = 1000·(1 + 1000)⁻² ≈ 9.98e-4; the log-det is −s
      const w = tensor([1], [1], { requiresGrad: true });
      const maf = new MaskedAutoregressiveFlow({
        shiftAndLogScaleFn: (y: Tensor) => [null, mul(zeros(y.shape), 0).add(mul(w, 1000))] as const,
        trainableWeights: [w], logScaleClamp: 1,
      });
      sum(maf.inverseLogDetJacobian(zeros([1]))).backward();
      expect(w.grad!.data[0]).toBeCloseTo(-1000 / (1001 * 1001), 15);
    });

    it('is saved in the config and rebuilt; a config without it has no clamp', () => {
      const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3('maf-clamp-config'), logScaleClamp: { min: -3, max: 1 } });
      const config = JSON.parse(JSON.stringify(maf.getConfig()));
      expect(config.logScaleClamp).toEqual({ min: -3, max: 1 });
      expect((bijectorFromConfig(config) as MaskedAutoregressiveFlow).logScaleClamp).toEqual({ min: -3, max: 1 });
      delete config.logScaleClamp;
      expect((bijectorFromConfig(config) as MaskedAutoregressiveFlow).logScaleClamp).toBeNull();
      expect(new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3('maf-clamp-none') }).getConfig().logScaleClamp).toBeNull();
    });

    it('rejects bounds that exclude 0 and misspelt option names', () => {
      const made = made3('maf-clamp-errors');
      expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, logScaleClamp: { min: 0.5, max: 2 } }))
        .toThrow(/MaskedAutoregressiveFlow: 'logScaleClamp' must have finite min < 0 < max/);
      expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, logScaleClip: 3 } as never))
        .toThrow(/MaskedAutoregressiveFlow: unknown option 'logScaleClip' \(did you mean 'logScaleClamp'\?\)/);
    });
  });

  describe('bad input', () => {
    const made = made3('maf-errors');
    it('both or neither function: the error TFP gives, in our words', () => {
      expect(() => new MaskedAutoregressiveFlow({})).toThrow(/MaskedAutoregressiveFlow: exactly one of 'shiftAndLogScaleFn' and 'bijectorFn' must be given, got neither/);
      expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, bijectorFn: () => new Shift(0) })).toThrow(/got both/);
    });
    it('a network with params ≠ 2', () => {
      const m3 = new AutoregressiveNetwork({ params: 3, eventShape: 2 });
      expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: m3 })).toThrow(
        /MaskedAutoregressiveFlow: 'shiftAndLogScaleFn' is an AutoregressiveNetwork with params 3, expected params 2/);
    });
    it('functions of the wrong kind', () => {
      expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: 3 as unknown as () => [null, null] })).toThrow(TypeError);
      expect(() => new MaskedAutoregressiveFlow({ bijectorFn: 'f' as unknown as () => Shift })).toThrow(/'bijectorFn' must be a function/);
      const bad = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: () => 5 as unknown as [null, null] });
      expect(() => bad.inverse(zeros([3]))).toThrow(/shiftAndLogScaleFn must return \[shift, logScale\]/);
      const badShape = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: () => [zeros([4]), null] as const });
      expect(() => badShape.inverse(zeros([3]))).toThrow(/returned a shift that does not fit the input \[3\]/);
      const notBij = new MaskedAutoregressiveFlow({ bijectorFn: () => 1 as unknown as Shift });
      expect(() => notBij.inverse(zeros([3]))).toThrow(/bijectorFn must return a Bijector, got 1/);
      const notElementwise = new MaskedAutoregressiveFlow({ bijectorFn: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }) }, { validateArgs: true });
      expect(() => notElementwise.inverse(zeros([3]))).toThrow(/forwardMinEventNdims 1; it must act elementwise/);
    });
    it('eventNdims out of range at construction', () => {
      expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }, { eventNdims: 0 })).toThrow(RangeError);
      expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }, { eventNdims: 0 })).toThrow(/'eventNdims' must be a positive integer, got 0/);
      expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }, { eventNdims: 2 })).toThrow(/an AutoregressiveNetwork acts on vectors: expected 1/);
    });
    it('a wrong last dim or rank for the event', () => {
      const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
      expect(() => maf.inverse(zeros([5, 2]))).toThrow(/MaskedAutoregressiveFlow.inverse: 'y' has shape \[5,2\], expected \[..., 3\] \(the network's eventSize\)/);
      expect(() => maf.forward(zeros([]))).toThrow(/MaskedAutoregressiveFlow.forward: 'x' has shape \[\] \(rank 0\), expected rank ≥ 1/);
    });
    it('bijector kwargs naming a bijector that is not there', () => {
      const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, name: 'maf1' });
      expect(() => maf.inverse(zeros([3]), { maf2: {} })).toThrow(/bijector kwargs name 'maf2', which is not a bijector here; the names are \['maf1'\]/);
    });
  });
});
