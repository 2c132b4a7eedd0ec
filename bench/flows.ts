// Benchmark of whole MAF flows (issue 6, configs i–iv): samples/s for a training step, logProb and sampling, plus JSON,
// optionally beside the PyTorch and TF.js yardsticks (bench/yardstick.ts), each calibrated by the same dense product in the same run.
// Usage: node scripts/run-ts.mjs bench/flows.ts [--json FILE] [--configs i,ii] [--seconds S] [--threads N[,N…]] [--torch [PYTHON]]
//          [--tfjs] [--transform affine,spline] [--bins K] [--bound B] [--clock wall|cpu]
//   (npm run bench:flows -- --json FILE; default FILE out/bench-flows.json, configs i,ii,iii,iv, S = 2, threads getNumThreads();
//   with several thread counts each config runs once per count in turn, and the last count is the one compared with the yardstick;
//   transform affine alone by default (TFP's MAF); with spline too, every MAF layer of a config is also built as a
//   rational-quadratic spline of K bins on [−B, B] (default 8, 5), and the spline's cost is reported relative to the affine one;
//   --clock cpu times each call by the process's CPU time instead of wall time, so rates are samples per CPU-second;
//   --torch and --tfjs run, after each config, maflow's dense gemm [256×512]·[512×512] and then the yardstick, which
//   calibrates itself on the same product; the ratios maflow / yardstick are printed beside their targets, and the
//   yardsticks' BLAS, calibration, the machine and its load go into the JSON; --tfjs skips itself if TF.js is absent)
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { dirname } from 'node:path';
import { getGemmBackend, getNumThreads, setGemmBackend, setNumThreads, simdAvailable, type GemmBackend } from '../autodiff/kernels/config.js';
import { startThreads } from '../autodiff/kernels/threads.js';
import { mean } from '../autodiff/ops/reduce.js';
import { neg } from '../autodiff/ops/unary.js';
import { Adam } from '../autodiff/optimizers/adam.js';
import { compileTrainStep } from '../autodiff/compiled/train-step.js';
import { noGrad, ones, Tensor, zeros } from '../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../flows/made/autoregressive-network.js';
import type { Bijector } from '../flows/bijectors/bijector.js';
import { Chain } from '../flows/bijectors/chain.js';
import { MaskedAutoregressiveFlow } from '../flows/bijectors/masked-autoregressive-flow.js';
import { Reverse } from '../flows/bijectors/permute.js';
import { MultivariateNormalDiag } from '../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../flows/distributions/transformed-distribution.js';
import { splineFamily } from '../flows/transforms/spline.js';
import { Random } from '../lib/util/random.js';
import {
  compare, describeMachine, fmtRatio, maflowDenseGemmGflops, MEASURES, runTfjs, runTorch, TFJS_TARGET, tfjsAbsent, torchBlasLoaded,
  TORCH_TARGETS, verdict, type Measure, type Rates, type TfjsResult, type TorchResult,
} from './yardstick.js';
import { CONFIGS, type FlowConfig } from './configs.js';
import { medianCallMs } from './timing.js';

/** The transform of every MAF layer: TFP's affine map, or a rational-quadratic spline (Durkan et al. 2019). */
type BenchTransform = 'affine' | 'spline';
const TRANSFORMS: readonly BenchTransform[] = ['affine', 'spline'];

interface Args {
  json: string;
  configs: string[];
  seconds: number;
  /** The Python that runs the yardstick, or null to skip it. */
  torch: string | null;
  /** Run the TF.js yardstick (bench/tfjs-yardstick.ts) after each config. */
  tfjs: boolean;
  /** Thread counts to measure each config with (setNumThreads), in turn; null for the default alone. */
  threads: number[] | null;
  /** The transforms to build every config with, in turn; `['affine']` (TFP's MAF) unless given. */
  transforms: BenchTransform[];
  /** Bins K and bound B of the spline transform. */
  bins: number;
  bound: number;
  /** What times each call: wall time, or the process's CPU time (steadier on a shared machine; with 2 threads it counts both). */
  clock: 'wall' | 'cpu';
  /** The gemm backend (setGemmBackend): 'auto' (SIMD where WebAssembly has it), 'js' or 'wasm-simd'. */
  backend: GemmBackend;
  /** Time the training step written out (a fresh graph every call) instead of fit's compiled one. */
  eagerTrain: boolean;
}

