// Row updates z += a0·w0 + … + a3·w3 in WebAssembly 128-bit SIMD (f64x2), emitted as bytes at run time, for the one-pass sampler's push (flows/made/one-pass-sampler.ts): same operations in the same order as its JavaScript loop, so the same bits.
import { assembleModule, F64, FunctionBody, I32, V128, type ValueType } from './assembler.js';
import { simdSupported } from './micro-kernel.js';

/**
 * The function `axpy<k>(z, w0, …, w(k−1), a0, …, a(k−1), len)` (k = 1, 2 or 4; z and w byte
 * addresses, the a's f64, len a count of doubles):
 *
 *   for j in 0 … len−1:   z[j] = z[j] + (((a0·w0[j] + a1·w1[j]) + a2·w2[j]) + a3·w3[j])
 *
 * which is JavaScript's `z[j] += a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j]` (a sum is
 * evaluated left to right, and `x += e` is `x = x + e`). Two j per turn in f64x2 lanes, each lane
 * rounding every product and sum as the scalar does (WebAssembly never fuses a multiply-add), then
 * the odd last j in f64 scalars by the same expression. Addresses need no alignment.
 */
function axpyFunction(k: 1 | 2 | 4): FunctionBody {
  // Parameters: z, w[0 … k−1] (i32), a[0 … k−1] (f64), len (i32).
  const z = 0;
  const w = Array.from({ length: k }, (_, i) => 1 + i);
  const a = Array.from({ length: k }, (_, i) => 1 + k + i);
  const len = 1 + 2 * k;
  const f = new FunctionBody([I32, ...w.map((): ValueType => I32), ...a.map((): ValueType => F64), I32]);
  const splat = a.map(() => f.local(V128)); // (a_i, a_i)
  const pairsEnd = f.local(I32); // z + 8·(len with its low bit cleared): one past the last pair
  const end = f.local(I32); // z + 8·len

  // splat_i = (a_i, a_i)
  a.forEach((ai, i) => f.get(ai).f64x2Splat().set(splat[i]));
  // end = z + len·8;  pairsEnd = z + (len & ~1)·8
  f.get(z).get(len).i32Const(3).i32Shl().i32Add().set(end);
  f.get(z).get(len).i32Const(-2).i32And().i32Const(3).i32Shl().i32Add().set(pairsEnd);

  f.block(); // $pairs
  {
    // if (z ≥ pairsEnd) skip the loop (fewer than two j)
    f.get(z).get(pairsEnd).i32GeU().brIf(0);
    f.loop(); // $pair: j and j + 1
    {
      // acc = splat_0·w0[j..j+1], then acc = acc + splat_i·w_i[j..j+1] for i = 1 … k−1
      f.get(splat[0]).get(w[0]).v128Load(0).f64x2Mul();
      for (let i = 1; i < k; i++) f.get(splat[i]).get(w[i]).v128Load(0).f64x2Mul().f64x2Add();
      // z[j..j+1] = z[j..j+1] + acc   (the sum on the stack is the second operand, as in `z + e`)
      const acc = f.local(V128);
      f.set(acc).get(z).get(z).v128Load(0).get(acc).f64x2Add().v128Store(0);
      // z += 16; w_i += 16; continue while z ≠ pairsEnd
      f.get(z).i32Const(16).i32Add().set(z);
      for (const wi of w) f.get(wi).i32Const(16).i32Add().set(wi);
      f.get(z).get(pairsEnd).i32Ne().brIf(0);
    }
    f.end(); // $pair
  }
  f.end(); // $pairs

  f.block(); // $tail: the last j when len is odd
  {
    // if (z ≥ end) return
    f.get(z).get(end).i32GeU().brIf(0);
    // acc = a0·w0[j] (+ a_i·w_i[j] for i = 1 … k−1), in f64 scalars; z[j] = z[j] + acc
    f.get(a[0]).get(w[0]).f64Load(0).f64Mul();
    for (let i = 1; i < k; i++) f.get(a[i]).get(w[i]).f64Load(0).f64Mul().f64Add();
    const acc = f.local(F64);
    f.set(acc).get(z).get(z).f64Load(0).get(acc).f64Add().f64Store(0);
  }
  f.end(); // $tail
  return f;
}

/** The bytes of the module: imports `env.memory` (at least 1 page), exports `axpy4`, `axpy2` and `axpy1`. */
export function axpyKernelBytes(): Uint8Array<ArrayBuffer> {
  return assembleModule(1, [
    { name: 'axpy4', body: axpyFunction(4) },
    { name: 'axpy2', body: axpyFunction(2) },
    { name: 'axpy1', body: axpyFunction(1) },
  ]);
}

/** `axpy4(z, w0, w1, w2, w3, a0, a1, a2, a3, len)`, byte addresses in the kernel's memory. */
export type Axpy4 = (z: number, w0: number, w1: number, w2: number, w3: number, a0: number, a1: number, a2: number, a3: number, len: number) => void;
/** `axpy2(z, w0, w1, a0, a1, len)`. */
export type Axpy2 = (z: number, w0: number, w1: number, a0: number, a1: number, len: number) => void;
/** `axpy1(z, w0, a0, len)`. */
export type Axpy1 = (z: number, w0: number, a0: number, len: number) => void;

/**
 * One instance of the module with its own growable memory. Float64Array views of `memory.buffer`
 * detach when it grows, so a user takes views only after its last {@link AxpyKernel.reserve}.
 */
export class AxpyKernel {
  readonly memory: WebAssembly.Memory;
  readonly axpy4: Axpy4;
  readonly axpy2: Axpy2;
  readonly axpy1: Axpy1;
  /** Set while a caller holds views of the memory (then nobody else may grow it). */
  busy = false;

  constructor(module: WebAssembly.Module) {
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports;
    this.axpy4 = exports.axpy4 as Axpy4;
    this.axpy2 = exports.axpy2 as Axpy2;
    this.axpy1 = exports.axpy1 as Axpy1;
  }

  /** Grows the memory to at least `bytes` bytes (views taken before then detach). */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }
}

let kernel: AxpyKernel | null | undefined;

/** The shared instance, made on first use; null where SIMD is not supported. */
export function axpyKernel(): AxpyKernel | null {
  if (kernel === undefined) kernel = simdSupported() ? new AxpyKernel(new WebAssembly.Module(axpyKernelBytes())) : null;
  return kernel;
}
