// Spec helpers: the i-th random MADE configuration (layers, orders, degrees, activations, conditioning, batch shapes) for the one-pass sampler's specs.
import { mul } from '../../../autodiff/ops/binary.js';
import { sigmoid } from '../../../autodiff/ops/unary.js';
import type { Tensor } from '../../../autodiff/tensor.js';
import type { Activation } from '../../../flows/made/activations.js';
import type { AutoregressiveNetworkOptions } from '../../../flows/made/autoregressive-network.js';
import type { BijectorKwargs } from '../../../flows/bijectors/bijector.js';
import type { InputOrder } from '../../../flows/made/degrees.js';
import type { Random } from '../../../lib/util/random.js';

// x·sigmoid(x) (swish): an elementwise activation given as a function, not a name.
export const swish: Activation = (t) => mul(t, sigmoid(t));
export const ACTIVATIONS: Activation[] = ['relu', 'tanh', 'sigmoid', 'elu', 'softplus', 'linear', swish];

/** One random configuration of a MAF layer's network and inputs. */
export interface Case {
  label: string;
  options: AutoregressiveNetworkOptions & { eventShape: number };
  uShape: number[];
  cShape?: number[];
  kwargs: (c: Tensor | undefined) => BijectorKwargs;
}

/**
 * The i-th random configuration. Cycling i over small moduli covers every combination family:
 * 0–3 hidden layers (i mod 4), the four kinds of input order (i mod 5 with an explicit array),
 * both hidden-degree rules, all seven activations, useBias false every fifth case, a conditional
 * network every third case (alternating 'all_layers' and 'first_layer', with batch shapes that
 * broadcast against the input's), and 0–2 batch dims.
 */
export function makeCase(i: number, rng: Random, extra: Omit<Partial<AutoregressiveNetworkOptions>, 'eventShape'> = {}): Case {
  const E = i === 0 || i === 17 ? 1 : rng.int(2, 7);
  const layers = i % 4;
  // Widths from 1 up: many are narrower than E − 1, so some degrees are missing (TFP allows it).
  const hiddenUnits = Array.from({ length: layers }, () => rng.int(1, 2 * E + 3));
  const orders: InputOrder[] = ['left-to-right', 'right-to-left', 'random', rng.permutation(E).map((k) => k + 1), 'left-to-right'];
  const inputOrder = orders[i % 5];
  const hiddenDegrees = i % 2 === 0 ? 'equal' : 'random';
  const activation = ACTIVATIONS[i % ACTIVATIONS.length];
  const useBias = i % 5 !== 3;
  const conditional = i % 3 === 2;
  const conditionalInputLayers = i % 6 === 2 ? 'all_layers' : 'first_layer';
  const C = rng.int(1, 3);
  const batchShapes = [[], [rng.int(1, 4)], [2, 3]];
  let uShape = [...batchShapes[i % 3], E];
  let cShape: number[] | undefined;
  if (conditional) {
    // Broadcast batches: u [2, 1, E] with c [3, C] → [2, 3]; u [E] with c [4, C] → [4]; u [n, E] with c [1, C].
    const pairs: Array<[number[], number[]]> = [[[2, 1, E], [3, C]], [[E], [4, C]], [[5, E], [1, C]]];
    [uShape, cShape] = pairs[Math.floor(i / 3) % 3];
  }
  const options: AutoregressiveNetworkOptions & { eventShape: number } = {
    params: 2, eventShape: E, hiddenUnits, inputOrder, hiddenDegrees, activation, useBias,
    ...(conditional ? { conditional, conditionalEventShape: C, conditionalInputLayers } : {}),
    ...extra,
  };
  const label = `#${i}: E ${E}, hidden [${hiddenUnits}], order ${Array.isArray(inputOrder) ? `[${inputOrder}]` : inputOrder}, ` +
    `${hiddenDegrees}, ${typeof activation === 'string' ? activation : 'swish fn'}, bias ${useBias}` +
    `${conditional ? `, conditional C ${C} ${conditionalInputLayers} c [${cShape}]` : ''}, u [${uShape}]`;
  return { label, options, uShape, cShape, kwargs: (c) => (c === undefined ? {} : { conditionalInput: c }) };
}

