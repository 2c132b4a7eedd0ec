import { tensor } from '../../../autodiff/tensor.js';
import { dequantize, dequantizedLogProb } from '../../../lib/data/dequantize.js';

describe('dequantize', () => {
  const v = tensor([[0, 16, 3], [5, 0, 1]]);

  it('puts each value v in its cell [v/L, (v+1)/L)', () => {
    const x = dequantize(v, { levels: 17, seed: 3 });
    expect(x.shape).toEqual([2, 3]);
    for (let i = 0; i < x.size; i++) {
      expect(x.data[i]).toBeGreaterThanOrEqual(v.data[i] / 17);
      expect(x.data[i]).toBeLessThan((v.data[i] + 1) / 17);
    }
    // so rounding down L·x gives v back
    expect(Array.from(x.data, (t) => Math.floor(17 * t))).toEqual(Array.from(v.data));
  });

  it('is deterministic per seed, differs between seeds, and leaves its input untouched', () => {
    const a = dequantize(v, { levels: 17, seed: 'a' });
    expect(Array.from(dequantize(v, { levels: 17, seed: 'a' }).data)).toEqual(Array.from(a.data));
    expect(Array.from(dequantize(v, { levels: 17, seed: 'b' }).data)).not.toEqual(Array.from(a.data));
    expect(Array.from(v.data)).toEqual([0, 16, 3, 5, 0, 1]);
    // default seed 0
    expect(Array.from(dequantize(v, { levels: 17 }).data)).toEqual(Array.from(dequantize(v, { levels: 17, seed: 0 }).data));
  });

  it('spreads values uniformly over the cell: mean offset ½, variance 1/12', () => {
    const n = 20000;
    const x = dequantize(tensor(new Float64Array(n), [n]), { levels: 1, seed: 7 });
    let m = 0;
    for (const t of x.data) m += t / n;
    let s2 = 0;
    for (const t of x.data) s2 += ((t - m) * (t - m)) / n;
    // standard error of the mean: √(1/12/20000) ≈ 0.002
    expect(Math.abs(m - 0.5)).toBeLessThan(0.008);
    expect(Math.abs(s2 - 1 / 12)).toBeLessThan(0.003);
  });

  it('rejects values that are not integers in 0 … L−1, naming row and column', () => {
    expect(() => dequantize(tensor([[0, 1], [17, 2]]), { levels: 17 })).toThrow(RangeError);
    expect(() => dequantize(tensor([[0, 1], [17, 2]]), { levels: 17 })).toThrow(/dequantize: 'x' has 17 at row 1, column 0 \(shape \[2,2\]\), expected an integer in 0 … 16/);
    expect(() => dequantize(tensor([0.5]), { levels: 2 })).toThrow(/has 0\.5 at flat index 0/);
    expect(() => dequantize(tensor([-1]), { levels: 2 })).toThrow(RangeError);
    expect(() => dequantize(tensor([0]), { levels: 0 })).toThrow(/'levels' must be an integer ≥ 1, got 0/);
    expect(() => dequantize([0] as never, { levels: 2 })).toThrow(TypeError);
  });
});

describe('dequantizedLogProb', () => {
  it('subtracts D·log L: the Jacobian of y = L·x', () => {
    // 64 dims, 17 levels: 64·log 17 = 181.3257...
    const lp = dequantizedLogProb(tensor([10, -5]), { levels: 17, eventSize: 64 });
    expect(lp.data[0]).toBeCloseTo(10 - 64 * Math.log(17), 12);
    expect(lp.data[1]).toBeCloseTo(-5 - 181.32568, 4);
  });

  it('makes the uniform density on the unit cube the uniform one on [0, L)^D', () => {
    // p_X = 1 on [0,1)^3 → log p_Y = −3 log 4 = log(1/4³), the uniform density on [0, 4)³
    expect(dequantizedLogProb(tensor([0]), { levels: 4, eventSize: 3 }).data[0]).toBeCloseTo(Math.log(1 / 64), 15);
  });

  it('rejects bad sizes', () => {
    expect(() => dequantizedLogProb(tensor([0]), { levels: 1.5, eventSize: 3 })).toThrow(/dequantizedLogProb: 'levels' must be an integer ≥ 1, got 1\.5/);
    expect(() => dequantizedLogProb(tensor([0]), { levels: 2, eventSize: 0 })).toThrow(RangeError);
  });
});