const USAGE = 'usage: bench/flows.ts [--json FILE] [--configs i,ii,iii,iv] [--seconds S] [--threads N[,N…]] [--torch [PYTHON]] [--tfjs] ' +
  '[--transform affine,spline] [--bins K] [--bound B] [--clock wall|cpu] [--backend auto|js|wasm-simd] [--eager-train]';

function parseArgs(argv: string[]): Args {
  const args: Args = {
    json: 'out/bench-flows.json', configs: Object.keys(CONFIGS), seconds: 2, torch: null, tfjs: false, threads: null, transforms: ['affine'], bins: 8, bound: 5, clock: 'wall', backend: 'auto', eagerTrain: false,
  };
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
    else if (flag === '--transform') args.transforms = value().split(',').filter((s) => s !== '') as BenchTransform[];
    else if (flag === '--bins') args.bins = Number(value());
    else if (flag === '--bound') args.bound = Number(value());
    else if (flag === '--clock') args.clock = value() as Args['clock'];
    else if (flag === '--tfjs') args.tfjs = true;
    else if (flag === '--backend') args.backend = value() as GemmBackend;
    else if (flag === '--eager-train') args.eagerTrain = true;
    else if (flag === '--torch') args.torch = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : '/usr/bin/python3';
    else throw new Error(`bench/flows: unknown argument '${flag}' (${USAGE})`);
  }
  for (const c of args.configs) {
    if (!(c in CONFIGS)) throw new Error(`bench/flows: unknown config '${c}'; expected some of ${Object.keys(CONFIGS).join(',')}`);
  }
  for (const t of args.transforms) {
    if (!TRANSFORMS.includes(t)) throw new Error(`bench/flows: unknown transform '${t}'; expected some of ${TRANSFORMS.join(',')}`);
  }
  if (args.clock !== 'wall' && args.clock !== 'cpu') throw new Error(`bench/flows: '--clock' must be wall or cpu, got ${args.clock}`);
  if (args.transforms.length === 0) throw new Error(`bench/flows: '--transform' needs at least one of ${TRANSFORMS.join(',')}`);
  if (!(args.seconds > 0)) throw new Error(`bench/flows: '--seconds' must be a positive number, got ${args.seconds}`);
  if (args.threads !== null && (args.threads.length === 0 || !args.threads.every((t) => Number.isInteger(t) && t >= 1))) {
    throw new Error(`bench/flows: '--threads' must list whole numbers ≥ 1, got ${args.threads.join(',')}`);
  }
  return args;
}

function nowMs(): number {
  return performance.now();
}

/** CPU time of this process in ms, every thread's (user + system): what a call costs, whoever else shares the cores. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The clock that times each call in {@link rate}: wall time (default) or, with `--clock cpu`, {@link cpuMs}. */
let callClock: () => number = nowMs;

/**
 * Samples/s of `run` (which handles `rows` samples): the median of repeats after a warm-up (at
 * least two calls and 0.3 s, so V8 has optimised the hot loops), repeating for about `seconds`
 * and at least 3 times, as the yardstick's `rate()` does.
 */
function rate(run: () => void, rows: number, seconds: number): number {
  return rows / (medianCallMs(run, seconds, { warmCalls: 2, warmMs: 300, minCalls: 3, clock: callClock }) / 1000);
}

/** How every MAF layer transforms its dimension: TFP's affine map, or a spline of `bins` bins on [−bound, bound]. */
interface LayerTransform {
  transform: BenchTransform;
  bins: number;
  bound: number;
}

/**
 * TFP's stacked MAF: TransformedDistribution(N(0, I), Chain([maf_L, Reverse, …, Reverse, maf_1])).
 * With the spline transform, each MADE has the spline's P = 3K − 1 outputs per dimension instead of
 * 2 (so a wider output layer) and is otherwise the same network, glorot-initialised from the same seed.
 */
