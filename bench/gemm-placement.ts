// Where the SIMD kernel's operands should live: ordinary Float64Arrays (packed into WebAssembly memory by the loop nest), tensors allocated in WebAssembly memory, or an explicit copy in and out per call; and the micro-kernel alone, the ceiling.
// Usage: node scripts/run-ts.mjs bench/gemm-placement.ts [--json FILE]   (default FILE out/bench-gemm-placement.json)
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { setNumThreads, simdAvailable, withGemmBackend } from '../autodiff/kernels/config.js';
import { gemm } from '../autodiff/kernels/gemm.js';
import { KERNEL_PAGES, microKernelModule } from '../autodiff/kernels/wasm/micro-kernel.js';
import { Random } from '../lib/util/random.js';

// The dense product of the SIMD target: y [256, 512] = x [256, 512] · w [512, 512], one thread.
const [M, K, N] = [256, 512, 512];
const FLOPS = 2 * M * K * N;
const ROUNDS = 7; // variants interleaved round by round, so that a busy moment hits them all alike
const REPEATS = 5; // calls per variant per round

type Panel = (a: number, b: number, steps: number, tiles: number, aStride: number, out: number) => void;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function median(v: number[]): number {
  const s = [...v].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A Float64Array of `size` values inside `memory` from byte `at`, filled from `source` when given. */
function view(memory: WebAssembly.Memory, at: number, size: number, source?: Float64Array): Float64Array {
  const v = new Float64Array(memory.buffer, at, size);
  if (source !== undefined) v.set(source);
  return v;
}

function main(): void {
  const json = process.argv[2] === '--json' && process.argv[3] !== undefined ? process.argv[3] : 'out/bench-gemm-placement.json';
  if (!simdAvailable()) throw new Error('bench/gemm-placement: this engine does not run WebAssembly SIMD');
  setNumThreads(1);
  const rng = new Random('bench-gemm-placement');
  const x = rng.fillNormal(new Float64Array(M * K));
  const w = rng.fillNormal(new Float64Array(K * N));
  const y = new Float64Array(M * N);

  // Tensors allocated in WebAssembly memory: x, w and y as views of one memory (not the kernel's own).
  const bytes = 8 * (M * K + K * N + M * N);
  const tensors = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const xIn = view(tensors, 0, M * K, x);
  const wIn = view(tensors, 8 * M * K, K * N, w);
  const yIn = view(tensors, 8 * (M * K + K * N), M * N);
  // A staging area in WebAssembly memory that operands are copied into (and y out of) at each call.
  const staging = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const xS = view(staging, 0, M * K);
  const wS = view(staging, 8 * M * K, K * N);
  const yS = view(staging, 8 * (M * K + K * N), M * N);

  // The micro-kernel alone: the panel calls of the whole product on packed blocks already in its
  // memory (1 column block of 512, 2 depth blocks of 256, 2 row blocks of 128; 128 B panels of 32 tiles each).
  const memory = new WebAssembly.Memory({ initial: KERNEL_PAGES });
  const panel = new WebAssembly.Instance(microKernelModule() as WebAssembly.Module, { env: { memory } }).exports.panel as Panel;
  const [A_AT, B_AT] = [4096, 4096 + 8 * 128 * 256];
  view(memory, A_AT, 128 * 256, x.subarray(0, 128 * 256));
  view(memory, B_AT, 256 * 512, w.subarray(0, 256 * 512));
  const microOnly = (): void => {
    for (let block = 0; block < 2 * 2; block++) {
      for (let q = 0; q < 128; q++) panel(A_AT, B_AT + 8 * q * 4 * 256, 256, 32, 32 * 256, 0);
    }
  };

  const variants: Array<{ name: string; run: () => void }> = [
    { name: 'Float64Arrays (packing copies into wasm memory)', run: () => gemm(M, N, K, x, w, y) },
    { name: 'tensors allocated in wasm memory', run: () => gemm(M, N, K, xIn, wIn, yIn) },
    { name: 'copy into wasm memory per call, and y back', run: () => { xS.set(x); wS.set(w); gemm(M, N, K, xS, wS, yS); y.set(yS); } },
    { name: 'micro-kernel alone (packed, no store)', run: microOnly },
  ];
  const times: number[][] = variants.map(() => []);
  const load = loadavg().map((v) => Number(v.toFixed(2)));
  withGemmBackend('wasm-simd', () => {
    for (const v of variants) for (let r = 0; r < 3; r++) v.run(); // warm-up: V8 and the wasm tier-up
    for (let round = 0; round < ROUNDS; round++) {
      variants.forEach((v, i) => {
        for (let r = 0; r < REPEATS; r++) {
          const t0 = nowMs();
          v.run();
          times[i].push(nowMs() - t0);
        }
      });
    }
  });
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, load ${load.join(' ')}; [${M}×${K}]·[${K}×${N}], 1 thread, SIMD, median of ${ROUNDS * REPEATS}`);
  const results = variants.map((v, i) => {
    const ms = median(times[i]);
    const gflops = FLOPS / (ms * 1e6);
    console.log(`${v.name.padEnd(50)} ${ms.toFixed(2).padStart(7)} ms  ${gflops.toFixed(2).padStart(6)} GFLOP/s`);
    return { name: v.name, ms: Number(ms.toFixed(3)), gflops: Number(gflops.toFixed(3)) };
  });
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify({ date: new Date().toISOString(), load, m: M, k: K, n: N, results }, null, 2)}\n`);
  console.log(`wrote ${json}`);
}

main();
