// Micro-benchmark of the elementwise ops' fixed and per-element cost (issue 6): ns per element for add, mul (equal shapes and a row broadcast), relu, exp, tanh, and µs per MultivariateNormalDiag.logProb call.
// Usage: node scripts/run-ts.mjs bench/ops.ts [--json FILE] [--seconds S]
//   (default FILE out/bench-ops.json, S = 0.5 per case; forward and backward are timed apart)
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { add, mul } from '../autodiff/ops/binary.js';
import { sum } from '../autodiff/ops/reduce.js';
import { exp, relu, tanh } from '../autodiff/ops/unary.js';
import { noGrad, ones, Tensor, zeros } from '../autodiff/tensor.js';
import { MultivariateNormalDiag } from '../flows/distributions/multivariate-normal-diag.js';
import { Random } from '../lib/util/random.js';
import { sizeOf, type Shape } from '../lib/util/shape.js';

interface Args {
  json: string;
  seconds: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: 'out/bench-ops.json', seconds: 0.5 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`bench/ops: '${flag}' needs a value (usage: bench/ops.ts [--json FILE] [--seconds S])`);
    if (flag === '--json') args.json = v;
    else if (flag === '--seconds') args.seconds = Number(v);
    else throw new Error(`bench/ops: unknown argument '${flag}' (usage: bench/ops.ts [--json FILE] [--seconds S])`);
  }
  if (!(args.seconds > 0)) throw new Error(`bench/ops: '--seconds' must be a positive number, got ${args.seconds}`);
  return args;
}

function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * Median time of one `run()` in ns. Calls are grouped so each timed group lasts about 1 ms
 * (a single call of a few µs is below the timer's resolution); `setup` runs untimed before each group
 * and returns what the group's calls consume (e.g. graphs to run backward on).
 */
function medianNs<S>(setup: (calls: number) => S, run: (state: S, call: number) => void, seconds: number): number {
  // Warm-up: at least 0.2 s so V8 has optimised the loops.
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

function randn(rng: Random, shape: Shape, requiresGrad = false): Tensor {
  return new Tensor(rng.fillNormal(new Float64Array(sizeOf(shape))), shape, { requiresGrad });
}

/** Forward (graph recorded, inputs require grad) and backward of `op(a, b)`, in ns per output element. */
function binaryCase(op: (a: Tensor, b: Tensor) => Tensor, a: Tensor, b: Tensor, seconds: number): { forward: number; backward: number } {
  const n = op(a, b).size;
  const forward = medianNs(() => null, () => void op(a, b), seconds) / n;
  const g = new Tensor(new Float64Array(n).fill(1), op(a, b).shape);
  const backward = medianNs(
    (calls) => Array.from({ length: calls }, () => op(a, b)),
    (ys, c) => ys[c].backward(g),
    seconds,
  ) / n;
  return { forward, backward };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const rng = new Random('bench-ops');
  const results: Record<string, number> = {};
  const report = (name: string, value: number, unit: string): void => {
    results[name] = value;
    console.log(`${name.padEnd(44)} ${value.toFixed(2).padStart(9)} ${unit}`);
  };
  console.log(`bench/ops: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const a = randn(rng, [256, 100], true);
  const b = randn(rng, [256, 100], true);
  const row = randn(rng, [100], true);
  const cases: Array<[string, (p: Tensor, q: Tensor) => Tensor, Tensor, Tensor]> = [
    ['add [256,100] + [256,100]', add, a, b],
    ['add [256,100] + [100]', add, a, row],
    ['mul [256,100] · [256,100]', mul, a, b],
    ['mul [256,100] · [100]', mul, a, row],
  ];
  for (const [name, op, p, q] of cases) {
    const { forward, backward } = binaryCase(op, p, q, args.seconds);
    report(`${name} forward`, forward, 'ns/element');
    report(`${name} backward`, backward, 'ns/element');
  }
  const addNoGrad = noGrad(() => medianNs(() => null, () => void add(a, b), args.seconds)) / a.size;
  report('add [256,100] + [256,100] noGrad', addNoGrad, 'ns/element');

  const g = new Tensor(new Float64Array(a.size).fill(1), a.shape);
  for (const [name, op] of [['relu', relu], ['exp', exp], ['tanh', tanh]] as const) {
    report(`${name} [256,100] forward`, medianNs(() => null, () => void op(a), args.seconds) / a.size, 'ns/element');
    const backward = medianNs((calls) => Array.from({ length: calls }, () => op(a)), (ys, c) => ys[c].backward(g), args.seconds) / a.size;
    report(`${name} [256,100] backward`, backward, 'ns/element');
  }

  // The base of bench/flows: N(0, I) with loc and scaleDiag given, at config i (D 2) and ii (D 64).
  for (const [batch, d] of [[25, 2], [256, 64]] as const) {
    const base = new MultivariateNormalDiag({ loc: zeros([d]), scaleDiag: ones([d]) });
    const x = randn(rng, [batch, d]);
    const noGradUs = noGrad(() => medianNs(() => null, () => void base.logProb(x, { validateArgs: false }), args.seconds)) / 1e3;
    report(`MVNDiag.logProb [${batch},${d}] noGrad`, noGradUs, 'µs/call');
    const xg = randn(rng, [batch, d], true);
    const fwdUs = medianNs(() => null, () => void base.logProb(xg, { validateArgs: false }), args.seconds) / 1e3;
    report(`MVNDiag.logProb [${batch},${d}] with graph`, fwdUs, 'µs/call');
    const stepUs = medianNs(() => null, () => sum(base.logProb(xg, { validateArgs: false })).backward(), args.seconds) / 1e3;
    report(`MVNDiag.logProb [${batch},${d}] forward+backward`, stepUs, 'µs/call');
  }

  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, JSON.stringify({ results, machine: cpus()[0]?.model, node: process.version, load: loadavg(), date: new Date().toISOString() }, null, 2));
  console.log(`wrote ${args.json}`);
}

main();
