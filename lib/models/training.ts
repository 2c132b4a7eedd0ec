// The training loop behind Sequential.fit and evaluate: checks, seeded batches, callbacks, and the non-finite guard.
import { mean } from '../../autodiff/ops/reduce.js';
import { gather } from '../../autodiff/ops/shape.js';
import { noGrad, Tensor } from '../../autodiff/tensor.js';
import type { TensorLike } from '../../autodiff/tensor-like.js';
import type { Optimizer } from '../../autodiff/optimizers/optimizer.js';
import { checkNoHoles } from '../util/arrays.js';
import { assert, ValueError } from '../util/errors.js';
import { checkSeed, Random, toRandom, type Seed } from '../util/random.js';
import { fmt, sameShape, type Shape } from '../util/shape.js';
import { distributionName, isDistribution, type CallOptions, type LayerOutput } from '../layers/layer.js';
import type { LossFn } from '../losses.js';
import { callbackArray, CallbackList, type Callback, type CallbackHooks, type CallbackModel, type CallbacksArg, type Logs } from './callbacks.js';
import { History } from './history.js';
import { firstNonFinite, firstNonFiniteSlot, TrainingState } from './train-state.js';
import { defaultOutput, ProgbarLogger, type OutputStream } from './progress.js';
import { checkFinite } from '../../autodiff/checks.js';
import { checkBoolean, checkOptions, checkPositiveInt, describe } from '../util/validate.js';
import { toTensor } from '../../autodiff/tensor-like.js';
import { CompiledTrainStep, watchUse } from '../../autodiff/compiled/train-step.js';

/** Data as `fit` and `evaluate` accept it: any {@link TensorLike} of shape `[rows, ...]`. */
export type DataInput = TensorLike;

/** Options of `Sequential.fit`, following TensorFlow.js's `ModelFitArgs` (Keras's names in camelCase). */
export interface FitOptions {
  /** Rows per optimizer step; default 32. The last batch of a pass may be smaller. */
  batchSize?: number;
  /** Passes of `stepsPerEpoch` steps; default 1. */
  epochs?: number;
  /**
   * Steps per epoch. Default: one pass over the data, `⌈rows / batchSize⌉`. When given, batches are
   * drawn from an endless stream of passes (each reshuffled), which carries on across epochs, as
   * Keras does with `steps_per_epoch`.
   */
  stepsPerEpoch?: number;
  /** Reshuffle the rows before each pass; default true. */
  shuffle?: boolean;
  /** `[x, y]` to compute `val_loss` on after every epoch. */
  validationData?: readonly [DataInput, DataInput];
  /** Fraction in (0, 1) of the rows, taken from the end before any shuffling (as Keras), held out for `val_loss`. */
  validationSplit?: number;
  /** 0 silent, 1 a progress bar per epoch (plain lines off a TTY), 2 one line per epoch; default 1. */
  verbose?: 0 | 1 | 2;
  /** Called at the start and end of training, of each epoch and of each step: one callback or an array. */
  callbacks?: CallbacksArg;
  /** Seeds the shuffling (and any sampling inside the model), so a run repeats bit for bit. */
  seed?: Seed;
  /** Check `x` and `y` for NaN and ±∞ before training; default true. False skips one pass over the data. */
  validateArgs?: boolean;
  /** Where progress goes; default `process.stdout` (or `console.log` lines in a browser). */
  output?: OutputStream;
  /**
   * Run the model and the loss function on every step, building a graph each time; default false,
   * which records the graph of the first step of each batch shape and replays it (Keras's
   * `run_eagerly`; see `compileTrainStep`). Set it when the loss function or the model does
   * anything besides computing the loss from the batch (counting calls, logging, drawing numbers).
   */
  runEagerly?: boolean;
}

const FIT_OPTIONS = ['batchSize', 'epochs', 'stepsPerEpoch', 'shuffle', 'validationData', 'validationSplit', 'verbose', 'callbacks', 'seed', 'validateArgs', 'output', 'runEagerly'];

/** Options of `Sequential.evaluate`. */
export interface EvaluateOptions {
  /** Rows per forward pass; default 32. Only memory depends on it. */
  batchSize?: number;
  /** Check `x` and `y` for NaN and ±∞; default true. */
  validateArgs?: boolean;
}

const EVALUATE_OPTIONS = ['batchSize', 'validateArgs'];

