// Large matrix products shared between the calling thread and worker threads (node:worker_threads), split by whole rows or columns so the result is bit-for-bit the single-threaded one.
import type * as WorkerThreads from 'node:worker_threads';
import { nodeBuiltin } from '../../lib/util/node-builtin.js';
import { getNumThreads, simdAvailable } from './config.js';
import type { GemmKernel } from './gemm-kernel.js';
import { depthOf, keptWork, rowsOf, subProduct, type GemmProduct, type StoredMatrix } from './product.js';
import { microKernelBytes } from './wasm/micro-kernel.js';
import { LAYOUT, workerSource, type WorkerInit } from './worker-program.js';

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

const MAX_CHUNKS = 250; // below 256 (a byte of the control word each for front and back); LAYOUT.BOUNDS/STATUS have room for it

/** Pieces per thread a shared product is cut into; threads claim pieces until none is left. */
const CHUNKS_PER_THREAD = 2;
/** Multiply-adds below which a piece costs more in re-packing than its finer balance gains. */
const MIN_PIECE_WORK = 1_000_000;

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
  /** Of those pieces, the ones the worker computed with the WebAssembly SIMD kernel. */
  workerSimdChunks: number;
}
const stats: ThreadStats = { sharedProducts: 0, workerChunks: 0, workerSimdChunks: 0 };

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
  // Each worker compiles the SIMD kernel from its bytes into its own instance and memory (its packing
  // buffers are its own anyway); sharing one WebAssembly.Memory would save only those 1.25 MB.
  const simd = simdAvailable() ? microKernelBytes() : null;
  const init: WorkerInit = { layout: LAYOUT, control: p.control.buffer as SharedArrayBuffer, port: port2, id, simd };
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

/** How a shared product is cut: along rows or columns of C, into `chunks` pieces, the last ones from `share` on for the workers. */
interface Split {
  byColumns: boolean;
  chunks: number;
  share: number;
  /** First row (or column) of the workers' share. */
  from: number;
}

/**
 * Runs a validated product on the calling thread and the ready workers, when it is large enough and
 * threads are allowed; returns false, having done nothing, otherwise (the caller then runs it alone).
 *
 * C is cut into pieces of whole rows, or of whole columns at multiples of 4 (along its longer
 * side, so that the operand every piece needs whole is the smaller one), balanced by the
 * multiply-adds the stairs keep. The last pieces are the workers' share: only their part of the
 * operands is copied into shared memory (all of the smaller operand, the share's rows or columns of
 * the other, and of C when accumulating or with row limits). The calling thread claims pieces from
 * the front and computes them in place; workers claim from the back, within their share, and their
 * results are copied back. A worker that is slow to wake or busy takes fewer pieces and the calling
 * thread the rest, so nothing waits on a worker that has not started one. Every piece is the same
 * product with a smaller `region` ({@link subProduct}), and every entry of C is computed by the same
 * operations as in the unsplit product (see GemmLoopNest), so the result is identical bit for bit.
 */
export function parallelGemm(kernel: GemmKernel, product: GemmProduct): boolean {
  const { m, n, k } = product;
  if (broken || m === 0 || n === 0 || k === 0) return false;
  const threads = getNumThreads();
  if (threads < 2 || m * n * k < minWork) return false;
  // Effective multiply-adds: rows written × depth summed, column by column (at most m·n·k).
  const work = keptWork(product);
  if (work < minWork) return false;
  if (workerThreads === null) {
    void load();
    return false;
  }
  const p = poolWith(threads - 1);
  if (p === null) return false;
  const helpers = readyHelpers(p, threads - 1);
  if (helpers === 0) return false;
  const split = planSplit(p.control, product, work, helpers);
  if (split === null) return false;

  // A bias is C's starting value. Where every row is written, the workers' share of C starts as the
  // bias rows in the shared buffer (nothing of C is read or copied in) and the workers accumulate onto
  // them, while the calling thread's pieces take the bias themselves. With row limits, the bias is
  // written into C once here, and C comes in like any accumulated product.
  const biasRows = !product.accumulate && product.bias !== null && product.stairs.rowEnd === null ? product.bias : null;
  const shared = product.accumulate || product.bias === null ? product
    : biasRows !== null ? { ...product, accumulate: true, bias: null } : startFromBias(product);
  const own = biasRows !== null ? product : shared;
  shareOperands(p, shared, split, biasRows);
  const gen = publish(p, shared, split, threads - 1, kernel.backend === 'wasm-simd');
  claimFromFront(p.control, kernel, own, split);
  waitForWorkers(p.control, split.chunks);
  Atomics.store(p.control, LAYOUT.WORD, gen << 16); // closed: nothing left to claim
  stats.sharedProducts++;
  collect(p, kernel, own, split);
  return true;
}

