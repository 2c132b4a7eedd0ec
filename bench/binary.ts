// MADE as a density model of binarized 8×8 digits: one mask vs K = 8 masks and their ensemble vs independent Bernoullis, test NLL ± 2 SE; one-pass vs E-pass sampling time.
// Usage: npm run bench:binary [-- --epochs N --patience N --hidden 500 --masks 8 --lr 1e-3 --batch 100 --seed 0 --quick --torch [PYTHON]]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mean } from '../autodiff/ops/reduce.js';
import { neg } from '../autodiff/ops/unary.js';
import { Adam } from '../autodiff/optimizers/adam.js';
import { noGrad, Tensor, zeros } from '../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../flows/made/autoregressive-network.js';
import { Autoregressive, madeConditionals } from '../flows/distributions/autoregressive.js';
import { readCsv } from '../lib/node/files.js';
import { flowToJSON } from '../lib/models/flow-json.js';
import { trainValidationTestSplit } from '../lib/data/split.js';
import { Random } from '../lib/util/random.js';
import { binaryImageGridPanel, figure } from '../examples/svg.js';
import { meanAndTwoSe, writeJson } from './compare-density.js';

const D = 64;
const t0 = performance.now();

// ---- flags ----------------------------------------------------------------------------------
interface Flags { epochs: number; patience: number; hidden: number; masks: number; lr: number; batch: number; seed: number; quick: boolean; torch: string | null }
function parseArgs(argv: string[]): Flags {
  const f: Flags = { epochs: 2000, patience: 60, hidden: 500, masks: 8, lr: 1e-3, batch: 100, seed: 0, quick: false, torch: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): number => Number(argv[++i]);
    if (a === '--epochs') f.epochs = next();
    else if (a === '--patience') f.patience = next();
    else if (a === '--hidden') f.hidden = next();
    else if (a === '--masks') f.masks = next();
    else if (a === '--lr') f.lr = next();
    else if (a === '--batch') f.batch = next();
    else if (a === '--seed') f.seed = next();
    else if (a === '--quick') f.quick = true;
    else if (a === '--torch') f.torch = argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : '/usr/bin/python3';
    else throw new Error(`bench/binary.ts: unknown flag ${a}`);
  }
  if (f.quick) {
    f.epochs = Math.min(f.epochs, 40);
    f.patience = Math.min(f.patience, 10);
  }
  return f;
}
const flags = parseArgs(process.argv.slice(2));

// ---- data: binarized (pixel ≥ 8 → 1), seeded 80/10/10 split ----------------------------------------
const pixels = (await readCsv('data/digits8x8.csv')).values; // [1797, 64], integers 0 … 16
const binary = new Tensor(pixels.data.map((v) => (v >= 8 ? 1 : 0)), pixels.shape);
const split = trainValidationTestSplit(binary, { validation: 0.1, test: 0.1 }, flags.seed);
const { train, validation, test } = split;
console.log(`binarized digits: ${pixels.shape[0]} images of 8×8, pixel ≥ 8 → 1; split ${train.shape[0]} / ${validation.shape[0]} / ${test.shape[0]} (seed ${flags.seed})`);
console.log(`MADE [${flags.hidden}] relu, Bernoulli conditionals; Adam lr ${flags.lr}, batch ${flags.batch}; early stopping on the validation NLL ` +
  `(patience ${flags.patience}, at most ${flags.epochs} epochs, best weights kept)${flags.quick ? ' [--quick]' : ''}`);

/** Rows `idx` of a [n, D] tensor. */
function rows(x: Tensor, idx: readonly number[]): Tensor {
  const out = new Float64Array(idx.length * D);
  idx.forEach((r, i) => out.set(x.data.subarray(r * D, (r + 1) * D), i * D));
  return new Tensor(out, [idx.length, D]);
}

// ---- independent Bernoullis per pixel (Laplace-smoothed frequencies) ---------------------------------
function independentNll(x: Tensor): Float64Array {
  const n = train.shape[0];
  const p = new Float64Array(D);
  for (let i = 0; i < n * D; i++) p[i % D] += train.data[i];
  for (let d = 0; d < D; d++) p[d] = (p[d] + 1) / (n + 2);
  const out = new Float64Array(x.shape[0]);
  for (let b = 0; b < out.length; b++) {
    for (let d = 0; d < D; d++) out[b] -= x.data[b * D + d] === 1 ? Math.log(p[d]) : Math.log1p(-p[d]);
  }
  return out;
}

// ---- MADE training ---------------------------------------------------------------------------
interface Trained { network: AutoregressiveNetwork; model: Autoregressive; epochs: number; bestEpoch: number; seconds: number }

