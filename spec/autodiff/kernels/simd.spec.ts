// The WebAssembly SIMD kernels: the assembler's encodings, the emitted module, the backend switch, the JavaScript fallback, and SIMD products bit-identical to the JavaScript reference on every layout, staircase and odd size.
import {
  getGemmBackend, resolveGemmBackend, setGemmBackend, simdAvailable, withGemmBackend, type GemmBackend,
} from '../../../autodiff/kernels/config.js';
import { gemm, gemmProduct, gemmStaircase, type GemmOptions, type Staircase } from '../../../autodiff/kernels/gemm.js';
import { signedLeb, unsignedLeb } from '../../../autodiff/kernels/wasm/assembler.js';
import { microKernelBytes, microKernelModule, simdSupported } from '../../../autodiff/kernels/wasm/micro-kernel.js';
import type { Random } from '../../../lib/util/random.js';
import { seededRng } from '../../helpers/grad-check.js';

function randomArray(rng: Random, n: number): Float64Array {
  return rng.fillNormal(new Float64Array(n));
}

/** True when both arrays hold the same bits everywhere (NaN equal to NaN, +0 different from −0). */
function sameBits(p: Float64Array, q: Float64Array): boolean {
  return p.length === q.length && p.every((v, i) => Object.is(v, q[i]));
}

/** Runs `product` into a copy of `c0` with each backend; returns both results. */
function bothBackends(c0: Float64Array, product: (c: Float64Array) => void): Record<'js' | 'wasm-simd', Float64Array> {
  const run = (backend: GemmBackend): Float64Array => {
    const c = c0.slice();
    withGemmBackend(backend, () => product(c));
    return c;
  };
  return { js: run('js'), 'wasm-simd': run('wasm-simd') };
}

const layouts: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];
// Sizes around the 4×4 register block (0, 1-sized, below, at and past a multiple of 4) and past the packing blocks.
const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 17, 31];
const itSimd = simdAvailable() ? it : it.skip;

