// Sequential: a stack of layers with Keras's compile/fit/evaluate/summary, and saving to one JSON file.
import { Optimizer } from '../../autodiff/optimizers/optimizer.js';
import { concat } from '../../autodiff/ops/shape.js';
import { noGrad, Tensor, zeros } from '../../autodiff/tensor.js';
import { AutoregressiveTransform } from '../layers/autoregressive-transform.js';
import { checkParamCount } from '../util/limits.js';
import { checkNoHoles } from '../util/arrays.js';
import { weightDomainProblem } from '../../autodiff/weight-constraints.js';
import type { TensorLike } from '../../autodiff/tensor-like.js';
import type { Distribution } from '../../flows/distributions/distribution.js';
import { assert, ValueError } from '../util/errors.js';
import { Random, toRandom, type Seed } from '../util/random.js';
import { fmt, sameShape, type Shape } from '../util/shape.js';
import { InputLayer } from '../layers/input-layer.js';
import { isDistribution, Layer, uniqueLayerName, type CallOptions, type LayerConfig, type LayerOutput } from '../layers/layer.js';
import { layerFromConfig } from '../layers/registry.js';
import { getLoss, LOSS_NAMES, type LossFn, type LossName } from '../losses.js';
import type { History } from './history.js';
import { fitDatasetModel, type Dataset, type FitDatasetOptions } from './fit-dataset.js';
import {
  checkModelJSON, decodeOptimizer, decodeTensor, encodeOptimizer, encodeTensor, MODEL_FORMAT, MODEL_FORMAT_VERSION,
  parseModelText, readTextFile, writeFileAtomic, type ModelJSON,
} from './save.js';
import { architectureOf, firstDifference } from './architecture.js';
import { checkFileSizes } from './file-limits.js';
import { firstNonFinite, firstNonFiniteSlot } from './train-state.js';
import { evaluateModel, fitModel, rows, type DataInput, type EvaluateOptions, type FitOptions, type TrainableModel } from './training.js';
import { checkOptions, describe, checkPositiveInt } from '../util/validate.js';
import { serialize } from '../util/register.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/** Options of {@link Sequential}. */
export interface SequentialArgs {
  /** Default `'sequential'`, `'sequential_1'`, … */
  name?: string;
}

/** Options of {@link Sequential.call}: a layer's {@link CallOptions}, with the condition as any TensorLike. */
export interface SequentialCallOptions extends Omit<CallOptions, 'conditionalInput'> {
  /** What every layer receives as its condition; default the model's input `x`. Any TensorLike. */
  conditionalInput?: TensorLike;
}

/** Options of {@link Sequential.predict}. */
export interface PredictOptions {
  /** Rows per forward pass for a model that outputs a Tensor; default 32. Only memory depends on it. */
  batchSize?: number;
  /** Seeds any sampling between layers; default a fixed seed, so `predict` repeats. */
  seed?: Seed;
}

/** Options of {@link Sequential.compile}. */
export interface CompileArgs<Out extends LayerOutput = LayerOutput> {
  /** Updates the trainable weights, e.g. `new Adam()`. */
  optimizer: Optimizer;
  /** Per-example losses from `(yTrue, yPred)`, or a name: `'negativeLogLikelihood'`, `'meanSquaredError'`. */
  loss: LossFn<Out> | LossName;
}

/** Options of {@link Sequential.summary}. */
export interface SummaryOptions {
  /** Where each line goes; default `console.log`. `null` prints nothing (the table is still returned). */
  printFn?: ((line: string) => void) | null;
}

/**
 * A linear stack of layers, as Keras's `Sequential`: the output of each layer is the input of the
 * next. When a layer returns a distribution and the next one needs a tensor, the distribution is
 * turned into one by the layer that made it (its `convertToTensorFn`, by default one sample); the
 * last layer's output, tensor or distribution, is what {@link Sequential.call} returns.
 *
 * Every layer also receives the model's input as `conditionalInput`, which is how a conditional
 * `AutoregressiveTransform` learns `p(y | x)` from `fit(x, y)`.
 *
 * @typeParam Out - what the last layer returns (inferred from the layer list)
 *
 * @example
 * const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu' });
 * const model = new Sequential([
 *   new InputLayer({ inputShape: [0] }),
 *   new DistributionLambda((t) => new MultivariateNormalDiag({
 *     loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] })),
 *   new AutoregressiveTransform(made),
 * ]);
 * model.compile({ optimizer: new Adam(), loss: (y, rvY) => rvY.logProb(y).neg() });
 * await model.fit(zeros([n, 0]), data, { batchSize: 25, epochs: 10, stepsPerEpoch: n / 25, verbose: 1 });
 * const distribution = model.call(zeros([0]));
 */