/**
 * Thrown by `fit` when the loss, or a gradient, stops being finite (after the last step too).
 * Training stops, and the model is back in its last good state: the weights, batch-norm
 * statistics and optimizer state that gave the last finite loss (see docs/errors.md).
 */
export class NonFiniteLossError extends Error {
  /** The 0-based epoch where it happened. */
  readonly epoch: number;
  /** The 0-based step within that epoch where it happened. */
  readonly step: number;
  /** The loss value (NaN or ±∞), or the loss of the step whose gradient was not finite. */
  readonly value: number;

  constructor(message: string, epoch: number, step: number, value: number) {
    super(message);
    this.name = 'NonFiniteLossError';
    this.epoch = epoch;
    this.step = step;
    this.value = value;
  }
}

/**
 * What the training loop behind `fit` and `evaluate` needs of a model; `Sequential` implements it.
 * `Out` is the model's output: a Tensor, or a Distribution for a flow.
 */
export interface TrainableModel<Out extends LayerOutput = LayerOutput> extends CallbackModel {
  /** The model's name, as messages print it. */
  readonly name: string;
  /** The optimizer `compile` set; `null` until then, and `fit` refuses to run. */
  optimizer: Optimizer | null;
  /** The loss `compile` set, a function of `(yTrue, yPred)`; `null` until then. */
  lossFn: LossFn<Out> | null;
  /** The shape of one example (without the batch axis), or `undefined` until the model knows it. */
  readonly inputShape: Shape | undefined;
  /** The weights the optimizer updates. */
  readonly trainableWeights: Tensor[];
  /** Weights training changes without the optimizer (batch norm's running averages); restored with the rest when `fit` fails. */
  readonly nonTrainableWeights?: Tensor[];
  /**
   * Runs the model on a batch.
   * @param x - shape `[batch, ...inputShape]`
   * @param options - `training` (batch statistics in batch norm) and a `seed`
   * @returns the model's output for the batch
   */
  call(x: Tensor, options?: CallOptions): Out;
  /**
   * Makes the weights, for examples of `inputShape` (default: the model's own).
   * @throws ValueError when the shape is unknown or differs from the model's
   */
  build(inputShape?: Shape): void;
}

/** Yields to the event loop: `setImmediate` in Node, a message in a browser (no 4 ms timer clamp). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => unknown; MessageChannel?: typeof MessageChannel };
    if (typeof g.setImmediate === 'function') {
      g.setImmediate(resolve);
    } else if (g.MessageChannel !== undefined) {
      const channel = new g.MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    } else {
      setTimeout(resolve, 0);
    }
  });
}

/**
 * An endless stream of batches of row indices: passes over `0 … n−1`, each in a fresh seeded
 * order when `shuffle`, cut into `batchSize` rows (the last batch of a pass may be smaller).
 */
export function* batchStream(n: number, batchSize: number, shuffle: boolean, rng: Random): Generator<number[]> {
  for (;;) {
    const order = shuffle ? rng.permutation(n) : Array.from({ length: n }, (_, i) => i);
    for (let s = 0; s < n; s += batchSize) yield order.slice(s, s + batchSize);
  }
}

/** The rows `[start, end)` of `t`. */
export function rows(t: Tensor, start: number, end: number): Tensor {
  return noGrad(() => gather(t, Array.from({ length: end - start }, (_, i) => start + i)));
}

/**
 * Checks a pair of data arguments: tensors of rank ≥ 1 with the same number of rows (≥ 1), finite
 * if `validate`, and `x` matching the model's input shape.
 */
export function checkData<Out extends LayerOutput>(model: TrainableModel<Out>, xIn: unknown, yIn: unknown, names: [string, string], where: string, validate: boolean): [Tensor, Tensor] {
  const x = toTensor(xIn, names[0], where);
  const y = toTensor(yIn, names[1], where);
  assert(x.rank >= 1, () => `${where}: '${names[0]}' has shape ${fmt(x.shape)}, expected [rows, ...] (rank ≥ 1)`);
  assert(y.rank >= 1, () => `${where}: '${names[1]}' has shape ${fmt(y.shape)}, expected [rows, ...] (rank ≥ 1)`);
  assert(x.shape[0] === y.shape[0], () => `${where}: '${names[0]}' has shape ${fmt(x.shape)} and '${names[1]}' has shape ${fmt(y.shape)}; their first dimensions (rows) must match`);
  assert(x.shape[0] > 0, () => `${where}: '${names[0]}' and '${names[1]}' have no rows (shapes ${fmt(x.shape)} and ${fmt(y.shape)})`);
  const inputShape = model.inputShape;
  if (inputShape !== undefined) {
    assert(sameShape(x.shape.slice(1), inputShape), () => `${where}: '${names[0]}' has shape ${fmt(x.shape)}, but the model's inputShape is ${fmt(inputShape)} (expected ${fmt([x.shape[0], ...inputShape])})`);
  }
  if (validate) {
    checkFinite(x, names[0], where);
    checkFinite(y, names[1], where);
  }
  return [x, y];
}