/** Chooses the pieces (their bounds into the control block) and the workers' share; null when the product is too thin to cut. */
function planSplit(ctrl: Int32Array, product: GemmProduct, work: number, helpers: number): Split | null {
  const { m, n } = product;
  const byColumns = n > m;
  // Smaller products get fewer pieces: every piece re-packs the operand it needs whole.
  const pieces = Math.max(helpers + 1, Math.min((helpers + 1) * CHUNKS_PER_THREAD, Math.floor(work / MIN_PIECE_WORK)));
  const chunks = Math.min(MAX_CHUNKS, pieces, byColumns ? Math.ceil(n / 4) : m);
  if (chunks < 2) return null;
  if (byColumns) columnBounds(ctrl, chunks, product, work);
  else rowBounds(ctrl, chunks, product, work);
  // The workers' share: the last helpers/(helpers + 1) of the pieces, rows or columns [from, end).
  const share = chunks - Math.max(1, Math.round((chunks * helpers) / (helpers + 1)));
  return { byColumns, chunks, share, from: ctrl[LAYOUT.BOUNDS + share] };
}

/** C[i][j] = bias[j] in the rows each column writes; returns the product as one that accumulates onto it. */
function startFromBias(product: GemmProduct): GemmProduct {
  const { c, m, n } = product;
  const bias = product.bias as Float64Array;
  // Row by row, so the writes run along memory (column by column, each write jumps c.ld doubles).
  if (product.stairs.rowEnd === null) {
    for (let i = 0, o = c.offset; i < m; i++, o += c.ld) c.data.set(bias.subarray(0, n), o);
  } else {
    const rows = Array.from({ length: n }, (_, j) => rowsOf(product, j));
    for (let i = 0, o = c.offset; i < m; i++, o += c.ld) {
      for (let j = 0; j < n; j++) if (i < rows[j]) c.data[o + j] = bias[j];
    }
  }
  return { ...product, accumulate: true, bias: null };
}

/**
 * Copies into the data buffer what the workers' share reads: the workers' rows of op(A) (row split)
 * or columns of op(B) (column split), all of the other operand, C's share when it is read (accumulating
 * or row limits) or else, given `biasRows`, that share filled with the bias rows, then the stairs.
 * Everything at compact sizes (rows their own length apart).
 */
