// The blocked loop nest behind gemm and gemmStaircase, as one self-contained class so that a worker thread runs the very same code.
//
// THE RULE OF THIS FILE: `GemmLoopNest` is sent to the worker threads as its own source text
// (`GemmLoopNest.toString()`, see kernels/worker-program.ts), so its body may reference nothing but
// `this`, its parameters and JavaScript's globals (Math, Float64Array, Int32Array). No imported or
// module-level name may appear inside the class: not a constant, not a helper. Types are fine (they
// are erased). spec/autodiff/kernels/worker-program.spec.ts rebuilds the class from its text in an
// empty scope and checks it multiplies bit for bit as the imported one does.
import type { GemmProduct } from './product.js';

/**
 * Anything that computes one {@link GemmProduct} (over its `region` of C). Trusts its input: the
 * product was validated by kernels/gemm.ts.
 */
export interface GemmKernel {
  /** The instructions it multiplies with: plain JavaScript, or WebAssembly 128-bit SIMD (kernels/simd-loop-nest.ts). */
  readonly backend: 'js' | 'wasm-simd';
  /** Computes `product` over its region of C; see {@link GemmProduct}. */
  run(product: GemmProduct): void;
}

/**
 * The loop nest of GotoBLAS, simplified, in plain JavaScript: the readable reference of the fast kernels.
 *
 * Each entry of C gets the same sequence of floating-point operations whatever region it is
 * computed in, as long as the region's `colLo` is a multiple of 4 (the panel width): the sum over
 * p is cut into blocks of 256 from p = 0, and the range summed for column j is that of its
 * 4-column panel [4⌊j/4⌋, 4⌊j/4⌋ + 4), whichever region holds it. So a product split into parts
 * by whole rows, or by columns at multiples of 4, equals the unsplit product bit for bit (the
 * threads of kernels/threads.ts rely on this).
 *
 * Blocking: a 4×4 tile of C lives in 16 local variables while the kernel walks p; V8 keeps most of
 * them in registers. The operands are first copied ("packed") into panels laid out in exactly the
 * order the tile loop reads them (4 values of op(A) or op(B) per step of p), so the inner loop reads
 * memory contiguously whatever the transposes and strides, and the transposes cost only the
 * O(mk + kn) packing, not the O(mnk) product. Block sizes bound the packing buffers (≤ 128·256 and
 * 256·512 values) and keep a B panel (4·256 values, 8 KB) in L1.
 *
 * Packing buffers grow on demand (to at most 1.25 MB) and are kept for the life of the object. Each
 * thread has its own loop nest and a call never calls out while using them, so sharing them between
 * calls is safe.
 */
export class GemmLoopNest implements GemmKernel {
  // Block sizes: rows of op(A), depth, and columns of op(B) packed at a time. Tiles are 4×4 (MR = NR = 4).
  private readonly MC = 128;
  private readonly KC = 256;
  private readonly NC = 512;

  protected packedA: Float64Array = new Float64Array(0);
  protected packedB: Float64Array = new Float64Array(0);
  private readonly edgeTile = new Float64Array(16);
  // Per B panel (4 columns) of the current column block: the depth range [panelLo, panelHi) any of
  // its columns sums over, and the rows it writes (panelRowMin ≤ rows of every column, panelRowMax ≥
  // rows of any column); for the current depth block, the packed range [blockStart, blockEnd) and
  // where it starts in packedB.
  protected readonly panelLo = new Int32Array(128);
  protected readonly panelHi = new Int32Array(128);
  protected readonly panelRowMin = new Int32Array(128);
  protected readonly panelRowMax = new Int32Array(128);
  protected readonly blockStart = new Int32Array(128);
  protected readonly blockEnd = new Int32Array(128);
  protected readonly blockOffset = new Int32Array(128);
  // The depth range [spanLo, spanHi) of op(A) packed for the current block (the union of the panels' ranges).
  private spanLo = 0;
  private spanHi = 0;

  /** Plain JavaScript (the SIMD subclass says 'wasm-simd'). */
  get backend(): 'js' | 'wasm-simd' {
    return 'js';
  }

  /** Computes `product` over its region of C (see {@link GemmProduct}). */
  run(product: GemmProduct): void {
    const { m, n, region } = product;
    if (m === 0 || n === 0 || region.rowLo >= region.rowHi) return;
    let accumulate = product.accumulate;
    if (!accumulate && product.bias !== null) {
      this.fillBias(product);
      accumulate = true;
    }
    for (let jc = region.colLo; jc < region.colHi; jc += this.NC) {
      this.columnBlock(product, jc, Math.min(this.NC, region.colHi - jc), accumulate);
    }
  }

