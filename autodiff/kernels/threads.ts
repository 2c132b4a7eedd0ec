// Large matrix products shared between the calling thread and worker threads (node:worker_threads), split by whole rows or columns so the result is bit-for-bit the single-threaded one.
import type * as WorkerThreads from 'node:worker_threads';
import { nodeBuiltin } from '../../lib/util/node-builtin.js';
import { getNumThreads } from './config.js';
import { createGemmKernel, type GemmKernel } from './gemm-kernel.js';

/**
 * Multiply-adds (effective: only those the staircase keeps) from which a product is shared between
 * threads. Below it, copying the operands into shared memory and waking a worker cost more than
 * they save. Measured with bench/matmul.ts on 2 cores (docs/benchmarks.md, "Speed").
 */
export const PARALLEL_MIN_WORK = 1_000_000;
let minWork = PARALLEL_MIN_WORK;

/**
 * Changes the size from which products are shared (for bench/matmul.ts's sweep, which times small
 * products on both threads to find where sharing pays).
 *
 * @param work - multiply-adds, ≥ 0
 * @returns the previous value
 * @throws RangeError for a negative or non-finite value
 */
export function setParallelMinWork(work: number): number {
  if (!(work >= 0 && Number.isFinite(work))) throw new RangeError(`setParallelMinWork: 'work' must be a finite number ≥ 0, got ${work}`);
  const previous = minWork;
  minWork = work;
  return previous;
}

/** Pieces per thread a shared product is cut into; threads claim pieces until none is left. */
const CHUNKS_PER_THREAD = 2;
/** Multiply-adds below which a piece costs more in re-packing than its finer balance gains. */
const MIN_PIECE_WORK = 1_000_000;

// ---- the control block -------------------------------------------------------------------------
// One Int32Array over a SharedArrayBuffer, read by every thread. The worker gets these indices in its
// workerData (its source may not reference this module), so they are written down only here.
const LAYOUT = {
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
  /** Bits: 1 transA, 2 transB, 4 accumulate, 8 depthStart, 16 depthEnd, 32 rowEnd, 64 split by columns. */
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
  /** Per piece: 0 done by the calling thread, 1 done by a worker (its result is in the data buffer's C), 2 failed in a worker. */
  STATUS: 384,
  SIZE: 1024,
} as const;
type Layout = typeof LAYOUT;
const MAX_CHUNKS = 250; // below 256 (a byte of WORD each for front and back), and BOUNDS/STATUS have room for it

/** What a worker receives in workerData. */
interface WorkerInit {
  layout: Layout;
  control: SharedArrayBuffer;
  port: WorkerThreads.MessagePort;
  id: number;
}

/**
 * The worker's whole program, turned into source with `toString()`: it may reference nothing
 * outside its own body (the layout arrives in `init`). Claims pieces of each job until none is
 * left, multiplies them into the data buffer's C, and sleeps in Atomics.wait between jobs.
 */