function shareOperands(p: Pool, product: GemmProduct, split: Split, biasRows: Float64Array | null): void {
  const { m, n, k, a, b, c, stairs } = product;
  const { byColumns, from } = split;
  const [aRows, aCols] = a.transposed ? [k, m] : [m, k];
  const [bRows, bCols] = b.transposed ? [n, k] : [k, n];
  const aAt = 0;
  const bAt = aRows * aCols;
  const cAt = bAt + bRows * bCols;
  const f64Size = cAt + m * n;
  const stairsCount = (stairs.depthStart === null ? 0 : 1) + (stairs.depthEnd === null ? 0 : 1) + (stairs.rowEnd === null ? 0 : 1);
  ensureData(p, f64Size + Math.ceil((stairsCount * n) / 2) + 1);
  const at = (offset: number, ld: number): StoredMatrix => ({ data: p.f64, offset, ld });
  const shift = (x: StoredMatrix, offset: number): StoredMatrix => ({ data: x.data, offset: x.offset + offset, ld: x.ld });
  if (byColumns) {
    copyMatrix(a, at(aAt, aCols), aRows, aCols);
    if (b.transposed) copyMatrix(shift(b, from * b.ld), at(bAt + from * k, k), n - from, k);
    else copyMatrix(shift(b, from), at(bAt + from, n), k, n - from);
  } else {
    if (a.transposed) copyMatrix(shift(a, from), at(aAt + from, m), k, m - from);
    else copyMatrix(shift(a, from * a.ld), at(aAt + from * k, k), m - from, k);
    copyMatrix(b, at(bAt, bCols), bRows, bCols);
  }
  // Without accumulation or row limits the workers overwrite every entry of their pieces; otherwise C comes in too.
  if (biasRows !== null) {
    const [rowLo, colLo] = byColumns ? [0, from] : [from, 0];
    const row = biasRows.subarray(colLo, n);
    for (let i = rowLo; i < m; i++) p.f64.set(row, cAt + i * n + colLo);
  } else if (product.accumulate || stairs.rowEnd !== null) {
    if (byColumns) copyMatrix(shift(c, from), at(cAt + from, n), m, n - from);
    else copyMatrix(shift(c, from * c.ld), at(cAt + from * n, n), m - from, n);
  }
  const ctrl = p.control;
  ctrl[LAYOUT.A] = aAt;
  ctrl[LAYOUT.B] = bAt;
  ctrl[LAYOUT.C] = cAt;
  ctrl[LAYOUT.STAIRS] = 2 * f64Size;
  // Limits past the end mean "to the end": clamped so that they fit in 32 bits.
  let s = 2 * f64Size;
  const i32 = p.i32;
  if (stairs.depthStart !== null) for (let j = 0; j < n; j++) i32[s++] = Math.min(k, stairs.depthStart[j]);
  if (stairs.depthEnd !== null) for (let j = 0; j < n; j++) i32[s++] = Math.min(k, stairs.depthEnd[j]);
  if (stairs.rowEnd !== null) for (let j = 0; j < n; j++) i32[s++] = Math.min(m, stairs.rowEnd[j]);
}

/** Writes the job's sizes and flags into the control block and wakes the workers; returns its generation. */
function publish(p: Pool, product: GemmProduct, split: Split, helpers: number, simd: boolean): number {
  const L = LAYOUT;
  const ctrl = p.control;
  const { stairs } = product;
  ctrl[L.M] = product.m;
  ctrl[L.N] = product.n;
  ctrl[L.K] = product.k;
  ctrl[L.FLAGS] = (product.a.transposed ? 1 : 0) | (product.b.transposed ? 2 : 0) | (product.accumulate ? 4 : 0)
    | (stairs.depthStart !== null ? 8 : 0) | (stairs.depthEnd !== null ? 16 : 0) | (stairs.rowEnd !== null ? 32 : 0) | (split.byColumns ? 64 : 0) | (simd ? 128 : 0);
  ctrl[L.CHUNKS] = split.chunks;
  ctrl[L.SHARE] = split.share;
  ctrl[L.HELPERS] = helpers;
  for (let t = 0; t < split.chunks; t++) ctrl[L.STATUS + t] = 0;
  Atomics.store(ctrl, L.DONE, 0);
  p.gen = (p.gen + 1) & 0x7fff;
  Atomics.store(ctrl, L.WORD, (p.gen << 16) | split.chunks);
  Atomics.notify(ctrl, L.WORD);
  return p.gen;
}

/** Piece t of a split product: the same product over rows (or columns) [BOUNDS + t, BOUNDS + t + 1). */
function piece(ctrl: Int32Array, product: GemmProduct, split: Split, t: number): GemmProduct {
  const lo = ctrl[LAYOUT.BOUNDS + t];
  const hi = ctrl[LAYOUT.BOUNDS + t + 1];
  return subProduct(product, split.byColumns
    ? { rowLo: 0, rowHi: product.m, colLo: lo, colHi: hi }
    : { rowLo: lo, rowHi: hi, colLo: 0, colHi: product.n });
}

