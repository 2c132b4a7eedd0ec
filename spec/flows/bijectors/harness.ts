// The shared bijector test harness: round trips, opposite log-dets, log-det vs a finite-difference Jacobian, shapes, gradients.
import { add, mul } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { Tensor, tensor } from '../../../autodiff/tensor.js';
import type { Bijector, BijectorKwargs } from '../../../flows/bijectors/bijector.js';
import type { Random } from '../../../lib/util/random.js';
import { maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';

/** One bijector under test. Events are vectors `[eventSize]`. */
export interface BijectorCase {
  /** Shown in the test names. */
  label: string;
  /** A fresh bijector (called once per `it`, so tests do not share state). */
  make: () => Bijector;
  eventSize: number;
  /** Kwargs for inputs of this batch shape (e.g. a conditional input `[...batch, C]`). */
  kwargs?: (batchShape: number[], rng: Random) => BijectorKwargs;
  /** Input draws; default standard normal. */
  input?: (rng: Random, shape: number[]) => Tensor;
  /** Whether the bijector must report trainable weights (then each must get a gradient). */
  trainable?: boolean;
  /** Round-trip tolerance; default 1e-10. */
  roundTripTol?: number;
}

/** The leading batch shapes every bijector is run with: 0 to 3 batch dims, one of them broadcast-shaped. */
export const BATCH_SHAPES: number[][] = [[], [4], [2, 3], [2, 1, 3]];

/**
 * log|det A| by LU decomposition with partial pivoting: det A = ±Π U_ii, so log|det A| = Σ log|U_ii|.
 * Returns −∞ for a singular matrix.
 */
export function logAbsDet(a: number[][]): number {
  const n = a.length;
  const m = a.map((row) => row.slice());
  let total = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    if (m[p][k] === 0) return -Infinity;
    [m[k], m[p]] = [m[p], m[k]];
    total += Math.log(Math.abs(m[k][k]));
    for (let i = k + 1; i < n; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j < n; j++) m[i][j] -= f * m[k][j];
    }
  }
  return total;
}

/**
 * Central-difference Jacobians of a row-wise map `f: [B, E] → [B, E]`: `J_b[i][j] = ∂f(x)_bi/∂x_bj`.
 * Column j of every row is perturbed at once, which is valid because rows do not interact.
 */
export function jacobianFD(f: (x: Tensor) => Tensor, x: Tensor, h = 1e-5): number[][][] {
  const [B, E] = x.shape;
  const J = Array.from({ length: B }, () => Array.from({ length: E }, () => new Array<number>(E).fill(0)));
  for (let j = 0; j < E; j++) {
    const up = x.data.slice();
    const down = x.data.slice();
    for (let b = 0; b < B; b++) {
      up[b * E + j] += h;
      down[b * E + j] -= h;
    }
    const fu = f(tensor(up, [B, E])).data;
    const fd = f(tensor(down, [B, E])).data;
    for (let b = 0; b < B; b++) for (let i = 0; i < E; i++) J[b][i][j] = (fu[b * E + i] - fd[b * E + i]) / (2 * h);
  }
  return J;
}

/** Jacobians of a row-wise map by reverse-mode autodiff, one backward pass per output column. */
export function jacobianAD(f: (x: Tensor) => Tensor, x: Tensor): number[][][] {
  const [B, E] = x.shape;
  const J = Array.from({ length: B }, () => Array.from({ length: E }, () => new Array<number>(E).fill(0)));
  for (let i = 0; i < E; i++) {
    const xg = new Tensor(x.data.slice(), x.shape, { requiresGrad: true });
    const pick = new Float64Array(B * E);
    for (let b = 0; b < B; b++) pick[b * E + i] = 1;
    sum(mul(f(xg), tensor(pick, [B, E]))).backward();
    const g = (xg.grad as Tensor).data;
    for (let b = 0; b < B; b++) for (let j = 0; j < E; j++) J[b][i][j] = g[b * E + j];
  }
  return J;
}

function allFinite(t: Tensor): boolean {
  return t.data.every(Number.isFinite);
}