/**
 * Runs the model on the first row of `x` (without a graph, with its own seed so no user stream is
 * drawn from) and checks that rows of `y` fit the output: the same shape for a Tensor, the event
 * shape (after any batch axes) for a Distribution.
 * @throws ValueError naming the shape of `y` and what the model produces
 */
export function checkTargets<Out extends LayerOutput>(model: TrainableModel<Out>, x: Tensor, y: Tensor, yName: string, where: string): void {
  const out = noGrad(() => model.call(rows(x, 0, 1), { training: false, seed: new Random('shape-check') }));
  const rowShape = y.shape.slice(1);
  if (out instanceof Tensor) {
    assert(sameShape(rowShape, out.shape.slice(1)), () => `${where}: '${yName}' has shape ${fmt(y.shape)}, but the model outputs [batch,${out.shape.slice(1).join(',')}] (expected ${fmt([y.shape[0], ...out.shape.slice(1)])})`);
  } else if (isDistribution(out)) {
    const event = out.eventShape;
    const k = event.length;
    assert(rowShape.length >= k && sameShape(rowShape.slice(rowShape.length - k), event),
      () => `${where}: '${yName}' has shape ${fmt(y.shape)}, but the model outputs a ${distributionName(out)} over events of shape ${fmt(event)} (expected ${fmt([y.shape[0], ...event])})`);
  }
}

/** Mean of the loss's per-example values; the loss function's result is checked. */
export function meanLoss<Out extends LayerOutput>(loss: LossFn<Out>, y: Tensor, out: Out, where: string): Tensor {
  const perExample = loss(y, out);
  assert(perExample instanceof Tensor, () => `${where}: the loss function returned ${describe(perExample)}, expected a Tensor of per-example losses`, TypeError);
  assert(perExample.size > 0, () => `${where}: the loss function returned an empty tensor (shape ${fmt(perExample.shape)})`);
  return perExample.rank === 0 ? perExample : mean(perExample);
}

export function checkCompiled<Out extends LayerOutput>(model: TrainableModel<Out>, where: string): { optimizer: Optimizer; loss: LossFn<Out> } {
  assert(model.optimizer !== null && model.lossFn !== null,
    () => `${where}: the model is not compiled; call model.compile({ optimizer, loss }) first`);
  return { optimizer: model.optimizer, loss: model.lossFn };
}

// Models being trained: a second fit (or fitDataset) on one of them would interleave its steps with the first's.
const training = new WeakSet<object>();

/**
 * Runs `train` with `model` marked as training, so that a second `fit` or `fitDataset` on it
 * before this one finishes is refused instead of interleaving its steps.
 * @throws Error when the model is already being trained
 * @internal
 */
export async function trainExclusively<T>(model: { name: string }, where: string, train: () => Promise<T>): Promise<T> {
  assert(!training.has(model), () => `${where}: model '${model.name}' is already being trained by a fit or fitDataset call that has not finished; await it before training it again`, Error);
  training.add(model);
  try {
    return await train();
  } finally {
    training.delete(model);
  }
}

/** The options that `fit` and `fitDataset` share, each checked once, with Keras's defaults. */
export interface LoopSettings {
  epochs: number;
  verbose: 0 | 1 | 2;
  validate: boolean;
  callbacks: Array<Callback | CallbackHooks>;
  output: OutputStream | undefined;
  seed: Seed | undefined;
}

/**
 * Reads the options every training loop takes: `epochs` (default 1), `verbose` (0, 1 or 2;
 * default 1), `validateArgs` (default true), `callbacks`, `output` (a stream with `write`;
 * default the console's when `verbose` > 0) and `seed`.
 * @throws TypeError or RangeError naming `where` and the option, as the checks of lib/util/validate.ts
 */
