// InputLayer: declares the shape of one input row of a Sequential and checks every input against it.
import type { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../util/errors.js';
import { checkShapeElements } from '../util/limits.js';
import { checkShape, fmt, sameShape, type Shape } from '../util/shape.js';
import { LAYER_ARG_NAMES, Layer, mustBeTensorInput, type CallOptions, type LayerArgs, type LayerConfig, type LayerOutput } from './layer.js';
import { checkOptions } from '../util/validate.js';

/** Options of {@link InputLayer}. */
export interface InputLayerArgs extends LayerArgs {
  /** The shape of one example, without the batch axis: `[C]` for C features, `[0]` for no input at all. */
  inputShape: Shape;
}

/**
 * The first layer of a `Sequential`: fixes the shape of one example, so the model can be built
 * (and summarised, saved, checked) before it sees data. It passes its input through unchanged.
 *
 * Inputs are `[...batch, ...inputShape]` with any number of batch axes, none included:
 * with `inputShape: [0]` (TFP's unconditional flows), `zeros([n, 0])` is a batch of n empty
 * rows and `zeros([0])` a single one.
 *
 * @example
 * new InputLayer({ inputShape: [3] }).call(zeros([5, 3])).shape; // [5, 3]
 */
export class InputLayer extends Layer<Tensor> {
  readonly className = 'InputLayer';
  /** The shape of one example. */
  readonly inputShape: Shape;

  /**
   * @throws TypeError for an unknown option or an `inputShape` that is not an array; RangeError for entries that are not integers ≥ 0
   */
  constructor(args: InputLayerArgs) {
    checkOptions(args, [...LAYER_ARG_NAMES, 'inputShape'], 'InputLayer');
    assert(typeof args === 'object' && args !== null && args.inputShape !== undefined,
      () => `InputLayer: 'inputShape' is required (the shape of one example, e.g. [2])`, TypeError);
    super(args, 'InputLayer', 'input');
    this.inputShape = Object.freeze(checkShape(args.inputShape, "InputLayer: 'inputShape'").slice());
    // The model is built by running it on one zero example [1, ...inputShape]: refuse one too large to make.
    checkShapeElements(this.inputShape, "'inputShape'", 'InputLayer');
    this.built = true;
  }

  /** Rebuilds an InputLayer from {@link InputLayer.getConfig}. */
  static fromConfig(config: LayerConfig): InputLayer {
    return new InputLayer(config as unknown as InputLayerArgs);
  }

  /**
   * Returns `x` unchanged after checking its shape.
   * @param x - shape `[...batch, ...inputShape]`
   * @throws TypeError when `x` is not a Tensor; ValueError naming both shapes when its trailing axes are not `inputShape`
   */
  call(x: LayerOutput, _options?: CallOptions): Tensor {
    mustBeTensorInput(x, this);
    const k = this.inputShape.length;
    assert(x.rank >= k && sameShape(x.shape.slice(x.rank - k), this.inputShape),
      () => `InputLayer.call: 'x' has shape ${fmt(x.shape)}, but the model's inputShape is ${fmt(this.inputShape)} ` +
        `(expected [batch, ${this.inputShape.join(', ')}])`);
    return x;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), inputShape: this.inputShape.slice() };
  }
}
