// PermuteTransform: reorders the event dimensions of the incoming distribution, between stacked MAF layers.
import { Permute } from '../../flows/bijectors/permute.js';
import type { Distribution } from '../../flows/distributions/distribution.js';
import type { TransformedDistribution } from '../../flows/distributions/transformed-distribution.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../util/errors.js';
import { fmt } from '../util/shape.js';
import {
  applyConvertToTensorFn, distributionName, isDistribution, LAYER_ARG_NAMES, Layer,
  type CallOptions, type LayerArgs, type LayerConfig, type LayerOutput,
} from './layer.js';
import { LayerTransformedDistribution } from './layer-transformed-distribution.js';
import { checkOptions, describe } from '../util/validate.js';

/** Options of {@link PermuteTransform}. */
export interface PermuteTransformArgs extends LayerArgs {
  /**
   * 0-based, as the `Permute` bijector: output dimension `i` takes input dimension `permutation[i]`.
   * `'reverse'` (the default) reverses the E dimensions, whatever E is.
   */
  permutation?: readonly number[] | 'reverse';
}

/**
 * Transforms the incoming distribution by a fixed permutation of its event dimensions (the
 * `Permute` bijector, log-det 0). Stacked MAF layers need it in between: the MAF paper reverses
 * the order from one layer to the next, so that each dimension is, in some layer, conditioned on
 * the others.
 *
 * @example
 * new Sequential([
 *   new InputLayer({ inputShape: [0] }),
 *   new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) })),
 *   new AutoregressiveTransform(made1),
 *   new PermuteTransform(),            // reverse: [x1, x2] → [x2, x1]
 *   new AutoregressiveTransform(made2),
 * ]);
 */
export class PermuteTransform extends Layer<TransformedDistribution> {
  readonly className = 'PermuteTransform';
  override readonly acceptsDistribution = true;
  /** The permutation given, or `'reverse'`. */
  readonly permutation: readonly number[] | 'reverse';
  private bijector: Permute | null = null;

  /**
   * @throws TypeError for an unknown option or a `permutation` that is neither an array nor `'reverse'`;
   *   ValueError for an array that is not a permutation of 0..E−1
   */
  constructor(args: PermuteTransformArgs = {}) {
    const where = 'PermuteTransform';
    checkOptions(args, [...LAYER_ARG_NAMES, 'permutation'], where);
    super(args, 'PermuteTransform', 'permute_transform');
    const p = args.permutation ?? 'reverse';
    assert(p === 'reverse' || Array.isArray(p), () => `${where}: 'permutation' must be an array of 0-based indices or 'reverse', got ${describe(p)}`, TypeError);
    if (p !== 'reverse') this.bijector = new Permute({ permutation: p, name: this.name });
    this.permutation = p === 'reverse' ? p : Object.freeze(p.slice());
    this.built = true;
  }

  /** Rebuilds the layer from {@link PermuteTransform.getConfig}. */
  static fromConfig(config: LayerConfig): PermuteTransform {
    return new PermuteTransform(config as PermuteTransformArgs);
  }

  /**
   * The incoming distribution with its event dimensions permuted.
   * @throws TypeError when the input is not a Distribution; ValueError when its event is not `[E]`
   *   with E the permutation's length
   */
  call(distribution: LayerOutput, _options?: CallOptions): TransformedDistribution {
    const where = 'PermuteTransform.call';
    assert(isDistribution(distribution), () => `${where}: layer '${this.name}' needs a Distribution input, got ${describe(distribution)}`, TypeError);
    const d = distribution as Distribution;
    const event = d.eventShape;
    assert(event.length === 1, () => `${where}: layer '${this.name}' needs a distribution over vectors [E], got ${distributionName(d)} with event shape ${fmt(event)}`);
    const E = event[0];
    if (this.bijector === null || (this.permutation === 'reverse' && this.bijector.eventSize !== E)) {
      this.bijector = new Permute({ permutation: Array.from({ length: E }, (_, i) => E - 1 - i), name: this.name });
    }
    assert(this.bijector.eventSize === E, () => `${where}: layer '${this.name}' permutes ${this.bijector!.eventSize} dimensions, but the incoming ${distributionName(d)} has event shape ${fmt(event)}`);
    return new LayerTransformedDistribution({ distribution: d, bijector: this.bijector });
  }

  /** One sample of the distribution. */
  override convertToTensor(distribution: Distribution, options: CallOptions = {}): Tensor {
    return applyConvertToTensorFn('sample', distribution, options, `PermuteTransform '${this.name}'`);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), permutation: this.permutation === 'reverse' ? 'reverse' : this.permutation.slice() };
  }
}