export function readLoopOptions(o: Pick<FitOptions, 'epochs' | 'verbose' | 'validateArgs' | 'callbacks' | 'output' | 'seed'>, where: string): LoopSettings {
  const epochs = checkPositiveInt(o.epochs, 'epochs', where, 1);
  const verbose = o.verbose ?? 1;
  assert(verbose === 0 || verbose === 1 || verbose === 2, () => `${where}: 'verbose' must be 0, 1 or 2, got ${describe(verbose)}`, RangeError);
  const validate = checkBoolean(o.validateArgs, 'validateArgs', where, true);
  const callbacks = callbackArray(o.callbacks, where);
  const output = o.output ?? (verbose > 0 ? defaultOutput() : undefined);
  assert(output === undefined || (typeof output === 'object' && output !== null && typeof output.write === 'function'),
    () => `${where}: 'output' must be a stream with a write(text) method, got ${describe(output)}`, TypeError);
  return { epochs, verbose, validate, callbacks, output, seed: checkSeed(o.seed, 'seed', where) };
}

/**
 * Trains `model`; see `Sequential.fit` for the contract.
 * @internal
 */
export async function fitModel<Out extends LayerOutput>(model: TrainableModel<Out>, xIn: DataInput, yIn: DataInput, options: FitOptions = {}): Promise<History> {
  return trainExclusively(model, 'Sequential.fit', () => fitSteps(model, xIn, yIn, options, 'Sequential.fit'));
}

async function fitSteps<Out extends LayerOutput>(model: TrainableModel<Out>, xIn: DataInput, yIn: DataInput, options: FitOptions, where: string): Promise<History> {
  const o = checkOptions(options, FIT_OPTIONS, where) as FitOptions;
  const { optimizer, loss } = checkCompiled(model, where);
  const { epochs, verbose, validate, callbacks, output, seed } = readLoopOptions(o, where);
  const batchSize = checkPositiveInt(o.batchSize, 'batchSize', where, 32);
  const stepsOption = o.stepsPerEpoch === undefined ? undefined : checkPositiveInt(o.stepsPerEpoch, 'stepsPerEpoch', where);
  const shuffle = checkBoolean(o.shuffle, 'shuffle', where, true);
  const eager = checkBoolean(o.runEagerly, 'runEagerly', where, false);
  const split = o.validationSplit;
  assert(split === undefined || typeof split === 'number', () => `${where}: 'validationSplit' must be a number in (0, 1), got ${describe(split)}`, TypeError);
  assert(split === undefined || (split > 0 && split < 1), () => `${where}: 'validationSplit' must be in (0, 1), got ${split}`, RangeError);
  assert(split === undefined || o.validationData === undefined, () => `${where}: give 'validationData' or 'validationSplit', not both`);
  const vd = o.validationData;
  assert(vd === undefined || (Array.isArray(vd) && vd.length === 2), () => `${where}: 'validationData' must be a pair [x, y], got ${describe(vd)}`, TypeError);
  checkNoHoles(vd, 'validationData', where);

  let [x, y] = checkData(model, xIn, yIn, ['x', 'y'], where, validate);
  let val: [Tensor, Tensor] | null = null;
  if (vd !== undefined) {
    val = checkData(model, vd[0], vd[1], ['validationData[0]', 'validationData[1]'], where, validate);
  } else if (split !== undefined) {
    // Keras holds out the last rows, before shuffling, so the split does not depend on the seed.
    const n = x.shape[0];
    const at = Math.floor(n * (1 - split));
    assert(at > 0 && at < n, () => `${where}: 'validationSplit' ${split} of ${n} rows leaves ${at} for training and ${n - at} for validation; both need at least one`);
    val = [rows(x, at, n), rows(y, at, n)];
    [x, y] = [rows(x, 0, at), rows(y, 0, at)];
  }
  model.build(x.shape.slice(1));
  checkTargets(model, x, y, 'y', where);
  if (val !== null) checkTargets(model, val[0], val[1], vd !== undefined ? 'validationData[1]' : 'y', where);
  const params = model.trainableWeights;
  assert(params.length > 0, () => `${where}: the model has no trainable weights`);

  const n = x.shape[0];
  const steps = stepsOption ?? Math.ceil(n / batchSize);
  checkSingleRowBatches(model, loss, x, y, batchSize, epochs * steps, where);
  const base = toRandom(seed);
  const shuffleRng = base.fork();
  const sampleRng = base.fork();
  const history = new History();
  const list: Array<Callback | CallbackHooks> = [history, ...callbacks];
  if (verbose !== 0 && output !== undefined) list.push(new ProgbarLogger(verbose, output));
  const cbs = new CallbackList(list, where);
  cbs.setup(model, { epochs, steps, samples: n, batchSize, verbose, metrics: val === null ? ['loss'] : ['loss', 'val_loss'] });

  const stepper = new TrainStep(model, optimizer, loss, params, where, eager);
  const batches = batchStream(n, batchSize, shuffle, shuffleRng);
  model.stopTraining = false;
  await cbs.trainBegin({});
  for (let epoch = 0; epoch < epochs; epoch++) {
    await cbs.epochBegin(epoch, {});
    let seen = 0;
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      const idx = batches.next().value as number[];
      await cbs.batchBegin(step, { batch: step, size: idx.length });
      const xb = noGrad(() => gather(x, idx));
      const yb = noGrad(() => gather(y, idx));
      const value = stepper.run(xb, yb, sampleRng, epoch, step, `epoch ${epoch + 1}/${epochs}, step ${step + 1}/${steps}`);
      seen += idx.length;
      lossSum += value * idx.length;
      await cbs.batchEnd(step, { batch: step, size: idx.length, loss: value });
      // Lets timers, I/O and a page's rendering run between steps.
      await yieldToEventLoop();
    }
    const logs: Logs = { loss: lossSum / seen };
    if (val !== null) logs.val_loss = meanLossOver(model, loss, val[0], val[1], batchSize, where);
    await cbs.epochEnd(epoch, logs);
    if (model.stopTraining) break;
  }
  // The last step's update is scored by no later step: check it here.
  stepper.finish();
  await cbs.trainEnd({});
  model.stopTraining = false;
  return history;
}

