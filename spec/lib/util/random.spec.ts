import { Random, setGlobalSeed, toRandom } from '../../../lib/util/random.js';

const N = 100_000;

/** Draws `n` values from `draw`. */
function sample(n: number, draw: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = draw();
  return out;
}

/** Sample mean, variance (divisor n), skewness and excess kurtosis. */
function moments(x: Float64Array): { mean: number; variance: number; skewness: number; kurtosis: number } {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of x) {
    const d = v - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { mean, variance: m2, skewness: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) - 3 };
}

/** Pearson's χ² statistic of observed counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

/** Every kind of draw, in one fixed sequence, so two generators can be compared draw by draw. */
function drawEverything(rng: Random): unknown[] {
  return [
    sample(5, () => rng.uniform()),
    sample(5, () => rng.normal()), // odd count: the Box–Muller spare is carried into the next call
    rng.normal(),
    sample(5, () => rng.int(-3, 10)),
    rng.shuffle(['a', 'b', 'c', 'd', 'e', 'f']),
    rng.permutation(10),
    rng.fillNormal(new Float64Array(4)),
    rng.fillUniform(new Float64Array(4), -2, 3),
    rng.fork().uniform(),
  ];
}

describe('Random', () => {
  it('gives bit-identical streams for equal seeds, for every kind of draw', () => {
    for (const seed of [0, 42, -7.5, 'maflow', '']) {
      expect(drawEverything(new Random(seed))).toEqual(drawEverything(new Random(seed)));
    }
  });

  it('gives different streams for different seeds', () => {
    const uniforms = (seed: number | string): Float64Array => {
      const r = new Random(seed);
      return sample(8, () => r.uniform());
    };
    expect(uniforms(1)).not.toEqual(uniforms(2));
    expect(uniforms(0)[0]).not.toBe(uniforms(1)[0]);
    expect(drawEverything(new Random('a'))).not.toEqual(drawEverything(new Random('b')));
  });

  it('uniform lies in [0, 1) with mean ½ and variance 1/12', () => {
    // n = 10⁵: sd of the mean √(1/12/n) = 9.1e-4; sd of the variance √((1/80 − 1/144)/n) = 2.4e-4
    const x = sample(N, ((r) => () => r.uniform())(new Random('uniform-moments')));
    expect(x.every((v) => v >= 0 && v < 1)).toBe(true);
    const { mean, variance } = moments(x);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4 * Math.sqrt((1 / 80 - 1 / 144) / N));
    // 53 random bits: draws are not all multiples of 2⁻³² (a 32-bit generator would be)
    expect(Array.from(x.subarray(0, 100)).some((v) => (v * 2 ** 32) % 1 !== 0)).toBe(true);
  });

  it('normal passes a moment check on 10⁵ draws', () => {
    // Under N(0, 1) with n = 10⁵: sd(mean) = 1/√n, sd(variance) ≈ √(2/n), sd(skewness) ≈ √(6/n) = 0.0077,
    // sd(excess kurtosis) ≈ √(24/n) = 0.0155. Bands of 4 sd.
    const x = sample(N, ((r) => () => r.normal())(new Random('normal-moments')));
    const { mean, variance, skewness, kurtosis } = moments(x);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
    expect(Math.abs(skewness)).toBeLessThan(4 * Math.sqrt(6 / N));
    expect(Math.abs(kurtosis)).toBeLessThan(4 * Math.sqrt(24 / N));
    expect(x.every(Number.isFinite)).toBe(true);
    // Tails: P(|z| > 3) = 0.0027, so ≈ 270 of 10⁵ (sd ≈ 16)
    const tail = x.filter((v) => Math.abs(v) > 3).length;
    expect(Math.abs(tail - 270)).toBeLessThan(4 * 16.4);
  });

  it('fillNormal and fillUniform match the single draws and fill in place', () => {
    const out = new Float64Array(7);
    expect(new Random(3).fillNormal(out)).toBe(out);
    const r = new Random(3);
    expect(Array.from(out)).toEqual(Array.from({ length: 7 }, () => r.normal()));
    const u = new Random(4).fillUniform(new Float64Array(10_000), -2, 3);
    expect(u.every((v) => v >= -2 && v <= 3)).toBe(true);
    expect(Math.abs(moments(u).mean - 0.5)).toBeLessThan(4 * Math.sqrt(25 / 12 / 10_000));
  });

  it('int(lo, hi) covers [lo, hi] inclusive evenly', () => {
    // 6 values, 60 000 draws: χ² with 5 degrees of freedom; P(χ²₅ > 25.7) = 1e-4
    const rng = new Random('int-coverage');
    const counts = new Array<number>(6).fill(0);
    let outside = 0;
    for (let i = 0; i < 60_000; i++) {
      const k = rng.int(-2, 3);
      if (Number.isInteger(k) && k >= -2 && k <= 3) counts[k + 2]++;
      else outside++;
    }
    expect(outside).toBe(0);
    expect(counts.every((c) => c > 0)).toBe(true); // both ends are reached
    expect(chiSquare(counts)).toBeLessThan(25.7);
    expect(sample(20, () => rng.int(5, 5)).every((v) => v === 5)).toBe(true);
  });

  it('int rejects non-integers and lo > hi', () => {
    const rng = new Random(0);
    expect(() => rng.int(1.5, 3)).toThrow(RangeError);
    expect(() => rng.int(0, 2.5)).toThrow(/Random\.int: expected safe integers lo ≤ hi, got lo=0, hi=2\.5/);
    expect(() => rng.int(3, 1)).toThrow(/got lo=3, hi=1/);
    expect(() => rng.int(NaN, 1)).toThrow(RangeError);
  });

  it('permutation is a permutation, and all orders of 3 are equally likely', () => {
    const rng = new Random('permutation');
    for (const n of [0, 1, 2, 17]) {
      const p = rng.permutation(n);
      expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    // Fisher–Yates gives each of the 3! = 6 orders probability 1/6; an off-by-one (j in [0, i) or [0, n))
    // biases them. 60 000 draws, χ²₅ < 25.7 (p = 1e-4).
    const index = new Map<string, number>();
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) {
      const key = rng.permutation(3).join('');
      if (!index.has(key)) index.set(key, index.size);
      counts[index.get(key)!]++;
    }
    expect(index.size).toBe(6);
    expect(chiSquare(counts)).toBeLessThan(25.7);
    expect(() => rng.permutation(-1)).toThrow(RangeError);
    expect(() => rng.permutation(2.5)).toThrow(/Random\.permutation: 'n' must be a non-negative integer, got 2\.5/);
  });

  it('shuffle reorders in place and keeps the items', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const same = new Random(9).shuffle(items);
    expect(same).toBe(items);
    expect([...items].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(new Random(9).shuffle([])).toEqual([]);
  });

  it('fork gives a reproducible stream different from the parent', () => {
    const a = new Random('fork');
    const b = new Random('fork');
    const childA = a.fork();
    const childB = b.fork();
    const drawsA = sample(5, () => childA.uniform());
    expect(drawsA).toEqual(sample(5, () => childB.uniform()));
    expect(drawsA).not.toEqual(sample(5, () => a.uniform()));
  });

  it('rejects bad seeds by kind and range', () => {
    for (const seed of [NaN, Infinity, -Infinity]) {
      expect(() => new Random(seed)).toThrow(RangeError);
      expect(() => new Random(seed)).toThrow(new RegExp(`Random: 'seed' must be finite, got ${seed}`));
    }
    for (const seed of [undefined, null, true, {}, [1], () => 1]) {
      expect(() => new Random(seed as never)).toThrow(TypeError);
      expect(() => new Random(seed as never)).toThrow(/Random: 'seed' must be a number or a string/);
    }
  });
});