export class Sequential<Out extends LayerOutput = LayerOutput> implements TrainableModel<Out> {
  /** Always `'Sequential'`: the class name error messages and saved files use. */
  readonly className = 'Sequential';
  /** The model's name. */
  readonly name: string;
  /** Set by `compile`. */
  optimizer: Optimizer | null = null;
  /** The loss set by `compile`, as a function. */
  lossFn: LossFn<Out> | null = null;
  /** The loss's name when `compile` got one (only named losses are saved). */
  lossName: LossName | null = null;
  /** Set to true (by a callback) to stop `fit` after the current epoch. */
  stopTraining = false;
  private readonly layerList: Layer[] = [];
  private builtShape: Shape | undefined;

  /**
   * @param layers - the layers, input side first; an `InputLayer` may only come first
   * @throws TypeError when an entry is not a Layer; ValueError for two layers with one name or a misplaced InputLayer
   */
  constructor(layers: readonly [...Layer[], Layer<Out>], args?: SequentialArgs);
  constructor(layers?: readonly Layer[], args?: SequentialArgs);
  constructor(layers: readonly Layer[] = [], args: SequentialArgs = {}) {
    checkOptions(args, ['name'], 'Sequential');
    assert(Array.isArray(layers), () => `Sequential: 'layers' must be an array of layers, got ${describe(layers)}`, TypeError);
    checkNoHoles(layers, 'layers', 'Sequential');
    const { name } = args;
    assert(name === undefined || (typeof name === 'string' && name !== ''), () => `Sequential: 'name' must be a non-empty string, got ${describe(name)}`, TypeError);
    this.name = name ?? uniqueLayerName('sequential');
    for (const layer of layers) this.add(layer);
  }

  /** The layers, input side first. */
  get layers(): readonly Layer[] {
    return this.layerList.slice();
  }

  /**
   * Appends a layer.
   * @throws TypeError for a non-Layer; ValueError for a duplicate name or an InputLayer that is not first
   */
  add(layer: Layer): void {
    assert(layer instanceof Layer, () => `Sequential.add: 'layer' must be a Layer, got ${describe(layer)}`, TypeError);
    assert(!this.layerList.some((l) => l.name === layer.name),
      () => `Sequential.add: the model already has a layer named '${layer.name}'; layer names must be unique`);
    assert(!(layer instanceof InputLayer) || this.layerList.length === 0,
      () => `Sequential.add: an InputLayer can only be the first layer; the model has ${this.layerList.length} already`);
    if (layer instanceof AutoregressiveTransform) {
      const other = this.layerList.find((l) => l instanceof AutoregressiveTransform && l.made === layer.made);
      assert(other === undefined, () => `Sequential.add: layer '${layer.name}' uses the same AutoregressiveNetwork as layer '${other!.name}'; ` +
        `each AutoregressiveTransform needs its own network (a shared one would be counted, trained and saved twice): make a second network with the same options`);
    }
    this.checkNoSharedWeights([...this.layerList, layer], 'Sequential.add');
    this.layerList.push(layer);
  }

  /**
   * Refuses a weight tensor held by two layers (one network inside two flows): it would be
   * counted, stepped and saved twice, and the optimizer would refuse it at the first step.
   */
  private checkNoSharedWeights(layers: readonly Layer[], where: string): void {
    const owner = new Map<Tensor, Layer>();
    for (const layer of layers) {
      for (const w of layer.weights) {
        const other = owner.get(w);
        assert(other === undefined || other === layer, () => `${where}: layers '${other!.name}' and '${layer.name}' share a weight tensor (shape ${fmt(w.shape)}); ` +
          `each layer needs its own network or flow (a shared one would be counted, trained and saved twice)`);
        owner.set(w, layer);
      }
    }
  }

  /** `weight j of layer 'name', shape [..]`: where `weights[i]` lives, for messages. */
  private weightLabel(i: number): string {
    let at = 0;
    for (const layer of this.layerList) {
      const ws = layer.weights;
      if (i < at + ws.length) return `weight ${i - at} of layer '${layer.name}', shape ${fmt(ws[i - at].shape)}`;
      at += ws.length;
    }
    return `weight ${i}`;
  }

