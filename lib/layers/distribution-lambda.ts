// DistributionLambda: a layer whose output is a distribution made by a user function of its input tensor.
import type { Tensor } from '../../autodiff/tensor.js';
import type { Distribution } from '../../flows/distributions/distribution.js';
import { assert, ValueError } from '../util/errors.js';
import { registeredEntry, registeredNameOf, registeredNames, registerEntry, type RegisterOptions } from '../util/register.js';
import {
  applyConvertToTensorFn, checkConvertToTensorFn, isDistribution, LAYER_ARG_NAMES, Layer, mustBeTensorInput,
  type CallOptions, type ConvertToTensorFn, type LayerArgs, type LayerConfig, type LayerOutput,
} from './layer.js';
import { checkOptions, describe } from '../util/validate.js';

/** A function from a layer's input tensor to a distribution. */
export type MakeDistributionFn<D extends Distribution = Distribution> = (t: Tensor) => D;

/**
 * Gives a distribution-making function a name, so that a `DistributionLambda` holding it can be
 * saved and loaded: the file stores the name, and loading looks the function up in the one
 * registry, under kind `'distributionFn'` (code is never read from a file). Register the same name before `loadModel` in the loading program.
 * Registering a name again with the same function does nothing; with another function it throws,
 * since models saved under that name would silently load with the new one, unless
 * `{ override: true }` says that is meant.
 *
 * @param name - a non-empty string
 * @param fn - `(t: Tensor) => Distribution`
 * @param options - `override: true` to replace a function already registered under `name`
 * @throws TypeError for an empty or non-string name, a non-function or a bad option; ValueError
 *   when `name` holds another function and `override` is not set
 *
 * @example
 * const standardNormal2d = (t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) });
 * registerDistributionFn('standardNormal2d', standardNormal2d);
 * new DistributionLambda(standardNormal2d);   // or new DistributionLambda('standardNormal2d')
 */
export function registerDistributionFn<D extends Distribution>(name: string, fn: MakeDistributionFn<D>, options: RegisterOptions = {}): void {
  registerEntry('distributionFn', name, fn, options, { where: 'registerDistributionFn', name: 'name', entry: 'fn', entryIs: 'a function (t: Tensor) => Distribution' });
}

/** The function registered under `name`, or `undefined`. */
export function getDistributionFn(name: string): MakeDistributionFn | undefined {
  return registeredEntry('distributionFn', name) as MakeDistributionFn | undefined;
}

/** Options of {@link DistributionLambda}. */
export interface DistributionLambdaArgs<D extends Distribution = Distribution> extends LayerArgs {
  /** How a following layer that needs a tensor gets one from the distribution; default `'sample'`. */
  convertToTensorFn?: ConvertToTensorFn<D>;
}

/**
 * A layer that returns `makeDistributionFn(t)` for its input tensor `t`, as TFP's
 * `tfp.layers.DistributionLambda`. Unlike TFP's, calling it does not draw a sample: the
 * distribution is returned as it is (a following `AutoregressiveTransform` transforms the
 * distribution itself), and it is turned into a tensor (by `convertToTensorFn`, a sample by
 * default) only when a following layer needs one.
 *
 * To be saved, the function must be registered with {@link registerDistributionFn} (JSON
 * cannot hold code); the layer may also be made from a registered name.
 *
 * @typeParam D - the distribution the function returns
 *
 * @example
 * new DistributionLambda((t) => new MultivariateNormalDiag({
 *   loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] }));
 * // called on zeros([n, 0]): a MultivariateNormalDiag with batch shape [n], event shape [2]
 */
export class DistributionLambda<D extends Distribution = Distribution> extends Layer<D> {
  readonly className = 'DistributionLambda';
  /** The function making the distribution. */
  readonly makeDistributionFn: MakeDistributionFn<D>;
  /** How the output becomes a tensor for a following layer. */
  readonly convertToTensorFn: ConvertToTensorFn<D>;

