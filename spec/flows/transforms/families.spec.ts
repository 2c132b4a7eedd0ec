import { Tensor } from '../../../autodiff/tensor.js';
import { affineFamily, boundedAffineFamily } from '../../../flows/transforms/affine.js';
import type { TransformFamily } from '../../../flows/transforms/family.js';
import { transformFamilyFromConfig } from '../../../flows/transforms/registry.js';
import { splineFamily } from '../../../flows/transforms/spline.js';
import { applyTransform } from '../../../flows/transforms/transform-op.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { add, mul } from '../../../autodiff/ops/binary.js';
import { expectGradClose, randn, seededRng } from '../../helpers/grad-check.js';

// The contract every family keeps (flows/transforms/family.ts), checked on each built-in one.
const FAMILIES: Array<[string, () => TransformFamily]> = [
  ['affine', () => affineFamily()],
  ['affine, logScaleClamp 0.7', () => affineFamily({ logScaleClamp: 0.7 })],
  ['boundedAffine', () => boundedAffineFamily()],
  ['boundedAffine, epsilon 0.1', () => boundedAffineFamily({ epsilon: 0.1 })],
  ['spline, 8 bins on [−3, 3]', () => splineFamily({ bins: 8, bound: 3 })],
  ['spline, 2 bins on [−1, 1]', () => splineFamily({ bins: 2, bound: 1 })],
];

const out = new Float64Array(2);
const forward = (f: TransformFamily, u: number, theta: Float64Array): [number, number] => {
  f.forward(u, theta, 0, out);
  return [out[0], out[1]];
};
const inverse = (f: TransformFamily, x: number, theta: Float64Array): [number, number] => {
  f.inverse(x, theta, 0, out);
  return [out[0], out[1]];
};

describe.each(FAMILIES)('transform family: %s', (_label, make) => {
  const f = make();
  const rng = seededRng(`family-${_label}`);
  const thetas = Array.from({ length: 6 }, () => Float64Array.from(randn(rng, [f.params], 0.8).data));
  const points = [-2.5, -1, -0.3, 0, 0.4, 1.7, 2.9];

  it('maps θ = 0 to the identity (x = u, L = 0)', () => {
    const zero = new Float64Array(f.params);
    for (const u of points) {
      const [x, L] = forward(f, u, zero);
      expect(Math.abs(x - u)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(u)));
      expect(Math.abs(L)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('inverse(forward(u)) = u to 1e-10, and both report the same L', () => {
    for (const theta of thetas) {
      for (const u of points) {
        const [x, L] = forward(f, u, theta);
        const [back, Lback] = inverse(f, x, theta);
        expect(Math.abs(back - u)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(u)));
        expect(Math.abs(Lback - L)).toBeLessThanOrEqual(1e-9);
      }
    }
  });

  it('L = log f\'(u) against a central difference, and f is increasing', () => {
    // h small: a spline's f'' jumps at its knots (−B among them), so a difference across one is off by O(h·Δf'').
    const h = 1e-8;
    for (const theta of thetas) {
      for (const u of points) {
        const slope = (forward(f, u + h, theta)[0] - forward(f, u - h, theta)[0]) / (2 * h);
        expect(slope).toBeGreaterThan(0);
        expect(Math.abs(Math.log(slope) - forward(f, u, theta)[1])).toBeLessThanOrEqual(1e-6);
      }
    }
  });

  it('forwardGrad matches central differences in θ and u (gx·x + gl·L)', () => {
    const h = 1e-6;
    for (const theta of thetas) {
      for (const u of [-1.3, 0.2, 2.1]) {
        const gx = 0.7;
        const gl = -1.1;
        const g = (uu: number, th: Float64Array): number => {
          const [x, L] = forward(f, uu, th);
          return gx * x + gl * L;
        };
        const gTheta = new Float64Array(f.params + 3).fill(0.5); // an offset and existing contents: it must add
        const gu = f.forwardGrad(u, theta, 0, gx, gl, gTheta, 3);
        expect(gTheta.slice(0, 3)).toEqual(new Float64Array([0.5, 0.5, 0.5]));
        const numericU = (g(u + h, theta) - g(u - h, theta)) / (2 * h);
        expect(Math.abs(gu - numericU)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(numericU)));
        for (let p = 0; p < f.params; p++) {
          const up = theta.slice();
          const down = theta.slice();
          up[p] += h;
          down[p] -= h;
          const numeric = (g(u, up) - g(u, down)) / (2 * h);
          expect(Math.abs(gTheta[3 + p] - 0.5 - numeric)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(numeric)));
        }
      }
    }
  });

  it('reads θ at its offset: the same values elsewhere in a longer array give the same results', () => {
    const theta = thetas[0];
    const long = new Float64Array(3 * f.params).fill(9);
    long.set(theta, f.params);
    f.forward(0.3, long, f.params, out);
    expect([out[0], out[1]]).toEqual(forward(f, 0.3, theta));
  });

  it('round-trips through getConfig and transformFamilyFromConfig', () => {
    const config = JSON.parse(JSON.stringify(f.getConfig()));
    const copy = transformFamilyFromConfig(config);
    expect(copy.name).toBe(f.name);
    expect(copy.params).toBe(f.params);
    expect(forward(copy, 0.9, thetas[1])).toEqual(forward(f, 0.9, thetas[1]));
  });

  // The op's backward: forwardGrad directly (forward), or through the implicit function theorem (inverse).
  it.each(['forward', 'inverse'] as const)('applyTransform %s: gradients in z and θ match central differences', (direction) => {
    const z = randn(rng, [3, 2], 1.2);
    const theta = randn(rng, [3, 2, f.params], 0.8);
    const wv = randn(rng, [3, 2]);
    const wl = randn(rng, [3]);
    // A scalar that reads both outputs with weights, so a wrong sign or a missing term in either shows.
    const loss = (zz: Tensor, th: Tensor): Tensor => {
      const r = applyTransform(f, direction, zz, th);
      return add(sum(mul(r.value, wv)), sum(mul(r.logDet, wl)));
    };
    expectGradClose(loss, [z, theta], { h: 1e-6, rtol: 2e-6, atol: 1e-8 });
  });
});