describe('toRandom and setGlobalSeed', () => {
  afterEach(() => setGlobalSeed(0));

  it('passes a Random through, seeds a new one from a number or string', () => {
    const r = new Random(5);
    expect(toRandom(r)).toBe(r);
    expect(toRandom(5).uniform()).toBe(new Random(5).uniform());
    expect(toRandom('s').normal()).toBe(new Random('s').normal());
    expect(toRandom(5)).not.toBe(toRandom(5)); // each seed makes a fresh generator
  });

  it('returns the global generator for undefined, which setGlobalSeed reseeds', () => {
    setGlobalSeed(7);
    const g = toRandom();
    expect(toRandom()).toBe(g); // one shared stream
    const ref = new Random(7);
    expect(sample(5, () => toRandom().uniform())).toEqual(sample(5, () => ref.uniform()));
    setGlobalSeed(7); // reseeding replays from the start
    expect(toRandom().uniform()).toBe(new Random(7).uniform());
    setGlobalSeed('other');
    expect(toRandom().uniform()).toBe(new Random('other').uniform());
  });

  it('starts the global generator from seed 0 in a fresh module', () => {
    let fresh: typeof import('../../../lib/util/random.js') | undefined;
    jest.isolateModules(() => {
      fresh = require('../../../lib/util/random.js');
    });
    expect(fresh!.toRandom().uniform()).toBe(new Random(0).uniform());
  });

  it('rejects bad seeds and keeps the previous global generator', () => {
    setGlobalSeed(11);
    const ref = new Random(11);
    toRandom().uniform();
    ref.uniform();
    expect(() => setGlobalSeed(NaN)).toThrow(RangeError);
    expect(() => setGlobalSeed({} as never)).toThrow(TypeError);
    expect(() => toRandom(null as never)).toThrow(TypeError);
    expect(() => toRandom(Infinity)).toThrow(RangeError);
    expect(toRandom().uniform()).toBe(ref.uniform()); // the stream continued untouched
  });
});
