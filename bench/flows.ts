// Benchmark of whole MAF flows (issue 6, configs i–iv): samples/s for a training step, logProb and sampling, plus JSON, optionally beside the PyTorch yardstick.
// Usage: node scripts/run-ts.mjs bench/flows.ts [--json FILE] [--configs i,ii] [--seconds S] [--threads N[,N…]] [--torch [PYTHON]]
//   (npm run bench:flows -- --json FILE; default FILE out/bench-flows.json, configs i,ii,iii,iv, S = 2, threads getNumThreads();
//   with several thread counts each config runs once per count in turn, and the last count is the one compared with the yardstick)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { dirname, resolve } from 'node:path';
import { getNumThreads, setNumThreads } from '../autodiff/kernels/config.js';
import { startThreads } from '../autodiff/kernels/threads.js';
import { mean } from '../autodiff/ops/reduce.js';
import { neg } from '../autodiff/ops/unary.js';
import { Adam } from '../autodiff/optimizers/adam.js';
import { noGrad, ones, Tensor, zeros } from '../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../flows/autoregressive-network.js';
import type { Bijector } from '../flows/bijectors/bijector.js';
import { Chain } from '../flows/bijectors/chain.js';
import { MaskedAutoregressiveFlow } from '../flows/bijectors/masked-autoregressive-flow.js';
import { Reverse } from '../flows/bijectors/permute.js';
import { MultivariateNormalDiag } from '../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../flows/distributions/transformed-distribution.js';
import { Random } from '../lib/util/random.js';

/** One of the issue's configurations: MADE with relu, float64, N(0, I) base. */
interface FlowConfig {
  eventSize: number;
  hiddenUnits: number[];
  /** MAF layers, with a Reverse between consecutive ones. */
  layers: number;
  batch: number;
  sampleBatch: number;
}

/** Exactly the table of issue 6 (and of torch_maf_bench.py). */
const CONFIGS: Record<string, FlowConfig> = {
  i: { eventSize: 2, hiddenUnits: [10], layers: 1, batch: 25, sampleBatch: 25 },
  ii: { eventSize: 64, hiddenUnits: [512, 512], layers: 1, batch: 256, sampleBatch: 64 },
  iii: { eventSize: 64, hiddenUnits: [512, 512], layers: 5, batch: 256, sampleBatch: 64 },
  iv: { eventSize: 784, hiddenUnits: [1024], layers: 1, batch: 100, sampleBatch: 10 },
};

type Measure = 'train' | 'logProb' | 'sample';
type Rates = Record<Measure, number>;

interface Args {
  json: string;
  configs: string[];
  seconds: number;
  /** The Python that runs the yardstick, or null to skip it. */
  torch: string | null;
  /** Thread counts to measure each config with (setNumThreads), in turn; null for the default alone. */
  threads: number[] | null;
}

const USAGE = 'usage: bench/flows.ts [--json FILE] [--configs i,ii,iii,iv] [--seconds S] [--threads N[,N…]] [--torch [PYTHON]]';
const YARDSTICK = '../shared/reference/torch_maf_bench.py';

