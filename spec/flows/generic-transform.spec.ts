import { noGrad, Tensor, tensor } from '../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../flows/made/autoregressive-network.js';
import { Invert } from '../../flows/bijectors/invert.js';
import { MaskedAutoregressiveFlow } from '../../flows/bijectors/masked-autoregressive-flow.js';
import { bijectorFromConfig } from '../../flows/bijectors/serialization.js';
import { MultivariateNormalDiag } from '../../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../../flows/distributions/transformed-distribution.js';
import { affineFamily, boundedAffineFamily } from '../../flows/transforms/affine.js';
import type { TransformFamily } from '../../flows/transforms/family.js';
import { splineFamily } from '../../flows/transforms/spline.js';
import { Random } from '../../lib/util/random.js';
import { maxAbsDiff, randn, seededRng } from '../helpers/grad-check.js';
import { runBijectorHarness } from './bijectors/harness.js';
import { randomMade } from './bijectors/made-helpers.js';
import { makeCase } from './made/made-cases.js';

const FAMILIES: Array<[string, () => TransformFamily]> = [
  ['affine', () => affineFamily()],
  ['affine, logScaleClamp 1', () => affineFamily({ logScaleClamp: 1 })],
  ['boundedAffine', () => boundedAffineFamily()],
  ['spline (8 bins on [−3, 3])', () => splineFamily({ bins: 8, bound: 3 })],
  ['spline (3 bins on [−1, 1], many points in the tails)', () => splineFamily({ bins: 3, bound: 1 })],
];

// The shared bijector checks for a MAF layer of every family, plain, residual and conditional.
for (const [label, family] of FAMILIES) {
  const f = family();
  runBijectorHarness({
    label: `MAF[${label}] (MADE E=3, tanh [8])`,
    make: () => new MaskedAutoregressiveFlow({
      network: randomMade({ params: f.params, eventShape: 3, hiddenUnits: [8], activation: 'tanh' }, `g-${label}`, 0.3), transform: family(),
    }),
    eventSize: 3,
    trainable: true,
  });
  runBijectorHarness({
    label: `MAF[${label}] (residual MADE E=4, tanh [7, 7], random order)`,
    make: () => new MaskedAutoregressiveFlow({
      network: randomMade({ params: f.params, eventShape: 4, hiddenUnits: [7, 7], activation: 'tanh', inputOrder: 'random', residualBlocks: true }, `gr-${label}`, 0.3),
      transform: family(),
    }),
    eventSize: 4,
    trainable: true,
  });
}
runBijectorHarness({
  label: 'MAF[spline] (conditional residual MADE, C=2)',
  make: () => new MaskedAutoregressiveFlow({
    network: randomMade({ params: 23, eventShape: 3, hiddenUnits: [6], activation: 'tanh', conditional: true, conditionalEventShape: 2, residualBlocks: true }, 'g-cond', 0.3),
    transform: splineFamily({ bins: 8, bound: 3 }),
  }),
  eventSize: 3,
  kwargs: (batch, rng) => ({ conditionalInput: randn(rng, [...batch, 2]) }),
  trainable: true,
});
runBijectorHarness({
  label: 'Invert(MAF[spline]) (a spline IAF)',
  make: () => new Invert(new MaskedAutoregressiveFlow({
    network: randomMade({ params: 14, eventShape: 3, hiddenUnits: [8], activation: 'relu' }, 'g-iaf', 0.3), transform: splineFamily({ bins: 5, bound: 3 }),
  })),
  eventSize: 3,
  trainable: true,
});

/** max |a − b| relative to the size of `b` (at least 1). */
function relErr(a: Tensor, b: Tensor): number {
  let scale = 1;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  return maxAbsDiff(a.data, b.data) / scale;
}

const CASES = 32;

