// The blocked loop nest behind gemm and gemmStaircase as one self-contained function, so that a worker thread runs the very same code.

/**
 * One blocked product over a rectangle of C, as made by {@link createGemmKernel}:
 *
 *   C[i][j] (+)= Σ_{depthStart[j] ≤ p < depthEnd[j]} op(A)[i][p] · op(B)[p][j]   for rowLo ≤ i < min(rowHi, rowEnd[j]), colLo ≤ j < colHi
 *
 * with the layouts of `GemmOptions` (kernels/gemm.ts) spelled out as arguments, and each limit
 * array null for "no limit". Trusts its input: checks nothing.
 *
 * Each entry of C gets the same sequence of floating-point operations whatever rectangle it is
 * computed in, as long as `colLo` is a multiple of 4 (the panel width): the sum over p is cut into
 * blocks of 256 from p = 0, and the range summed for column j is that of its 4-column panel
 * [4⌊j/4⌋, 4⌊j/4⌋ + 4), whichever rectangle holds it. So a product split into rectangles by whole
 * rows, or by columns at multiples of 4, equals the unsplit product bit for bit (the threads of
 * kernels/threads.ts rely on this).
 */
export type GemmKernel = (m: number, n: number, k: number,
  a: Float64Array, aOff: number, lda: number, transA: boolean,
  b: Float64Array, bOff: number, ldb: number, transB: boolean,
  c: Float64Array, cOff: number, ldc: number, accumulate: boolean,
  depthStart: ArrayLike<number> | null, depthEnd: ArrayLike<number> | null, rowEnd: ArrayLike<number> | null,
  rowLo: number, rowHi: number, colLo: number, colHi: number) => void;

/**
 * Makes a {@link GemmKernel} with its own packing buffers.
 *
 * The function references nothing outside its own body (its constants are inlined, its helpers
 * nested), so `createGemmKernel.toString()` is valid source for a worker thread: kernels/threads.ts
 * builds its worker from it, and the worker multiplies with the same code as the calling thread.
 * Keep it that way: no imports, no module-level names inside.
 *
 * @returns the loop nest, with packing buffers that grow on demand (to at most 1.25 MB) and are
 *   kept for the life of the kernel
 */
export function createGemmKernel(): GemmKernel {
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
  // MC·KC + KC·NC values, 1.25 MB). Each thread has its own kernel, and a kernel never calls out while
  // using them, so sharing them between calls is safe.
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
  // The depth range of A packed for the current block, set by packB (returned through closure state to
  // keep the hot path free of allocation).
  let spanLo = 0;
  let spanHi = 0;

  function roundUp(v: number, step: number): number {
    return Math.ceil(v / step) * step;
  }

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

  /** Zeroes, in rows [rowLo, rowHi) of C, what each column writes for the panels with an empty depth range (their sum is 0). */
  function zeroEmptyPanels(m: number, c: Float64Array, cOff: number, ldc: number, jc: number, nc: number,
    rowEnd: ArrayLike<number> | null, rowLo: number, rowHi: number): void {
    for (let jr = 0, q = 0; jr < nc; jr += NR, q++) {
      if (panelLo[q] < panelHi[q]) continue;
      const w = Math.min(NR, nc - jr);
      for (let col = 0; col < w; col++) {
        const j = jc + jr + col;
        const r = Math.min(rowHi, rowEnd === null ? m : Math.min(m, rowEnd[j]));
        for (let i = rowLo, o = cOff + rowLo * ldc + j; i < r; i++, o += ldc) c[o] = 0;
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

  return function run(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate,
    depthStart, depthEnd, rowEnd, rowLo, rowHi, colLo, colHi): void {
    if (m === 0 || n === 0 || rowLo >= rowHi) return;
    for (let jc = colLo; jc < colHi; jc += NC) {
      const nc = Math.min(NC, colHi - jc);
      // Rows [rowLo, rows) are the ones any column of this block writes.
      const rows = Math.min(rowHi, setUpPanels(m, k, jc, nc, depthStart, depthEnd, rowEnd));
      // A panel that sums over nothing must still leave zeros in C when the product overwrites it.
      if (!accumulate) zeroEmptyPanels(m, c, cOff, ldc, jc, nc, rowEnd, rowLo, rowHi);
      if (rows <= rowLo) continue;
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        // packB leaves in spanLo/spanHi the union of the panels' depth ranges within [pc, pc + kc): the part of A to pack.
        if (!packB(b, bOff, ldb, transB, pc, kc, jc, nc, depthStart, depthEnd)) continue;
        const aLo = spanLo;
        const aHi = spanHi;
        for (let ic = rowLo; ic < rows; ic += MC) {
          const mc = Math.min(MC, rows - ic);
          packA(a, aOff, lda, transA, ic, mc, aLo, aHi - aLo);
          tiles(packedA, aLo, aHi - aLo, packedB, c, cOff, ldc, ic, mc, jc, nc, m, accumulate, rowEnd);
        }
      }
    }
  };
}
