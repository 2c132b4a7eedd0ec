import { mul } from '../../autodiff/ops/binary.js';
import { sum } from '../../autodiff/ops/reduce.js';
import {
  abs, clip, elu, exp, expm1, log, log1p, neg, pow, relu, sigmoid, softplus, sqrt, square, tanh,
} from '../../autodiff/ops/unary.js';
import { Tensor, tensor } from '../../autodiff/tensor.js';
import type { Random } from '../../lib/util/random.js';
import { expectGradClose, randn, randu, seededRng } from '../helpers/grad-check.js';

/** The values of `op` at `xs`, as a plain array. */
function at(op: (x: Tensor) => Tensor, xs: number[]): number[] {
  return Array.from(op(tensor(xs)).data);
}

/** The gradient of Σ op(x) at `xs`, i.e. op'(x) elementwise. */
function slope(op: (x: Tensor) => Tensor, xs: number[]): number[] {
  const x = tensor(xs, [xs.length], { requiresGrad: true });
  sum(op(x)).backward();
  return Array.from(x.grad!.data);
}

/** Standard normals pushed at least `gap` away from each kink in `kinks`, so central differences never straddle one. */
function awayFrom(rng: Random, kinks: number[], gap = 0.05): Tensor {
  const x = randn(rng, [3, 4]);
  for (let i = 0; i < x.size; i++) {
    for (const k of kinks) {
      if (Math.abs(x.data[i] - k) < gap) x.data[i] = k + (x.data[i] >= k ? gap : -gap);
    }
  }
  return x;
}

describe('unary ops: values', () => {
  it('neg, exp, log, sqrt, square, abs', () => {
    expect(at(neg, [1, -2, 0])).toEqual([-1, 2, -0]);
    expect(at(exp, [0, 1])).toEqual([1, Math.E]);
    expect(at(log, [1, Math.E, 0])).toEqual([0, 1, -Infinity]);
    expect(at(sqrt, [4, 0.25, 0])).toEqual([2, 0.5, 0]);
    expect(at(square, [-3, 0.5])).toEqual([9, 0.25]);
    expect(at(abs, [-2, 3, 0])).toEqual([2, 3, 0]);
  });

  it('log1p and expm1 stay accurate where 1 + x rounds to 1', () => {
    // log(1 + 1e-20) would give log(1) = 0; log1p(x) = x − x²/2 + … = 1e-20 to double precision
    expect(at(log1p, [1e-20, Math.E - 1])).toEqual([1e-20, 1]);
    expect(at(expm1, [1e-20, 0])).toEqual([1e-20, 0]);
    expect(at(expm1, [Math.log(3)])[0]).toBeCloseTo(2, 15);
  });

  it('pow for integer, fractional and negative exponents', () => {
    expect(at((x) => pow(x, 3), [2, -2])).toEqual([8, -8]);
    expect(at((x) => pow(x, 0.5), [4, 9])).toEqual([2, 3]);
    expect(at((x) => pow(x, -1), [2, 4])).toEqual([0.5, 0.25]);
    expect(at((x) => pow(x, 2), [-3])).toEqual([9]); // delegates to square
    expect(at((x) => pow(x, 0), [5, 0])).toEqual([1, 1]);
  });

  it('tanh, sigmoid, relu, elu, softplus at points with closed forms', () => {
    // tanh(ln 2) = (e^{2 ln 2} − 1)/(e^{2 ln 2} + 1) = (4 − 1)/(4 + 1) = 0.6
    const [t0, t1] = at(tanh, [0, Math.LN2]);
    expect(t0).toBe(0);
    expect(t1).toBeCloseTo(0.6, 15);
    // sigmoid(±ln 3) = 1/(1 + 3^∓1) = 3/4 and 1/4
    const [s0, s1, s2] = at(sigmoid, [0, Math.log(3), -Math.log(3)]);
    expect(s0).toBe(0.5);
    expect(s1).toBeCloseTo(0.75, 15);
    expect(s2).toBeCloseTo(0.25, 15);
    expect(at(relu, [-1, 0, 2])).toEqual([0, 0, 2]);
    // elu(−ln 2) = e^{−ln 2} − 1 = −0.5
    const [e0, e1] = at(elu, [-Math.LN2, 2]);
    expect(e0).toBeCloseTo(-0.5, 15);
    expect(e1).toBe(2);
    // softplus(0) = ln 2, softplus(ln 3) = ln(1 + 3) = ln 4
    const [p0, p1] = at(softplus, [0, Math.log(3)]);
    expect(p0).toBeCloseTo(Math.LN2, 15);
    expect(p1).toBeCloseTo(Math.log(4), 15);
  });

  it('clip clamps to [lo, hi]', () => {
    expect(at((x) => clip(x, -1, 1), [-2, 0.3, 5, -1, 1])).toEqual([-1, 0.3, 1, -1, 1]);
    expect(at((x) => clip(x, 2, 2), [0, 3])).toEqual([2, 2]);
  });

  it('keep the shape of their input', () => {
    const x = tensor([[0.5, 1, 2]]);
    for (const op of [neg, exp, log, log1p, expm1, sqrt, square, abs, tanh, sigmoid, relu, elu, softplus]) {
      expect(op(x).shape).toEqual([1, 3]);
    }
  });
});

