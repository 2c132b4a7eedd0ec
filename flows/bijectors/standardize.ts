// Standardize: the fixed per-feature affine map (x − mean) / std, from training-set statistics, with its log-det.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { add, mul, sub } from '../../autodiff/ops/binary.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { neg } from '../../autodiff/ops/unary.js';
import { Tensor, tensor, type NestedArray } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import { Bijector, checkName, type BijectorConfig, type ParamLike } from './bijector.js';
import { checkEntries } from '../../autodiff/checks.js';
import { describe, isPlainObject } from '../../lib/util/validate.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** Options of {@link Standardize}. */
export interface StandardizeOptions {
  /** Per-feature means `[E]` (or anything that broadcasts against the input). */
  mean: ParamLike;
  /** Per-feature standard deviations, each positive and finite, the same shape as `mean`. */
  std: ParamLike;
  /** Default `'standardize'`. */
  name?: string;
}

/**
 * Standardization as a bijector, elementwise (`forwardMinEventNdims` 0). Its `forward` is the
 * map its name says, from data to standardized values:
 *
 *   forward:  z = (x − mean) / std          inverse:  x = z · std + mean
 *   log|det ∂z/∂x| = −Σ_d log std_d          (per element: −log std_d)
 *
 * `mean` and `std` are constants (copied, never trained): the usual preprocessing, but kept
 * inside the flow so that `logProb` is the density of the ORIGINAL data, the log-det above
 * included. Make it from the training rows only with {@link Standardize.fromData}, so that no
 * statistic of the validation or test rows leaks into the model.
 *
 * Direction inside a flow: the data side is `x`, so the flow holds
 * `new Invert(new Standardize(…))` as its outermost member, as `maskedAutoregressiveFlowStack({
 * preprocessing })` does; its `logProb` runs `forward` above on the data.
 *
 * @example
 * const st = Standardize.fromData(tensor([[1, 10], [3, 30]])); // mean [2, 20], std [1, 10]
 * st.forward(tensor([[3, 40]]));                               // [[1, 2]]
 * st.forwardLogDetJacobian(tensor([[3, 40]]), { eventNdims: 1 }); // −log 1 − log 10 ≈ [-2.3026]
 */
export class Standardize extends Bijector {
  /** Per-feature means (a copy, no gradient). */
  readonly mean: Tensor;
  /** Per-feature standard deviations (a copy, no gradient). */
  readonly std: Tensor;
  private readonly logStd: Tensor;
  private readonly invStd: Tensor;

  /**
   * @param options - `{ mean, std, name? }`
   * @throws TypeError when `options` is not an object or `mean`/`std` are not numbers or arrays;
   *   RangeError for a non-finite mean or a std that is not positive and finite;
   *   ValueError when the shapes of `mean` and `std` differ
   */
  constructor(options: StandardizeOptions) {
    const where = 'Standardize';
    assert(isPlainObject(options), () => `${where}: expected options { mean, std, name? }, got ${describe(options)}`, TypeError);
    super({ className: where, name: checkName(options.name ?? 'standardize', where), forwardMinEventNdims: 0, isConstantJacobian: true });
    // Copied and cut from any graph: statistics are fixed, so an optimizer must never see them.
    const mean = toTensor(options.mean, 'mean', where).clone();
    const std = toTensor(options.std, 'std', where).clone();
    checkEntries(mean, 'mean', where, Number.isFinite, 'finite');
    checkEntries(std, 'std', where, (v) => Number.isFinite(v) && v > 0, 'positive and finite');
    assert(mean.rank === std.rank && mean.shape.every((d, i) => d === std.shape[i]),
      () => `${where}: 'mean' has shape ${fmt(mean.shape)} and 'std' has shape ${fmt(std.shape)}; they must be equal`);
    this.mean = mean;
    this.std = std;
    this.logStd = new Tensor(std.data.map(Math.log), std.shape);
    this.invStd = new Tensor(std.data.map((v) => 1 / v), std.shape);
  }

