// One matrix product as one object: the operands with their layouts, the sizes, the staircase, accumulate or overwrite, and the part of C to compute.

/**
 * A row-major matrix stored inside a larger array: entry (r, c) is `data[offset + r·ld + c]`.
 * `ld` (the leading dimension, as in BLAS) is the distance between consecutive stored rows, so a
 * block of rows `r0…` and columns `c0…` of a `[rows, cols]` matrix is `{ data, offset: r0·cols + c0, ld: cols }`.
 */
export interface StoredMatrix {
  /** The values. */
  readonly data: Float64Array;
  /** Index of entry (0, 0) in `data`. */
  readonly offset: number;
  /** Distance in `data` between consecutive stored rows, at least the stored row length. */
  readonly ld: number;
}

/** An input of a product: a stored matrix used as it is, or transposed (`op(X) = Xᵀ`). */
export interface GemmOperand extends StoredMatrix {
  /** A is stored as [k, m] (B as [n, k]) and used transposed; otherwise A is [m, k] and B is [k, n]. */
  readonly transposed: boolean;
}

/**
 * Per-column limits of a staircase product, one integer per column of C (length n), each `null`
 * for "no limit" (see `Staircase` in kernels/gemm.ts for the public, optional form):
 *
 *   C[i][j] (+)= Σ_{depthStart[j] ≤ p < depthEnd[j]} op(A)[i][p] · op(B)[p][j]   for rows i < rowEnd[j]
 *
 * Values past k (depth) or m (rows) mean "to the end".
 */
export interface KernelStairs {
  /** First index p of column j's sum, or null for 0. */
  readonly depthStart: ArrayLike<number> | null;
  /** One past the last index p of column j's sum, or null for k. */
  readonly depthEnd: ArrayLike<number> | null;
  /** One past the last row of C that column j writes, or null for m. */
  readonly rowEnd: ArrayLike<number> | null;
}

/** The rectangle `[rowLo, rowHi) × [colLo, colHi)` of C that one call computes; the rest of C is left alone. */
export interface GemmRegion {
  /** First row. */
  readonly rowLo: number;
  /** One past the last row. */
  readonly rowHi: number;
  /** First column (a multiple of 4 for a part of a split product, see GemmLoopNest). */
  readonly colLo: number;
  /** One past the last column. */
  readonly colHi: number;
}

/**
 * One product `C (+)= op(A) · op(B)`, validated and with every default filled in: what a kernel
 * (kernels/gemm-kernel.ts) and the threads (kernels/threads.ts) receive.
 *
 *   C[i][j] = (accumulate ? C[i][j] : bias[j] or 0) + Σ_{depthStart[j] ≤ p < depthEnd[j]} op(A)[i][p] · op(B)[p][j]
 *
 * for (i, j) in `region` with i < rowEnd[j]; every other entry of C is left alone. Shapes: op(A) is
 * [m, k], op(B) is [k, n], C is [m, n]. A product split into parts differs only in `region`
 * ({@link subProduct}), so each part still knows the whole product (the kernels need that to sum
 * every entry in the same order whichever part computes it).
 */
export interface GemmProduct {
  /** Rows of op(A) and of C. */
  readonly m: number;
  /** Columns of op(B) and of C. */
  readonly n: number;
  /** The summed dimension: columns of op(A), rows of op(B). */
  readonly k: number;
  /** A: op(A) is [m, k]. */
  readonly a: GemmOperand;
  /** B: op(B) is [k, n]. */
  readonly b: GemmOperand;
  /** The output; must not overlap `a` or `b`. */
  readonly c: StoredMatrix;
  /** Add into C instead of overwriting it. */
  readonly accumulate: boolean;
  /** When overwriting, C's rows start from this `[n]` vector instead of 0 (`y = x·W + b`); null for none. Ignored when accumulating. */
  readonly bias: Float64Array | null;
  /** Per-column limits; {@link NO_STAIRS} for a dense product. */
  readonly stairs: KernelStairs;
  /** The part of C this call computes; the whole of it is `[0, m) × [0, n)`. */
  readonly region: GemmRegion;
}

/** No limits: every column sums over the whole depth and writes every row. */
export const NO_STAIRS: KernelStairs = { depthStart: null, depthEnd: null, rowEnd: null };

/** The whole of an `m × n` C. */
export function wholeRegion(m: number, n: number): GemmRegion {
  return { rowLo: 0, rowHi: m, colLo: 0, colHi: n };
}

/**
 * The same product restricted to a part of C: rows `[rowLo, rowHi)` and columns `[colLo, colHi)`
 * of the whole C (not of the product's current region).
 */
export function subProduct(product: GemmProduct, region: GemmRegion): GemmProduct {
  return { ...product, region };
}

/** Whether any column of the product has a limit. */
export function hasStairs(stairs: KernelStairs): boolean {
  return stairs.depthStart !== null || stairs.depthEnd !== null || stairs.rowEnd !== null;
}

/** Rows of C that column j writes: min(m, rowEnd[j]). */
export function rowsOf(product: GemmProduct, j: number): number {
  const { rowEnd } = product.stairs;
  return rowEnd === null ? product.m : Math.min(product.m, rowEnd[j]);
}

/** Length of column j's sum: |[depthStart[j], depthEnd[j]) ∩ [0, k)|. */
export function depthOf(product: GemmProduct, j: number): number {
  const { depthStart, depthEnd } = product.stairs;
  const k = product.k;
  const start = depthStart === null ? 0 : Math.min(k, depthStart[j]);
  const end = depthEnd === null ? k : Math.min(k, depthEnd[j]);
  return end > start ? end - start : 0;
}

/** Multiply-adds the product keeps: Σ_j rows(j) · depth(j), at most m·n·k. */
export function keptWork(product: GemmProduct): number {
  const { m, n, k } = product;
  if (!hasStairs(product.stairs)) return m * n * k;
  let work = 0;
  for (let j = 0; j < n; j++) work += rowsOf(product, j) * depthOf(product, j);
  return work;
}
