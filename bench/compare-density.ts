// Shared code of the density benchmarks: training a prebuilt flow with early stopping, test NLL ± 2 SE, a Gaussian yardstick.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Adam } from '../autodiff/optimizers/adam.js';
import { noGrad, Tensor, zeros } from '../autodiff/tensor.js';
import type { Bijector } from '../flows/bijectors/bijector.js';
import type { TransformedDistribution } from '../flows/distributions/transformed-distribution.js';
import { maskedAutoregressiveFlowStack, type MaskedAutoregressiveFlowStackOptions } from '../flows/maf.js';
import { FlowLayer } from '../lib/layers/flow-layer.js';
import { InputLayer } from '../lib/layers/input-layer.js';
import { EarlyStopping } from '../lib/models/callbacks.js';
import { Sequential } from '../lib/models/sequential.js';

/** Command-line flags shared by the density benchmarks. */
export interface BenchFlags {
  /** Maximum epochs per model. */
  epochs: number;
  /** Early-stopping patience, in epochs. */
  patience: number;
  batchSize: number;
  learningRate: number;
  /** Hidden widths of every MADE. */
  hidden: number[];
  /** Models to train, by key (see {@link MODEL_KEYS}). */
  models: string[];
  seed: number;
  /** A short run to check that everything works (few epochs, small networks). */
  quick: boolean;
  /** Where the JSON summary goes. */
  json: string;
  /** Soft bound on every MAF layer's log-scale (`logScaleClamp`), or undefined for none (the default, as TFP). */
  clamp?: number;
  /** Bins of every spline of the spline rows (`nsf`, `nsf-res`), or undefined for the builder's default (8). */
  bins?: number;
  /** Half-width B of every spline's range [−B, B] in the spline rows, or undefined for the builder's default (5). */
  bound?: number;
}

/**
 * The models of the comparison, by key: the paper's (`gaussian`, `made`, `maf`, `maf-bn`), the same
 * MAF (5) with its output layers started near zero (`maf-zero`), and rational-quadratic spline flows
 * (`nsf`, `nsf-res`; Durkan et al. 2019).
 */
export const MODEL_KEYS = ['gaussian', 'made', 'maf', 'maf-bn', 'maf-zero', 'nsf', 'nsf-res'] as const;

/** The keys of the spline rows, which `--bins` and `--bound` reach. */
const SPLINE_KEYS: readonly string[] = ['nsf', 'nsf-res'];

/** The display name of a model key in a run: a spline row names its bins K and bound B (the builder's 8 and 5 unless given). */
export function modelName(key: string, f: BenchFlags): string {
  if (!SPLINE_KEYS.includes(key)) return MODEL_NAMES[key];
  return `${MODEL_NAMES[key]}, K = ${f.bins ?? 8}, B = ${f.bound ?? 5}`;
}

/**
 * Parses `--epochs N --patience N --batch N --lr X --hidden 256,256 --models made,maf --seed N --clamp B --bins K --bound B --quick --json FILE`.
 * @throws Error naming an unknown flag or a flag without its value
 */
