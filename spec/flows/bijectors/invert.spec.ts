import { tensor } from '../../../autodiff/tensor.js';
import { Invert } from '../../../flows/bijectors/invert.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Scale } from '../../../flows/bijectors/scale.js';
import { Shift } from '../../../flows/bijectors/shift.js';
import { maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';
import { runBijectorHarness } from './harness.js';
import { randomMade } from './made-helpers.js';

runBijectorHarness({ label: 'Invert(Scale)', make: () => new Invert(new Scale({ scale: [2, -0.5, 4] })), eventSize: 3 });

describe('Invert', () => {
  it('swaps the directions and the log-dets', () => {
    const inv = new Invert(new Scale(2));
    expect(inv.forward(tensor([4])).toArray()).toEqual([2]);
    expect(inv.inverse(tensor([4])).toArray()).toEqual([8]);
    expect(inv.forwardLogDetJacobian(tensor([1])).toArray()).toEqual([-Math.log(2)]);
    expect(inv.name).toBe('invert_scale');
    expect(inv.isConstantJacobian).toBe(true);
  });

  it('Invert(MAF) samples in one network pass and evaluates densities with E passes (an IAF)', () => {
    const made = randomMade({ params: 2, eventShape: 3, hiddenUnits: [5], activation: 'tanh' }, 'invert-iaf');
    const maf = new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made });
    const iaf = new Invert(maf);
    expect(iaf.forwardMinEventNdims).toBe(1);
    expect(iaf.trainableWeights).toEqual(made.trainableWeights);
    const spy = jest.spyOn(made, 'call');
    const u = randn(seededRng('invert-iaf'), [4, 3]);
    const y = iaf.forward(u);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockClear();
    const back = iaf.inverseAndLogDet(y, { eventNdims: 1 });
    expect(spy).toHaveBeenCalledTimes(3);
    spy.mockRestore();
    expect(maxAbsDiff(back.x.data, u.data)).toBeLessThan(1e-12);
  });

  it('rejects what is not a bijector', () => {
    expect(() => new Invert({} as unknown as Shift)).toThrow(/Invert: 'bijector' must be a Bijector, got an object/);
  });
});
