// Distribution: the common surface of every distribution (sample, logProb, moments), in TFP's shape conventions.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { exp } from '../../autodiff/ops/unary.js';
import type { Tensor } from '../../autodiff/tensor.js';
import type { TensorLike } from '../../autodiff/tensor-like.js';
import { checkNoHoles } from '../../lib/util/arrays.js';
import { checkCallBytes, checkTensorElements } from '../../lib/util/limits.js';
import { assert } from '../../lib/util/errors.js';
import { checkSeed, Random, toRandom, type Seed } from '../../lib/util/random.js';
import { fmt, sizeOf, type Shape } from '../../lib/util/shape.js';
import { checkBoolean, checkOptions, describe, DESCRIBE, isPlainObject } from '../../lib/util/validate.js';
import { checkFinite } from '../../autodiff/checks.js';
import { copyWeightsInto } from '../../autodiff/weights.js';
import { checkConditionsFinite, checkName, type BijectorKwargs } from '../bijectors/bijector.js';
import { toTensor } from '../../autodiff/tensor-like.js';
import { type JsonValue } from '../../lib/util/json.js';

/** How many draws: a count `n` (→ `[n]`) or a shape; `[]` (the default) draws one. */
export type SampleShape = number | readonly number[];

/** Options of {@link Distribution.sample}. */
export interface SampleOptions {
  /** A number, string or `Random`; the same seed gives bit-identical samples. Default: the global generator. */
  seed?: Seed;
  /** Passed to the bijector of a `TransformedDistribution` (e.g. `{ conditionalInput }`); ignored otherwise. */
  bijectorKwargs?: BijectorKwargs;
}

/** Options of {@link Distribution.logProb}. */
export interface LogProbOptions {
  /** Passed to the bijector of a `TransformedDistribution`; ignored otherwise. */
  bijectorKwargs?: BijectorKwargs;
  /**
   * Check `x` for NaN and ±∞ first (default true), naming the row and column of the first.
   * `false` skips that one pass over `x` and gives TFP's behaviour (`validate_args=False`):
   * NaN in, NaN out. Its cost is measured in docs/errors.md.
   */
  validateArgs?: boolean;
}

/** A value `logProb` accepts: any {@link TensorLike} (a Tensor is used as is; other forms are converted). */
export type ValueLike = TensorLike;

/** JSON-safe options that rebuild a distribution (see `distributionFromConfig`). */
export interface DistributionConfig {
  /** The class to rebuild, e.g. `'Normal'`: the key `distributionFromConfig` looks the class up by. */
  className: string;
  /** The distribution's `name`. */
  name: string;
  /** The class's own constructor options, JSON-safe (parameters as nested arrays, a bijector as its config). */
  [option: string]: JsonValue;
}

/** What a subclass tells the base class: the argument of {@link Distribution}'s protected constructor. */
export interface DistributionParameters {
  /** The class name used in error messages (survives minification, unlike `constructor.name`). */
  className: string;
  /** The instance's name, a non-empty string. */
  name: string;
  /** Shape of the batch of independent distributions (copied and frozen). */
  batchShape: Shape;
  /** Shape of one event (copied and frozen). */
  eventShape: Shape;
}

/** Draws and their log-density, as {@link Distribution.sampleAndLogProb} returns them. */
export interface SampleResult {
  /** The draws, shape `[...sampleShape, ...batchShape, ...eventShape]`. */
  sample: Tensor;
  /** `log p(sample)`, shape `[...sampleShape, ...batchShape]`. */
  logProb: Tensor;
}

const SAMPLE_OPTIONS: readonly string[] = ['seed', 'bijectorKwargs'];
const LOG_PROB_OPTIONS: readonly string[] = ['bijectorKwargs', 'validateArgs'];

/**
 * The `seed` of a sample call as a generator (the global one when absent).
 * @throws TypeError for a seed of the wrong kind; RangeError for a non-finite number
 */