export function parseFlags(argv: readonly string[], defaults: Omit<BenchFlags, 'quick'>): BenchFlags {
  const f: BenchFlags = { ...defaults, hidden: defaults.hidden.slice(), models: defaults.models.slice(), quick: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: '${flag}' needs a value`);
      return v;
    };
    switch (flag) {
      case '--epochs': f.epochs = Number(value()); break;
      case '--patience': f.patience = Number(value()); break;
      case '--batch': f.batchSize = Number(value()); break;
      case '--lr': f.learningRate = Number(value()); break;
      case '--hidden': f.hidden = value().split(',').map(Number); break;
      case '--models': f.models = value().split(','); break;
      case '--seed': f.seed = Number(value()); break;
      case '--json': f.json = value(); break;
      case '--quick': f.quick = true; break;
      case '--clamp': f.clamp = Number(value()); break;
      case '--bins': f.bins = Number(value()); break;
      case '--bound': f.bound = Number(value()); break;
      default: throw new Error(`bench: unknown flag '${flag}'; known: --epochs --patience --batch --lr --hidden --models --seed --clamp --bins --bound --quick --json`);
    }
  }
  for (const m of f.models) {
    if (!(MODEL_KEYS as readonly string[]).includes(m)) throw new Error(`bench: unknown model '${m}'; known: ${MODEL_KEYS.join(', ')}`);
  }
  if (f.quick) {
    f.epochs = Math.min(f.epochs, 3);
    f.hidden = f.hidden.map((h) => Math.min(h, 64));
  }
  return f;
}

/** Mean and two standard errors of per-point values: `m ± 2·s/√n`, `s` the sample standard deviation. */
export function meanAndTwoSe(values: ArrayLike<number>): { mean: number; twoSe: number } {
  const n = values.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i] / n;
  let s2 = 0;
  for (let i = 0; i < n; i++) s2 += (values[i] - m) ** 2 / (n - 1);
  return { mean: m, twoSe: 2 * Math.sqrt(s2 / n) };
}

/** `−log p(x_b)` for every row, without a graph, in batches, batch norm in inference mode. */
export function perPointNll(flow: TransformedDistribution, x: Tensor, batchSize = 256): Float64Array {
  const n = x.shape[0];
  const E = x.shape[1];
  const out = new Float64Array(n);
  noGrad(() => {
    for (let s = 0; s < n; s += batchSize) {
      const e = Math.min(n, s + batchSize);
      const rows = new Tensor(x.data.subarray(s * E, e * E), [e - s, E]);
      const lp = flow.logProb(rows, { bijectorKwargs: { training: false } }).data;
      for (let b = 0; b < e - s; b++) out[s + b] = -lp[b];
    }
  });
  return out;
}

/** What {@link trainFlow} reports. */
export interface TrainResult {
  /** Epochs run (≤ the maximum). */
  epochs: number;
  /** 1-based epoch whose weights were kept (the best `val_loss`). */
  bestEpoch: number;
  bestValLoss: number;
  seconds: number;
  trainableParams: number;
}

/**
 * Trains `flow` by `Sequential.fit` on `train` with Adam, `val_loss` on `validation` after every
 * epoch, and `EarlyStopping({ monitor: 'val_loss', patience, restoreBestWeights: true })`, as the paper trains.
 * Prints one line every `every` epochs.
 */
export async function trainFlow(
  flow: TransformedDistribution, train: Tensor, validation: Tensor, f: BenchFlags, label: string,
  hooks: { onEpochBegin?: (epoch: number) => void; every?: number } = {},
): Promise<TrainResult> {
  const every = hooks.every ?? 5;
  const model = new Sequential([new InputLayer({ inputShape: [0] }), new FlowLayer(flow)]);
  model.compile({ optimizer: new Adam({ learningRate: f.learningRate }), loss: 'negativeLogLikelihood' });
  const stop = new EarlyStopping({ monitor: 'val_loss', patience: f.patience, restoreBestWeights: true });
  const t0 = performance.now();
  let ran = 0;
  await model.fit(zeros([train.shape[0], 0]), train, {
    batchSize: f.batchSize,
    epochs: f.epochs,
    validationData: [zeros([validation.shape[0], 0]), validation],
    verbose: 0,
    seed: f.seed,
    validateArgs: true,
    callbacks: [stop, {
      onEpochBegin: (epoch: number) => hooks.onEpochBegin?.(epoch),
      onEpochEnd: (epoch: number, logs: Record<string, number>) => {
        ran = epoch + 1;
        if (ran % every === 0 || ran === 1) {
          console.log(`  ${label} epoch ${String(ran).padStart(3)}  loss ${logs.loss.toFixed(3)}  val_loss ${logs.val_loss.toFixed(3)}  ` +
            `(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
        }
      },
    }],
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    epochs: ran,
    bestEpoch: stop.bestEpoch + 1,
    bestValLoss: stop.best,
    seconds,
    trainableParams: model.trainableWeights.reduce((n, w) => n + w.size, 0),
  };
}

/**
 * The builder options of a model key. MADE = one affine layer; MAF (5) with and without batch norm:
 * these three are the paper's and TFP's models, so they keep TFP's glorot-initialised output layer
 * (`zeroInitOutput: false`; the builder's default is now a near-zero start) and their numbers stay
 * comparable with earlier runs. `maf-zero` is MAF (5) with the near-zero start; `nsf` is five
 * rational-quadratic spline layers (`--bins`, `--bound`), `nsf-res` the same with residual MADE
 * blocks, both with the builder's defaults otherwise (near-zero start, reversals between layers).
 */
export function modelOptions(key: string, eventSize: number, f: BenchFlags, extra: Partial<MaskedAutoregressiveFlowStackOptions>): MaskedAutoregressiveFlowStackOptions {
  const base = { eventSize, hiddenUnits: f.hidden, activation: 'relu' as const, seed: f.seed, ...extra };
  // The paper's models are affine (the builder's default is the spline); --clamp applies to them only.
  const clamp = { transform: 'affine' as const, ...(f.clamp === undefined ? {} : { logScaleClamp: f.clamp }) };
  if (key === 'made') return { ...base, ...clamp, numLayers: 1, zeroInitOutput: false, name: 'made' };
  if (key === 'maf') return { ...base, ...clamp, numLayers: 5, zeroInitOutput: false, name: 'maf5' };
  if (key === 'maf-bn') return { ...base, ...clamp, numLayers: 5, batchNorm: true, zeroInitOutput: false, name: 'maf5_bn' };
  if (key === 'maf-zero') return { ...base, ...clamp, numLayers: 5, zeroInitOutput: true, name: 'maf5_zero' };
  const spline = {
    transform: 'spline' as const, ...(f.bins === undefined ? {} : { bins: f.bins }), ...(f.bound === undefined ? {} : { bound: f.bound }),
  };
  if (key === 'nsf') return { ...base, ...spline, numLayers: 5, name: 'nsf5' };
  if (key === 'nsf-res') return { ...base, ...spline, numLayers: 5, residualBlocks: true, name: 'nsf5_res' };
  throw new Error(`bench: no builder options for model '${key}'`);
}

