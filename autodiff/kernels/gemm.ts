// Matrix-multiply kernels on raw Float64Arrays: the plain loops that define the products, and the fast ones that replace them.
import { assert, ValueError } from '../../lib/util/errors.js';
import { checkGemmBackend, getGemmBackend, resolveGemmBackend, type GemmBackend } from './config.js';
import { GemmLoopNest, type GemmKernel } from './gemm-kernel.js';
import { NO_STAIRS, wholeRegion, type GemmProduct, type KernelStairs, type StoredMatrix } from './product.js';
import { SimdLoopNest } from './simd-loop-nest.js';
import { parallelGemm } from './threads.js';
import { microKernelModule } from './wasm/micro-kernel.js';

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

/**
 * Everything one product needs, as the public functions receive it: sizes, the three arrays, and the
 * optional layout ({@link GemmOptions}), limits ({@link Staircase}) and bias. {@link gemmProduct}
 * takes it whole; {@link gemm} and {@link gemmStaircase} build it from their BLAS-style arguments.
 */
export interface GemmRequest {
  /** Rows of op(A) and of C. */
  m: number;
  /** Columns of op(B) and of C. */
  n: number;
  /** Columns of op(A), rows of op(B) (the summed dimension). */
  k: number;
  /** Holds A: [m, k], or [k, m] with `transA`, from `aOffset`, rows `lda` apart. */
  a: Float64Array;
  /** Holds B: [k, n], or [n, k] with `transB`, from `bOffset`, rows `ldb` apart. */
  b: Float64Array;
  /** Receives C: [m, n] from `cOffset`, rows `ldc` apart; must not overlap A or B. */
  c: Float64Array;
  /** Transposes, offsets, leading dimensions and accumulate; see {@link GemmOptions}. Default: all off, contiguous. */
  options?: GemmOptions;
  /** Per-column limits of the sum and of the rows written; see {@link Staircase}. Default: none. */
  stairs?: Staircase;
  /** `[n]`: when overwriting, C starts from this row (`C = bias + op(A)·op(B)`, as a dense layer's `y = x·W + b`). */
  bias?: Float64Array;
  /** The instructions for this product only, instead of the process-wide `setGemmBackend` (kernels/config.ts); same bits either way. */
  backend?: GemmBackend;
}

/**
 * Checks sizes, offsets, strides, lengths and stairs, and fills in every default: the one
 * {@link GemmProduct} that the kernels and threads receive, over the whole of C. Allocates only it.
 */
function describeProduct(where: string, request: GemmRequest): GemmProduct {
  const { m, n, k, a, b, c, options = {}, stairs, bias } = request;
  const { transA = false, transB = false, accumulate = false, aOffset = 0, bOffset = 0, cOffset = 0 } = options;
  for (const [name, v] of [['m', m], ['n', n], ['k', k], ['aOffset', aOffset], ['bOffset', bOffset], ['cOffset', cOffset]] as const) {
    assert(Number.isInteger(v) && v >= 0, () => `${where}: '${name}' must be a non-negative integer, got ${v}`, RangeError);
  }
  // Stored shapes: A is [m, k] or [k, m], B is [k, n] or [n, k], C is [m, n].
  const product: GemmProduct = {
    m, n, k,
    a: { data: a, offset: aOffset, ld: checkLd(options.lda, 'lda', where, transA ? m : k), transposed: transA },
    b: { data: b, offset: bOffset, ld: checkLd(options.ldb, 'ldb', where, transB ? k : n), transposed: transB },
    c: { data: c, offset: cOffset, ld: checkLd(options.ldc, 'ldc', where, n) },
    accumulate,
    bias: bias ?? null,
    stairs: stairs === undefined ? NO_STAIRS : checkStairs(stairs, n, where),
    region: wholeRegion(m, n),
  };
  const aEnd = checkArray(product.a, 'a', where, transA ? [k, m] : [m, k]);
  const bEnd = checkArray(product.b, 'b', where, transB ? [n, k] : [k, n]);
  const cEnd = checkArray(product.c, 'c', where, [m, n]);
  // C is written while A and B are still being read, so a shared range would corrupt the result.
  // Ranges are compared as the spans [offset, end), so interleaved strided blocks also count as overlapping.
  const overlaps = m * n * k > 0 && ((a === c && aOffset < cEnd && cOffset < aEnd) || (b === c && bOffset < cEnd && cOffset < bEnd));
  if (overlaps) throw new ValueError(`${where}: 'c' overlaps an input; the output must not alias 'a' or 'b'`);
  if (bias !== undefined) {
    assert(bias instanceof Float64Array && bias.length === n,
      () => `${where}: 'bias' must be a Float64Array of length n = ${n}, got ${bias instanceof Float64Array ? `length ${bias.length}` : typeof bias}`, TypeError);
  }
  return product;
}

function checkLd(ld: number | undefined, name: string, where: string, cols: number): number {
  if (ld === undefined) return cols;
  assert(Number.isInteger(ld) && ld >= cols, () => `${where}: '${name}' must be an integer ≥ ${cols} (the stored row length), got ${ld}`, RangeError);
  return ld;
}

/** Checks that a stored `[rows, cols]` matrix fits in its array; returns one past its last entry. */
function checkArray(matrix: StoredMatrix, name: string, where: string, [rows, cols]: readonly [number, number]): number {
  const { data, offset, ld } = matrix;
  assert(data instanceof Float64Array, () => `${where}: '${name}' must be a Float64Array, got ${data === null ? 'null' : typeof data}`, TypeError);
  const end = rows === 0 || cols === 0 ? offset : offset + (rows - 1) * ld + cols;
  assert(end <= data.length, () => {
    const stride = ld === cols ? '' : ` with rows ${ld} apart`;
    return `${where}: '${name}' has ${data.length} values, but its ${rows}×${cols} matrix at offset ${offset}${stride} needs ${end}`;
  }, RangeError);
  return end;
}

