// Matrix-multiply kernels on raw Float64Arrays: the plain loop that defines the product, and the fast one that replaces it.
import { assert, ValueError } from '../../lib/util/errors.js';

/**
 * Layout and mode of one product `C (+)= op(A) · op(B)`. Every matrix is row-major and
 * contiguous from its offset (no leading-dimension stride), so a batched caller passes
 * `offset = batchIndex · rows · cols` to work on one block in place.
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
}

/** Checks sizes, offsets and lengths; the kernels trust their input after this. Allocates nothing. */
function checkGemm(where: string, m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array, options: GemmOptions): void {
  const { aOffset = 0, bOffset = 0, cOffset = 0 } = options;
  checkCount(where, 'm', m);
  checkCount(where, 'n', n);
  checkCount(where, 'k', k);
  checkCount(where, 'aOffset', aOffset);
  checkCount(where, 'bOffset', bOffset);
  checkCount(where, 'cOffset', cOffset);
  checkArray(where, 'a', a, aOffset, m, k);
  checkArray(where, 'b', b, bOffset, k, n);
  checkArray(where, 'c', c, cOffset, m, n);
  // C is written while A and B are still being read, so a shared range would corrupt the result.
  const cEnd = cOffset + m * n;
  const overlaps = m * n * k > 0 && ((a === c && aOffset < cEnd && cOffset < aOffset + m * k) || (b === c && bOffset < cEnd && cOffset < bOffset + k * n));
  if (overlaps) throw new ValueError(`${where}: 'c' overlaps an input; the output must not alias 'a' or 'b'`);
}

function checkCount(where: string, name: string, v: number): void {
  assert(Number.isInteger(v) && v >= 0, () => `${where}: '${name}' must be a non-negative integer, got ${v}`, RangeError);
}

function checkArray(where: string, name: string, arr: Float64Array, offset: number, rows: number, cols: number): void {
  assert(arr instanceof Float64Array, () => `${where}: '${name}' must be a Float64Array, got ${arr === null ? 'null' : typeof arr}`, TypeError);
  const end = offset + rows * cols;
  assert(end <= arr.length,
    () => `${where}: '${name}' has ${arr.length} values, but its ${rows}×${cols} matrix at offset ${offset} needs ${end}`, RangeError);
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
 * @param a - holds A: [m, k], or [k, m] with `transA`, from `aOffset`
 * @param b - holds B: [k, n], or [n, k] with `transB`, from `bOffset`
 * @param c - receives C: [m, n] from `cOffset`; must not overlap A or B
 * @throws RangeError for negative or fractional sizes or offsets, or arrays too short; TypeError for non-Float64Array arguments;
 *   ValueError when C overlaps A or B
 */
export function gemmReference(m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array, options: GemmOptions = {}): void {
  checkGemm('gemmReference', m, n, k, a, b, c, options);
  const { transA = false, transB = false, accumulate = false, aOffset = 0, bOffset = 0, cOffset = 0 } = options;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const aip = transA ? a[aOffset + p * m + i] : a[aOffset + i * k + p];
        const bpj = transB ? b[bOffset + j * k + p] : b[bOffset + p * n + j];
        s += aip * bpj;
      }
      const o = cOffset + i * n + j;
      c[o] = accumulate ? c[o] + s : s;
    }
  }
}

// Blocking (GotoBLAS's loop nest, simplified). A 4×4 tile of C lives in 16 local variables while the
// kernel walks k; V8 keeps most of them in registers. The operands are first copied ("packed") into
// panels laid out in exactly the order the tile loop reads them (4 values of op(A) or op(B) per step
// of p), so the inner loop reads memory contiguously whatever the transposes, and the transposes cost
// only the O(mk + kn) packing, not the O(mnk) product. Block sizes bound the packing buffers
// (≤ 128·256 and 256·512 values) and keep a B panel (4·256 values, 8 KB) in L1; measured on a Xeon,
// they matter little next to the tile itself (see bench/matmul.ts).
const MR = 4; // tile rows
const NR = 4; // tile columns
const MC = 128; // rows of op(A) packed at a time
const KC = 256; // depth packed at a time
const NC = 512; // columns of op(B) packed at a time

// Reused across calls so that a product allocates nothing once the buffers have grown (to at most
// MC·KC + KC·NC values, 1.25 MB). JavaScript is single-threaded and gemm never calls out while using
// them, so sharing is safe.
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
const edgeTile = new Float64Array(MR * NR);

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
 * @param a - holds A: [m, k], or [k, m] with `transA`, from `aOffset`
 * @param b - holds B: [k, n], or [n, k] with `transB`, from `bOffset`
 * @param c - receives C: [m, n] from `cOffset`; must not overlap A or B
 * @throws RangeError for negative or fractional sizes or offsets, or arrays too short; TypeError for non-Float64Array arguments;
 *   ValueError when C overlaps A or B
 */
