// The banana study: TFP's example against stable and spline flows, 800 Adam steps each, median test NLL over seeds; prints a table and writes JSON.
// Usage: npm run bench:density [-- --seeds N --steps N --models tfp,tfp-zero,... --json FILE]
//   (default 10 seeds, 800 steps of batch 25 at lr 1e-3 as TFP's example trains, all models, out/bench-density.json)
import { mean } from '../autodiff/ops/reduce.js';
import { gather } from '../autodiff/ops/shape.js';
import { neg } from '../autodiff/ops/unary.js';
import { Adam } from '../autodiff/optimizers/adam.js';
import { noGrad, type Tensor } from '../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../flows/made/autoregressive-network.js';
import type { Bijector } from '../flows/bijectors/bijector.js';
import { Chain } from '../flows/bijectors/chain.js';
import { Invert } from '../flows/bijectors/invert.js';
import { MaskedAutoregressiveFlow } from '../flows/bijectors/masked-autoregressive-flow.js';
import { Reverse } from '../flows/bijectors/permute.js';
import { Standardize } from '../flows/bijectors/standardize.js';
import { MultivariateNormalDiag } from '../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../flows/distributions/transformed-distribution.js';
import { maskedAutoregressiveFlowStack } from '../flows/maf.js';
import { affineFamily, boundedAffineFamily } from '../flows/transforms/affine.js';
import type { TransformFamily } from '../flows/transforms/family.js';
import { splineFamily } from '../flows/transforms/spline.js';
import { readCsv } from '../lib/node/files.js';
import { Random } from '../lib/util/random.js';
import { writeJson } from './compare-density.js';

/** One model of the study: how to build it for a seed, given the training data. */
interface Study {
  label: string;
  /** The target for the median test NLL, if it sets one. */
  target?: string;
  build: (seed: number, train: Tensor) => TransformedDistribution;
}

const E = 2;
const base = (): MultivariateNormalDiag => new MultivariateNormalDiag({ loc: [0, 0] });

/** `layers` MADE-driven layers of `family`, reversed between them, on standardized data (or raw). */
function stack(family: () => TransformFamily, hiddenUnits: number[], layers: number, options: { zeroInitOutput: boolean; standardize: boolean; residualBlocks?: boolean }) {
  return (seed: number, train: Tensor): TransformedDistribution => {
    const members: Bijector[] = [];
    if (options.standardize) members.push(new Invert(Standardize.fromData(train)));
    const rng = new Random(seed);
    for (let k = 0; k < layers; k++) {
      if (k > 0) members.push(new Reverse({ eventSize: E }));
      const f = family();
      const made = new AutoregressiveNetwork({
        params: f.params, eventShape: E, hiddenUnits, activation: 'relu', zeroInitOutput: options.zeroInitOutput,
        residualBlocks: options.residualBlocks ?? false, seed: Math.floor(rng.uniform() * 2 ** 32),
      });
      members.push(new MaskedAutoregressiveFlow({ network: made, transform: f }));
    }
    return new TransformedDistribution({ distribution: base(), bijector: new Chain(members) });
  };
}

const STUDIES: Record<string, Study> = {
  tfp: {
    label: "TFP's example: 1 affine layer, MADE [10], glorot, exp scale, raw data",
    build: stack(() => affineFamily(), [10], 1, { zeroInitOutput: false, standardize: false }),
  },
  'tfp-zero': {
    label: "TFP's example with the output layer started near zero (zeroInitOutput)",
    target: 'all seeds ≤ 4.0',
    build: stack(() => affineFamily(), [10], 1, { zeroInitOutput: true, standardize: false }),
  },
  'bounded-1': {
    label: '1 bounded-affine layer (softplus + ε), MADE [10], zero-init, raw data',
    build: stack(() => boundedAffineFamily(), [10], 1, { zeroInitOutput: true, standardize: false }),
  },
  'spline-1-k8': {
    label: '1 spline layer (8 bins, B = 5: the family defaults), MADE [10], zero-init, standardized',
    build: stack(() => splineFamily({ bins: 8, bound: 5 }), [10], 1, { zeroInitOutput: true, standardize: true }),
  },
  'spline-1': {
    label: '1 spline layer (10 bins, B = 6), MADE [10], zero-init, standardized',
    target: '≤ 3.62 (zuko NSF 3.63)',
    build: stack(() => splineFamily({ bins: 10, bound: 6 }), [10], 1, { zeroInitOutput: true, standardize: true }),
  },
  'spline-1-res': {
    label: '1 spline layer (10 bins, B = 6), residual MADE [10] (1 block), zero-init, standardized',
    build: stack(() => splineFamily({ bins: 10, bound: 6 }), [10], 1, { zeroInitOutput: true, standardize: true, residualBlocks: true }),
  },
  'affine-3x32': {
    label: '3 affine layers, MADE [32, 32], zero-init, standardized',
    build: stack(() => affineFamily(), [32, 32], 3, { zeroInitOutput: true, standardize: true }),
  },
  'spline-2x32': {
    label: '2 spline layers (8 bins, B = 5), MADE [32, 32], zero-init, standardized',
    build: stack(() => splineFamily({ bins: 8, bound: 5 }), [32, 32], 2, { zeroInitOutput: true, standardize: true }),
  },
  'builder-affine': {
    label: "the builder with transform: 'affine' (5 layers, [512, 512], zero-init)",
    build: (seed, train) => maskedAutoregressiveFlowStack({ eventSize: E, preprocessing: Standardize.fromData(train), seed, transform: 'affine' }),
  },
  builder: {
    label: 'maskedAutoregressiveFlowStack({ eventSize: 2, preprocessing: Standardize }) with its defaults (5 spline layers, 8 bins, B = 5, [512, 512], zero-init)',
    target: '≤ 3.55 (true 3.528)',
    build: (seed, train) => maskedAutoregressiveFlowStack({ eventSize: E, preprocessing: Standardize.fromData(train), seed }),
  },
};