function workerMain(init: WorkerInit, kernel: GemmKernel, receive: (port: WorkerThreads.MessagePort) => { message: unknown } | undefined,
  post: (message: string) => void): void {
  const L = init.layout;
  const ctrl = new Int32Array(init.control);
  const id = init.id;
  // Self-test: a source that does not run here (e.g. one instrumented for coverage) must fail now,
  // before the worker counts as ready, not in the middle of a product.
  const a = Float64Array.of(1, 2, 3, 4, 5, 6); // [2, 3]
  const c = new Float64Array(4);
  kernel(2, 2, 3, a, 0, 3, false, a, 0, 3, true, c, 0, 2, false, null, null, null, 0, 2, 0, 2); // A·Aᵀ
  if (c[0] !== 14 || c[1] !== 32 || c[2] !== 32 || c[3] !== 77) throw new Error(`maflow worker ${id}: self-test gave [${c}], expected [14,32,32,77]`);
  Atomics.store(ctrl, L.READY + id, 1);
  post('ready');

  let epoch = -1;
  let f64: Float64Array = new Float64Array(0);
  let i32: Int32Array = new Int32Array(0);
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
      let status = 1;
      try {
        if (ctrl[L.EPOCH] !== epoch) {
          for (;;) {
            const got = receive(init.port);
            if (got === undefined) throw new Error(`maflow worker ${id}: data buffer ${ctrl[L.EPOCH]} never arrived`);
            const msg = got.message as { epoch: number; buffer: SharedArrayBuffer };
            if (msg.epoch !== ctrl[L.EPOCH]) continue;
            epoch = msg.epoch;
            f64 = new Float64Array(msg.buffer);
            i32 = new Int32Array(msg.buffer);
            break;
          }
        }
        const m = ctrl[L.M];
        const n = ctrl[L.N];
        const k = ctrl[L.K];
        const flags = ctrl[L.FLAGS];
        const transA = (flags & 1) !== 0;
        const transB = (flags & 2) !== 0;
        let at = ctrl[L.STAIRS];
        let depthStart: Int32Array | null = null;
        let depthEnd: Int32Array | null = null;
        let rowEnd: Int32Array | null = null;
        if ((flags & 8) !== 0) { depthStart = i32.subarray(at, at + n); at += n; }
        if ((flags & 16) !== 0) { depthEnd = i32.subarray(at, at + n); at += n; }
        if ((flags & 32) !== 0) rowEnd = i32.subarray(at, at + n);
        const lo = ctrl[L.BOUNDS + t];
        const hi = ctrl[L.BOUNDS + t + 1];
        const byColumns = (flags & 64) !== 0;
        kernel(m, n, k, f64, ctrl[L.A], transA ? m : k, transA, f64, ctrl[L.B], transB ? k : n, transB, f64, ctrl[L.C], n,
          (flags & 4) !== 0, depthStart, depthEnd, rowEnd, byColumns ? 0 : lo, byColumns ? m : hi, byColumns ? lo : 0, byColumns ? hi : n);
      } catch {
        status = 2;
      }
      ctrl[L.STATUS + t] = status;
      Atomics.add(ctrl, L.DONE, 1);
      Atomics.notify(ctrl, L.DONE);
    }
  }
}

/** The source of one worker: the kernel and workerMain, each from its own text. */
function workerSource(): string {
  return `'use strict';
const { workerData, receiveMessageOnPort, parentPort } = require('node:worker_threads');
const createGemmKernel = ${createGemmKernel.toString()};
const workerMain = ${workerMain.toString()};
workerMain(workerData, createGemmKernel(), receiveMessageOnPort, (message) => parentPort.postMessage(message));
`;
}

// ---- the pool, on the calling thread ----------------------------------------------------------

interface Slot {
  worker: WorkerThreads.Worker;
  port: WorkerThreads.MessagePort;
  /** Resolved once the worker is ready or gone. */
  settled: Promise<void>;
  /** Set by stopThreads, so that the exit it causes is not taken for a failure. */
  stopping: boolean;
}

interface Pool {
  control: Int32Array;
  slots: Slot[];
  data: SharedArrayBuffer;
  f64: Float64Array;
  i32: Int32Array;
  epoch: number;
  gen: number;
}

const inNode = typeof process === 'object' && process !== null && typeof process.versions === 'object' && typeof process.versions.node === 'string';
let workerThreads: typeof WorkerThreads | null = null;
let loading: Promise<typeof WorkerThreads | null> | null = null;
let pool: Pool | null = null;
let broken = false; // a worker failed: every later product stays on the calling thread
let warned = false;

/** Counters for specs and benchmarks: products shared so far, and pieces the workers computed. */
export interface ThreadStats {
  /** Products large enough to be split between the calling thread and the worker. */
  sharedProducts: number;
  /** Pieces of those products that the worker computed (the calling thread did the rest). */
  workerChunks: number;
}
const stats: ThreadStats = { sharedProducts: 0, workerChunks: 0 };

/** A copy of the counters; see {@link ThreadStats}. */
export function threadStats(): ThreadStats {
  return { ...stats };
}

/** Stops sharing products for the rest of the process, saying why once. */
function giveUp(reason: string): void {
  broken = true;
  if (!warned) {
    warned = true;
    console.warn(`maflow: worker threads disabled (${reason}); large products run on the calling thread`);
  }
}