function parseArgs(argv: string[]): Args {
  const args: Args = { json: 'out/bench-flows.json', configs: Object.keys(CONFIGS), seconds: 2, torch: null, threads: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench/flows: '${flag}' needs a value (${USAGE})`);
      return v;
    };
    if (flag === '--json') args.json = value();
    else if (flag === '--configs') args.configs = value().split(',').filter((s) => s !== '');
    else if (flag === '--seconds') args.seconds = Number(value());
    else if (flag === '--threads') args.threads = value().split(',').filter((v) => v !== '').map(Number);
    else if (flag === '--torch') args.torch = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : '/usr/bin/python3';
    else throw new Error(`bench/flows: unknown argument '${flag}' (${USAGE})`);
  }
  for (const c of args.configs) {
    if (!(c in CONFIGS)) throw new Error(`bench/flows: unknown config '${c}'; expected some of ${Object.keys(CONFIGS).join(',')}`);
  }
  if (!(args.seconds > 0)) throw new Error(`bench/flows: '--seconds' must be a positive number, got ${args.seconds}`);
  if (args.threads !== null && (args.threads.length === 0 || !args.threads.every((t) => Number.isInteger(t) && t >= 1))) {
    throw new Error(`bench/flows: '--threads' must list whole numbers ≥ 1, got ${args.threads.join(',')}`);
  }
  return args;
}

function nowMs(): number {
  return performance.now();
}

/**
 * Samples/s of `run` (which handles `rows` samples): the median of repeats after a warm-up (at
 * least two calls and 0.3 s, so V8 has optimised the hot loops), repeating for about `seconds`
 * and at least 3 times, as the yardstick's `rate()` does.
 */
function rate(run: () => void, rows: number, seconds: number): number {
  const warm = nowMs();
  for (let w = 0; w < 2 || nowMs() - warm < 300; w++) run();
  const times: number[] = [];
  const start = nowMs();
  while (times.length < 3 || nowMs() - start < seconds * 1000) {
    const t0 = nowMs();
    run();
    times.push(nowMs() - t0);
  }
  times.sort((p, q) => p - q);
  const mid = times.length >> 1;
  const median = times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return rows / (median / 1000);
}

/** TFP's stacked MAF: TransformedDistribution(N(0, I), Chain([maf_L, Reverse, …, Reverse, maf_1])). */
function makeFlow(c: FlowConfig, seed: number): { flow: TransformedDistribution; networks: AutoregressiveNetwork[] } {
  const networks: AutoregressiveNetwork[] = [];
  const bijectors: Bijector[] = [];
  for (let l = 0; l < c.layers; l++) {
    const made = new AutoregressiveNetwork({
      params: 2, eventShape: c.eventSize, hiddenUnits: c.hiddenUnits, activation: 'relu', seed: seed + l,
    });
    networks.push(made);
    if (l > 0) bijectors.unshift(new Reverse({ name: `reverse_${l}` }));
    bijectors.unshift(new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, name: `maf_${l}` }));
  }
  const base = new MultivariateNormalDiag({ loc: zeros([c.eventSize]), scaleDiag: ones([c.eventSize]) });
  const bijector = bijectors.length === 1 ? bijectors[0] : new Chain(bijectors);
  return { flow: new TransformedDistribution({ distribution: base, bijector }), networks };
}

/** Unmasked multiply-adds of one pass of every network, per batch row (the masked kernels' useful work). */
function maskedMacsPerRow(networks: AutoregressiveNetwork[]): number {
  let macs = 0;
  for (const made of networks) {
    for (const m of made.masks) for (const v of m.data) macs += v;
  }
  return macs;
}

function measure(name: string, c: FlowConfig, seconds: number): { rates: Rates; gflops: Rates } {
  const rng = new Random(`bench-flows-${name}`);
  const { flow, networks } = makeFlow(c, 1000);
  const weights = flow.trainableWeights;
  const opt = new Adam({ learningRate: 1e-3 });
  const x = new Tensor(rng.fillNormal(new Float64Array(c.batch * c.eventSize)), [c.batch, c.eventSize]);
  const train = (): void => {
    const loss = neg(mean(flow.logProb(x)));
    opt.zeroGrad(weights);
    loss.backward();
    opt.step(weights);
  };
  const logProb = (): void => {
    noGrad(() => flow.logProb(x));
  };
  const sample = (): void => {
    noGrad(() => flow.sample(c.sampleBatch, { seed: rng }));
  };
  const rates: Rates = {
    train: rate(train, c.batch, seconds),
    logProb: rate(logProb, c.batch, seconds),
    sample: rate(sample, c.sampleBatch, seconds),
  };
  // Effective GFLOP/s: 2 flops per unmasked multiply-add; a training step does the forward product
  // and the two backward ones (dx, dw), so three times a pass; sampling is one pass.
  const flopsPerRow = 2 * maskedMacsPerRow(networks);
  const gflops: Rates = {
    train: (3 * flopsPerRow * rates.train) / 1e9,
    logProb: (flopsPerRow * rates.logProb) / 1e9,
    sample: (flopsPerRow * rates.sample) / 1e9,
  };
  return { rates, gflops };
}

/** Runs the PyTorch yardstick on one config; null (with a note) when it cannot run. */
function runYardstick(python: string, name: string, seconds: number): { torch: string; rates: Rates } | null {
  const script = resolve(YARDSTICK);
  if (!existsSync(script)) {
    console.log(`  (yardstick not found at ${script})`);
    return null;
  }
  const r = spawnSync(python, [script, '--configs', name, '--seconds', String(seconds)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`  (yardstick failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
    return null;
  }
  const out = JSON.parse(r.stdout) as { torch: string; configs: Record<string, Rates> };
  return { torch: out.torch, rates: out.configs[name] };
}

function fmtRate(v: number): string {
  return v >= 1e4 ? `${(v / 1e3).toFixed(0)}k` : v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const counts = args.threads ?? [getNumThreads()];
  setNumThreads(Math.max(...counts));
  // The loops below never yield to the event loop, so the workers must be up before they start.
  const available = await startThreads();
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: platform(), arch: arch(),
    threads: counts, load: loadavg().map((v) => Number(v.toFixed(2))),
  };
  console.log(`node ${machine.node}, ${machine.cpu} (${machine.cores} cores, load ${machine.load.join(' ')}), threads ${counts.join(' then ')} (${available} available); samples/s, median of repeats after warm-up, ~${args.seconds} s each`);
  const byThreads: Record<string, Record<string, Rates>> = {};
  const configs: Record<string, Rates> = {};
  const gflops: Record<string, Rates> = {};
  const yardstick: Record<string, Rates> = {};
  const ratios: Record<string, Rates> = {};
  let torchVersion: string | null = null;
  const started = nowMs();
  for (const name of args.configs) {
    const c = CONFIGS[name];
    let r: { rates: Rates; gflops: Rates } | null = null;
    // With several thread counts, each in turn within the same minute, so that their ratio means something here.
    for (const t of counts) {
      setNumThreads(t);
      r = measure(name, c, args.seconds);
      (byThreads[t] ??= {})[name] = r.rates;
      const line = (['train', 'logProb', 'sample'] as const)
        .map((m) => `${m} ${fmtRate(r!.rates[m]).padStart(6)} (${r!.gflops[m].toFixed(2)} GFLOP/s)`).join('  ');
      console.log(`${name.padEnd(4)} D ${String(c.eventSize).padEnd(3)} hidden [${c.hiddenUnits}] × ${c.layers}, ${t} thread${t === 1 ? ' ' : 's'}: ${line}`);
    }
    configs[name] = r!.rates;
    gflops[name] = r!.gflops;
    if (counts.length > 1) {
      const [first, last] = [byThreads[counts[0]][name], byThreads[counts[counts.length - 1]][name]];
      console.log(`${''.padEnd(4)} ${counts[counts.length - 1]} threads / ${counts[0]}: ${(['train', 'logProb', 'sample'] as const).map((m) => `${m} ${(last[m] / first[m]).toFixed(2)}×`).join('  ')}`);
    }
    if (args.torch !== null) {
      // Right after ours, so both run in the same minute on this noisy machine.
      const t = runYardstick(args.torch, name, args.seconds);
      if (t !== null) {
        const mine = configs[name];
        torchVersion = t.torch;
        yardstick[name] = t.rates;
        ratios[name] = { train: mine.train / t.rates.train, logProb: mine.logProb / t.rates.logProb, sample: mine.sample / t.rates.sample };
        const cmp = (['train', 'logProb', 'sample'] as const)
          .map((m) => `${m} ${fmtRate(t.rates[m]).padStart(6)} → ${ratios[name][m].toFixed(1)}×`).join('  ');
        console.log(`${''.padEnd(4)} torch ${t.torch}: ${cmp}`);
      }
    }
  }
  console.log(`total ${((nowMs() - started) / 1000).toFixed(0)} s`);
  const result: Record<string, unknown> = { configs, gflops, machine, date: new Date().toISOString() };
  if (counts.length > 1) result.byThreads = byThreads;
  if (args.torch !== null) result.yardstick = { torch: torchVersion, configs: yardstick, ratios };
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${args.json}`);
}

await main();