describe('unary ops: stability', () => {
  it('softplus(±1000) is 1000 and 0, with no overflow', () => {
    // max(x, 0) + log1p(e^{−|x|}): e^{−1000} underflows to 0, so softplus(1000) = 1000 + 0 exactly
    // and softplus(−1000) = 0 + log1p(0) = 0 (the true value e^{−1000} is below the smallest double)
    expect(at(softplus, [1000, -1000])).toEqual([1000, 0]);
    // softplus(−30) = log(1 + ε) with ε = e^{−30} ≈ 9.4e-14: ε − ε²/2 + ε³/3 − …, whose ε²/2 term is
    // a relative 4.7e-14, so full relative accuracy (no cancellation in 1 + ε) is what this checks
    const eps = Math.exp(-30);
    expect(Math.abs(at(softplus, [-30])[0] / (eps - (eps * eps) / 2) - 1)).toBeLessThan(1e-15);
  });

  it('sigmoid(±1000) is 1 and 0, never NaN', () => {
    expect(at(sigmoid, [1000, -1000])).toEqual([1, 0]);
    // sigmoid(−30) = e^{−30}/(1 + e^{−30}): relative accuracy kept in the left tail
    expect(at(sigmoid, [-30])[0] / (Math.exp(-30) / (1 + Math.exp(-30)))).toBeCloseTo(1, 14);
  });

  it('gradients of softplus and sigmoid are finite at ±1000', () => {
    // softplus' = sigmoid: 1 and 0; sigmoid' = y(1 − y) = 0 at both ends
    expect(slope(softplus, [1000, -1000])).toEqual([1, 0]);
    expect(slope(sigmoid, [1000, -1000])).toEqual([0, 0]);
    expect(slope(tanh, [1000, -1000])).toEqual([0, 0]);
  });
});

describe('unary ops: gradients at and beyond kinks', () => {
  it('take the derivative of abs and relu at 0 as 0', () => {
    expect(slope(abs, [-2, 0, 3])).toEqual([-1, 0, 1]);
    expect(slope(relu, [-2, 0, 3])).toEqual([0, 0, 1]);
  });

  it('pass clip gradients inside [lo, hi] (bounds included) and block them outside', () => {
    expect(slope((x) => clip(x, -1, 1), [-2, -1, 0.3, 1, 5])).toEqual([0, 1, 1, 1, 0]);
  });

  it('elu has slope e^x on the left and 1 on the right', () => {
    // elu'(−ln 2) = e^{−ln 2} = 0.5
    const [l, r] = slope(elu, [-Math.LN2, 2]);
    expect(l).toBeCloseTo(0.5, 15);
    expect(r).toBe(1);
  });
});