/** Starts loading node:worker_threads (once); resolves with it, or null where it cannot load. */
function load(): Promise<typeof WorkerThreads | null> {
  if (loading === null) {
    loading = !inNode || typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object'
      ? Promise.resolve(null)
      : Promise.resolve().then(() => {
        // Through getBuiltinModule, not import(): a browser bundle of maflow must not see node:worker_threads.
        workerThreads = nodeBuiltin<typeof WorkerThreads>('node:worker_threads') ?? null;
        return workerThreads;
      });
  }
  return loading;
}

/** The pool with at least `helpers` workers started (they may not be ready yet), or null before node:worker_threads has loaded. */
function poolWith(helpers: number): Pool | null {
  if (workerThreads === null || broken) return null;
  if (pool === null) {
    const data = new SharedArrayBuffer(8 * 1024);
    pool = {
      control: new Int32Array(new SharedArrayBuffer(4 * LAYOUT.SIZE)),
      slots: [],
      data,
      f64: new Float64Array(data),
      i32: new Int32Array(data),
      epoch: 0,
      gen: 0,
    };
    pool.control[LAYOUT.EPOCH] = 0;
  }
  while (pool.slots.length < helpers) pool.slots.push(spawn(workerThreads, pool, pool.slots.length));
  return pool;
}

function spawn(wt: typeof WorkerThreads, p: Pool, id: number): Slot {
  const { port1, port2 } = new wt.MessageChannel();
  const init: WorkerInit = { layout: LAYOUT, control: p.control.buffer as SharedArrayBuffer, port: port2, id };
  Atomics.store(p.control, LAYOUT.READY + id, 0);
  const worker = new wt.Worker(workerSource(), { eval: true, workerData: init, transferList: [port2], name: `maflow-gemm-${id}` });
  port1.postMessage({ epoch: p.epoch, buffer: p.data });
  let settle = (): void => {};
  const slot: Slot = { worker, port: port1, settled: new Promise<void>((resolve) => { settle = resolve; }), stopping: false };
  worker.on('message', () => settle());
  worker.on('error', (err: Error) => {
    Atomics.store(p.control, LAYOUT.READY + id, -1);
    giveUp(`worker ${id}: ${err.message}`);
    settle();
  });
  worker.on('exit', (code: number) => {
    Atomics.store(p.control, LAYOUT.READY + id, -1);
    if (!slot.stopping) giveUp(`worker ${id} exited with code ${code}`);
    settle();
  });
  // The worker sleeps between products; it must never keep the process alive. After the listeners,
  // since a 'message' listener references the worker's port again.
  worker.unref();
  port1.unref();
  return slot;
}

/**
 * Starts the worker threads now instead of at the first large product, and waits until they are
 * ready. Products that run before the workers are up run on the calling thread (with the same
 * result), so a program that times products, or that never yields to the event loop (a plain
 * synchronous training loop), should await this first.
 *
 * @returns the number of threads large products will use: 1 + the workers ready (1 outside Node, or
 *   with `setNumThreads(1)`)
 *
 * @example
 * await startThreads(); // then time a training step with both cores
 */
export async function startThreads(): Promise<number> {
  const helpers = getNumThreads() - 1;
  if (helpers < 1) return 1;
  if ((await load()) === null) return 1;
  const p = poolWith(helpers);
  if (p === null) return 1;
  // Hold the process open while waiting: an unreferenced worker alone would let it exit first.
  const waiting = p.slots.slice(0, helpers);
  for (const s of waiting) s.worker.ref();
  try {
    await Promise.all(waiting.map((s) => s.settled));
  } finally {
    for (const s of waiting) s.worker.unref();
  }
  return 1 + readyHelpers(p, helpers);
}

/**
 * Stops the workers (they restart at the next large product or {@link startThreads}). Not needed
 * for a process to exit, since idle workers never hold it open; useful to free their memory.
 *
 * @returns once every worker has exited
 */
export async function stopThreads(): Promise<void> {
  const p = pool;
  pool = null;
  if (p === null) return;
  for (const s of p.slots) s.stopping = true;
  await Promise.all(p.slots.map((s) => s.worker.terminate()));
}

function readyHelpers(p: Pool, helpers: number): number {
  let ready = 0;
  for (let id = 0; id < helpers && id < p.slots.length; id++) if (Atomics.load(p.control, LAYOUT.READY + id) === 1) ready++;
  return ready;
}

