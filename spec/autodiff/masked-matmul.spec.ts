// maskedMatmul: every kernel held equal to the reference loop on MADE and arbitrary masks, gradients, exact zeros under the mask, argument errors.
import { simdAvailable, withGemmBackend, withKernelMode, type KernelMode } from '../../autodiff/kernels/config.js';
import { maskPlan } from '../../autodiff/kernels/mask-plan.js';
import { mul, sub } from '../../autodiff/ops/binary.js';
import { maskedMatmul, maskedMatmulReference } from '../../autodiff/ops/masked-matmul.js';
import { mean, sum } from '../../autodiff/ops/reduce.js';
import { Adam } from '../../autodiff/optimizers/adam.js';
import { Tensor, tensor, zeros } from '../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../flows/made/autoregressive-network.js';
import type { HiddenDegrees, InputOrder } from '../../flows/made/degrees.js';
import { makeMasks } from '../../flows/made/masks.js';
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

/** max |a − b| / max |b|: the error relative to the reference's scale (1 when b is all zeros or empty). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / (scale === 0 ? 1 : scale);
}

/** maskedMatmul under a kernel mode, forward and backward both run inside it. */
function inMode(mode: KernelMode): MaskedOp {
  return (x, w, mask, bias) => withKernelMode(mode, () => maskedMatmul(x, w, mask, bias));
}

/** The masks of a random MADE network: orders, hidden degrees, widths (some narrower than E − 1), params 1–3. */
function randomMadeMasks(rng: Random, trial: number): Tensor[] {
  const orders: InputOrder[] = ['left-to-right', 'right-to-left', 'random'];
  const degrees: HiddenDegrees[] = ['equal', 'random'];
  const eventSize = 1 + Math.floor(rng.uniform() * 10);
  const hiddenUnits = Array.from({ length: Math.floor(rng.uniform() * 3) }, () => 1 + Math.floor(rng.uniform() * (2 * eventSize + 4)));
  return makeMasks({
    params: 1 + (trial % 3), eventSize, hiddenUnits,
    inputOrder: orders[trial % 3], hiddenDegrees: degrees[Math.floor(trial / 3) % 2], rng,
  });
}

