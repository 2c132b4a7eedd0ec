// Seeded randomness: every draw in maflow comes from a `Random`, so a seed reproduces it bit for bit.
import seedrandom from 'seedrandom';
import { assert } from './errors.js';
import { describe } from './validate.js';

/** What every drawing function accepts: a seed (number or string) or a `Random` to draw from. */
export type Seed = number | string | Random;

/**
 * A seeded pseudo-random generator (seedrandom's Alea: fast, 2¹¹⁶ period, and
 * pure JavaScript arithmetic, so the same seed gives bit-identical draws in Node
 * and in a browser bundle).
 *
 * @example
 * const rng = new Random(42);
 * rng.normal(); // the same number on every run and every platform
 */
export class Random {
  private readonly prng: seedrandom.PRNG;
  private spare: number | null = null;

  /** @param seed - a number or string; equal seeds give equal streams (a number and its decimal string, `1` and `'1'`, are the same seed) */
  constructor(seed: number | string) {
    assert(typeof seed === 'number' || typeof seed === 'string', () => `Random: 'seed' must be a number or a string, got ${typeof seed}`, TypeError);
    assert(typeof seed !== 'number' || Number.isFinite(seed), () => `Random: 'seed' must be finite, got ${seed}`, RangeError);
    this.prng = seedrandom.alea(String(seed));
  }

  /** A uniform draw from [0, 1) with 53 random bits. */
  uniform(): number {
    return this.prng.double();
  }

  /**
   * An exact standard normal draw by the Box–Muller transform: from u₁, u₂ ~ U(0,1),
   * `√(−2 ln u₁)·cos(2πu₂)` and `√(−2 ln u₁)·sin(2πu₂)` are independent N(0, 1).
   * The second one is kept for the next call.
   */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.prng.double(); // in (0, 1]: log(0) would be −∞
    const u2 = this.prng.double();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /**
   * A uniform integer in `[lo, hi]`, both ends included.
   * @throws RangeError unless `lo ≤ hi` are integers
   */
  int(lo: number, hi: number): number {
    assert(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi && Number.isSafeInteger(hi - lo + 1),
      () => `Random.int: expected safe integers lo ≤ hi, got lo=${lo}, hi=${hi}`, RangeError);
    return lo + Math.floor(this.prng.double() * (hi - lo + 1));
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng.double() * (i + 1));
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** A uniformly random permutation of `0 … n−1`. */
  permutation(n: number): number[] {
    assert(Number.isInteger(n) && n >= 0, () => `Random.permutation: 'n' must be a non-negative integer, got ${n}`, RangeError);
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Fills `out` with standard normal draws and returns it. */
  fillNormal(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Fills `out` with uniform draws from [lo, hi) and returns it. */
  fillUniform(out: Float64Array, lo = 0, hi = 1): Float64Array {
    for (let i = 0; i < out.length; i++) {
      const v = lo + (hi - lo) * this.prng.double();
      // lo + (hi − lo)·u can round up to hi for u just below 1; keep the interval half-open.
      out[i] = v < hi ? v : lo;
    }
    return out;
  }

  /** A new generator seeded from this one's stream: independent streams from one seed. */
  fork(): Random {
    return new Random(Math.floor(this.prng.double() * 2 ** 53));
  }
}

let globalRandom = new Random(0);

/**
 * Reseeds the generator used when a function is called without a `seed`. That
 * generator starts from seed 0, so even unseeded runs repeat from process start.
 */
export function setGlobalSeed(seed: number | string): void {
  globalRandom = new Random(seed);
}

/** A `Random` from a seed, the same `Random` if one is given, or the global one if `undefined`. */
export function toRandom(seed?: Seed): Random {
  if (seed === undefined) return globalRandom;
  if (seed instanceof Random) return seed;
  return new Random(seed);
}

/**
 * A `seed` argument, checked: `undefined` (the global generator), a finite number, a string or a {@link Random}.
 * @throws TypeError naming `where` and `name` for any other kind; RangeError for NaN or ±∞
 */
export function checkSeed(seed: unknown, name: string, where: string): Seed | undefined {
  assert(seed === undefined || seed instanceof Random || typeof seed === 'string' || typeof seed === 'number',
    () => `${where}: '${name}' must be a number, a string or a Random, got ${describe(seed)}`, TypeError);
  assert(typeof seed !== 'number' || Number.isFinite(seed), () => `${where}: '${name}' must be finite, got ${seed}`, RangeError);
  return seed;
}