// Per-row work of a row split (reused).
let rowWork = new Float64Array(0);

/**
 * Runs `C (+)= op(A)·op(B)` (with optional stairs; arguments as the kernel's, validated by the
 * caller) on the calling thread and the ready workers, when it is large enough and threads are
 * allowed; returns false, having done nothing, otherwise (the caller then runs it alone).
 *
 * C is cut into pieces of whole rows, or of whole columns at multiples of 4 (along its longer
 * side, so that the operand every piece needs whole is the smaller one), balanced by the
 * multiply-adds the stairs keep. The last pieces are the workers' share: only their part of the
 * operands is copied into shared memory (all of the smaller operand, the share's rows or columns of
 * the other, and of C when accumulating or with row limits). The calling thread claims pieces from
 * the front and computes them in place; workers claim from the back, within their share, and their
 * results are copied back. A worker that is slow to wake or busy takes fewer pieces and the calling
 * thread the rest, so nothing waits on a worker that has not started one. Every entry of C is
 * computed by the same operations as in the unsplit product (see GemmKernel), so the result is
 * identical bit for bit.
 */
export function parallelGemm(kernel: GemmKernel, m: number, n: number, k: number,
  a: Float64Array, aOff: number, lda: number, transA: boolean,
  b: Float64Array, bOff: number, ldb: number, transB: boolean,
  c: Float64Array, cOff: number, ldc: number, accumulate: boolean,
  depthStart: ArrayLike<number> | null, depthEnd: ArrayLike<number> | null, rowEnd: ArrayLike<number> | null): boolean {
  if (broken || m === 0 || n === 0 || k === 0) return false;
  const threads = getNumThreads();
  if (threads < 2) return false;
  // Effective multiply-adds, column by column: rows written × depth summed (at most m·n·k).
  let work = m * n * k;
  if (work < minWork) return false;
  if (depthStart !== null || depthEnd !== null || rowEnd !== null) {
    work = 0;
    for (let j = 0; j < n; j++) work += rowsOf(rowEnd, j, m) * depthOf(depthStart, depthEnd, j, k);
    if (work < minWork) return false;
  }
  if (workerThreads === null) {
    void load();
    return false;
  }
  const p = poolWith(threads - 1);
  if (p === null) return false;
  const helpers = readyHelpers(p, threads - 1);
  if (helpers === 0) return false;

  const L = LAYOUT;
  const ctrl = p.control;
  const byColumns = n > m;
  // Smaller products get fewer pieces: every piece re-packs the operand it needs whole.
  const pieces = Math.max(helpers + 1, Math.min((helpers + 1) * CHUNKS_PER_THREAD, Math.floor(work / MIN_PIECE_WORK)));
  const chunks = Math.min(MAX_CHUNKS, pieces, byColumns ? Math.ceil(n / 4) : m);
  if (chunks < 2) return false;
  if (byColumns) columnBounds(ctrl, chunks, n, m, k, work, depthStart, depthEnd, rowEnd);
  else rowBounds(ctrl, chunks, n, m, k, work, depthStart, depthEnd, rowEnd);
  // The workers' share: the last helpers/(helpers + 1) of the pieces, rows or columns [from, end).
  const share = chunks - Math.max(1, Math.round((chunks * helpers) / (helpers + 1)));
  const from = ctrl[L.BOUNDS + share];

  // The data buffer holds A, B and C at their full compact sizes (rows their own length apart), then
  // the stairs; only the parts the workers' share reads are filled.
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const aAt = 0;
  const bAt = aRows * aCols;
  const cAt = bAt + bRows * bCols;
  const f64Size = cAt + m * n;
  const stairsCount = (depthStart === null ? 0 : 1) + (depthEnd === null ? 0 : 1) + (rowEnd === null ? 0 : 1);
  ensureData(p, f64Size + Math.ceil((stairsCount * n) / 2) + 1);
  const f64 = p.f64;
  const i32 = p.i32;
  // The workers' rows of op(A) (row split) or columns of op(B) (column split); all of the other operand.
  if (byColumns) {
    copyMatrix(a, aOff, lda, aRows, aCols, f64, aAt, aCols);
    if (transB) copyMatrix(b, bOff + from * ldb, ldb, n - from, k, f64, bAt + from * k, k);
    else copyMatrix(b, bOff + from, ldb, k, n - from, f64, bAt + from, n);
  } else {
    if (transA) copyMatrix(a, aOff + from, lda, k, m - from, f64, aAt + from, m);
    else copyMatrix(a, aOff + from * lda, lda, m - from, k, f64, aAt + from * k, k);
    copyMatrix(b, bOff, ldb, bRows, bCols, f64, bAt, bCols);
  }
  // Without accumulation or row limits the workers overwrite every entry of their pieces; otherwise C comes in too.
  const cIn = accumulate || rowEnd !== null;
  if (cIn) {
    if (byColumns) copyMatrix(c, cOff + from, ldc, m, n - from, f64, cAt + from, n);
    else copyMatrix(c, cOff + from * ldc, ldc, m - from, n, f64, cAt + from * n, n);
  }
  const stairsAt = 2 * f64Size;
  let at = stairsAt;
  // Limits past the end mean "to the end": clamped so that they fit in 32 bits.
  if (depthStart !== null) for (let j = 0; j < n; j++) i32[at++] = Math.min(k, depthStart[j]);
  if (depthEnd !== null) for (let j = 0; j < n; j++) i32[at++] = Math.min(k, depthEnd[j]);
  if (rowEnd !== null) for (let j = 0; j < n; j++) i32[at++] = Math.min(m, rowEnd[j]);

  ctrl[L.M] = m;
  ctrl[L.N] = n;
  ctrl[L.K] = k;
  ctrl[L.FLAGS] = (transA ? 1 : 0) | (transB ? 2 : 0) | (accumulate ? 4 : 0) | (depthStart !== null ? 8 : 0)
    | (depthEnd !== null ? 16 : 0) | (rowEnd !== null ? 32 : 0) | (byColumns ? 64 : 0);
  ctrl[L.CHUNKS] = chunks;
  ctrl[L.SHARE] = share;
  ctrl[L.A] = aAt;
  ctrl[L.B] = bAt;
  ctrl[L.C] = cAt;
  ctrl[L.STAIRS] = stairsAt;
  ctrl[L.HELPERS] = threads - 1;
  for (let t = 0; t < chunks; t++) ctrl[L.STATUS + t] = 0;
  Atomics.store(ctrl, L.DONE, 0);
  p.gen = (p.gen + 1) & 0x7fff;
  const gen = p.gen;
  Atomics.store(ctrl, L.WORD, (gen << 16) | chunks);
  Atomics.notify(ctrl, L.WORD);

  // The calling thread claims pieces from the front, and computes them in place.
  for (;;) {
    const cur = Atomics.load(ctrl, L.WORD);
    const t = (cur >>> 8) & 255;
    if (t >= (cur & 255)) break;
    if (Atomics.compareExchange(ctrl, L.WORD, cur, cur + 256) !== cur) continue;
    const lo = ctrl[L.BOUNDS + t];
    const hi = ctrl[L.BOUNDS + t + 1];
    kernel(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate, depthStart, depthEnd, rowEnd,
      byColumns ? 0 : lo, byColumns ? m : hi, byColumns ? lo : 0, byColumns ? hi : n);
    Atomics.add(ctrl, L.DONE, 1);
  }
  // Wait for the pieces the workers hold: spin briefly (they are usually nearly done), then sleep.
  for (let spins = 0; ;) {
    const done = Atomics.load(ctrl, L.DONE);
    if (done >= chunks) break;
    if (++spins > 2000) Atomics.wait(ctrl, L.DONE, done);
  }
  Atomics.store(ctrl, L.WORD, gen << 16); // closed: nothing left to claim

  stats.sharedProducts++;
  let failed = false;
  for (let t = share; t < chunks; t++) {
    const status = ctrl[L.STATUS + t];
    if (status === 0) continue;
    const lo = ctrl[L.BOUNDS + t];
    const hi = ctrl[L.BOUNDS + t + 1];
    if (status === 1) {
      stats.workerChunks++;
      if (byColumns) copyMatrix(f64, cAt + lo, n, m, hi - lo, c, cOff + lo, ldc);
      else copyMatrix(f64, cAt + lo * n, n, hi - lo, n, c, cOff + lo * ldc, ldc);
    } else {
      // A worker threw: its piece of C was left alone, so compute it here and stop sharing.
      kernel(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate, depthStart, depthEnd, rowEnd,
        byColumns ? 0 : lo, byColumns ? m : hi, byColumns ? lo : 0, byColumns ? hi : n);
      failed = true;
    }
  }
  if (failed) giveUp('a worker failed in a product');
  return true;
}