describe('applyTransform', () => {
  it('forward then inverse is the identity, with opposite log-dets summed over the event', () => {
    const f = splineFamily({ bins: 5, bound: 2 });
    const rng = seededRng('op-round-trip');
    const u = randn(rng, [4, 3], 1.5);
    const theta = randn(rng, [4, 3, f.params]);
    const fwd = applyTransform(f, 'forward', u, theta);
    const inv = applyTransform(f, 'inverse', fwd.value, theta);
    for (let i = 0; i < u.size; i++) expect(Math.abs(inv.value.data[i] - u.data[i])).toBeLessThanOrEqual(1e-10);
    expect(fwd.logDet.shape).toEqual([4]);
    for (let b = 0; b < 4; b++) {
      let s = 0;
      for (let d = 0; d < 3; d++) s += forward(f, u.data[b * 3 + d], theta.data.slice((b * 3 + d) * f.params, (b * 3 + d + 1) * f.params))[1];
      expect(fwd.logDet.data[b]).toBeCloseTo(s, 12);
      expect(inv.logDet.data[b]).toBeCloseTo(-s, 10);
    }
  });

  it('rejects θ that does not hold P values per entry, naming both shapes and P', () => {
    const f = affineFamily();
    expect(() => applyTransform(f, 'inverse', new Tensor(new Float64Array(6), [3, 2]), new Tensor(new Float64Array(6), [3, 2])))
      .toThrow(/applyTransform: 'theta' has shape \[3,2\], expected \[\.\.\.batch, E, 2\] for 'z' of shape \[3,2\] \(family 'affine', P = 2\)/);
  });
});

describe('family options', () => {
  it('boundedAffineFamily: ε must lie in (0, 1); unknown options are named', () => {
    expect(() => boundedAffineFamily({ epsilon: 0 })).toThrow(/boundedAffineFamily: 'epsilon' must be a finite number > 0 and < 1, got 0/);
    expect(() => boundedAffineFamily({ epsilon: 1 })).toThrow(RangeError);
    expect(() => boundedAffineFamily({ epsilonn: 0.1 } as never)).toThrow(/epsilonn/);
  });
  it('affineFamily: a clamp that excludes 0 is a RangeError', () => {
    expect(() => affineFamily({ logScaleClamp: { min: 0.5, max: 2 } })).toThrow(RangeError);
  });
  it('the bounded scale never falls below ε and grows only linearly', () => {
    const f = boundedAffineFamily({ epsilon: 0.01 });
    expect(Math.exp(forward(f, 1, new Float64Array([0, -1e6]))[1])).toBeCloseTo(0.01, 12);
    // softplus(a + c) ≈ a for large a: scale 1e6 + O(1), against e^(1e6) = ∞ for TFP's exp.
    expect(Math.exp(forward(f, 1, new Float64Array([0, 1e6]))[1]) / 1e6).toBeCloseTo(1, 5);
  });
  it('transformFamilyFromConfig: an unknown name is a TypeError listing the known ones', () => {
    expect(() => transformFamilyFromConfig({ name: 'cubic' as never })).toThrow(/unknown transform 'cubic'; expected one of affine, boundedAffine, spline/);
  });
});
