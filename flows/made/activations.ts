// Activation functions by name (Keras's names), for the hidden layers of the autoregressive network.
import { elu, relu, sigmoid, softplus, tanh } from '../../autodiff/ops/unary.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';

/** The names {@link getActivation} knows. `'linear'` is the identity (TFP's default, `activation=None`). */
export type ActivationName = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'softplus' | 'linear';

/** An activation: one of the names, or any elementwise function of a tensor. */
export type Activation = ActivationName | ((t: Tensor) => Tensor);

const ACTIVATIONS: Readonly<Record<ActivationName, (t: Tensor) => Tensor>> = {
  relu,
  tanh,
  sigmoid,
  elu,
  softplus,
  linear: (t) => t,
};

/** The valid activation names, in a fixed order (for error messages and docs). */
export const ACTIVATION_NAMES: readonly ActivationName[] = Object.freeze(Object.keys(ACTIVATIONS) as ActivationName[]);

/**
 * The function for an activation name; a function is returned unchanged.
 *
 * @param activation - a name from {@link ActivationName} or a function `(t: Tensor) => Tensor`
 * @param where - the caller to name in the error (default `'getActivation'`)
 * @returns a function of one tensor
 * @throws TypeError naming the unknown value and listing the valid names
 *
 * @example
 * getActivation('tanh')(tensor([0, 1])); // [0, 0.7615941559557649]
 */
export function getActivation(activation: Activation, where = 'getActivation'): (t: Tensor) => Tensor {
  if (typeof activation === 'function') return activation;
  const known = typeof activation === 'string' && Object.prototype.hasOwnProperty.call(ACTIVATIONS, activation);
  assert(known, () => `${where}: unknown 'activation' ${typeof activation === 'string' ? `'${activation}'` : String(activation)}; ` +
    `expected one of ${ACTIVATION_NAMES.map((n) => `'${n}'`).join(', ')} or a function (t: Tensor) => Tensor`, TypeError);
  return ACTIVATIONS[activation as ActivationName];
}