/**
 * When some batch of `fit` will have a single row (`rows % batchSize === 1`), checks that the
 * model can train on one row, by running it once in training mode on one row (without a graph;
 * batch-norm statistics are put back after). Batch normalization cannot: a row's variance is 0.
 * @throws ValueError naming `batchSize`, the rows and the layer's own reason, before any step
 */
function checkSingleRowBatches<Out extends LayerOutput>(model: TrainableModel<Out>, loss: LossFn<Out>, x: Tensor, y: Tensor, batchSize: number, totalSteps: number, where: string): void {
  const n = x.shape[0];
  const last = n % batchSize === 0 ? Math.min(batchSize, n) : n % batchSize;
  if (last !== 1 || totalSteps < Math.ceil(n / batchSize)) return;
  try {
    lossWithoutTrace(model, loss, [rows(x, 0, 1), rows(y, 0, 1)], true, model.nonTrainableWeights ?? [], where);
  } catch (e) {
    const how = n === 1 ? 'a batch of 1 row (x and y have 1 row)' : batchSize === 1 ? `batches of 1 row (${n} rows, 1 per step)`
      : `a batch of 1 row (${n} rows = ${Math.floor(n / batchSize)} × ${batchSize} + 1)`;
    // The nearest batch size (above first) that leaves no single row.
    let better = 0;
    for (let d = 1; better === 0 && d <= n; d++) better = [batchSize + d, batchSize - d].find((c) => c >= 2 && (n % c !== 1 || c >= n)) ?? 0;
    throw new ValueError(`${where}: 'batchSize' ${batchSize} leaves ${how}, and the model cannot train on one row: ${(e as Error).message}. ` +
      (n === 1 ? 'Give it at least 2 rows' : `Choose a batchSize that leaves no single row (e.g. ${better}), or drop a row`));
  }
}

/**
 * The loss of one batch without a graph and without side effects: in training mode batch norm
 * uses (and moves) its running averages, so they are put back after.
 */
function lossWithoutTrace<Out extends LayerOutput>(model: TrainableModel<Out>, loss: LossFn<Out>, [xb, yb]: [Tensor, Tensor], training: boolean,
  nonTrainable: readonly Tensor[], where: string): number {
  const frozen = nonTrainable.map((w) => w.data.slice());
  try {
    return noGrad(() => meanLoss(loss, yb, model.call(xb, { training, seed: new Random('loss-check') }), where).item());
  } finally {
    nonTrainable.forEach((w, i) => w.data.set(frozen[i]));
  }
}