describe('unary ops: backward matches central differences', () => {
  const rng = seededRng('unary-grad');
  // Inputs per op: in the domain (log, sqrt, log1p, fractional pow) and away from kinks.
  const cases: Array<[string, (x: Tensor) => Tensor, () => Tensor]> = [
    ['neg', neg, () => randn(rng, [3, 4])],
    ['exp', exp, () => randn(rng, [3, 4])],
    ['log', log, () => randu(rng, [3, 4], 0.5, 2)],
    ['log1p', log1p, () => randu(rng, [3, 4], -0.5, 2)],
    ['expm1', expm1, () => randn(rng, [3, 4])],
    ['sqrt', sqrt, () => randu(rng, [3, 4], 0.5, 2)],
    ['square', square, () => randn(rng, [3, 4])],
    ['pow 3', (x) => pow(x, 3), () => randn(rng, [3, 4])],
    ['pow 0.5', (x) => pow(x, 0.5), () => randu(rng, [3, 4], 0.5, 2)],
    ['pow −1.5', (x) => pow(x, -1.5), () => randu(rng, [3, 4], 0.5, 2)],
    ['abs', abs, () => awayFrom(rng, [0])],
    ['tanh', tanh, () => randn(rng, [3, 4], 2)],
    ['sigmoid', sigmoid, () => randn(rng, [3, 4], 3)],
    ['relu', relu, () => awayFrom(rng, [0])],
    ['elu', elu, () => awayFrom(rng, [0])],
    ['softplus', softplus, () => randn(rng, [3, 4], 3)],
    ['clip', (x) => clip(x, -0.5, 0.5), () => awayFrom(rng, [-0.5, 0.5])],
  ];
  for (const [name, op, input] of cases) {
    it(name, () => {
      const x = input();
      const w = randn(rng, [3, 4]); // f = Σ w ⊙ op(x), so df/dx = w ⊙ op'(x) entry by entry
      expectGradClose((p) => sum(mul(op(p), w)), [x]);
    });
  }

  it('clip: inputs on both sides of the bounds reach the check', () => {
    // guards the case above against a draw that never leaves [−0.5, 0.5]
    const x = awayFrom(seededRng('unary-grad-clip-range'), [-0.5, 0.5]);
    const data = Array.from(x.data);
    expect(data.some((v) => v < -0.5) && data.some((v) => v > 0.5) && data.some((v) => Math.abs(v) < 0.5)).toBe(true);
    expectGradClose((p) => sum(mul(clip(p, -0.5, 0.5), p)), [x]);
  });
});

describe('unary ops: argument checks', () => {
  it('pow rejects a non-finite or non-number exponent', () => {
    const x = tensor([1, 2]);
    expect(() => pow(x, Infinity)).toThrow(TypeError);
    expect(() => pow(x, Infinity)).toThrow(/pow: exponent 'p' must be a finite number, got Infinity/);
    expect(() => pow(x, NaN)).toThrow(/pow: exponent 'p' must be a finite number, got NaN/);
    expect(() => pow(x, '2' as unknown as number)).toThrow(/got 2/);
  });

  it('clip rejects lo > hi and NaN bounds', () => {
    const x = tensor([1, 2]);
    expect(() => clip(x, 1, 0)).toThrow(RangeError);
    expect(() => clip(x, 1, 0)).toThrow(/clip: 'lo' \(1\) must be ≤ 'hi' \(0\)/);
    expect(() => clip(x, NaN, 1)).toThrow(RangeError);
  });
});