function makeFlow(c: FlowConfig, seed: number, t: LayerTransform = { transform: 'affine', bins: 8, bound: 5 }): { flow: TransformedDistribution; networks: AutoregressiveNetwork[] } {
  const networks: AutoregressiveNetwork[] = [];
  const bijectors: Bijector[] = [];
  const spline = t.transform === 'spline' ? splineFamily({ bins: t.bins, bound: t.bound }) : null;
  for (let l = 0; l < c.layers; l++) {
    const made = new AutoregressiveNetwork({
      params: spline === null ? 2 : spline.params, eventShape: c.eventSize, hiddenUnits: c.hiddenUnits, activation: 'relu', seed: seed + l,
    });
    networks.push(made);
    if (l > 0) bijectors.unshift(new Reverse({ name: `reverse_${l}` }));
    bijectors.unshift(spline === null
      ? new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made, name: `maf_${l}` })
      : new MaskedAutoregressiveFlow({ network: made }, { transform: spline, name: `maf_${l}` }));
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

/** The timed calls of one flow, built for a config and a transform. */
interface Case {
  networks: AutoregressiveNetwork[];
  train: () => void;
  logProb: () => void;
  sample: () => void;
  /** Every network's pass alone on the batch: logProb without the transform, the log-det and the base density. */
  networkPasses: () => void;
}

/** Set from --eager-train before any case is built. */
let eagerTrain = false;

function makeCase(name: string, c: FlowConfig, t?: LayerTransform): Case {
  const rng = new Random(`bench-flows-${name}`);
  const { flow, networks } = makeFlow(c, 1000, t);
  const weights = flow.trainableWeights;
  const opt = new Adam({ learningRate: 1e-3 });
  const x = new Tensor(rng.fillNormal(new Float64Array(c.batch * c.eventSize)), [c.batch, c.eventSize]);
  // The step `fit` runs: recorded once, then replayed on preallocated buffers (compileTrainStep);
  // with --eager-train, the same step written out, graph and all, every call.
  const compiled = compileTrainStep((xb) => neg(mean(flow.logProb(xb))), weights, opt);
  const train = eagerTrain ? (): void => {
    const loss = neg(mean(flow.logProb(x)));
    opt.zeroGrad(weights);
    loss.backward();
    opt.step(weights);
  } : (): void => {
    compiled.step(x);
  };
  const logProb = (): void => {
    noGrad(() => flow.logProb(x));
  };
  const sample = (): void => {
    noGrad(() => flow.sample(c.sampleBatch, { seed: rng }));
  };
  const networkPasses = (): void => {
    noGrad(() => {
      for (const made of networks) made.call(x);
    });
  };
  return { networks, train, logProb, sample, networkPasses };
}

function measure(c: FlowConfig, seconds: number, { networks, train, logProb, sample }: Case): { rates: Rates; gflops: Rates } {
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

/**
 * The network passes one call of `sample` makes: passes through the network's op path
 * (`flatOutput`, which the E-pass recursion runs E times per layer) and one-pass degree walks (each
 * computes every hidden unit and output once: one pass). One pass per layer means `op` = 0 and
 * `walks` = the number of MAF layers.
 */
function countSamplePasses(sample: () => void): { op: number; walks: number } {
  const network = AutoregressiveNetwork.prototype;
  // The hook through which a MAF layer runs the one-pass sampler; it returns null when it steps aside.
  const layer = MaskedAutoregressiveFlow.prototype as unknown as { fastForwardAndLogDet: (...a: unknown[]) => unknown };
  const [flatOutput, fast] = [network.flatOutput, layer.fastForwardAndLogDet];
  let op = 0;
  let walks = 0;
  network.flatOutput = function (this: AutoregressiveNetwork, ...a: Parameters<typeof flatOutput>) {
    op++;
    return flatOutput.apply(this, a);
  };
  layer.fastForwardAndLogDet = function (this: unknown, ...a: unknown[]) {
    const r = fast.apply(this, a);
    if (r !== null) walks++;
    return r;
  };
  try {
    sample();
  } finally {
    network.flatOutput = flatOutput;
    layer.fastForwardAndLogDet = fast;
  }
  return { op, walks };
}

/**
 * Spline time over affine time of one call (the inverse of the rate ratio), measured in `rounds`
 * alternating pairs of {@link rate} of about `seconds / rounds` each; the median of the rounds' ratios,
 * so that a slow minute on a shared machine hits both sides of a ratio alike.
 */
function interleavedCost(affine: () => void, spline: () => void, rows: number, seconds: number, rounds = 5): number {
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) ratios.push(rate(affine, rows, seconds / rounds) / rate(spline, rows, seconds / rounds));
  ratios.sort((p, q) => p - q);
  return ratios[rounds >> 1];
}