  /**
   * Refuses state a file must not hold (loadModel would refuse it): a weight or optimizer slot
   * that is NaN or ±∞, or a weight outside its domain (a negative batch-norm variance).
   * @throws ValueError naming `where`, the weight and the value
   */
  private checkSavable(where: string): void {
    const weights = this.weights;
    const bad = firstNonFinite(weights);
    assert(bad === null, () => `${where}: weights[${bad!.tensor}] (${this.weightLabel(bad!.tensor)}) holds ${bad!.value} at index ${bad!.index}; ` +
      `refusing to save non-finite state (loadModel would refuse the file), so nothing was written`);
    weights.forEach((w, i) => {
      const problem = weightDomainProblem(w, w.data);
      assert(problem === null, () => `${where}: weights[${i}] (${this.weightLabel(i)}) ${problem}; refusing to save it, so nothing was written`);
    });
    if (this.optimizer === null) return;
    const slot = firstNonFiniteSlot(this.optimizer, this.trainableWeights);
    assert(slot === null, () => `${where}: the optimizer's slot '${slot!.slot}' of trainable weight ${slot!.param} holds ${slot!.value} at index ${slot!.index}; ` +
      `refusing to save non-finite state (loadModel would refuse the file), so nothing was written`);
  }

  /** The shape of one example: the InputLayer's, or the one the model was built with; `undefined` before that. */
  get inputShape(): Shape | undefined {
    const first = this.layerList[0];
    if (first instanceof InputLayer) return first.inputShape;
    return this.builtShape;
  }

  /** Whether every layer has its weights. */
  get built(): boolean {
    return this.builtShape !== undefined && this.layerList.every((l) => l.built);
  }

  /**
   * Builds every layer by running the model once on a zero example `[1, ...inputShape]`
   * (no graph; any sampling draws from a private seed, not the global generator).
   * @param inputShape - one example's shape; default the InputLayer's
   * @throws ValueError when no shape is known or it contradicts the InputLayer's
   */
  build(inputShape?: Shape): void {
    const known = this.inputShape;
    const shape = inputShape ?? known;
    assert(shape !== undefined, () => `Sequential.build: the input shape is unknown; start the model with an InputLayer({ inputShape }) or pass build(inputShape)`);
    assert(known === undefined || sameShape(shape, known), () => `Sequential.build: 'inputShape' ${fmt(shape)} differs from the model's ${fmt(known as Shape)}`);
    if (this.built && sameShape(shape, this.builtShape as Shape)) return;
    this.trace(zeros([1, ...shape]));
    this.checkNoSharedWeights(this.layerList, 'Sequential.build');
    checkParamCount(this.countParams(), `model '${this.name}' (all layers together)`, 'Sequential.build');
    this.builtShape = shape.slice();
  }

  /** Runs the model without a graph and returns every layer's output. */
  private trace(x: Tensor): LayerOutput[] {
    return noGrad(() => {
      const outputs: LayerOutput[] = [];
      this.forward(x, { training: false, seed: new Random('build') }, (o) => outputs.push(o));
      return outputs;
    });
  }

  private forward(x: Tensor, options: CallOptions, each?: (o: LayerOutput) => void): LayerOutput {
    const opts: CallOptions = { ...options, conditionalInput: options.conditionalInput ?? x };
    let out: LayerOutput = x;
    let producer: Layer | null = null;
    for (const layer of this.layerList) {
      if (isDistribution(out) && !layer.acceptsDistribution) {
        // The layer that made the distribution decides how it becomes a tensor (TFP's convert_to_tensor_fn).
        out = (producer as Layer).convertToTensor(out, opts);
      }
      out = layer.call(out, opts);
      each?.(out);
      producer = layer;
    }
    return out;
  }

  /**
   * Runs the layers in order on `x`.
   * @param x - any TensorLike of shape `[...batch, ...inputShape]`; no batch axis is fine (`zeros([0])` for an `inputShape` of `[0]`)
   * @param options - `training`, a `seed` for any sampling between layers, and a `conditionalInput` (default `x`)
   * @returns the last layer's output, e.g. a distribution with batch shape `[...batch]`
   * @throws TypeError when `x` is not a TensorLike; the layers' errors for wrong shapes
   */
  call(x: TensorLike, options: SequentialCallOptions = {}): Out {
    const where = 'Sequential.call';
    checkOptions(options, ['training', 'conditionalInput', 'seed'], where);
    const { conditionalInput, ...rest } = options;
    const opts: CallOptions = conditionalInput === undefined ? rest : { ...rest, conditionalInput: toTensor(conditionalInput, 'conditionalInput', where) };
    return this.forward(toTensor(x, 'x', where), opts) as Out;
  }

