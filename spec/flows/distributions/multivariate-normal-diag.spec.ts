import { sum } from '../../../autodiff/ops/reduce.js';
import { noGrad, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { Normal } from '../../../flows/distributions/normal.js';
import { distributionFromConfig } from '../../../flows/distributions/serialization.js';
import { expectGradClose, maxAbsDiff, randn, seededRng } from '../../helpers/grad-check.js';

const LOG_2PI = Math.log(2 * Math.PI);

describe('MultivariateNormalDiag', () => {
  it('broadcasts loc and scaleDiag as TFP: loc [3,2] with scaleDiag [2] → batch [3], event [2]', () => {
    const d = new MultivariateNormalDiag({ loc: zeros([3, 2]), scaleDiag: [1, 2] });
    expect(d.batchShape).toEqual([3]);
    expect(d.eventShape).toEqual([2]);
    expect(new MultivariateNormalDiag({ loc: [0, 0] }).batchShape).toEqual([]);
    expect(new MultivariateNormalDiag({ scaleDiag: tensor([[1], [2]]), loc: [0, 0, 0] }).batchShape).toEqual([2]);
    expect(new MultivariateNormalDiag({ scaleDiag: tensor([[1], [2]]), loc: [0, 0, 0] }).eventShape).toEqual([3]);
  });

  it('logProb = −½ Σ z² − Σ log s − (k/2) log 2π to 1e-12, equal to a sum of Normals', () => {
    const loc = [0.5, -1, 2];
    const s = [0.3, 1, 2.5];
    const d = new MultivariateNormalDiag({ loc, scaleDiag: s });
    const x = randn(seededRng('mvn-lp'), [5, 3, 3], 2);
    const lp = d.logProb(x);
    expect(lp.shape).toEqual([5, 3]);
    for (let r = 0; r < 15; r++) {
      let want = -1.5 * LOG_2PI;
      for (let k = 0; k < 3; k++) {
        const z = (x.data[r * 3 + k] - loc[k]) / s[k];
        want += -0.5 * z * z - Math.log(s[k]);
      }
      expect(Math.abs(lp.data[r] - want)).toBeLessThan(1e-12);
    }
    const viaNormal = sum(new Normal({ loc, scale: s }).logProb(x), -1);
    expect(maxAbsDiff(viaNormal.data, lp.data)).toBeLessThan(1e-12);
    // scaleDiag [1] stands for k equal scales: Σ log s = k log s
    const iso = new MultivariateNormalDiag({ loc: [0, 0, 0], scaleDiag: [2] });
    expect(Math.abs(iso.logProb(zeros([3])).item() - (-1.5 * LOG_2PI - 3 * Math.log(2)))).toBeLessThan(1e-12);
  });

  it('moments and entropy (k/2)(1 + log 2π) + Σ log s against closed forms', () => {
    const d = new MultivariateNormalDiag({ loc: tensor([[1, 2], [3, 4]]), scaleDiag: [0.5, 3] });
    expect(d.mean().toArray()).toEqual([[1, 2], [3, 4]]);
    expect(d.stddev().toArray()).toEqual([[0.5, 3], [0.5, 3]]);
    expect(d.variance().toArray()).toEqual([[0.25, 9], [0.25, 9]]);
    const h = d.entropy();
    expect(h.shape).toEqual([2]);
    const want = 1 + LOG_2PI + Math.log(0.5) + Math.log(3);
    for (const v of h.data) expect(Math.abs(v - want)).toBeLessThan(1e-12);
    const std = new MultivariateNormalDiag({ loc: [0, 0] });
    expect(std.stddev().toArray()).toEqual([1, 1]);
    expect(Math.abs(std.entropy().item() - (1 + LOG_2PI))).toBeLessThan(1e-12);
    expect(new MultivariateNormalDiag({ scaleDiag: [2, 2] }).mean().toArray()).toEqual([0, 0]);
  });

  it('the density integrates to 1 on a 2-D grid (midpoint rule)', () => {
    const d = new MultivariateNormalDiag({ loc: [0.5, -0.3], scaleDiag: [0.7, 1.2] });
    const n = 600;
    const lo = [0.5 - 12 * 0.7, -0.3 - 12 * 1.2];
    const h = [(24 * 0.7) / n, (24 * 1.2) / n];
    const pts = new Float64Array(n * n * 2);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      pts[(i * n + j) * 2] = lo[0] + (i + 0.5) * h[0];
      pts[(i * n + j) * 2 + 1] = lo[1] + (j + 0.5) * h[1];
    }
    const p = noGrad(() => d.prob(tensor(pts, [n * n, 2]))).data;
    let mass = 0;
    for (const v of p) mass += v * h[0] * h[1];
    expect(Math.abs(mass - 1)).toBeLessThan(1e-10);
  });

  it('samples [...sampleShape, ...batch, k] with the right moments; gradients reach loc and scaleDiag', () => {
    const d = new MultivariateNormalDiag({ loc: [0, 0] });
    expect(d.sample(4).shape).toEqual([4, 2]);
    expect(d.sample([3, 1]).shape).toEqual([3, 1, 2]);
    expect(new MultivariateNormalDiag({ loc: zeros([5, 2]) }).sample(3).shape).toEqual([3, 5, 2]);
    const n = 40000;
    const s = new MultivariateNormalDiag({ loc: [2, -1], scaleDiag: [0.5, 3] }).sample(n, { seed: 'mvn-moments' }).data;
    for (const [k, mu, sd] of [[0, 2, 0.5], [1, -1, 3]] as const) {
      let m = 0;
      for (let i = 0; i < n; i++) m += s[i * 2 + k] / n;
      expect(Math.abs(m - mu)).toBeLessThan((4 * sd) / Math.sqrt(n));
    }
    const x = randn(seededRng('mvn-grad'), [4, 2]);
    expectGradClose((loc, sd) => sum(new MultivariateNormalDiag({ loc, scaleDiag: sd }).logProb(x)), [tensor([0.1, -0.2]), tensor([1.5, 0.6])]);
  });

  it('rejects bad parameters and values, naming the class and argument', () => {
    expect(() => new MultivariateNormalDiag({})).toThrow(/MultivariateNormalDiag: give 'loc' or 'scaleDiag' \(or both\) to fix the event size; got neither/);
    expect(() => new MultivariateNormalDiag({ loc: 0 })).toThrow(/'loc' has shape \[\], expected rank ≥ 1/);
    expect(() => new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 0] })).toThrow(RangeError);
    expect(() => new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 0] })).toThrow(/'scaleDiag' must be positive and finite, got 0 at flat index 1/);
    expect(() => new MultivariateNormalDiag({ scaleDiag: [1, Infinity] })).toThrow(/got Infinity/);
    expect(() => new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 1, 1] })).toThrow(/do not broadcast/);
    const d = new MultivariateNormalDiag({ loc: [0, 0] });
    expect(() => d.logProb(zeros([5, 3]))).toThrow(/MultivariateNormalDiag.logProb: 'x' has shape \[5,3\], expected \[..., 2\] \(event shape \[2\]\)/);
    expect(() => d.logProb(zeros([]))).toThrow(/'x' has shape \[\], expected \[..., 2\]/);
    expect(() => d.logProb('x' as unknown as number)).toThrow(TypeError);
  });

  it('getConfig round-trips, including absent parameters', () => {
    for (const d of [new MultivariateNormalDiag({ loc: [1, 2], scaleDiag: [3, 4] }), new MultivariateNormalDiag({ scaleDiag: [2] })]) {
      expect(distributionFromConfig(JSON.parse(JSON.stringify(d.getConfig()))).getConfig()).toEqual(d.getConfig());
    }
  });
});

