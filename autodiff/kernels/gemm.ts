// Matrix-multiply kernels on raw Float64Arrays: the plain loops that define the products, and the fast ones that replace them.
import { assert, ValueError } from '../../lib/util/errors.js';

/**
 * Layout and mode of one product `C (+)= op(A) · op(B)`. Every matrix is row-major from its
 * offset; consecutive rows are `ld` apart (the leading dimension, as in BLAS), so a caller can
 * multiply sub-blocks of larger matrices in place: the block of rows `r0…` and columns `c0…` of a
 * `[rows, cols]` matrix starts at `offset = r0·cols + c0` with `ld = cols`.
 */
export interface GemmOptions {
  /** `A` is stored as [k, m] and used transposed; otherwise it is stored as [m, k]. Default false. */
  transA?: boolean;
  /** `B` is stored as [n, k] and used transposed; otherwise it is stored as [k, n]. Default false. */
  transB?: boolean;
  /** Add the product into `C` (`C += op(A)·op(B)`) instead of overwriting it. Default false. */
  accumulate?: boolean;
  /** Index of `A`'s first entry in `a`. Default 0. */
  aOffset?: number;
  /** Index of `B`'s first entry in `b`. Default 0. */
  bOffset?: number;
  /** Index of `C`'s first entry in `c`. Default 0. */
  cOffset?: number;
  /** Distance in `a` between consecutive rows of the stored A, at least its row length. Default: contiguous (k, or m with `transA`). */
  lda?: number;
  /** Distance in `b` between consecutive rows of the stored B, at least its row length. Default: contiguous (n, or k with `transB`). */
  ldb?: number;
  /** Distance in `c` between consecutive rows of C, at least n. Default n. */
  ldc?: number;
}

/**
 * Which part of `C = op(A)·op(B)` a {@link gemmStaircase} computes, column by column (each array
 * has one integer ≥ 0 per column of C, length n; an absent array puts no limit):
 *
 *   C[i][j] (+)= Σ_{depthStart[j] ≤ p < depthEnd[j]} op(A)[i][p] · op(B)[p][j]     for rows i < rowEnd[j]
 *
 * Rows `i ≥ rowEnd[j]` of column j are neither computed nor written. Values past k (depth) or m
 * (rows) mean "to the end". Any arrays give the right result; the work saved is large when
 * neighbouring columns have similar limits, as for MADE masks sorted by degree (non-decreasing
 * `depthEnd` or `rowEnd`, non-decreasing `depthStart`).
 */
export interface Staircase {
  /** First index p of the sum, per column of C. Default 0. */
  depthStart?: ArrayLike<number>;
  /** One past the last index p of the sum, per column of C. Default k. */
  depthEnd?: ArrayLike<number>;
  /** One past the last row of C computed and written, per column of C. Default m. */
  rowEnd?: ArrayLike<number>;
}

/** Checks sizes, offsets, strides and lengths; the kernels trust their input after this. Allocates nothing. */
function checkGemm(where: string, m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array, options: GemmOptions): void {
  const { transA = false, transB = false, aOffset = 0, bOffset = 0, cOffset = 0 } = options;
  checkCount(where, 'm', m);
  checkCount(where, 'n', n);
  checkCount(where, 'k', k);
  checkCount(where, 'aOffset', aOffset);
  checkCount(where, 'bOffset', bOffset);
  checkCount(where, 'cOffset', cOffset);
  // Stored shapes: A is [m, k] or [k, m], B is [k, n] or [n, k], C is [m, n].
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = checkLd(where, 'lda', options.lda, aCols);
  const ldb = checkLd(where, 'ldb', options.ldb, bCols);
  const ldc = checkLd(where, 'ldc', options.ldc, n);
  const aEnd = checkArray(where, 'a', a, aOffset, aRows, aCols, lda);
  const bEnd = checkArray(where, 'b', b, bOffset, bRows, bCols, ldb);
  const cEnd = checkArray(where, 'c', c, cOffset, m, n, ldc);
  // C is written while A and B are still being read, so a shared range would corrupt the result.
  // Ranges are compared as the spans [offset, end), so interleaved strided blocks also count as overlapping.
  const overlaps = m * n * k > 0 && ((a === c && aOffset < cEnd && cOffset < aEnd) || (b === c && bOffset < cEnd && cOffset < bEnd));
  if (overlaps) throw new ValueError(`${where}: 'c' overlaps an input; the output must not alias 'a' or 'b'`);
}

