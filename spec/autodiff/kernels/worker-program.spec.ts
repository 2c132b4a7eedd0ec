// The worker's program is self-contained: its parts, rebuilt from their source text in an empty scope, multiply as the imported ones do, and a worker started from workerSource() alone gets ready.
import { MessageChannel, Worker } from 'node:worker_threads';
import { GemmLoopNest, type GemmKernel } from '../../../autodiff/kernels/gemm-kernel.js';
import { microKernelBytes, microKernelModule } from '../../../autodiff/kernels/wasm/micro-kernel.js';
import type { GemmProduct } from '../../../autodiff/kernels/product.js';
import { LAYOUT, WORKER_PARTS, workerDeclarations, workerSource, type WorkerInit } from '../../../autodiff/kernels/worker-program.js';
import { seededRng } from '../../helpers/grad-check.js';

/** The parts, declared from their text inside a function whose only outer scope is the global one. */
function partsFromSource(): {
  GemmLoopNest: new () => GemmKernel;
  simdLoopNestClass: (base: typeof GemmLoopNest) => new (module: WebAssembly.Module) => GemmKernel;
  selfTest: (kernel: GemmKernel, id: number) => void;
} {
  const names = Object.values(WORKER_PARTS).map((part) => part.name);
  return new Function(`${workerDeclarations()}\nreturn { ${names.join(', ')} };`)();
}

/** True when both arrays hold the same bits everywhere (NaN equal to NaN, +0 different from −0). */
function sameBits(p: Float64Array, q: Float64Array): boolean {
  return p.length === q.length && p.every((v, i) => Object.is(v, q[i]));
}

describe('worker program', () => {
  it('declares every part under the name the others call it by', () => {
    expect(Object.keys(WORKER_PARTS)).toEqual(Object.values(WORKER_PARTS).map((part) => part.name));
  });

  it.each(['js', 'wasm-simd'])('rebuilt from source in an empty scope, the %s kernel passes the self-test and multiplies bit for bit as the imported JavaScript one', (backend) => {
    const parts = partsFromSource();
    const module = microKernelModule();
    if (backend === 'wasm-simd' && module === null) return; // no SIMD here: the JavaScript case covers the program
    const kernel = module !== null && backend === 'wasm-simd' ? new (parts.simdLoopNestClass(parts.GemmLoopNest as typeof GemmLoopNest))(module) : new parts.GemmLoopNest();
    expect(kernel.backend).toBe(backend);
    expect(() => parts.selfTest(kernel, 0)).not.toThrow();
    // Every path of the loop nest: transposed operands, all three limits, edge tiles, several blocks, a bias.
    const rng = seededRng('worker-program-source');
    const [m, n, k] = [133, 523, 261];
    const draw = (size: number): Float64Array => rng.fillNormal(new Float64Array(size));
    const stairs = (top: number): Int32Array => Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * (top + 1))).sort();
    const [a, b, c0, bias] = [draw(m * k), draw(k * n), draw(m * n), draw(n)];
    for (const accumulate of [false, true]) {
      const limits = { depthStart: stairs(k >> 1), depthEnd: stairs(k), rowEnd: stairs(m) };
      const make = (c: Float64Array): GemmProduct => ({
        m, n, k,
        a: { data: a, offset: 0, ld: m, transposed: true },
        b: { data: b, offset: 0, ld: k, transposed: true },
        c: { data: c, offset: 0, ld: n },
        accumulate,
        bias,
        stairs: limits,
        region: { rowLo: 0, rowHi: m, colLo: 0, colHi: n },
      });
      const [fromSource, imported] = [c0.slice(), c0.slice()];
      kernel.run(make(fromSource));
      new GemmLoopNest().run(make(imported));
      expect(sameBits(fromSource, imported)).toBe(true);
    }
  });

  it.each([true, false])('a worker started from workerSource() alone passes its self-tests and reports ready (SIMD bytes sent: %s)', async (withSimd) => {
    const control = new SharedArrayBuffer(4 * LAYOUT.SIZE);
    const { port1, port2 } = new MessageChannel();
    const simd = withSimd && microKernelModule() !== null ? microKernelBytes() : null;
    const init: WorkerInit = { layout: LAYOUT, control, port: port2, id: 0, simd };
    const worker = new Worker(workerSource(), { eval: true, workerData: init, transferList: [port2] });
    try {
      const message = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(message).toBe('ready');
      expect(new Int32Array(control)[LAYOUT.READY]).toBe(1);
    } finally {
      port1.close();
      await worker.terminate();
    }
  });
});
