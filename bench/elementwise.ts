// Per-element cost of the elementwise ops on 1e5 elements (issue 16): add, mul, exp, tanh, forward and backward, equal shapes and a row broadcast.
// Usage: node scripts/run-ts.mjs bench/elementwise.ts [--seconds S]   (default S = 0.3 per case)
import { cpus, loadavg } from 'node:os';
import { add, mul } from '../autodiff/ops/binary.js';
import { exp, tanh } from '../autodiff/ops/unary.js';
import { Tensor } from '../autodiff/tensor.js';
import { Random } from '../lib/util/random.js';
import { sizeOf, type Shape } from '../lib/util/shape.js';

function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Median ns of one `run()`, after 0.2 s of warm-up; `setup` runs untimed before each timed group of `calls`. */
function medianNs<S>(setup: (calls: number) => S, run: (state: S, call: number) => void, seconds: number): number {
  let calls = 1;
  const warm = nowNs();
  while (nowNs() - warm < 2e8) {
    const s = setup(calls);
    const t0 = nowNs();
    for (let c = 0; c < calls; c++) run(s, c);
    if (nowNs() - t0 < 1e6) calls *= 2;
  }
  const times: number[] = [];
  const start = nowNs();
  while (times.length < 5 || nowNs() - start < seconds * 1e9) {
    const s = setup(calls);
    const t0 = nowNs();
    for (let c = 0; c < calls; c++) run(s, c);
    times.push((nowNs() - t0) / calls);
  }
  times.sort((p, q) => p - q);
  return times[times.length >> 1];
}

function randn(rng: Random, shape: Shape): Tensor {
  return new Tensor(rng.fillNormal(new Float64Array(sizeOf(shape))), shape, { requiresGrad: true });
}

/** Forward (graph recorded) and backward of `op()`, in ns per output element. */
function timeOp(op: () => Tensor, seconds: number): { forward: number; backward: number } {
  const y0 = op();
  const g = new Tensor(new Float64Array(y0.size).fill(1), y0.shape);
  const forward = medianNs(() => null, () => void op(), seconds) / y0.size;
  const backward = medianNs((calls) => Array.from({ length: calls }, () => op()), (ys, c) => ys[c].backward(g), seconds) / y0.size;
  return { forward, backward };
}

function main(): void {
  const argv = process.argv.slice(2);
  const seconds = argv[0] === '--seconds' ? Number(argv[1]) : 0.3;
  if (!(seconds > 0)) throw new Error(`bench/elementwise: '--seconds' must be a positive number, got ${argv[1]}`);
  console.log(`bench/elementwise: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rng = new Random('bench-elementwise');
  const a = randn(rng, [1000, 100]);
  const b = randn(rng, [1000, 100]);
  const row = randn(rng, [100]);
  const cases: Array<[string, () => Tensor]> = [
    ['add [1000,100] + [1000,100]', () => add(a, b)],
    ['add [1000,100] + [100]', () => add(a, row)],
    ['mul [1000,100] · [1000,100]', () => mul(a, b)],
    ['mul [1000,100] · [100]', () => mul(a, row)],
    ['exp [1000,100]', () => exp(a)],
    ['tanh [1000,100]', () => tanh(a)],
  ];
  // One untimed round first: the first op to allocate 0.8 MB buffers otherwise pays for the heap growing.
  for (const [, op] of cases) timeOp(op, 0.05);
  for (const [name, op] of cases) {
    const { forward, backward } = timeOp(op, seconds);
    console.log(`${name.padEnd(30)} forward ${forward.toFixed(2).padStart(6)}  backward ${backward.toFixed(2).padStart(6)} ns/element`);
  }
}

main();
