// Benchmark of the matrix-multiply kernels and maskedMatmul on MADE masks, JavaScript against WebAssembly SIMD, on 1 and 2 threads: prints GFLOP/s per case and writes JSON.
// Usage: node scripts/run-ts.mjs bench/matmul.ts [--json FILE] [--quick]
//   (npm run bench -- --json FILE; default FILE out/bench-matmul.json; --quick times only the [256×512]·[512×512]
//   products and MADE configs ii and iv, skipping the other sizes, the naive loop, the threshold sweep and the 'dense' masked kernel)
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { dirname } from 'node:path';
import { setNumThreads, simdAvailable, withGemmBackend, withKernelMode, type KernelMode } from '../autodiff/kernels/config.js';
import { gemm, gemmReference, gemmStaircase } from '../autodiff/kernels/gemm.js';
import { PARALLEL_MIN_WORK, setParallelMinWork, startThreads } from '../autodiff/kernels/threads.js';
import { maskedMatmul } from '../autodiff/ops/masked-matmul.js';
import { Tensor } from '../autodiff/tensor.js';
import type { InputOrder } from '../flows/made/degrees.js';
import { makeMasks } from '../flows/made/masks.js';
import { Random } from '../lib/util/random.js';

/** The instructions a case runs on (setGemmBackend, kernels/config.ts). */
type Backend = 'js' | 'wasm-simd';

/** One timed product of gemm. Every case is a layer x [m, k] · w [k, n], so sizes read the same across cases. */
interface BenchCase {
  name: string;
  backend: Backend;
  m: number;
  k: number;
  n: number;
  threads: number;
  gflops: number;
  ms: number;
}

// Layer sizes [batch, fanIn] · [fanIn, fanOut]: a small MADE layer, a wide hidden layer, an MNIST-sized input layer.
const SIZES: Array<[number, number, number]> = [
  [256, 64, 512],
  [256, 512, 512],
  [100, 784, 1024],
];
const THREADS = [1, 2] as const;
const BUDGET_MS = 800; // timed repeats per case stop after about this long (the machine is shared: keep runs short)
const MIN_REPEATS = 3;
const MAX_REPEATS = 25;

function parseArgs(argv: string[]): { json: string; quick: boolean } {
  let json = 'out/bench-matmul.json';
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') {
      const file = argv[++i];
      if (file === undefined) throw new Error("bench/matmul: '--json' needs a file name");
      json = file;
    } else if (argv[i] === '--quick') {
      quick = true;
    } else {
      throw new Error(`bench/matmul: unknown argument '${argv[i]}' (usage: bench/matmul.ts [--json FILE] [--quick])`);
    }
  }
  return { json, quick };
}

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Median wall time of `run` in ms, after two warm-up calls (so V8 has optimised the kernel).
 * `setup`, when given, runs before each call outside the timing.
 */