describe('maskedMatmul kernels on MADE masks', () => {
  it("'structured' equals maskedMatmulReference (values and all gradients, 1e-12 relative) on random MADE masks", () => {
    const rng = seededRng('masked-matmul-structured-made');
    const batches = [0, 1, 2, 5, 17];
    let layers = 0;
    let permuted = 0;
    for (let trial = 0; trial < 36; trial++) {
      for (const mask of randomMadeMasks(rng, trial)) {
        const [fanIn, fanOut] = mask.shape;
        const plan = maskPlan(mask.data, fanIn, fanOut);
        expect(plan.staircase).toBe(true); // so the structured kernel, not the fallback, is under test
        if (!plan.rowsSorted || !plan.colsSorted) permuted++;
        const batch = batches[layers % batches.length];
        const withBias = layers % 2 === 0;
        const x = randn(rng, [batch, fanIn]);
        const w = randn(rng, [fanIn, fanOut]);
        const bias = withBias ? randn(rng, [fanOut]) : undefined;
        const seed = `masked-matmul-structured-made-r-${trial}-${layers}`;
        const fast = run(inMode('structured'), x, w, mask, bias, seed);
        const ref = run(maskedMatmulReference, x, w, mask, bias, seed);
        expect(relDiff(fast.y, ref.y)).toBeLessThan(1e-12);
        expect(relDiff(fast.dx, ref.dx)).toBeLessThan(1e-12);
        expect(relDiff(fast.dw, ref.dw)).toBeLessThan(1e-12);
        if (withBias) expect(relDiff(fast.db!, ref.db!)).toBeLessThan(1e-12);
        layers++;
      }
    }
    expect(layers).toBeGreaterThan(60);
    expect(permuted).toBeGreaterThan(20);
  });

  it("'structured' and 'dense' equal the reference on layers that cross the kernel's blocking (fanIn > 256, fanOut > 512)", () => {
    const rng = seededRng('masked-matmul-structured-large');
    for (const inputOrder of ['left-to-right', 'random'] as const) {
      // E 300, hidden [520], params 2: layers 300→520 and 520→600
      for (const mask of makeMasks({ params: 2, eventSize: 300, hiddenUnits: [520], inputOrder, rng })) {
        const [fanIn, fanOut] = mask.shape;
        const [x, w, bias] = [randn(rng, [6, fanIn]), randn(rng, [fanIn, fanOut]), randn(rng, [fanOut])];
        const seed = `masked-matmul-structured-large-r-${fanIn}`;
        const ref = run(maskedMatmulReference, x, w, mask, bias, seed);
        for (const mode of ['structured', 'dense'] as const) {
          const fast = run(inMode(mode), x, w, mask, bias, seed);
          for (const key of ['y', 'dx', 'dw', 'db'] as const) expect(relDiff(fast[key]!, ref[key]!)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it("'dense' and 'reference' modes equal maskedMatmulReference too", () => {
    const rng = seededRng('masked-matmul-modes');
    for (let trial = 0; trial < 9; trial++) {
      for (const mask of randomMadeMasks(rng, trial)) {
        const [fanIn, fanOut] = mask.shape;
        const [x, w, bias] = [randn(rng, [3, fanIn]), randn(rng, [fanIn, fanOut]), randn(rng, [fanOut])];
        const ref = run(maskedMatmulReference, x, w, mask, bias, 'masked-matmul-modes-r');
        for (const mode of ['dense', 'reference'] as const) {
          const got = run(inMode(mode), x, w, mask, bias, 'masked-matmul-modes-r');
          for (const key of ['y', 'dx', 'dw', 'db'] as const) expect(relDiff(got[key]!, ref[key]!)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it("'structured' falls back to the dense kernel on arbitrary masks and still equals the reference", () => {
    const rng = seededRng('masked-matmul-fallback');
    for (const [batch, fanIn, fanOut] of [[4, 6, 7], [1, 9, 5], [0, 8, 6], [12, 20, 33]]) {
      const mask = randomMask(rng, fanIn, fanOut);
      expect(maskPlan(mask.data, fanIn, fanOut).staircase).toBe(false);
      const [x, w, bias] = [randn(rng, [batch, fanIn]), randn(rng, [fanIn, fanOut]), randn(rng, [fanOut])];
      const fast = run(inMode('structured'), x, w, mask, bias, 'masked-matmul-fallback-r');
      const ref = run(maskedMatmulReference, x, w, mask, bias, 'masked-matmul-fallback-r');
      for (const key of ['y', 'dx', 'dw', 'db'] as const) expect(relDiff(fast[key]!, ref[key]!)).toBeLessThan(1e-12);
    }
  });

  it('backward matches central differences on a permuted MADE mask, every mode', () => {
    const rng = seededRng('masked-matmul-made-grad');
    // right-to-left with random degrees: both layers need row or column permutations
    const masks = makeMasks({ params: 2, eventSize: 4, hiddenUnits: [6], inputOrder: 'right-to-left', hiddenDegrees: 'random', rng });
    for (const mask of masks) {
      const [fanIn, fanOut] = mask.shape;
      const [x, w, b] = [randn(rng, [3, fanIn]), randn(rng, [fanIn, fanOut]), randn(rng, [fanOut])];
      for (const mode of ['structured', 'dense', 'reference'] as const) {
        const op = inMode(mode);
        expect(expectGradClose((p, q, r) => weightedSum(op(p, q, mask, r), 'masked-matmul-made-grad-r'), [x, w, b])).toBeLessThan(1e-6);
      }
    }
  });

  it('keeps masked weight gradients exactly 0 and ignores NaN/∞ masked weights, on permuted MADE masks, every mode', () => {
    const rng = seededRng('masked-matmul-made-structural');
    const masks = makeMasks({ params: 3, eventSize: 7, hiddenUnits: [11, 5], inputOrder: 'random', hiddenDegrees: 'random', rng });
    for (const mask of masks) {
      const [fanIn, fanOut] = mask.shape;
      const [x, w, bias] = [randn(rng, [5, fanIn]), randn(rng, [fanIn, fanOut]), randn(rng, [fanOut])];
      const poisoned = w.clone();
      let masked = 0;
      for (let i = 0; i < w.size; i++) {
        if (mask.data[i] === 0) {
          poisoned.data[i] = [NaN, Infinity, -Infinity][i % 3];
          masked++;
        }
      }
      expect(masked).toBeGreaterThan(5);
      for (const mode of ['structured', 'dense', 'reference'] as const) {
        const clean = run(inMode(mode), x, w, mask, bias, 'masked-matmul-made-structural-r');
        const dirty = run(inMode(mode), x, poisoned, mask, bias, 'masked-matmul-made-structural-r');
        // Masked weights are structurally absent: the poisoned run gives bit-equal values and x-gradients.
        expect(Array.from(dirty.y)).toEqual(Array.from(clean.y));
        expect(Array.from(dirty.dx)).toEqual(Array.from(clean.dx));
        for (let i = 0; i < w.size; i++) {
          if (mask.data[i] === 0) {
            expect(clean.dw[i]).toBe(0);
            expect(dirty.dw[i]).toBe(0);
          } else {
            expect(clean.dw[i]).not.toBe(0);
          }
        }
      }
    }
  });

  it('adds into an existing weight gradient only where the mask is 1, on identity and permuted plans', () => {
    const rng = seededRng('masked-matmul-made-accumulate');
    for (const inputOrder of ['left-to-right', 'random'] as const) {
      for (const mask of makeMasks({ params: 2, eventSize: 5, hiddenUnits: [8], inputOrder, rng })) {
        const [fanIn, fanOut] = mask.shape;
        const x = new Tensor(randn(rng, [4, fanIn]).data, [4, fanIn], { requiresGrad: true });
        const w = new Tensor(randn(rng, [fanIn, fanOut]).data, [fanIn, fanOut], { requiresGrad: true });
        const S = randn(seededRng('masked-matmul-made-accumulate-s'), [fanIn, fanOut]);
        weightedSum(maskedMatmul(x, w, mask), 'masked-matmul-made-accumulate-r').backward();
        const [onceW, onceX] = [w.grad!.data.slice(), x.grad!.data.slice()];
        // Σ w ⊙ S gives every entry of w gradient S; then the masked product again adds onceW where the mask is 1
        sum(mul(w, S)).backward();
        weightedSum(maskedMatmul(x, w, mask), 'masked-matmul-made-accumulate-r').backward();
        for (let i = 0; i < w.size; i++) {
          if (mask.data[i] === 0) expect(w.grad!.data[i]).toBe(S.data[i]);
          else expect(w.grad!.data[i]).toBeCloseTo(2 * onceW[i] + S.data[i], 12);
        }
        for (let i = 0; i < x.size; i++) expect(x.grad!.data[i]).toBeCloseTo(2 * onceX[i], 12);
      }
    }
  });

  it("in 'reference' mode still validates and names maskedMatmul", () => {
    const [w, mask] = [zeros([3, 4]), zeros([3, 4])];
    withKernelMode('reference', () => {
      expect(() => maskedMatmul(zeros([3]), w, mask)).toThrow(/^maskedMatmul: 'x' has shape \[3\]/);
      expect(maskedMatmul(zeros([2, 3]), w, mask).op).toBe('maskedMatmul');
    });
    // In 'structured' mode the mask's entries are checked when its plan is first made.
    const half = zeros([3, 4]);
    half.data[6] = 0.5;
    expect(() => maskedMatmul(zeros([2, 3]), w, half)).toThrow(/^maskedMatmul: 'mask' must hold only 0 and 1, got 0.5 at \[1,2\]/);
  });

  it('leaves a MADE training run unchanged: the same 30-step Adam loss curve in every mode (1e-9 relative)', () => {
    // A small MAF-sized MADE with permuted masks, fitted to a fixed target by least squares.
    const curve = (mode: KernelMode): number[] => withKernelMode(mode, () => {
      const made = new AutoregressiveNetwork({
        params: 2, eventShape: 6, hiddenUnits: [13, 9], activation: 'relu', inputOrder: 'random', hiddenDegrees: 'random', seed: 11,
      });
      const rng = seededRng('masked-matmul-training');
      const [x, target] = [randn(rng, [32, 6]), randn(rng, [32, 12])];
      const weights = made.trainableWeights;
      const opt = new Adam({ learningRate: 0.01 });
      const losses: number[] = [];
      for (let step = 0; step < 30; step++) {
        opt.zeroGrad(weights);
        const residual = sub(made.flatOutput(x), target);
        const loss = mean(mul(residual, residual));
        loss.backward();
        opt.step(weights);
        losses.push(loss.item());
      }
      return losses;
    });
    const reference = curve('reference');
    expect(reference[29]).toBeLessThan(reference[0]); // it really trains
    for (const mode of ['dense', 'structured'] as const) {
      const losses = curve(mode);
      for (let step = 0; step < 30; step++) expect(Math.abs(losses[step] - reference[step]) / reference[step]).toBeLessThan(1e-9);
    }
  });

  (simdAvailable() ? it : it.skip)("gives the same bits with the WebAssembly SIMD and the JavaScript kernels: values and every gradient, 'structured' and 'dense', permuted MADE masks", () => {
    const rng = seededRng('masked-matmul-simd');
    const masks = makeMasks({ params: 2, eventSize: 23, hiddenUnits: [61, 47], inputOrder: 'random', hiddenDegrees: 'random', rng: 5 });
    let compared = 0;
    for (const mode of ['structured', 'dense'] as const) {
      for (const [l, mask] of masks.entries()) {
        const [fanIn, fanOut] = mask.shape;
        const batch = 3 + 14 * l; // 3, 17, 31: odd batches, below and past the 4-row tile
        const [x, w, bias] = [randn(rng, [batch, fanIn]), randn(rng, [fanIn, fanOut]), randn(rng, [fanOut])];
        const seed = `masked-matmul-simd-r-${mode}-${l}`;
        const js = withGemmBackend('js', () => run(inMode(mode), x, w, mask, bias, seed));
        const simd = withGemmBackend('wasm-simd', () => run(inMode(mode), x, w, mask, bias, seed));
        for (const key of ['y', 'dx', 'dw', 'db'] as const) {
          expect(simd[key]!.every((v, i) => Object.is(v, js[key]![i]))).toBe(true);
          compared++;
        }
      }
    }
    expect(compared).toBe(24);
  });
});
