// What a worker thread runs, and the layout of the control block it shares with the calling thread.
//
// THE RULE OF THIS FILE: a worker is started from source text (`new Worker(workerSource(), { eval: true })`),
// not from a module file, so that it works the same from the TypeScript sources, the ESM and CJS
// bundles and Jest. `workerSource()` writes out, with `toString()`, exactly the functions and classes
// listed in `WORKER_PARTS` and nothing else. So inside each of them:
//
//   - reference only its own parameters, `this`, JavaScript's globals, and the other WORKER_PARTS
//     (workerMain calls selfTest and productFromControl). Never `class … extends` an imported class:
//     simdLoopNestClass takes its base class as a parameter for that reason; the kernels are handed
//     to workerMain as an argument;
//   - never an imported or module-level name (a constant, a helper, `LAYOUT`): such a name exists
//     on the calling thread only, and the worker would throw a ReferenceError at its first product.
//
// What a worker needs from outside arrives as data in `workerData` (see WorkerInit): the layout of
// the control block, the shared memory, and the bytes of the SIMD kernel when there is one.
// spec/autodiff/kernels/worker-program.spec.ts evaluates the parts in an empty scope (`new Function`)
// and checks that they multiply; the worker itself runs a self-test before it counts as ready.
import type * as WorkerThreads from 'node:worker_threads';
import { GemmLoopNest, type GemmKernel } from './gemm-kernel.js';
import { simdLoopNestClass } from './simd-loop-nest.js';
import type { GemmProduct } from './product.js';

/**
 * Indices into the control block: one Int32Array over a SharedArrayBuffer, read by every thread. The
 * worker gets these in its workerData (its source may not reference this module's names).
 */
export const LAYOUT = {
  /**
   * gen·65536 + front·256 + back: the job's generation (15 bits) and its unclaimed pieces [front, back).
   * The calling thread claims from the front, workers from the back; back = 0 closes the job.
   */
  WORD: 0,
  /** Pieces finished in the current job (by any thread). */
  DONE: 1,
  /** Generation of the data buffer; a worker that sees a new one reads it from its port. */
  EPOCH: 2,
  M: 3, N: 4, K: 5,
  /** Bits: 1 transA, 2 transB, 4 accumulate, 8 depthStart, 16 depthEnd, 32 rowEnd, 64 split by columns, 128 SIMD kernel. */
  FLAGS: 6,
  CHUNKS: 7,
  /** Offsets of A, B and C in the Float64 view of the data buffer, and of the stairs in its Int32 view. */
  A: 8, B: 9, C: 10, STAIRS: 11,
  /** Workers with an id below this take part in the current job. */
  HELPERS: 12,
  /** The workers' share: pieces from this one on have their operands in the data buffer. */
  SHARE: 13,
  /** Per worker: 0 starting, 1 ready, −1 failed or gone. */
  READY: 32,
  /** Piece t covers rows (or columns) [BOUNDS + t, BOUNDS + t + 1). */
  BOUNDS: 64,
  /**
   * Per piece: 0 done by the calling thread, 1 done by a worker with the JavaScript kernel and 3 with
   * the SIMD one (its result is in the data buffer's C), 2 failed in a worker.
   */
  STATUS: 384,
  SIZE: 1024,
} as const;

/** The control block's layout, as {@link LAYOUT} spells it. */
export type Layout = typeof LAYOUT;

/** What a worker receives in workerData. */
export interface WorkerInit {
  layout: Layout;
  control: SharedArrayBuffer;
  port: WorkerThreads.MessagePort;
  id: number;
  /** The bytes of the SIMD micro-kernel (kernels/wasm/micro-kernel.ts), or null where SIMD is not available: the worker compiles its own instance. */
  simd: Uint8Array | null;
}

/** A worker's kernels: the JavaScript loop nest, and the SIMD one when the calling thread sent its bytes. */
export interface WorkerKernels {
  js: GemmKernel;
  simd: GemmKernel | null;
}

/** How a worker reads its port and talks back: `receiveMessageOnPort` and `parentPort.postMessage`, passed in so the program stays testable. */
export interface WorkerIo {
  receive: (port: WorkerThreads.MessagePort) => { message: unknown } | undefined;
  post: (message: string) => void;
}

/**
 * A product the worker reads from the control block and data buffer: piece `t` of the current job.
 * The operands sit in the data buffer at their compact sizes (rows their own length apart).
 */
function productFromControl(ctrl: Int32Array, L: Layout, buffers: { f64: Float64Array; i32: Int32Array }, t: number): GemmProduct {
  const m = ctrl[L.M];
  const n = ctrl[L.N];
  const k = ctrl[L.K];
  const flags = ctrl[L.FLAGS];
  const transA = (flags & 1) !== 0;
  const transB = (flags & 2) !== 0;
  let at = ctrl[L.STAIRS];
  const take = (bit: number): Int32Array | null => {
    if ((flags & bit) === 0) return null;
    at += n;
    return buffers.i32.subarray(at - n, at);
  };
  const depthStart = take(8);
  const depthEnd = take(16);
  const rowEnd = take(32);
  const lo = ctrl[L.BOUNDS + t];
  const hi = ctrl[L.BOUNDS + t + 1];
  const byColumns = (flags & 64) !== 0;
  return {
    m, n, k,
    a: { data: buffers.f64, offset: ctrl[L.A], ld: transA ? m : k, transposed: transA },
    b: { data: buffers.f64, offset: ctrl[L.B], ld: transB ? k : n, transposed: transB },
    c: { data: buffers.f64, offset: ctrl[L.C], ld: n },
    accumulate: (flags & 4) !== 0,
    bias: null,
    stairs: { depthStart, depthEnd, rowEnd },
    region: byColumns ? { rowLo: 0, rowHi: m, colLo: lo, colHi: hi } : { rowLo: lo, rowHi: hi, colLo: 0, colHi: n },
  };
}