describe.each(FAMILIES)('one-pass sampling with the %s family', (_label, family) => {
  it(`equals the E-pass reference to 1e-12 relative on ${CASES} random configurations (every fourth with residual blocks), with no network pass`, () => {
    const f = family();
    const rng = seededRng(`generic-one-pass-${_label}`);
    let residual = 0;
    for (let i = 0; i < CASES; i++) {
      const useResidual = i % 4 === 1;
      const width = rng.int(2, 9);
      const k = makeCase(i, rng, { params: f.params, ...(useResidual ? { residualBlocks: true, hiddenUnits: [width, width] } : {}) });
      if (useResidual) residual++;
      const made = randomMade(k.options, `generic-${_label}-${i}`, 0.4);
      const maf = new MaskedAutoregressiveFlow({ network: made, transform: family() });
      const u = randn(rng, k.uShape, 1.5);
      const c = k.cShape === undefined ? undefined : randn(rng, k.cShape);
      const kwargs = k.kwargs(c);
      const ref = noGrad(() => maf.forwardReference(u, kwargs));
      const call = jest.spyOn(made, 'flatOutput');
      const fast = noGrad(() => maf.forwardAndLogDet(u, { ...kwargs, eventNdims: 1 }));
      const calls = call.mock.calls.length;
      call.mockRestore();
      expect({ label: k.label, calls }).toEqual({ label: k.label, calls: 0 });
      expect(fast.y.shape).toEqual(ref.y.shape);
      const within = (err: number): number | 'ok' => (err <= 1e-12 ? 'ok' : err);
      expect({ label: k.label, y: within(relErr(fast.y, ref.y)), logDet: within(relErr(fast.logDet, ref.logDet)) })
        .toEqual({ label: k.label, y: 'ok', logDet: 'ok' });
      // And the density pass inverts it.
      const back = noGrad(() => maf.inverse(fast.y, kwargs));
      expect(relErr(back, noGrad(() => maf.inverse(ref.y, kwargs)))).toBeLessThan(1e-9);
    }
    expect(residual).toBe(8);
  });
});

describe('TFP-default affine flows: the same bits as before the generic transform', () => {
  // Recorded from the affine-only MaskedAutoregressiveFlow (commit bed63c6): logProb of 4 seeded points,
  // float64 little-endian hex, with a graph and under noGrad (which took a separate fused loop then).
  const EXPECTED: Record<string, string> = {
    banana: '1965c03319c310c0e0faa15d2a7604c09b699100e9b61cc06b63fa1c331705c0',
    'random-order-tanh': '3de6c697852b45c0e63ecce3cf852fc0e27a450f9c0433c0491ce4e597262dc0',
    clamped: '079d9e9528f219c046c55092b5142fc0cc311061b93640c0dcf2ebbd544a1dc0',
    conditional: '92a43d7e2e222bc1883bc864dd076ac0e4f45d7f529a26c0d61558f848c513c0',
  };
  const hex = (t: Tensor): string => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');
  const cases: Array<[string, () => { made: AutoregressiveNetwork; clamp?: number; c?: Tensor }]> = [
    ['banana', () => ({ made: new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [10], activation: 'relu', seed: 42 }) })],
    ['random-order-tanh', () => ({ made: new AutoregressiveNetwork({ params: 2, eventShape: 5, hiddenUnits: [8, 7], activation: 'tanh', inputOrder: 'random', hiddenDegrees: 'random', seed: 7 }) })],
    ['clamped', () => ({ made: new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [6], activation: 'relu', seed: 3 }), clamp: 0.5 })],
    ['conditional', () => ({
      made: new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [6], activation: 'relu', conditional: true, conditionalEventShape: 2, seed: 5 }),
      c: tensor([[0.3, -1.2], [2, 0.5], [-0.7, 0.1], [1, 1]]),
    })],
  ];
  it.each(cases)('%s', (name, make) => {
    const { made, clamp, c } = make();
    const E = made.eventSize;
    const rng = new Random(`bits-${name}`);
    const x = new Tensor(Float64Array.from({ length: 4 * E }, () => 3 * rng.normal()), [4, E]);
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, logScaleClamp: clamp });
    const dist = new TransformedDistribution({ distribution: new MultivariateNormalDiag({ loc: new Array<number>(E).fill(0) }), bijector: maf });
    const kw = c === undefined ? {} : { bijectorKwargs: { conditionalInput: c } };
    expect(hex(dist.logProb(x, kw))).toBe(EXPECTED[name]);
    expect(hex(noGrad(() => dist.logProb(x, kw)))).toBe(EXPECTED[name]);
  });
});

