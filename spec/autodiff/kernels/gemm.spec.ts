// Holds the fast gemm and staircase gemm equal to their triple-loop references on every layout, edge size, offset and stride.
import { gemm, gemmReference, gemmStaircase, gemmStaircaseReference, type GemmOptions, type Staircase } from '../../../autodiff/kernels/gemm.js';
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

/**
 * Runs a fast kernel and its reference on the same strided inputs: each stored matrix has `gap`
 * junk values after every row (ld = row length + gap) and `pad` before and after. Returns the worst
 * relative difference over C; throws if either kernel wrote outside C's rows.
 */
function compareStrided(rng: Random, m: number, n: number, k: number, flags: GemmOptions, pad: number, gap: number,
  fast: (c: Float64Array, a: Float64Array, b: Float64Array, o: GemmOptions) => void,
  ref: (c: Float64Array, a: Float64Array, b: Float64Array, o: GemmOptions) => void,
  isWritable: (i: number, j: number) => boolean = () => true): number {
  const [aRows, aCols] = flags.transA ? [k, m] : [m, k];
  const [bRows, bCols] = flags.transB ? [n, k] : [k, n];
  const [lda, ldb, ldc] = [aCols + gap, bCols + gap, n + gap];
  const a = randomArray(rng, pad + aRows * lda + pad);
  const b = randomArray(rng, pad + 1 + bRows * ldb + pad);
  const c0 = randomArray(rng, pad + 2 + m * ldc + pad);
  const options = { ...flags, aOffset: pad, bOffset: pad + 1, cOffset: pad + 2, lda, ldb, ldc };
  const cFast = c0.slice();
  const cRef = c0.slice();
  fast(cFast, a, b, options);
  ref(cRef, a, b, options);
  for (let at = 0; at < c0.length; at++) {
    const r = at - options.cOffset;
    const [i, j] = [Math.floor(r / ldc), r % ldc];
    const inside = r >= 0 && i < m && j < n && isWritable(i, j);
    if (!inside && (cFast[at] !== c0[at] || cRef[at] !== c0[at])) throw new Error(`wrote outside C at index ${at} (m ${m}, n ${n}, k ${k})`);
  }
  let scale = 1;
  for (const v of cRef) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let at = 0; at < cRef.length; at++) worst = Math.max(worst, Math.abs(cFast[at] - cRef[at]) / scale);
  return worst;
}

describe('gemm with leading dimensions (lda, ldb, ldc)', () => {
  it('multiplies a block of a larger matrix in place (the @example)', () => {
    const a = Float64Array.of(1, 2, 3, 4, 5, 6); // [[1, 2, 3], [4, 5, 6]]
    // big [3, 4]; its top-right [3, 2] block (offset 2, rows 4 apart) is [[1, 0], [0, 1], [1, 1]]
    const big = Float64Array.of(9, 9, 1, 0, 9, 9, 0, 1, 9, 9, 1, 1);
    // C lands in columns 1..2 of a [2, 3] matrix (offset 1, ldc 3): A·block = [[1 + 3, 2 + 3], [4 + 6, 5 + 6]]
    for (const kernel of [gemm, gemmReference]) {
      const c = Float64Array.of(-1, 0, 0, -1, 0, 0);
      kernel(2, 2, 3, a, big, c, { bOffset: 2, ldb: 4, cOffset: 1, ldc: 3 });
      expect(Array.from(c)).toEqual([-1, 4, 5, -1, 10, 11]);
    }
  });

  it('equals gemmReference on strided blocks, every layout, accumulate on and off, and leaves the gaps alone', () => {
    const rng = seededRng('gemm-strided');
    const sizes = [0, 1, 3, 4, 5, 9, 17];
    const pick = (): number => sizes[Math.floor(rng.uniform() * sizes.length)];
    let worst = 0;
    for (let trial = 0; trial < 40; trial++) {
      const [m, n, k] = [pick(), pick(), pick()];
      for (const [transA, transB] of layouts) {
        for (const accumulate of [false, true]) {
          worst = Math.max(worst, compareStrided(rng, m, n, k, { transA, transB, accumulate }, trial % 3, 1 + (trial % 4),
            (c, a, b, o) => gemm(m, n, k, a, b, c, o), (c, a, b, o) => gemmReference(m, n, k, a, b, c, o)));
        }
      }
    }
    // Across the packing blocks: 131 = 128 + 3 rows, 259 = 256 + 3 deep, 517 = 512 + 5 columns.
    worst = Math.max(worst, compareStrided(rng, 131, 517, 259, { transA: true }, 2, 3,
      (c, a, b, o) => gemm(131, 517, 259, a, b, c, o), (c, a, b, o) => gemmReference(131, 517, 259, a, b, c, o)));
    expect(worst).toBeLessThan(1e-12);
  });

  it('rejects a leading dimension below the row length and arrays too short for the strided matrix', () => {
    const a = new Float64Array(12);
    expect(() => gemm(2, 2, 3, a, a.slice(), a.slice(), { lda: 2 })).toThrow(/gemm: 'lda' must be an integer ≥ 3 \(the stored row length\), got 2/);
    expect(() => gemm(2, 2, 3, a, a.slice(), a.slice(), { transA: true, lda: 1 })).toThrow(/'lda' must be an integer ≥ 2/);
    expect(() => gemm(2, 2, 3, a, a.slice(), a.slice(), { ldc: 1.5 })).toThrow(RangeError);
    // C [2, 2] with rows 5 apart needs 5 + 2 = 7 values from offset 0; 6 are there
    expect(() => gemm(2, 2, 3, a, a.slice(), new Float64Array(6), { ldc: 5 })).toThrow(/gemm: 'c' has 6 values, but its 2×2 matrix at offset 0 with rows 5 apart needs 7/);
  });
});