function checkCount(where: string, name: string, v: number): void {
  assert(Number.isInteger(v) && v >= 0, () => `${where}: '${name}' must be a non-negative integer, got ${v}`, RangeError);
}

function checkLd(where: string, name: string, ld: number | undefined, cols: number): number {
  if (ld === undefined) return cols;
  assert(Number.isInteger(ld) && ld >= cols, () => `${where}: '${name}' must be an integer ≥ ${cols} (the stored row length), got ${ld}`, RangeError);
  return ld;
}

/** Checks that a stored `rows × cols` matrix with rows `ld` apart fits in `arr` from `offset`; returns one past its last entry. */
function checkArray(where: string, name: string, arr: Float64Array, offset: number, rows: number, cols: number, ld: number): number {
  assert(arr instanceof Float64Array, () => `${where}: '${name}' must be a Float64Array, got ${arr === null ? 'null' : typeof arr}`, TypeError);
  const end = rows === 0 || cols === 0 ? offset : offset + (rows - 1) * ld + cols;
  assert(end <= arr.length, () => {
    const stride = ld === cols ? '' : ` with rows ${ld} apart`;
    return `${where}: '${name}' has ${arr.length} values, but its ${rows}×${cols} matrix at offset ${offset}${stride} needs ${end}`;
  }, RangeError);
  return end;
}

function checkStairs(where: string, n: number, stairs: Staircase): void {
  assert(typeof stairs === 'object' && stairs !== null, () => `${where}: 'stairs' must be an object, got ${stairs === null ? 'null' : typeof stairs}`, TypeError);
  for (const name of ['depthStart', 'depthEnd', 'rowEnd'] as const) {
    const v = stairs[name];
    if (v === undefined) continue;
    assert(typeof v === 'object' && v !== null && typeof v.length === 'number',
      () => `${where}: 'stairs.${name}' must be an array of integers, got ${v === null ? 'null' : typeof v}`, TypeError);
    assert(v.length === n, () => `${where}: 'stairs.${name}' has length ${v.length}, expected n = ${n} (one entry per column of C)`);
    for (let j = 0; j < n; j++) {
      assert(Number.isInteger(v[j]) && v[j] >= 0, () => `${where}: 'stairs.${name}' must hold non-negative integers, got ${v[j]} at index ${j}`, RangeError);
    }
  }
}

/**
 * Reference product, the definition the fast {@link gemm} is tested against. Slow, obvious:
 *
 *   C[i][j] = (accumulate ? C[i][j] : 0) + Σ_p op(A)[i][p] · op(B)[p][j]
 *
 * where op(A)[i][p] = A[i][p], or A[p][i] with `transA`, and op(B)[p][j] = B[p][j], or B[j][p] with `transB`.
 *
 * @param m - rows of op(A) and of C
 * @param n - columns of op(B) and of C
 * @param k - columns of op(A), rows of op(B) (the summed dimension)
 * @param a - holds A: [m, k], or [k, m] with `transA`, from `aOffset`, rows `lda` apart
 * @param b - holds B: [k, n], or [n, k] with `transB`, from `bOffset`, rows `ldb` apart
 * @param c - receives C: [m, n] from `cOffset`, rows `ldc` apart; must not overlap A or B
 * @throws RangeError for negative or fractional sizes or offsets, a leading dimension below the row length, or arrays
 *   too short; TypeError for non-Float64Array arguments; ValueError when C overlaps A or B
 */
export function gemmReference(m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array, options: GemmOptions = {}): void {
  staircaseReference('gemmReference', m, n, k, a, b, c, {}, options);
}

/**
 * Reference staircase product, the definition {@link gemmStaircase} is tested against. Slow, obvious:
 *
 *   C[i][j] = (accumulate ? C[i][j] : 0) + Σ_{depthStart[j] ≤ p < depthEnd[j]} op(A)[i][p] · op(B)[p][j]   for i < rowEnd[j]
 *
 * and C[i][j] untouched for i ≥ rowEnd[j]. Entries of A and B outside the sums are never read.
 *
 * @param stairs - the per-column limits, see {@link Staircase}
 * @throws as {@link gemmReference}; also TypeError/ValueError/RangeError for malformed `stairs`
 */
