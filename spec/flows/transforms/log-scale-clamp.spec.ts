import { sum } from '../../../autodiff/ops/reduce.js';
import { tensor } from '../../../autodiff/tensor.js';
import { checkLogScaleClamp, softClamp, softClampDerivative, softClampValue } from '../../../flows/transforms/log-scale-clamp.js';
import { expectGradClose, randn, seededRng } from '../../helpers/grad-check.js';

describe('softClampValue', () => {
  it('matches hand-computed values on both sides', () => {
    // max = 3: s(3) = 3/(1 + 1) = 1.5, s(6) = 6/3 = 2; min = −5: s(−5) = −5/2 = −2.5, s(−1) = −1/1.2
    expect(softClampValue(3, -5, 3)).toBe(1.5);
    expect(softClampValue(6, -5, 3)).toBe(2);
    expect(softClampValue(-5, -5, 3)).toBe(-2.5);
    expect(softClampValue(-1, -5, 3)).toBe(-1 / 1.2);
    expect(Object.is(softClampValue(0, -5, 3), 0)).toBe(true);
  });

  it('is the identity to first order at 0, increasing, and within [min, max] for every input', () => {
    // s(v) = v − v²/B + …: at v = 1e-8 the relative change is 1e-8/B
    expect(Math.abs(softClampValue(1e-8, -2, 4) / 1e-8 - 1)).toBeLessThan(1e-8);
    const vs = [-1e300, -1e6, -100, -7, -1, -1e-3, 0, 1e-3, 1, 7, 100, 1e6, 1e300];
    const ys = vs.map((v) => softClampValue(v, -2, 4));
    for (let i = 1; i < ys.length; i++) expect(ys[i]).toBeGreaterThan(ys[i - 1]);
    // inside (min, max) exactly; in float64, |v| ≳ 1e16·B rounds onto the bound itself
    for (const y of ys) expect(y >= -2 && y <= 4).toBe(true);
    expect(softClampValue(1e6, -2, 4)).toBeLessThan(4);
  });

  it('maps ±∞ to the bounds and keeps NaN', () => {
    expect(softClampValue(Infinity, -2, 4)).toBe(4);
    expect(softClampValue(-Infinity, -2, 4)).toBe(-2);
    expect(Number.isNaN(softClampValue(NaN, -2, 4))).toBe(true);
  });
});

describe('softClampDerivative', () => {
  it('is (1 + v/B)⁻²: 1 at 0, 1/4 at the bound, polynomially small but never 0 far out', () => {
    expect(softClampDerivative(0, -2, 4)).toBe(1);
    expect(softClampDerivative(4, -2, 4)).toBe(0.25); // (1 + 1)⁻²
    expect(softClampDerivative(-2, -2, 4)).toBe(0.25);
    // v = 1e6, B = 4: (1 + 250000)⁻² ≈ 1.6e-11 > 0 (a tanh clamp would give e^(−500000) = 0)
    expect(softClampDerivative(1e6, -2, 4)).toBeGreaterThan(1.5e-11);
    expect(softClampDerivative(Infinity, -2, 4)).toBe(0);
  });
});

describe('softClamp (the autodiff op)', () => {
  it('backward matches central differences in float64', () => {
    const x = randn(seededRng('soft-clamp-grad'), [3, 4], 5);
    expectGradClose((t) => sum(softClamp(t, { min: -3, max: 2 })), [x], { h: 1e-6, rtol: 1e-7 });
  });

  it('gives each element the value of softClampValue', () => {
    const x = tensor([[-10, 0.5], [3, -0.25]]);
    const y = softClamp(x, { min: -1, max: 2 });
    expect(y.shape).toEqual([2, 2]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data).map((v) => softClampValue(v, -1, 2)));
  });
});

describe('checkLogScaleClamp', () => {
  it('reads a bound B as (−B, B), an object as given, and null/undefined as no clamp', () => {
    expect(checkLogScaleClamp(5, 'w')).toEqual({ min: -5, max: 5 });
    expect(checkLogScaleClamp({ min: -7, max: 3 }, 'w')).toEqual({ min: -7, max: 3 });
    expect(checkLogScaleClamp(undefined, 'w')).toBeNull();
    expect(checkLogScaleClamp(null, 'w')).toBeNull();
  });

  it('rejects bounds that exclude 0, are not finite, or are of the wrong kind, naming the option', () => {
    expect(() => checkLogScaleClamp(0, 'MAF')).toThrow(RangeError);
    expect(() => checkLogScaleClamp(-1, 'MAF')).toThrow(/MAF: 'logScaleClamp' must be a finite number > 0 \(the bound B of \(−B, B\)\) or \{ min, max \}, got -1/);
    expect(() => checkLogScaleClamp(Infinity, 'MAF')).toThrow(RangeError);
    expect(() => checkLogScaleClamp({ min: 1, max: 3 }, 'MAF')).toThrow(/'logScaleClamp' must have finite min < 0 < max/);
    expect(() => checkLogScaleClamp({ min: -1, max: 3, mid: 0 }, 'MAF')).toThrow(/'logScaleClamp' has an unknown key 'mid'/);
    expect(() => checkLogScaleClamp({ min: '-1', max: 3 }, 'MAF')).toThrow(TypeError);
    expect(() => checkLogScaleClamp('5', 'MAF')).toThrow(/'logScaleClamp' must be a number B or an object \{ min, max \}, got '5'/);
  });
});