/** The calling thread claims pieces from the front, and computes them in place. */
function claimFromFront(ctrl: Int32Array, kernel: GemmKernel, product: GemmProduct, split: Split): void {
  for (;;) {
    const cur = Atomics.load(ctrl, LAYOUT.WORD);
    const t = (cur >>> 8) & 255;
    if (t >= (cur & 255)) break;
    if (Atomics.compareExchange(ctrl, LAYOUT.WORD, cur, cur + 256) !== cur) continue;
    kernel.run(piece(ctrl, product, split, t));
    Atomics.add(ctrl, LAYOUT.DONE, 1);
  }
}

/** Waits for the pieces the workers hold: spins briefly (they are usually nearly done), then sleeps. */
function waitForWorkers(ctrl: Int32Array, chunks: number): void {
  for (let spins = 0; ;) {
    const done = Atomics.load(ctrl, LAYOUT.DONE);
    if (done >= chunks) break;
    if (++spins > 2000) Atomics.wait(ctrl, LAYOUT.DONE, done);
  }
}

/** Copies the workers' pieces of C back; a piece a worker failed is computed here, and sharing stops. */
function collect(p: Pool, kernel: GemmKernel, product: GemmProduct, split: Split): void {
  const ctrl = p.control;
  const { m, n, c } = product;
  const cAt = ctrl[LAYOUT.C];
  let failed = false;
  for (let t = split.share; t < split.chunks; t++) {
    const status = ctrl[LAYOUT.STATUS + t];
    if (status === 0) continue;
    const lo = ctrl[LAYOUT.BOUNDS + t];
    const hi = ctrl[LAYOUT.BOUNDS + t + 1];
    if (status === 1 || status === 3) {
      stats.workerChunks++;
      if (status === 3) stats.workerSimdChunks++;
      if (split.byColumns) copyMatrix({ data: p.f64, offset: cAt + lo, ld: n }, { data: c.data, offset: c.offset + lo, ld: c.ld }, m, hi - lo);
      else copyMatrix({ data: p.f64, offset: cAt + lo * n, ld: n }, { data: c.data, offset: c.offset + lo * c.ld, ld: c.ld }, hi - lo, n);
    } else {
      // A worker threw: its piece of C was left alone, so compute it here.
      kernel.run(piece(ctrl, product, split, t));
      failed = true;
    }
  }
  if (failed) giveUp('a worker failed in a product');
}

/** Column pieces at multiples of 4 (whole panels), each holding about work/chunks multiply-adds. */
function columnBounds(ctrl: Int32Array, chunks: number, product: GemmProduct, work: number): void {
  const n = product.n;
  ctrl[LAYOUT.BOUNDS] = 0;
  let t = 1;
  let sum = 0;
  for (let j = 0; j < n && t < chunks; j++) {
    sum += rowsOf(product, j) * depthOf(product, j);
    if ((j + 1) % 4 === 0 && sum >= (t * work) / chunks) ctrl[LAYOUT.BOUNDS + t++] = j + 1;
  }
  while (t <= chunks) ctrl[LAYOUT.BOUNDS + t++] = n;
}

/** Row pieces at multiples of 4 (whole tiles), each holding about work/chunks multiply-adds. */
function rowBounds(ctrl: Int32Array, chunks: number, product: GemmProduct, work: number): void {
  const { m, n } = product;
  // Row i does Σ_j [i < rows_j]·depth_j multiply-adds: a difference array over the rows.
  if (rowWork.length < m + 1) rowWork = new Float64Array(m + 1);
  const w = rowWork;
  w.fill(0, 0, m + 1);
  for (let j = 0; j < n; j++) {
    const d = depthOf(product, j);
    w[0] += d;
    w[rowsOf(product, j)] -= d;
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

/** to[i][j] = from[i][j] for a rows × cols matrix. */
function copyMatrix(from: StoredMatrix, to: StoredMatrix, rows: number, cols: number): void {
  const { data: src, offset: sAt, ld: lds } = from;
  const { data: dst, offset: dAt, ld: ldd } = to;
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