export function gemmStaircaseReference(m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array,
  stairs: Staircase, options: GemmOptions = {}): void {
  staircaseReference('gemmStaircaseReference', m, n, k, a, b, c, stairs, options);
}

function staircaseReference(where: string, m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array,
  stairs: Staircase, options: GemmOptions): void {
  checkGemm(where, m, n, k, a, b, c, options);
  checkStairs(where, n, stairs);
  const { transA = false, transB = false, accumulate = false, aOffset = 0, bOffset = 0, cOffset = 0 } = options;
  const lda = options.lda ?? (transA ? m : k);
  const ldb = options.ldb ?? (transB ? k : n);
  const ldc = options.ldc ?? n;
  for (let j = 0; j < n; j++) {
    const p0 = stairs.depthStart === undefined ? 0 : stairs.depthStart[j];
    const p1 = stairs.depthEnd === undefined ? k : Math.min(k, stairs.depthEnd[j]);
    const rows = stairs.rowEnd === undefined ? m : Math.min(m, stairs.rowEnd[j]);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let p = p0; p < p1; p++) {
        const aip = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
        const bpj = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
        s += aip * bpj;
      }
      const o = cOffset + i * ldc + j;
      c[o] = accumulate ? c[o] + s : s;
    }
  }
}

// Blocking (GotoBLAS's loop nest, simplified). A 4×4 tile of C lives in 16 local variables while the
// kernel walks p; V8 keeps most of them in registers. The operands are first copied ("packed") into
// panels laid out in exactly the order the tile loop reads them (4 values of op(A) or op(B) per step
// of p), so the inner loop reads memory contiguously whatever the transposes and strides, and the
// transposes cost only the O(mk + kn) packing, not the O(mnk) product. Block sizes bound the packing
// buffers (≤ 128·256 and 256·512 values) and keep a B panel (4·256 values, 8 KB) in L1; measured on a
// Xeon, they matter little next to the tile itself (see bench/matmul.ts).
const MR = 4; // tile rows
const NR = 4; // tile columns
const MC = 128; // rows of op(A) packed at a time
const KC = 256; // depth packed at a time
const NC = 512; // columns of op(B) packed at a time
const PANELS = NC / NR; // B panels per column block

// Reused across calls so that a product allocates nothing once the buffers have grown (to at most
// MC·KC + KC·NC values, 1.25 MB). JavaScript is single-threaded and the kernels never call out while
// using them, so sharing is safe.
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
const edgeTile = new Float64Array(MR * NR);
// Per B panel of the current column block: the depth range [panelLo, panelHi) any of its columns sums
// over, the rows it writes (panelRowMin ≤ rows of every column, panelRowMax ≥ rows of any column), and
// for the current depth block the packed range [blockStart, blockEnd) and where it starts in packedB.
const panelLo = new Int32Array(PANELS);
const panelHi = new Int32Array(PANELS);
const panelRowMin = new Int32Array(PANELS);
const panelRowMax = new Int32Array(PANELS);
const blockStart = new Int32Array(PANELS);
const blockEnd = new Int32Array(PANELS);
const blockOffset = new Int32Array(PANELS);

