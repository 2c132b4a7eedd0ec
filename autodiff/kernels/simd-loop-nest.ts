// The loop nest of GemmLoopNest with its 4×4 tiles computed by the WebAssembly SIMD micro-kernel (kernels/wasm/micro-kernel.ts): same packing, same order of operations, same bits.
//
// THE RULE OF THIS FILE is that of kernels/gemm-kernel.ts: `simdLoopNestClass` is sent to the worker
// threads as its own source text (kernels/worker-program.ts), so inside it reference nothing but
// its parameters, `this`, and JavaScript's globals (WebAssembly included). Even the base class comes
// in as a parameter: `class … extends GemmLoopNest` on the imported name would compile to
// `extends import_gemm_kernel.GemmLoopNest` in a CommonJS build, a name the worker does not have.
import { GemmLoopNest, type GemmKernel } from './gemm-kernel.js';
import type { GemmProduct } from './product.js';

/** `panel(a, b, steps, tiles, aStride, out)` of the micro-kernel, on byte addresses in its memory. */
type PanelFunction = (a: number, b: number, steps: number, tiles: number, aStride: number, out: number) => void;

/** A loop nest multiplying with the SIMD micro-kernel, made from its compiled module. */
export type SimdLoopNestClass = new (module: WebAssembly.Module) => GemmKernel;

/**
 * The class of the SIMD loop nest, as a subclass of `Base` (always {@link GemmLoopNest}; a parameter
 * only so that this function's text is self-contained). See {@link SimdLoopNest}.
 *
 * @param Base - GemmLoopNest
 */
export function simdLoopNestClass(Base: typeof GemmLoopNest): SimdLoopNestClass {
  /**
   * {@link GemmLoopNest} whose packing buffers live in a WebAssembly memory and whose tiles are
   * computed there, 16 values of C per call of the micro-kernel's inner loop in 8 f64x2 registers.
   *
   * Where operands live: A and B are copied into the kernel's linear memory by the packing the loop
   * nest does anyway (the panel layout is what makes the inner loop contiguous), and each B panel's
   * column of tiles comes back through a 4 KiB strip that JavaScript stores into C (overwrite,
   * accumulate, edges and row limits exactly as GemmLoopNest does). So callers keep ordinary
   * Float64Arrays; docs/kernels.md measures what keeping tensors in wasm memory could save instead.
   *
   * Memory (one instance per thread, never grown, so the views below never detach):
   * bytes [0, 4096) the tile strip (up to 32 tiles of 16 doubles), [4096, 266240) packed A
   * (128·256 doubles), [266240, 1314816) packed B (256·512 doubles); 21 pages of 64 KiB.
   */
  return class SimdLoopNest extends Base {
    private readonly A_AT = 4096;
    private readonly B_AT = 4096 + 8 * 128 * 256;
    private readonly strip: Float64Array;
    private readonly panel: PanelFunction;

    /** @param module - the compiled micro-kernel, `microKernelModule()` (kernels/wasm/micro-kernel.ts) */
    constructor(module: WebAssembly.Module) {
      super();
      const memory = new WebAssembly.Memory({ initial: 21 });
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      this.panel = instance.exports.panel as PanelFunction;
      this.strip = new Float64Array(memory.buffer, 0, 512);
      // Full size from the start (the block sizes bound them), so the base class never grows them.
      this.packedA = new Float64Array(memory.buffer, this.A_AT, 128 * 256);
      this.packedB = new Float64Array(memory.buffer, this.B_AT, 256 * 512);
    }

    /** WebAssembly 128-bit SIMD. */
    override get backend(): 'js' | 'wasm-simd' {
      return 'wasm-simd';
    }

    /** Never called: the buffers were made at their largest size. */
    protected override grow(size: number): Float64Array {
      throw new Error(`SimdLoopNest: a packing buffer of ${size} values exceeds the block sizes`);
    }

    /**
     * GemmLoopNest.tiles with the sums in WebAssembly: for each B panel, one call computes the tiles
     * of every row panel of the block into the strip; then each tile is stored into C as the
     * JavaScript loop stores it.
     */
    protected override tiles(p: GemmProduct, accumulate: boolean, block: readonly number[], aLo: number, kcA: number): void {
      const [ic, mc, jc, nc] = block;
      const t = this.strip;
      const { data: c, offset: cOff, ld: ldc } = p.c;
      for (let jr = 0, q = 0; jr < nc; jr += 4, q++) {
        const s = this.blockStart[q];
        const steps = this.blockEnd[q] - s;
        const rowsHere = Math.min(mc, this.panelRowMax[q] - ic);
        if (steps <= 0 || rowsHere <= 0) continue;
        const w = Math.min(4, nc - jr);
        const add = accumulate || s > this.panelLo[q];
        const rowsFull = this.panelRowMin[q] - ic; // rows below this are kept by every column of the panel
        // Tile ir/4 reads packed A from ir·kcA + (s − aLo)·4 doubles on: 32·kcA bytes per tile.
        this.panel(this.A_AT + 32 * (s - aLo), this.B_AT + 8 * this.blockOffset[q], steps, Math.ceil(rowsHere / 4), 32 * kcA, 0);
        for (let ir = 0, at = 0; ir < rowsHere; ir += 4, at += 16) {
          let o = cOff + (ic + ir) * ldc + jc + jr;
          if (mc - ir >= 4 && w === 4 && ir + 4 <= rowsFull) {
            if (add) {
              c[o] += t[at]; c[o + 1] += t[at + 1]; c[o + 2] += t[at + 2]; c[o + 3] += t[at + 3]; o += ldc;
              c[o] += t[at + 4]; c[o + 1] += t[at + 5]; c[o + 2] += t[at + 6]; c[o + 3] += t[at + 7]; o += ldc;
              c[o] += t[at + 8]; c[o + 1] += t[at + 9]; c[o + 2] += t[at + 10]; c[o + 3] += t[at + 11]; o += ldc;
              c[o] += t[at + 12]; c[o + 1] += t[at + 13]; c[o + 2] += t[at + 14]; c[o + 3] += t[at + 15];
            } else {
              c[o] = t[at]; c[o + 1] = t[at + 1]; c[o + 2] = t[at + 2]; c[o + 3] = t[at + 3]; o += ldc;
              c[o] = t[at + 4]; c[o + 1] = t[at + 5]; c[o + 2] = t[at + 6]; c[o + 3] = t[at + 7]; o += ldc;
              c[o] = t[at + 8]; c[o + 1] = t[at + 9]; c[o + 2] = t[at + 10]; c[o + 3] = t[at + 11]; o += ldc;
              c[o] = t[at + 12]; c[o + 1] = t[at + 13]; c[o + 2] = t[at + 14]; c[o + 3] = t[at + 15];
            }
          } else {
            this.storeEdgeTile(p, add, t.subarray(at, at + 16), ic + ir, jc + jr, w);
          }
        }
      }
    }
  };
}

/**
 * {@link GemmLoopNest} whose packing buffers live in a WebAssembly memory and whose 4×4 tiles are computed
 * there by the micro-kernel (kernels/wasm/micro-kernel.ts); bit-identical to GemmLoopNest.
 */
export const SimdLoopNest: SimdLoopNestClass = simdLoopNestClass(GemmLoopNest);