function rowsOf(rowEnd: ArrayLike<number> | null, j: number, m: number): number {
  return rowEnd === null ? m : Math.min(m, rowEnd[j]);
}

function depthOf(depthStart: ArrayLike<number> | null, depthEnd: ArrayLike<number> | null, j: number, k: number): number {
  const start = depthStart === null ? 0 : Math.min(k, depthStart[j]);
  const end = depthEnd === null ? k : Math.min(k, depthEnd[j]);
  return end > start ? end - start : 0;
}

/** Column pieces at multiples of 4 (whole panels), each holding about work/chunks multiply-adds. */
function columnBounds(ctrl: Int32Array, chunks: number, n: number, m: number, k: number, work: number,
  depthStart: ArrayLike<number> | null, depthEnd: ArrayLike<number> | null, rowEnd: ArrayLike<number> | null): void {
  ctrl[LAYOUT.BOUNDS] = 0;
  let t = 1;
  let sum = 0;
  for (let j = 0; j < n && t < chunks; j++) {
    sum += rowsOf(rowEnd, j, m) * depthOf(depthStart, depthEnd, j, k);
    if ((j + 1) % 4 === 0 && sum >= (t * work) / chunks) ctrl[LAYOUT.BOUNDS + t++] = j + 1;
  }
  while (t <= chunks) ctrl[LAYOUT.BOUNDS + t++] = n;
}