  /** Columns [jc, jc + nc) of the region: for each depth block, pack B, then each row block of A, then the tiles. */
  private columnBlock(p: GemmProduct, jc: number, nc: number, accumulate: boolean): void {
    const { rowLo, rowHi } = p.region;
    // Rows [rowLo, rows) are the ones any column of this block writes.
    const rows = Math.min(rowHi, this.setUpPanels(p, jc, nc));
    // A panel that sums over nothing must still leave zeros in C when the product overwrites it.
    if (!accumulate) this.zeroEmptyPanels(p, jc, nc);
    if (rows <= rowLo) return;
    for (let pc = 0; pc < p.k; pc += this.KC) {
      const kc = Math.min(this.KC, p.k - pc);
      // packB leaves in spanLo/spanHi the union of the panels' depth ranges within [pc, pc + kc): the part of A to pack.
      if (!this.packB(p, pc, kc, jc, nc)) continue;
      const aLo = this.spanLo;
      const kcA = this.spanHi - aLo;
      for (let ic = rowLo; ic < rows; ic += this.MC) {
        const mc = Math.min(this.MC, rows - ic);
        this.packA(p, ic, mc, aLo, kcA);
        this.tiles(p, accumulate, [ic, mc, jc, nc], aLo, kcA);
      }
    }
  }

  /** C's region starts from the bias row (`C[i][j] = bias[j]`) in the rows each column writes. */
  private fillBias(p: GemmProduct): void {
    const { c, region, stairs } = p;
    const bias = p.bias as Float64Array;
    const { colLo, colHi, rowLo, rowHi } = region;
    // Row by row, so the writes run along memory (column by column, each write jumps c.ld doubles).
    if (stairs.rowEnd === null) {
      const row = bias.subarray(colLo, colHi);
      for (let i = rowLo, o = c.offset + rowLo * c.ld + colLo; i < rowHi; i++, o += c.ld) c.data.set(row, o);
      return;
    }
    // With row limits: the rows every column writes take the whole bias row, the rest entry by entry.
    const rowEnd = stairs.rowEnd;
    let full = Math.min(rowHi, p.m);
    for (let j = colLo; j < colHi; j++) full = Math.min(full, rowEnd[j]);
    const row = bias.subarray(colLo, colHi);
    let i = rowLo;
    let o = c.offset + rowLo * c.ld;
    for (; i < full; i++, o += c.ld) c.data.set(row, o + colLo);
    for (; i < rowHi; i++, o += c.ld) {
      for (let j = colLo; j < colHi; j++) if (i < rowEnd[j] && i < p.m) c.data[o + j] = bias[j];
    }
  }

  /**
   * Fills panelLo/panelHi/panelRowMin/panelRowMax for the panels of columns [jc, jc + nc) and returns
   * how many rows of C any of them writes. A panel whose columns all sum over nothing, or write no
   * row, gets the empty range [k, 0).
   */
  private setUpPanels(p: GemmProduct, jc: number, nc: number): number {
    const { m, k } = p;
    const { depthStart, depthEnd, rowEnd } = p.stairs;
    let rows = 0;
    for (let jr = 0, q = 0; jr < nc; jr += 4, q++) {
      const w = Math.min(4, nc - jr);
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
      this.panelLo[q] = lo;
      this.panelHi[q] = hi;
      this.panelRowMin[q] = rMin;
      this.panelRowMax[q] = rMax;
    }
    return rows;
  }

  /** Zeroes, in the region's rows of C, what each column writes for the panels with an empty depth range (their sum is 0). */
  private zeroEmptyPanels(p: GemmProduct, jc: number, nc: number): void {
    const { c, region } = p;
    const rowEnd = p.stairs.rowEnd;
    for (let jr = 0, q = 0; jr < nc; jr += 4, q++) {
      if (this.panelLo[q] < this.panelHi[q]) continue;
      const w = Math.min(4, nc - jr);
      for (let col = 0; col < w; col++) {
        const j = jc + jr + col;
        const r = Math.min(region.rowHi, rowEnd === null ? p.m : Math.min(p.m, rowEnd[j]));
        for (let i = region.rowLo, o = c.offset + i * c.ld + j; i < r; i++, o += c.ld) c.data[o] = 0;
      }
    }
  }

