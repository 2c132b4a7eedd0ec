import { tensor } from '../../../autodiff/tensor.js';
import { RationalQuadraticSpline } from '../../../flows/bijectors/rational-quadratic-spline.js';
import type { TransformFamily } from '../../../flows/transforms/family.js';
import { splineFamily, splineParametersOf } from '../../../flows/transforms/spline.js';
import { seededRng } from '../../helpers/grad-check.js';

const out = new Float64Array(2);
const forward = (f: TransformFamily, u: number, theta: Float64Array, o = 0): [number, number] => {
  f.forward(u, theta, o, out);
  return [out[0], out[1]];
};
const inverse = (f: TransformFamily, x: number, theta: Float64Array, o = 0): [number, number] => {
  f.inverse(x, theta, o, out);
  return [out[0], out[1]];
};

/** θ of P normal draws of scale `scale`, placed at offset `o` of a longer buffer of junk. */
function randomTheta(name: string, P: number, scale: number, o: number): Float64Array {
  const rng = seededRng(name);
  const theta = new Float64Array(o + P + 2).fill(NaN); // anything read outside θ shows as NaN
  for (let p = 0; p < P; p++) theta[o + p] = scale * rng.normal();
  return theta;
}

/** The knots of θ's spline, the points 1e-12 either side of them, and 50 uniform draws over [−B − 1, B + 1]. */
function probePoints(f: TransformFamily, theta: Float64Array, o: number, seed: string): number[] {
  const p = splineParametersOf(f, theta, o);
  const knots = [p.rangeMin];
  for (const w of p.binWidths) knots.push(knots[knots.length - 1] + w);
  const rng = seededRng(seed);
  const us = [...knots, ...knots.map((k) => k + 1e-12), ...knots.map((k) => k - 1e-12)];
  for (let i = 0; i < 50; i++) us.push(p.rangeMin - 1 + (2 - 2 * p.rangeMin) * rng.uniform());
  return us;
}