/**
 * Fast `C = op(A)·op(B)` or `C += op(A)·op(B)` with the same arguments and result as
 * {@link gemmReference} (up to rounding: the sum over p is split into blocks of 256).
 *
 * Cost: 2·m·n·k flops at about 4–5 GFLOP/s on one core in V8 (the naive triple loop of gemmReference gets 0.3–0.6),
 * plus O(mk + kn) packing. Edge tiles (m or n not a multiple of 4) are computed on zero-padded
 * panels and only their valid part is stored. Allocates only when a product needs larger
 * packing buffers than any before it (never more than 1.25 MB in all).
 *
 * @param m - rows of op(A) and of C
 * @param n - columns of op(B) and of C
 * @param k - columns of op(A), rows of op(B); with k = 0, C is zeroed (or left alone when accumulating)
 * @param a - holds A: [m, k], or [k, m] with `transA`, from `aOffset`, rows `lda` apart
 * @param b - holds B: [k, n], or [n, k] with `transB`, from `bOffset`, rows `ldb` apart
 * @param c - receives C: [m, n] from `cOffset`, rows `ldc` apart; must not overlap A or B
 * @throws RangeError for negative or fractional sizes or offsets, a leading dimension below the row length, or arrays
 *   too short; TypeError for non-Float64Array arguments; ValueError when C overlaps A or B
 *
 * @example
 * // C [2, 2] = A [2, 3] · B [3, 2], where B is the top-right block of a [3, 4] matrix (ldb 4, offset 2)
 * gemm(2, 2, 3, a, big, c, { bOffset: 2, ldb: 4 });
 */
export function gemm(m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array, options: GemmOptions = {}): void {
  checkGemm('gemm', m, n, k, a, b, c, options);
  const { transA = false, transB = false, accumulate = false, aOffset = 0, bOffset = 0, cOffset = 0 } = options;
  const lda = options.lda ?? (transA ? m : k);
  const ldb = options.ldb ?? (transB ? k : n);
  const ldc = options.ldc ?? n;
  run(m, n, k, a, aOffset, lda, transA, b, bOffset, ldb, transB, c, cOffset, ldc, accumulate, null, null, null);
}

/**
 * Fast staircase product: the same arguments and result as {@link gemmStaircaseReference} (up to
 * rounding), i.e. column j of C sums only over p in [depthStart[j], depthEnd[j]) and only rows
 * i < rowEnd[j] are written.
 *
 * This is {@link gemm} with per-panel limits: the depth range of each 4-column panel of C is the
 * union of its columns' ranges, and a 4×4 tile is skipped when it lies wholly past every column's
 * `rowEnd`. Inside a panel, the entries of op(B) outside a column's own range are packed as zeros
 * (never read, so they may hold anything, NaN included), and the rows past a column's `rowEnd` are
 * not stored. Entries of op(A) in a panel's range but outside one column's are multiplied by those
 * zeros, so they must be finite for that column's sum to equal the definition. For a MADE mask
 * sorted by degree (about half zeros, in a staircase) this does about half the multiply-adds of a
 * dense product.
 *
 * Cost: 2·m·Σ_j (depthEnd[j] − depthStart[j]) flops (rounded up to whole panels and tiles) for the
 * depth limits, or 2·k·Σ_j rowEnd[j] for the row limits, plus O(mk + kn) packing and O(n) set-up.
 * Allocates only as {@link gemm} does.
 *
 * @param m - rows of op(A) and of C
 * @param n - columns of op(B) and of C
 * @param k - columns of op(A), rows of op(B)
 * @param a - holds A: [m, k], or [k, m] with `transA`, from `aOffset`, rows `lda` apart
 * @param b - holds B: [k, n], or [n, k] with `transB`, from `bOffset`, rows `ldb` apart
 * @param c - receives C: [m, n] from `cOffset`, rows `ldc` apart; must not overlap A or B
 * @param stairs - per-column limits, see {@link Staircase}; each array has length n
 * @throws as {@link gemm}; TypeError when `stairs` or one of its arrays is not array-like, ValueError for an
 *   array of the wrong length, RangeError for a negative or fractional entry
 *
 * @example
 * // y [batch, 3] = x [batch, 3] · w [3, 3] where output j sees inputs 0 … j only (an upper-triangular mask)
 * gemmStaircase(batch, 3, 3, x, w, y, { depthEnd: Int32Array.of(1, 2, 3) });
 */
export function gemmStaircase(m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array,
  stairs: Staircase, options: GemmOptions = {}): void {
  checkGemm('gemmStaircase', m, n, k, a, b, c, options);
  checkStairs('gemmStaircase', n, stairs);
  const { transA = false, transB = false, accumulate = false, aOffset = 0, bOffset = 0, cOffset = 0 } = options;
  const lda = options.lda ?? (transA ? m : k);
  const ldb = options.ldb ?? (transB ? k : n);
  const ldc = options.ldc ?? n;
  run(m, n, k, a, aOffset, lda, transA, b, bOffset, ldb, transB, c, cOffset, ldc, accumulate,
    stairs.depthStart ?? null, stairs.depthEnd ?? null, stairs.rowEnd ?? null);
}