/** −log p per row, under mask `mask` or the ensemble, without a graph. */
function nll(model: Autoregressive, x: Tensor, mask: number | 'ensemble'): Float64Array {
  return noGrad(() => model.logProb(x, { mask, validateArgs: false }).data.map((v) => -v));
}
const avg = (v: ArrayLike<number>): number => Array.from(v).reduce((s, a) => s + a, 0) / v.length;

function trainMade(numMasks: number): Trained {
  const network = new AutoregressiveNetwork({
    params: 1, eventShape: D, hiddenUnits: [flags.hidden], activation: 'relu',
    // The paper's order- and connectivity-agnostic training: each mask draws both afresh.
    inputOrder: 'random', hiddenDegrees: 'random', numMasks, seed: `binary-made-${flags.seed}`,
  });
  const model = new Autoregressive(madeConditionals(network));
  const weights = network.trainableWeights;
  const opt = new Adam({ learningRate: flags.lr });
  const rng = new Random(`binary-batches-${flags.seed}`);
  const start = performance.now();
  const evalMask = numMasks > 1 ? 'ensemble' : 0;
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights = network.getWeights();
  let epoch = 0;
  for (epoch = 1; epoch <= flags.epochs; epoch++) {
    const order = rng.permutation(train.shape[0]);
    for (let s = 0; s < order.length; s += flags.batch) {
      // One mask per minibatch (Germain et al. 2015, section 4.2).
      if (numMasks > 1) network.nextMask();
      const xb = rows(train, order.slice(s, s + flags.batch));
      const loss = neg(mean(model.logProb(xb, { validateArgs: false })));
      opt.zeroGrad(weights);
      loss.backward();
      opt.step(weights);
    }
    const val = avg(nll(model, validation, evalMask));
    if (val < best) {
      best = val;
      bestEpoch = epoch;
      bestWeights = network.getWeights();
    } else if (epoch - bestEpoch >= flags.patience) {
      break;
    }
  }
  network.setWeights(bestWeights);
  network.useMask(0);
  const seconds = (performance.now() - start) / 1000;
  console.log(`  K = ${numMasks}: ${Math.min(epoch, flags.epochs)} epochs (best ${bestEpoch}, validation NLL ${best.toFixed(3)}), ${seconds.toFixed(1)} s`);
  return { network, model, epochs: Math.min(epoch, flags.epochs), bestEpoch, seconds };
}

console.log('\ntraining');
const one = trainMade(1);
const many = trainMade(flags.masks);

// ---- test NLL ---------------------------------------------------------------------------------
interface Row { model: string; nll: number; twoSe: number; perImage: Float64Array }
const row = (model: string, v: Float64Array): Row => ({ model, ...renameMean(meanAndTwoSe(v)), perImage: v });
function renameMean(m: { mean: number; twoSe: number }): { nll: number; twoSe: number } {
  return { nll: m.mean, twoSe: m.twoSe };
}
const perMask = Array.from({ length: flags.masks }, (_, k) => nll(many.model, test, k));
const perMaskMeans = perMask.map(avg);
const table: Row[] = [
  row('independent Bernoullis (64 per-pixel frequencies)', independentNll(test)),
  row(`MADE [${flags.hidden}], 1 mask`, nll(one.model, test, 0)),
  row(`MADE [${flags.hidden}], ${flags.masks} masks, one mask at test (mean over masks)`,
    Float64Array.from({ length: test.shape[0] }, (_, b) => avg(perMask.map((v) => v[b])))),
  row(`MADE [${flags.hidden}], ${flags.masks} masks, ensemble (logSumExp of the ${flags.masks})`, nll(many.model, test, 'ensemble')),
];
const gain = Float64Array.from(table[1].perImage, (v, b) => v - table[3].perImage[b]);
const paired = meanAndTwoSe(gain);

console.log(`\ntest NLL, nats / image (${test.shape[0]} test images; ± 2 standard errors over images)\n`);
console.log('| model | test NLL |');
console.log('|---|---|');
for (const r of table) console.log(`| ${r.model} | ${r.nll.toFixed(2)} ± ${r.twoSe.toFixed(2)} |`);
console.log(`\nper mask (K = ${flags.masks}): ${perMaskMeans.map((v) => v.toFixed(2)).join(', ')}`);
console.log(`ensemble gain over the single mask, paired per image: ${paired.mean.toFixed(2)} ± ${paired.twoSe.toFixed(2)} nats ` +
  `(${paired.mean > paired.twoSe ? 'more' : 'not more'} than 2 SE; unpaired 2 SE of the two means: ${table[1].twoSe.toFixed(2)}, ${table[3].twoSe.toFixed(2)})`);