/**
 * Multiplies A·Aᵀ for A = [[1, 2, 3], [4, 5, 6]] with `kernel` and throws unless it gives
 * [[14, 32], [32, 77]]: a source that does not run in a worker (e.g. one instrumented for
 * coverage) must fail at start-up, before the worker counts as ready, not in the middle of a product.
 */
function selfTest(kernel: GemmKernel, id: number): void {
  const a = Float64Array.of(1, 2, 3, 4, 5, 6);
  const c = new Float64Array(4);
  kernel.run({
    m: 2, n: 2, k: 3,
    a: { data: a, offset: 0, ld: 3, transposed: false },
    b: { data: a, offset: 0, ld: 3, transposed: true },
    c: { data: c, offset: 0, ld: 2 },
    accumulate: false,
    bias: null,
    stairs: { depthStart: null, depthEnd: null, rowEnd: null },
    region: { rowLo: 0, rowHi: 2, colLo: 0, colHi: 2 },
  });
  if (c[0] !== 14 || c[1] !== 32 || c[2] !== 32 || c[3] !== 77) throw new Error(`maflow worker ${id}: self-test gave [${c}], expected [14,32,32,77]`);
}

/**
 * The worker's whole program: self-tests its kernel, then claims pieces of each job until none is
 * left, multiplies them into the data buffer's C, and sleeps in Atomics.wait between jobs.
 */
function workerMain(init: WorkerInit, kernels: WorkerKernels, io: WorkerIo): void {
  const L = init.layout;
  const ctrl = new Int32Array(init.control);
  const id = init.id;
  selfTest(kernels.js, id);
  if (kernels.simd !== null) selfTest(kernels.simd, id);
  Atomics.store(ctrl, L.READY + id, 1);
  io.post('ready');

  let epoch = -1;
  const buffers: { f64: Float64Array; i32: Int32Array } = { f64: new Float64Array(0), i32: new Int32Array(0) };
  let seen = -1;
  for (;;) {
    const word = Atomics.load(ctrl, L.WORD);
    const gen = word >>> 16;
    if (gen === seen) {
      // Products often come back to back (dx right after dw): look again for a few µs before sleeping.
      let spins = 0;
      while (spins < 2000 && Atomics.load(ctrl, L.WORD) === word) spins++;
      if (spins === 2000) Atomics.wait(ctrl, L.WORD, word);
      continue;
    }
    seen = gen;
    if (id >= ctrl[L.HELPERS]) continue;
    for (;;) {
      // Claim the last unclaimed piece, if it is in the workers' share (only those have their operands copied).
      const cur = Atomics.load(ctrl, L.WORD);
      const back = cur & 255;
      if (cur >>> 16 !== gen || back <= ((cur >>> 8) & 255) || back - 1 < ctrl[L.SHARE]) break;
      if (Atomics.compareExchange(ctrl, L.WORD, cur, cur - 1) !== cur) continue;
      // The job's parameters were written before it was published and stay put until every claimed piece is done.
      const t = back - 1;
      let status = 2;
      try {
        while (ctrl[L.EPOCH] !== epoch) {
          const got = io.receive(init.port);
          if (got === undefined) throw new Error(`maflow worker ${id}: data buffer ${ctrl[L.EPOCH]} never arrived`);
          const msg = got.message as { epoch: number; buffer: SharedArrayBuffer };
          if (msg.epoch !== ctrl[L.EPOCH]) continue;
          epoch = msg.epoch;
          buffers.f64 = new Float64Array(msg.buffer);
          buffers.i32 = new Int32Array(msg.buffer);
        }
        // The calling thread's choice of instructions (bit 128); the bits are the same either way.
        const kernel = (ctrl[L.FLAGS] & 128) !== 0 && kernels.simd !== null ? kernels.simd : kernels.js;
        kernel.run(productFromControl(ctrl, L, buffers, t));
        status = kernel === kernels.js ? 1 : 3;
      } catch {
        // status stays 2: the calling thread computes the piece itself and stops sharing.
      }
      ctrl[L.STATUS + t] = status;
      Atomics.add(ctrl, L.DONE, 1);
      Atomics.notify(ctrl, L.DONE);
    }
  }
}

/**
 * The functions and classes a worker's source is made of, under the names it declares them by. Each
 * obeys the rule in this file's header; the spec evaluates them together in an empty scope.
 */
export const WORKER_PARTS = { GemmLoopNest, simdLoopNestClass, productFromControl, selfTest, workerMain } as const;

/**
 * The declarations of {@link WORKER_PARTS}, one `const name = <source>;` each: valid in any scope that
 * has JavaScript's globals. Each is declared under its own `.name`, which is the name the other
 * parts call it by even where a bundler has renamed it.
 */
export function workerDeclarations(): string {
  return Object.values(WORKER_PARTS).map((part) => `const ${part.name} = ${part.toString()};`).join('\n');
}

/** The source of one worker: the parts, then its kernels (each thread compiles its own SIMD instance), then workerMain started on node:worker_threads' workerData. */
export function workerSource(): string {
  return `'use strict';
const { workerData, receiveMessageOnPort, parentPort } = require('node:worker_threads');
${workerDeclarations()}
const kernels = {
  js: new ${GemmLoopNest.name}(),
  simd: workerData.simd === null ? null : new (${simdLoopNestClass.name}(${GemmLoopNest.name}))(new WebAssembly.Module(workerData.simd)),
};
${workerMain.name}(workerData, kernels, { receive: receiveMessageOnPort, post: (message) => parentPort.postMessage(message) });
`;
}