function timeIt(run: () => void, setup: () => void = () => {}, budgetMs = BUDGET_MS): number {
  for (let w = 0; w < 2; w++) {
    setup();
    run();
  }
  const times: number[] = [];
  const start = nowMs();
  while (times.length < MIN_REPEATS || (times.length < MAX_REPEATS && nowMs() - start < budgetMs)) {
    setup();
    const t0 = nowMs();
    run();
    times.push(nowMs() - t0);
  }
  times.sort((p, q) => p - q);
  const mid = times.length >> 1;
  return times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

/** Times `run` with each thread count; returns ms per count. */
function timeThreads(run: () => void, setup?: () => void, budgetMs?: number): Record<number, number> {
  const ms: Record<number, number> = {};
  for (const t of THREADS) {
    const before = setNumThreads(t);
    try {
      ms[t] = timeIt(run, setup, budgetMs);
    } finally {
      setNumThreads(before);
    }
  }
  return ms;
}

function randomArray(rng: Random, size: number): Float64Array {
  return rng.fillNormal(new Float64Array(size));
}

/** One timed product of maskedMatmul on a MADE mask. */
interface MaskedCase {
  name: string;
  mode: KernelMode;
  backend: Backend;
  threads: number;
  product: 'forward' | 'dx' | 'dw';
  batch: number;
  fanIn: number;
  fanOut: number;
  nnz: number;
  /** Effective rate: 2·batch·nnz(mask) flops (kept multiply-adds only) over the median time. */
  gflops: number;
  ms: number;
}

/** A MADE network shape whose layers are benchmarked: the issue's configs ii (D 64) and iv (D 784). */
interface MadeConfig {
  label: string;
  eventSize: number;
  hiddenUnits: number[];
  batch: number;
  inputOrder: InputOrder;
}

const MADE_CONFIGS: MadeConfig[] = [
  { label: 'ii', eventSize: 64, hiddenUnits: [512, 512], batch: 256, inputOrder: 'left-to-right' },
  // Config iii alternates the order: its reversed layers need the row/column permutations.
  { label: 'iii-rev', eventSize: 64, hiddenUnits: [512, 512], batch: 256, inputOrder: 'right-to-left' },
  { label: 'iv', eventSize: 784, hiddenUnits: [1024], batch: 100, inputOrder: 'left-to-right' },
];
const PARAMS = 2; // shift and logScale per dimension, as in a MAF layer

/**
 * Times forward, dx and dw of one masked layer in one kernel mode and thread count. The backward
 * products are timed apart by letting only x (for dx) or only w (for dw) require a gradient; the
 * forward that records the graph runs untimed before each repeat.
 */
function timeMaskedLayer(mode: KernelMode, threads: number, rng: Random, batch: number, mask: Tensor): Record<'forward' | 'dx' | 'dw', number> {
  const [fanIn, fanOut] = mask.shape;
  const x = new Tensor(randomArray(rng, batch * fanIn), [batch, fanIn]);
  const w = new Tensor(randomArray(rng, fanIn * fanOut), [fanIn, fanOut]);
  const bias = new Tensor(randomArray(rng, fanOut), [fanOut]);
  const gradient = new Tensor(randomArray(rng, batch * fanOut), [batch, fanOut]);
  const before = setNumThreads(threads);
  try {
    // The backward runs the kernel its forward chose, so only the forwards need the mode.
    const forwardOnce = (): Tensor => withKernelMode(mode, () => maskedMatmul(x, w, mask, bias));
    const backwardOf = (leaf: Tensor): number => {
      leaf.requiresGrad = true;
      let out = forwardOnce();
      const fresh = (): void => {
        leaf.zeroGrad();
        out = forwardOnce();
      };
      // Includes Tensor.backward's own work (seeding dy, allocating the gradient), as a training step pays it.
      const ms = timeIt(() => out.backward(gradient), fresh);
      leaf.requiresGrad = false;
      leaf.zeroGrad();
      return ms;
    };
    return { forward: timeIt(forwardOnce), dx: backwardOf(x), dw: backwardOf(w) };
  } finally {
    setNumThreads(before);
  }
}

function fmtMs(ms: number): string {
  return `${ms.toFixed(2).padStart(7)} ms`;
}

function fmtRate(gflops: number): string {
  return `${gflops.toFixed(2).padStart(5)} GFLOP/s`;
}

/** The backends to compare: JavaScript always, SIMD where this engine runs it. */
function backends(): Backend[] {
  return simdAvailable() ? ['js', 'wasm-simd'] : ['js'];
}

async function main(): Promise<void> {
  const { json, quick } = parseArgs(process.argv.slice(2));
  // The timing loops never yield to the event loop, so the worker must be up before they start.
  const threads = await startThreads();
  if (threads < 2) console.log(`(only ${threads} thread available: the 2-thread columns run on one)`);
  const rng = new Random('bench-matmul');
  const cases: BenchCase[] = [];
  const load = loadavg().map((v) => Number(v.toFixed(2)));
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, load ${load.join(' ')}, SIMD ${simdAvailable() ? 'available' : 'not available'}`);
  console.log('gemm: GFLOP/s counts 2·m·k·n per product; js = the JavaScript loop nest, simd = WebAssembly f64x2; 1T vs 2T (the calling thread and one worker)');
  const report = (name: string, [m, k, n]: readonly number[], time: (backend: Backend, t: number) => number): void => {
    const line: string[] = [];
    const rate: Record<string, number> = {};
    for (const backend of backends()) {
      for (const t of THREADS) {
        const ms = time(backend, t);
        const gflops = (2 * m * k * n) / (ms * 1e6);
        rate[`${backend}${t}`] = gflops;
        cases.push({ name, backend, m, k, n, threads: t, gflops: Number(gflops.toFixed(3)), ms: Number(ms.toFixed(3)) });
        line.push(`${backend === 'js' ? 'js  ' : 'simd'} ${t}T ${fmtRate(gflops)}`);
      }
    }
    const speedup = rate['wasm-simd1'] === undefined ? '' : `   simd/js 1T ×${(rate['wasm-simd1'] / rate.js1).toFixed(2)}`;
    console.log(`${name.padEnd(26)} ${`[${m}×${k}]·[${k}×${n}]`.padEnd(19)} ${line.join('  ')}${speedup}`);
  };
  const timeOn = (run: () => void) => (backend: Backend, t: number): number => {
    const before = setNumThreads(t);
    try {
      return withGemmBackend(backend, () => timeIt(run));
    } finally {
      setNumThreads(before);
    }
  };

  for (const [m, k, n] of quick ? SIZES.filter(([, k]) => k === 512).slice(0, 1) : SIZES) {
    const x = randomArray(rng, m * k); // [m, k]
    const w = randomArray(rng, k * n); // [k, n]
    const dy = randomArray(rng, m * n); // [m, n]
    const y = new Float64Array(m * n);
    const dx = new Float64Array(m * k);
    const dw = new Float64Array(k * n);
    report('gemm A·B (y = x·w)', [m, k, n], timeOn(() => gemm(m, n, k, x, w, y)));
    report('gemm A·Bᵀ (dx = dy·wᵀ)', [m, k, n], timeOn(() => gemm(m, k, n, dy, w, dx, { transB: true })));
    report('gemm Aᵀ·B (dw = xᵀ·dy)', [m, k, n], timeOn(() => gemm(k, n, m, x, dy, dw, { transA: true })));
    if (k === 512 && !quick) {
      const ms = timeIt(() => gemmReference(m, n, k, x, w, y));
      const gflops = (2 * m * k * n) / (ms * 1e6);
      cases.push({ name: 'gemmReference', backend: 'js', m, k, n, threads: 1, gflops: Number(gflops.toFixed(3)), ms: Number(ms.toFixed(3)) });
      console.log(`${'gemmReference (naive loop)'.padEnd(26)} ${`[${m}×${k}]·[${k}×${n}]`.padEnd(19)} js   1T ${fmtRate(gflops)}`);
    }
  }

  const sweep = quick ? [] : thresholdSweep(rng);

  const modes: KernelMode[] = quick ? ['structured'] : ['dense', 'structured'];
  console.log(`\nmaskedMatmul on MADE masks (params 2, equal hidden degrees); GFLOP/s counts only kept multiply-adds, 2·batch·nnz(mask)`);
  const masked: MaskedCase[] = [];
  for (const config of quick ? MADE_CONFIGS.filter((c) => c.label !== 'iii-rev') : MADE_CONFIGS) {
    const { eventSize, hiddenUnits, batch, inputOrder } = config;
    const masks = makeMasks({ params: PARAMS, eventSize, hiddenUnits, inputOrder });
    for (const mask of masks) {
      const [fanIn, fanOut] = mask.shape;
      let nnz = 0;
      for (const v of mask.data) nnz += v;
      const name = `${config.label} D${eventSize} ${fanIn}→${fanOut}`;
      const runs: Array<{ mode: KernelMode; backend: Backend; threads: number; ms: Record<'forward' | 'dx' | 'dw', number> }> = [];
      for (const mode of modes) {
        for (const backend of backends()) {
          for (const t of mode === 'structured' ? THREADS : [1]) {
            runs.push({ mode, backend, threads: t, ms: withGemmBackend(backend, () => timeMaskedLayer(mode, t, rng, batch, mask)) });
          }
        }
      }
      for (const product of ['forward', 'dx', 'dw'] as const) {
        const line: string[] = [];
        for (const r of runs) {
          const ms = r.ms[product];
          const gflops = (2 * batch * nnz) / (ms * 1e6);
          masked.push({ name, mode: r.mode, backend: r.backend, threads: r.threads, product, batch, fanIn, fanOut, nnz, gflops: Number(gflops.toFixed(3)), ms: Number(ms.toFixed(3)) });
          line.push(`${r.mode === 'dense' ? 'dense ' : ''}${r.backend === 'js' ? 'js  ' : 'simd'} ${r.threads}T ${fmtRate(gflops)}`);
        }
        console.log(`${name.padEnd(20)} batch ${String(batch).padEnd(4)} ${product.padEnd(7)} ${line.join('  ')}`);
      }
    }
  }

  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, platform: platform(), arch: arch(), threads, simd: simdAvailable(), load };
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify({ machine, date: new Date().toISOString(), threshold: PARALLEL_MIN_WORK, cases, sweep, masked }, null, 2)}\n`);
  console.log(`wrote ${json}`);
}

