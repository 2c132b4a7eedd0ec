// Spec helper: a BatchNormalization at inference with seeded, nontrivial weights and running statistics.
import { BatchNormalization } from '../../../flows/bijectors/batch-normalization.js';
import { seededRng } from '../../helpers/grad-check.js';

/** logGamma, beta ~ N(0, 0.3²), running mean ~ N(0, 1), running variance ~ U(0.5, 2): far from the identity. */
export function randomBatchNorm(seed: string, eventSize: number, training = false): BatchNormalization {
  const bn = new BatchNormalization({ eventSize, training });
  const rng = seededRng(seed);
  for (let d = 0; d < eventSize; d++) {
    bn.logGamma.data[d] = 0.3 * rng.normal();
    bn.beta.data[d] = 0.3 * rng.normal();
    bn.movingMean.data[d] = rng.normal();
    bn.movingVariance.data[d] = 0.5 + 1.5 * rng.uniform();
  }
  return bn;
}