/** Row pieces at multiples of 4 (whole tiles), each holding about work/chunks multiply-adds. */
function rowBounds(ctrl: Int32Array, chunks: number, n: number, m: number, k: number, work: number,
  depthStart: ArrayLike<number> | null, depthEnd: ArrayLike<number> | null, rowEnd: ArrayLike<number> | null): void {
  // Row i does Σ_j [i < rows_j]·depth_j multiply-adds: a difference array over the rows.
  if (rowWork.length < m + 1) rowWork = new Float64Array(m + 1);
  const w = rowWork;
  w.fill(0, 0, m + 1);
  for (let j = 0; j < n; j++) {
    const d = depthOf(depthStart, depthEnd, j, k);
    w[0] += d;
    w[rowsOf(rowEnd, j, m)] -= d;
  }
  ctrl[LAYOUT.BOUNDS] = 0;
  let t = 1;
  let sum = 0;
  let perRow = 0;
  for (let i = 0; i < m && t < chunks; i++) {
    perRow += w[i];
    sum += perRow;
    if ((i + 1) % 4 === 0 && sum >= (t * work) / chunks) ctrl[LAYOUT.BOUNDS + t++] = i + 1;
  }
  while (t <= chunks) ctrl[LAYOUT.BOUNDS + t++] = m;
}

/** dst[dAt + i·ldd + j] = src[sAt + i·lds + j] for a rows × cols matrix. */
function copyMatrix(src: Float64Array, sAt: number, lds: number, rows: number, cols: number, dst: Float64Array, dAt: number, ldd: number): void {
  if (lds === cols && ldd === cols) {
    dst.set(src.subarray(sAt, sAt + rows * cols), dAt);
    return;
  }
  for (let i = 0; i < rows; i++) dst.set(src.subarray(sAt + i * lds, sAt + i * lds + cols), dAt + i * ldd);
}

/** Grows the shared data buffer to hold `doubles` values, handing the new buffer to every worker before the next job. */
function ensureData(p: Pool, doubles: number): void {
  if (p.f64.length >= doubles) return;
  const data = new SharedArrayBuffer(8 * Math.ceil(doubles * 1.25));
  p.data = data;
  p.f64 = new Float64Array(data);
  p.i32 = new Int32Array(data);
  p.epoch = (p.epoch + 1) | 0;
  for (const s of p.slots) s.port.postMessage({ epoch: p.epoch, buffer: data });
  p.control[LAYOUT.EPOCH] = p.epoch;
}
