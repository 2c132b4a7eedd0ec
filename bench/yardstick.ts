// The yardsticks bench/flows.ts compares maflow with, and what makes their figures checkable: the machine and its load,
// a dense-gemm calibration of each side on the same product, and the targets each ratio is held to.
//   PyTorch: torch_maf_bench.py (float64, 2 threads) run by a Python that has torch; it reports its BLAS and calibration.
//   TF.js:   bench/tfjs-yardstick.ts (float32, wasm backend, 1 thread, SIMD), run in its own Node process.
//   maflow:  the float64 gemm kernel on [256×512]·[512×512] in this process, timed in the same run as both.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { gemm } from '../autodiff/kernels/gemm.js';
import { medianCallMs } from './timing.js';

export type Measure = 'train' | 'logProb' | 'sample';
export type Rates = Record<Measure, number>;
export const MEASURES: readonly Measure[] = ['train', 'logProb', 'sample'];

/** Where the PyTorch yardstick lives, relative to the repository root (the maintainers' copy; not part of the package). */
const TORCH_SCRIPT = '../shared/reference/torch_maf_bench.py';

/** Minimum maflow / PyTorch ratios per config (train, logProb, sample). */
export const TORCH_TARGETS: Record<string, Rates> = {
  i: { train: 10, logProb: 6, sample: 10 },
  ii: { train: 0.5, logProb: 0.5, sample: 15 },
  iii: { train: 0.5, logProb: 0.5, sample: 15 },
  iv: { train: 0.5, logProb: 0.5, sample: 300 },
};

/** Minimum maflow / TF.js ratio: at least as fast on every figure. */
export const TFJS_TARGET = 1;

/** A ratio beside its target: `2.24× (≥0.5× met)`. */
export function verdict(ratio: number, target: number): string {
  return `${fmtRatio(ratio)} (≥${target}× ${ratio >= target ? 'met' : 'missed'})`;
}

export function fmtRatio(r: number): string {
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** Per measure, the ratio mine / theirs and whether it reaches the target. */
export function compare(mine: Rates, theirs: Rates, target: Rates): { ratios: Rates; met: Record<Measure, boolean> } {
  const ratios = { train: mine.train / theirs.train, logProb: mine.logProb / theirs.logProb, sample: mine.sample / theirs.sample };
  const met = { train: ratios.train >= target.train, logProb: ratios.logProb >= target.logProb, sample: ratios.sample >= target.sample };
  return { ratios, met };
}

/** The CPU as /proc/cpuinfo names it (else as Node does), the core count, and `uptime`'s line with the load averages. */
export function describeMachine(): { cpuinfo: string; cores: number; uptime: string; load: number[] } {
  let cpuinfo = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line !== undefined) cpuinfo = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux: keep Node's name
  }
  const load = loadavg().map((v) => Number(v.toFixed(2)));
  const u = spawnSync('uptime', { encoding: 'utf8' });
  const uptime = u.status === 0 ? u.stdout.trim() : `load average: ${load.join(', ')}`;
  return { cpuinfo, cores: cpus().length, uptime, load };
}

/** Median ms of `run` over about `seconds` (at least 5 calls), after a warm-up of 3 calls. */
function medianMs(run: () => void, seconds: number): number {
  return medianCallMs(run, seconds, { warmCalls: 3, warmMs: 0, minCalls: 5 });
}

/**
 * maflow's dense float64 GFLOP/s on C [256×512] = A [256×512] · B [512×512], the product the yardsticks calibrate on
 * (2·256·512·512 flops per call), with the thread count in force. The one place the bench calls a kernel directly:
 * adapt this call if the kernel's interface changes.
 */
export function maflowDenseGemmGflops(seconds = 1): number {
  const [m, k, n] = [256, 512, 512];
  const a = new Float64Array(m * k).map((_, i) => Math.sin(i));
  const b = new Float64Array(k * n).map((_, i) => Math.cos(i));
  const c = new Float64Array(m * n);
  const ms = medianMs(() => gemm(m, n, k, a, b, c), seconds);
  return Number(((2 * m * k * n) / (ms * 1e6)).toFixed(2));
}

/** What torch_maf_bench.py prints for one config. */
export interface TorchResult {
  torch: string;
  threads: number;
  blas: { build: string[]; env: Record<string, string> };
  calibration: { dense_gemm_256x512x512_gflops: number };
  rates: Rates;
}

/** Runs the PyTorch yardstick on one config; null (with a note) when it cannot run. */
export function runTorch(python: string, name: string, seconds: number): TorchResult | null {
  const script = resolve(TORCH_SCRIPT);
  if (!existsSync(script)) {
    console.log(`  (PyTorch yardstick not found at ${script})`);
    return null;
  }
  const r = spawnSync(python, [script, '--configs', name, '--seconds', String(seconds)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`  (PyTorch yardstick failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
    return null;
  }
  const out = JSON.parse(r.stdout) as Omit<TorchResult, 'rates'> & { configs: Record<string, Rates> };
  return {
    torch: out.torch, threads: out.threads, blas: out.blas ?? { build: [], env: {} },
    calibration: out.calibration ?? { dense_gemm_256x512x512_gflops: Number.NaN }, rates: out.configs[name],
  };
}

/**
 * The BLAS and LAPACK shared objects torch has mapped after a float64 product (from /proc/self/maps), which its
 * build string ('BLAS_INFO=generic') does not say: Debian's torch calls whatever libblas.so.3 the alternatives
 * system points at, the reference BLAS unless an optimised one is installed. Empty when the probe fails.
 */
export function torchBlasLoaded(python: string): string[] {
  const probe = [
    'import re, torch',
    'torch.ones(64, 64, dtype=torch.float64) @ torch.ones(64, 64, dtype=torch.float64)',
    "print('\\n'.join(sorted({l.split()[-1] for l in open('/proc/self/maps') if re.search(r'blas|lapack|mkl', l)})))",
  ].join('\n');
  const r = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l !== '') : [];
}

/** What bench/tfjs-yardstick.ts prints for one config. */
export interface TfjsResult {
  tfjs: string;
  backend: string;
  simd: boolean;
  threads: number;
  dtype: string;
  calibration: { dense_gemm_256x512x512_gflops: number };
  rates: Rates;
}

/** Why the TF.js yardstick cannot run here (its packages are not installed), or null when it can. */
export function tfjsAbsent(): string | null {
  const require = createRequire(resolve('package.json'));
  for (const pkg of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm']) {
    try {
      require.resolve(pkg);
    } catch {
      return `${pkg} is not installed (a devDependency: npm install adds it)`;
    }
  }
  return null;
}

/** Runs bench/tfjs-yardstick.ts on one config in its own Node process; null (with a note) when it cannot run. */
export function runTfjs(name: string, seconds: number): TfjsResult | null {
  const r = spawnSync(process.execPath, ['scripts/run-ts.mjs', 'bench/tfjs-yardstick.ts', '--configs', name, '--seconds', String(seconds)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`  (TF.js yardstick failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
    return null;
  }
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const out = JSON.parse(last) as Omit<TfjsResult, 'rates'> & { configs: Record<string, Rates> };
  return {
    tfjs: out.tfjs, backend: out.backend, simd: out.simd, threads: out.threads, dtype: out.dtype,
    calibration: out.calibration, rates: out.configs[name],
  };
}