function toSeededRandom(seed: unknown, where: string): Random {
  return toRandom(checkSeed(seed, 'seed', where));
}

/** Checks a sample shape and returns it as an array. @throws TypeError / RangeError naming `where` */
export function toSampleShape(sampleShape: unknown, where: string): number[] {
  const list = typeof sampleShape === 'number' ? [sampleShape] : sampleShape;
  assert(Array.isArray(list), () => `${where}: 'sampleShape' must be a number or an array of integers, got ${describe(sampleShape)}`, TypeError);
  checkNoHoles(list, 'sampleShape', where);
  for (const d of list as unknown[]) {
    assert(typeof d === 'number' && Number.isInteger(d) && d >= 0,
      () => `${where}: 'sampleShape' entries must be non-negative integers, got ${typeof sampleShape === 'number' ? sampleShape : `[${(list as unknown[]).join(',')}]`}`, RangeError);
  }
  return (list as number[]).slice();
}

/**
 * A probability distribution over events of shape `eventShape`, with a batch of independent
 * parameterisations of shape `batchShape` (TFP's convention). Shapes:
 *
 * - `sample(sampleShape)` → `[...sampleShape, ...batchShape, ...eventShape]`
 * - `logProb(x)` with `x` `[...b, ...eventShape]` → the NumPy broadcast of `b` and `batchShape`
 *   (e.g. `x` `[5, 3, 2]`, event `[2]`, batch `[]` → `[5, 3]`)
 *
 * Subclasses implement `_sample` and `_logProb` on validated input, and the moments that have a
 * closed form; the others throw an Error saying they are not implemented for that class.
 */
export abstract class Distribution {
  /** The class name, as error messages print it. */
  readonly className: string;
  /** The distribution's name (TFP's default is the class name). */
  readonly name: string;
  /** Shape of the batch of independent distributions. */
  readonly batchShape: readonly number[];
  /** Shape of one event (one draw of one distribution of the batch). */
  readonly eventShape: readonly number[];

  /**
   * Stores what a subclass reports about itself; subclasses call it first.
   * @param p - the class name, the instance name, and the batch and event shapes
   * @throws TypeError when `p.name` is not a non-empty string
   */
  protected constructor(p: DistributionParameters) {
    this.className = p.className;
    this.name = checkName(p.name, p.className);
    this.batchShape = Object.freeze(p.batchShape.slice());
    this.eventShape = Object.freeze(p.eventShape.slice());
  }

  /** How error messages describe a distribution (lib/util/validate.ts's `describe`), e.g. `'a Normal (a Distribution)'`. */
  [DESCRIBE](): string {
    return `a ${this.className} (a Distribution)`;
  }

  /** Tensors an optimizer should update: parameters given as Tensors with `requiresGrad`, and a bijector's weights. */
  get trainableWeights(): Tensor[] {
    return [];
  }

  /** Saved but not trained state (e.g. batch-norm running averages). */
  get nonTrainableWeights(): Tensor[] {
    return [];
  }

  /** `trainableWeights` then `nonTrainableWeights`, each once: what {@link Distribution.getWeights} copies and a saved flow holds. */
  get weights(): Tensor[] {
    return [...new Set([...this.trainableWeights, ...this.nonTrainableWeights])];
  }

