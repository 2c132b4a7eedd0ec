// maskedMatmul: held equal to its reference loop, gradients, exact zeros under the mask, and argument errors.
import { mul } from '../../autodiff/ops/binary.js';
import { maskedMatmul, maskedMatmulReference } from '../../autodiff/ops/masked-matmul.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { Tensor, tensor, zeros } from '../../autodiff/tensor.js';
import type { Random } from '../../lib/util/random.js';
import { expectGradClose, maxAbsDiff, randn, seededRng } from '../helpers/grad-check.js';

/** A random 0/1 mask of shape [fanIn, fanOut] with about `pOne` ones. */
function randomMask(rng: Random, fanIn: number, fanOut: number, pOne = 0.5): Tensor {
  const m = new Float64Array(fanIn * fanOut);
  for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < pOne ? 1 : 0;
  return tensor(m, [fanIn, fanOut]);
}

/** Σ y ⊙ R with a fixed random R, so dy is not uniform. */
function weightedSum(y: Tensor, seed: string): Tensor {
  return sum(mul(y, randn(seededRng(seed), y.shape)));
}

type MaskedOp = typeof maskedMatmul;

/** Values and every gradient of Σ op(x, w, mask, bias) ⊙ R, on fresh leaves. */
function run(op: MaskedOp, x: Tensor, w: Tensor, mask: Tensor, bias: Tensor | undefined, seed: string) {
  const leaf = (t: Tensor) => new Tensor(t.data.slice(), t.shape, { requiresGrad: true });
  const [xp, wp, bp] = [leaf(x), leaf(w), bias && leaf(bias)];
  const y = op(xp, wp, mask, bp);
  weightedSum(y, seed).backward();
  return { y: y.data, dx: xp.grad!.data, dw: wp.grad!.data, db: bp?.grad!.data };
}

