import {
  rqForward, rqForwardGrad, rqInverse, type RQSpline, type RQSplineGrad,
} from '../../../flows/transforms/rational-quadratic.js';
import { splineKnotsFamily } from '../../../flows/transforms/spline-knots.js';
import { inverseGradAt } from '../../../flows/transforms/transform-op.js';
import type { Random } from '../../../lib/util/random.js';
import { seededRng } from '../../helpers/grad-check.js';

/**
 * A random spline of K bins: widths in [0.05, 1.05), heights rescaled to the widths' sum (so x_K = y_K
 * and the tails join), interior slopes in [0.1, 4), boundary slopes 1, rangeMin in [−2, 0).
 * Offsets are nonzero so that a misread offset shows.
 */
function randomSpline(rng: Random, K: number): RQSpline {
  const pad = 3;
  const widths = new Float64Array(K + pad);
  const heights = new Float64Array(K + pad);
  const slopes = new Float64Array(K + 1 + pad);
  let sw = 0;
  let sh = 0;
  for (let k = 0; k < K; k++) {
    sw += widths[pad + k] = 0.05 + rng.uniform();
    sh += heights[pad + k] = 0.05 + rng.uniform();
  }
  for (let k = 0; k < K; k++) heights[pad + k] *= sw / sh;
  slopes[pad] = 1;
  slopes[pad + K] = 1;
  for (let k = 1; k < K; k++) slopes[pad + k] = 0.1 + 3.9 * rng.uniform();
  return { bins: K, rangeMin: -2 + 2 * rng.uniform(), widths, widthsAt: pad, heights, heightsAt: pad, slopes, slopesAt: pad };
}

/** The knots x_0 … x_K (or y_0 … y_K), summed in the same order as the implementation. */
function knotsOf(sp: RQSpline, side: 'x' | 'y'): number[] {
  const sizes = side === 'x' ? sp.widths : sp.heights;
  const at = side === 'x' ? sp.widthsAt : sp.heightsAt;
  const out = [sp.rangeMin];
  for (let k = 0; k < sp.bins; k++) out.push(out[k] + sizes[at + k]);
  return out;
}

const pair = new Float64Array(2);
const fwd = (u: number, sp: RQSpline): [number, number] => {
  rqForward(u, sp, pair);
  return [pair[0], pair[1]];
};
const inv = (x: number, sp: RQSpline): [number, number] => {
  rqInverse(x, sp, pair);
  return [pair[0], pair[1]];
};

function zeroGrad(sp: RQSpline): RQSplineGrad {
  return {
    widths: new Float64Array(sp.widths.length), widthsAt: sp.widthsAt,
    heights: new Float64Array(sp.heights.length), heightsAt: sp.heightsAt,
    slopes: new Float64Array(sp.slopes.length), slopesAt: sp.slopesAt,
  };
}

/** θ of the knots family for a spline with boundary slopes 1: [w (K), h (K), d_1 … d_{K−1}, rangeMin]. */
function thetaOf(sp: RQSpline): Float64Array {
  const K = sp.bins;
  const theta = new Float64Array(3 * K);
  for (let k = 0; k < K; k++) {
    theta[k] = sp.widths[sp.widthsAt + k];
    theta[K + k] = sp.heights[sp.heightsAt + k];
  }
  for (let k = 1; k < K; k++) theta[2 * K + k - 1] = sp.slopes[sp.slopesAt + k];
  theta[3 * K - 1] = sp.rangeMin;
  return theta;
}

/**
 * The inverse's reverse mode as the library runs it (applyTransform's implicit function theorem on
 * the knots family): returns ∂g/∂x, and ∂g/∂θ in the knots family's layout.
 */
function inverseGrad(x: number, sp: RQSpline, gu: number, gl: number): { gx: number; gTheta: Float64Array } {
  const family = splineKnotsFamily(sp.bins);
  const theta = thetaOf(sp);
  const [u, L] = inv(x, sp);
  const gTheta = new Float64Array(theta.length);
  return { gx: inverseGradAt(family, u, L, theta, 0, gu, gl, gTheta, 0), gTheta };
}

/** A copy of the spline with every array copied (so a perturbation touches only the copy). */
function copy(sp: RQSpline): RQSpline {
  return { ...sp, widths: sp.widths.slice(), heights: sp.heights.slice(), slopes: sp.slopes.slice() };
}

const SPLINES = [2, 3, 5, 8, 16].map((K) => ({ K, sp: randomSpline(seededRng(`rq-spline-${K}`), K) }));

