// Which kernel maskedMatmul runs, and how many threads the large products may use: process-wide switches, also for checking that neither changes training results.
import { nodeBuiltin } from '../../lib/util/node-builtin.js';
import { simdSupported } from './wasm/micro-kernel.js';

/**
 * The kernel behind `maskedMatmul` (autodiff/ops/masked-matmul.ts):
 *
 * - `'structured'` (default): rows and columns sorted by degree once per mask, so a MADE mask becomes a
 *   staircase and only its non-zero part is multiplied (`gemmStaircase`, kernels/gemm.ts), in the forward and both
 *   backward products; masks of any other pattern fall back to `'dense'`.
 * - `'dense'`: the whole product on `w ⊙ mask` with the register-blocked `gemm`, zeros included.
 * - `'reference'`: the plain loops of `maskedMatmulReference`, the definition (slow).
 *
 * All three give the same values and gradients up to rounding (the order of the sums differs).
 * The mode is read when the forward runs; its backward uses the same kernel.
 */
export type KernelMode = 'reference' | 'dense' | 'structured';

const MODES: readonly KernelMode[] = ['reference', 'dense', 'structured'];

let mode: KernelMode = 'structured';

/** The kernel `maskedMatmul` uses now; see {@link KernelMode}. */
export function getKernelMode(): KernelMode {
  return mode;
}

/**
 * Chooses the kernel of every later `maskedMatmul` call, process-wide.
 *
 * @param next - see {@link KernelMode}
 * @returns the previous mode, so a caller can restore it
 * @throws TypeError for a name other than `'reference'`, `'dense'` or `'structured'`
 *
 * @example
 * const before = setKernelMode('reference');
 * try { trainAndRecordLosses(); } finally { setKernelMode(before); }
 */
export function setKernelMode(next: KernelMode): KernelMode {
  if (!MODES.includes(next)) {
    throw new TypeError(`setKernelMode: unknown mode ${typeof next === 'string' ? `'${next}'` : String(next)}; expected 'reference', 'dense' or 'structured'`);
  }
  const previous = mode;
  mode = next;
  return previous;
}

/**
 * Runs `fn` with the kernel mode set to `next`, then restores the previous mode (also when `fn` throws).
 *
 * @returns what `fn` returns
 * @throws TypeError for an unknown mode (see {@link setKernelMode}); whatever `fn` throws
 *
 * @example
 * const losses = withKernelMode('reference', () => train(100)); // same seed ⇒ same curve as 'structured'
 */
export function withKernelMode<T>(next: KernelMode, fn: () => T): T {
  return withSetting(setKernelMode, next, fn);
}

/** Runs `fn` with a process-wide setting changed by `set` (which returns the previous value), then restores it, also when `fn` throws. */
function withSetting<S, T>(set: (next: S) => S, next: S, fn: () => T): T {
  const previous = set(next);
  try {
    return fn();
  } finally {
    set(previous);
  }
}

// ---- instructions ------------------------------------------------------------------------------

/**
 * The instructions behind every fast product (`gemm`, `gemmStaircase`, `matmul`, `maskedMatmul`'s
 * 'dense' and 'structured' modes, the one-pass sampler), on every thread:
 *
 * - `'auto'` (default): `'wasm-simd'` where this engine runs WebAssembly 128-bit SIMD, else `'js'`.
 * - `'wasm-simd'`: the 4×4 tiles in WebAssembly f64x2 (kernels/wasm/micro-kernel.ts), about 4× the
 *   JavaScript speed on a [256, 512]·[512, 512] product (docs/kernels.md).
 * - `'js'`: the plain JavaScript loop nest (kernels/gemm-kernel.ts), the readable reference.
 *
 * Both compute every entry by the same operations in the same order, so the results are identical
 * bit for bit whichever runs: switching changes speed only.
 */
export type GemmBackend = 'auto' | 'js' | 'wasm-simd';

const BACKENDS: readonly GemmBackend[] = ['auto', 'js', 'wasm-simd'];
let backend: GemmBackend = 'auto';
let simd: boolean | undefined;

/** Whether this engine runs WebAssembly 128-bit SIMD (checked once, by validating a tiny f64x2 module). */
export function simdAvailable(): boolean {
  if (simd === undefined) simd = simdSupported();
  return simd;
}

/** The backend setting now; see {@link GemmBackend}. */
export function getGemmBackend(): GemmBackend {
  return backend;
}

/** What a backend setting runs here: `'auto'` becomes `'wasm-simd'` or `'js'`. */
export function resolveGemmBackend(setting: GemmBackend = backend): 'js' | 'wasm-simd' {
  if (setting === 'auto') return simdAvailable() ? 'wasm-simd' : 'js';
  return setting;
}

/**
 * Throws unless `next` is a backend this engine can run (for {@link setGemmBackend} and a product's override).
 *
 * @param next - the backend asked for
 * @param name - the argument to name
 * @param where - the function to name in the message
 */
