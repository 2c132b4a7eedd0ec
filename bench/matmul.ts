// Benchmark of the matrix-multiply kernels and maskedMatmul on MADE masks: prints GFLOP/s per case and writes JSON.
// Usage: node scripts/run-ts.mjs bench/matmul.ts [--json FILE]   (default FILE: out/bench-matmul.json)
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, arch, platform } from 'node:os';
import { dirname } from 'node:path';
import { withKernelMode, type KernelMode } from '../autodiff/kernels/config.js';
import { gemm, gemmReference } from '../autodiff/kernels/gemm.js';
import { maskedMatmul } from '../autodiff/ops/masked-matmul.js';
import { Tensor } from '../autodiff/tensor.js';
import type { InputOrder } from '../flows/degrees.js';
import { makeMasks } from '../flows/masks.js';
import { Random } from '../lib/util/random.js';

/** One timed case. Every case is a layer x [m, k] · w [k, n], so sizes read the same across cases. */
interface BenchCase {
  name: string;
  m: number;
  k: number;
  n: number;
  gflops: number;
  ms: number;
}

// Layer sizes [batch, fanIn] · [fanIn, fanOut]: a small MADE layer, a wide hidden layer, an MNIST-sized input layer.
const SIZES: Array<[number, number, number]> = [
  [256, 64, 512],
  [256, 512, 512],
  [100, 784, 1024],
];
const BUDGET_MS = 1500; // timed repeats per case stop after about this long
const MIN_REPEATS = 3;
const MAX_REPEATS = 25;

function parseArgs(argv: string[]): { json: string } {
  let json = 'out/bench-matmul.json';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') {
      const file = argv[++i];
      if (file === undefined) throw new Error("bench/matmul: '--json' needs a file name");
      json = file;
    } else {
      throw new Error(`bench/matmul: unknown argument '${argv[i]}' (usage: bench/matmul.ts [--json FILE])`);
    }
  }
  return { json };
}

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Median wall time of `run` in ms, after two warm-up calls (so V8 has optimised the kernel).
 * `setup`, when given, runs before each call outside the timing.
 */
function timeIt(run: () => void, setup: () => void = () => {}): number {
  for (let w = 0; w < 2; w++) {
    setup();
    run();
  }
  const times: number[] = [];
  const start = nowMs();
  while (times.length < MIN_REPEATS || (times.length < MAX_REPEATS && nowMs() - start < BUDGET_MS)) {
    setup();
    const t0 = nowMs();
    run();
    times.push(nowMs() - t0);
  }
  times.sort((p, q) => p - q);
  const mid = times.length >> 1;
  return times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

function randomArray(rng: Random, size: number): Float64Array {
  return rng.fillNormal(new Float64Array(size));
}

/** One timed product of maskedMatmul on a MADE mask. */
interface MaskedCase {
  name: string;
  mode: KernelMode;
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
 * Times forward, dx and dw of one masked layer in one kernel mode. The backward products are timed
 * apart by letting only x (for dx) or only w (for dw) require a gradient; the forward that records
 * the graph runs untimed before each repeat.
 */
function timeMaskedLayer(mode: KernelMode, rng: Random, batch: number, mask: Tensor): Record<'forward' | 'dx' | 'dw', number> {
  const [fanIn, fanOut] = mask.shape;
  const x = new Tensor(randomArray(rng, batch * fanIn), [batch, fanIn]);
  const w = new Tensor(randomArray(rng, fanIn * fanOut), [fanIn, fanOut]);
  const bias = new Tensor(randomArray(rng, fanOut), [fanOut]);
  const gradient = new Tensor(randomArray(rng, batch * fanOut), [batch, fanOut]);
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
}

function main(): void {
  const { json } = parseArgs(process.argv.slice(2));
  const rng = new Random('bench-matmul');
  const cases: BenchCase[] = [];
  const report = (name: string, m: number, k: number, n: number, products: number, ms: number): void => {
    const gflops = (products * 2 * m * k * n) / (ms * 1e6);
    cases.push({ name, m, k, n, gflops: Number(gflops.toFixed(3)), ms: Number(ms.toFixed(3)) });
    console.log(`${name.padEnd(34)} ${`[${m}×${k}]·[${k}×${n}]`.padEnd(20)} ${gflops.toFixed(2).padStart(6)} GFLOP/s ${ms.toFixed(2).padStart(9)} ms`);
  };
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}; GFLOP/s counts 2·m·k·n per product (the masked zeros included)`);

  for (const [m, k, n] of SIZES) {
    const x = randomArray(rng, m * k); // [m, k]
    const w = randomArray(rng, k * n); // [k, n]
    const dy = randomArray(rng, m * n); // [m, n]
    const y = new Float64Array(m * n);
    const dx = new Float64Array(m * k);
    const dw = new Float64Array(k * n);
    report('gemm A·B (forward y = x·w)', m, k, n, 1, timeIt(() => gemm(m, n, k, x, w, y)));
    report('gemm A·Bᵀ (dx = dy·wᵀ)', m, k, n, 1, timeIt(() => gemm(m, k, n, dy, w, dx, { transB: true })));
    report('gemm Aᵀ·B (dw = xᵀ·dy)', m, k, n, 1, timeIt(() => gemm(k, n, m, x, dy, dw, { transA: true })));

    if (k === 512) {
      report('gemmReference A·B (naive loop)', m, k, n, 1, timeIt(() => gemmReference(m, n, k, x, w, y)));
    }
  }

  console.log('\nmaskedMatmul on MADE masks (params 2, equal hidden degrees); GFLOP/s counts only kept multiply-adds, 2·batch·nnz(mask)');
  const masked: MaskedCase[] = [];
  for (const config of MADE_CONFIGS) {
    const { eventSize, hiddenUnits, batch, inputOrder } = config;
    const masks = makeMasks({ params: PARAMS, eventSize, hiddenUnits, inputOrder });
    for (const mask of masks) {
      const [fanIn, fanOut] = mask.shape;
      let nnz = 0;
      for (const v of mask.data) nnz += v;
      const name = `${config.label} D${eventSize} ${fanIn}→${fanOut}`;
      const times = { dense: timeMaskedLayer('dense', rng, batch, mask), structured: timeMaskedLayer('structured', rng, batch, mask) };
      for (const product of ['forward', 'dx', 'dw'] as const) {
        const line: string[] = [];
        for (const mode of ['dense', 'structured'] as const) {
          const ms = times[mode][product];
          const gflops = (2 * batch * nnz) / (ms * 1e6);
          masked.push({ name, mode, product, batch, fanIn, fanOut, nnz, gflops: Number(gflops.toFixed(3)), ms: Number(ms.toFixed(3)) });
          line.push(`${mode} ${ms.toFixed(2).padStart(7)} ms ${gflops.toFixed(2).padStart(5)} GFLOP/s`);
        }
        const speedup = times.dense[product] / times.structured[product];
        console.log(`${name.padEnd(22)} batch ${String(batch).padEnd(4)} ${product.padEnd(8)} ${line.join('   ')}   ×${speedup.toFixed(2)}`);
      }
    }
  }

  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, platform: platform(), arch: arch() };
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify({ machine, date: new Date().toISOString(), cases, masked }, null, 2)}\n`);
  console.log(`wrote ${json}`);
}

main();