describe('the assembler', () => {
  it('encodes LEB128 as the WebAssembly specification does', () => {
    // 624485 = 0b100110_0001110_1100101 → 0xE5 0x8E 0x26 (the textbook example)
    expect(unsignedLeb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(unsignedLeb(0)).toEqual([0]);
    expect(unsignedLeb(127)).toEqual([0x7f]);
    expect(unsignedLeb(128)).toEqual([0x80, 0x01]);
    // −123456 → 0xC0 0xBB 0x78; −1 is one byte of sign bits; 64 needs a second byte (bit 6 would read as a sign)
    expect(signedLeb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(signedLeb(-1)).toEqual([0x7f]);
    expect(signedLeb(63)).toEqual([0x3f]);
    expect(signedLeb(64)).toEqual([0xc0, 0x00]);
    expect(() => unsignedLeb(-1)).toThrow(/unsignedLeb: 'value' must be an integer in \[0, 2³²\), got -1/);
    expect(() => signedLeb(2 ** 31)).toThrow(RangeError);
  });

  it('emits a module that starts with the magic and version, validates, and exports panel', () => {
    const bytes = microKernelBytes();
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(bytes.length).toBeLessThan(1024);
    if (!simdAvailable()) return;
    expect(WebAssembly.validate(bytes)).toBe(true);
    const module = microKernelModule();
    expect(module).not.toBeNull();
    expect(WebAssembly.Module.exports(module as WebAssembly.Module)).toEqual([{ name: 'panel', kind: 'function' }]);
  });

  it('simdSupported is false without WebAssembly, or when validate refuses or throws', () => {
    expect(simdSupported(null)).toBe(false);
    expect(simdSupported({ validate: () => false })).toBe(false);
    expect(simdSupported({ validate: () => { throw new Error('disabled'); } })).toBe(false);
    expect(simdSupported({ validate: () => true })).toBe(true);
  });
});

describe('the micro-kernel', () => {
  itSimd('computes two 4×4 tiles of a hand-made panel', () => {
    const memory = new WebAssembly.Memory({ initial: 21 });
    const { exports } = new WebAssembly.Instance(microKernelModule() as WebAssembly.Module, { env: { memory } });
    const panel = exports.panel as (a: number, b: number, steps: number, tiles: number, aStride: number, out: number) => void;
    const f64 = new Float64Array(memory.buffer);
    // B, 2 steps at byte 1024: B[0] = [1, 2, 3, 4], B[1] = [10, 20, 30, 40]
    f64.set([1, 2, 3, 4, 10, 20, 30, 40], 1024 / 8);
    // A tile 0 at byte 2048: A[0] = [1, 0, 2, -1], A[1] = [1, 1, 0, 0.5]; tile 1 (64 bytes on): A[0] = [0, 0, 0, 1], A[1] = [2, 0, 0, 0]
    f64.set([1, 0, 2, -1, 1, 1, 0, 0.5], 2048 / 8);
    f64.set([0, 0, 0, 1, 2, 0, 0, 0], 2112 / 8);
    panel(2048, 1024, 2, 2, 64, 0);
    // tile 0, row r: A[0][r]·B[0] + A[1][r]·B[1]
    expect(Array.from(f64.subarray(0, 16))).toEqual([
      11, 22, 33, 44, // 1·[1, 2, 3, 4] + 1·[10, 20, 30, 40]
      10, 20, 30, 40, // 0 + 1·B[1]
      2, 4, 6, 8, // 2·B[0] + 0
      4, 8, 12, 16, // −1·B[0] + 0.5·B[1] = [−1 + 5, −2 + 10, −3 + 15, −4 + 20]
    ]);
    // tile 1: row 0 is 2·B[1], row 3 is B[0], rows 1 and 2 are 0
    expect(Array.from(f64.subarray(16, 32))).toEqual([20, 40, 60, 80, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
  });
});

describe('the backend switch', () => {
  it("defaults to 'auto', which runs SIMD exactly where it is supported", () => {
    expect(getGemmBackend()).toBe('auto');
    expect(resolveGemmBackend()).toBe(simdAvailable() ? 'wasm-simd' : 'js');
    expect(resolveGemmBackend('js')).toBe('js');
  });

  it('setGemmBackend returns the previous setting; withGemmBackend restores it, also on a throw', () => {
    expect(setGemmBackend('js')).toBe('auto');
    expect(setGemmBackend('auto')).toBe('js');
    expect(() => withGemmBackend('js', () => {
      expect(getGemmBackend()).toBe('js');
      throw new Error('inside');
    })).toThrow('inside');
    expect(getGemmBackend()).toBe('auto');
  });

  it('rejects an unknown backend, in the setting and in a product, naming the argument', () => {
    expect(() => setGemmBackend('avx' as GemmBackend)).toThrow(TypeError);
    expect(() => setGemmBackend('avx' as GemmBackend)).toThrow(/setGemmBackend: 'next' is 'avx'; expected 'auto', 'js' or 'wasm-simd'/);
    const [a, c] = [new Float64Array(4), new Float64Array(4)];
    expect(() => gemmProduct({ m: 2, n: 2, k: 2, a, b: a, c, backend: 'gpu' as GemmBackend })).toThrow(/gemmProduct: 'backend' is 'gpu'/);
    expect(getGemmBackend()).toBe('auto');
  });

  it('without WebAssembly, auto runs the JavaScript kernels and wasm-simd is refused with the reason', () => {
    const saved = globalThis.WebAssembly;
    jest.isolateModules(() => {
      // A fresh copy of the kernels in an engine without WebAssembly.
      Object.defineProperty(globalThis, 'WebAssembly', { value: undefined, configurable: true, writable: true });
      try {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const config = require('../../../autodiff/kernels/config.js') as typeof import('../../../autodiff/kernels/config.js');
        const kernels = require('../../../autodiff/kernels/gemm.js') as typeof import('../../../autodiff/kernels/gemm.js');
        expect(config.simdAvailable()).toBe(false);
        expect(config.resolveGemmBackend()).toBe('js');
        expect(() => config.setGemmBackend('wasm-simd')).toThrow(/setGemmBackend: 'next' is 'wasm-simd', but this engine does not run WebAssembly 128-bit SIMD; use 'auto' or 'js'/);
        // [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]]
        const c = new Float64Array(4);
        kernels.gemm(2, 2, 2, Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), c);
        expect(Array.from(c)).toEqual([19, 22, 43, 50]);
      } finally {
        Object.defineProperty(globalThis, 'WebAssembly', { value: saved, configurable: true, writable: true });
      }
    });
    expect(globalThis.WebAssembly).toBe(saved);
  });
});

describe('SIMD against the JavaScript reference: the same bits', () => {
  itSimd('gemm on random odd shapes, every layout, accumulate on and off, offsets and strides', () => {
    const rng = seededRng('simd-gemm-random');
    const pick = (): number => sizes[Math.floor(rng.uniform() * sizes.length)];
    let checked = 0;
    for (let trial = 0; trial < 50; trial++) {
      const [m, n, k] = [pick(), pick(), pick()];
      const gap = trial % 3; // junk values after every row: ld = row length + gap
      for (const [transA, transB] of layouts) {
        for (const accumulate of [false, true]) {
          const [aRows, aCols] = transA ? [k, m] : [m, k];
          const [bRows, bCols] = transB ? [n, k] : [k, n];
          const options: GemmOptions = { transA, transB, accumulate, aOffset: 1, bOffset: 2, cOffset: 3, lda: aCols + gap, ldb: bCols + gap, ldc: n + gap };
          const a = randomArray(rng, 1 + aRows * (aCols + gap));
          const b = randomArray(rng, 2 + bRows * (bCols + gap));
          const r = bothBackends(randomArray(rng, 4 + m * (n + gap)), (c) => gemm(m, n, k, a, b, c, options));
          expect(sameBits(r['wasm-simd'], r.js)).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBe(400);
  });

  itSimd('gemm across the packing blocks (131 × 517 × 259: every block has an edge) and on the dense [256, 512]·[512, 512]', () => {
    const rng = seededRng('simd-gemm-blocks');
    for (const [m, n, k] of [[131, 517, 259], [256, 512, 512]]) {
      for (const [transA, transB] of m === 256 ? layouts.slice(0, 1) : layouts) {
        const [a, b] = [randomArray(rng, m * k), randomArray(rng, k * n)];
        const r = bothBackends(randomArray(rng, m * n), (c) => gemm(m, n, k, a, b, c, { transA, transB, accumulate: transA }));
        expect(sameBits(r['wasm-simd'], r.js)).toBe(true);
      }
    }
  });

  itSimd('gemmStaircase on random stairs, sorted and arbitrary, every kind of limit, layout and accumulate', () => {
    const rng = seededRng('simd-staircase-random');
    const pick = (): number => sizes[Math.floor(rng.uniform() * sizes.length)];
    const stairs = (n: number, top: number, sorted: boolean): Int32Array => {
      const v = Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * (top + 3))); // past the end: "to the end"
      return sorted ? v.sort() : v;
    };
    for (let trial = 0; trial < 56; trial++) {
      const [m, n, k] = trial < 49 ? [pick(), pick(), pick()] : [131, 517, 259];
      const which = 1 + (trial % 7); // bit 0 depthStart, bit 1 depthEnd, bit 2 rowEnd: every combination
      const sorted = trial % 2 === 0;
      const s: Staircase = {};
      if (which & 1) s.depthStart = stairs(n, k, sorted);
      if (which & 2) s.depthEnd = stairs(n, k, sorted);
      if (which & 4) s.rowEnd = stairs(n, m, sorted);
      // Small sizes on every layout; the large ones (past every block) on one layout each, to keep the spec fast.
      for (const [transA, transB] of trial < 49 ? layouts : [layouts[trial % 4]]) {
        for (const accumulate of trial < 49 ? [false, true] : [trial % 2 === 1]) {
          const [a, b] = [randomArray(rng, m * k), randomArray(rng, k * n)];
          const r = bothBackends(randomArray(rng, m * n), (c) => gemmStaircase(m, n, k, a, b, c, s, { transA, transB, accumulate }));
          expect(sameBits(r['wasm-simd'], r.js)).toBe(true);
        }
      }
    }
  });

  itSimd("maskedMatmul's three products on a sorted MADE staircase, with a bias: forward x·W, dx = dy·Wᵀ, dW = xᵀ·dy", () => {
    const rng = seededRng('simd-made-products');
    // [batch, fanIn]·[fanIn, fanOut] with fanOut not a multiple of 4; the stairs of a sorted MADE mask.
    const [batch, fanIn, fanOut] = [37, 66, 130];
    const rowEnd = Int32Array.from({ length: fanOut }, (_, j) => Math.floor(((j + 1) * fanIn) / fanOut));
    const colStart = Int32Array.from({ length: fanIn }, (_, i) => rowEnd.findIndex((r) => r > i) === -1 ? fanOut : rowEnd.findIndex((r) => r > i));
    const [x, w, dy, bias] = [randomArray(rng, batch * fanIn), randomArray(rng, fanIn * fanOut), randomArray(rng, batch * fanOut), randomArray(rng, fanOut)];
    const forward = bothBackends(new Float64Array(batch * fanOut), (c) => gemmProduct({ m: batch, n: fanOut, k: fanIn, a: x, b: w, c, stairs: { depthEnd: rowEnd }, bias }));
    const dx = bothBackends(randomArray(rng, batch * fanIn), (c) => gemmStaircase(batch, fanIn, fanOut, dy, w, c, { depthStart: colStart }, { transB: true, accumulate: true }));
    const dw = bothBackends(randomArray(rng, fanIn * fanOut), (c) => gemmStaircase(fanIn, fanOut, batch, x, dy, c, { rowEnd }, { transA: true, accumulate: true }));
    for (const r of [forward, dx, dw]) expect(sameBits(r['wasm-simd'], r.js)).toBe(true);
  });

  itSimd('non-finite inputs: infinities and NaN give the same values (padding never leaks into C)', () => {
    const rng = seededRng('simd-non-finite');
    const [m, n, k] = [9, 7, 5];
    const [a, b] = [randomArray(rng, m * k), randomArray(rng, k * n)];
    a[3] = Infinity;
    a[17] = -Infinity;
    b[6] = NaN;
    const r = bothBackends(randomArray(rng, m * n), (c) => gemm(m, n, k, a, b, c));
    expect(sameBits(r['wasm-simd'], r.js)).toBe(true);
    const c = new Float64Array(2);
    withGemmBackend('wasm-simd', () => gemm(1, 1, 1, Float64Array.of(Infinity), Float64Array.of(2), c));
    expect(Array.from(c)).toEqual([Infinity, 0]);
  });

  itSimd('a product can carry its own backend: the same bits as the setting', () => {
    const rng = seededRng('simd-override');
    const [a, b] = [randomArray(rng, 13 * 11), randomArray(rng, 11 * 6)];
    const [viaSetting, viaProduct] = [new Float64Array(13 * 6), new Float64Array(13 * 6)];
    withGemmBackend('js', () => gemm(13, 6, 11, a, b, viaSetting));
    withGemmBackend('js', () => gemmProduct({ m: 13, n: 6, k: 11, a, b, c: viaProduct, backend: 'wasm-simd' }));
    expect(sameBits(viaProduct, viaSetting)).toBe(true);
  });
});