/** The loop nest shared by gemm and gemmStaircase; the limits are null for a full product. */
function run(m: number, n: number, k: number, a: Float64Array, aOff: number, lda: number, transA: boolean,
  b: Float64Array, bOff: number, ldb: number, transB: boolean, c: Float64Array, cOff: number, ldc: number, accumulate: boolean,
  depthStart: ArrayLike<number> | null, depthEnd: ArrayLike<number> | null, rowEnd: ArrayLike<number> | null): void {
  if (m === 0 || n === 0) return;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const rows = setUpPanels(m, k, jc, nc, depthStart, depthEnd, rowEnd);
    // A panel that sums over nothing must still leave zeros in C when the product overwrites it.
    if (!accumulate) zeroEmptyPanels(m, c, cOff, ldc, jc, nc, rowEnd);
    if (rows === 0) continue;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // packB leaves in spanLo/spanHi the union of the panels' depth ranges within [pc, pc + kc): the part of A to pack.
      if (!packB(b, bOff, ldb, transB, pc, kc, jc, nc, depthStart, depthEnd)) continue;
      const aLo = spanLo;
      const aHi = spanHi;
      for (let ic = 0; ic < rows; ic += MC) {
        const mc = Math.min(MC, rows - ic);
        packA(a, aOff, lda, transA, ic, mc, aLo, aHi - aLo);
        tiles(packedA, aLo, aHi - aLo, packedB, c, cOff, ldc, ic, mc, jc, nc, m, accumulate, rowEnd);
      }
    }
  }
}

// The depth range of A packed for the current block, set by packB (returned through module state to
// keep the hot path free of allocation).
let spanLo = 0;
let spanHi = 0;

/**
 * Fills panelLo/panelHi/panelRowMin/panelRowMax for the panels of columns [jc, jc + nc) and returns
 * how many rows of C any of them writes. A panel whose columns all sum over nothing, or write no
 * row, gets the empty range [k, 0).
 */
function setUpPanels(m: number, k: number, jc: number, nc: number,
  depthStart: ArrayLike<number> | null, depthEnd: ArrayLike<number> | null, rowEnd: ArrayLike<number> | null): number {
  let rows = 0;
  for (let jr = 0, q = 0; jr < nc; jr += NR, q++) {
    const w = Math.min(NR, nc - jr);
    let lo = k;
    let hi = 0;
    let rMin = m;
    let rMax = 0;
    for (let col = 0; col < w; col++) {
      const j = jc + jr + col;
      const start = depthStart === null ? 0 : Math.min(k, depthStart[j]);
      const end = depthEnd === null ? k : Math.min(k, depthEnd[j]);
      const r = rowEnd === null ? m : Math.min(m, rowEnd[j]);
      if (r < rMin) rMin = r;
      if (r > rMax) rMax = r;
      if (start < end && r > 0) {
        if (start < lo) lo = start;
        if (end > hi) hi = end;
      }
    }
    if (lo >= hi) {
      lo = k;
      hi = 0;
    } else if (rMax > rows) {
      rows = rMax;
    }
    panelLo[q] = lo;
    panelHi[q] = hi;
    panelRowMin[q] = rMin;
    panelRowMax[q] = rMax;
  }
  return rows;
}

/** Zeroes, in C, the rows each column writes for the panels with an empty depth range (their sum is 0). */
function zeroEmptyPanels(m: number, c: Float64Array, cOff: number, ldc: number, jc: number, nc: number, rowEnd: ArrayLike<number> | null): void {
  for (let jr = 0, q = 0; jr < nc; jr += NR, q++) {
    if (panelLo[q] < panelHi[q]) continue;
    const w = Math.min(NR, nc - jr);
    for (let col = 0; col < w; col++) {
      const j = jc + jr + col;
      const r = rowEnd === null ? m : Math.min(m, rowEnd[j]);
      for (let i = 0, o = cOff + j; i < r; i++, o += ldc) c[o] = 0;
    }
  }
}

