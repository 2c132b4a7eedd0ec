// Issue 6's guard: the optimised kernels and samplers change speed, never results.
import { withKernelMode, type KernelMode } from '../../autodiff/kernels/config.js';
import { Adam } from '../../autodiff/optimizers/adam.js';
import { mean } from '../../autodiff/ops/reduce.js';
import { neg } from '../../autodiff/ops/unary.js';
import { maskedAutoregressiveFlowStack } from '../../flows/maf.js';
import { randn, seededRng } from '../helpers/grad-check.js';

/** 100 Adam steps of −mean logProb for a 3-layer MAF (random orders between layers) in one kernel mode. */
function lossCurve(mode: KernelMode): number[] {
  return withKernelMode(mode, () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 5, numLayers: 3, hiddenUnits: [12, 12], permutation: 'random', seed: 7 });
    const x = randn(seededRng('optimised-training-x'), [40, 5], 1.5, 0.3);
    const weights = flow.trainableWeights;
    const opt = new Adam({ learningRate: 0.005 });
    const losses: number[] = [];
    for (let step = 0; step < 100; step++) {
      opt.zeroGrad(weights);
      const loss = neg(mean(flow.logProb(x)));
      loss.backward();
      opt.step(weights);
      losses.push(loss.item());
    }
    return losses;
  });
}

describe('optimised training', () => {
  it('gives the reference kernels\' loss curve over 100 steps of a MAF, to 1e-9 relative', () => {
    const reference = lossCurve('reference');
    expect(reference[99]).toBeLessThan(reference[0] - 0.2); // it really trains
    for (const mode of ['dense', 'structured'] as const) {
      const losses = lossCurve(mode);
      for (let step = 0; step < 100; step++) {
        expect(Math.abs(losses[step] - reference[step]) / Math.abs(reference[step])).toBeLessThan(1e-9);
      }
    }
  });
});