describe('MultivariateNormalDiag: the fused loops give the graph’s bits', () => {
  /** True when the two arrays hold the same doubles bit for bit. */
  const sameBits = (p: ArrayLike<number>, q: ArrayLike<number>): boolean => p.length === q.length && Array.from(p).every((v, i) => Object.is(v, q[i]));
  const withGrad = (t: Tensor): Tensor => new Tensor(t.data.slice(), t.shape, { requiresGrad: true });

  // [loc, scaleDiag] (null = not given), unbatched so logProb may fuse, and one batched pair for sample.
  const params: Array<[number[] | null, number[] | null]> = [
    [[0.5, -1, 2], [0.3, 1, 2.5]],
    [[0.5, -1, 2], null],
    [null, [0.3, 1, 2.5]],
    [[0.5, -1, 2], [2]], // [1] stands for k equal scales
    [[7], [0.3, 1, 2.5]],
  ];
  it('logProb: noGrad and no-gradient inputs (fused) equal the recorded graph, x of rank 1 to 3', () => {
    const rng = seededRng('mvn-fused-lp');
    for (const [loc, scaleDiag] of params) {
      const d = new MultivariateNormalDiag({ loc: loc ?? undefined, scaleDiag: scaleDiag ?? undefined });
      for (const shape of [[3], [5, 3], [2, 4, 3], [0, 3]]) {
        const x = randn(rng, shape, 4);
        // z ≈ 1.5e154: z² overflows, z·(−½z) does not, on both paths
        if (x.size > 0) x.data[0] = 1.5e154 * (scaleDiag?.[0] ?? 1);
        const graph = d.logProb(withGrad(x));
        expect(graph.requiresGrad).toBe(true);
        const fused = d.logProb(x);
        expect(fused.requiresGrad).toBe(false);
        expect(fused.shape).toEqual(graph.shape);
        expect(sameBits(fused.data, graph.data)).toBe(true);
        expect(sameBits(noGrad(() => d.logProb(withGrad(x))).data, graph.data)).toBe(true);
      }
    }
  });

  it('logProb: trainable parameters still get the graph and their gradients', () => {
    const loc = tensor([0.1, -0.2], [2], { requiresGrad: true });
    const d = new MultivariateNormalDiag({ loc, scaleDiag: [1.5, 0.5] });
    const x = randn(seededRng('mvn-fused-train'), [4, 2]);
    const lp = d.logProb(x);
    expect(lp.requiresGrad).toBe(true);
    sum(lp).backward();
    // d/dμ Σ_b log p = Σ_b (x_b − μ)/s²
    for (const [k, s] of [[0, 1.5], [1, 0.5]] as const) {
      let want = 0;
      for (let b = 0; b < 4; b++) want += (x.data[b * 2 + k] - loc.data[k]) / (s * s);
      expect(Math.abs(loc.grad!.data[k] - want)).toBeLessThan(1e-12);
    }
  });

  it('sample: the fused loop and the graph draw the same bits from the same seed', () => {
    const cases: Array<[number[] | number[][] | null, number[] | null]> = [...params, [[[0, 1], [2, 3], [4, 5]], [0.5, 2]]];
    for (const [loc, scaleDiag] of cases) {
      const fused = new MultivariateNormalDiag({ loc: loc ?? undefined, scaleDiag: scaleDiag ?? undefined });
      // Trainable copies of the same parameters take the graph path.
      const graphed = new MultivariateNormalDiag({
        loc: loc === null ? undefined : withGrad(tensor(loc)),
        scaleDiag: scaleDiag === null ? undefined : withGrad(tensor(scaleDiag)),
      });
      for (const n of [[], 4, [2, 3]] as const) {
        const a = fused.sample(n as number | number[], { seed: 'mvn-fused-sample' });
        const b = graphed.sample(n as number | number[], { seed: 'mvn-fused-sample' });
        expect(b.requiresGrad).toBe(true);
        expect(a.shape).toEqual(b.shape);
        expect(sameBits(a.data, b.data)).toBe(true);
      }
    }
  });
});