export function checkGemmBackend(next: GemmBackend, name: string, where: string): void {
  if (!BACKENDS.includes(next)) {
    throw new TypeError(`${where}: '${name}' is ${typeof next === 'string' ? `'${next}'` : String(next)}; expected 'auto', 'js' or 'wasm-simd'`);
  }
  if (next === 'wasm-simd' && !simdAvailable()) {
    throw new Error(`${where}: '${name}' is 'wasm-simd', but this engine does not run WebAssembly 128-bit SIMD; use 'auto' or 'js'`);
  }
}

/**
 * Chooses the instructions of every later product, process-wide (worker threads follow it per product).
 *
 * @param next - see {@link GemmBackend}
 * @returns the previous setting, so a caller can restore it
 * @throws TypeError for a name other than 'auto', 'js' or 'wasm-simd'; Error for 'wasm-simd' where SIMD is not available
 *
 * @example
 * const before = setGemmBackend('js'); // e.g. to time the JavaScript reference
 * try { runBenchmark(); } finally { setGemmBackend(before); }
 */
export function setGemmBackend(next: GemmBackend): GemmBackend {
  checkGemmBackend(next, 'next', 'setGemmBackend');
  const previous = backend;
  backend = next;
  return previous;
}

/**
 * Runs `fn` with the backend set to `next`, then restores the previous one (also when `fn` throws).
 *
 * @returns what `fn` returns
 * @throws as {@link setGemmBackend}; whatever `fn` throws
 */
export function withGemmBackend<T>(next: GemmBackend, fn: () => T): T {
  return withSetting(setGemmBackend, next, fn);
}

// ---- threads -----------------------------------------------------------------------------------

/** The most threads {@link setNumThreads} accepts (the calling thread and up to 31 workers). */
export const MAX_THREADS = 32;

// Node is where worker_threads exists; browsers (the demo page) run every product on the calling thread.
const inNode = typeof process === 'object' && process !== null && typeof process.versions === 'object' && typeof process.versions.node === 'string';

// Cores as node:os reports them (reached through getBuiltinModule, so a browser bundle never sees
// node:os); where it cannot be had, Node is assumed to have at least 2.
let cores: number | undefined;
if (inNode) {
  const os = nodeBuiltin<typeof import('node:os')>('node:os');
  if (os !== undefined) cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** MAFLOW_THREADS, when set to a whole number in [1, MAX_THREADS]; anything else is ignored with one warning. */
function threadsFromEnv(): number | undefined {
  const raw = inNode ? process.env.MAFLOW_THREADS : undefined;
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1 && n <= MAX_THREADS) return n;
  console.warn(`maflow: ignoring MAFLOW_THREADS='${raw}'; expected a whole number from 1 to ${MAX_THREADS}`);
  return undefined;
}

const envThreads = threadsFromEnv();
let threads: number | undefined; // set by setNumThreads; undefined = the default

/**
 * How many threads the large matrix products may use: the calling thread plus `getNumThreads() − 1`
 * workers from `node:worker_threads` (kernels/threads.ts). Each such product is split by whole rows
 * or columns of its output, so the result is bit-for-bit the single-threaded one.
 *
 * Default: the environment variable `MAFLOW_THREADS` when it holds a whole number from 1 to
 * {@link MAX_THREADS}; otherwise, in Node, 2 when `os.availableParallelism()` is at least 2 (until
 * `node:os` has loaded, one tick after this module, Node counts as having 2) and else 1; 1 outside Node.
 * Outside Node, or where a worker fails to start, products run on the calling thread whatever this says.
 *
 * @returns the number set by {@link setNumThreads}, or the default
 */
export function getNumThreads(): number {
  if (threads !== undefined) return threads;
  if (envThreads !== undefined) return envThreads;
  if (!inNode) return 1;
  return cores === undefined || cores >= 2 ? 2 : 1;
}

/**
 * Sets how many threads later large products may use, process-wide; 1 keeps every product on the
 * calling thread. Workers start in the background at the first product large enough to share (or
 * at `startThreads()`, kernels/threads.ts), so the products until they are up run single-threaded;
 * the results are the same either way, bit for bit.
 *
 * @param n - a whole number from 1 to {@link MAX_THREADS}
 * @returns the previous value of {@link getNumThreads}, so a caller can restore it
 * @throws TypeError when `n` is not a number; RangeError for any other number, naming it
 *
 * @example
 * const before = setNumThreads(1); // e.g. to time the single-threaded kernels
 * try { runBenchmark(); } finally { setNumThreads(before); }
 */
export function setNumThreads(n: number): number {
  if (typeof n !== 'number') throw new TypeError(`setNumThreads: 'n' must be a number, got ${n === null ? 'null' : typeof n}`);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`setNumThreads: 'n' must be a whole number from 1 to ${MAX_THREADS}, got ${n}`);
  }
  const previous = getNumThreads();
  threads = n;
  return previous;
}