/**
 * What is wrong after the last step, or `null`: a weight or optimizer slot that is NaN or ±∞, or
 * a non-finite loss of the last batch in training or in inference mode.
 */
function finalStepProblem(optimizer: Optimizer, params: Tensor[], nonTrainable: Tensor[], batch: [Tensor, Tensor],
  probe: (batch: [Tensor, Tensor], training: boolean) => number): { what: string; value: number } | null {
  const bad = firstNonFinite([...params, ...nonTrainable]);
  if (bad !== null) return { what: `weight ${bad.tensor} became ${bad.value} at index ${bad.index}`, value: bad.value };
  const slot = firstNonFiniteSlot(optimizer, params);
  if (slot !== null) return { what: `the optimizer's slot '${slot.slot}' of trainable weight ${slot.param} became ${slot.value} at index ${slot.index}`, value: slot.value };
  for (const training of [true, false]) {
    const value = probe(batch, training);
    if (!Number.isFinite(value)) return { what: `the loss of the last batch at the new weights is ${value} (${training ? 'training' : 'inference'} mode)`, value };
  }
  return null;
}

/**
 * One optimizer step with the non-finite guard, shared by `fit` and `fitDataset`: the loss of a
 * batch, its gradient, the update. "The last good state" is every piece of state a step changes:
 * the weights, the non-trainable state (batch-norm statistics) and the optimizer's (its step count
 * and slots). A NaN or ±∞ loss puts back the state that gave the last finite one (or, if that
 * cannot score the batch in inference mode, the state from before training); a non-finite gradient
 * (which the optimizer refuses) leaves the state of this finite loss. {@link TrainStep.finish}
 * checks the last step's update, which no later step scores.
 * @internal
 */
export class TrainStep<Out extends LayerOutput> {
  private readonly nonTrainable: Tensor[];
  private readonly state: TrainingState;
  private lastGood: { epoch: number; step: number } | null = null;
  private lastBatch: [Tensor, Tensor] | null = null;
  // Replays the graph of the first step of each batch shape (autodiff/compiled). Batch norm moves its
  // statistics outside the graph, so a model with any is trained uncompiled.
  private readonly compiled: CompiledTrainStep | null;
  private rng: Random | null = null;

  constructor(
    private readonly model: TrainableModel<Out>, private readonly optimizer: Optimizer, private readonly loss: LossFn<Out>,
    private readonly params: Tensor[], private readonly where: string, eager = false,
  ) {
    this.nonTrainable = model.nonTrainableWeights ?? [];
    this.state = new TrainingState([...params, ...this.nonTrainable], optimizer);
    this.compiled = eager || this.nonTrainable.length > 0 ? null : new CompiledTrainStep((xb, yb) => this.batchLoss(xb, yb), params, optimizer);
  }

  /** The mean loss of a batch in training mode; a model that draws from the stream fit passes it is not replayed (a replay repeats the first draws). */
  private batchLoss(xb: Tensor, yb: Tensor): Tensor {
    const rng = this.rng as Random;
    const seed = this.compiled === null ? null : watchUse(rng);
    const loss = meanLoss(this.loss, yb, this.model.call(xb, { training: true, seed: seed?.value ?? rng }), this.where);
    if (seed?.used() === true) this.compiled?.disable('the model draws from the random stream fit passes it (options.seed) in training');
    return loss;
  }

  /**
   * Trains on one batch and returns its (finite) mean loss.
   * @param at - where training is, for messages: `epoch 2/10, step 5/40`
   * @throws NonFiniteLossError when the loss or a gradient is not finite
   */
  run(xb: Tensor, yb: Tensor, sampleRng: Random, epoch: number, step: number, at: string): number {
    const { optimizer, params, where } = this;
    try {
      this.rng = sampleRng;
      const lossTensor = this.compiled === null ? this.batchLoss(xb, yb) : null;
      // The compiled step leaves the gradients in the weights; the graph's backward runs below.
      const value = lossTensor === null ? (this.compiled as CompiledTrainStep).lossAndGradients(xb, yb) : lossTensor.item();
      if (!Number.isFinite(value)) {
        const restored = this.restore([xb, yb]);
        throw new NonFiniteLossError(`${where}: the loss became ${value} at ${at}; ` +
          `training stopped and ${restored}. Try a smaller learning rate, or gradient clipping (clipNorm)`, epoch, step, value);
      }
      this.state.save();
      if (lossTensor !== null) {
        optimizer.zeroGrad(params);
        lossTensor.backward();
      }
      try {
        optimizer.step(params);
      } catch (e) {
        // The optimizer changes nothing when it rejects a gradient, so the weights are still those of this finite loss.
        if (e instanceof ValueError && /non-finite/.test(e.message)) {
          throw new NonFiniteLossError(`${where}: a gradient became non-finite at ${at} ` +
            `(loss ${value}); training stopped and the weights are those that gave this loss. ${e.message}`, epoch, step, value);
        }
        throw e;
      }
      this.lastGood = { epoch, step };
      this.lastBatch = [xb, yb];
      return value;
    } finally {
      optimizer.zeroGrad(params);
    }
  }

