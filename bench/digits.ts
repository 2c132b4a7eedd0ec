// Density estimation on the UCI 8×8 digits: dequantize, logit, MADE vs MAF (5) vs MAF (5) + BN vs spline flows, test NLL ± 2 SE; writes out/digits-samples.svg.
// Usage: npm run bench:digits [-- --epochs N --patience N --hidden 256,256 --models gaussian,made,maf,maf-bn,maf-zero,nsf,nsf-res --bins K --bound B --alpha A --fixed-noise --quick]
import { mkdirSync, writeFileSync } from 'node:fs';
import { noGrad } from '../autodiff/tensor.js';
import { Chain } from '../flows/bijectors/chain.js';
import { Logit } from '../flows/bijectors/logit.js';
import { Standardize } from '../flows/bijectors/standardize.js';
import { readCsv } from '../lib/node/files.js';
import { dequantize } from '../lib/data/dequantize.js';
import { trainValidationTestSplit } from '../lib/data/split.js';
import { figure, imageGridPanel } from '../examples/svg.js';
import { markdownTable, modelName, parseFlags, runComparison, writeJson } from './compare-density.js';

const LEVELS = 17; // pixel values 0 … 16
const D = 64;
const t0 = performance.now();

// --alpha and --fixed-noise are this bench's; the rest are the shared flags.
const argv = process.argv.slice(2);
let alpha = 0.01;
const at = argv.indexOf('--alpha');
if (at >= 0) {
  alpha = Number(argv[at + 1]);
  argv.splice(at, 2);
}
const fixedAt = argv.indexOf('--fixed-noise');
const freshNoise = fixedAt < 0;
if (fixedAt >= 0) argv.splice(fixedAt, 1);
const flags = parseFlags(argv, {
  epochs: 150, patience: 10, batchSize: 100, learningRate: 1e-3, hidden: [256, 256],
  models: ['gaussian', 'made', 'maf', 'maf-bn', 'nsf'], seed: 0, json: 'out/digits-density.json',
});

// ---- data: a seeded 80/10/10 split of the integer images, then dequantization ----------------
const pixels = (await readCsv('data/digits8x8.csv')).values; // [1797, 64], integers 0 … 16
const split = trainValidationTestSplit(pixels, { validation: 0.1, test: 0.1 }, flags.seed);
const train = dequantize(split.train, { levels: LEVELS, seed: `${flags.seed}/train/0` }); // (v + u)/17 ∈ [0, 1)
const validation = dequantize(split.validation, { levels: LEVELS, seed: `${flags.seed}/validation` });
const test = dequantize(split.test, { levels: LEVELS, seed: `${flags.seed}/test` });

// Model space: logit(α + (1 − 2α)x), then standardized with training-set statistics, so that the
// MADEs start on inputs of unit scale (raw logits reach ±log(1/α), and glorot-initialised networks
// would start with huge log-scales). Both maps are bijectors with exact log-dets.
const logit = new Logit({ alpha });
const standardize = Standardize.fromData(noGrad(() => logit.forward(train)));
const preprocessing = new Chain([standardize, logit], { name: 'logit_then_standardize' });

console.log(`digits: ${pixels.shape[0]} images of 8×8, ${LEVELS} levels; split ${train.shape[0]} / ${validation.shape[0]} / ${test.shape[0]} (seed ${flags.seed})`);
console.log(`model space: standardize(logit(α + (1 − 2α)x)), α = ${alpha}; MADE hidden [${flags.hidden}], relu; Adam lr ${flags.learningRate}, ` +
  `batch ${flags.batchSize}; early stopping on val_loss (patience ${flags.patience}, at most ${flags.epochs} epochs); ` +
  `${freshNoise ? 'fresh' : 'fixed'} dequantization noise per epoch`);
console.log('NLL: −log p of the dequantized pixel values y = v + u ∈ [0, 17)^64 = −log p_X(x) + 64·log 17, x = y/17 ∈ [0, 1);');
console.log('  the preprocessing is the flows\' outermost bijector, so p_X is the density of x, its Jacobian included.');

const { rows, flows } = await runComparison({
  train, validation, test, preprocessing,
  toReportScale: (nllX) => nllX.map((v) => v + D * Math.log(LEVELS)), // see dequantizedLogProb
  unit: 'nats / image',
  // Fresh dequantization noise every epoch (Real NVP and Glow draw it per batch): fit reads its
  // batches from this very tensor, so overwriting its values before an epoch is enough. Without it
  // the flows learn the one noise draw and overfit within a few epochs. Epoch 0 redraws too (the
  // draw `train` starts with), so each model sees the same noise whichever models trained before it.
  onEpochBegin: (epoch) => {
    if (freshNoise) train.data.set(dequantize(split.train, { levels: LEVELS, seed: `${flags.seed}/train/${epoch}` }).data);
  },
}, flags);

// ---- samples beside real digits ------------------------------------------------------------
const key = flows.has('maf') ? 'maf' : [...flows.keys()].pop();
if (key !== undefined) {
  const n = 64; // an 8 × 8 grid of 8×8 images
  const samples = noGrad(() => flows.get(key)!.sample(n, { seed: 1 })); // x ∈ (0, 1)
  const images = Array.from({ length: n }, (_, k) => samples.data.subarray(k * D, (k + 1) * D));
  const real = Array.from({ length: n }, (_, k) => Float64Array.from(split.test.data.subarray(k * D, (k + 1) * D), (v) => v / (LEVELS - 1)));
  mkdirSync('out', { recursive: true });
  writeFileSync('out/digits-samples.svg', figure([
    imageGridPanel(`${n} samples from ${modelName(key, flags)}`, images, 8, 8, 8),
    imageGridPanel(`${n} test digits`, real, 8, 8, 8),
  ], `UCI digits 8×8: dequantized, logit (α = ${alpha}), standardized; MADEs [${flags.hidden}]`));
  console.log('\nwrote out/digits-samples.svg');
}

// The exact split, for the PyTorch yardstick (bench/torch_density.py): integer training images (it
// draws its own noise per epoch), the dequantized validation and test images, α and the standardization.
writeJson('out/digits-split.json', {
  levels: LEVELS, alpha, seed: flags.seed, eventSize: D,
  trainPixels: Array.from(split.train.data), validation: Array.from(validation.data), test: Array.from(test.data),
  mean: Array.from(standardize.mean.data), std: Array.from(standardize.std.data),
});

const totalSeconds = (performance.now() - t0) / 1000;
console.log(`\n${markdownTable(rows, 'nats / image')}`);
console.log(`\ntotal time ${totalSeconds.toFixed(0)} s`);
writeJson(flags.json, { dataset: 'digits8x8', levels: LEVELS, alpha, freshNoise, flags, rows, totalSeconds });
console.log(`wrote ${flags.json}`);
