// fitDataset: training from a stream of batches (TensorFlow.js's model.fitDataset), for data larger than memory.
import { noGrad, zeros, type Tensor } from '../../autodiff/tensor.js';
import type { TensorLike } from '../../autodiff/tensor-like.js';
import { assert } from '../util/errors.js';
import { Random, toRandom, type Seed } from '../util/random.js';
import { fmt, sameShape } from '../util/shape.js';
import { checkPositiveInt, checkOptions, describe } from '../util/validate.js';
import type { LayerOutput } from '../layers/layer.js';
import { Callback, CallbackList, type CallbackHooks, type CallbacksArg, type Logs } from './callbacks.js';
import { History } from './history.js';
import { formatValue, ProgbarLogger, type OutputStream } from './progress.js';
import {
  checkCompiled, checkData, checkTargets, meanLoss, meanLossOver, readLoopOptions, trainExclusively, TrainStep, yieldToEventLoop, type TrainableModel,
} from './training.js';
import { toTensor } from '../../autodiff/tensor-like.js';

/**
 * One batch of a dataset, as TensorFlow.js's `fitDataset` takes it: `ys` the data (the targets),
 * `xs` the inputs, `[rows, ...inputShape]`. For an unconditional flow `xs` may be left out: it is
 * then `zeros([rows, 0])`.
 */
export interface DatasetBatch {
  /** Inputs `[rows, ...inputShape]`: the conditions of a conditional flow. Default `zeros([rows, 0])`. */
  xs?: TensorLike;
  /** Targets `[rows, ...]`: the points whose density is learned. */
  ys: TensorLike;
}

/**
 * A source of batches: anything `for await` can walk (an async generator, `csvDataset(path)`, an
 * array of batches). Each walk is one pass over the data; `fitDataset` starts a new walk per epoch
 * unless `batchesPerEpoch` is given.
 */
export type Dataset = AsyncIterable<DatasetBatch> | Iterable<DatasetBatch>;

/** Options of `Sequential.fitDataset`, following TensorFlow.js's `ModelFitDatasetArgs`. */
export interface FitDatasetOptions {
  /** Passes over the dataset (or of `batchesPerEpoch` batches); default 1. */
  epochs?: number;
  /**
   * Batches per epoch. Default: a whole pass over the dataset each epoch. When given, one walk
   * of the dataset carries on across epochs, and training stops with a warning if it runs out
   * before `epochs · batchesPerEpoch` batches (as TensorFlow.js does).
   */
  batchesPerEpoch?: number;
  /** `[x, y]` tensors, or a dataset walked whole, to compute `val_loss` on after every epoch. */
  validationData?: readonly [TensorLike, TensorLike] | Dataset;
  /** 0 silent, 1 a progress bar per epoch (one line per epoch when `batchesPerEpoch` is unknown), 2 one line per epoch; default 1. */
  verbose?: 0 | 1 | 2;
  /** Called at the start and end of training, of each epoch and of each batch: one callback or an array. */
  callbacks?: CallbacksArg;
  /** Seeds any sampling inside the model, so a run on the same batches repeats bit for bit. */
  seed?: Seed;
  /** Check every batch for NaN and ±∞ before training on it; default true. */
  validateArgs?: boolean;
  /** Where progress goes; default `process.stdout` (or `console.log` lines in a browser). */
  output?: OutputStream;
}

const FIT_DATASET_OPTIONS = ['epochs', 'batchesPerEpoch', 'validationData', 'verbose', 'callbacks', 'seed', 'validateArgs', 'output'];

/** Progress for epochs of unknown length: `Epoch e/E`, then `N batches - 12s - loss: 3.1234` when it ends. */
class EpochLineLogger extends Callback {
  private start = 0;
  private batches = 0;

  constructor(private readonly stream: OutputStream) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    this.stream.write(`Epoch ${epoch + 1}/${this.params!.epochs}\n`);
    this.start = performance.now();
    this.batches = 0;
  }

  override onBatchEnd(): void {
    this.batches++;
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    const values = Object.entries(logs).map(([name, v]) => ` - ${name}: ${formatValue(v)}`).join('');
    this.stream.write(`${this.batches} batches - ${((performance.now() - this.start) / 1000).toFixed(0)}s${values}\n`);
  }
}

