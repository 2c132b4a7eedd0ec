// AutoregressiveTransform: the layer that pushes the incoming distribution through a MAF driven by a MADE.
import type { Tensor } from '../../autodiff/tensor.js';
import { AutoregressiveNetwork, type AutoregressiveNetworkConfig } from '../../flows/made/autoregressive-network.js';
import { checkLogScaleClamp, type LogScaleClamp } from '../../flows/transforms/log-scale-clamp.js';
import { MaskedAutoregressiveFlow } from '../../flows/bijectors/masked-autoregressive-flow.js';
import type { TransformFamily, TransformFamilyConfig } from '../../flows/transforms/family.js';
import { transformFamilyFromConfig } from '../../flows/transforms/registry.js';
import type { Distribution } from '../../flows/distributions/distribution.js';
import type { TransformedDistribution } from '../../flows/distributions/transformed-distribution.js';
import { assert, ValueError } from '../util/errors.js';
import { fmt } from '../util/shape.js';
import {
  applyConvertToTensorFn, checkConvertToTensorFn, distributionName, isDistribution, LAYER_ARG_NAMES, Layer,
  type CallOptions, type ConvertToTensorFn, type LayerArgs, type LayerConfig, type LayerOutput,
} from './layer.js';
import { LayerTransformedDistribution } from './layer-transformed-distribution.js';
import { checkOptions, describe } from '../util/validate.js';

/** Options of {@link AutoregressiveTransform}. */
export interface AutoregressiveTransformArgs extends LayerArgs {
  /** How a following layer that needs a tensor gets one; default `'sample'`. */
  convertToTensorFn?: ConvertToTensorFn<TransformedDistribution>;
  /** Opt-in soft bound of the log-scale, passed to the `MaskedAutoregressiveFlow` (see its option); default none, as TFP. */
  logScaleClamp?: number | LogScaleClamp;
  /**
   * The transform family of every dimension (not in TFP): default TFP's affine one; e.g.
   * `splineFamily({ bins: 8 })`, with `made` built with `params: family.params`.
   */
  transform?: TransformFamily;
}

/**
 * TFP's `tfp.layers.AutoregressiveTransform`: takes a distribution and returns it transformed by
 * one masked autoregressive flow layer driven by `made`,
 *
 *   new TransformedDistribution({ distribution: incoming,
 *     bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }) })
 *
 * building `made` for the incoming event size `E`. Unlike TFP's layer, calling it draws no
 * sample (TFP's DistributionLambda samples on every call, E network passes spent for nothing);
 * a tensor is drawn only if a following layer needs one (`convertToTensorFn`, default a sample).
 *
 * Conditional density estimation, which TFP's layer cannot do: when `made` is conditional
 * (`conditional: true, conditionalEventShape: C`), the layer conditions on the model's input
 * (`CallOptions.conditionalInput`, which `Sequential` sets), so `fit(x, y)` with `x` `[rows, C]`
 * learns `p(y | x)`. Several transforms stack, each with its own network, with a
 * `PermuteTransform` between them so each sees the dimensions in another order.
 *
 * @example
 * const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu' });
 * const layer = new AutoregressiveTransform(made);
 * const flow = layer.call(new MultivariateNormalDiag({ loc: [0, 0] })); // a TransformedDistribution
 * flow.logProb(zeros([5, 3, 2])).shape; // [5, 3]
 *
 * @see Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057
 */
export class AutoregressiveTransform extends Layer<TransformedDistribution> {
  readonly className = 'AutoregressiveTransform';
  override readonly acceptsDistribution = true;
  /** The network giving shift and log-scale of every dimension. */
  readonly made: AutoregressiveNetwork;
  /** The flow layer, made once and reused by every call. */
  readonly bijector: MaskedAutoregressiveFlow;
  /** How the output becomes a tensor for a following layer. */
  readonly convertToTensorFn: ConvertToTensorFn<TransformedDistribution>;

  /**
   * @param made - an {@link AutoregressiveNetwork} with `params: 2` (or the `transform`'s P)
   * @param args - `convertToTensorFn`, `logScaleClamp`, `transform`, `name`, `trainable`
   * @throws TypeError when `made` is not an AutoregressiveNetwork, or for an unknown option;
   *   ValueError with TFP's message when `made.params` is not 2 (or not the `transform`'s P)
   */
  constructor(made: AutoregressiveNetwork, args: AutoregressiveTransformArgs = {}) {
    const where = 'AutoregressiveTransform';
    checkOptions(args, [...LAYER_ARG_NAMES, 'convertToTensorFn', 'logScaleClamp', 'transform'], where);
    assert(made instanceof AutoregressiveNetwork, () => `${where}: 'made' must be an AutoregressiveNetwork, got ${describe(made)}`, TypeError);
    const P = args.transform?.params ?? 2;
    // TFP's message, word for word (tfp.layers.AutoregressiveTransform.__init__), with P for another family.
    if (made.params !== P) {
      throw new ValueError(`${where}: Argument made must output ${P} parameters per input, found ${made.params}.` +
        (args.transform === undefined ? '' : ` (the '${args.transform.name}' transform reads ${P})`));
    }
    super(args, 'AutoregressiveTransform', 'autoregressive_transform');
    this.made = made;
    // Named after the layer, so the flow's own error messages say which layer they come from.
    const logScaleClamp = checkLogScaleClamp(args.logScaleClamp, where) ?? undefined;
    this.bijector = new MaskedAutoregressiveFlow({ network: made, name: this.name, logScaleClamp, transform: args.transform });
    this.convertToTensorFn = checkConvertToTensorFn<TransformedDistribution>(args.convertToTensorFn ?? 'sample', where);
    this.built = made.built;
  }