/**
 * Packs, for each panel of columns [jc, jc + nc), the rows p of op(B) in its depth range within
 * [pc, pc + kc): panel q's range [blockStart[q], blockEnd[q]) starts at blockOffset[q] in packedB
 * and holds, for each p, the NR values op(B)[p][jc+jr .. jc+jr+NR−1]. A value outside its own
 * column's range, or past column nc, is packed as 0 without being read. Sets spanLo/spanHi to the
 * union of the ranges and returns whether it is non-empty.
 */
function packB(b: Float64Array, off: number, ldb: number, transB: boolean, pc: number, kc: number, jc: number, nc: number,
  depthStart: ArrayLike<number> | null, depthEnd: ArrayLike<number> | null): boolean {
  const need = roundUp(nc, NR) * kc;
  if (packedB.length < need) packedB = new Float64Array(need);
  const bp = packedB;
  let lo = pc + kc;
  let hi = pc;
  let at = 0;
  for (let jr = 0, q = 0; jr < nc; jr += NR, q++) {
    const s = Math.max(pc, panelLo[q]);
    const e = Math.min(pc + kc, panelHi[q]);
    blockStart[q] = s;
    blockEnd[q] = e;
    blockOffset[q] = at;
    if (s >= e) continue;
    if (s < lo) lo = s;
    if (e > hi) hi = e;
    const w = Math.min(NR, nc - jr);
    const j0 = jc + jr;
    // A panel of NR columns that all sum over the whole range is copied without per-value checks.
    let whole = w === NR;
    for (let col = 0; whole && col < NR; col++) {
      if (depthStart !== null && depthStart[j0 + col] > s) whole = false;
      if (depthEnd !== null && depthEnd[j0 + col] < e) whole = false;
    }
    if (whole && !transB) {
      // B is [k, n]: the NR values for one p are adjacent in a row.
      for (let p = s, q4 = at, src = off + s * ldb + j0; p < e; p++, q4 += NR, src += ldb) {
        bp[q4] = b[src];
        bp[q4 + 1] = b[src + 1];
        bp[q4 + 2] = b[src + 2];
        bp[q4 + 3] = b[src + 3];
      }
    } else if (whole) {
      // B is [n, k] with transB: column j of op(B) is row j of B, contiguous in p.
      for (let col = 0; col < NR; col++) {
        for (let p = s, q4 = at + col, src = off + (j0 + col) * ldb + s; p < e; p++, q4 += NR, src++) bp[q4] = b[src];
      }
    } else {
      for (let col = 0; col < NR; col++) {
        // This column's own range within [s, e); empty for the padding columns past nc.
        const from = col >= w ? e : depthStart === null ? s : Math.max(s, depthStart[j0 + col]);
        const to = col >= w ? e : depthEnd === null ? e : Math.min(e, depthEnd[j0 + col]);
        let q4 = at + col;
        for (let p = s; p < e; p++, q4 += NR) {
          if (p < from || p >= to) bp[q4] = 0;
          else bp[q4] = transB ? b[off + (j0 + col) * ldb + p] : b[off + p * ldb + j0 + col];
        }
      }
    }
    at += (e - s) * NR;
  }
  spanLo = lo;
  spanHi = hi;
  return lo < hi;
}

/**
 * Copies op(A)[ic : ic+mc, p0 : p0+kc] into `packedA` as panels of MR rows: panel `ir / MR`
 * starts at `ir·kc` and holds, for each p, the MR values op(A)[ic+ir .. ic+ir+MR−1][p0+p]
 * (zero past row mc).
 */
