// csvDataset: a numeric CSV file streamed in chunks as batches for fitDataset, with TF.js's shuffle buffer (maflow/node).
import { createReadStream } from 'node:fs';
import { Tensor } from '../../autodiff/tensor.js';
import type { DatasetBatch } from '../models/fit-dataset.js';
import { assert, ValueError } from '../util/errors.js';
import { toRandom, type Random, type Seed } from '../util/random.js';
import { checkNonNegativeInt, checkOptions, checkPositiveInt, describe } from '../util/validate.js';

/** Options of {@link csvDataset}. */
export interface CsvDatasetOptions {
  /** Rows per batch; default 32. The last batch of a pass may be smaller. */
  batchSize?: number;
  /** The header names of the columns that form `ys`, in this order; default every column not in `xColumns`. */
  columns?: readonly string[];
  /** The header names of the columns that form `xs` (a conditional flow's conditions); default none, so `xs` is `[rows, 0]`. */
  xColumns?: readonly string[];
  /**
   * Rows held for shuffling, as TensorFlow.js's `dataset.shuffle(bufferSize)`: each row read replaces
   * a random one of the buffer, which is emitted. 0 (the default) keeps the file's order; a buffer
   * as large as the file shuffles it fully. Memory: `shuffleBuffer × columns × 8` bytes.
   */
  shuffleBuffer?: number;
  /** Seeds the shuffling; each walk of the dataset (each epoch) draws a new order from it. Default: the global generator. */
  seed?: Seed;
  /** Bytes read from the file at a time; default 1 MiB. */
  chunkSize?: number;
}

const CSV_DATASET_OPTIONS = ['batchSize', 'columns', 'xColumns', 'shuffleBuffer', 'seed', 'chunkSize'];

/**
 * A CSV file as a stream of `{ xs, ys }` batches: each walk (`for await`, or an epoch of
 * `fitDataset`) reads the file anew, one chunk at a time, so memory stays at a chunk, a batch
 * and the shuffle buffer, whatever the file's size.
 */
export class CsvDataset implements AsyncIterable<DatasetBatch> {
  /** The file. */
  readonly path: string;
  private readonly batchSize: number;
  private readonly yColumns: readonly string[] | undefined;
  private readonly xColumns: readonly string[];
  private readonly shuffleBuffer: number;
  private readonly chunkSize: number;
  private readonly rng: Random;