function checkStairs(stairs: Staircase, n: number, where: string): KernelStairs {
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
  return { depthStart: stairs.depthStart ?? null, depthEnd: stairs.depthEnd ?? null, rowEnd: stairs.rowEnd ?? null };
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
  referenceProduct(describeProduct('gemmReference', { m, n, k, a, b, c, options }));
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
  referenceProduct(describeProduct('gemmStaircaseReference', { m, n, k, a, b, c, options, stairs }));
}

/** The loops of the reference, over a validated product (its bias included). */
function referenceProduct(product: GemmProduct): void {
  const { m, n, k, a, b, c, accumulate, bias } = product;
  const { depthStart, depthEnd, rowEnd } = product.stairs;
  for (let j = 0; j < n; j++) {
    const p0 = depthStart === null ? 0 : depthStart[j];
    const p1 = depthEnd === null ? k : Math.min(k, depthEnd[j]);
    const rows = rowEnd === null ? m : Math.min(m, rowEnd[j]);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let p = p0; p < p1; p++) {
        const aip = a.transposed ? a.data[a.offset + p * a.ld + i] : a.data[a.offset + i * a.ld + p];
        const bpj = b.transposed ? b.data[b.offset + j * b.ld + p] : b.data[b.offset + p * b.ld + j];
        s += aip * bpj;
      }
      const o = c.offset + i * c.ld + j;
      c.data[o] = accumulate ? c.data[o] + s : (bias === null ? 0 : bias[j]) + s;
    }
  }
}

// The calling thread's kernels: each loop nest has its own packing buffers (grown on demand to at
// most 1.25 MB and kept; the SIMD one's live in its WebAssembly memory). JavaScript runs one call at a
// time on this thread and a kernel never calls out while using them, so every product can share them.
const jsKernel = new GemmLoopNest();
let simdKernel: GemmKernel | null | undefined; // made at the first SIMD product; null where SIMD is missing

/** The kernel of a backend setting on this thread: the SIMD loop nest where it runs, else the JavaScript one. */
function kernelFor(backend: GemmBackend): GemmKernel {
  if (resolveGemmBackend(backend) === 'js') return jsKernel;
  if (simdKernel === undefined) {
    const module = microKernelModule();
    simdKernel = module === null ? null : new SimdLoopNest(module);
  }
  return simdKernel ?? jsKernel;
}

/**
 * Fast `C = op(A)·op(B)` or `C += op(A)·op(B)` with the same arguments and result as
 * {@link gemmReference} (up to rounding: the sum over p is split into blocks of 256).
 *
 * Cost: 2·m·n·k flops at about 4–5 GFLOP/s on one core in V8 with the JavaScript kernel and 3–4× that with the
 * WebAssembly SIMD one, the default where the engine has it (`setGemmBackend`, kernels/config.ts; the same bits
 * either way; the naive triple loop of gemmReference gets 0.3–0.6),
 * plus O(mk + kn) packing. Edge tiles (m or n not a multiple of 4) are computed on zero-padded
 * panels and only their valid part is stored. Allocates only when a product needs larger
 * packing buffers than any before it (never more than 1.25 MB in all).
 *
 * Threads: in Node, a product of at least `PARALLEL_MIN_WORK` (1M) multiply-adds is shared with a
 * worker thread (kernels/threads.ts; `setNumThreads` in kernels/config.ts), split by whole rows or
 * columns of C, so the result is the same bit for bit; its operands are first copied into a shared
 * buffer (O(mk + kn + mn), grown on demand and kept).
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
  runProduct(describeProduct('gemm', { m, n, k, a, b, c, options }));
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
 * Allocates only as {@link gemm} does, and is shared with a worker thread as {@link gemm} is, from
 * 1M kept multiply-adds (balanced by the multiply-adds each row or column keeps).
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
  runProduct(describeProduct('gemmStaircase', { m, n, k, a, b, c, options, stairs }));
}

/**
 * {@link gemm} and {@link gemmStaircase} with every argument in one object, and a bias:
 *
 *   C[i][j] = (accumulate ? C[i][j] : bias[j] or 0) + Σ_{depthStart[j] ≤ p < depthEnd[j]} op(A)[i][p] · op(B)[p][j]   for i < rowEnd[j]
 *
 * Same speed, threads and rounding as those two; the bias costs one pass over C.
 *
 * @param request - sizes, arrays, layout, limits and bias; see {@link GemmRequest}
 * @throws as {@link gemmStaircase}; TypeError for a bias that is not a Float64Array of length n
 *
 * @example
 * // y [batch, fanOut] = x [batch, fanIn] · w [fanIn, fanOut] + b [fanOut]
 * gemmProduct({ m: batch, n: fanOut, k: fanIn, a: x, b: w, c: y, bias: b });
 */
export function gemmProduct(request: GemmRequest): void {
  const product = describeProduct('gemmProduct', request);
  if (request.backend !== undefined) checkGemmBackend(request.backend, 'backend', 'gemmProduct');
  runProduct(product, request.backend ?? getGemmBackend());
}

/** Runs one validated product, shared with worker threads when it is large enough (kernels/threads.ts), else here. */
function runProduct(product: GemmProduct, backend: GemmBackend = getGemmBackend()): void {
  const kernel = kernelFor(backend);
  if (!parallelGemm(kernel, product)) kernel.run(product);
}
