// Soak run: thousands of fit steps on a config-ii-sized MAF, printing heap use every 1,000 steps and whether it stayed flat.
// Usage: node --expose-gc scripts/run-ts.mjs bench/soak.ts [--steps N] [--minutes M] [--every K] [--json FILE]
//   (npm run bench:soak -- --steps 20000). Default: as many whole thousands of steps as fit in
//   M = 10 minutes at the measured step time, capped at the issue's 20,000; --steps N runs exactly N.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer, MultivariateNormalDiag,
  Random, Sequential, tensor, zeros, type Tensor,
} from '../lib/index.js';

/** Config ii of the flows benchmark: D = 64, MADE hidden [512, 512] (relu), one MAF layer, batch 256. */
const D = 64;
const HIDDEN = [512, 512];
const BATCH = 256;
const ROWS = 4096;
const TARGET_STEPS = 20_000;

interface Args {
  steps: number | null;
  minutes: number;
  every: number;
  json: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { steps: null, minutes: 10, every: 1000, json: 'out/bench-soak.json' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = (): number => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`bench/soak: ${flag} needs a positive number, got ${value}`);
      return n;
    };
    if (flag === '--steps') args.steps = Math.floor(num());
    else if (flag === '--minutes') args.minutes = num();
    else if (flag === '--every') args.every = Math.floor(num());
    else if (flag === '--json') args.json = value;
    else throw new Error(`bench/soak: unknown flag '${flag}'; usage: bench/soak.ts [--steps N] [--minutes M] [--every K] [--json FILE]`);
  }
  return args;
}

/** Heap after a full collection: the JS heap, and the typed arrays' backing stores (where every Tensor's data lives). */
function heap(): { heapUsed: number; arrayBuffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

/** Least-squares slope of y against x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => (bytes / MB).toFixed(2);

/** Correlated Gaussian data, x = L z with a fixed banded L: something for the flow to learn. */
function data(rng: Random): Tensor {
  const z = rng.fillNormal(new Float64Array(ROWS * D));
  const x = new Float64Array(ROWS * D);
  for (let r = 0; r < ROWS; r++) {
    for (let d = 0; d < D; d++) {
      const o = r * D;
      x[o + d] = z[o + d] + (d > 0 ? 0.8 * z[o + d - 1] : 0) + (d > 1 ? 0.3 * z[o + d - 2] : 0);
    }
  }
  return tensor(x, [ROWS, D]);
}

function makeModel(): Sequential {
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda((t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), D]) })),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: HIDDEN, activation: 'relu', seed: 1 })),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 1e-4 }), loss: 'negativeLogLikelihood' });
  return model;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    console.log('bench/soak: run with node --expose-gc (npm run bench:soak) for exact heap readings; without it they include garbage');
  }
  const y = data(new Random('soak-data'));
  const x = zeros([ROWS, 0]);
  const model = makeModel();

  model.build();
  // Step time from a short fit of its own model (so the soak starts from step 0), after a warm-up.
  const probe = makeModel();
  await probe.fit(x, y, { batchSize: BATCH, epochs: 1, stepsPerEpoch: 5, verbose: 0, seed: 0 });
  const t0 = performance.now();
  await probe.fit(x, y, { batchSize: BATCH, epochs: 1, stepsPerEpoch: 20, verbose: 0, seed: 0 });
  const stepMs = (performance.now() - t0) / 20;
  const every = args.every;
  const budgetSteps = Math.max(every, Math.floor((args.minutes * 60_000) / stepMs / every) * every);
  const steps = args.steps ?? Math.min(TARGET_STEPS, budgetSteps);
  const epochs = Math.max(1, Math.floor(steps / every));
  const total = epochs * every;
  console.log(`soak: D ${D}, hidden [${HIDDEN}], batch ${BATCH}, ${model.countParams()} weights; ${stepMs.toFixed(1)} ms/step measured, ` +
    `so ${TARGET_STEPS} steps would take ${((TARGET_STEPS * stepMs) / 60_000).toFixed(1)} min`);
  console.log(args.steps !== null
    ? `soak: running ${total} steps (--steps)`
    : `soak: running ${total} steps${total < TARGET_STEPS ? ` (what fits in ${args.minutes} min; --steps ${TARGET_STEPS} runs the full soak)` : ''}`);

  const samples: Array<{ step: number; heapUsed: number; arrayBuffers: number; loss: number; seconds: number }> = [];
  const start = performance.now();
  const h0 = heap();
  console.log(`step      0  heapUsed ${mb(h0.heapUsed).padStart(8)} MB  arrayBuffers ${mb(h0.arrayBuffers).padStart(8)} MB`);
  await model.fit(x, y, {
    batchSize: BATCH, epochs, stepsPerEpoch: every, verbose: 0, seed: 1,
    callbacks: [{
      onEpochEnd: (epoch, logs) => {
        const h = heap();
        const step = (epoch + 1) * every;
        const seconds = (performance.now() - start) / 1000;
        samples.push({ step, ...h, loss: logs.loss, seconds });
        console.log(`step ${String(step).padStart(6)}  heapUsed ${mb(h.heapUsed).padStart(8)} MB  arrayBuffers ${mb(h.arrayBuffers).padStart(8)} MB  ` +
          `loss ${logs.loss.toFixed(4)}  ${seconds.toFixed(0)} s`);
      },
    }],
  });

  // The first reading still holds one-off allocations (kernel plans, optimizer slots); the trend is fitted from the second on.
  const tail = samples.length > 2 ? samples.slice(1) : samples;
  const steps2 = tail.map((s) => s.step);
  const heapSlope = slope(steps2, tail.map((s) => s.heapUsed));
  const bufferSlope = slope(steps2, tail.map((s) => s.arrayBuffers));
  // A leak of one small object per step (≥ 100 bytes) would show as a slope of ≥ 100 B/step.
  const LIMIT = 100;
  const flat = Math.abs(heapSlope) < LIMIT && Math.abs(bufferSlope) < LIMIT;
  const first = tail[0];
  const last = tail[tail.length - 1];
  console.log(`soak: heapUsed ${mb(first.heapUsed)} → ${mb(last.heapUsed)} MB, slope ${heapSlope.toFixed(2)} B/step (${((heapSlope * 1000) / 1024).toFixed(2)} KB per 1,000 steps); ` +
    `arrayBuffers ${mb(first.arrayBuffers)} → ${mb(last.arrayBuffers)} MB, slope ${bufferSlope.toFixed(2)} B/step`);
  console.log(`soak: verdict: ${flat ? 'FLAT' : 'GROWING'} (both slopes ${flat ? 'under' : 'not both under'} ${LIMIT} B/step over steps ${first.step}–${last.step}); ` +
    `${total} steps in ${(last.seconds / 60).toFixed(1)} min`);

  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, JSON.stringify({
    config: { D, hiddenUnits: HIDDEN, batch: BATCH, rows: ROWS }, steps: total, stepMs, samples,
    heapSlopeBytesPerStep: heapSlope, arrayBufferSlopeBytesPerStep: bufferSlope, flat, node: process.version, date: new Date().toISOString(),
  }, null, 2));
  console.log(`soak: wrote ${args.json}`);
}

await main();