function packA(a: Float64Array, off: number, lda: number, transA: boolean, ic: number, mc: number, p0: number, kc: number): void {
  const need = roundUp(mc, MR) * kc;
  if (packedA.length < need) packedA = new Float64Array(need);
  const ap = packedA;
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    const h = Math.min(MR, mc - ir);
    if (!transA) {
      // A is [m, k]: row i of op(A) is contiguous in p.
      for (let row = 0; row < MR; row++) {
        if (row < h) {
          const s = off + (ic + ir + row) * lda + p0;
          for (let p = 0; p < kc; p++) ap[base + p * MR + row] = a[s + p];
        } else {
          for (let p = 0; p < kc; p++) ap[base + p * MR + row] = 0;
        }
      }
    } else {
      // A is [k, m]: the MR values for one p are adjacent in a row.
      for (let p = 0; p < kc; p++) {
        const q = base + p * MR;
        const s = off + (p0 + p) * lda + ic + ir;
        if (h === MR) {
          ap[q] = a[s];
          ap[q + 1] = a[s + 1];
          ap[q + 2] = a[s + 2];
          ap[q + 3] = a[s + 3];
        } else {
          for (let row = 0; row < MR; row++) ap[q + row] = row < h ? a[s + row] : 0;
        }
      }
    }
  }
}

/**
 * The product of one packed block: for each 4×4 tile, 16 running sums over the panel's depth
 * range, then stored (or added) into C at `cOff + (ic + row)·ldc + jc + col`. The B panel is the
 * outer loop so that it stays in L1 while the tile loop sweeps the packed A block. A panel's first
 * depth block overwrites C (unless accumulating); later ones add. Tiles past every column's
 * `rowEnd` are skipped; tiles that straddle it store only the rows each column keeps.
 */
function tiles(ap: Float64Array, aLo: number, kcA: number, bp: Float64Array, c: Float64Array, cOff: number, ldc: number,
  ic: number, mc: number, jc: number, nc: number, m: number, accumulate: boolean, rowEnd: ArrayLike<number> | null): void {
  for (let jr = 0, q = 0; jr < nc; jr += NR, q++) {
    const s = blockStart[q];
    const steps = blockEnd[q] - s;
    if (steps <= 0) continue;
    const w = Math.min(NR, nc - jr);
    const add = accumulate || s > panelLo[q];
    const rowsHere = Math.min(mc, panelRowMax[q] - ic);
    const rowsFull = panelRowMin[q] - ic; // rows below this are kept by every column of the panel
    for (let ir = 0; ir < rowsHere; ir += MR) {
      const h = Math.min(MR, mc - ir);
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let x = ir * kcA + (s - aLo) * MR;
      let y = blockOffset[q];
      const end = x + steps * MR;
      for (; x < end; x += MR, y += NR) {
        const b0 = bp[y], b1 = bp[y + 1], b2 = bp[y + 2], b3 = bp[y + 3];
        const a0 = ap[x], a1 = ap[x + 1], a2 = ap[x + 2], a3 = ap[x + 3];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      let o = cOff + (ic + ir) * ldc + jc + jr;
      if (h === MR && w === NR && ir + MR <= rowsFull) {
        if (add) {
          c[o] += c00; c[o + 1] += c01; c[o + 2] += c02; c[o + 3] += c03; o += ldc;
          c[o] += c10; c[o + 1] += c11; c[o + 2] += c12; c[o + 3] += c13; o += ldc;
          c[o] += c20; c[o + 1] += c21; c[o + 2] += c22; c[o + 3] += c23; o += ldc;
          c[o] += c30; c[o + 1] += c31; c[o + 2] += c32; c[o + 3] += c33;
        } else {
          c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03; o += ldc;
          c[o] = c10; c[o + 1] = c11; c[o + 2] = c12; c[o + 3] = c13; o += ldc;
          c[o] = c20; c[o + 1] = c21; c[o + 2] = c22; c[o + 3] = c23; o += ldc;
          c[o] = c30; c[o + 1] = c31; c[o + 2] = c32; c[o + 3] = c33;
        }
      } else {
        // Edge tile: the padded rows and columns were computed from zeros, and rows past a column's
        // rowEnd must stay untouched; store only the valid part.
        const t = edgeTile;
        t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
        t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
        t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
        t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
        for (let col = 0; col < w; col++) {
          const keep = (rowEnd === null ? m : Math.min(m, rowEnd[jc + jr + col])) - (ic + ir);
          const last = Math.min(h, keep);
          for (let row = 0, oc = o + col; row < last; row++, oc += ldc) c[oc] = add ? c[oc] + t[row * NR + col] : t[row * NR + col];
        }
      }
    }
  }
}

function roundUp(v: number, step: number): number {
  return Math.ceil(v / step) * step;
}