/** Random per-column limits: non-decreasing around `top` (as a sorted MADE mask gives), or arbitrary. */
function randomStairs(rng: Random, n: number, top: number, monotone: boolean): Int32Array {
  const v = new Int32Array(n);
  for (let j = 0; j < n; j++) v[j] = Math.floor(rng.uniform() * (top + 3)); // up to top + 2: past the end means "to the end"
  if (monotone) v.sort();
  return v;
}

describe('gemmStaircaseReference', () => {
  it('sums column j over p < depthEnd[j], over p ≥ depthStart[j], and writes rows i < rowEnd[j] only', () => {
    const x = Float64Array.of(1, 2, 3); // [1, 3]
    const ones = new Float64Array(9).fill(1); // [3, 3]
    const y = new Float64Array(3);
    // depthEnd [1, 2, 3]: y = [1, 1 + 2, 1 + 2 + 3]
    gemmStaircaseReference(1, 3, 3, x, ones, y, { depthEnd: Int32Array.of(1, 2, 3) });
    expect(Array.from(y)).toEqual([1, 3, 6]);
    // depthStart [0, 1, 3]: y = [1 + 2 + 3, 2 + 3, 0 (empty sum)]
    gemmStaircaseReference(1, 3, 3, x, ones, y, { depthStart: Int32Array.of(0, 1, 3) });
    expect(Array.from(y)).toEqual([6, 5, 0]);
    // C [2, 2] = A [2, 1] · B [1, 2] with A = [[2], [3]], B = [[10, 100]]; rowEnd [1, 2] keeps C[1][0] = −1
    const c = Float64Array.of(-1, -1, -1, -1);
    gemmStaircaseReference(2, 2, 1, Float64Array.of(2, 3), Float64Array.of(10, 100), c, { rowEnd: [1, 2] });
    expect(Array.from(c)).toEqual([20, 200, -1, 300]);
  });
});

