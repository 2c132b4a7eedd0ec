import { mul } from '../../../autodiff/ops/binary.js';
import { sum } from '../../../autodiff/ops/reduce.js';
import { noGrad, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { Normal } from '../../../flows/distributions/normal.js';
import { distributionFromConfig } from '../../../flows/distributions/serialization.js';
import { Random } from '../../../lib/util/random.js';
import { expectGradClose, randn, seededRng } from '../../helpers/grad-check.js';

const LOG_2PI = Math.log(2 * Math.PI);

describe('Normal', () => {
  it('logProb matches −½((x−μ)/σ)² − log σ − ½ log 2π to 1e-12, broadcasting x against the batch', () => {
    const d = new Normal({ loc: [0, 1, -2], scale: [1, 0.5, 3] }); // batch [3]
    expect(d.batchShape).toEqual([3]);
    expect(d.eventShape).toEqual([]);
    const x = randn(seededRng('normal-lp'), [4, 3], 2);
    const lp = d.logProb(x);
    expect(lp.shape).toEqual([4, 3]);
    const mu = [0, 1, -2];
    const s = [1, 0.5, 3];
    for (let i = 0; i < 12; i++) {
      const k = i % 3;
      const z = (x.data[i] - mu[k]) / s[k];
      expect(Math.abs(lp.data[i] - (-0.5 * z * z - Math.log(s[k]) - 0.5 * LOG_2PI))).toBeLessThan(1e-12);
    }
    // N(0, 1) at 0: −½ log 2π ≈ −0.918938533
    expect(new Normal({ loc: 0, scale: 1 }).logProb(0).item()).toBeCloseTo(-0.5 * LOG_2PI, 15);
    expect(new Normal({ loc: 0, scale: 1 }).prob(0).item()).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
  });

  it('mean, stddev, variance and entropy ½ log(2πe) + log σ, broadcast to the batch shape', () => {
    const d = new Normal({ loc: tensor([[1], [2]]), scale: [1, 4] }); // batch [2, 2]
    expect(d.batchShape).toEqual([2, 2]);
    expect(d.mean().toArray()).toEqual([[1, 1], [2, 2]]);
    expect(d.stddev().toArray()).toEqual([[1, 4], [1, 4]]);
    expect(d.variance().toArray()).toEqual([[1, 16], [1, 16]]);
    const h = d.entropy();
    expect(h.shape).toEqual([2, 2]);
    expect(Math.abs(h.data[1] - (0.5 * Math.log(2 * Math.PI * Math.E) + Math.log(4)))).toBeLessThan(1e-12);
  });

  it('the density integrates to 1 and its moments match (1-D midpoint rule on [μ−12σ, μ+12σ])', () => {
    const d = new Normal({ loc: 0.7, scale: 1.3 });
    const n = 4000;
    const h = (24 * 1.3) / n;
    const xs = new Float64Array(n).map((_, i) => 0.7 - 12 * 1.3 + (i + 0.5) * h);
    const p = d.prob(tensor(xs, [n])).data;
    let mass = 0;
    let m1 = 0;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      mass += p[i] * h;
      m1 += xs[i] * p[i] * h;
      m2 += (xs[i] - 0.7) ** 2 * p[i] * h;
    }
    expect(Math.abs(mass - 1)).toBeLessThan(1e-12);
    expect(Math.abs(m1 - 0.7)).toBeLessThan(1e-12);
    expect(Math.abs(m2 - 1.69)).toBeLessThan(1e-10);
  });

  it('samples [...sampleShape, ...batch], reproducibly from a seed, with the right moments', () => {
    const d = new Normal({ loc: [1, -1], scale: [2, 0.5] });
    expect(d.sample().shape).toEqual([2]);
    expect(d.sample(3).shape).toEqual([3, 2]);
    expect(d.sample([4, 1]).shape).toEqual([4, 1, 2]);
    expect(d.sample(5, { seed: 3 }).data).toEqual(d.sample(5, { seed: 3 }).data);
    expect(d.sample(5, { seed: new Random(3) }).data).toEqual(d.sample(5, { seed: 3 }).data);
    const n = 40000;
    const s = d.sample(n, { seed: 'normal-moments' }).data;
    for (const [k, mu, sd] of [[0, 1, 2], [1, -1, 0.5]] as const) {
      let m = 0;
      for (let i = 0; i < n; i++) m += s[i * 2 + k] / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (s[i * 2 + k] - m) ** 2 / (n - 1);
      // standard errors: sd/√n for the mean, sd²·√(2/n) for the variance; allow 4 of them
      expect(Math.abs(m - mu)).toBeLessThan((4 * sd) / Math.sqrt(n));
      expect(Math.abs(v - sd * sd)).toBeLessThan(4 * sd * sd * Math.sqrt(2 / n));
    }
  });

  it('gradients reach loc and scale through logProb and through reparameterised samples', () => {
    const x = randn(seededRng('normal-grad-x'), [5]);
    expectGradClose((loc, scale) => sum(new Normal({ loc, scale }).logProb(x)), [tensor([0.3]), tensor([1.7])]);
    expectGradClose((loc, scale) => sum(mul(new Normal({ loc, scale }).sample(6, { seed: 1 }), 1)), [tensor([0.3, 1]), tensor([1.7, 0.2])]);
    const loc = tensor([0], undefined, { requiresGrad: true });
    const scale = tensor([1]);
    expect(new Normal({ loc, scale }).trainableWeights).toEqual([loc]);
  });

  it('rejects a scale ≤ 0 or non-finite, a non-finite loc, and values of the wrong kind', () => {
    expect(() => new Normal({ loc: 0, scale: 0 })).toThrow(RangeError);
    expect(() => new Normal({ loc: 0, scale: [1, -2] })).toThrow(/Normal: 'scale' must be positive and finite, got -2 at flat index 1/);
    expect(() => new Normal({ loc: 0, scale: NaN })).toThrow(/got NaN/);
    expect(() => new Normal({ loc: Infinity, scale: 1 })).toThrow(/Normal: 'loc' must be finite, got Infinity/);
    expect(() => new Normal({ loc: 'a' as unknown as number, scale: 1 })).toThrow(TypeError);
    expect(() => new Normal({ loc: [0, 0], scale: [1, 1, 1] })).toThrow(/Normal: 'loc' and 'scale': shapes \[2\] and \[3\] do not broadcast/);
    const d = new Normal({ loc: [0, 0], scale: 1 });
    expect(() => d.logProb(zeros([3]))).toThrow(/Normal.logProb: batch dims of 'x' against batchShape: shapes \[3\] and \[2\] do not broadcast/);
    expect(() => d.sample(-1)).toThrow(RangeError);
    expect(() => d.sample('2' as unknown as number)).toThrow(/Normal.sample: 'sampleShape' must be a number or an array of integers, got '2'/);
  });

  it('getConfig round-trips', () => {
    const d = new Normal({ loc: [1, 2], scale: 3, name: 'n' });
    expect(distributionFromConfig(JSON.parse(JSON.stringify(d.getConfig()))).getConfig()).toEqual(d.getConfig());
  });
});