  /**
   * The model's output for `x` in inference mode, without a graph (Keras's `predict`): a Tensor
   * for a model that ends in a tensor layer, computed `batchSize` rows at a time; the distribution
   * for a flow, whose `sample` and `logProb` then do the work.
   *
   * @param x - any TensorLike of shape `[rows, ...inputShape]` (`zeros([1, 0])` for an unconditional flow)
   * @param options - `batchSize` (default 32; only memory depends on it) and a `seed` for any sampling between layers
   * @returns a Tensor `[rows, ...]`, or the distribution with batch shape `[rows]`
   * @throws TypeError for `x` of the wrong kind or an unknown option; ValueError when `x` does not fit the model's input shape
   *
   * @example
   * const flow = model.predict(zeros([1, 0]));   // the learned distribution, batch shape [1]
   * flow.sample(100, { seed: 1 }).shape;         // [100, 1, 2]
   */
  predict(x: TensorLike, options: PredictOptions = {}): Out {
    const where = 'Sequential.predict';
    checkOptions(options, ['batchSize', 'seed'], where);
    const batchSize = checkPositiveInt(options.batchSize, 'batchSize', where, 32);
    const t = toTensor(x, 'x', where);
    const shape = this.inputShape;
    assert(t.rank >= 1 && (shape === undefined || sameShape(t.shape.slice(1), shape)),
      () => `${where}: 'x' has shape ${fmt(t.shape)}, expected [rows, ${(shape ?? ['...']).join(', ')}] (the model's inputShape ${shape === undefined ? 'is not known yet' : fmt(shape)})`);
    this.build(t.shape.slice(1));
    const opts: CallOptions = { training: false, seed: options.seed === undefined ? new Random('predict') : toRandom(options.seed) };
    const n = t.shape[0];
    return noGrad(() => {
      const run = (s: number, e: number): LayerOutput => this.forward(s === 0 && e === n ? t : rows(t, s, e), opts);
      const first = run(0, Math.min(n, batchSize));
      // A distribution is not cut into batches: it is returned for every row at once.
      if (!(first instanceof Tensor)) return (n <= batchSize ? first : run(0, n)) as Out;
      const parts = [first];
      for (let s = batchSize; s < n; s += batchSize) parts.push(run(s, Math.min(n, s + batchSize)) as Tensor);
      return (parts.length === 1 ? first : concat(parts, 0)) as Out;
    });
  }

  /** The weights the optimizer updates, layer by layer. */
  get trainableWeights(): Tensor[] {
    return this.layerList.flatMap((l) => l.trainableWeights);
  }

  /** The weights kept out of training. */
  get nonTrainableWeights(): Tensor[] {
    return this.layerList.flatMap((l) => l.nonTrainableWeights);
  }

  /** Every weight, layer by layer (each layer's in its `getWeights` order). */
  get weights(): Tensor[] {
    return this.layerList.flatMap((l) => l.weights);
  }

