import { add, mul } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { Tensor, tensor } from '../../../autodiff/tensor.js';
import { RationalQuadraticSpline } from '../../../flows/bijectors/rational-quadratic-spline.js';
import { bijectorFromConfig } from '../../../flows/bijectors/serialization.js';
import { ValueError } from '../../../lib/util/errors.js';
import type { Random } from '../../../lib/util/random.js';
import { expectGradClose, maxAbsDiff, randn, randu, seededRng } from '../../helpers/grad-check.js';
import { runBijectorHarness } from './harness.js';

/**
 * Random spline parameters for `rows` splines of K bins, as nested arrays: widths in [0.2, 1.2),
 * heights rescaled to the same sum per row (TFP requires it), interior slopes in [0.3, 3).
 */
function params(rng: Random, rows: number, K: number): { binWidths: number[][]; binHeights: number[][]; knotSlopes: number[][] } {
  const binWidths: number[][] = [];
  const binHeights: number[][] = [];
  const knotSlopes: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const w = Array.from({ length: K }, () => 0.2 + rng.uniform());
    const h = Array.from({ length: K }, () => 0.2 + rng.uniform());
    const sw = w.reduce((a, b) => a + b, 0);
    const sh = h.reduce((a, b) => a + b, 0);
    binWidths.push(w);
    binHeights.push(h.map((v) => (v * sw) / sh));
    knotSlopes.push(Array.from({ length: K - 1 }, () => 0.3 + 2.7 * rng.uniform()));
  }
  return { binWidths, binHeights, knotSlopes };
}

const shared = params(seededRng('rqs-shared'), 1, 5);
const perDim = params(seededRng('rqs-per-dim'), 3, 4);
const trainable = (v: number[][] | number[]): Tensor => tensor(v, undefined, { requiresGrad: true });

// One spline for every element (params [K]) on [−2, −2 + Σw]; draws of scale 2 reach both tails.
runBijectorHarness({
  label: 'RationalQuadraticSpline (params [K], shared)',
  make: () => new RationalQuadraticSpline({ binWidths: shared.binWidths[0], binHeights: shared.binHeights[0], knotSlopes: shared.knotSlopes[0], rangeMin: -2 }),
  eventSize: 3,
  input: (rng, shape) => randn(rng, shape, 2),
});
// A spline per event dimension (params [3, K], rangeMin [3]), every parameter trainable.
runBijectorHarness({
  label: 'RationalQuadraticSpline (trainable params [3, K])',
  make: () => new RationalQuadraticSpline({
    binWidths: trainable(perDim.binWidths), binHeights: trainable(perDim.binHeights),
    knotSlopes: trainable(perDim.knotSlopes), rangeMin: trainable([-1.5, -2, -1]),
  }),
  eventSize: 3,
  trainable: true,
  input: (rng, shape) => randn(rng, shape, 1.5),
});