  /**
   * Rebuilds the layer and its network from {@link AutoregressiveTransform.getConfig} (same seed, so
   * the same masks; the weights are restored separately).
   */
  static fromConfig(config: LayerConfig): AutoregressiveTransform {
    const { made, transform, ...rest } = config;
    assert(typeof made === 'object' && made !== null, () => `AutoregressiveTransform.fromConfig: 'made' must be a network config, got ${describe(made)}`);
    const family = transform === undefined ? {} : { transform: transformFamilyFromConfig(transform as TransformFamilyConfig) };
    return new AutoregressiveTransform(AutoregressiveNetwork.fromConfig(made as AutoregressiveNetworkConfig), { ...rest, ...family } as AutoregressiveTransformArgs);
  }

  /**
   * Builds `made` for events `[..., E]`.
   * @throws ValueError when `made` was built for another E
   */
  override build(eventShape: readonly number[]): void {
    this.made.build(eventShape);
    this.built = true;
  }

  /**
   * The incoming distribution transformed by the MAF (no sample is drawn).
   * @param distribution - events of shape `[E]`
   * @param options - `conditionalInput` `[..., C]` (set by `Sequential` to the model's input) for a conditional `made`
   * @returns a `TransformedDistribution` (a {@link LayerTransformedDistribution}) with the incoming batch and event shapes
   * @throws TypeError when the input is not a Distribution; ValueError for an event that is not a
   *   vector, an E that differs from the network's, or a conditional network without a fitting condition
   */
  call(distribution: LayerOutput, options: CallOptions = {}): TransformedDistribution {
    const where = `AutoregressiveTransform.call`;
    assert(isDistribution(distribution), () => `${where}: layer '${this.name}' needs a Distribution input (e.g. from a DistributionLambda), got ${describe(distribution)}`, TypeError);
    const d = distribution as Distribution;
    const event = d.eventShape;
    assert(event.length === 1, () => `${where}: layer '${this.name}' needs a distribution over vectors [E], got ${distributionName(d)} with event shape ${fmt(event)}`);
    if (this.made.built) {
      assert(this.made.eventSize === event[0], () => `${where}: layer '${this.name}' has a network for events [${this.made.eventSize}], but the incoming ${distributionName(d)} has event shape ${fmt(event)}`);
    } else {
      this.build(event);
    }
    if (!this.made.conditional) return new LayerTransformedDistribution({ distribution: d, bijector: this.bijector });
    const C = (this.made.conditionalEventShape as readonly number[])[0];
    const c = options.conditionalInput;
    assert(c !== undefined && c.rank >= 1 && c.shape[c.rank - 1] === C,
      () => `${where}: layer '${this.name}' has a conditional network (conditionalEventShape [${C}]) and conditions on the model's input, ` +
        `which must be [rows, ${C}] (fit(x = conditions, y = targets)); got ${c === undefined ? 'none' : `shape ${fmt(c.shape)}`}`);
    return new LayerTransformedDistribution({ distribution: d, bijector: this.bijector }, { conditionalInput: c });
  }

  protected override ownWeights(): Tensor[] {
    return this.made.built ? this.made.trainableWeights : [];
  }

  /** Copies `weights` into the network in place (masked entries stay 0). @throws as `AutoregressiveNetwork.setWeights` */
  override setWeights(weights: readonly Tensor[]): void {
    this.made.setWeights(weights);
  }

  /** Applies `convertToTensorFn`. */
  override convertToTensor(distribution: Distribution, options: CallOptions = {}): Tensor {
    return applyConvertToTensorFn(this.convertToTensorFn, distribution as TransformedDistribution, options, `AutoregressiveTransform '${this.name}'`);
  }

  /**
   * The layer's options and the network's config (with its seed, so the masks are rebuilt the same).
   * @throws TypeError when the network's activation or an initializer is a function, or `convertToTensorFn` is
   */
  override getConfig(): LayerConfig {
    const made = this.made.getConfig();
    for (const key of ['activation', 'kernelInitializer', 'biasInitializer'] as const) {
      const value = made[key];
      assert(typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string')), () => `AutoregressiveTransform.getConfig: layer '${this.name}': the network's '${key}' is a function, which cannot be saved; use one of the named ones`, TypeError);
    }
    assert(typeof this.convertToTensorFn === 'string', () => `AutoregressiveTransform.getConfig: layer '${this.name}' has a function as 'convertToTensorFn', which cannot be saved; use 'sample' or 'mean'`, TypeError);
    const clamp = this.bijector.logScaleClamp;
    return {
      ...super.getConfig(), convertToTensorFn: this.convertToTensorFn,
      // left out when unset, so files of unclamped models read as before
      ...(clamp === null ? {} : { logScaleClamp: { ...clamp } }),
      // likewise left out for TFP's affine transform
      ...(this.bijector.transform?.name === 'affine' ? {} : { transform: this.bijector.transform?.getConfig() }),
      made: made as unknown as Record<string, unknown>,
    };
  }
}
