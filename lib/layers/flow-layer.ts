// FlowLayer: puts a prebuilt flow (e.g. from maskedAutoregressiveFlowStack) into a Sequential model, weights and all.
import { Tensor } from '../../autodiff/tensor.js';
import type { DistributionConfig } from '../../flows/distributions/distribution.js';
import { rebuildDistribution } from '../../flows/distributions/serialization.js';
import { TransformedDistribution } from '../../flows/distributions/transformed-distribution.js';
import { assert } from '../util/errors.js';
import { checkBoolean, checkOptions, describe } from '../util/validate.js';
import { LAYER_ARG_NAMES, Layer, type CallOptions, type LayerArgs, type LayerConfig, type LayerOutput } from './layer.js';
import { LayerTransformedDistribution } from './layer-transformed-distribution.js';

/** Options of {@link FlowLayer}. */
export interface FlowLayerArgs extends LayerArgs {
  /** Condition the flow on the model's input (`fit(x = conditions, y = targets)`); default false. */
  conditional?: boolean;
}

/**
 * A `Sequential` layer that returns a prebuilt flow, such as the paper's stacked MAF from
 * `maskedAutoregressiveFlowStack`, and hands its weights to the model — which a `DistributionLambda`
 * cannot do (it owns no weights, so `fit` would find nothing to train).
 *
 * It also tells batch normalization which mode it is in: the returned distribution's bijector gets
 * `{ training }` from the call (true in `fit`'s steps, false for `val_loss`, `evaluate` and
 * `call`), so validation uses the running averages and never moves them.
 *
 * - `trainableWeights`: every MADE kernel and bias, and each batch norm's `logGamma` and `beta`;
 * - `nonTrainableWeights`: the batch-norm running averages, so `getWeights`/`setWeights` (and
 *   `EarlyStopping({ restoreBestWeights })`) restore them with the rest.
 *
 * Saving works when the flow is made of built-in parts (its `getConfig()` is rebuilt by
 * `distributionFromConfig`, then the weights are restored); a flow holding a user function cannot
 * be saved, and `model.save` says so.
 *
 * @example
 * const flow = maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', numLayers: 2, hiddenUnits: [8], batchNorm: true, seed: 0 });
 * const model = new Sequential([new InputLayer({ inputShape: [0] }), new FlowLayer(flow)]);
 * model.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
 * model.countParams(); // 136: two MADEs of 60 weights, two batch norms of 4 trainable + 4 running averages
 */
export class FlowLayer extends Layer<TransformedDistribution> {
  readonly className = 'FlowLayer';
  /** The flow this layer returns (with `training` and, if conditional, the condition bound). */
  readonly flow: TransformedDistribution;
  /** Whether the flow is conditioned on the model's input. */
  readonly conditional: boolean;

  /**
   * @param flow - the distribution to return
   * @param args - `conditional`, `name`, `trainable`
   * @throws TypeError when `flow` is not a TransformedDistribution, or for an unknown option
   */
  constructor(flow: TransformedDistribution, args: FlowLayerArgs = {}) {
    const where = 'FlowLayer';
    assert(flow instanceof TransformedDistribution, () => `${where}: 'flow' must be a TransformedDistribution (e.g. from maskedAutoregressiveFlowStack), got ${describe(flow)}`, TypeError);
    checkOptions(args, [...LAYER_ARG_NAMES, 'conditional'], where);
    super(args, 'FlowLayer', 'flow_layer');
    this.flow = flow;
    this.conditional = checkBoolean(args.conditional, 'conditional', where, false);
    this.built = true;
  }

  /**
   * The flow with `training` (and the condition) bound.
   * @param t - the model's input `[rows, C]` (`[rows, 0]` for an unconditional flow)
   * @throws TypeError when the input is a distribution
   */
  call(t: LayerOutput, options: CallOptions = {}): TransformedDistribution {
    assert(t instanceof Tensor, () => `FlowLayer.call: layer '${this.name}' needs a Tensor input (the model's input), got a distribution`, TypeError);
    const training = options.training ?? false;
    const bound = this.conditional ? { training, conditionalInput: options.conditionalInput ?? t } : { training };
    return new LayerTransformedDistribution({ distribution: this.flow.distribution, bijector: this.flow.bijector, name: this.flow.name }, bound);
  }

  override get trainableWeights(): Tensor[] {
    return this.trainable ? this.flow.trainableWeights : [];
  }

  override get nonTrainableWeights(): Tensor[] {
    return this.trainable ? this.flow.nonTrainableWeights : [...this.flow.trainableWeights, ...this.flow.nonTrainableWeights];
  }

  override get weights(): Tensor[] {
    return [...this.flow.trainableWeights, ...this.flow.nonTrainableWeights];
  }

  /** `{ name, trainable, conditional, flow }`, `flow` being the distribution's own config. */
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), conditional: this.conditional, flow: this.flow.getConfig() };
  }

  /** Rebuilds the layer, and its flow with fresh weights, from {@link FlowLayer.getConfig}. */
  static fromConfig(config: LayerConfig): FlowLayer {
    const { flow, ...args } = config as LayerConfig & { flow: DistributionConfig };
    const rebuilt = rebuildDistribution(flow, 'FlowLayer.fromConfig');
    assert(rebuilt instanceof TransformedDistribution, () => `FlowLayer.fromConfig: 'flow' is a ${rebuilt.constructor.name}, expected a TransformedDistribution`);
    return new FlowLayer(rebuilt, args as FlowLayerArgs);
  }
}