export function gemm(m: number, n: number, k: number, a: Float64Array, b: Float64Array, c: Float64Array, options: GemmOptions = {}): void {
  checkGemm('gemm', m, n, k, a, b, c, options);
  const { transA = false, transB = false, accumulate = false, aOffset = 0, bOffset = 0, cOffset = 0 } = options;
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOffset, cOffset + m * n);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // The first depth block overwrites C unless the caller accumulates; later blocks add their part.
      const add = accumulate || pc > 0;
      packB(b, bOffset, transB, k, n, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(a, aOffset, transA, m, k, ic, mc, pc, kc);
        tiles(packedA, packedB, c, cOffset + ic * n + jc, n, mc, nc, kc, add);
      }
    }
  }
}

/**
 * Copies op(B)[pc : pc+kc, jc : jc+nc] into `packedB` as panels of NR columns: panel `jr / NR`
 * starts at `jr·kc` and holds, for each p, the NR values op(B)[pc+p][jc+jr .. jc+jr+NR−1]
 * (zero past column nc).
 */
function packB(b: Float64Array, off: number, transB: boolean, k: number, n: number, pc: number, kc: number, jc: number, nc: number): void {
  const need = roundUp(nc, NR) * kc;
  if (packedB.length < need) packedB = new Float64Array(need);
  const bp = packedB;
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    const w = Math.min(NR, nc - jr);
    if (!transB) {
      // B is [k, n]: the NR values for one p are adjacent in a row.
      for (let p = 0; p < kc; p++) {
        const q = base + p * NR;
        const s = off + (pc + p) * n + jc + jr;
        if (w === NR) {
          bp[q] = b[s];
          bp[q + 1] = b[s + 1];
          bp[q + 2] = b[s + 2];
          bp[q + 3] = b[s + 3];
        } else {
          for (let col = 0; col < NR; col++) bp[q + col] = col < w ? b[s + col] : 0;
        }
      }
    } else {
      // B is [n, k]: column j of op(B) is row j of B, contiguous in p.
      for (let col = 0; col < NR; col++) {
        if (col < w) {
          const s = off + (jc + jr + col) * k + pc;
          for (let p = 0; p < kc; p++) bp[base + p * NR + col] = b[s + p];
        } else {
          for (let p = 0; p < kc; p++) bp[base + p * NR + col] = 0;
        }
      }
    }
  }
}

/**
 * Copies op(A)[ic : ic+mc, pc : pc+kc] into `packedA` as panels of MR rows: panel `ir / MR`
 * starts at `ir·kc` and holds, for each p, the MR values op(A)[ic+ir .. ic+ir+MR−1][pc+p]
 * (zero past row mc).
 */
function packA(a: Float64Array, off: number, transA: boolean, m: number, k: number, ic: number, mc: number, pc: number, kc: number): void {
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
          const s = off + (ic + ir + row) * k + pc;
          for (let p = 0; p < kc; p++) ap[base + p * MR + row] = a[s + p];
        } else {
          for (let p = 0; p < kc; p++) ap[base + p * MR + row] = 0;
        }
      }
    } else {
      // A is [k, m]: the MR values for one p are adjacent in a row.
      for (let p = 0; p < kc; p++) {
        const q = base + p * MR;
        const s = off + (pc + p) * m + ic + ir;
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
 * The product of one packed block: for each 4×4 tile, 16 running sums over p, then stored
 * (or added) into C at `c0 + row·ldc + col`. The B panel is the outer loop so that it stays
 * in L1 while the tile loop sweeps the packed A block.
 */
function tiles(ap: Float64Array, bp: Float64Array, c: Float64Array, c0: number, ldc: number, mc: number, nc: number, kc: number, add: boolean): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const w = Math.min(NR, nc - jr);
    for (let ir = 0; ir < mc; ir += MR) {
      const h = Math.min(MR, mc - ir);
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let x = ir * kc;
      let y = jr * kc;
      const end = x + MR * kc;
      for (; x < end; x += MR, y += NR) {
        const b0 = bp[y], b1 = bp[y + 1], b2 = bp[y + 2], b3 = bp[y + 3];
        const a0 = ap[x], a1 = ap[x + 1], a2 = ap[x + 2], a3 = ap[x + 3];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      let o = c0 + ir * ldc + jr;
      if (h === MR && w === NR) {
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
        // Edge tile: the padded rows and columns were computed from zeros; store only the valid h×w part.
        const t = edgeTile;
        t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
        t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
        t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
        t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
        for (let row = 0; row < h; row++, o += ldc) {
          for (let col = 0; col < w; col++) c[o + col] = add ? c[o + col] + t[row * NR + col] : t[row * NR + col];
        }
      }
    }
  }
}

function roundUp(v: number, step: number): number {
  return Math.ceil(v / step) * step;
}