// ---- sampling 1,000 images: one pass vs TFP's E-pass loop ------------------------------------------
function time(f: () => Tensor, repeats: number): { seconds: number; sample: Tensor } {
  let sample = f(); // warm-up
  const start = performance.now();
  for (let r = 0; r < repeats; r++) sample = f();
  return { seconds: (performance.now() - start) / 1000 / repeats, sample };
}
const fn = madeConditionals(one.network);
const onePass = new Autoregressive(fn);
const loop = new Autoregressive((x) => fn(x), { sample0: zeros([D]) });
const fast = time(() => onePass.sample(1000, { seed: 'samples' }), 5);
const slow = time(() => loop.sample(1000, { seed: 'samples' }), 1);
const same = fast.sample.data.every((v, i) => v === slow.sample.data[i]);
console.log(`\nsampling 1,000 images of 64 pixels (MADE [${flags.hidden}], 1 mask): one pass ${(fast.seconds * 1000).toFixed(1)} ms, ` +
  `E-pass loop (64 network passes) ${(slow.seconds * 1000).toFixed(1)} ms, ${(slow.seconds / fast.seconds).toFixed(1)}× faster; ` +
  `same samples bit for bit: ${same}`);

mkdirSync('out', { recursive: true });
const images = (t: Tensor, n: number): Float64Array[] => Array.from({ length: n }, (_, i) => t.data.slice(i * D, (i + 1) * D));
const ensembleSamples = new Autoregressive(madeConditionals(many.network)).sample(48, { seed: 'figure' });
writeFileSync('out/binary-samples.svg', figure([
  binaryImageGridPanel(`48 samples, MADE [${flags.hidden}], 1 mask`, images(onePass.sample(48, { seed: 'figure' }), 48), 8, 8, 8),
  binaryImageGridPanel(`48 samples, mask 0 of the ${flags.masks}`, images(ensembleSamples, 48), 8, 8, 8),
  binaryImageGridPanel('48 test digits (binarized)', images(test, 48), 8, 8, 8),
], 'UCI digits 8×8, binarized at 8: MADE with Bernoulli conditionals'));
console.log('wrote out/binary-samples.svg');
// Both trained models, weights and selected mask included (distributionFromJSON reads them back).
writeJson('out/binary-made-1.json', flowToJSON(one.model));
writeJson(`out/binary-made-${flags.masks}.json`, flowToJSON(many.model));

// ---- the PyTorch reference ------------------------------------------------------------------------
// The exact split and the masks (degrees) of both networks, so the reference trains the same models.
const degreesOf = (network: AutoregressiveNetwork): Array<{ inputOrder: number[]; hiddenDegrees: number[][] }> =>
  Array.from({ length: network.numMasks }, (_, k) => {
    network.useMask(k);
    const d = { inputOrder: network.inputOrder, hiddenDegrees: network.hiddenDegrees };
    network.useMask(0);
    return d;
  });
writeJson('out/binary-split.json', {
  seed: flags.seed, eventSize: D, hidden: flags.hidden, lr: flags.lr, batch: flags.batch, epochs: flags.epochs, patience: flags.patience,
  train: Array.from(train.data), validation: Array.from(validation.data), test: Array.from(test.data),
  masks: { one: degreesOf(one.network), many: degreesOf(many.network) },
});
let torch: unknown = null;
if (flags.torch !== null) {
  const script = 'bench/torch_binary.py';
  console.log(`\nPyTorch reference (${flags.torch} ${script}, float64, the same split, masks and hyper-parameters)`);
  if (!existsSync(script)) console.log(`  (not found: ${script})`);
  else {
    const r = spawnSync(flags.torch, [script, 'out/binary-split.json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) console.log(`  (failed: ${r.error?.message ?? `exit ${r.status}`})`);
    else {
      const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { rows: Array<{ model: string; nll: number; twoSe: number }> };
      torch = out;
      console.log('| model (PyTorch) | test NLL |');
      console.log('|---|---|');
      for (const t of out.rows) console.log(`| ${t.model} | ${t.nll.toFixed(2)} ± ${t.twoSe.toFixed(2)} |`);
      const single = out.rows[1];
      console.log(`one mask: maflow ${table[1].nll.toFixed(2)} vs PyTorch ${single.nll.toFixed(2)}: ` +
        `difference ${Math.abs(table[1].nll - single.nll).toFixed(2)} nats (target < 0.5)`);
    }
  }
}

const totalSeconds = (performance.now() - t0) / 1000;
console.log(`\ntotal time ${totalSeconds.toFixed(0)} s`);
writeJson('out/bench-binary.json', {
  flags, rows: table.map(({ model, nll: v, twoSe }) => ({ model, nll: v, twoSe })), perMask: perMaskMeans, ensembleGain: paired,
  training: [one, many].map((t) => ({ numMasks: t.network.numMasks, epochs: t.epochs, bestEpoch: t.bestEpoch, seconds: t.seconds })),
  sampling: { onePassMs: fast.seconds * 1000, loopMs: slow.seconds * 1000, same }, torch, totalSeconds,
});
console.log('wrote out/bench-binary.json');
