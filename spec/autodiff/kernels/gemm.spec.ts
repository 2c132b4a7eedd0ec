// Holds the fast gemm equal to the triple-loop reference on every layout, edge size and offset.
import { gemm, gemmReference, type GemmOptions } from '../../../autodiff/kernels/gemm.js';
import type { Random } from '../../../lib/util/random.js';
import { seededRng } from '../../helpers/grad-check.js';

function randomArray(rng: Random, n: number): Float64Array {
  return rng.fillNormal(new Float64Array(n));
}

/**
 * Runs gemm and gemmReference on the same inputs, with `pad` junk values before and after each
 * matrix, and returns the worst relative difference over C. Throws if either wrote outside C.
 */
function compare(rng: Random, m: number, n: number, k: number, flags: GemmOptions, pad: number): number {
  const aOffset = pad;
  const bOffset = pad + 1;
  const cOffset = pad + 2;
  const a = randomArray(rng, aOffset + m * k + pad);
  const b = randomArray(rng, bOffset + k * n + pad);
  const c0 = randomArray(rng, cOffset + m * n + pad);
  const cFast = c0.slice();
  const cRef = c0.slice();
  const options = { ...flags, aOffset, bOffset, cOffset };
  gemm(m, n, k, a, b, cFast, options);
  gemmReference(m, n, k, a, b, cRef, options);
  for (let i = 0; i < c0.length; i++) {
    const inside = i >= cOffset && i < cOffset + m * n;
    if (!inside && cFast[i] !== c0[i]) throw new Error(`gemm wrote outside C at index ${i} (m ${m}, n ${n}, k ${k})`);
  }
  let scale = 1;
  for (let i = 0; i < cRef.length; i++) scale = Math.max(scale, Math.abs(cRef[i]));
  let worst = 0;
  for (let i = 0; i < cRef.length; i++) worst = Math.max(worst, Math.abs(cFast[i] - cRef[i]) / scale);
  return worst;
}

const layouts: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];

describe('gemmReference', () => {
  it('computes C = A·B, A·Bᵀ, Aᵀ·B and Aᵀ·Bᵀ for 2×2 matrices', () => {
    const a = Float64Array.of(1, 2, 3, 4); // [[1, 2], [3, 4]]
    const b = Float64Array.of(5, 6, 7, 8); // [[5, 6], [7, 8]]
    const c = new Float64Array(4);
    // A·B = [[1·5 + 2·7, 1·6 + 2·8], [3·5 + 4·7, 3·6 + 4·8]]
    gemmReference(2, 2, 2, a, b, c);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
    // A·Bᵀ = [[1·5 + 2·6, 1·7 + 2·8], [3·5 + 4·6, 3·7 + 4·8]]
    gemmReference(2, 2, 2, a, b, c, { transB: true });
    expect(Array.from(c)).toEqual([17, 23, 39, 53]);
    // Aᵀ·B = [[1·5 + 3·7, 1·6 + 3·8], [2·5 + 4·7, 2·6 + 4·8]]
    gemmReference(2, 2, 2, a, b, c, { transA: true });
    expect(Array.from(c)).toEqual([26, 30, 38, 44]);
    // Aᵀ·Bᵀ = (B·A)ᵀ; B·A = [[5 + 18, 10 + 24], [7 + 24, 14 + 32]] = [[23, 34], [31, 46]]
    gemmReference(2, 2, 2, a, b, c, { transA: true, transB: true });
    expect(Array.from(c)).toEqual([23, 31, 34, 46]);
    // accumulate adds A·B to what is there: [23 + 19, 31 + 22, 34 + 43, 46 + 50]
    gemmReference(2, 2, 2, a, b, c, { accumulate: true });
    expect(Array.from(c)).toEqual([42, 53, 77, 96]);
  });

  it('multiplies a [1,3] row by a [3,2] block read at offsets', () => {
    // a = [_, 1, 2, 3] from offset 1; b = [_, _, 1, 0, 0, 1, 1, 1] from offset 2 is [[1, 0], [0, 1], [1, 1]]
    const c = Float64Array.of(-1, 0, 0, -1);
    gemmReference(1, 2, 3, Float64Array.of(9, 1, 2, 3), Float64Array.of(9, 9, 1, 0, 0, 1, 1, 1), c, { aOffset: 1, bOffset: 2, cOffset: 1 });
    // [1·1 + 3·1, 2·1 + 3·1] = [4, 5]; the entries around C are untouched
    expect(Array.from(c)).toEqual([-1, 4, 5, -1]);
  });
});