describe('maskedMatmul', () => {
  it('computes x · (w ⊙ mask) + bias (the @example)', () => {
    // fanIn 2, fanOut 2; the mask cuts w[1][0]: y = [1·1 + 0, 1·2 + 1·3] = [1, 5]
    const x = tensor([[1, 1]]);
    const w = tensor([[1, 2], [9, 3]]);
    const mask = tensor([[1, 1], [0, 1]]);
    expect(maskedMatmul(x, w, mask).toArray()).toEqual([[1, 5]]);
    expect(maskedMatmulReference(x, w, mask).toArray()).toEqual([[1, 5]]);
    // with bias [10, 20]: [11, 25]; a second row [2, -1]: [2·1 + 10, 2·2 − 1·3 + 20] = [12, 21]
    const y = maskedMatmul(tensor([[1, 1], [2, -1]]), w, mask, tensor([10, 20]));
    expect(y.toArray()).toEqual([[11, 25], [12, 21]]);
  });

  it('equals maskedMatmulReference in values and all gradients on random shapes and masks', () => {
    const rng = seededRng('masked-matmul-vs-reference');
    for (const [batch, fanIn, fanOut] of [[1, 1, 1], [3, 4, 5], [7, 9, 6], [16, 33, 20], [5, 0, 3], [0, 4, 2]]) {
      for (const withBias of [false, true]) {
        const x = randn(rng, [batch, fanIn]);
        const w = randn(rng, [fanIn, fanOut]);
        const mask = randomMask(rng, fanIn, fanOut);
        const bias = withBias ? randn(rng, [fanOut]) : undefined;
        const seed = `masked-matmul-vs-reference-r-${batch}-${fanIn}-${fanOut}`;
        const fast = run(maskedMatmul, x, w, mask, bias, seed);
        const ref = run(maskedMatmulReference, x, w, mask, bias, seed);
        expect(maxAbsDiff(fast.y, ref.y)).toBeLessThan(1e-12);
        expect(maxAbsDiff(fast.dx, ref.dx)).toBeLessThan(1e-12);
        expect(maxAbsDiff(fast.dw, ref.dw)).toBeLessThan(1e-12);
        if (withBias) expect(maxAbsDiff(fast.db!, ref.db!)).toBeLessThan(1e-12);
      }
    }
  });

  for (const [name, op] of [['maskedMatmul', maskedMatmul], ['maskedMatmulReference', maskedMatmulReference]] as const) {
    it(`${name}: backward matches central differences, with and without bias`, () => {
      const rng = seededRng(`${name}-grad`);
      const [x, w, b] = [randn(rng, [4, 5]), randn(rng, [5, 6]), randn(rng, [6])];
      const mask = randomMask(rng, 5, 6);
      expect(expectGradClose((p, q) => weightedSum(op(p, q, mask), `${name}-grad-r`), [x, w])).toBeLessThan(1e-6);
      expect(expectGradClose((p, q, r) => weightedSum(op(p, q, mask, r), `${name}-grad-r`), [x, w, b])).toBeLessThan(1e-6);
    });

    it(`${name}: the weight gradient is exactly 0 wherever the mask is 0`, () => {
      const rng = seededRng(`${name}-masked-grad`);
      const mask = randomMask(rng, 6, 7);
      for (const withBias of [false, true]) {
        const { dw } = run(op, randn(rng, [5, 6]), randn(rng, [6, 7]), mask, withBias ? randn(rng, [7]) : undefined, `${name}-masked-grad-r`);
        let zeros = 0;
        for (let i = 0; i < dw.length; i++) {
          if (mask.data[i] === 0) {
            expect(dw[i]).toBe(0);
            zeros++;
          } else {
            expect(dw[i]).not.toBe(0);
          }
        }
        expect(zeros).toBeGreaterThan(5); // the draw really masks something
      }
    });
  }

  it('keeps masked entries of an existing weight gradient when w is used again (accumulating backward)', () => {
    const rng = seededRng('masked-matmul-accumulate');
    const [x, w0] = [randn(rng, [3, 4]), randn(rng, [4, 5])];
    const mask = randomMask(rng, 4, 5);
    const S = randn(seededRng('masked-matmul-accumulate-s'), [4, 5]);
    const w = new Tensor(w0.data.slice(), [4, 5], { requiresGrad: true });
    // Two backward passes without zeroGrad: the second finds w.grad already holding the first.
    weightedSum(maskedMatmul(x, w, mask), 'masked-matmul-accumulate-r').backward();
    const once = w.grad!.data.slice();
    sum(mul(w, S)).backward();
    weightedSum(maskedMatmul(x, w, mask), 'masked-matmul-accumulate-r').backward();
    // Σ w ⊙ S gives every entry gradient S, masked or not; the masked product adds `once` where the mask is 1.
    for (let i = 0; i < once.length; i++) {
      if (mask.data[i] === 0) expect(w.grad!.data[i]).toBe(S.data[i]);
      else expect(w.grad!.data[i]).toBeCloseTo(2 * once[i] + S.data[i], 12);
    }
  });

  it('ignores masked weights entirely, even infinite or NaN ones', () => {
    const rng = seededRng('masked-matmul-structural');
    const [x, w] = [randn(rng, [3, 4]), randn(rng, [4, 5])];
    const mask = randomMask(rng, 4, 5);
    const poisoned = w.clone();
    for (let i = 0; i < w.size; i++) if (mask.data[i] === 0) poisoned.data[i] = i % 2 === 0 ? Infinity : NaN;
    for (const op of [maskedMatmul, maskedMatmulReference]) {
      expect(Array.from(op(x, poisoned, mask).data)).toEqual(Array.from(op(x, w, mask).data));
    }
  });

  it('works when x does not require a gradient (the first layer sees data)', () => {
    const rng = seededRng('masked-matmul-const-x');
    const x = randn(rng, [4, 3]);
    const mask = randomMask(rng, 3, 2);
    const w = new Tensor(randn(rng, [3, 2]).data, [3, 2], { requiresGrad: true });
    const b = new Tensor(randn(rng, [2]).data, [2], { requiresGrad: true });
    sum(maskedMatmul(x, w, mask, b)).backward();
    expect(x.grad).toBeNull();
    expect(w.grad!.shape).toEqual([3, 2]);
    // db[j] = Σ_b dy[b][j] = batch = 4 when dy is all ones
    expect(Array.from(b.grad!.data)).toEqual([4, 4]);
    expect(mask.grad).toBeNull();
    expect(expectGradClose((q) => weightedSum(maskedMatmul(x, q, mask), 'masked-matmul-const-x-r'), [w])).toBeLessThan(1e-6);
  });

  it('validates every argument, naming it', () => {
    const [x, w, mask, b] = [zeros([2, 3]), zeros([3, 4]), zeros([3, 4]), zeros([4])];
    for (const op of [maskedMatmul, maskedMatmulReference]) {
      expect(() => op(zeros([3]), w, mask)).toThrow(/'x' has shape \[3\], expected rank 2 \[batch, fanIn\]/);
      expect(() => op(x, zeros([3, 4, 1]), mask)).toThrow(/'w' has shape \[3,4,1\], expected rank 2 \[fanIn, fanOut\]/);
      expect(() => op(zeros([2, 5]), w, mask)).toThrow(/'x' has shape \[2,5\] and 'w' has shape \[3,4\]/);
      expect(() => op(x, w, zeros([4, 3]))).toThrow(/'mask' has shape \[4,3\], expected \[fanIn, fanOut\] = \[3,4\]/);
      expect(() => op(x, w, mask, zeros([3]))).toThrow(/'bias' has shape \[3\], expected \[fanOut\] = \[4\]/);
      expect(() => op(x, w, mask, zeros([1, 4]))).toThrow(/'bias' has shape \[1,4\]/);
      const half = zeros([3, 4]);
      half.data[6] = 0.5; // row 1, column 2
      expect(() => op(x, w, half)).toThrow(/'mask' must hold only 0 and 1, got 0.5 at \[1,2\]/);
      expect(() => op(x, w, zeros([3, 4], { requiresGrad: true }))).toThrow(/'mask' has requiresGrad true/);
      expect(() => op(x, w, [[1]] as unknown as Tensor)).toThrow(TypeError);
      expect(() => op(x, w, mask, 3 as unknown as Tensor)).toThrow(/'bias' must be a Tensor, got number/);
    }
    expect(() => maskedMatmul(zeros([3]), w, mask)).toThrow(/^maskedMatmul: /);
    expect(() => maskedMatmulReference(x, w, mask, b)).not.toThrow();
  });
});
