import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, Dense, DistributionLambda, InputLayer, MultivariateNormalDiag,
  Sequential, Standardize, Tensor, ValueError, registerDistributionFn, tensor, zeros, type Layer,
} from '../../lib/index.js';
import { getDistributionFn, registerLayer } from '../../lib/entries/serialization.js';
import { parseCsv } from '../../lib/entries/data.js';

// The holes in the input checks, each with numbers: what used to pass, and what happens now.

describe('Standardize.fromData is scale-safe', () => {
  it('a column near 1e-200 keeps its scale (was: std 0, replaced by 1)', () => {
    // x = [1, 2, 3]·1e-200: mean 2e-200, population std √(2/3)·1e-200
    const st = Standardize.fromData(tensor([[1e-200], [2e-200], [3e-200]]));
    expect(st.mean.data[0] / 2e-200).toBeCloseTo(1, 14);
    expect(st.std.data[0] / (Math.sqrt(2 / 3) * 1e-200)).toBeCloseTo(1, 14);
    expect(Array.from(st.forward(tensor([[1e-200], [3e-200]])).data)).toEqual([expect.closeTo(-Math.sqrt(1.5), 13), expect.closeTo(Math.sqrt(1.5), 13)]);
  });

  it('a column near 1e200 gets its true std (was: std ∞, a RangeError from the constructor)', () => {
    const st = Standardize.fromData(tensor([[1e200, 1], [2e200, 2], [3e200, 3]]));
    expect(st.mean.data[0] / 2e200).toBeCloseTo(1, 14);
    expect(st.std.data[0] / (Math.sqrt(2 / 3) * 1e200)).toBeCloseTo(1, 14);
    // near the top of the range: 1.5e308 and −1.5e308 have mean 0 and std 1.5e308 (their square overflows)
    const top = Standardize.fromData(tensor([[1.5e308], [-1.5e308]]));
    expect(top.mean.data[0]).toBe(0);
    expect(top.std.data[0]).toBe(1.5e308);
  });

  it('ordinary columns are bit for bit what the plain two-pass formula gives (the scale is a power of two)', () => {
    const x = tensor([[1, 10], [3, 30], [2.5, -7.25], [0.125, 1e-3]]);
    const st = Standardize.fromData(x);
    for (let d = 0; d < 2; d++) {
      const col = [0, 1, 2, 3].map((b) => x.data[b * 2 + d]);
      const mean = col.reduce((a, v) => a + v, 0) / 4;
      const std = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / 4);
      expect(st.mean.data[d]).toBe(mean);
      expect(st.std.data[d]).toBe(std);
    }
    expect(Array.from(Standardize.fromData(tensor([[0, 5], [0, 5]])).std.data)).toEqual([1, 1]);
  });
});