  /** @see {@link csvDataset} */
  constructor(path: string, options: CsvDatasetOptions = {}) {
    const where = 'csvDataset';
    assert(typeof path === 'string' && path !== '', () => `${where}: 'path' must be a non-empty string, got ${describe(path)}`, TypeError);
    checkOptions(options, CSV_DATASET_OPTIONS, where);
    const names = (v: unknown, name: string): readonly string[] | undefined => {
      assert(v === undefined || (Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === 'string')),
        () => `${where}: '${name}' must be a non-empty array of column names, got ${describe(v)}`, TypeError);
      return v === undefined ? undefined : (v as string[]).slice();
    };
    this.path = path;
    this.batchSize = checkPositiveInt(options.batchSize, 'batchSize', where, 32);
    this.yColumns = names(options.columns, 'columns');
    this.xColumns = names(options.xColumns, 'xColumns') ?? [];
    this.shuffleBuffer = checkNonNegativeInt(options.shuffleBuffer, 'shuffleBuffer', where, 0);
    this.chunkSize = checkPositiveInt(options.chunkSize, 'chunkSize', where, 1 << 20);
    this.rng = toRandom(options.seed).fork();
  }

  /**
   * One pass over the file: batches of `batchSize` rows (the last may be smaller).
   * @throws ValueError naming the file, line and column of a field that is not a finite number, a
   *   row with the wrong number of fields, or a column name the header lacks
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<DatasetBatch> {
    const where = `csvDataset: ${this.path}`;
    const rng = this.rng.fork();
    // Set by the header line inside parseLine; `as` keeps TypeScript from narrowing them to null for good.
    let pick = null as { y: number[]; x: number[]; header: string[]; width: number; order: number[] } | null;
    let lineNo = 0;
    let rest = '';
    // The shuffle buffer: `held` rows of ky + kx values each, in one flat array.
    let buffer = new Float64Array(0);
    let held = 0;
    let row = new Float64Array(0);
    let batch = null as Batcher | null;

    /** Parses one line into `row`; true for a data row (false for the header and blank lines). */
    const parseLine = (line: string): boolean => {
      lineNo++;
      if (line.trim() === '') return false;
      if (pick === null) {
        pick = this.columnsOf(line.split(',').map((c) => c.trim()), where);
        row = new Float64Array(pick.y.length + pick.x.length);
        buffer = new Float64Array(this.shuffleBuffer * row.length);
        batch = new Batcher(this.batchSize, pick.y.length, pick.x.length);
        return false;
      }
      const fields = line.split(',');
      if (fields.length !== pick.width) {
        throw new ValueError(`${where} line ${lineNo} has ${fields.length} fields, expected ${pick.width} (the header's column count)`);
      }
      const order = pick.order;
      for (let k = 0; k < order.length; k++) {
        const f = fields[order[k]].trim();
        const v = Number(f);
        // Number('') is 0, so an empty field must be caught before it silently becomes a zero.
        if (f === '' || !Number.isFinite(v)) {
          throw new ValueError(`${where} line ${lineNo}, column ${order[k] + 1} ('${pick.header[order[k]]}'): '${f}' is not a finite number`);
        }
        row[k] = v;
      }
      return true;
    };
    // TF.js's shuffle: fill the buffer, then every new row takes the place of a random one, which goes
    // into the batch. Returns true when that filled the batch.
    const admit = (b: Batcher): boolean => {
      const w = row.length;
      if (this.shuffleBuffer === 0) return b.push(row);
      if (held < this.shuffleBuffer) {
        buffer.set(row, held++ * w);
        return false;
      }
      const i = rng.int(0, held - 1);
      const full = b.push(buffer.subarray(i * w, (i + 1) * w));
      buffer.set(row, i * w);
      return full;
    };

    const stream = createReadStream(this.path, { encoding: 'utf8', highWaterMark: this.chunkSize });
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          if (parseLine(line.endsWith('\r') ? line.slice(0, -1) : line) && batch !== null && admit(batch)) yield batch.flush();
        }
      }
    } finally {
      stream.destroy();
    }
    if (parseLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest) && batch !== null && admit(batch)) yield batch.flush();
    const b = batch;
    assert(b !== null, () => `${where} is empty, expected a header row`);
    // Drain the buffer in random order.
    const w = row.length;
    while (held > 0) {
      const i = rng.int(0, held - 1);
      if (b.push(buffer.subarray(i * w, (i + 1) * w))) yield b.flush();
      buffer.copyWithin(i * w, (held - 1) * w, held * w);
      held--;
    }
    if (b.rows > 0) yield b.flush();
  }

  /** Indices of the `ys` and `xs` columns in the header. @throws ValueError for a name the header lacks */
  private columnsOf(header: string[], where: string): { y: number[]; x: number[]; header: string[]; width: number; order: number[] } {
    const index = (name: string, option: string): number => {
      const i = header.indexOf(name);
      assert(i >= 0, () => `${where}: '${option}' names column '${name}', which the header lacks; it has ${header.join(', ')}`);
      return i;
    };
    const x = this.xColumns.map((c) => index(c, 'xColumns'));
    const y = this.yColumns === undefined ? header.map((_, i) => i).filter((i) => !x.includes(i)) : this.yColumns.map((c) => index(c, 'columns'));
    return { y, x, header, width: header.length, order: [...y, ...x] };
  }
}

/** Rows gathered into the flat arrays of one batch. */
class Batcher {
  rows = 0;
  private ys: Float64Array;
  private xs: Float64Array;

  constructor(private readonly size: number, private readonly ky: number, private readonly kx: number) {
    this.ys = new Float64Array(size * ky);
    this.xs = new Float64Array(size * kx);
  }

  /** Adds one row (`ky` values of y, then `kx` of x); true when the batch is full. */
  push(row: Float64Array): boolean {
    this.ys.set(row.subarray(0, this.ky), this.rows * this.ky);
    this.xs.set(row.subarray(this.ky), this.rows * this.kx);
    return ++this.rows === this.size;
  }

  /** The batch so far as tensors; starts a new one. */
  flush(): DatasetBatch {
    const n = this.rows;
    const batch = {
      xs: new Tensor(n === this.size ? this.xs : this.xs.slice(0, n * this.kx), [n, this.kx]),
      ys: new Tensor(n === this.size ? this.ys : this.ys.slice(0, n * this.ky), [n, this.ky]),
    };
    this.ys = new Float64Array(this.size * this.ky);
    this.xs = new Float64Array(this.size * this.kx);
    this.rows = 0;
    return batch;
  }
}

/**
 * Streams a numeric CSV file (a header row, then numbers) as batches for `model.fitDataset`,
 * reading it in chunks, so files larger than memory train in constant memory. TensorFlow.js's
 * `tf.data.csv` with `batch` and `shuffle`, for numbers only.
 *
 * @param path - the file
 * @param options - `batchSize`, the `columns` of `ys` (and `xColumns` of `xs`), a `shuffleBuffer` and its `seed`
 * @returns a dataset: each `for await` walks the file once
 * @throws TypeError / RangeError for bad options (the file is opened when walked, and its errors come then)
 *
 * @example
 * const data = csvDataset('data/banana_train.csv', { batchSize: 100, shuffleBuffer: 1000, seed: 0 });
 * await model.fitDataset(data, { epochs: 5 });
 */
export function csvDataset(path: string, options: CsvDatasetOptions = {}): CsvDataset {
  return new CsvDataset(path, options);
}