/** A fresh walk of `dataset`. */
function walk(dataset: Dataset): AsyncIterator<DatasetBatch> | Iterator<DatasetBatch> {
  return Symbol.asyncIterator in dataset ? dataset[Symbol.asyncIterator]() : dataset[Symbol.iterator]();
}

function isDataset(v: unknown): v is Dataset {
  return typeof v === 'object' && v !== null && (Symbol.asyncIterator in v || Symbol.iterator in v);
}

/** `validationData` as a dataset: anything iterable but a pair `[x, y]` (an array whose entries are not `{ ys }` batches). */
function isValidationDataset(v: unknown): v is Dataset {
  const isBatch = (b: unknown): boolean => typeof b === 'object' && b !== null && 'ys' in b;
  return isDataset(v) && (!Array.isArray(v) || v.every(isBatch));
}

/**
 * A batch as a pair of tensors `[x, y]`, checked as `fit` checks its data (rows, input shape,
 * finite values); a missing `xs` becomes `zeros([rows, 0])`.
 */
function batchTensors<Out extends LayerOutput>(model: TrainableModel<Out>, batch: unknown, name: string, where: string, validate: boolean): [Tensor, Tensor] {
  assert(typeof batch === 'object' && batch !== null && 'ys' in batch,
    () => `${where}: ${name} must be an object { xs?, ys }, got ${describe(batch)}`, TypeError);
  const { xs, ys } = batch as DatasetBatch;
  const y = toTensor(ys, `${name}.ys`, where);
  const x = xs === undefined ? zeros([y.rank >= 1 ? y.shape[0] : 0, 0]) : xs;
  return checkData(model, x, y, [`${name}.xs`, `${name}.ys`], where, validate);
}

/** The mean loss over every row of a validation dataset: Σ rows·meanLoss / Σ rows. */
async function datasetLoss<Out extends LayerOutput>(model: TrainableModel<Out>, dataset: Dataset, where: string, validate: boolean): Promise<number> {
  const { loss } = checkCompiled(model, where);
  let total = 0;
  let rows = 0;
  const it = walk(dataset);
  for (let r = await it.next(), k = 0; r.done !== true; r = await it.next(), k++) {
    const [x, y] = batchTensors(model, r.value, `validationData batch ${k}`, where, validate);
    total += noGrad(() => meanLoss(loss, y, model.call(x, { training: false, seed: new Random('evaluate') }), where).item()) * x.shape[0];
    rows += x.shape[0];
  }
  assert(rows > 0, () => `${where}: 'validationData' yielded no batches`);
  return total / rows;
}

/**
 * Trains `model` on batches from `dataset`; see `Sequential.fitDataset` for the contract.
 * @internal
 */
export async function fitDatasetModel<Out extends LayerOutput>(model: TrainableModel<Out>, dataset: Dataset, options: FitDatasetOptions = {}): Promise<History> {
  return trainExclusively(model, 'Sequential.fitDataset', () => fitDatasetSteps(model, dataset, options, 'Sequential.fitDataset'));
}