  /**
   * Packs, for each panel of columns [jc, jc + nc), the rows p of op(B) in its depth range within
   * [pc, pc + kc): panel q's range [blockStart[q], blockEnd[q]) starts at blockOffset[q] in packedB
   * and holds, for each p, the 4 values op(B)[p][jc+jr .. jc+jr+3]. A value outside its own
   * column's range, or past column nc, is packed as 0 without being read. Sets spanLo/spanHi to the
   * union of the ranges and returns whether it is non-empty.
   */
  private packB(p: GemmProduct, pc: number, kc: number, jc: number, nc: number): boolean {
    const need = Math.ceil(nc / 4) * 4 * kc;
    if (this.packedB.length < need) this.packedB = this.grow(need);
    let lo = pc + kc;
    let hi = pc;
    let at = 0;
    for (let jr = 0, q = 0; jr < nc; jr += 4, q++) {
      const s = Math.max(pc, this.panelLo[q]);
      const e = Math.min(pc + kc, this.panelHi[q]);
      this.blockStart[q] = s;
      this.blockEnd[q] = e;
      this.blockOffset[q] = at;
      if (s >= e) continue;
      if (s < lo) lo = s;
      if (e > hi) hi = e;
      this.packPanelB(p, jc + jr, Math.min(4, nc - jr), s, e, at);
      at += (e - s) * 4;
    }
    this.spanLo = lo;
    this.spanHi = hi;
    return lo < hi;
  }

  /** One panel of packB: columns [j0, j0 + w) of op(B), rows [s, e), into packedB from `at`, 4 values per p. */
  private packPanelB(p: GemmProduct, j0: number, w: number, s: number, e: number, at: number): void {
    const bp = this.packedB;
    const { data: b, offset: off, ld: ldb, transposed: transB } = p.b;
    const { depthStart, depthEnd } = p.stairs;
    // A panel of 4 columns that all sum over the whole range is copied without per-value checks.
    let whole = w === 4;
    for (let col = 0; whole && col < 4; col++) {
      if (depthStart !== null && depthStart[j0 + col] > s) whole = false;
      if (depthEnd !== null && depthEnd[j0 + col] < e) whole = false;
    }
    if (whole && !transB) {
      // B is [k, n]: the 4 values for one p are adjacent in a row.
      for (let q = s, q4 = at, src = off + s * ldb + j0; q < e; q++, q4 += 4, src += ldb) {
        bp[q4] = b[src];
        bp[q4 + 1] = b[src + 1];
        bp[q4 + 2] = b[src + 2];
        bp[q4 + 3] = b[src + 3];
      }
    } else if (whole) {
      // B is [n, k] with transB: column j of op(B) is row j of B, contiguous in p.
      for (let col = 0; col < 4; col++) {
        for (let q = s, q4 = at + col, src = off + (j0 + col) * ldb + s; q < e; q++, q4 += 4, src++) bp[q4] = b[src];
      }
    } else {
      for (let col = 0; col < 4; col++) {
        // This column's own range within [s, e); empty for the padding columns past the block.
        const from = col >= w ? e : depthStart === null ? s : Math.max(s, depthStart[j0 + col]);
        const to = col >= w ? e : depthEnd === null ? e : Math.min(e, depthEnd[j0 + col]);
        for (let q = s, q4 = at + col; q < e; q++, q4 += 4) {
          if (q < from || q >= to) bp[q4] = 0;
          else bp[q4] = transB ? b[off + (j0 + col) * ldb + q] : b[off + q * ldb + j0 + col];
        }
      }
    }
  }