/** Builds a flow for a model key (see {@link modelOptions}). */
export function buildModel(key: string, eventSize: number, f: BenchFlags, extra: Partial<MaskedAutoregressiveFlowStackOptions>): TransformedDistribution {
  return maskedAutoregressiveFlowStack(modelOptions(key, eventSize, f, extra));
}

/** The display name of a model key. */
export const MODEL_NAMES: Record<string, string> = {
  gaussian: 'Gaussian (full covariance, MLE)',
  made: 'MADE (1 layer, Gaussian conditionals)',
  maf: 'MAF (5)',
  'maf-bn': 'MAF (5) + batch norm',
  'maf-zero': 'MAF (5), near-zero output init',
  nsf: 'NSF (5), rational-quadratic splines',
  'nsf-res': 'NSF (5), splines, residual MADE blocks',
};

/**
 * The maximum-likelihood Gaussian `N(μ, Σ)` of the rows of `z` (`Σ` with divisor n, plus `ridge·I`
 * so that near-constant columns keep it positive definite), as a per-row log-density function.
 * `log N(z; μ, Σ) = −½ (z − μ)ᵀ Σ⁻¹ (z − μ) − ½ log det Σ − (D/2) log 2π`, through a Cholesky factor.
 */
export function fitGaussian(z: Tensor, ridge = 1e-9): (rows: Tensor) => Float64Array {
  const [n, D] = z.shape;
  const mu = new Float64Array(D);
  for (let b = 0; b < n; b++) for (let d = 0; d < D; d++) mu[d] += z.data[b * D + d] / n;
  const S = new Float64Array(D * D);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < D; i++) {
      const ci = z.data[b * D + i] - mu[i];
      for (let j = 0; j <= i; j++) S[i * D + j] += (ci * (z.data[b * D + j] - mu[j])) / n;
    }
  }
  for (let i = 0; i < D; i++) S[i * D + i] += ridge;
  // Cholesky, lower triangle in place: S = L Lᵀ.
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i * D + j];
      for (let k = 0; k < j; k++) s -= L[i * D + k] * L[j * D + k];
      L[i * D + j] = i === j ? Math.sqrt(s) : s / L[j * D + j];
    }
  }
  let halfLogDet = 0;
  for (let i = 0; i < D; i++) halfLogDet += Math.log(L[i * D + i]);
  const c = halfLogDet + 0.5 * D * Math.log(2 * Math.PI);
  return (rows: Tensor): Float64Array => {
    const m = rows.shape[0];
    const out = new Float64Array(m);
    const w = new Float64Array(D);
    for (let b = 0; b < m; b++) {
      // Solve L w = (z − μ) by forward substitution; the quadratic form is |w|².
      let q = 0;
      for (let i = 0; i < D; i++) {
        let s = rows.data[b * D + i] - mu[i];
        for (let k = 0; k < i; k++) s -= L[i * D + k] * w[k];
        w[i] = s / L[i * D + i];
        q += w[i] * w[i];
      }
      out[b] = -0.5 * q - c;
    }
    return out;
  };
}

/** Writes `value` as pretty JSON, making the directory first. */
export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** One row of the comparison table. */
export interface ResultRow {
  model: string;
  /** Test NLL in the reporting unit (nats per image, or per data point), mean and 2 SE. */
  nll: number;
  nllTwoSe: number;
  /** The same per dimension. */
  nllPerDim: number;
  nllPerDimTwoSe: number;
  /** Median and largest per-point test NLL (same unit): a few far-out test points can dominate the mean. */
  median: number;
  worst: number;
  /** Every test point's NLL, for paired comparisons. */
  perPoint: number[];
  epochs?: number;
  bestEpoch?: number;
  bestValLoss?: number;
  seconds?: number;
  trainableParams?: number;
}

