// What validateArgs costs: logProb and evaluate timed with the NaN/±∞ check on and off, for a cheap and a flow-sized density.
// Usage: node scripts/run-ts.mjs bench/validate-args.ts [--seconds S] [--json FILE]  (default S = 1, FILE out/bench-validate-args.json)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer, MaskedAutoregressiveFlow,
  MultivariateNormalDiag, Random, Sequential, TransformedDistribution, noGrad, tensor, zeros, type Tensor,
} from '../lib/index.js';
import { checkFinite } from '../autodiff/checks.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const SECONDS = Number(flag('--seconds', '1'));
const JSON_FILE = flag('--json', 'out/bench-validate-args.json');

/** One round: the mean time per call over ≥ 20 ms, in microseconds. */
function round(fn: () => unknown): number {
  const t0 = performance.now();
  let n = 0;
  do {
    fn();
    n++;
  } while (performance.now() - t0 < 20);
  return ((performance.now() - t0) * 1000) / n;
}

/**
 * Medians of per-call times of `on` and `off`, after a warm-up. Rounds alternate between the
 * two, so a machine that slows down or speeds up part-way (other processes) affects both alike.
 */
function timePair(on: () => unknown, off: () => unknown): [number, number] {
  for (let i = 0; i < 3; i++) {
    on();
    off();
  }
  const a: number[] = [];
  const b: number[] = [];
  const end = performance.now() + 2 * SECONDS * 1000;
  while (performance.now() < end || a.length < 7) {
    a.push(round(on));
    b.push(round(off));
  }
  const median = (v: number[]): number => v.sort((p, q) => p - q)[v.length >> 1];
  return [median(a), median(b)];
}

function randn(rng: Random, shape: number[]): Tensor {
  return tensor(rng.fillNormal(new Float64Array(shape.reduce((a, b) => a * b, 1))), shape);
}

interface Row {
  case: string;
  onUs: number;
  offUs: number;
  overhead: number;
}

const rows: Row[] = [];
function report(name: string, on: () => unknown, off: () => unknown): void {
  const [onUs, offUs] = timePair(on, off);
  const row = { case: name, onUs, offUs, overhead: onUs / offUs - 1 };
  rows.push(row);
  console.log(`${name.padEnd(52)} check on ${onUs.toFixed(1).padStart(9)} µs   off ${offUs.toFixed(1).padStart(9)} µs   overhead ${(100 * row.overhead).toFixed(1).padStart(5)} %`);
}

const rng = new Random('validate-args');

// The check alone: one pass, one subtraction and one comparison per value.
const big = randn(rng, [100_000, 10]);
const [checkUs] = timePair(() => checkFinite(big, 'x', 'bench'), () => undefined);
const nsPerValue = (checkUs * 1000) / big.size;
console.log(`${'checkFinite alone, 1,000,000 values'.padEnd(52)} ${checkUs.toFixed(1).padStart(9)} µs = ${nsPerValue.toFixed(2)} ns per value`);

// A density that costs about as little as the check itself: the worst case for its overhead.
const mvn = new MultivariateNormalDiag({ loc: [0, 0], scaleDiag: [1, 2] });
const x2 = randn(rng, [10_000, 2]);
noGrad(() => report('MultivariateNormalDiag(2).logProb, 10,000 rows', () => mvn.logProb(x2), () => mvn.logProb(x2, { validateArgs: false })));

// A flow of config-ii size (D 64, MADE [512, 512]): one network pass per call.
const flow = new TransformedDistribution({
  distribution: new MultivariateNormalDiag({ loc: new Array(64).fill(0) }),
  bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: new AutoregressiveNetwork({ params: 2, hiddenUnits: [512, 512], activation: 'relu', seed: 1 }) }),
});
const x64 = randn(rng, [256, 64]);
noGrad(() => report('MAF D 64 [512, 512] logProb, 256 rows', () => flow.logProb(x64), () => flow.logProb(x64, { validateArgs: false })));

// evaluate checks x and y once for the whole data set, then runs the model batch by batch.
const model = new Sequential([
  new InputLayer({ inputShape: [0] }),
  new DistributionLambda((t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 8]) })),
  new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [32], activation: 'relu', seed: 2 })),
]);
model.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
const x0 = zeros([4096, 0]);
const y8 = randn(rng, [4096, 8]);
report('Sequential.evaluate, MAF D 8 [32], 4,096 rows', () => model.evaluate(x0, y8, { batchSize: 512 }),
  () => model.evaluate(x0, y8, { batchSize: 512, validateArgs: false }));

mkdirSync(dirname(JSON_FILE), { recursive: true });
writeFileSync(JSON_FILE, JSON.stringify({ checkFiniteNsPerValue: nsPerValue, rows, node: process.version, date: new Date().toISOString() }, null, 2));
console.log(`wrote ${JSON_FILE}`);