describe('MaskedAutoregressiveFlow with a transform family', () => {
  it('saves and reloads a spline flow bit-exactly (config and weights)', () => {
    const spline = splineFamily({ bins: 6, bound: 4 });
    const made = randomMade({ params: spline.params, eventShape: 3, hiddenUnits: [8, 8], activation: 'relu', residualBlocks: true, seed: 11 }, 'save-spline', 0.3);
    const maf = new MaskedAutoregressiveFlow({ network: made, transform: spline, name: 'nsf' });
    const config = JSON.parse(JSON.stringify(maf.getConfig()));
    expect(config.transform).toEqual({ name: 'spline', bins: 6, bound: 4, minBinWidth: 1e-3, minBinHeight: 1e-3, minSlope: 1e-3 });
    const copy = bijectorFromConfig(config) as MaskedAutoregressiveFlow;
    copy.trainableWeights.forEach((w, i) => w.data.set(maf.trainableWeights[i].data));
    const x = randn(seededRng('save-spline-x'), [5, 3], 2);
    expect(Array.from(copy.inverse(x).data)).toEqual(Array.from(maf.inverse(x).data));
    const u = randn(seededRng('save-spline-u'), [5, 3]);
    expect(Array.from(noGrad(() => copy.forward(u)).data)).toEqual(Array.from(noGrad(() => maf.forward(u)).data));
  });

  it('rejects a network whose params is not the family\'s P, naming both', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3 });
    expect(() => new MaskedAutoregressiveFlow({ network: made, transform: splineFamily({ bins: 4 }) }))
      .toThrow(/MaskedAutoregressiveFlow: 'network' is an AutoregressiveNetwork with params 2, but the 'spline' transform reads 11 parameters per dimension; build the network with params: 11/);
  });

  it('rejects a transform beside a function that cannot drive it, and a clamp beside a family', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 3 });
    expect(() => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: () => [null, null], transform: splineFamily() }))
      .toThrow(/a 'shiftAndLogScaleFn' gives affine parameters; the 'spline' transform needs \{ network \} with params 23/);
    expect(() => new MaskedAutoregressiveFlow({ network: made, transform: affineFamily(), logScaleClamp: 2 }))
      .toThrow(/'logScaleClamp' and 'transform' were both given; pass the clamp to the family instead/);
    expect(() => new MaskedAutoregressiveFlow({ network: made, transform: { params: 2 } as never }))
      .toThrow(/'transform' must be a transform family/);
    expect(() => new MaskedAutoregressiveFlow({ network: made, bijectorFn: () => new Invert(new MaskedAutoregressiveFlow(made)) }))
      .toThrow(/exactly one of 'shiftAndLogScaleFn' and 'bijectorFn' must be given, got both/);
  });

  it('a spline flow gives no NaN for points in the tails, on knots and at ±1e300', () => {
    const spline = splineFamily({ bins: 4, bound: 2 });
    const made = randomMade({ params: spline.params, eventShape: 2, hiddenUnits: [6], activation: 'relu' }, 'tails', 0.3);
    const maf = new MaskedAutoregressiveFlow({ network: made, transform: spline });
    const x = tensor([[-2, 2], [0, -1], [1e300, -1e300], [5, -7], [2, 2]]);
    const { x: u, logDet } = noGrad(() => maf.inverseAndLogDet(x, { eventNdims: 1 }));
    expect(u.data.every(Number.isFinite)).toBe(true);
    expect(logDet.data.every(Number.isFinite)).toBe(true);
    // Beyond ±B the spline is the identity: the first dimension (which sees nothing) passes 1e300 and 5 through.
    expect(u.data[4]).toBe(1e300);
    expect(u.data[6]).toBe(5);
  });
});