// These fail against the current autodiff/ops/unary.ts; the fixes are in the helper report.
describe('unary ops: gradient edge cases', () => {
  it('pow(x, 0) has gradient 0 at x = 0 (not 0 · 0^(−1) = 0 · ∞ = NaN)', () => {
    // x⁰ = 1 for every x, so its derivative is 0 everywhere, x = 0 included
    expect(slope((x) => pow(x, 0), [0, 2])).toEqual([0, 0]);
  });

  it('expm1 and elu keep relative accuracy of the slope e^x far left', () => {
    // d/dx (eˣ − 1) = eˣ. Computing it as y + 1 with y = expm1(−30) = −0.99999999999990642…
    // cancels 13 digits (relative error ≈ 2e-4); e^{−30} ≈ 9.3576e-14 should come out to ~1 ulp.
    const want = Math.exp(-30);
    expect(Math.abs(slope(expm1, [-30])[0] / want - 1)).toBeLessThan(1e-12);
    expect(Math.abs(slope(elu, [-30])[0] / want - 1)).toBeLessThan(1e-12);
  });
});

/** True when the two arrays hold the same doubles bit for bit (−0 ≠ 0, NaN = NaN), as Object.is compares. */
function sameBits(p: ArrayLike<number>, q: ArrayLike<number>): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
  return true;
}

describe('unary ops: the loops give the bits of the scalar definitions', () => {
  // The definitions, one number at a time: y = f(x) and dx = g · f'(x, y), as each op's TSDoc states.
  const sigmoidOf = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const defs: Array<[string, (x: Tensor) => Tensor, (v: number) => number, (v: number, y: number) => number]> = [
    ['neg', neg, (v) => -v, () => -1],
    ['exp', exp, Math.exp, (_v, y) => y],
    ['log', log, Math.log, (v) => 1 / v],
    ['log1p', log1p, Math.log1p, (v) => 1 / (1 + v)],
    ['expm1', expm1, Math.expm1, (v) => Math.exp(v)],
    ['sqrt', sqrt, Math.sqrt, (_v, y) => 0.5 / y],
    ['square', square, (v) => v * v, (v) => 2 * v],
    ['pow 3', (x) => pow(x, 3), (v) => Math.pow(v, 3), (v) => 3 * Math.pow(v, 2)],
    ['pow 0', (x) => pow(x, 0), (v) => Math.pow(v, 0), () => 0],
    ['abs', abs, Math.abs, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0)],
    ['tanh', tanh, Math.tanh, (_v, y) => 1 - y * y],
    ['sigmoid', sigmoid, sigmoidOf, (_v, y) => y * (1 - y)],
    ['relu', relu, (v) => (v > 0 ? v : 0), (v) => (v > 0 ? 1 : 0)],
    ['elu', elu, (v) => (v > 0 ? v : Math.expm1(v)), (v) => (v > 0 ? 1 : Math.exp(v))],
    ['softplus', softplus, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))), (v) => sigmoidOf(v)],
    ['clip', (x) => clip(x, -0.5, 0.5), (v) => (v < -0.5 ? -0.5 : v > 0.5 ? 0.5 : v), (v) => (v >= -0.5 && v <= 0.5 ? 1 : 0)],
  ];
  // Random normals and every awkward double: ±0, ±∞, NaN, subnormals, the largest, and −800/710
  // where e^x under- and overflows. The seed gradient has ±0, ∞ and NaN of its own, so a
  // derivative of 0 must still give g · 0 (NaN for g = ∞, −0 for g < 0), not skip the term.
  // 2613 values: three slices of work (1024 elements per call of a row), which must join up.
  const rng = seededRng('unary-bits');
  const specials = [0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, 1.7e308, -1.7e308, -800, 710, 0.5, -0.5];
  const xs = Float64Array.from([...specials, ...randn(rng, [2600], 3).data]);
  const gs = Float64Array.from(xs, (_, i) => (i < specials.length ? specials[(i + 3) % specials.length] : xs[(i * 7) % xs.length] - 0.1));
  for (const [name, op, f, df] of defs) {
    it(name, () => {
      const x = new Tensor(xs.slice(), [xs.length], { requiresGrad: true });
      const y = op(x);
      y.backward(new Tensor(gs.slice(), [gs.length]));
      const wantY = xs.map(f);
      expect(sameBits(y.data, wantY)).toBe(true);
      expect(sameBits(x.grad!.data, xs.map((v, i) => 0 + gs[i] * df(v, wantY[i])))).toBe(true);
    });
  }
});