function fmtRate(v: number): string {
  return v >= 1e4 ? `${(v / 1e3).toFixed(0)}k` : v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/** What one transform measured over the configs: rates, GFLOP/s, rates per thread count, and sampling's network passes. */
interface TransformResults {
  configs: Record<string, Rates>;
  gflops: Record<string, Rates>;
  byThreads: Record<string, Record<string, Rates>>;
  samplePasses: Record<string, { layers: number; op: number; walks: number }>;
}

/** What the yardsticks measured, written under `maflowGemm`, `yardstick` (PyTorch, as before) and `tfjs` in the JSON. */
interface Yardsticks {
  /** Python running the PyTorch yardstick, or null without --torch. */
  python: string | null;
  /** maflow's dense gemm per config, measured just before the yardsticks: GFLOP/s at the compared thread count, and on 1 thread. */
  maflowGemm: Record<string, { threads: number; gflops: number; gflops1Thread: number }>;
  torch: {
    torch: string | null;
    threads: number | null;
    blas: TorchResult['blas'] | null;
    /** The BLAS and LAPACK libraries torch actually mapped (see torchBlasLoaded). */
    blasLoaded: string[];
    /** LD_LIBRARY_PATH and LD_PRELOAD as the yardstick inherited them, which can swap its BLAS. */
    ldEnv: Record<string, string>;
    calibration: Record<string, TorchResult['calibration']>;
    configs: Record<string, Rates>;
    ratios: Record<string, Rates>;
    targets: Record<string, Rates>;
    met: Record<string, Record<Measure, boolean>>;
  } | null;
  tfjs: {
    version: string | null;
    setup: Omit<TfjsResult, 'tfjs' | 'rates' | 'calibration'> | null;
    calibration: Record<string, TfjsResult['calibration']>;
    configs: Record<string, Rates>;
    ratios: Record<string, Rates>;
    target: number;
    met: Record<string, Record<Measure, boolean>>;
  } | null;
}

/** Sets up the yardsticks asked for (null for none), printing the machine line they are judged by. */
function startYardsticks(args: Args): Yardsticks | null {
  let tfjs = args.tfjs;
  if (tfjs) {
    const absent = tfjsAbsent();
    if (absent !== null) {
      console.log(`(TF.js yardstick skipped: ${absent})`);
      tfjs = false;
    }
  }
  if (args.torch === null && !tfjs) return null;
  const m = describeMachine();
  console.log(`machine: ${m.cpuinfo} (/proc/cpuinfo), ${m.cores} cores; uptime: ${m.uptime}`);
  let torch: Yardsticks['torch'] = null;
  if (args.torch !== null) {
    const ldEnv = Object.fromEntries(['LD_LIBRARY_PATH', 'LD_PRELOAD'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
    const blasLoaded = torchBlasLoaded(args.torch);
    console.log(`PyTorch yardstick: ${args.torch}; BLAS it loads: ${blasLoaded.join(', ') || '(probe failed)'}${Object.keys(ldEnv).length > 0 ? `; ${JSON.stringify(ldEnv)}` : ''}`);
    torch = { torch: null, threads: null, blas: null, blasLoaded, ldEnv, calibration: {}, configs: {}, ratios: {}, targets: TORCH_TARGETS, met: {} };
  }
  const tf: Yardsticks['tfjs'] = tfjs ? { version: null, setup: null, calibration: {}, configs: {}, ratios: {}, target: TFJS_TARGET, met: {} } : null;
  return { python: args.torch, maflowGemm: {}, torch, tfjs: tf };
}

/** After config `name`: maflow's dense gemm, then each yardstick on the config, with the ratios to `mine` beside their targets. */
function compareWithYardsticks(y: Yardsticks, args: Args, name: string, mine: Rates): void {
  const pad = ''.padEnd(4);
  const threads = getNumThreads();
  const gflops = maflowDenseGemmGflops(1);
  let gflops1Thread = gflops;
  if (threads > 1) {
    setNumThreads(1);
    gflops1Thread = maflowDenseGemmGflops(1);
    setNumThreads(threads);
  }
  y.maflowGemm[name] = { threads, gflops, gflops1Thread };
  console.log(`${pad} maflow dense gemm [256×512]·[512×512] float64: ${gflops.toFixed(2)} GFLOP/s on ${threads} thread${threads === 1 ? '' : 's'}` +
    `${threads > 1 ? `, ${gflops1Thread.toFixed(2)} on 1` : ''}`);
  if (y.torch !== null && y.python !== null) {
    const t = runTorch(y.python, name, args.seconds);
    if (t !== null) {
      const yt = y.torch;
      if (yt.blas === null) console.log(`${pad} torch BLAS build ${t.blas.build.join(' ')}; env ${JSON.stringify(t.blas.env)}`);
      Object.assign(yt, { torch: t.torch, threads: t.threads, blas: t.blas });
      yt.calibration[name] = t.calibration;
      yt.configs[name] = t.rates;
      const { ratios, met } = compare(mine, t.rates, TORCH_TARGETS[name]);
      [yt.ratios[name], yt.met[name]] = [ratios, met];
      const cal = t.calibration.dense_gemm_256x512x512_gflops;
      console.log(`${pad} torch ${t.torch} (${t.threads} threads, float64): gemm ${cal.toFixed(2)} GFLOP/s (maflow / torch ${fmtRatio(gflops / cal)}); ` +
        MEASURES.map((m) => `${m} ${fmtRate(t.rates[m])} → ${verdict(ratios[m], TORCH_TARGETS[name][m])}`).join('  '));
    }
  }
  if (y.tfjs !== null) {
    const t = runTfjs(name, args.seconds);
    if (t !== null) {
      const yt = y.tfjs;
      yt.version = t.tfjs;
      yt.setup = { backend: t.backend, simd: t.simd, threads: t.threads, dtype: t.dtype };
      yt.calibration[name] = t.calibration;
      yt.configs[name] = t.rates;
      const target = { train: TFJS_TARGET, logProb: TFJS_TARGET, sample: TFJS_TARGET };
      const { ratios, met } = compare(mine, t.rates, target);
      [yt.ratios[name], yt.met[name]] = [ratios, met];
      const cal = t.calibration.dense_gemm_256x512x512_gflops;
      console.log(`${pad} tfjs ${t.tfjs} (${t.backend}, ${t.simd ? 'SIMD' : 'no SIMD'}, ${t.threads} thread${t.threads === 1 ? '' : 's'}, ${t.dtype}): gemm ${cal.toFixed(2)} GFLOP/s ` +
        `(maflow 1 thread / tfjs ${fmtRatio(gflops1Thread / cal)}); ` + MEASURES.map((m) => `${m} ${fmtRate(t.rates[m])} → ${verdict(ratios[m], TFJS_TARGET)}`).join('  '));
    }
  }
}

/** The table of the run: per config and measure, maflow's samples/s, each yardstick's, and the ratio against its target. */
function printSummary(y: Yardsticks, names: string[], mine: Record<string, Rates>): void {
  const cols = [y.torch !== null ? 'PyTorch' : null, y.tfjs !== null ? 'TF.js' : null].filter((c) => c !== null);
  console.log(`\nsamples/s, ratio maflow / yardstick (target):\n${'cfg'.padEnd(4)}${'measure'.padEnd(8)}${'maflow'.padStart(8)}` +
    cols.map((c) => `${c.padStart(9)}  ${`maflow / ${c}`.padEnd(22)}`).join('').trimEnd());
  for (const name of names) {
    for (const m of MEASURES) {
      let line = `${name.padEnd(4)}${m.padEnd(8)}${fmtRate(mine[name][m]).padStart(8)}`;
      if (y.torch !== null) {
        const t = y.torch.configs[name];
        line += t === undefined ? `${'—'.padStart(9)}  ${''.padEnd(22)}` : `${fmtRate(t[m]).padStart(9)}  ${verdict(y.torch.ratios[name][m], TORCH_TARGETS[name][m]).padEnd(22)}`;
      }
      if (y.tfjs !== null) {
        const t = y.tfjs.configs[name];
        line += t === undefined ? `${'—'.padStart(9)}` : `${fmtRate(t[m]).padStart(9)}  ${verdict(y.tfjs.ratios[name][m], TFJS_TARGET)}`;
      }
      console.log(line.trimEnd());
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.clock === 'cpu') callClock = cpuMs;
  setGemmBackend(args.backend); // throws, naming the choices, for anything else
  eagerTrain = args.eagerTrain;
  const counts = args.threads ?? [getNumThreads()];
  // Without --transform (or with affine alone) the output is what this bench always printed and wrote.
  const transformMode = !(args.transforms.length === 1 && args.transforms[0] === 'affine');
  setNumThreads(Math.max(...counts));
  // The loops below never yield to the event loop, so the workers must be up before they start.
  const available = await startThreads();
  const { cpuinfo, uptime } = describeMachine();
  const machine: Record<string, unknown> = {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: platform(), arch: arch(),
    threads: counts, load: loadavg().map((v) => Number(v.toFixed(2))), cpuinfo, uptime,
    gemmBackend: args.backend, simd: simdAvailable(), train: args.eagerTrain ? 'written out (fresh graph per step)' : 'compiled (fit\'s replayed step)',
  };
  console.log(`node ${process.version}, ${machine.cpu} (${machine.cores} cores, load ${(machine.load as number[]).join(' ')}), threads ${counts.join(' then ')} (${available} available), gemm backend ${getGemmBackend()}${simdAvailable() ? ' (SIMD available)' : ' (no SIMD)'}, train step ${args.eagerTrain ? 'written out' : 'compiled'}; samples/${args.clock === 'cpu' ? 'CPU-s (the process\'s CPU time, every thread)' : 's'}, median of repeats after warm-up, ~${args.seconds} s each`);
  const results: Partial<Record<BenchTransform, TransformResults>> = {};
  for (const t of args.transforms) results[t] = { configs: {}, gflops: {}, byThreads: {}, samplePasses: {} };
  const splineCost: Record<string, Rates & { logProbInterleaved: number; networkInterleaved: number }> = {};
  const yardsticks = startYardsticks(args);
  const started = nowMs();
  const label = (t: BenchTransform): string => (!transformMode ? '' : t === 'affine' ? ', affine' : `, spline K ${args.bins} B ${args.bound}`);
  for (const name of args.configs) {
    const c = CONFIGS[name];
    // The cases of the last thread count, kept for the interleaved ratio and the pass count.
    const cases: Partial<Record<BenchTransform, Case>> = {};
    // With several thread counts, each in turn within the same minute, so that their ratio means something here.
    for (const threads of counts) {
      setNumThreads(threads);
      for (const t of args.transforms) {
        const res = results[t]!;
        const k = makeCase(name, c, { transform: t, bins: args.bins, bound: args.bound });
        cases[t] = k;
        const r = measure(c, args.seconds, k);
        (res.byThreads[threads] ??= {})[name] = r.rates;
        res.configs[name] = r.rates;
        res.gflops[name] = r.gflops;
        const line = (['train', 'logProb', 'sample'] as const)
          .map((m) => `${m} ${fmtRate(r.rates[m]).padStart(6)} (${r.gflops[m].toFixed(2)} GFLOP/s)`).join('  ');
        console.log(`${name.padEnd(4)} D ${String(c.eventSize).padEnd(3)} hidden [${c.hiddenUnits}] × ${c.layers}, ${threads} thread${threads === 1 ? ' ' : 's'}${label(t)}: ${line}`);
      }
    }
    for (const t of args.transforms) {
      const res = results[t]!;
      if (counts.length > 1) {
        const [first, last] = [res.byThreads[counts[0]][name], res.byThreads[counts[counts.length - 1]][name]];
        console.log(`${''.padEnd(4)} ${counts[counts.length - 1]} threads / ${counts[0]}${label(t)}: ${(['train', 'logProb', 'sample'] as const).map((m) => `${m} ${(last[m] / first[m]).toFixed(2)}×`).join('  ')}`);
      }
      if (transformMode) {
        // One pass per layer: no pass through the op path (the E-pass recursion's), one walk per layer.
        const passes = countSamplePasses(cases[t]!.sample);
        res.samplePasses[name] = { layers: c.layers, ...passes };
        const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
        console.log(`${''.padEnd(4)} noGrad sample${label(t)}: ${plural(passes.op + passes.walks, 'network pass', 'network passes')} for ${plural(c.layers, 'layer')} ` +
          `(${plural(passes.walks, 'one-pass walk')}, ${plural(passes.op, 'op-path pass', 'op-path passes')})`);
        if (passes.op !== 0 || passes.walks !== c.layers) {
          throw new Error(`bench/flows: sampling config ${name}${label(t)} made ${passes.op} op-path passes and ${passes.walks} walks; expected 0 and ${c.layers} (one pass per layer)`);
        }
      }
    }
    const [affine, spline] = [results.affine?.configs[name], results.spline?.configs[name]];
    if (affine !== undefined && spline !== undefined) {
      const logProbInterleaved = interleavedCost(cases.affine!.logProb, cases.spline!.logProb, c.batch, args.seconds);
      // How much of that is the wider output layer (P = 3K − 1 outputs per dimension instead of 2)
      // rather than the spline itself: the same ratio for the network passes alone.
      const networkInterleaved = interleavedCost(cases.affine!.networkPasses, cases.spline!.networkPasses, c.batch, args.seconds);
      splineCost[name] = {
        train: affine.train / spline.train, logProb: affine.logProb / spline.logProb, sample: affine.sample / spline.sample,
        logProbInterleaved, networkInterleaved,
      };
      console.log(`${''.padEnd(4)} spline / affine time per sample: ${(['train', 'logProb', 'sample'] as const).map((m) => `${m} ${splineCost[name][m].toFixed(2)}×`).join('  ')}  ` +
        `(interleaved, 5 rounds: logProb ${logProbInterleaved.toFixed(2)}×, its network passes alone ${networkInterleaved.toFixed(2)}×)`);
    }
    const mine = results.affine?.configs[name];
    if (yardsticks !== null && mine === undefined) console.log('  (the yardsticks are affine MAFs: add affine to --transform to compare)');
    // Right after ours, so all sides run in the same minute on this noisy machine.
    if (yardsticks !== null && mine !== undefined) compareWithYardsticks(yardsticks, args, name, mine);
  }
  console.log(`total ${((nowMs() - started) / 1000).toFixed(0)} s`);
  // `configs`, `gflops` and `byThreads` hold the affine flow, as before; every transform's are under `transforms`.
  const affine = results.affine ?? { configs: {}, gflops: {}, byThreads: {} };
  const result: Record<string, unknown> = { configs: affine.configs, gflops: affine.gflops, machine, date: new Date().toISOString() };
  if (args.clock === 'cpu') result.clock = 'cpu';
  if (counts.length > 1) result.byThreads = affine.byThreads;
  if (yardsticks !== null) {
    const end = describeMachine();
    machine.uptimeEnd = end.uptime;
    console.log(`uptime at the end: ${end.uptime}`);
    printSummary(yardsticks, args.configs.filter((n) => results.affine?.configs[n] !== undefined), affine.configs);
    result.maflowGemm = yardsticks.maflowGemm;
    if (yardsticks.torch !== null) result.yardstick = yardsticks.torch;
    if (yardsticks.tfjs !== null) result.tfjs = yardsticks.tfjs;
  }
  if (transformMode) {
    result.transforms = Object.fromEntries(args.transforms.map((t) => [t, {
      ...(t === 'spline' ? { bins: args.bins, bound: args.bound } : {}), ...results[t]!, ...(counts.length > 1 ? {} : { byThreads: undefined }),
    }]));
    if (Object.keys(splineCost).length > 0) result.splineCost = splineCost;
  }
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${args.json}`);
}

await main();