describe('rational-quadratic spline: values', () => {
  it.each(SPLINES.map(({ K, sp }) => [K, sp] as const))('K = %i: strictly increasing inside, with f′ = e^L > 0 everywhere', (_K, sp) => {
    const xk = knotsOf(sp, 'x');
    const lo = xk[0] - 1;
    const hi = xk[sp.bins] + 1;
    let prev = -Infinity;
    const bad: string[] = [];
    for (let i = 0; i <= 4000; i++) {
      const u = lo + ((hi - lo) * i) / 4000;
      const [x, L] = fwd(u, sp);
      if (!(x > prev) || !Number.isFinite(L)) bad.push(`u = ${u}: x = ${x} after ${prev}, L = ${L}`);
      prev = x;
    }
    expect(bad).toEqual([]);
  });

  it.each(SPLINES.map(({ K, sp }) => [K, sp] as const))('K = %i: continuous with a continuous derivative at every knot (left and right limits agree to 1e-9)', (_K, sp) => {
    const xk = knotsOf(sp, 'x');
    const yk = knotsOf(sp, 'y');
    const eps = 1e-13;
    for (let k = 0; k <= sp.bins; k++) {
      const [xl, Ll] = fwd(xk[k] - eps, sp);
      const [xr, Lr] = fwd(xk[k] + eps, sp);
      const [x0, L0] = fwd(xk[k], sp);
      expect(Math.abs(xr - xl)).toBeLessThan(1e-9);
      expect(Math.abs(x0 - yk[k])).toBeLessThan(1e-12); // the knot maps to its y knot
      // f′ at the knot is d_k from both sides (Durkan et al.: the derivative matches by construction)
      expect(Math.abs(Math.exp(Ll) - Math.exp(Lr))).toBeLessThan(1e-9);
      expect(Math.abs(Math.exp(L0) - sp.slopes[sp.slopesAt + k])).toBeLessThan(1e-9);
    }
  });

  it('is the identity with L = 0 in the tails, at ±∞ and at huge inputs, both ways', () => {
    const { sp } = SPLINES[3];
    const xk = knotsOf(sp, 'x');
    const K = sp.bins;
    for (const u of [xk[0], xk[0] - 1e-12, xk[0] - 3, xk[K], xk[K] + 1e-12, xk[K] + 7, 1e300, -1e300, Infinity, -Infinity, Number.MAX_VALUE]) {
      expect(fwd(u, sp)).toEqual([u, 0]);
      expect(inv(u, sp)).toEqual([u, 0]);
    }
  });

  it('gives NaN for NaN, in the value and the log-derivative', () => {
    const { sp } = SPLINES[0];
    for (const r of [fwd(NaN, sp), inv(NaN, sp)]) expect(r.every(Number.isNaN)).toBe(true);
  });

  it('has no NaN exactly on knots, at the range edges, at ±∞ and at huge inputs, in values and gradients', () => {
    for (const { sp } of SPLINES) {
      const pts = [...knotsOf(sp, 'x'), ...knotsOf(sp, 'y'), Infinity, -Infinity, 1e308, -1e308, Number.MIN_VALUE];
      for (const v of pts) {
        for (const r of [fwd(v, sp), inv(v, sp)]) expect(r.every((z) => !Number.isNaN(z))).toBe(true);
        const g = zeroGrad(sp);
        expect(Number.isNaN(rqForwardGrad(v, sp, 0.7, -1.3, g))).toBe(false);
        const viaInverse = inverseGrad(v, sp, 0.7, -1.3);
        expect(Number.isNaN(viaInverse.gx)).toBe(false);
        for (const a of [g.widths, g.heights, g.slopes, viaInverse.gTheta]) expect(a.every(Number.isFinite)).toBe(true);
      }
    }
  });

  it.each(SPLINES.map(({ K, sp }) => [K, sp] as const))('K = %i: inverse(forward(u)) = u to 1e-10, at and within 1e-12 of every knot and bin edge', (_K, sp) => {
    const rng = seededRng(`rq-roundtrip-${sp.bins}`);
    const xk = knotsOf(sp, 'x');
    const yk = knotsOf(sp, 'y');
    const us: number[] = [];
    for (const x of xk) us.push(x, x - 1e-12, x + 1e-12, x - 1e-15, x + 1e-15, x - 1e-9, x + 1e-9);
    for (let i = 0; i < 500; i++) us.push(xk[0] - 0.5 + (xk[sp.bins] - xk[0] + 1) * rng.uniform());
    for (const u of us) {
      const [x, L] = fwd(u, sp);
      const [u2, L2] = inv(x, sp);
      expect(Math.abs(u2 - u)).toBeLessThan(1e-10);
      expect(Math.abs(L2 - L)).toBeLessThan(1e-8); // L is the forward log-derivative at u either way
    }
    // And the other way round, from points on and next to the y knots.
    for (const y of yk) {
      for (const x of [y, y - 1e-12, y + 1e-12]) {
        expect(Math.abs(fwd(inv(x, sp)[0], sp)[0] - x)).toBeLessThan(1e-10);
      }
    }
  });

  it('L equals the log of a central difference of f', () => {
    for (const { sp } of SPLINES) {
      const rng = seededRng(`rq-logdet-${sp.bins}`);
      const xk = knotsOf(sp, 'x');
      const hStep = 1e-6;
      for (let i = 0; i < 200; i++) {
        // Away from the knots by more than the step, where f″ jumps.
        const k = Math.floor(rng.uniform() * sp.bins);
        const u = xk[k] + (0.05 + 0.9 * rng.uniform()) * (xk[k + 1] - xk[k]);
        const slope = (fwd(u + hStep, sp)[0] - fwd(u - hStep, sp)[0]) / (2 * hStep);
        expect(Math.abs(fwd(u, sp)[1] - Math.log(slope))).toBeLessThan(1e-8);
      }
    }
  });

  it('a spline with equal widths and heights and unit slopes is the identity', () => {
    const K = 4;
    const ones = new Float64Array(K + 1).fill(1);
    const sp: RQSpline = { bins: K, rangeMin: -2, widths: ones, widthsAt: 0, heights: ones, heightsAt: 0, slopes: ones, slopesAt: 0 };
    for (const u of [-1.7, -1, 0, 0.3, 1.99]) {
      // ξ² + ξ(1 − ξ) = ξ over D = 1, so x = y_k + ξ = u; M = ξ² + 2ξ(1 − ξ) + (1 − ξ)² = 1, so L = 0
      expect(Math.abs(fwd(u, sp)[0] - u)).toBeLessThan(1e-15);
      expect(Math.abs(fwd(u, sp)[1])).toBeLessThan(1e-15);
    }
  });

  it('matches a value worked by hand', () => {
    // One bin [0, 1] → [0, 2] (s = 2), slopes 1 and 1, at ξ = ½: t = ¼, A = 2·¼ + ¼ = ¾,
    // D = 2 + (1 + 1 − 4)·¼ = 3/2, x = 0 + 2·(¾)/(3/2) = 1; M = ¼ + 2·2·¼ + ¼ = 3/2,
    // f′ = s² M / D² = 4·(3/2)/(9/4) = 8/3.
    const sp: RQSpline = {
      bins: 1, rangeMin: 0, widths: Float64Array.of(1), widthsAt: 0, heights: Float64Array.of(2), heightsAt: 0,
      slopes: Float64Array.of(1, 1), slopesAt: 0,
    };
    const [x, L] = fwd(0.5, sp);
    expect(x).toBeCloseTo(1, 15);
    expect(L).toBeCloseTo(Math.log(8 / 3), 14);
    expect(inv(1, sp)[0]).toBeCloseTo(0.5, 15);
  });
});