  /**
   * A Standardize with the per-column mean and (population, ddof 0) standard deviation of `x`,
   *
   *   mean_d = (1/n) Σ_b x[b][d],    std_d = √((1/n) Σ_b (x[b][d] − mean_d)²),
   *
   * where a constant column (std 0) gets std 1, as scikit-learn's StandardScaler does, so it is
   * centred and left unscaled instead of dividing by zero.
   *
   * Scale-safe: each column is divided by s, the power of two nearest below its largest |x|, and
   * the statistics of x/s are scaled back (mean = s·mean(x/s), std = s·std(x/s)), so no sum
   * overflows past 1e308 and no square underflows below 1e-308: columns around 1e200 and 1e-200
   * get their true mean and std. Dividing by a power of two is exact, so on columns that never
   * came near either bound the result is the same, bit for bit, as without the scaling.
   *
   * @param x - the training rows, shape [rows, E], finite
   * @param options - `name`
   * @throws TypeError when `x` is not a Tensor; ValueError when it is not [rows ≥ 1, E]; RangeError for a non-finite entry
   */
  static fromData(x: Tensor, options: { name?: string } = {}): Standardize {
    const where = 'Standardize.fromData';
    assert(x instanceof Tensor, () => `${where}: 'x' must be a Tensor [rows, E], got ${describe(x)}`, TypeError);
    assert(x.rank === 2 && x.shape[0] >= 1, () => `${where}: 'x' has shape ${fmt(x.shape)}, expected [rows, E] with rows ≥ 1`);
    checkEntries(x, 'x', where, Number.isFinite, 'finite');
    const [n, E] = x.shape;
    const scale = new Float64Array(E);
    for (let b = 0; b < n; b++) for (let d = 0; d < E; d++) scale[d] = Math.max(scale[d], Math.abs(x.data[b * E + d]));
    // s = 2^⌊log₂ max|x|⌋ (1 for an all-zero column, whose mean and std are 0 whatever s is).
    for (let d = 0; d < E; d++) scale[d] = scale[d] === 0 ? 1 : 2 ** Math.max(-1074, Math.floor(Math.log2(scale[d])));
    const mean = new Float64Array(E); // of x/s, in (−2, 2)
    const std = new Float64Array(E);
    for (let b = 0; b < n; b++) for (let d = 0; d < E; d++) mean[d] += x.data[b * E + d] / scale[d];
    for (let d = 0; d < E; d++) mean[d] /= n;
    // Two passes (mean, then squared deviations): no cancellation as in E[x²] − E[x]².
    for (let b = 0; b < n; b++) {
      for (let d = 0; d < E; d++) {
        const c = x.data[b * E + d] / scale[d] - mean[d];
        std[d] += c * c;
      }
    }
    for (let d = 0; d < E; d++) {
      std[d] = std[d] > 0 ? scale[d] * Math.sqrt(std[d] / n) : 1;
      mean[d] *= scale[d];
    }
    return new Standardize({ mean: tensor(mean, [E]), std: tensor(std, [E]), name: options.name });
  }

  protected _forward(x: Tensor): Tensor {
    return mul(sub(x, this.mean), this.invStd);
  }

  protected _inverse(y: Tensor): Tensor {
    return add(mul(y, this.std), this.mean);
  }

  protected override _forwardLogDet(x: Tensor): Tensor {
    return neg(broadcastTo(this.logStd, broadcastShapes('Standardize.forwardLogDetJacobian', x.shape, this.std.shape)));
  }

  protected override _inverseLogDet(y: Tensor): Tensor {
    return broadcastTo(this.logStd, broadcastShapes('Standardize.inverseLogDetJacobian', y.shape, this.std.shape));
  }

  /** `{ className: 'Standardize', name, mean, std }` with the statistics as nested arrays. */
  override getConfig(): BijectorConfig {
    return { ...super.getConfig(), mean: this.mean.toArray(), std: this.std.toArray() };
  }

  /** Rebuilds a Standardize from {@link Standardize.getConfig}'s output. */
  static fromConfig(config: BijectorConfig): Standardize {
    return new Standardize({ mean: config.mean as NestedArray, std: config.std as NestedArray, name: config.name });
  }
}
