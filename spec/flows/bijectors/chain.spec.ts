import { tensor, zeros } from '../../../autodiff/tensor.js';
import type { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { Chain } from '../../../flows/bijectors/chain.js';
import { Invert } from '../../../flows/bijectors/invert.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Permute, Reverse } from '../../../flows/bijectors/permute.js';
import { Scale } from '../../../flows/bijectors/scale.js';
import { bijectorFromConfig } from '../../../flows/bijectors/serialization.js';
import { Shift } from '../../../flows/bijectors/shift.js';
import { maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';
import { randomBatchNorm } from './bn-helpers.js';
import { runBijectorHarness } from './harness.js';
import { randomMade } from './made-helpers.js';

const made = (seed: string, extra: { conditional?: boolean; conditionalEventShape?: number } = {}): AutoregressiveNetwork =>
  randomMade({ params: 2, eventShape: 3, hiddenUnits: [6], activation: 'tanh', ...extra }, seed);

runBijectorHarness({
  label: 'Chain(MAF, Permute, BatchNormalization, MAF)',
  make: () => new Chain([
    new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made('chain-h-2') }),
    new Permute({ permutation: [2, 0, 1] }),
    randomBatchNorm('chain-h-bn', 3),
    new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made('chain-h-1') }),
  ]),
  eventSize: 3,
  trainable: true,
});
runBijectorHarness({
  label: 'Chain(Shift, Scale) (elementwise members, vector events)',
  make: () => new Chain([new Shift([1, 2, 3]), new Scale({ scale: [0.5, 2, -3] })]),
  eventSize: 3,
});
runBijectorHarness({
  label: 'Chain of conditional MAFs, conditioned all at once',
  make: () => new Chain([
    new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made('chain-c-2', { conditional: true, conditionalEventShape: 2 }) }),
    new Reverse(),
    new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made('chain-c-1', { conditional: true, conditionalEventShape: 2 }) }),
  ]),
  eventSize: 3,
  kwargs: (batch, rng) => ({ conditionalInput: randn(rng, [...batch, 2]) }),
  trainable: true,
});