describe('splineFamily', () => {
  it('has name spline, P = 3K − 1 and the defaults K = 8, B = 5, minima 1e-3', () => {
    const f = splineFamily();
    expect(f.name).toBe('spline');
    expect(f.params).toBe(23);
    expect(f.getConfig()).toEqual({ name: 'spline', bins: 8, bound: 5, minBinWidth: 1e-3, minBinHeight: 1e-3, minSlope: 1e-3 });
    const g = splineFamily({ bins: 3, bound: 2, minBinWidth: 0.01, minBinHeight: 0.02, minSlope: 0.1 });
    expect(g.params).toBe(8);
    expect(g.getConfig()).toEqual({ name: 'spline', bins: 3, bound: 2, minBinWidth: 0.01, minBinHeight: 0.02, minSlope: 0.1 });
  });

  it('θ = 0 is the identity with L = 0, inside [−B, B] and in the tails, both ways', () => {
    for (const f of [splineFamily(), splineFamily({ bins: 3, bound: 1.5, minSlope: 0.2 })]) {
      const theta = new Float64Array(f.params);
      for (const u of [Infinity, -Infinity]) {
        expect(forward(f, u, theta)).toEqual([u, 0]);
        expect(inverse(f, u, theta)).toEqual([u, 0]);
      }
      for (const u of [-100, -5.0001, -5, -4.3, -1, 0, 1e-9, 0.7, 1.4999, 3.3, 5, 9]) {
        const [x, L] = forward(f, u, theta);
        // uniform bins and unit slopes: x = y_k + h·ξ = u up to rounding of the knots
        expect(Math.abs(x - u)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(u)));
        expect(Math.abs(L)).toBeLessThan(1e-14);
        const [u2, L2] = inverse(f, u, theta);
        expect(Math.abs(u2 - u)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(u)));
        expect(Math.abs(L2)).toBeLessThan(1e-14);
      }
    }
  });

  it('reads θ as TFP\'s recipe: widths and heights ≥ their minima and summing to 2B, positive slopes, rangeMin −B', () => {
    const f = splineFamily({ bins: 5, bound: 3, minBinWidth: 0.05, minBinHeight: 0.02, minSlope: 0.01 });
    const theta = randomTheta('spline-reading', f.params, 3, 4);
    const p = splineParametersOf(f, theta, 4);
    expect(p.binWidths).toHaveLength(5);
    expect(p.binHeights).toHaveLength(5);
    expect(p.knotSlopes).toHaveLength(4);
    expect(p.rangeMin).toBe(-3);
    const total = (a: number[]): number => a.reduce((s, v) => s + v, 0);
    expect(Math.abs(total(p.binWidths) - 6)).toBeLessThan(1e-14);
    expect(Math.abs(total(p.binHeights) - 6)).toBeLessThan(1e-14);
    expect(p.binWidths.every((w) => w > 0.05)).toBe(true);
    expect(p.binHeights.every((h) => h > 0.02)).toBe(true);
    expect(p.knotSlopes.every((d) => d > 0.01)).toBe(true);
    // widths: softmax of the first K entries, scaled: w_k = 0.05 + (6 − 0.25)·e^{θ_k}/Σ e^{θ_j}
    const e = Array.from(theta.subarray(4, 9), Math.exp);
    const z = total(e);
    p.binWidths.forEach((w, k) => expect(w).toBeCloseTo(0.05 + 5.75 * (e[k] / z), 14));
    // slope 1: d = 0.01 + 0.99·e^θ = 1 at θ = 0
    expect(splineParametersOf(f, new Float64Array(f.params)).knotSlopes.every((d) => Math.abs(d - 1) < 1e-15)).toBe(true);
    expect(splineParametersOf(f, Array.from(theta.subarray(4, 4 + f.params)))).toEqual(p);
  });

  it('forward then inverse round-trips to 1e-10 for random θ ~ N(0, 1), including the knots', () => {
    const f = splineFamily({ bins: 6, bound: 2 });
    for (let trial = 0; trial < 20; trial++) {
      const theta = randomTheta(`spline-roundtrip-${trial}`, f.params, 1, 3);
      for (const u of probePoints(f, theta, 3, `spline-roundtrip-u-${trial}`)) {
        const [x, L] = forward(f, u, theta, 3);
        const [u2, L2] = inverse(f, x, theta, 3);
        expect(Math.abs(u2 - u)).toBeLessThan(1e-10);
        expect(Math.abs(L2 - L)).toBeLessThan(1e-8);
      }
    }
  });

  it('for extreme θ ~ N(0, 9) the round trip is as exact as the conditioning allows: |Δu| ≤ 1e-10 + 4·ulp(x)/f′(u)', () => {
    // With slopes near minSlope, f′ reaches 1e-7: x = f(u) is rounded to a double, and every u within
    // ulp(x)/f′(u) ≈ 1e-9 of the true one maps to that same double, so no inverse can do better.
    const f = splineFamily({ bins: 6, bound: 2 });
    for (let trial = 0; trial < 20; trial++) {
      const theta = randomTheta(`spline-roundtrip-extreme-${trial}`, f.params, 3, 3);
      for (const u of probePoints(f, theta, 3, `spline-roundtrip-extreme-u-${trial}`)) {
        const [x, L] = forward(f, u, theta, 3);
        const ulp = Math.max(Math.abs(x), 1e-300) * Number.EPSILON;
        expect(Math.abs(inverse(f, x, theta, 3)[0] - u)).toBeLessThan(1e-10 + (4 * ulp) / Math.exp(L));
      }
    }
  });

  it('forwardGrad matches central differences over θ and u, and adds into gTheta at its offset', () => {
    const H = 1e-6;
    for (const [K, B] of [[2, 1], [4, 3], [8, 5]] as const) {
      const f = splineFamily({ bins: K, bound: B, minSlope: 0.05 });
      const P = f.params;
      for (let trial = 0; trial < 6; trial++) {
        const o = 2;
        const theta = randomTheta(`spline-grad-${K}-${trial}`, P, 1.5, o);
        const rng = seededRng(`spline-grad-u-${K}-${trial}`);
        // Inside [−B, B] (away from knots with high probability) and, for one trial, in a tail.
        const u = trial === 5 ? B + 0.5 : -B + 2 * B * (0.02 + 0.96 * rng.uniform());
        const gx = rng.normal();
        const gl = rng.normal();
        const g = (v: number, th: Float64Array): number => {
          const [x, L] = forward(f, v, th, o);
          return gx * x + gl * L;
        };
        const go = 5;
        const gTheta = new Float64Array(go + P).fill(0.25); // pre-filled: the family must add, not assign
        const gu = f.forwardGrad(u, theta, o, gx, gl, gTheta, go);
        const du = (g(u + H, theta) - g(u - H, theta)) / (2 * H);
        expect(Math.abs(gu - du)).toBeLessThan(1e-8 + 1e-6 * Math.abs(du));
        expect(Array.from(gTheta.subarray(0, go))).toEqual(new Array(go).fill(0.25));
        for (let p = 0; p < P; p++) {
          const up = theta.slice();
          const down = theta.slice();
          up[o + p] += H;
          down[o + p] -= H;
          const numeric = (g(u, up) - g(u, down)) / (2 * H);
          const analytic = gTheta[go + p] - 0.25;
          if (Math.abs(analytic - numeric) > 1e-8 + 1e-6 * Math.max(Math.abs(analytic), Math.abs(numeric))) {
            throw new Error(`K ${K}, trial ${trial}, θ_${p}: analytic ${analytic}, numeric ${numeric}`);
          }
        }
      }
    }
  });

  it('agrees with RationalQuadraticSpline built from splineParametersOf to 1e-12, forward and inverse', () => {
    const f = splineFamily({ bins: 7, bound: 4 });
    for (let trial = 0; trial < 5; trial++) {
      const theta = randomTheta(`spline-vs-bijector-${trial}`, f.params, 2, 0);
      const bij = new RationalQuadraticSpline(splineParametersOf(f, theta));
      const rng = seededRng(`spline-vs-bijector-x-${trial}`);
      const pts = Array.from({ length: 64 }, () => -5 + 10 * rng.uniform());
      const xs = tensor(pts);
      const fw = bij.forwardAndLogDet(xs);
      const iv = bij.inverseAndLogDet(xs);
      pts.forEach((v, i) => {
        const [x, L] = forward(f, v, theta);
        expect(Math.abs(fw.y.data[i] - x)).toBeLessThan(1e-12);
        expect(Math.abs(fw.logDet.data[i] - L)).toBeLessThan(1e-12);
        const [u, L2] = inverse(f, v, theta);
        expect(Math.abs(iv.x.data[i] - u)).toBeLessThan(1e-12);
        expect(Math.abs(iv.logDet.data[i] + L2)).toBeLessThan(1e-12);
      });
    }
  });

  it('rejects bad options with the argument, the value and what was expected', () => {
    expect(() => splineFamily({ bins: 1 })).toThrow(RangeError);
    expect(() => splineFamily({ bins: 1 })).toThrow("splineFamily: 'bins' must be an integer ≥ 2, got 1");
    expect(() => splineFamily({ bins: 1.5 })).toThrow("splineFamily: 'bins' must be an integer ≥ 2, got 1.5");
    expect(() => splineFamily({ bins: '8' as never })).toThrow(TypeError);
    expect(() => splineFamily({ bound: 0 })).toThrow(RangeError);
    expect(() => splineFamily({ bound: 0 })).toThrow("splineFamily: 'bound' must be a finite number > 0, got 0");
    expect(() => splineFamily({ bound: -1 })).toThrow(/'bound' must be a finite number > 0, got -1/);
    expect(() => splineFamily({ bound: Infinity })).toThrow(/'bound' must be a finite number > 0, got Infinity/);
    expect(() => splineFamily({ minSlope: 1 })).toThrow(/'minSlope' must be a finite number > 0 and < 1, got 1/);
    expect(() => splineFamily({ minBinWidth: 0 })).toThrow(/'minBinWidth' must be a finite number > 0, got 0/);
    expect(() => splineFamily({ bins: 8, bound: 1, minBinWidth: 0.25 })).toThrow(
      "splineFamily: 'bins' × 'minBinWidth' must be < 2·'bound' (the K bins share [−B, B]), got 8 × 0.25 = 2 ≥ 2");
    expect(() => splineFamily({ bins: 4, bound: 1, minBinHeight: 0.6 })).toThrow(/'bins' × 'minBinHeight' must be < 2·'bound'/);
    expect(() => splineFamily({ bin: 8 } as never)).toThrow(TypeError);
    expect(() => splineFamily({ bin: 8 } as never)).toThrow(
      "splineFamily: unknown option 'bin' (did you mean 'bins'?); valid options are bins, bound, minBinWidth, minBinHeight, minSlope");
    expect(() => splineFamily({ min_slope: 0.1 } as never)).toThrow(/did you mean 'minSlope'/);
  });

  it('splineParametersOf rejects other families and θ that does not fit', () => {
    const f = splineFamily({ bins: 2 });
    const notSpline = { ...f, name: 'affine' } as unknown as TransformFamily;
    expect(() => splineParametersOf(notSpline, new Float64Array(5))).toThrow(/splineParametersOf: 'family' must be a family made by splineFamily\(\), got the 'affine' family/);
    expect(() => splineParametersOf(f, new Float64Array(4))).toThrow(RangeError);
    expect(() => splineParametersOf(f, new Float64Array(6), 2)).toThrow(/θ needs 5 numbers from offset 2, but 'theta' has length 6/);
    expect(() => splineParametersOf(f, 'abc' as never)).toThrow(TypeError);
  });
});