/** Runs the shared checks on one bijector, as nflows' TransformTest and zuko's test_flows do. */
export function runBijectorHarness(c: BijectorCase): void {
  const tol = c.roundTripTol ?? 1e-10;
  const draw = c.input ?? ((rng: Random, shape: number[]) => randn(rng, shape));
  const kw = (batch: number[], rng: Random): BijectorKwargs => (c.kwargs ? c.kwargs(batch, rng) : {});

  describe(`${c.label}: shared bijector checks`, () => {
    it.each(BATCH_SHAPES.map((b) => [JSON.stringify(b), b] as const))('batch %s: shapes, finite values, round trips within tolerance', (_s, batch) => {
      const rng = seededRng(`${c.label}-roundtrip-${batch.join('x')}`);
      const bij = c.make();
      const shape = [...batch, c.eventSize];
      const x = draw(rng, shape);
      const k = kw(batch, rng);
      const y = bij.forward(x, k);
      expect(y.shape).toEqual(shape);
      expect(allFinite(y)).toBe(true);
      expect(maxAbsDiff(bij.inverse(y, k).data, x.data)).toBeLessThan(tol);
      const y2 = draw(rng, shape);
      const x2 = bij.inverse(y2, k);
      expect(x2.shape).toEqual(shape);
      expect(maxAbsDiff(bij.forward(x2, k).data, y2.data)).toBeLessThan(tol);
    });

    it.each(BATCH_SHAPES.map((b) => [JSON.stringify(b), b] as const))('batch %s: forward log-det = −inverse log-det at forward(x), for every valid eventNdims', (_s, batch) => {
      const rng = seededRng(`${c.label}-logdet-${batch.join('x')}`);
      const bij = c.make();
      const shape = [...batch, c.eventSize];
      const x = draw(rng, shape);
      const k = kw(batch, rng);
      const y = bij.forward(x, k);
      for (let n = bij.forwardMinEventNdims; n <= shape.length; n++) {
        const fldj = bij.forwardLogDetJacobian(x, { ...k, eventNdims: n });
        const ildj = bij.inverseLogDetJacobian(y, { ...k, eventNdims: n });
        expect(fldj.shape).toEqual(shape.slice(0, shape.length - n));
        expect(ildj.shape).toEqual(fldj.shape);
        expect(allFinite(fldj) && allFinite(ildj)).toBe(true);
        for (let i = 0; i < fldj.size; i++) expect(Math.abs(fldj.data[i] + ildj.data[i])).toBeLessThan(1e-9);
        // The one-pass pairs agree with the separate calls.
        const fw = bij.forwardAndLogDet(x, { ...k, eventNdims: n });
        expect(maxAbsDiff(fw.y.data, y.data)).toBeLessThan(1e-12);
        expect(maxAbsDiff(fw.logDet.data, fldj.data)).toBeLessThan(1e-12);
        const iv = bij.inverseAndLogDet(y, { ...k, eventNdims: n });
        expect(maxAbsDiff(iv.x.data, bij.inverse(y, k).data)).toBeLessThan(1e-12);
        expect(maxAbsDiff(iv.logDet.data, ildj.data)).toBeLessThan(1e-12);
      }
    });

    it('log-dets equal log|det J| of the central-difference Jacobian, which autodiff reproduces', () => {
      const rng = seededRng(`${c.label}-jacobian`);
      const bij = c.make();
      const B = 3;
      const E = c.eventSize;
      const x = draw(rng, [B, E]);
      const k = kw([B], rng);
      const fwd = (t: Tensor): Tensor => bij.forward(t, k);
      const inv = (t: Tensor): Tensor => bij.inverse(t, k);
      const y = fwd(x);
      for (const [f, at, logDet] of [
        [fwd, x, bij.forwardLogDetJacobian(x, { ...k, eventNdims: 1 })],
        [inv, y, bij.inverseLogDetJacobian(y, { ...k, eventNdims: 1 })],
      ] as const) {
        const jfd = jacobianFD(f, at);
        const jad = jacobianAD(f, at);
        for (let b = 0; b < B; b++) {
          for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) expect(Math.abs(jad[b][i][j] - jfd[b][i][j])).toBeLessThan(1e-6 * (1 + Math.abs(jad[b][i][j])));
          expect(Math.abs(logDet.data[b] - logAbsDet(jfd[b]))).toBeLessThan(1e-7);
          expect(Math.abs(logDet.data[b] - logAbsDet(jad[b]))).toBeLessThan(1e-10);
        }
      }
    });

    it('every trainable weight gets a finite, nonzero gradient', () => {
      const rng = seededRng(`${c.label}-grad`);
      const bij = c.make();
      const shape = [5, c.eventSize];
      const x = draw(rng, shape);
      const k = kw([5], rng);
      bij.forward(x, k); // builds lazily built weights
      const weights = bij.trainableWeights;
      weights.forEach((w) => w.zeroGrad());
      const r1 = randn(rng, shape);
      const r2 = randn(rng, shape);
      const loss = [
        sum(mul(bij.forward(x, k), r1)),
        sum(bij.forwardLogDetJacobian(x, { ...k, eventNdims: 1 })),
        sum(mul(bij.inverse(x, k), r2)),
        sum(bij.inverseLogDetJacobian(x, { ...k, eventNdims: 1 })),
      ].reduce((a, b) => add(a, b));
      expect(weights.length > 0).toBe(c.trainable ?? false);
      if (weights.length === 0) return;
      loss.backward();
      for (const w of weights) {
        expect(w.grad).not.toBeNull();
        const g = (w.grad as Tensor).data;
        expect(g.every(Number.isFinite)).toBe(true);
        expect(g.some((v) => v !== 0)).toBe(true);
      }
    });

    it('rejects eventNdims out of range with a RangeError naming it', () => {
      const rng = seededRng(`${c.label}-eventNdims`);
      const bij = c.make();
      const x = draw(rng, [2, c.eventSize]);
      const k = kw([2], rng);
      expect(() => bij.forwardLogDetJacobian(x, { ...k, eventNdims: 3 })).toThrow(RangeError);
      expect(() => bij.inverseLogDetJacobian(x, { ...k, eventNdims: 3 })).toThrow(/'eventNdims' is 3, expected an integer in \[\d, 2\]/);
      expect(() => bij.forwardAndLogDet(x, { ...k, eventNdims: 1.5 })).toThrow(RangeError);
      if (bij.forwardMinEventNdims > 0) expect(() => bij.forwardLogDetJacobian(x, { ...k, eventNdims: 0 })).toThrow(RangeError);
    });
  });
}
