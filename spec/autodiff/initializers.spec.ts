import {
  computeFans, constant, getInitializer, glorotNormal, glorotUniform, heNormal, heUniform, ones, TRUNCATED_NORMAL_STD, zeros,
  type Initializer,
} from '../../autodiff/initializers.js';
import { Random } from '../../lib/util/random.js';
import { seededRng } from '../helpers/grad-check.js';

/** Sample mean and standard deviation (divisor n). */
function moments(x: ArrayLike<number>): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i];
    maxAbs = Math.max(maxAbs, Math.abs(x[i]));
  }
  const mean = s / x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] - mean) ** 2;
  return { mean, std: Math.sqrt(ss / x.length), maxAbs };
}

describe('computeFans', () => {
  it('follows Keras: scalars 1/1, vectors n/n, kernels [fanIn, fanOut], conv kernels times the receptive field', () => {
    expect(computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
    expect(computeFans([5])).toEqual({ fanIn: 5, fanOut: 5 });
    expect(computeFans([3, 4])).toEqual({ fanIn: 3, fanOut: 4 });
    // [3, 3, 16, 32]: receptive field 3·3 = 9 → fanIn 16·9 = 144, fanOut 32·9 = 288
    expect(computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
    // [2, 5, 7]: receptive field 2 → 10, 14
    expect(computeFans([2, 5, 7])).toEqual({ fanIn: 10, fanOut: 14 });
    expect(() => computeFans([2, -1])).toThrow(RangeError);
  });
});

describe('random initializers', () => {
  // 400·250 = 10⁵ draws. For U(−l, l) the sample variance has relative sd √(0.8/n) ≈ 0.28%,
  // so a 2% band is ~7 sd wide yet a wrong limit (e.g. √(3/(fanIn+fanOut)), variance ½ as big) fails.
  const shape = [400, 250];
  const n = 400 * 250;

  it('glorotUniform: U(−l, l), l = √(6/(fanIn + fanOut)), variance l²/3', () => {
    const l = Math.sqrt(6 / 650); // 0.0960769...
    const w = glorotUniform(shape, seededRng('glorot-uniform-moments'));
    expect(w.shape).toEqual(shape);
    expect(w.requiresGrad).toBe(false);
    const { mean, std, maxAbs } = moments(w.data);
    expect(w.data.every((x) => x >= -l && x < l)).toBe(true);
    expect(maxAbs).toBeGreaterThan(0.999 * l); // the bound is reached, not a narrower interval
    expect(Math.abs(mean)).toBeLessThan(4 * (l / Math.sqrt(3)) / Math.sqrt(n));
    expect(Math.abs(std ** 2 / (l * l / 3) - 1)).toBeLessThan(0.02);
  });

  it('glorotNormal: truncated at 2 stddev with stddev √(2/(fanIn+fanOut))/0.8796…, so its std is √(2/(fanIn+fanOut))', () => {
    // target σ = √(2/650) = 0.0554700; the underlying normal has stddev σ/0.8796 = 0.0630612, bound 2·that = 0.1261224.
    // An untruncated N(0, (σ/0.8796)²) would have std 1.137σ; one without the 0.8796 factor, 0.88σ.
    const sigma = Math.sqrt(2 / 650);
    const bound = (2 * sigma) / TRUNCATED_NORMAL_STD;
    const w = glorotNormal(shape, seededRng('glorot-normal-moments'));
    const { mean, std, maxAbs } = moments(w.data);
    expect(maxAbs).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(mean)).toBeLessThan(4 * sigma / Math.sqrt(n));
    expect(Math.abs(std / sigma - 1)).toBeLessThan(0.015);
    // Φ(1) − Φ(−1) = 0.6827 of N(0,1); within |z| ≤ 2 it is 0.6827/0.9545 = 0.7153 of the draws.
    const inner = w.data.filter((x) => Math.abs(x) <= bound / 2).length / n;
    expect(Math.abs(inner - 0.7153)).toBeLessThan(0.01);
  });

  it('the truncated-normal constant is the std of N(0,1) restricted to [−2, 2]', () => {
    // Var = 1 − 2·2·φ(2)/(Φ(2) − Φ(−2)), φ(2) = e⁻²/√(2π) = 0.0539909665, Φ(2) − Φ(−2) = 0.9544997361
    const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    expect(Math.sqrt(1 - (4 * phi2) / 0.9544997361036416)).toBeCloseTo(TRUNCATED_NORMAL_STD, 9);
  });

  it('heUniform: U(−l, l), l = √(6/fanIn)', () => {
    const l = Math.sqrt(6 / 400);
    const w = heUniform(shape, seededRng('he-uniform-moments'));
    const { std, maxAbs } = moments(w.data);
    expect(w.data.every((x) => x >= -l && x < l)).toBe(true);
    expect(maxAbs).toBeGreaterThan(0.999 * l);
    expect(Math.abs(std ** 2 / (2 / 400) - 1)).toBeLessThan(0.02); // l²/3 = 2/fanIn
  });

  it('heNormal: truncated normal with std √(2/fanIn)', () => {
    const sigma = Math.sqrt(2 / 400);
    const w = heNormal(shape, seededRng('he-normal-moments'));
    const { std, maxAbs } = moments(w.data);
    expect(maxAbs).toBeLessThanOrEqual((2 * sigma) / TRUNCATED_NORMAL_STD);
    expect(Math.abs(std / sigma - 1)).toBeLessThan(0.015);
  });

  it('uses Keras fans for conv-shaped kernels', () => {
    // [3, 3, 16, 32]: fanIn + fanOut = 144 + 288 = 432 → l = √(6/432) = 0.1178511
    const l = Math.sqrt(6 / 432);
    const w = glorotUniform([3, 3, 16, 32], seededRng('glorot-conv'));
    expect(w.data.every((x) => Math.abs(x) <= l)).toBe(true);
    expect(moments(w.data).maxAbs).toBeGreaterThan(0.99 * l);
  });

  it('draws row-major from the given Random: l·(2u − 1), and redraws normals beyond ±2', () => {
    const shape23 = [2, 3];
    const l = Math.sqrt(6 / 5);
    const u = new Random('init-order');
    expect(Array.from(glorotUniform(shape23, new Random('init-order')).data)).toEqual(
      Array.from({ length: 6 }, () => l * (2 * u.uniform() - 1)));
    const z = new Random('init-order');
    const stddev = Math.sqrt(2 / 5) / TRUNCATED_NORMAL_STD;
    const expected: number[] = [];
    while (expected.length < 6) {
      const v = z.normal();
      if (Math.abs(v) <= 2) expected.push(stddev * v);
    }
    expect(Array.from(glorotNormal(shape23, new Random('init-order')).data)).toEqual(expected);
  });

  it('is deterministic by seed: same seed ⇒ bit-identical, different seeds or successive calls ⇒ different', () => {
    for (const init of [glorotUniform, glorotNormal, heUniform, heNormal]) {
      const a = init([7, 5], new Random(123));
      const b = init([7, 5], new Random(123));
      expect(a.data).toEqual(b.data);
      expect(a.data).not.toEqual(init([7, 5], new Random(124)).data);
      const rng = new Random(123);
      const first = init([7, 5], rng);
      expect(init([7, 5], rng).data).not.toEqual(first.data); // the draws advance the generator
    }
  });

  it('handles empty shapes (fans below 1 count as 1, as in Keras)', () => {
    expect(glorotUniform([0, 4], new Random(0)).shape).toEqual([0, 4]);
    expect(heNormal([0], new Random(0)).size).toBe(0);
    expect(glorotNormal([], new Random(0)).size).toBe(1); // a scalar: fanIn = fanOut = 1
  });

  it('rejects a missing generator or a bad shape by name', () => {
    expect(() => glorotUniform([2, 2], 42 as never)).toThrow(TypeError);
    expect(() => glorotUniform([2, 2], 42 as never)).toThrow(/glorotUniform: 'rng' must be a Random/);
    expect(() => heNormal([2, 2], undefined as never)).toThrow(/heNormal: 'rng' must be a Random/);
    expect(() => glorotNormal([2, 1.5], new Random(0))).toThrow(RangeError);
  });
});

describe('constant initializers', () => {
  it('zeros, ones and constant(v) fill the shape and draw nothing', () => {
    const rng = seededRng('constant-init');
    expect(zeros([2, 3], rng).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(ones([3], rng).toArray()).toEqual([1, 1, 1]);
    expect(constant(-2.5)([2, 1], rng).toArray()).toEqual([[-2.5], [-2.5]]);
    expect(rng.uniform()).toBe(seededRng('constant-init').uniform());
  });

  it('constant rejects non-numbers and non-finite values', () => {
    expect(() => constant('1' as never)).toThrow(/constant: 'value' must be a number, got string/);
    expect(() => constant(NaN)).toThrow(RangeError);
    expect(() => constant(Infinity)).toThrow(/constant: 'value' must be finite, got Infinity/);
  });
});

describe('getInitializer', () => {
  it('maps Keras names to initializers and passes functions through', () => {
    expect(getInitializer('glorotUniform')).toBe(glorotUniform);
    expect(getInitializer('glorotNormal')).toBe(glorotNormal);
    expect(getInitializer('heUniform')).toBe(heUniform);
    expect(getInitializer('heNormal')).toBe(heNormal);
    expect(getInitializer('zeros')).toBe(zeros);
    expect(getInitializer('ones')).toBe(ones);
    const custom: Initializer = constant(3);
    expect(getInitializer(custom)).toBe(custom);
  });

  it('rejects unknown names, naming them and listing the valid ones', () => {
    expect(() => getInitializer('glorot_uniform' as never)).toThrow(TypeError);
    expect(() => getInitializer('glorot_uniform' as never)).toThrow(
      "getInitializer: unknown initializer 'glorot_uniform'; valid names are glorotUniform, glorotNormal, heUniform, heNormal, zeros, ones");
    expect(() => getInitializer('toString' as never)).toThrow(/unknown initializer 'toString'/);
    expect(() => getInitializer(42 as never)).toThrow(/getInitializer: expected an initializer name or function, got number/);
  });
});
