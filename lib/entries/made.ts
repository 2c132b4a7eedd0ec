/** maflow/made: MADE in full (Germain et al. 2015): the network and every type of its options, the
 * degrees and masks it is built from (pure data), its activations and initializers, and the
 * one-pass sampler a MAF layer uses to sample without eventSize network passes.
 * @module maflow/made
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export {
  AutoregressiveNetwork, type AutoregressiveNetworkOptions, type AutoregressiveNetworkConfig,
  type InitializerSpec, type ConditionalInputLayers, type LayerInitializers, type NetworkCallOptions,
  type NetworkStructure, type MaskedLayerStructure,
} from '../../flows/made/autoregressive-network.js';
export {
  createInputOrder, createDegrees, type InputOrder, type HiddenDegrees, type DegreesOptions,
} from '../../flows/made/degrees.js';
export { makeMasks, masksFromDegrees, type MaskOptions } from '../../flows/made/masks.js';
export { getActivation, ACTIVATION_NAMES, type Activation, type ActivationName } from '../../flows/made/activations.js';
export type { Initializer, InitializerName } from '../../autodiff/initializers.js';
export { onePassForward } from '../../flows/made/one-pass-sampler.js';