describe('gemmStaircase', () => {
  it('computes the hand examples, never reading B past a column\'s range (the @example)', () => {
    const x = Float64Array.of(1, 2, 3);
    // The ones of an upper-triangular mask; below the staircase NaN, which must never be read.
    const w = Float64Array.of(1, 1, 1, NaN, 1, 1, NaN, NaN, 1);
    const y = new Float64Array(3);
    gemmStaircase(1, 3, 3, x, w, y, { depthEnd: Int32Array.of(1, 2, 3) });
    expect(Array.from(y)).toEqual([1, 3, 6]);
    // dx = y·wᵀ over the kept part: row i of w is kept from column i on (depthStart [0, 1, 2] with transB):
    // dx = [1·1 + 3·1 + 6·1, 3·1 + 6·1, 6·1]
    const dx = new Float64Array(3);
    gemmStaircase(1, 3, 3, y, w, dx, { depthStart: Int32Array.of(0, 1, 2) }, { transB: true });
    expect(Array.from(dx)).toEqual([10, 9, 6]);
    const c = Float64Array.of(-1, -1, -1, -1);
    gemmStaircase(2, 2, 1, Float64Array.of(2, 3), Float64Array.of(10, 100), c, { rowEnd: Int32Array.of(1, 2) });
    expect(Array.from(c)).toEqual([20, 200, -1, 300]);
  });

  it('equals gemm when no limit is given', () => {
    const rng = seededRng('gemm-staircase-no-limits');
    const [m, n, k] = [9, 13, 7];
    const [a, b] = [randomArray(rng, m * k), randomArray(rng, k * n)];
    const [c1, c2] = [new Float64Array(m * n), new Float64Array(m * n)];
    gemm(m, n, k, a, b, c1);
    gemmStaircase(m, n, k, a, b, c2, {});
    expect(Array.from(c2)).toEqual(Array.from(c1));
  });

  it('equals gemmStaircaseReference on random stairs (sorted and arbitrary), every layout, accumulate, strides', () => {
    const rng = seededRng('gemm-staircase-random');
    const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 17];
    const pick = (): number => sizes[Math.floor(rng.uniform() * sizes.length)];
    let worst = 0;
    for (let trial = 0; trial < 60; trial++) {
      const [m, n, k] = [pick(), pick(), pick()];
      const monotone = trial % 2 === 0;
      // Every combination of limits over the trials: bit 0 depthStart, bit 1 depthEnd, bit 2 rowEnd.
      const which = 1 + (trial % 7);
      const stairs: Staircase = {};
      if (which & 1) stairs.depthStart = randomStairs(rng, n, k, monotone);
      if (which & 2) stairs.depthEnd = randomStairs(rng, n, k, monotone);
      if (which & 4) stairs.rowEnd = randomStairs(rng, n, m, monotone);
      const rowEnd = stairs.rowEnd;
      for (const [transA, transB] of layouts) {
        for (const accumulate of [false, true]) {
          worst = Math.max(worst, compareStrided(rng, m, n, k, { transA, transB, accumulate }, trial % 3, trial % 2,
            (c, a, b, o) => gemmStaircase(m, n, k, a, b, c, stairs, o),
            (c, a, b, o) => gemmStaircaseReference(m, n, k, a, b, c, stairs, o),
            (i, j) => rowEnd === undefined || i < rowEnd[j]));
        }
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('equals gemmStaircaseReference across the packing-block boundaries, with MADE-like stairs', () => {
    const rng = seededRng('gemm-staircase-blocks');
    const [m, n, k] = [131, 517, 259];
    let worst = 0;
    const cases: Array<[Staircase, GemmOptions]> = [
      [{ depthEnd: randomStairs(rng, n, k, true) }, {}], // forward y = x·w′
      [{ depthStart: randomStairs(rng, n, k, true) }, { transB: true, accumulate: true }], // dx = dy·w′ᵀ
      [{ rowEnd: randomStairs(rng, n, m, true) }, { transA: true, accumulate: true }], // dw = xᵀ·dy
    ];
    for (const [stairs, flags] of cases) {
      const rowEnd = stairs.rowEnd;
      worst = Math.max(worst, compareStrided(rng, m, n, k, flags, 1, 0,
        (c, a, b, o) => gemmStaircase(m, n, k, a, b, c, stairs, o),
        (c, a, b, o) => gemmStaircaseReference(m, n, k, a, b, c, stairs, o),
        (i, j) => rowEnd === undefined || i < rowEnd[j]));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('zeroes columns whose sum is empty when overwriting, and leaves them when accumulating', () => {
    const c = Float64Array.of(5, 5, 5, 5, 5, 5); // [2, 3]
    const a = Float64Array.of(1, 1, 1, 1); // [2, 2]
    const b = Float64Array.of(1, 2, 3, 4, 5, 6); // [2, 3]
    // depthStart [2, 0, 2]: columns 0 and 2 sum over nothing; column 1 is 2 + 5 = 7 in both rows
    gemmStaircase(2, 3, 2, a, b, c, { depthStart: Int32Array.of(2, 0, 2) }, { accumulate: true });
    expect(Array.from(c)).toEqual([5, 12, 5, 5, 12, 5]);
    gemmStaircase(2, 3, 2, a, b, c, { depthStart: Int32Array.of(2, 0, 2) });
    expect(Array.from(c)).toEqual([0, 7, 0, 0, 7, 0]);
  });

  it('rejects malformed stairs, naming the array', () => {
    const [a, b, c] = [new Float64Array(6), new Float64Array(6), new Float64Array(4)];
    expect(() => gemmStaircase(2, 2, 3, a, b, c, { depthEnd: Int32Array.of(1) })).toThrow(/gemmStaircase: 'stairs.depthEnd' has length 1, expected n = 2/);
    expect(() => gemmStaircase(2, 2, 3, a, b, c, { rowEnd: [1, -1] })).toThrow(/'stairs.rowEnd' must hold non-negative integers, got -1 at index 1/);
    expect(() => gemmStaircase(2, 2, 3, a, b, c, { rowEnd: [1, 0.5] })).toThrow(RangeError);
    expect(() => gemmStaircase(2, 2, 3, a, b, c, { depthStart: 3 as unknown as Int32Array })).toThrow(TypeError);
    expect(() => gemmStaircase(2, 2, 3, a, b, c, null as unknown as Staircase)).toThrow(/'stairs' must be an object, got null/);
    expect(() => gemmStaircaseReference(2, 2, 3, a, b, c, { depthEnd: [1, 2, 3] })).toThrow(/gemmStaircaseReference: 'stairs.depthEnd' has length 3/);
  });
});