describe('parseCsv', () => {
  it('reads CR-only line endings (was: one header line, no rows)', () => {
    const t = parseCsv('a,b\r1,2\r3,4\r');
    expect(t.columns).toEqual(['a', 'b']);
    expect(t.values.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(parseCsv('a\r\n1\n2\r3').values.toArray()).toEqual([[1], [2], [3]]);
  });

  it('refuses hexadecimal, binary and octal literals (was: read as 16, 5 and 15), naming line and column', () => {
    expect(() => parseCsv('a,b\n1,0x10\n')).toThrow(new ValueError("parseCsv: csv line 2, column 2 ('b'): '0x10' is not a decimal number (hexadecimal, binary and octal literals are refused)"));
    expect(() => parseCsv('a\n0b101\n')).toThrow(/line 2, column 1 \('a'\): '0b101' is not a decimal number/);
    expect(() => parseCsv('a\n1\n0O17\n', 'data.csv')).toThrow(/^parseCsv: data\.csv line 3, column 1 \('a'\): '0O17' is not a decimal number/);
    expect(() => parseCsv('a\n-0X1F\n')).toThrow(/'-0X1F' is not a finite number/); // Number('-0X1F') is NaN already
  });

  it('still reads every decimal form', () => {
    expect(parseCsv('a,b,c,d,e,f\n-1.5,+2,.5,3.,1e-3,2E+2\n').values.toArray()).toEqual([[-1.5, 2, 0.5, 3, 0.001, 200]]);
  });
});

describe('registries refuse to replace a name silently', () => {
  const normal2 = (t: Tensor): MultivariateNormalDiag => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) });

  it('registerDistributionFn: the same function again is fine, another one needs { override: true }', () => {
    registerDistributionFn('inputChecksNormal', normal2);
    registerDistributionFn('inputChecksNormal', normal2);
    const other = (t: Tensor): MultivariateNormalDiag => normal2(t);
    expect(() => registerDistributionFn('inputChecksNormal', other)).toThrow(new ValueError(
      "registerDistributionFn: 'name' 'inputChecksNormal' is already registered to another function; pass { override: true } to replace it (models saved under 'inputChecksNormal' will then load with the new one)"));
    expect(getDistributionFn('inputChecksNormal')).toBe(normal2);
    registerDistributionFn('inputChecksNormal', other, { override: true });
    expect(getDistributionFn('inputChecksNormal')).toBe(other);
  });

  it('registerLayer refuses to replace a built-in layer unless told to', () => {
    const factory = (c: Parameters<typeof Dense.fromConfig>[0]): Layer => Dense.fromConfig(c);
    expect(() => registerLayer('Dense', factory)).toThrow(/^registerLayer: 'name' 'Dense' is already registered to another factory; pass \{ override: true \}/);
    registerLayer('InputChecksDense', factory);
    expect(() => registerLayer('InputChecksDense', factory)).not.toThrow();
  });
});

describe('one network shared by two layers is refused when the model is built', () => {
  it('two AutoregressiveTransforms with one network (was: parameters counted twice, then an obscure optimizer error)', () => {
    registerDistributionFn('inputChecksNormal3', (t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 3]) }));
    const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [4], seed: 1 });
    const first = new AutoregressiveTransform(made, { name: 'first' });
    const second = new AutoregressiveTransform(made, { name: 'second' });
    expect(() => new Sequential([new InputLayer({ inputShape: [0] }), new DistributionLambda('inputChecksNormal3'), first, second])).toThrow(new ValueError(
      "Sequential.add: layer 'second' uses the same AutoregressiveNetwork as layer 'first'; each AutoregressiveTransform needs its own network " +
      '(a shared one would be counted, trained and saved twice): make a second network with the same options'));
  });

  it('two networks with the same options are fine, and count their parameters once each', () => {
    const made = (): AutoregressiveNetwork => new AutoregressiveNetwork({ params: 2, hiddenUnits: [4], seed: 1 });
    const m = new Sequential([new InputLayer({ inputShape: [0] }), new DistributionLambda('inputChecksNormal3'), new AutoregressiveTransform(made()), new AutoregressiveTransform(made())]);
    m.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
    m.build();
    // each: 3·4 + 4 + 4·6 + 6 = 46
    expect(m.countParams()).toBe(92);
  });
});

describe('sparse arrays', () => {
  it('hiddenUnits [8, , 8] is refused at construction (was: an 8 → ? → 8 network whose saved file could not be loaded)', () => {
    const holey = [8, , 8] as number[];
    expect(holey.length).toBe(3);
    expect(() => new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: holey })).toThrow(new TypeError(
      "AutoregressiveNetwork: 'hiddenUnits' is a sparse array [8, <hole>, 8]: index 1 is empty (a doubled comma?); every entry must be given"));
  });
});

describe('a condition is data: NaN and ±∞ are refused as in x', () => {
  it('the first bad entry is named by row and column', () => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], conditional: true, conditionalEventShape: 2, seed: 1 });
    expect(() => made.call(zeros([3, 2]), { conditionalInput: tensor([[0, 0], [0, 0], [0, NaN]]) })).toThrow(new ValueError(
      "AutoregressiveNetwork.call: 'conditionalInput' has NaN at row 2, column 1 (shape [3,2]); every value must be a finite number: a condition must be a finite number"));
  });
});