  /** Copies of {@link Distribution.weights}, the state `getConfig` leaves out (a saved flow stores both). */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.clone());
  }

  /**
   * Copies `weights` into {@link Distribution.weights}, in place, after checking every count and shape.
   * @param weights - as many tensors (any TensorLike) as `getWeights()` returns, with the same shapes
   * @throws TypeError for a non-array or an entry of the wrong kind; ValueError naming the first mismatch
   */
  setWeights(weights: readonly TensorLike[]): void {
    copyWeightsInto(this.weights, weights, `${this.className}.setWeights`);
  }

  /**
   * Draws samples.
   * @param sampleShape - `n` or a shape; default `[]` (one draw per batch member)
   * @returns shape `[...sampleShape, ...batchShape, ...eventShape]`
   * @throws TypeError / RangeError for a malformed `sampleShape` or `seed`
   */
  sample(sampleShape: SampleShape = [], options: SampleOptions = {}): Tensor {
    const { shape, rng, kwargs } = this.checkDraw(sampleShape, options, `${this.className}.sample`);
    return this._sample(shape, rng, kwargs);
  }

  /**
   * Log-density at `x`.
   * @param x - shape `[...b, ...eventShape]`
   * @param options - `bijectorKwargs`, and `validateArgs` (default true: `x` is checked for NaN and ±∞)
   * @returns shape `broadcast(b, batchShape)`
   * @throws ValueError when `x`'s rank is below the event rank, its last axes are not `eventShape`,
   *   `b` does not broadcast with `batchShape`, or (with `validateArgs`) `x` holds NaN or ±∞,
   *   naming its row and column; TypeError when `x` is not a Tensor or numbers, or for an unknown option
   */
  logProb(x: ValueLike, options: LogProbOptions = {}): Tensor {
    const where = `${this.className}.logProb`;
    const t = this.checkValue(x, where);
    assert(isPlainObject(options), () => `${where}: 'options' must be an object { bijectorKwargs?, validateArgs? }, got ${describe(options)}`, TypeError);
    checkOptions(options, LOG_PROB_OPTIONS, where);
    // On by default, unlike TFP's validate_args: one pass over x, small beside any flow's network pass.
    if (checkBoolean(options.validateArgs, 'validateArgs', where, true)) {
      checkFinite(t, 'x', where, 'remove or impute it, or pass { validateArgs: false } to get NaN out for NaN in');
    }
    this.checkBijectorKwargs(options.bijectorKwargs, where);
    const batch = broadcastShapes(where, t.shape.slice(0, t.rank - this.eventShape.length), this.batchShape);
    checkCallBytes(sizeOf(batch) * this.bytesPerRow(), `the estimated working memory of ${sizeOf(batch)} rows`, where);
    return this._logProb(t, options.bijectorKwargs ?? {});
  }

  /** Density `exp(logProb(x))`; same shapes and errors as {@link Distribution.logProb}. */
  prob(x: ValueLike, options: LogProbOptions = {}): Tensor {
    return exp(this.logProb(x, options));
  }

  /**
   * Samples and their log-density together; a `TransformedDistribution` does both in one pass
   * through its bijector (for a MAF: `eventSize` network passes, not `eventSize + 1`).
   * @param sampleShape - `n` or a shape; default `[]` (one draw per batch member)
   * @param options - `seed` and `bijectorKwargs`, as for {@link Distribution.sample}
   * @returns `sample` `[...sampleShape, ...batchShape, ...eventShape]`, `logProb` `[...sampleShape, ...batchShape]`
   * @throws TypeError / RangeError for a malformed `sampleShape` or `seed`, as {@link Distribution.sample}
   */
  sampleAndLogProb(sampleShape: SampleShape = [], options: SampleOptions = {}): SampleResult {
    const { shape, rng, kwargs } = this.checkDraw(sampleShape, options, `${this.className}.sampleAndLogProb`);
    return this._sampleAndLogProb(shape, rng, kwargs);
  }

  /** The checks of a drawing call's arguments, made once here: the sample shape and its size, the options, the seed and the kwargs. */
  private checkDraw(sampleShape: SampleShape, options: SampleOptions, where: string): { shape: number[]; rng: Random; kwargs: BijectorKwargs } {
    const shape = toSampleShape(sampleShape, where);
    assert(isPlainObject(options), () => `${where}: 'options' must be an object { seed?, bijectorKwargs? }, got ${describe(options)}`, TypeError);
    checkOptions(options, SAMPLE_OPTIONS, where);
    this.checkDrawSize(shape, where);
    this.checkBijectorKwargs(options.bijectorKwargs, where);
    return { shape, rng: toSeededRandom(options.seed, where), kwargs: options.bijectorKwargs ?? {} };
  }

  /**
   * Checks the `bijectorKwargs` of a public call, once: conditions must be finite. A distribution
   * with a bijector inside overrides this to check the names too, and then trusts the kwargs below.
   */
  protected checkBijectorKwargs(kwargs: BijectorKwargs | undefined, where: string): void {
    checkConditionsFinite(kwargs, where);
  }

  /** Mean, shape `[...batchShape, ...eventShape]`. @throws Error when there is no closed form */
  mean(): Tensor {
    throw this.notImplemented('mean');
  }

  /** Standard deviation, shape `[...batchShape, ...eventShape]`. @throws Error when there is no closed form */
  stddev(): Tensor {
    throw this.notImplemented('stddev');
  }

  /** Variance, shape `[...batchShape, ...eventShape]`. @throws Error when there is no closed form */
  variance(): Tensor {
    throw this.notImplemented('variance');
  }

  /** Differential entropy `−E[log p(X)]`, shape `[...batchShape]`. @throws Error when there is no closed form */
  entropy(): Tensor {
    throw this.notImplemented('entropy');
  }

  /** JSON-safe options that rebuild this distribution. */
  getConfig(): DistributionConfig {
    return { className: this.className, name: this.name };
  }

  /** Draws on trusted input. */
  protected abstract _sample(sampleShape: number[], rng: Random, bijectorKwargs: BijectorKwargs): Tensor;

  /** Log-density on a validated value. */
  protected abstract _logProb(x: Tensor, bijectorKwargs: BijectorKwargs): Tensor;

  /** Default: sample, then evaluate; override when both share work. */
  protected _sampleAndLogProb(sampleShape: number[], rng: Random, bijectorKwargs: BijectorKwargs): SampleResult {
    const sample = this._sample(sampleShape, rng, bijectorKwargs);
    return { sample, logProb: this._logProb(sample, bijectorKwargs) };
  }

  /**
   * What one row (one event) of a sample or logProb call holds at a time, estimated from the
   * shapes alone: 8 bytes × (event size + the output width of every 2-D weight), since a
   * network layer with kernel `[fanIn, fanOut]` makes `fanOut` values per row.
   */
  private bytesPerRow(): number {
    let width = sizeOf(this.eventShape);
    for (const w of this.trainableWeights) if (w.rank === 2) width += w.shape[1];
    return 8 * width;
  }

  /**
   * Checks a draw's size against the limits before anything is drawn: the sample tensor
   * `[...sampleShape, ...batchShape, ...eventShape]` and the working memory of its rows.
   * @throws RangeError naming `where`, the size and the limit
   */
  private checkDrawSize(sampleShape: readonly number[], where: string): void {
    const rows = sizeOf(sampleShape) * sizeOf(this.batchShape);
    checkTensorElements(rows * sizeOf(this.eventShape), `the sample of 'sampleShape' ${fmt(sampleShape)}, shape ${fmt([...sampleShape, ...this.batchShape, ...this.eventShape])},`, where);
    checkCallBytes(rows * this.bytesPerRow(), `the estimated working memory of ${rows} rows`, where);
  }

  /** Converts and checks a value: rank, trailing event shape, and batch broadcast. */
  protected checkValue(x: ValueLike, where: string): Tensor {
    const t = toTensor(x, 'x', where);
    const ev = this.eventShape;
    const eventOk = t.rank >= ev.length && ev.every((d, i) => t.shape[t.rank - ev.length + i] === d);
    assert(eventOk, () => `${where}: 'x' has shape ${fmt(t.shape)}, expected [..., ${ev.join(', ')}] (event shape ${fmt(ev)})`);
    broadcastShapes(`${where}: batch dims of 'x' against batchShape`, t.shape.slice(0, t.rank - ev.length), this.batchShape);
    return t;
  }

  private notImplemented(what: string): Error {
    return new Error(`${this.className}.${what}: not implemented for ${this.className} (no closed form); estimate it from samples`);
  }
}