describe('rational-quadratic spline: gradients against central differences (float64, relative error ≤ 1e-6)', () => {
  const H = 1e-6;
  const close = (analytic: number, numeric: number, what: string): void => {
    const err = Math.abs(analytic - numeric);
    if (err > 1e-8 + 1e-6 * Math.max(Math.abs(analytic), Math.abs(numeric))) {
      throw new Error(`${what}: analytic ${analytic}, numeric ${numeric}`);
    }
  };

  /** Every parameter slot of the spline as [array name, index]: K widths, K heights, K + 1 slopes. */
  const slots = (sp: RQSpline): Array<['widths' | 'heights' | 'slopes', number, number]> => [
    ...Array.from({ length: sp.bins }, (_, k) => ['widths', sp.widthsAt + k, k] as ['widths', number, number]),
    ...Array.from({ length: sp.bins }, (_, k) => ['heights', sp.heightsAt + k, k] as ['heights', number, number]),
    ...Array.from({ length: sp.bins + 1 }, (_, k) => ['slopes', sp.slopesAt + k, k] as ['slopes', number, number]),
  ];

  it.each(SPLINES.map(({ K, sp }) => [K, sp] as const))('K = %i: forward, g = gx·x + gl·L, w.r.t. u, every width, height and slope, and rangeMin', (_K, sp) => {
    const rng = seededRng(`rq-grad-fwd-${sp.bins}`);
    const xk = knotsOf(sp, 'x');
    for (let trial = 0; trial < 12; trial++) {
      const k = trial % sp.bins;
      const u = xk[k] + (0.1 + 0.8 * rng.uniform()) * (xk[k + 1] - xk[k]);
      const gx = rng.normal();
      const gl = rng.normal();
      const g = (v: number, s: RQSpline): number => {
        const [x, L] = fwd(v, s);
        return gx * x + gl * L;
      };
      const grad = zeroGrad(sp);
      const gu = rqForwardGrad(u, sp, gx, gl, grad);
      close(gu, (g(u + H, sp) - g(u - H, sp)) / (2 * H), `∂g/∂u at u = ${u}`);
      for (const [name, i, k2] of slots(sp)) {
        const up = copy(sp);
        const down = copy(sp);
        up[name][i] += H;
        down[name][i] -= H;
        close(grad[name][i], (g(u, up) - g(u, down)) / (2 * H), `∂g/∂${name}[${k2}] (u in bin ${k})`);
      }
      const up = { ...sp, rangeMin: sp.rangeMin + H };
      const down = { ...sp, rangeMin: sp.rangeMin - H };
      close(gx - gu, (g(u, up) - g(u, down)) / (2 * H), '∂g/∂rangeMin = gx − ∂g/∂u');
    }
  });

  it.each(SPLINES.map(({ K, sp }) => [K, sp] as const))('K = %i: inverse, g = gu·u + gl·L at u = f⁻¹(x), by the implicit function theorem', (_K, sp) => {
    const rng = seededRng(`rq-grad-inv-${sp.bins}`);
    const xk = knotsOf(sp, 'x');
    for (let trial = 0; trial < 12; trial++) {
      const k = trial % sp.bins;
      // Pick x as the image of a point well inside bin k, so no perturbation crosses a knot.
      const x = fwd(xk[k] + (0.1 + 0.8 * rng.uniform()) * (xk[k + 1] - xk[k]), sp)[0];
      const gu = rng.normal();
      const gl = rng.normal();
      const g = (v: number, s: RQSpline): number => {
        const [u, L] = inv(v, s);
        return gu * u + gl * L;
      };
      const { gx, gTheta } = inverseGrad(x, sp, gu, gl);
      close(gx, (g(x + H, sp) - g(x - H, sp)) / (2 * H), `∂g/∂x at x = ${x}`);
      // The knots family's parameters: widths, heights, interior slopes (the boundary ones are the constant 1).
      const K = sp.bins;
      const params: Array<['widths' | 'heights' | 'slopes', number, number]> = [
        ...Array.from({ length: K }, (_, j) => ['widths', sp.widthsAt + j, j] as ['widths', number, number]),
        ...Array.from({ length: K }, (_, j) => ['heights', sp.heightsAt + j, K + j] as ['heights', number, number]),
        ...Array.from({ length: K - 1 }, (_, j) => ['slopes', sp.slopesAt + j + 1, 2 * K + j] as ['slopes', number, number]),
      ];
      for (const [name, i, at] of params) {
        const up = copy(sp);
        const down = copy(sp);
        up[name][i] += H;
        down[name][i] -= H;
        close(gTheta[at], (g(x, up) - g(x, down)) / (2 * H), `inverse ∂g/∂${name}[${i}] (bin ${k})`);
      }
      const up = { ...sp, rangeMin: sp.rangeMin + H };
      const down = { ...sp, rangeMin: sp.rangeMin - H };
      close(gTheta[3 * K - 1], (g(x, up) - g(x, down)) / (2 * H), '∂g/∂rangeMin');
    }
  });

  it('in the tails: ∂g/∂u = gx (or gu) and no parameter gradient', () => {
    const { sp } = SPLINES[1];
    const xk = knotsOf(sp, 'x');
    for (const u of [xk[0] - 1, xk[sp.bins] + 2, Infinity]) {
      const grad = zeroGrad(sp);
      expect(rqForwardGrad(u, sp, 0.3, 5, grad)).toBe(0.3);
      const viaInverse = inverseGrad(u, sp, -0.4, 5);
      expect(viaInverse.gx).toBe(-0.4);
      for (const a of [grad.widths, grad.heights, grad.slopes]) expect(a.every((v) => v === 0)).toBe(true);
      // Only the first knot moves a point in the tails: ∂u/∂rangeMin = 1 − 1 = 0 there too.
      expect(Array.from(viaInverse.gTheta).every((v) => v === 0)).toBe(true);
    }
  });
});