  /**
   * Copies op(A)[ic : ic+mc, p0 : p0+kc] into `packedA` as panels of 4 rows: panel `ir / 4`
   * starts at `ir·kc` and holds, for each p, the 4 values op(A)[ic+ir .. ic+ir+3][p0+p]
   * (zero past row mc).
   */
  private packA(p: GemmProduct, ic: number, mc: number, p0: number, kc: number): void {
    const need = Math.ceil(mc / 4) * 4 * kc;
    if (this.packedA.length < need) this.packedA = this.grow(need);
    const ap = this.packedA;
    const { data: a, offset: off, ld: lda, transposed: transA } = p.a;
    for (let ir = 0; ir < mc; ir += 4) {
      const base = ir * kc;
      const h = Math.min(4, mc - ir);
      if (!transA) {
        // A is [m, k]: row i of op(A) is contiguous in p.
        for (let row = 0; row < 4; row++) {
          if (row < h) {
            const s = off + (ic + ir + row) * lda + p0;
            for (let q = 0; q < kc; q++) ap[base + q * 4 + row] = a[s + q];
          } else {
            for (let q = 0; q < kc; q++) ap[base + q * 4 + row] = 0;
          }
        }
      } else {
        // A is [k, m]: the 4 values for one p are adjacent in a row.
        for (let q = 0; q < kc; q++) {
          const d = base + q * 4;
          const s = off + (p0 + q) * lda + ic + ir;
          if (h === 4) {
            ap[d] = a[s];
            ap[d + 1] = a[s + 1];
            ap[d + 2] = a[s + 2];
            ap[d + 3] = a[s + 3];
          } else {
            for (let row = 0; row < 4; row++) ap[d + row] = row < h ? a[s + row] : 0;
          }
        }
      }
    }
  }

  /** A packing buffer of at least `size` values (the SIMD subclass places it in WebAssembly memory instead). */
  protected grow(size: number): Float64Array {
    return new Float64Array(size);
  }

  /**
   * The product of one packed block, `[ic, mc, jc, nc]` (rows ic…ic+mc−1, columns jc…jc+nc−1): for
   * each 4×4 tile, 16 running sums over the panel's depth range, then stored (or added) into C. The B
   * panel is the outer loop so that it stays in L1 while the tile loop sweeps the packed A block. A
   * panel's first depth block overwrites C (unless accumulating); later ones add. Tiles past every
   * column's `rowEnd` are skipped; tiles that straddle it store only the rows each column keeps.
   */
  protected tiles(p: GemmProduct, accumulate: boolean, block: readonly number[], aLo: number, kcA: number): void {
    const [ic, mc, jc, nc] = block;
    const ap = this.packedA;
    const bp = this.packedB;
    const { data: c, offset: cOff, ld: ldc } = p.c;
    for (let jr = 0, q = 0; jr < nc; jr += 4, q++) {
      const s = this.blockStart[q];
      const steps = this.blockEnd[q] - s;
      if (steps <= 0) continue;
      const w = Math.min(4, nc - jr);
      const add = accumulate || s > this.panelLo[q];
      const rowsHere = Math.min(mc, this.panelRowMax[q] - ic);
      const rowsFull = this.panelRowMin[q] - ic; // rows below this are kept by every column of the panel
      for (let ir = 0; ir < rowsHere; ir += 4) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        let x = ir * kcA + (s - aLo) * 4;
        let y = this.blockOffset[q];
        const end = x + steps * 4;
        for (; x < end; x += 4, y += 4) {
          const b0 = bp[y], b1 = bp[y + 1], b2 = bp[y + 2], b3 = bp[y + 3];
          const a0 = ap[x], a1 = ap[x + 1], a2 = ap[x + 2], a3 = ap[x + 3];
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        let o = cOff + (ic + ir) * ldc + jc + jr;
        if (mc - ir >= 4 && w === 4 && ir + 4 <= rowsFull) {
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
          const t = this.edgeTile;
          t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
          t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
          t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
          t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
          this.storeEdgeTile(p, add, t, ic + ir, jc + jr, w);
        }
      }
    }
  }

  /**
   * Stores the valid part of an edge tile `t` (4×4, row-major) whose top-left entry is C[i0][j0]: the
   * padded rows and columns were computed from zeros, and rows past a column's rowEnd (or past the
   * region) must stay untouched.
   */
  protected storeEdgeTile(p: GemmProduct, add: boolean, t: Float64Array, i0: number, j0: number, w: number): void {
    const { data: c, offset: cOff, ld: ldc } = p.c;
    const rowEnd = p.stairs.rowEnd;
    const h = Math.min(4, p.region.rowHi - i0);
    for (let col = 0; col < w; col++) {
      const keep = (rowEnd === null ? p.m : Math.min(p.m, rowEnd[j0 + col])) - i0;
      const last = Math.min(h, keep);
      for (let row = 0, o = cOff + i0 * ldc + j0 + col; row < last; row++, o += ldc) c[o] = add ? c[o] + t[row * 4 + col] : t[row * 4 + col];
    }
  }
}