describe('Normal: the fused loops give the graph’s bits', () => {
  /** True when the two arrays hold the same doubles bit for bit. */
  const sameBits = (p: ArrayLike<number>, q: ArrayLike<number>): boolean => p.length === q.length && Array.from(p).every((v, i) => Object.is(v, q[i]));
  const withGrad = (t: Tensor): Tensor => new Tensor(t.data.slice(), t.shape, { requiresGrad: true });

  // [loc, scale, x shape]: scalars, a batch read cyclically by x, and two that broadcast x up
  // (x [3] against loc [2, 1] gives [2, 3]; loc [1, 3] has more axes than x), which keep the graph.
  const cases: Array<[number | number[] | number[][], number | number[] | number[][], number[]]> = [
    [0, 1, [5]],
    [0.7, 1.3, []],
    [[0, 1, -2], [1, 0.5, 3], [4, 3]],
    [[0, 1, -2], 2, [2, 2, 3]],
    [1.5, [[0.5], [2]], [3, 2, 1]],
    [[[1], [2]], [1, 4, 0.25], [3]],
    [[[1, 2, 3]], 0.5, [3]],
  ];
  it('logProb under noGrad or with no gradient wanted equals the recorded graph', () => {
    const rng = seededRng('normal-fused-lp');
    for (const [loc, scale, shape] of cases) {
      const d = new Normal({ loc, scale });
      const x = randn(rng, shape, 3);
      // z ≈ ±1.5e154: z² overflows, z·(−½z) does not, on both paths
      if (x.size > 1) x.data[1] = -1.5e154 * d.scale.data[0];
      const graph = d.logProb(withGrad(x));
      expect(graph.requiresGrad).toBe(true);
      for (const fused of [d.logProb(x), noGrad(() => d.logProb(withGrad(x)))]) {
        expect(fused.requiresGrad).toBe(false);
        expect(fused.shape).toEqual(graph.shape);
        expect(sameBits(fused.data, graph.data)).toBe(true);
      }
    }
  });

  it('sample: the fused loop and the graph (trainable parameters) draw the same bits', () => {
    for (const [loc, scale] of cases) {
      const fused = new Normal({ loc, scale });
      const graphed = new Normal({ loc: withGrad(tensor(loc)), scale: withGrad(tensor(scale)) });
      const a = fused.sample([2, 3], { seed: 'normal-fused-sample' });
      const b = graphed.sample([2, 3], { seed: 'normal-fused-sample' });
      expect(b.requiresGrad).toBe(true);
      expect(a.shape).toEqual(b.shape);
      expect(sameBits(a.data, b.data)).toBe(true);
    }
  });
});
