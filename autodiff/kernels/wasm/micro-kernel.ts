// The 4×4 micro-kernel of the loop nest in WebAssembly 128-bit SIMD (f64x2), emitted as bytes at run time, and the check that this engine runs it.
import { assembleModule, FunctionBody, I32, V128 } from './assembler.js';

/**
 * Pages of 64 KiB the kernel's memory needs: a 4096-byte tile strip, then the packed A block
 * (128·256 values) and the packed B block (256·512 values) of GemmLoopNest, 1.25 MiB in all.
 * The layout itself is SimdLoopNest's (kernels/simd-loop-nest.ts).
 */
export const KERNEL_PAGES = 21;

/**
 * The function `panel(a, b, steps, tiles, aStride, out)`, all i32 byte addresses or counts:
 *
 *   for t in 0 … tiles−1:   T_t[r][c] = Σ_{s < steps} A_t[s][r] · B[s][c]    (r, c in 0 … 3)
 *
 * where B[s] is the 4 doubles at `b + 32·s` (one step of a packed B panel), A_t[s] the 4 doubles at
 * `a + t·aStride + 32·s` (one step of the t-th packed A panel), and T_t is stored row-major,
 * 16 doubles at `out + 128·t`. This is exactly the tile loop of GemmLoopNest.tiles over one B panel
 * and a column of A panels; storing the tiles into C (overwrite or accumulate, edges, row limits)
 * stays in JavaScript, so every product of the loop nest (forward x·W, dx = dy·Wᵀ, dW = xᵀ·dy,
 * dense or staircase, accumulating or not) runs through this one function.
 *
 * Registers: the tile is 8 f64x2 accumulators, c[2r] = T[r][0..1] and c[2r+1] = T[r][2..3]. Each step
 * loads B[s] as two f64x2 (b01, b23), then for each row r loads A[s][r] into both lanes (a
 * load-and-splat) and adds a·b01 and a·b23 into the row's two accumulators: 6 loads, 8 multiplies
 * and 8 adds for 32 flops, nothing else in the inner loop but two pointer bumps and the test.
 *
 * Rounding: each lane computes `acc = acc + a·b` with the product and the sum each rounded (f64x2.mul
 * then f64x2.add; WebAssembly never fuses them), in the order s = 0, 1, …, from +0: the very
 * operations of the JavaScript tile loop (`c00 += a0 * b0`). So the SIMD kernel is bit-identical to
 * the JavaScript one, not merely close.
 */
function panelFunction(): FunctionBody {
  // Parameters 0–5.
  const [a, b, steps, tiles, aStride, out] = [0, 1, 2, 3, 4, 5];
  const f = new FunctionBody([I32, I32, I32, I32, I32, I32]);
  const x = f.local(I32); // address in the A panel
  const y = f.local(I32); // address in the B panel
  const end = f.local(I32); // one past the B panel's last step
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const b01 = f.local(V128);
  const b23 = f.local(V128);
  const aSplat = f.local(V128);

  // if (tiles === 0) return;   (block $done … end, br_if 0 jumps to its end)
  f.block().get(tiles).i32Eqz().brIf(0);
  // end = b + steps·32
  f.get(b).get(steps).i32Const(5).i32Shl().i32Add().set(end);
  f.loop(); // $tile: one 4×4 tile per turn
  {
    // The accumulators start at +0, as the JavaScript ones do.
    for (const c of acc) f.v128Zero().set(c);
    f.get(a).set(x).get(b).set(y);
    f.loop(); // $step: one step s of the depth; steps ≥ 1 (empty panels are skipped by the caller)
    {
      // b01 = B[s][0..1], b23 = B[s][2..3]
      f.get(y).v128Load(0).set(b01);
      f.get(y).v128Load(16).set(b23);
      for (let r = 0; r < 4; r++) {
        // aSplat = (A[s][r], A[s][r]); c[2r] += aSplat·b01; c[2r+1] += aSplat·b23
        f.get(x).v128Load64Splat(8 * r).set(aSplat);
        f.get(acc[2 * r]).get(aSplat).get(b01).f64x2Mul().f64x2Add().set(acc[2 * r]);
        f.get(acc[2 * r + 1]).get(aSplat).get(b23).f64x2Mul().f64x2Add().set(acc[2 * r + 1]);
      }
      // x += 32; y += 32; continue while y ≠ end
      f.get(x).i32Const(32).i32Add().set(x);
      f.get(y).i32Const(32).i32Add().set(y);
      f.get(y).get(end).i32Ne().brIf(0);
    }
    f.end();
    // The tile, row-major: row r's columns 0–1 at out + 32r, columns 2–3 at out + 32r + 16.
    acc.forEach((c, i) => f.get(out).get(c).v128Store(16 * i));
    // out += 128; a += aStride; tiles −= 1; next tile while tiles ≠ 0
    f.get(out).i32Const(128).i32Add().set(out);
    f.get(a).get(aStride).i32Add().set(a);
    f.get(tiles).i32Const(1).i32Sub().set(tiles);
    f.get(tiles).brIf(0);
  }
  f.end(); // $tile
  f.end(); // $done
  return f;
}

/** The bytes of the kernel module: imports `env.memory` (at least {@link KERNEL_PAGES} pages), exports `panel`. */
export function microKernelBytes(): Uint8Array<ArrayBuffer> {
  return assembleModule(KERNEL_PAGES, [{ name: 'panel', body: panelFunction() }]);
}

/** The smallest module using f64x2: one function `(v128) → ()` that adds a vector to itself. Validates only where SIMD is supported. */
function simdProbeBytes(): Uint8Array<ArrayBuffer> {
  const f = new FunctionBody([]);
  const v = f.local(V128);
  f.get(v).get(v).f64x2Add().set(v);
  return assembleModule(1, [{ name: 'probe', body: f }]);
}

/**
 * Whether `wasm` (by default this engine's `WebAssembly`) runs 128-bit SIMD: false where
 * WebAssembly is missing, disabled, or predates SIMD (Node < 16.4, Safari < 16.4).
 *
 * @param wasm - the WebAssembly namespace to ask; null means there is none
 */
export function simdSupported(wasm: Pick<typeof WebAssembly, 'validate'> | null = globalThis.WebAssembly ?? null): boolean {
  if (wasm === null || typeof wasm !== 'object' || typeof wasm.validate !== 'function') return false;
  try {
    return wasm.validate(simdProbeBytes());
  } catch {
    return false;
  }
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * The compiled kernel module, made on first use and kept; null where SIMD is not supported (then
 * the JavaScript loop nest runs). Compiling takes well under a millisecond: the module is ~300 bytes.
 */
export function microKernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) compiled = simdSupported() ? new WebAssembly.Module(microKernelBytes()) : null;
  return compiled;
}