interface Args {
  seeds: number;
  steps: number;
  batch: number;
  lr: number;
  models: string[];
  json: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: 10, steps: 800, batch: 25, lr: 1e-3, models: Object.keys(STUDIES), json: 'out/bench-density.json' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`bench/density: '${flag}' needs a value`);
    if (flag === '--seeds') a.seeds = Number(v);
    else if (flag === '--steps') a.steps = Number(v);
    else if (flag === '--batch') a.batch = Number(v);
    else if (flag === '--lr') a.lr = Number(v);
    else if (flag === '--models') a.models = v.split(',');
    else if (flag === '--json') a.json = v;
    else throw new Error(`bench/density: unknown flag '${flag}' (expected --seeds, --steps, --batch, --lr, --models, --json)`);
  }
  for (const m of a.models) if (!(m in STUDIES)) throw new Error(`bench/density: unknown model '${m}'; expected some of ${Object.keys(STUDIES).join(',')}`);
  return a;
}

/**
 * `steps` Adam steps on −mean log p of batches drawn as `fit` draws them (a fresh seeded shuffle of
 * the rows per pass). Returns the first step's loss, the last, and whether any loss was non-finite.
 */
function train(flow: TransformedDistribution, x: Tensor, a: Args, seed: number): { first: number; last: number; finite: boolean } {
  const weights = flow.trainableWeights;
  const opt = new Adam({ learningRate: a.lr });
  const rng = new Random(`shuffle-${seed}`);
  const n = x.shape[0];
  let order = rng.permutation(n);
  let at = 0;
  let first = NaN;
  let last = NaN;
  let finite = true;
  for (let step = 0; step < a.steps; step++) {
    if (at + a.batch > n) {
      order = rng.permutation(n);
      at = 0;
    }
    const batch = gather(x, order.slice(at, at + a.batch));
    at += a.batch;
    const loss = neg(mean(flow.logProb(batch)));
    const value = loss.item();
    if (step === 0) first = value;
    last = value;
    if (!Number.isFinite(value)) {
      finite = false;
      break;
    }
    opt.zeroGrad(weights);
    loss.backward();
    try {
      opt.step(weights);
    } catch {
      finite = false;
      break;
    }
  }
  return { first, last, finite };
}

function median(v: number[]): number {
  const s = v.slice().sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const args = parseArgs(process.argv.slice(2));
const trainX = (await readCsv('data/banana_train.csv')).values;
const testX = (await readCsv('data/banana_test.csv')).values;
console.log(`banana: ${trainX.shape[0]} train / ${testX.shape[0]} test rows; ${args.steps} Adam steps (lr ${args.lr}) of batch ${args.batch}, ` +
  `seeds 0…${args.seeds - 1}; test NLL in nats (true density: 3.528)`);
const results: Record<string, unknown> = {};
const rows: string[] = ['| model | median test NLL | min | max | seeds > 4.0 | first-step loss (median) | s / seed | target |', '|---|---|---|---|---|---|---|---|'];
for (const key of args.models) {
  const study = STUDIES[key];
  const nll: number[] = [];
  const firstLoss: number[] = [];
  const t0 = performance.now();
  for (let seed = 0; seed < args.seeds; seed++) {
    const flow = study.build(seed, trainX);
    const r = train(flow, trainX, args, seed);
    const test = noGrad(() => -mean(flow.logProb(testX)).item());
    nll.push(r.finite && Number.isFinite(test) ? test : Infinity);
    firstLoss.push(r.first);
  }
  const seconds = (performance.now() - t0) / 1000 / args.seeds;
  const bad = nll.filter((v) => !(v <= 4.0)).length;
  const row = { label: study.label, target: study.target ?? null, median: median(nll), min: Math.min(...nll), max: Math.max(...nll), over4: bad,
    firstLossMedian: median(firstLoss), secondsPerSeed: seconds, perSeed: nll };
  results[key] = row;
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : String(v));
  rows.push(`| ${study.label} | **${f(row.median)}** | ${f(row.min)} | ${f(row.max)} | ${bad} / ${args.seeds} | ${f(row.firstLossMedian)} | ${seconds.toFixed(1)} | ${study.target ?? '–'} |`);
  console.log(`${key.padEnd(12)} median ${f(row.median)}  min ${f(row.min)}  max ${f(row.max)}  >4.0: ${bad}/${args.seeds}  (${seconds.toFixed(1)} s/seed)  per seed: ${nll.map(f).join(' ')}`);
}
console.log(`\n${rows.join('\n')}`);
writeJson(args.json, { config: args, node: process.version, results });
console.log(`\nwrote ${args.json}`);