describe('gemm', () => {
  it('matches gemmReference on the 2×2 products', () => {
    const a = Float64Array.of(1, 2, 3, 4);
    const b = Float64Array.of(5, 6, 7, 8);
    const c = new Float64Array(4);
    gemm(2, 2, 2, a, b, c);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
    gemm(2, 2, 2, a, b, c, { transB: true });
    expect(Array.from(c)).toEqual([17, 23, 39, 53]);
    gemm(2, 2, 2, a, b, c, { transA: true });
    expect(Array.from(c)).toEqual([26, 30, 38, 44]);
    gemm(2, 2, 2, a, b, c, { transA: true, transB: true });
    expect(Array.from(c)).toEqual([23, 31, 34, 46]);
    gemm(2, 2, 2, a, b, c, { accumulate: true });
    expect(Array.from(c)).toEqual([42, 53, 77, 96]);
  });

  it('equals gemmReference on random small shapes, every layout, accumulate on and off, with offsets', () => {
    const rng = seededRng('gemm-random-small');
    // Sizes around the 4×4 tile: 0, below, at, and past a multiple of 4.
    const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17];
    const pick = (): number => sizes[Math.floor(rng.uniform() * sizes.length)];
    let worst = 0;
    for (let trial = 0; trial < 60; trial++) {
      const [m, n, k] = [pick(), pick(), pick()];
      for (const [transA, transB] of layouts) {
        for (const accumulate of [false, true]) {
          worst = Math.max(worst, compare(rng, m, n, k, { transA, transB, accumulate }, trial % 4));
        }
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('equals gemmReference across the packing-block boundaries (m > 128, k > 256, n > 512)', () => {
    const rng = seededRng('gemm-random-blocks');
    let worst = 0;
    layouts.forEach(([transA, transB], i) => {
      // 131 = 128 + 3 rows, 259 = 256 + 3 deep, 517 = 512 + 5 columns: every block has an edge.
      // Accumulate alternates to keep the slow reference under a second.
      worst = Math.max(worst, compare(rng, 131, 517, 259, { transA, transB, accumulate: i % 2 === 1 }, 3));
    });
    expect(worst).toBeLessThan(1e-12);
  });

  it('with k = 0 zeroes C, or leaves it when accumulating; with m = 0 or n = 0 writes nothing', () => {
    const c = Float64Array.of(1, 2, 3, 4, 5, 6);
    gemm(2, 2, 0, new Float64Array(0), new Float64Array(0), c, { cOffset: 1, accumulate: true });
    expect(Array.from(c)).toEqual([1, 2, 3, 4, 5, 6]);
    gemm(2, 2, 0, new Float64Array(0), new Float64Array(0), c, { cOffset: 1 });
    expect(Array.from(c)).toEqual([1, 0, 0, 0, 0, 6]);
    gemm(0, 3, 2, new Float64Array(0), new Float64Array(6), c);
    gemm(3, 0, 2, new Float64Array(6), new Float64Array(0), c);
    expect(Array.from(c)).toEqual([1, 0, 0, 0, 0, 6]);
  });

  it('keeps edge-tile padding out of C even when the inputs hold infinities', () => {
    // A [1, 1] = [∞], B [1, 1] = [2]: the padded tile computes ∞·0 = NaN in its unused cells, none stored.
    const c = Float64Array.of(7, 7);
    gemm(1, 1, 1, Float64Array.of(Infinity), Float64Array.of(2), c);
    expect(Array.from(c)).toEqual([Infinity, 7]);
  });

  it('rejects bad sizes, short arrays and an output that aliases an input', () => {
    const a = new Float64Array(6);
    expect(() => gemm(-1, 2, 3, a, a.slice(), a.slice())).toThrow(RangeError);
    expect(() => gemm(1.5, 2, 3, a, a.slice(), a.slice())).toThrow(/gemm: 'm' must be a non-negative integer, got 1.5/);
    expect(() => gemm(3, 3, 3, a, new Float64Array(9), new Float64Array(9))).toThrow(/gemm: 'a' has 6 values, but its 3×3 matrix at offset 0 needs 9/);
    expect(() => gemm(2, 2, 3, a, new Float64Array(6), new Float64Array(4), { cOffset: 1 })).toThrow(/gemm: 'c' has 4 values, but its 2×2 matrix at offset 1 needs 5/);
    expect(() => gemm(2, 2, 3, a, new Float64Array(6), new Float64Array(4), { cOffset: 1 })).toThrow(RangeError);
    expect(() => gemm(1, 1, 1, [1] as unknown as Float64Array, a, new Float64Array(1))).toThrow(TypeError);
    const shared = new Float64Array(8);
    expect(() => gemm(2, 2, 2, shared, new Float64Array(4), shared, { cOffset: 3 })).toThrow(/gemm: 'c' overlaps an input/);
    // Disjoint ranges of one array are fine: C at 4..7 after A at 0..3.
    expect(() => gemm(2, 2, 2, shared, new Float64Array(4), shared, { cOffset: 4 })).not.toThrow();
  });
});