  /**
   * Checks the last step's update on its batch, as the next step would (training mode) and as
   * evaluate will (inference mode), and the weights and optimizer slots for NaN or ±∞.
   * @throws NonFiniteLossError after putting the last good state back
   */
  finish(): void {
    const { lastGood, lastBatch } = this;
    if (lastGood === null || lastBatch === null) return;
    const problem = finalStepProblem(this.optimizer, this.params, this.nonTrainable, lastBatch, (batch, training) => this.probe(batch, training));
    if (problem === null) return;
    const restored = this.restore(lastBatch);
    throw new NonFiniteLossError(`${this.where}: after the last step (epoch ${lastGood.epoch + 1}, step ${lastGood.step + 1}), ${problem.what}; training stopped and ${restored}. ` +
      'Try a smaller learning rate, or gradient clipping (clipNorm)', lastGood.epoch, lastGood.step, problem.value);
  }

  private probe(batch: [Tensor, Tensor], training: boolean): number {
    return lossWithoutTrace(this.model, this.loss, batch, training, this.nonTrainable, this.where);
  }

  /**
   * Puts the last good state back; if even that cannot score `batch` as evaluate would (in
   * inference mode), the state from before training. Returns what the message says was restored.
   */
  private restore(batch: [Tensor, Tensor]): string {
    const lastGood = this.lastGood;
    this.state.restore();
    if (lastGood !== null && !Number.isFinite(this.probe(batch, false))) {
      this.state.restoreInitial();
      return `the model was restored to its state before training (the state of the last finite loss, epoch ${lastGood.epoch + 1}, step ${lastGood.step + 1}, ` +
        'has a non-finite loss in inference mode)';
    }
    return lastGood === null
      ? 'the model was restored to its state before training (no step had a finite loss)'
      : `the weights, batch-norm statistics and optimizer state were restored to those that gave the last finite loss (epoch ${lastGood.epoch + 1}, step ${lastGood.step + 1})`;
  }
}

/** The mean loss over all rows, in batches, without a graph: Σ_batches rows·meanLoss / Σ rows. */
export function meanLossOver<Out extends LayerOutput>(model: TrainableModel<Out>, loss: LossFn<Out>, x: Tensor, y: Tensor, batchSize: number, where: string): number {
  return noGrad(() => {
    const n = x.shape[0];
    let total = 0;
    for (let s = 0; s < n; s += batchSize) {
      const e = Math.min(n, s + batchSize);
      const value = meanLoss(loss, rows(y, s, e), model.call(rows(x, s, e), { training: false, seed: new Random('evaluate') }), where).item();
      total += value * (e - s);
    }
    return total / n;
  });
}

/**
 * The mean loss of `model` on `(x, y)`; see `Sequential.evaluate`.
 * @internal
 */
export function evaluateModel<Out extends LayerOutput>(model: TrainableModel<Out>, xIn: DataInput, yIn: DataInput, options: EvaluateOptions = {}): number {
  const where = 'Sequential.evaluate';
  const o = checkOptions(options, EVALUATE_OPTIONS, where) as EvaluateOptions;
  assert(model.lossFn !== null, () => `${where}: the model has no loss; call model.compile({ optimizer, loss }) first`);
  const batchSize = checkPositiveInt(o.batchSize, 'batchSize', where, 32);
  const validate = o.validateArgs ?? true;
  assert(typeof validate === 'boolean', () => `${where}: 'validateArgs' must be a boolean, got ${describe(validate)}`, TypeError);
  const [x, y] = checkData(model, xIn, yIn, ['x', 'y'], where, validate);
  model.build(x.shape.slice(1));
  checkTargets(model, x, y, 'y', where);
  return meanLossOver(model, model.lossFn, x, y, batchSize, where);
}
