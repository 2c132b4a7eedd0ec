// Training samples/s of bench/flows.ts's config i (one MAF layer, MADE [10], batch 25) with the step written out and with compileTrainStep (issue 15, item 2).
// Usage: node scripts/run-ts.mjs bench/compiled-step.ts [--seconds S]   (default S = 1 per case)
import { cpus, loadavg } from 'node:os';
import { compileTrainStep } from '../autodiff/compiled/train-step.js';
import { mean } from '../autodiff/ops/reduce.js';
import { neg } from '../autodiff/ops/unary.js';
import { Adam } from '../autodiff/optimizers/adam.js';
import { ones, Tensor, zeros } from '../autodiff/tensor.js';
import { MaskedAutoregressiveFlow } from '../flows/bijectors/masked-autoregressive-flow.js';
import { MultivariateNormalDiag } from '../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../flows/distributions/transformed-distribution.js';
import { AutoregressiveNetwork } from '../flows/made/autoregressive-network.js';
import { Random } from '../lib/util/random.js';

/** Samples/s of `run` (one step of `rows` samples): the median of ~1 ms groups after 0.3 s of warm-up. */
function rate(run: () => void, rows: number, seconds: number): number {
  const warm = performance.now();
  while (performance.now() - warm < 300) run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    let calls = 0;
    do {
      run();
      calls++;
    } while (performance.now() - t0 < 1);
    times.push((performance.now() - t0) / calls);
  }
  times.sort((p, q) => p - q);
  return rows / (times[times.length >> 1] / 1000);
}

function main(): void {
  const argv = process.argv.slice(2);
  const seconds = argv[0] === '--seconds' ? Number(argv[1]) : 1;
  if (!(seconds > 0)) throw new Error(`bench/compiled-step: '--seconds' must be a positive number, got ${argv[1]}`);
  console.log(`bench/compiled-step: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const make = (): { flow: TransformedDistribution; x: Tensor; opt: Adam } => {
    const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [10], activation: 'relu', seed: 1000 });
    const flow = new TransformedDistribution({
      distribution: new MultivariateNormalDiag({ loc: zeros([2]), scaleDiag: ones([2]) }),
      bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }),
    });
    const x = new Tensor(new Random('bench-compiled-step').fillNormal(new Float64Array(50)), [25, 2]);
    return { flow, x, opt: new Adam({ learningRate: 1e-3 }) };
  };
  const plain = make();
  const weights = plain.flow.trainableWeights;
  const written = rate(() => {
    const loss = neg(mean(plain.flow.logProb(plain.x)));
    plain.opt.zeroGrad(weights);
    loss.backward();
    plain.opt.step(weights);
  }, 25, seconds);
  const c = make();
  const step = compileTrainStep((x) => neg(mean(c.flow.logProb(x))), c.flow.trainableWeights, c.opt);
  const compiled = rate(() => void step.step(c.x), 25, seconds);
  console.log(`config i train, step written out   ${(written / 1e3).toFixed(0).padStart(6)}k samples/s`);
  console.log(`config i train, compileTrainStep   ${(compiled / 1e3).toFixed(0).padStart(6)}k samples/s  (${(compiled / written).toFixed(1)}×; ${step.debug.replays} replays, reason ${step.debug.reason ?? 'none'})`);
}

main();