async function fitDatasetSteps<Out extends LayerOutput>(model: TrainableModel<Out>, dataset: Dataset, options: FitDatasetOptions, where: string): Promise<History> {
  assert(isDataset(dataset), () => `${where}: 'dataset' must be an async iterable or iterable of { xs?, ys } batches (e.g. csvDataset(path)), got ${describe(dataset)}`, TypeError);
  const o = checkOptions(options, FIT_DATASET_OPTIONS, where) as FitDatasetOptions;
  const { optimizer, loss } = checkCompiled(model, where);
  const { epochs, verbose, validate, callbacks, output, seed } = readLoopOptions(o, where);
  const batchesPerEpoch = o.batchesPerEpoch === undefined ? undefined : checkPositiveInt(o.batchesPerEpoch, 'batchesPerEpoch', where);
  const vd = o.validationData;
  const valTensors = vd === undefined || isValidationDataset(vd) ? null : (() => {
    assert(Array.isArray(vd) && vd.length === 2, () => `${where}: 'validationData' must be a pair [x, y] or a dataset, got ${describe(vd)}`, TypeError);
    return checkData(model, vd[0], vd[1], ['validationData[0]', 'validationData[1]'], where, validate);
  })();

  const sampleRng = toRandom(seed).fork();
  const history = new History();
  const list: Array<Callback | CallbackHooks> = [history, ...callbacks];
  // Without batchesPerEpoch the length of an epoch is unknown, so there is no bar to fill: one line per epoch.
  if (verbose !== 0 && output !== undefined) list.push(batchesPerEpoch === undefined ? new EpochLineLogger(output) : new ProgbarLogger(verbose, output));
  const cbs = new CallbackList(list, where);

  let stepper: TrainStep<Out> | null = null;
  let it = walk(dataset);
  let batchSize = 0;
  let exhausted = false;
  model.stopTraining = false;
  for (let epoch = 0; epoch < epochs && !exhausted; epoch++) {
    if (batchesPerEpoch === undefined && epoch > 0) it = walk(dataset);
    let seen = 0;
    let lossSum = 0;
    let step = 0;
    for (; batchesPerEpoch === undefined || step < batchesPerEpoch; step++) {
      const r = await it.next();
      if (r.done === true) {
        exhausted = batchesPerEpoch !== undefined;
        break;
      }
      const [x, y] = batchTensors(model, r.value, `batch ${step} of epoch ${epoch + 1}`, where, validate);
      if (stepper === null) {
        // The first batch fixes the input shape: build, check the targets, then tell the callbacks.
        model.build(x.shape.slice(1));
        checkTargets(model, x, y, 'ys', where);
        const params = model.trainableWeights;
        assert(params.length > 0, () => `${where}: the model has no trainable weights`);
        stepper = new TrainStep(model, optimizer, loss, params, where);
        batchSize = x.shape[0];
        cbs.setup(model, { epochs, steps: batchesPerEpoch ?? 1, samples: (batchesPerEpoch ?? 1) * batchSize, batchSize, verbose,
          metrics: vd === undefined ? ['loss'] : ['loss', 'val_loss'] });
        await cbs.trainBegin({});
      } else {
        const inputShape = model.inputShape;
        assert(inputShape === undefined || sameShape(x.shape.slice(1), inputShape),
          () => `${where}: batch ${step} has xs of shape ${fmt(x.shape)}, but the model's inputShape is ${fmt(inputShape ?? [])}`);
      }
      if (step === 0) await cbs.epochBegin(epoch, {});
      await cbs.batchBegin(step, { batch: step, size: x.shape[0] });
      const at = `epoch ${epoch + 1}/${epochs}, batch ${step + 1}${batchesPerEpoch === undefined ? '' : `/${batchesPerEpoch}`}`;
      const value = stepper.run(x, y, sampleRng, epoch, step, at);
      seen += x.shape[0];
      lossSum += value * x.shape[0];
      await cbs.batchEnd(step, { batch: step, size: x.shape[0], loss: value });
      await yieldToEventLoop();
    }
    if (exhausted) {
      console.warn(`${where}: the dataset ran out of batches at epoch ${epoch + 1}, batch ${step + 1}, before epochs · batchesPerEpoch = ` +
        `${epochs * (batchesPerEpoch ?? 0)}; training stops here. Give a dataset that yields enough batches, or leave batchesPerEpoch out to walk it anew every epoch`);
    }
    assert(seen > 0 || epoch > 0, () => `${where}: 'dataset' yielded no batches`);
    if (seen === 0) break;
    const logs: Logs = { loss: lossSum / seen };
    if (valTensors !== null) logs.val_loss = meanLossOver(model, loss, valTensors[0], valTensors[1], batchSize, where);
    else if (vd !== undefined) logs.val_loss = await datasetLoss(model, vd as Dataset, where, validate);
    await cbs.epochEnd(epoch, logs);
    if (model.stopTraining) break;
  }
  // The last step's update is scored by no later step: check it here.
  stepper?.finish();
  await cbs.trainEnd({});
  model.stopTraining = false;
  return history;
}