  /** Number of scalar weights. */
  countParams(): number {
    return this.layerList.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Copies of every weight, in {@link Sequential.weights} order. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.clone());
  }

  /**
   * Copies `weights` into the model, in place. All counts and shapes are checked before anything changes.
   * @param weights - as many tensors as {@link Sequential.getWeights} returns, with the same shapes
   * @throws TypeError for a non-array or non-Tensor entry; ValueError naming the first mismatch
   */
  setWeights(weights: readonly Tensor[]): void {
    const where = 'Sequential.setWeights';
    assert(Array.isArray(weights), () => `${where}: 'weights' must be an array of Tensors, got ${describe(weights)}`, TypeError);
    checkNoHoles(weights, 'weights', where);
    // A model with an InputLayer can make its weights now; without this it would report 0 of them.
    const shape = this.inputShape;
    if (shape !== undefined) this.build(shape);
    const own = this.weights;
    assert(weights.length === own.length, () => `${where}: the model has ${own.length} weights, got ${weights.length} tensors in 'weights'`);
    weights.forEach((w, i) => {
      assert(w instanceof Tensor, () => `${where}: weights[${i}] must be a Tensor, got ${describe(w)}`, TypeError);
      assert(sameShape(w.shape, own[i].shape), () => `${where}: weights[${i}] has shape ${fmt(w.shape)}, expected ${fmt(own[i].shape)}`);
      const problem = weightDomainProblem(own[i], w.data);
      assert(problem === null, () => `${where}: weights[${i}] (${this.weightLabel(i)}) ${problem}`, RangeError);
    });
    let at = 0;
    for (const layer of this.layerList) {
      const k = layer.weights.length;
      layer.setWeights(weights.slice(at, at + k));
      at += k;
    }
  }

  /**
   * Sets the optimizer and the loss for `fit` and `evaluate`.
   * @param args - `optimizer` (e.g. `new Adam()`) and `loss`: a function `(yTrue, yPred) => per-example losses`
   *   or a name (`'negativeLogLikelihood'`, `'meanSquaredError'`), which `save` can store
   * @throws TypeError for an unknown option, a non-Optimizer, or a loss that is neither a function nor a known name
   */
  compile(args: CompileArgs<Out>): void {
    const where = 'Sequential.compile';
    checkOptions(args, ['optimizer', 'loss'], where);
    assert(typeof args === 'object' && args !== null, () => `${where}: expected { optimizer, loss }, got ${describe(args)}`, TypeError);
    const { optimizer, loss } = args;
    assert(optimizer instanceof Optimizer, () => `${where}: 'optimizer' must be an Optimizer (e.g. new Adam()), got ${describe(optimizer)}`, TypeError);
    assert(typeof loss === 'function' || (typeof loss === 'string' && (LOSS_NAMES as readonly string[]).includes(loss)),
      () => `${where}: 'loss' must be a function (yTrue, yPred) => Tensor or one of ${LOSS_NAMES.map((n) => `'${n}'`).join(', ')}, got ${describe(loss)}`, TypeError);
    this.optimizer = optimizer;
    this.lossFn = typeof loss === 'function' ? loss : (getLoss(loss) as LossFn<Out>);
    this.lossName = typeof loss === 'string' ? loss : null;
  }

  /**
   * Trains the model with mini-batch gradient steps on the mean per-example loss.
   *
   * Before the first step it checks everything it can: the options (unknown names, types,
   * ranges), that `x` and `y` have the same number of rows, that `x` fits the model's input
   * shape and `y` its output (naming both shapes otherwise), and that both hold only finite
   * numbers (naming the row and column of the first that is not). Rows are shuffled from
   * `seed`, so a seeded run repeats bit for bit. Between steps it yields to the event loop.
   *
   * If the loss becomes NaN or ±∞ (or a gradient does, which the optimizer refuses, or the last
   * step's result does), training stops with a {@link NonFiniteLossError} naming the epoch, the
   * step and the value, and the model is back in its last good state: the weights, batch-norm
   * statistics and optimizer state that gave the last finite loss. A second `fit` on the model
   * while one runs is refused, and so is a `batchSize` that leaves a batch of one row for a
   * model that cannot train on one (batch normalization).
   *
   * @param x - inputs `[rows, ...inputShape]` (`zeros([n, 0])` for an unconditional flow; the conditions for a conditional one)
   * @param y - targets `[rows, ...]`: the data whose density is learned, for a distribution output
   * @param options - see {@link FitOptions}
   * @returns the {@link History} of per-epoch `loss` (and `val_loss`)
   * @throws Error if not compiled; TypeError/RangeError/ValueError for bad arguments; NonFiniteLossError on divergence
   */
  fit(x: DataInput, y: DataInput, options: FitOptions = {}): Promise<History> {
    // fit(data, { epochs }) reads as Keras-without-x: say what the second argument should be.
    const looksLikeOptions = y === undefined || (typeof y === 'object' && y !== null && !Array.isArray(y) && !ArrayBuffer.isView(y)
      && !(y instanceof Tensor) && !('shape' in y));
    if (looksLikeOptions) {
      return Promise.reject(new TypeError(`Sequential.fit: takes (x, y, options), got ${y === undefined ? 'only x' : "(data, options)"}. ` +
        "A flow learns the density of y given x: for an unconditional flow pass x = zeros([rows, 0]), " +
        'as in model.fit(zeros([data.shape[0], 0]), data, { epochs }); for a conditional one, x holds the conditions'));
    }
    return fitModel(this, x, y, options);
  }

  /**
   * Trains the model on batches streamed from `dataset`, as TensorFlow.js's `model.fitDataset`:
   * for data larger than memory (`csvDataset(path)` from `maflow/node`) or made on the fly. Each
   * batch `{ xs?, ys }` is checked as `fit` checks its data; the first one builds the model. Each
   * epoch walks the dataset anew, or, with `batchesPerEpoch`, takes that many batches from one walk
   * that carries on across epochs. Non-finite losses stop training as in {@link Sequential.fit}.
   *
   * @param dataset - an async iterable (or iterable) of `{ xs?, ys }` batches; `xs` defaults to `zeros([rows, 0])`
   * @param options - see {@link FitDatasetOptions}
   * @returns the {@link History} of per-epoch `loss` (and `val_loss`)
   * @throws Error if not compiled; TypeError/RangeError/ValueError for bad options or batches; NonFiniteLossError on divergence
   *
   * @example
   * const batches = [{ ys: [[0.1, 1.2], [0.3, -0.5]] }, { ys: [[1.1, 0.2], [-0.4, 2.0]] }]; // or an async generator
   * await model.fitDataset(batches, { epochs: 3, verbose: 0 });
   */
  fitDataset(dataset: Dataset, options: FitDatasetOptions = {}): Promise<History> {
    return fitDatasetModel(this, dataset, options);
  }

  /**
   * The mean loss on `(x, y)`, computed without a graph, in batches.
   * @returns `Σ_b L_b / rows`, the mean of the per-example losses
   * @throws as {@link Sequential.fit} for bad data; Error if there is no loss
   */
  evaluate(x: DataInput, y: DataInput, options: EvaluateOptions = {}): number {
    return evaluateModel(this, x, y, options);
  }

  /**
   * A Keras-like table of the layers, their output shapes (batch axis `None`) and parameter
   * counts, with the totals. Builds the model if needed. Printed line by line with `printFn`, and returned.
   * @throws ValueError when the model cannot be built (no input shape known)
   */
  summary(options: SummaryOptions = {}): string {
    checkOptions(options, ['printFn'], 'Sequential.summary');
    const printFn = options.printFn === undefined ? (line: string) => console.log(line) : options.printFn;
    const shape = this.inputShape;
    assert(shape !== undefined, () => `Sequential.summary: the model is not built; start it with an InputLayer({ inputShape }) or call build(inputShape) or fit first`);
    this.build(shape);
    const outputs = this.trace(zeros([1, ...shape]));
    const rowsOut: Array<[string, string, string]> = [];
    this.layerList.forEach((layer, i) => {
      if (layer instanceof InputLayer) return; // Keras leaves the input layer out of a Sequential's summary
      rowsOut.push([`${layer.name} (${layer.className})`, layer.describeOutput(outputs[i]), String(layer.countParams())]);
    });
    const head: [string, string, string] = ['Layer (type)', 'Output Shape', 'Param #'];
    const w0 = Math.max(29, ...rowsOut.map((r) => r[0].length + 2));
    const w1 = Math.max(26, ...rowsOut.map((r) => r[1].length + 2));
    const w2 = 10;
    const width = w0 + w1 + w2;
    const line = (r: readonly [string, string, string]): string => (` ${r[0]}`.padEnd(w0) + r[1].padEnd(w1) + r[2].padEnd(w2)).trimEnd();
    const total = this.countParams();
    const trainable = this.trainableWeights.reduce((n, w) => n + w.size, 0);
    const lines = [`Model: "${this.name}"`, '_'.repeat(width), line(head), '='.repeat(width)];
    rowsOut.forEach((r, i) => {
      lines.push(line(r));
      if (i < rowsOut.length - 1) lines.push('');
    });
    lines.push('='.repeat(width), `Total params: ${total}`, `Trainable params: ${trainable}`, `Non-trainable params: ${total - trainable}`, '_'.repeat(width));
    if (printFn !== null) for (const l of lines) printFn(l);
    return lines.join('\n');
  }

  /**
   * The whole model as one JSON-safe object: layer configs, bit-exact weights, the optimizer and
   * its state, and a format version (see {@link ModelJSON}). Builds the model if needed.
   * @throws TypeError when a layer cannot be saved (a DistributionLambda whose function is not
   *   registered, a function activation); ValueError when the model cannot be built, or a weight or
   *   optimizer slot is NaN or ±∞ (or a batch-norm variance negative), naming it
   */
  toJSON(): ModelJSON {
    return this.serialize('Sequential.toJSON');
  }

  private serialize(where: string): ModelJSON {
    const shape = this.inputShape;
    if (shape !== undefined) this.build(shape);
    this.checkSavable(where);
    // Each layer through the one registry's serialize; the file keeps the configs in `layers` and every weight, in order, in `weights`.
    const parts = this.layerList.map((l) => serialize(l));
    assert(shape !== undefined || this.layerList.length === 0, () => `Sequential.toJSON: the model is not built; start it with an InputLayer({ inputShape }) or call build(inputShape) or fit first`);
    return {
      format: MODEL_FORMAT,
      version: MODEL_FORMAT_VERSION,
      className: 'Sequential',
      name: this.name,
      inputShape: shape === undefined ? null : shape.slice(),
      layers: parts.map(({ className, config }) => ({ className, config: config as Record<string, unknown> })),
      weights: parts.flatMap((p) => p.weights.map(encodeTensor)),
      optimizer: this.optimizer === null ? null : encodeOptimizer(this.optimizer, this.trainableWeights),
      loss: this.lossName,
    };
  }

  /**
   * Rebuilds a model from {@link Sequential.toJSON}'s object (or its JSON text): layers from their
   * configs (through the layer registry; no code is ever evaluated), then the weights, the
   * optimizer with its state, and a named loss. A model saved with a loss function comes back
   * with its optimizer but no loss: call `compile({ optimizer: model.optimizer, loss })` to train it again.
   *
   * @throws ValueError naming the problem for a file that is not JSON, has another format or
   *   version, an unknown layer or optimizer class, or weights that do not fit the layers
   */
  static fromJSON<Out extends LayerOutput = Distribution>(json: ModelJSON | string, where = 'Sequential.fromJSON'): Sequential<Out> {
    const value = typeof json === 'string' ? parseModelText(json, "'json'", where) : json;
    const m = checkModelJSON(value, where);
    // Every size in the file against the limits, before any layer exists.
    checkFileSizes(m, where);
    const layers = m.layers.map((spec, i) => layerFromConfig({ className: spec.className, config: spec.config as LayerConfig }, `${where}: layers[${i}]`));
    const model = new Sequential<Out>(layers as Layer[], { name: m.name });
    if (m.inputShape !== null) {
      try {
        model.build(m.inputShape);
      } catch (e) {
        throw new ValueError(`${where}: the layers cannot be built for inputShape ${fmt(m.inputShape)}: ${(e as Error).message}`);
      }
    }
    const own = model.weights;
    assert(m.weights.length === own.length, () => `${where}: the file has ${m.weights.length} weights, but its layers have ${own.length}`);
    const weights = m.weights.map((enc, i) => {
      const t = decodeTensor(enc, `${where}: weights[${i}]`);
      assert(sameShape(t.shape, own[i].shape), () => `${where}: weights[${i}] has shape ${fmt(t.shape)}, but the layers need ${fmt(own[i].shape)}`);
      // fit never keeps a non-finite weight, so one in a file is damage, not a model.
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      assert(bad < 0, () => `${where}: weights[${i}] holds ${t.data[bad]} at index ${bad}; a saved weight must be finite`);
      return t;
    });
    model.setWeights(weights);
    if (m.inputShape !== null) model.dryRun(m.inputShape, where);
    if (m.optimizer !== null) model.optimizer = decodeOptimizer(m.optimizer, model.trainableWeights, `${where}: optimizer`);
    if (m.loss !== null) {
      assert((LOSS_NAMES as readonly string[]).includes(m.loss), () => `${where}: 'loss' is '${m.loss}', which is not a known loss (${LOSS_NAMES.join(', ')})`);
      model.lossFn = getLoss(m.loss as LossName) as LossFn<Out>;
      model.lossName = m.loss as LossName;
    }
    return model;
  }

  /**
   * Runs a loaded model once, on one zero example, and scores a zero event under every
   * distribution it outputs (without a graph; batch norm in inference mode, so nothing moves):
   * a flow whose parts do not fit each other (a permutation or base distribution of another size
   * than its networks) fails here, at load, not at the first `logProb`.
   * @throws ValueError naming `where`, the layer and its own error
   */
  private dryRun(inputShape: Shape, where: string): void {
    const outputs = this.trace(zeros([1, ...inputShape]));
    outputs.forEach((out, i) => {
      if (!isDistribution(out)) return;
      try {
        noGrad(() => out.logProb(zeros([...out.batchShape, ...out.eventShape])));
      } catch (e) {
        throw new ValueError(`${where}: layers[${i}] ('${this.layerList[i].name}') makes a ${out.className} that cannot run: ${(e as Error).message}`);
      }
    });
  }

  /**
   * Writes the model to one JSON file ({@link Sequential.toJSON}) so that a save never makes things
   * worse (Node only; details in docs/errors.md):
   *
   * - atomically: a temporary file beside the target, flushed, then renamed over it, so a crash
   *   leaves the old file or the new one, whole; leftovers of killed saves are removed;
   * - the model is serialised at the call, and saves to one path run in call order (awaited or
   *   not), so the newest call's model is the one on disk;
   * - an existing file keeps its mode (a `600` file stays private); a symbolic link is followed
   *   (the file it points to is replaced, the link kept);
   * - refused, with nothing written: non-finite state (a NaN weight or optimizer slot, named),
   *   a path that is a directory or another non-regular file, a read-only file, a dangling link.
   *
   * @throws TypeError for a non-string path or an unsaveable layer; ValueError for non-finite
   *   state or a path that must not be replaced; the file system's errors
   */
  async save(path: string): Promise<void> {
    assert(typeof path === 'string' && path !== '', () => `Sequential.save: 'path' must be a non-empty string, got ${describe(path)}`, TypeError);
    // Serialised now, at the call: a later save to the same path, even one not awaited, writes after this one.
    const text = JSON.stringify(this.serialize('Sequential.save'));
    await writeFileAtomic(path, text, 'Sequential.save');
  }

  /**
   * Loads the weights (and the optimizer state, if this model's optimizer is of the same class)
   * from a file written by {@link Sequential.save} for a model of the same architecture: the same
   * layer classes with equal configs up to names, seeds and initializers (so the same activation,
   * input order and widths), and every MADE with the same degrees. The whole file is read and
   * checked first: if anything is wrong, this model is left exactly as it was.
   * @throws ValueError for a corrupt, truncated, wrong-version or mismatched file, naming the first difference
   */
  async loadWeights(path: string): Promise<void> {
    const where = 'Sequential.loadWeights';
    assert(typeof path === 'string' && path !== '', () => `${where}: 'path' must be a non-empty string, got ${describe(path)}`, TypeError);
    const text = await readTextFile(path);
    const other = Sequential.fromJSON(parseModelText(text, path, where) as ModelJSON, `${where}: ${path}`);
    const mine = this.layerList;
    const theirs = other.layerList;
    assert(mine.length === theirs.length && mine.every((l, i) => l.className === theirs[i].className),
      () => `${where}: ${path} holds layers [${theirs.map((l) => l.className).join(', ')}], but this model has [${mine.map((l) => l.className).join(', ')}]`);
    const shape = this.inputShape ?? other.inputShape;
    if (shape !== undefined) this.build(shape);
    const own = this.weights;
    const loaded = other.weights;
    assert(own.length === loaded.length && own.every((w, i) => sameShape(w.shape, loaded[i].shape)),
      () => `${where}: ${path} has weights of shapes ${loaded.map((w) => fmt(w.shape)).join(' ')}, but this model has ${own.map((w) => fmt(w.shape)).join(' ')}`);
    // Same shapes are not enough: another activation, input order or degrees computes something else with the same weights.
    mine.forEach((layer, i) => {
      const diff = firstDifference(architectureOf(layer), architectureOf(theirs[i]));
      assert(diff === null, () => `${where}: layer ${i} ('${layer.name}') is not the architecture ${path} was saved from (${diff}); nothing was changed`);
    });
    // The optimizer state goes first: setState checks everything before it changes anything, and the
    // weights, whose shapes are checked, cannot fail after it. (An SGD with momentum has a slot that
    // one without lacks: same class, different state.)
    if (this.optimizer !== null && other.optimizer !== null && other.optimizer.className === this.optimizer.className) {
      try {
        this.optimizer.setState(other.optimizer.getState(other.trainableWeights), this.trainableWeights);
      } catch (e) {
        throw new ValueError(`${where}: the optimizer state in ${path} does not fit this model's ${this.optimizer.className} (${(e as Error).message}); nothing was changed`);
      }
    }
    this.setWeights(loaded);
  }
}
