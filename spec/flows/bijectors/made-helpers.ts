// Spec helpers: MADE networks with seeded random weights (biases included), so flows are far from the identity.
import { tensor, type Tensor } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork, type AutoregressiveNetworkOptions } from '../../../flows/made/autoregressive-network.js';
import { sizeOf } from '../../../lib/util/shape.js';
import { seededRng } from '../../helpers/grad-check.js';

/**
 * A built network whose every weight (biases too) is N(0, scale²), masks re-applied by setWeights.
 * Glorot kernels and zero biases would leave the first dimension's shift and log-scale at 0.
 */
export function randomMade(options: AutoregressiveNetworkOptions & { eventShape: number }, seed: string, scale = 0.5): AutoregressiveNetwork {
  const made = new AutoregressiveNetwork({ seed, ...options });
  const rng = seededRng(`${seed}-weights`);
  made.setWeights(made.getWeights().map((w: Tensor) => tensor(rng.fillNormal(new Float64Array(sizeOf(w.shape))).map((v) => v * scale), w.shape)));
  return made;
}