  /**
   * @param makeDistributionFn - `(t: Tensor) => Distribution`, or the name it was registered under
   * @param args - `convertToTensorFn`, `name`, `trainable`
   * @throws TypeError for a non-function, an unknown option or `convertToTensorFn`;
   *   ValueError for a name that is not registered
   */
  constructor(makeDistributionFn: MakeDistributionFn<D> | string, args: DistributionLambdaArgs<D> = {}) {
    const where = 'DistributionLambda';
    checkOptions(args, [...LAYER_ARG_NAMES, 'convertToTensorFn'], where);
    super(args, 'DistributionLambda', 'distribution_lambda');
    if (typeof makeDistributionFn === 'string') {
      const fn = getDistributionFn(makeDistributionFn);
      if (fn === undefined) {
        const known = registeredNames('distributionFn');
        throw new ValueError(`${where}: 'makeDistributionFn' is the name '${makeDistributionFn}', but no function is registered as '${makeDistributionFn}'; call registerDistributionFn('${makeDistributionFn}', fn) first` +
          (known.length > 0 ? ` (registered: ${known.map((k) => `'${k}'`).join(', ')})` : ''));
      }
      this.makeDistributionFn = fn as MakeDistributionFn<D>;
    } else {
      assert(typeof makeDistributionFn === 'function',
        () => `${where}: 'makeDistributionFn' must be a function (t: Tensor) => Distribution or a registered name, got ${describe(makeDistributionFn)}`, TypeError);
      this.makeDistributionFn = makeDistributionFn;
    }
    this.convertToTensorFn = checkConvertToTensorFn<D>(args.convertToTensorFn ?? 'sample', where);
    this.built = true;
  }

  /**
   * Rebuilds a DistributionLambda from {@link DistributionLambda.getConfig}, looking its function up by name.
   * @throws ValueError when the name is not registered in this program
   */
  static fromConfig(config: LayerConfig): DistributionLambda {
    const { makeDistributionFn, ...rest } = config;
    assert(typeof makeDistributionFn === 'string', () => `DistributionLambda.fromConfig: 'makeDistributionFn' must be a registered name, got ${typeof makeDistributionFn}`);
    return new DistributionLambda(makeDistributionFn, rest as DistributionLambdaArgs);
  }

  /**
   * `makeDistributionFn(t)`.
   * @param t - the previous layer's tensor (the model input after an InputLayer)
   * @throws TypeError when `t` is not a Tensor or the function does not return a Distribution
   */
  call(t: LayerOutput, _options?: CallOptions): D {
    mustBeTensorInput(t, this);
    const d = this.makeDistributionFn(t);
    assert(isDistribution(d), () => `DistributionLambda.call: layer '${this.name}': makeDistributionFn returned ${describe(d)}, expected a Distribution`, TypeError);
    return d;
  }

  /** Applies `convertToTensorFn`. */
  override convertToTensor(distribution: Distribution, options: CallOptions = {}): Tensor {
    return applyConvertToTensorFn(this.convertToTensorFn, distribution as D, options, `DistributionLambda '${this.name}'`);
  }

  /**
   * The layer's options with the function's registered name.
   * @throws TypeError when the function (or a function `convertToTensorFn`) is not registered, saying how to register it
   */
  override getConfig(): LayerConfig {
    const name = registeredNameOf('distributionFn', this.makeDistributionFn);
    assert(name !== undefined, () => `DistributionLambda.getConfig: layer '${this.name}' holds a function that is not registered, ` +
      `and JSON cannot hold code; call registerDistributionFn('someName', fn) with this function before saving (and before loading)`, TypeError);
    assert(typeof this.convertToTensorFn === 'string', () => `DistributionLambda.getConfig: layer '${this.name}' has a function as 'convertToTensorFn', which cannot be saved; use 'sample' or 'mean'`, TypeError);
    return { ...super.getConfig(), makeDistributionFn: name, convertToTensorFn: this.convertToTensorFn };
  }
}