/** One row of the threshold sweep: a staircase product's kept multiply-adds and its time on 1 and 2 threads. */
interface SweepRow {
  batch: number;
  fanIn: number;
  fanOut: number;
  macs: number;
  ms1: number;
  ms2: number;
  shared: boolean;
}

/**
 * Where sharing starts to pay: staircase products (a MADE layer's forward, about half kept) of
 * growing size, timed on 1 and 2 threads whatever the threshold (products below it run alone),
 * with the default backend.
 */
function thresholdSweep(rng: Random): SweepRow[] {
  console.log(`\nthreshold sweep: gemmStaircase [batch×fanIn]·[fanIn×fanOut], half the entries kept; MACs counts kept multiply-adds (PARALLEL_MIN_WORK = ${PARALLEL_MIN_WORK})`);
  const sweep: SweepRow[] = [];
  for (const [batch, fanIn, fanOut] of [[64, 64, 64], [64, 128, 128], [128, 128, 128], [100, 200, 128], [128, 256, 128], [128, 256, 256], [256, 256, 256], [256, 512, 256]]) {
    const x = randomArray(rng, batch * fanIn);
    const w = randomArray(rng, fanIn * fanOut);
    const y = new Float64Array(batch * fanOut);
    const depthEnd = Int32Array.from({ length: fanOut }, (_, j) => Math.floor(((j + 1) * fanIn) / fanOut));
    let macs = 0;
    for (const d of depthEnd) macs += batch * d;
    const before = setParallelMinWork(0);
    let ms: Record<number, number>;
    try {
      ms = timeThreads(() => gemmStaircase(batch, fanOut, fanIn, x, w, y, { depthEnd }), undefined, 400);
    } finally {
      setParallelMinWork(before);
    }
    const shared = macs >= PARALLEL_MIN_WORK;
    sweep.push({ batch, fanIn, fanOut, macs, ms1: Number(ms[1].toFixed(4)), ms2: Number(ms[2].toFixed(4)), shared });
    console.log(`${`[${batch}×${fanIn}]·[${fanIn}×${fanOut}]`.padEnd(22)} ${String(macs).padStart(9)} MACs   1T ${fmtMs(ms[1])}   2T ${fmtMs(ms[2])}   ×${(ms[1] / ms[2]).toFixed(2)}${shared ? '' : '   (below the threshold: run alone)'}`);
  }
  return sweep;
}

await main();