/** One data set prepared for {@link runComparison}. */
export interface DensityProblem {
  /** Rows `[n, D]` in data space (what the flows' `logProb` takes). */
  train: Tensor;
  validation: Tensor;
  test: Tensor;
  /** Data → model space, with its log-det (e.g. logit then standardize); the flows hold it inverted. */
  preprocessing: Bijector;
  /** Per-point `−log p_X` (data space) → the reported unit, e.g. + D·log L for dequantized data. */
  toReportScale: (nll: Float64Array) => Float64Array;
  /** Name of the reported unit, e.g. `'nats / image'`. */
  unit: string;
  /** Called before each training epoch (e.g. to redraw dequantization noise in `train`). */
  onEpochBegin?: (epoch: number) => void;
}

/**
 * Trains and evaluates every model of `f.models` on `problem`: the maximum-likelihood Gaussian in
 * model space (with the preprocessing's log-det, so its NLL is in the same space as the flows'),
 * then each flow of `f.models` (see {@link modelOptions}) with {@link trainFlow}. Prints one line per model.
 * @returns the table rows and the trained flows by key
 */
export async function runComparison(problem: DensityProblem, f: BenchFlags): Promise<{ rows: ResultRow[]; flows: Map<string, TransformedDistribution> }> {
  const D = problem.train.shape[1];
  const rows: ResultRow[] = [];
  const flows = new Map<string, TransformedDistribution>();
  const report = (key: string, nllX: Float64Array, extra: Partial<ResultRow> = {}): void => {
    const nll = problem.toReportScale(nllX);
    const s = meanAndTwoSe(nll);
    const sorted = Float64Array.from(nll).sort();
    const median = (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
    const row: ResultRow = {
      model: modelName(key, f), nll: s.mean, nllTwoSe: s.twoSe, nllPerDim: s.mean / D, nllPerDimTwoSe: s.twoSe / D,
      median, worst: sorted[sorted.length - 1], perPoint: Array.from(nll), ...extra,
    };
    rows.push(row);
    console.log(`${row.model}: test NLL ${s.mean.toFixed(2)} ± ${s.twoSe.toFixed(2)} ${problem.unit} = ${row.nllPerDim.toFixed(4)} ± ${row.nllPerDimTwoSe.toFixed(4)} nats/dim; ` +
      `median ${median.toFixed(2)}, worst point ${row.worst!.toFixed(2)}` +
      (extra.seconds === undefined ? '' : `; ${extra.epochs} epochs (best ${extra.bestEpoch}, val_loss ${extra.bestValLoss!.toFixed(3)}) in ${extra.seconds.toFixed(1)} s`));
  };
  for (const key of f.models) {
    if (key === 'gaussian') {
      // log p_X(x) = log N(P(x); μ, Σ) + log|det ∂P/∂x|, P the preprocessing.
      const toZ = (x: Tensor) => noGrad(() => problem.preprocessing.forwardAndLogDet(x, { eventNdims: 1 }));
      const gaussian = fitGaussian(toZ(problem.train).y);
      const zt = toZ(problem.test);
      report(key, gaussian(zt.y).map((v, b) => -(v + zt.logDet.data[b])));
      continue;
    }
    const flow = buildModel(key, D, f, { preprocessing: problem.preprocessing });
    console.log(`\n${modelName(key, f)}: training …`);
    const r = await trainFlow(flow, problem.train, problem.validation, f, key, { onEpochBegin: problem.onEpochBegin });
    report(key, perPointNll(flow, problem.test), r);
    flows.set(key, flow);
  }
  return { rows, flows };
}

/**
 * A Markdown table of the rows, as docs/benchmarks.md holds it. The `Δ` column is the paired
 * difference to the `reference` model over the same test points, mean ± 2 SE of `nll_model − nll_ref`:
 * the models share the test points, so this SE is much smaller than the SEs of the two means.
 */
export function markdownTable(rows: readonly ResultRow[], unit: string, reference = MODEL_NAMES.maf): string {
  const ref = rows.find((r) => r.model === reference);
  const lines = [
    `| model | test NLL (${unit}), mean ± 2 SE | nats / dim | median | Δ vs ${reference} (paired) | epochs (best) | train time | trainable params |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    let delta = '–';
    if (ref !== undefined && r !== ref) {
      const d = meanAndTwoSe(r.perPoint.map((v, b) => v - ref.perPoint[b]));
      delta = `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(2)} ± ${d.twoSe.toFixed(2)}`;
    }
    lines.push(`| ${r.model} | ${r.nll.toFixed(2)} ± ${r.nllTwoSe.toFixed(2)} | ${r.nllPerDim.toFixed(3)} ± ${r.nllPerDimTwoSe.toFixed(3)} | ${r.median.toFixed(2)} | ${delta} | ` +
      `${r.epochs === undefined ? '–' : `${r.epochs} (${r.bestEpoch})`} | ${r.seconds === undefined ? '–' : `${r.seconds.toFixed(0)} s`} | ` +
      `${r.trainableParams === undefined ? '–' : r.trainableParams.toLocaleString('en-US')} |`);
  }
  return lines.join('\n');
}