describe('RationalQuadraticSpline', () => {
  it('is elementwise, named as TFP, and maps a hand-worked example', () => {
    // Two bins of width 1 on [−1, 1], heights ½ and 1½: knot 1 at x = 0 maps to y = −1 + ½.
    const b = new RationalQuadraticSpline({ binWidths: [1, 1], binHeights: [0.5, 1.5], knotSlopes: [1] });
    expect(b.forwardMinEventNdims).toBe(0);
    expect(b.name).toBe('RationalQuadraticSpline');
    expect(b.bins).toBe(2);
    expect(Array.from(b.forward(tensor([-2, -1, 0, 1, 3])).data)).toEqual([-2, -1, -0.5, 1, 3]);
    // Bin 0 at ξ = ½: s = ½, d0 = d1 = 1, t = ¼: A = ½·¼ + ¼ = 3/8, D = ½ + (2 − 1)·¼ = ¾,
    // y = −1 + ½·(3/8)/(3/4) = −¾; f′ = s²·M/D² with M = ¼ + 2·½·¼ + ¼ = ¾: ¼·¾/(9/16) = ⅓.
    const { y, logDet } = b.forwardAndLogDet(tensor([-0.5]));
    expect(y.data[0]).toBeCloseTo(-0.75, 15);
    expect(logDet.data[0]).toBeCloseTo(Math.log(1 / 3), 14);
    expect(b.inverse(tensor([-0.75])).data[0]).toBeCloseTo(-0.5, 15);
    expect(b.inverseLogDetJacobian(tensor([-0.75])).data[0]).toBeCloseTo(Math.log(3), 14);
  });

  it('TFP shapes: params [K] against x [5,3], and [3,K] against x [5,3] (one spline per column)', () => {
    const rng = seededRng('rqs-shapes');
    const x = randn(rng, [5, 3], 1.5);
    const one = new RationalQuadraticSpline({ ...{ binWidths: shared.binWidths[0], binHeights: shared.binHeights[0], knotSlopes: shared.knotSlopes[0] }, rangeMin: -2 });
    expect(one.forward(x).shape).toEqual([5, 3]);
    expect(one.forwardLogDetJacobian(x).shape).toEqual([5, 3]);
    expect(one.forwardLogDetJacobian(x, { eventNdims: 1 }).shape).toEqual([5]);

    const cols = new RationalQuadraticSpline({ ...perDim, rangeMin: -2 });
    expect(cols.batchShape).toEqual([3]);
    const y = cols.forward(x);
    expect(y.shape).toEqual([5, 3]);
    // Column d uses row d of the parameters: the same as a bijector holding that row alone.
    for (let d = 0; d < 3; d++) {
      const single = new RationalQuadraticSpline({ binWidths: perDim.binWidths[d], binHeights: perDim.binHeights[d], knotSlopes: perDim.knotSlopes[d], rangeMin: -2 });
      const column = tensor(Array.from({ length: 5 }, (_, b) => x.data[b * 3 + d]));
      const yd = single.forward(column).data;
      for (let b = 0; b < 5; b++) expect(y.data[b * 3 + d]).toBe(yd[b]);
    }
    // knotSlopes [1] and a scalar broadcast over the K − 1 interior knots; rangeMin [3] per column.
    const flat = new RationalQuadraticSpline({ binWidths: [1, 1, 1], binHeights: [1, 1, 1], knotSlopes: [1] });
    const scalar = new RationalQuadraticSpline({ binWidths: [1, 1, 1], binHeights: [1, 1, 1], knotSlopes: 1, rangeMin: [-1.5, -1, 0] });
    expect(maxAbsDiff(flat.forward(x).data, x.data)).toBeLessThan(1e-15);
    expect(maxAbsDiff(scalar.forward(x).data, x.data)).toBeLessThan(1e-15);
    // A parameter batch [2, 1, 1] broadcasts with x [5, 3] by NumPy's rules: the output is [2, 5, 3].
    const two = params(seededRng('rqs-two'), 2, 3);
    const tall = new RationalQuadraticSpline({
      binWidths: two.binWidths.map((r) => [[r]]), binHeights: two.binHeights.map((r) => [[r]]), knotSlopes: two.knotSlopes.map((r) => [[r]]),
    });
    expect(tall.forward(x).shape).toEqual([2, 5, 3]);
    expect(tall.inverseAndLogDet(x).logDet.shape).toEqual([2, 5, 3]);
  });

  it('gradients w.r.t. binWidths, binHeights, knotSlopes and rangeMin match central differences, both directions', () => {
    const rng = seededRng('rqs-grad');
    const K = 4;
    const p = params(rng, 3, K);
    // Points inside the ranges (and a few in the tails) for both directions.
    const x = randu(rng, [6, 3], -2.5, 2.5);
    const r1 = randn(rng, [6, 3]);
    const r2 = randn(rng, [6, 3]);
    const loss = (w: Tensor, h: Tensor, s: Tensor, r: Tensor): Tensor => {
      const b = new RationalQuadraticSpline({ binWidths: w, binHeights: h, knotSlopes: s, rangeMin: r });
      const fw = b.forwardAndLogDet(x);
      const iv = b.inverseAndLogDet(x);
      return [sum(mul(fw.y, r1)), sum(mul(fw.logDet, r2)), sum(mul(iv.x, r2)), sum(mul(iv.logDet, r1))].reduce((a, c) => add(a, c));
    };
    const worst = expectGradClose(loss, [tensor(p.binWidths), tensor(p.binHeights), tensor(p.knotSlopes), tensor([-2, -1.8, -2.1])],
      { h: 1e-6, rtol: 1e-6, atol: 1e-8 });
    expect(worst).toBeLessThan(1e-6);
    // And through broadcasting: one [K] spline for all of x, rangeMin a scalar.
    expectGradClose((w, h, s, r) => loss(w, h, s, r), [tensor(p.binWidths[0]), tensor(p.binHeights[0]), tensor(p.knotSlopes[0]), tensor(-2)],
      { h: 1e-6, rtol: 1e-6, atol: 1e-8 });
  });

  it('gradients w.r.t. the input, in the spline and in the tails', () => {
    const b = new RationalQuadraticSpline({ ...perDim, rangeMin: -2 });
    const x = tensor([[-3, 0.1, 0.4], [-1.2, 5, -0.7]]);
    expectGradClose((v) => add(sum(mul(b.forward(v), tensor([[1, 2, 3], [4, 5, 6]]))), sum(b.inverseLogDetJacobian(v))), [x], { h: 1e-6, rtol: 1e-6 });
  });

  it('K = 1: one bin, no interior slopes (knotSlopes [] or a scalar), as TFP allows', () => {
    // One bin [−1, 1] → [−1, 1] with end slopes 1 is the identity; heights [2] of width [2] too.
    for (const knotSlopes of [[], 1]) {
      const b = new RationalQuadraticSpline({ binWidths: [2], binHeights: [2], knotSlopes });
      expect(b.bins).toBe(1);
      const x = tensor([-3, -0.5, 0.25, 0.9, 2]);
      expect(maxAbsDiff(b.forward(x).data, x.data)).toBeLessThan(1e-15);
      expect(maxAbsDiff(b.inverseLogDetJacobian(x).data, [0, 0, 0, 0, 0])).toBeLessThan(1e-15);
    }
  });

  it('has no NaN exactly on knots, at the range edges and at ±∞', () => {
    const b = new RationalQuadraticSpline({ binWidths: [0.5, 1, 1.5], binHeights: [1, 1.5, 0.5], knotSlopes: [0.3, 2], rangeMin: -1 });
    const pts = tensor([-1, -0.5, 0.5, 2, 0, 1.5, Infinity, -Infinity, 1e308]);
    for (const t of [b.forward(pts), b.inverse(pts), b.forwardLogDetJacobian(pts), b.inverseLogDetJacobian(pts)]) {
      expect(t.data.some(Number.isNaN)).toBe(false);
    }
    expect(Array.from(b.forward(tensor([Infinity, -Infinity])).data)).toEqual([Infinity, -Infinity]);
  });

  it('rejects parameters of the wrong shape, naming the argument, the shapes and what was expected', () => {
    const ok = { binWidths: [1, 1, 1], binHeights: [1, 1, 1], knotSlopes: [1, 1] };
    expect(() => new RationalQuadraticSpline({ ...ok, binWidths: 1 })).toThrow(ValueError);
    expect(() => new RationalQuadraticSpline({ ...ok, binWidths: 1 })).toThrow(
      "RationalQuadraticSpline: 'binWidths' has shape [], expected [..., K] (at least 1-D: the innermost axis indexes the bins)");
    expect(() => new RationalQuadraticSpline({ ...ok, binHeights: [1, 1, 1, 1] })).toThrow(
      "RationalQuadraticSpline: 'binWidths' of shape [3] and 'binHeights' of shape [4] have different numbers of bins (innermost axes 3 and 4), expected equal ones (or 1, which broadcasts)");
    // K + 1 slopes (boundary included) is not TFP's convention: it rejects them too.
    expect(() => new RationalQuadraticSpline({ ...ok, knotSlopes: [1, 1, 1, 1] })).toThrow(
      "RationalQuadraticSpline: 'knotSlopes' has shape [4], expected [..., 2] (the K − 1 interior knots of K = 3 bins; the two boundary slopes are 1) or [..., 1]");
    expect(() => new RationalQuadraticSpline({ ...ok, binWidths: [[1, 1, 1], [1, 1, 1]], binHeights: [[1, 1, 1], [1, 1, 1], [1, 1, 1]] })).toThrow(
      /the parameters' batch shapes do not broadcast: 'binWidths' \[2,3\], 'binHeights' \[3,3\], 'knotSlopes' \[2\]/);
    const cols = new RationalQuadraticSpline({ ...perDim });
    expect(() => cols.forward(tensor([[1, 2, 3, 4]]))).toThrow(ValueError);
    expect(() => cols.forward(tensor([[1, 2, 3, 4]]))).toThrow(
      /^RationalQuadraticSpline\.forward: 'x' of shape \[1,4\] does not broadcast with the parameters' batch shape \[3\] \('binWidths' \[3,4\]/);
    expect(() => cols.inverseLogDetJacobian(tensor([1, 2]))).toThrow(/inverseLogDetJacobian: 'y' of shape \[2\] does not broadcast/);
  });

  it('rejects non-positive and non-finite parameters, unknown options, and (with validateArgs) unequal sums', () => {
    const ok = { binWidths: [1, 1, 1], binHeights: [1, 1, 1], knotSlopes: [1, 1] };
    expect(() => new RationalQuadraticSpline({ ...ok, binWidths: [1, 0, 1] })).toThrow(RangeError);
    expect(() => new RationalQuadraticSpline({ ...ok, binWidths: [1, 0, 1] })).toThrow(
      "RationalQuadraticSpline: 'binWidths' must be positive and finite, got 0 at flat index 1 (shape [3])");
    expect(() => new RationalQuadraticSpline({ ...ok, binHeights: [1, -1, 1] })).toThrow(/'binHeights' must be positive and finite, got -1/);
    expect(() => new RationalQuadraticSpline({ ...ok, knotSlopes: [1, NaN] })).toThrow(/'knotSlopes' must be positive and finite, got NaN at flat index 1/);
    expect(() => new RationalQuadraticSpline({ ...ok, rangeMin: Infinity })).toThrow(/'rangeMin' must be finite, got Infinity/);
    expect(() => new RationalQuadraticSpline({ ...ok, knotSlope: [1, 1] } as never)).toThrow(/unknown option 'knotSlope' \(did you mean 'knotSlopes'\?\)/);
    expect(() => new RationalQuadraticSpline({ binWidths: [1], binHeights: [1] } as never)).toThrow(/'knotSlopes' is required/);
    expect(() => new RationalQuadraticSpline({ ...ok, binWidths: 'wide' as never })).toThrow(TypeError);
    // TFP checks the sums only with validate_args; so does this.
    const uneven = { ...ok, binHeights: [1, 1, 1.5] };
    expect(() => new RationalQuadraticSpline(uneven)).not.toThrow();
    expect(() => new RationalQuadraticSpline({ ...uneven, validateArgs: true })).toThrow(
      /'binWidths' and 'binHeights' must have the same sum along the bins .*got Σ w = 3 and Σ h = 3.5 at batch element 0 \(validateArgs\)/);
    expect(() => new RationalQuadraticSpline({ ...ok, validateArgs: true })).not.toThrow();
  });

  it('saves and loads through bijectorFromConfig, giving the same values', () => {
    const b = new RationalQuadraticSpline({ ...perDim, rangeMin: [-1.5, -2, -1], validateArgs: true, name: 'rqs' });
    const copy = bijectorFromConfig(JSON.parse(JSON.stringify(b.getConfig()))) as RationalQuadraticSpline;
    expect(copy).toBeInstanceOf(RationalQuadraticSpline);
    expect(copy.getConfig()).toEqual(b.getConfig());
    expect(copy.name).toBe('rqs');
    const x = randn(seededRng('rqs-save'), [4, 3], 1.5);
    expect(Array.from(copy.forward(x).data)).toEqual(Array.from(b.forward(x).data));
    expect(Array.from(copy.inverseLogDetJacobian(x).data)).toEqual(Array.from(b.inverseLogDetJacobian(x).data));
  });
});
