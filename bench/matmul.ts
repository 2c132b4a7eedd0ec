// Benchmark of the matrix-multiply kernels and maskedMatmul: prints GFLOP/s per case and writes JSON.
// Usage: node scripts/run-ts.mjs bench/matmul.ts [--json FILE]   (default FILE: out/bench-matmul.json)
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, arch, platform } from 'node:os';
import { dirname } from 'node:path';
import { gemm, gemmReference } from '../autodiff/kernels/gemm.js';
import { maskedMatmul } from '../autodiff/ops/masked-matmul.js';
import { Tensor } from '../autodiff/tensor.js';
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

/**
 * A MADE-like mask [fanIn, fanOut]: input i has degree i + 1, each unit a random degree in
 * [1, fanIn], and unit j sees input i iff deg(i) ≤ deg(j), so about half the entries are 0
 * and the pattern is triangular once units are sorted by degree.
 */
function madeMask(rng: Random, fanIn: number, fanOut: number): Float64Array {
  const mask = new Float64Array(fanIn * fanOut);
  for (let j = 0; j < fanOut; j++) {
    const degree = 1 + Math.floor(rng.uniform() * fanIn);
    for (let i = 0; i < fanIn; i++) mask[i * fanOut + j] = i + 1 <= degree ? 1 : 0;
  }
  return mask;
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

    const mask = new Tensor(madeMask(rng, k, n), [k, n]);
    const bias = new Tensor(randomArray(rng, n), [n], { requiresGrad: true });
    const xt = new Tensor(x, [m, k], { requiresGrad: true });
    const wt = new Tensor(w, [k, n], { requiresGrad: true });
    const gradient = new Tensor(dy, [m, n]);
    report('maskedMatmul forward', m, k, n, 1, timeIt(() => maskedMatmul(xt, wt, mask, bias)));
    // Backward alone: the forward that records the graph runs untimed before each repeat.
    let out = maskedMatmul(xt, wt, mask, bias);
    const fresh = (): void => {
      for (const t of [xt, wt, bias]) t.zeroGrad();
      out = maskedMatmul(xt, wt, mask, bias);
    };
    report('maskedMatmul backward (dx, dw, db)', m, k, n, 2, timeIt(() => out.backward(gradient), fresh));

    if (k === 512) {
      report('gemmReference A·B (naive loop)', m, k, n, 1, timeIt(() => gemmReference(m, n, k, x, w, y)));
    }
  }

  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, platform: platform(), arch: arch() };
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify({ machine, date: new Date().toISOString(), cases }, null, 2)}\n`);
  console.log(`wrote ${json}`);
}

main();