describe('Chain', () => {
  it('applies the last bijector first, as TFP: Chain([Shift(1), Scale(2)]).forward(x) = 2x + 1', () => {
    const c = new Chain([new Shift(1), new Scale(2)]);
    expect(c.forward(tensor([0, 1, 2])).toArray()).toEqual([1, 3, 5]);
    expect(c.inverse(tensor([1, 3, 5])).toArray()).toEqual([0, 1, 2]);
    expect(c.name).toBe('chain_of_shift_of_scale');
    expect(c.forwardMinEventNdims).toBe(0);
    expect(c.isConstantJacobian).toBe(true);
  });

  it('adds the members\' log-dets: Scale 2 then Scale 3 gives log 6 per element', () => {
    const c = new Chain([new Scale(2), new Scale(3)]);
    const ld = c.forwardLogDetJacobian(zeros([2, 2]), { eventNdims: 1 });
    // two elements per event: 2·log 6
    expect(ld.data[0]).toBeCloseTo(2 * Math.log(6), 14);
    expect(ld.shape).toEqual([2]);
    expect(new Chain([new Shift(0), new Reverse()]).forwardMinEventNdims).toBe(1);
  });

  it('an empty chain is the identity', () => {
    const c = new Chain([]);
    expect(c.name).toBe('identity');
    expect(c.forward(tensor([1, 2])).toArray()).toEqual([1, 2]);
    expect(c.forwardLogDetJacobian(tensor([1, 2]), { eventNdims: 1 }).toArray()).toEqual(0);
  });

  it('lists shared weights once', () => {
    const net = made('chain-shared');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: net });
    const c = new Chain([maf, new Reverse(), maf]);
    expect(c.trainableWeights).toEqual(net.trainableWeights);
  });

  describe('kwargs reach conditional MAFs inside the chain (impossible in TFP: #1410, #1801)', () => {
    // maf1 conditions on C = 1, maf2 on C = 2: only addressing by name can feed both.
    const maf1 = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made('chain-k1', { conditional: true, conditionalEventShape: 1 }), name: 'maf1' });
    const maf2 = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made('chain-k2', { conditional: true, conditionalEventShape: 2 }), name: 'maf2' });
    const rev = new Reverse();
    const chain = new Chain([maf2, rev, maf1], { name: 'flow' });
    const rng = seededRng('chain-kwargs');
    const y = randn(rng, [4, 3]);
    const c1 = randn(rng, [4, 1]);
    const c2 = randn(rng, [4, 2]);

    it('by name: each member gets its own condition, in both directions and in the log-dets', () => {
      const kw = { maf1: { conditionalInput: c1 }, maf2: { conditionalInput: c2 } };
      // inverse runs maf2 first: u = maf1⁻¹(rev⁻¹(maf2⁻¹(y | c2)) | c1)
      const a = maf2.inverseAndLogDet(y, { conditionalInput: c2, eventNdims: 1 });
      const b = maf1.inverseAndLogDet(rev.inverse(a.x), { conditionalInput: c1, eventNdims: 1 });
      const got = chain.inverseAndLogDet(y, { ...kw, eventNdims: 1 });
      expect(got.x.data).toEqual(b.x.data);
      expect(maxAbsDiff(got.logDet.data, a.logDet.data.map((v, i) => v + b.logDet.data[i]))).toBeLessThan(1e-15);
      expect(maxAbsDiff(chain.forward(got.x, kw).data, y.data)).toBeLessThan(1e-12);
    });

    it('all at once: a shared conditionalInput reaches every member', () => {
      const m1 = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made('chain-k3', { conditional: true, conditionalEventShape: 2 }), name: 'a' });
      const m2 = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made('chain-k4', { conditional: true, conditionalEventShape: 2 }), name: 'b' });
      const c = new Chain([m2, m1]);
      const want = m1.inverse(m2.inverse(y, { conditionalInput: c2 }), { conditionalInput: c2 });
      expect(c.inverse(y, { conditionalInput: c2 }).data).toEqual(want.data);
      // A named entry overrides the shared one for its member only.
      const c2b = randn(seededRng('chain-k-override'), [4, 2]);
      const mixed = m1.inverse(m2.inverse(y, { conditionalInput: c2 }), { conditionalInput: c2b });
      expect(c.inverse(y, { conditionalInput: c2, a: { conditionalInput: c2b } }).data).toEqual(mixed.data);
    });

    it('reaches a member nested in another Chain or an Invert, by name', () => {
      const outer = new Chain([new Chain([maf2], { name: 'inner' }), rev, new Invert(maf1)]);
      const kw = { maf1: { conditionalInput: c1 }, maf2: { conditionalInput: c2 } };
      // inverse runs the outermost first: maf2⁻¹, then rev⁻¹, then Invert(maf1)⁻¹ = maf1.forward
      const want = maf1.forward(rev.inverse(maf2.inverse(y, { conditionalInput: c2 })), { conditionalInput: c1 });
      expect(outer.inverse(y, kw).data).toEqual(want.data);
      // The chain's own name addresses every member.
      const same = new Chain([new Chain([maf2], { name: 'inner' })]);
      expect(same.inverse(y, { inner: { conditionalInput: c2 } }).data).toEqual(maf2.inverse(y, { conditionalInput: c2 }).data);
    });

    it('a name that is not in the chain throws, listing the names', () => {
      expect(() => chain.inverse(y, { maf3: { conditionalInput: c1 } })).toThrow(
        /Chain.inverse: bijector kwargs name 'maf3', which is not a bijector here; the names are \['flow', 'maf2', 'reverse', 'maf1'\]/);
      expect(() => chain.forwardLogDetJacobian(y, { eventNdims: 1, nope: {} })).toThrow(/name 'nope'/);
    });
  });

  it('rejects members that are not bijectors', () => {
    expect(() => new Chain([new Shift(1), 3 as unknown as Shift])).toThrow(/Chain: 'bijectors'\[1\] must be a Bijector, got 3/);
    expect(() => new Chain('x' as unknown as Shift[])).toThrow(TypeError);
  });

  it('getConfig nests the members; bijectorFromConfig rebuilds the chain', () => {
    const c = new Chain([new Shift([1, 2]), new Invert(new Scale({ logScale: 0.5 })), new Permute({ permutation: [1, 0] })]);
    const copy = bijectorFromConfig(JSON.parse(JSON.stringify(c.getConfig())));
    expect(copy.getConfig()).toEqual(c.getConfig());
    const x = tensor([[0.3, -1]]);
    expect(copy.forward(x).data).toEqual(c.forward(x).data);
  });
});
