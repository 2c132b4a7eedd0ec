import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gather } from '../../../autodiff/ops/shape.js';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { noGrad, tensor, zeros, type Tensor } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { AutoregressiveTransform } from '../../../lib/layers/autoregressive-transform.js';
import { DistributionLambda } from '../../../lib/layers/distribution-lambda.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import type { DatasetBatch } from '../../../lib/models/fit-dataset.js';
import type { OutputStream } from '../../../lib/models/progress.js';
import { Sequential } from '../../../lib/models/sequential.js';
import { csvDataset } from '../../../lib/node/csv-dataset.js';
import { Random } from '../../../lib/util/random.js';

function flowModel(conditional = false): Sequential {
  const model = new Sequential([
    new InputLayer({ inputShape: [conditional ? 1 : 0] }),
    new DistributionLambda((t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) })),
    new AutoregressiveTransform(new AutoregressiveNetwork({
      params: 2, hiddenUnits: [6], activation: 'tanh', seed: 4, ...(conditional ? { eventShape: 2, conditional: true, conditionalEventShape: 1 } : {}),
    })),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'negativeLogLikelihood' });
  return model;
}

const rng = new Random('fit-dataset-data');
const N = 40;
const data = tensor(Array.from({ length: N }, () => { const b = 2 * rng.normal(); return [rng.normal() + b * b / 4, b]; }));
const rowsOf = (start: number, end: number): Tensor => noGrad(() => gather(data, Array.from({ length: end - start }, (_, i) => start + i)));
const bits = (ws: Tensor[]): string[] => ws.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('hex'));

/** Batches of 10 rows in file order, as an async generator: a fresh walk per call. */
const dataset = { async *[Symbol.asyncIterator](): AsyncGenerator<DatasetBatch> { for (let s = 0; s < N; s += 10) yield { ys: rowsOf(s, s + 10) }; } };

describe('Sequential.fitDataset (TF.js model.fitDataset)', () => {
  it('trains exactly as fit does on the same batches in the same order', async () => {
    const a = flowModel();
    const b = flowModel();
    const ha = await a.fit(zeros([N, 0]), data, { batchSize: 10, epochs: 3, shuffle: false, verbose: 0, seed: 1 });
    const hb = await b.fitDataset(dataset, { epochs: 3, verbose: 0, seed: 1 });
    expect(hb.history.loss).toEqual(ha.history.loss);
    expect(bits(b.getWeights())).toEqual(bits(a.getWeights()));
  });

  it('takes a plain array of batches with xs, and val_loss from tensors or from a dataset', async () => {
    const batches = [0, 10, 20].map((s) => ({ xs: zeros([10, 0]), ys: rowsOf(s, s + 10).toArray() }));
    const val: [Tensor, Tensor] = [zeros([10, 0]), rowsOf(30, 40)];
    const h1 = await flowModel().fitDataset(batches, { epochs: 2, verbose: 0, validationData: val });
    const h2 = await flowModel().fitDataset(batches, { epochs: 2, verbose: 0, validationData: [{ ys: rowsOf(30, 35) }, { ys: rowsOf(35, 40) }] });
    expect(h1.history.val_loss).toHaveLength(2);
    expect(h2.history.val_loss.map((v) => v.toFixed(10))).toEqual(h1.history.val_loss.map((v) => v.toFixed(10)));
  });

  it('batchesPerEpoch carries one walk across epochs, and stops with a warning when it runs out', async () => {
    const seen: number[] = [];
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const h = await flowModel().fitDataset(dataset, {
        epochs: 3, batchesPerEpoch: 3, verbose: 0, callbacks: { onBatchEnd: (batch) => { seen.push(batch); } },
      });
      // 4 batches in all: epoch 1 takes 3, epoch 2 gets 1 before the walk ends, epoch 3 never starts
      expect(seen).toEqual([0, 1, 2, 0]);
      expect(h.history.loss).toHaveLength(2);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/Sequential.fitDataset: the dataset ran out of batches at epoch 2, batch 2, before epochs · batchesPerEpoch = 9/));
    } finally {
      warn.mockRestore();
    }
  });

  it('one callbacks object, as TF.js takes it, gets every hook', async () => {
    const calls: string[] = [];
    await flowModel().fitDataset(dataset, {
      epochs: 1, verbose: 0,
      callbacks: { onTrainBegin: () => { calls.push('train'); }, onEpochEnd: (e) => { calls.push(`epoch ${e}`); } },
    });
    expect(calls).toEqual(['train', 'epoch 0']);
  });

  it('verbose 1 without batchesPerEpoch prints one line per epoch (its length is not known in advance)', async () => {
    const chunks: string[] = [];
    const output: OutputStream = { write: (s: string) => chunks.push(s), isTTY: true };
    await flowModel().fitDataset(dataset, { epochs: 2, verbose: 1, output });
    expect(chunks.join('')).toMatch(/^Epoch 1\/2\n4 batches - \d+s - loss: \d+\.\d{4}\nEpoch 2\/2\n4 batches - \d+s - loss: \d+\.\d{4}\n$/);
  });

  it('checks every batch as fit checks its data, naming the batch', async () => {
    const bad = [{ ys: rowsOf(0, 10) }, { ys: [[0, 1], [NaN, 2]] }];
    await expect(flowModel().fitDataset(bad, { verbose: 0 })).rejects.toThrow(/Sequential.fitDataset: 'batch 1 of epoch 1.ys' has NaN at row 1, column 0/);
    await expect(flowModel().fitDataset([{ xs: zeros([3, 0]), ys: rowsOf(0, 4) }], { verbose: 0 }))
      .rejects.toThrow(/Sequential.fitDataset: 'batch 0 of epoch 1.xs' has shape \[3,0\] and 'batch 0 of epoch 1.ys' has shape \[4,2\]/);
    await expect(flowModel().fitDataset([{ x: 1 } as never], { verbose: 0 })).rejects.toThrow(/batch 0 of epoch 1 must be an object \{ xs\?, ys \}/);
    await expect(flowModel().fitDataset(5 as never)).rejects.toThrow(/Sequential.fitDataset: 'dataset' must be an async iterable or iterable of \{ xs\?, ys \} batches/);
    await expect(flowModel().fitDataset([], { verbose: 0 })).rejects.toThrow(/'dataset' yielded no batches/);
    await expect(flowModel().fitDataset(dataset, { batchesPerEpoch: 0 })).rejects.toThrow(RangeError);
    await expect(flowModel().fitDataset(dataset, { epoch: 2 } as never)).rejects.toThrow(/unknown option 'epoch' \(did you mean 'epochs'\?\)/);
  });
});

describe('csvDataset: a CSV file streamed in chunks', () => {
  let dir = '';
  let file = '';
  const rows = Array.from({ length: 23 }, (_, i) => [i, 0.5 - i / 2, i * i]);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'maflow-csv-dataset-'));
    file = join(dir, 'data.csv');
    // CRLF line ends and a blank line in the middle, to be skipped
    writeFileSync(file, `a,b,c\r\n${rows.slice(0, 10).map((r) => r.join(',')).join('\r\n')}\r\n\r\n${rows.slice(10).map((r) => r.join(',')).join('\n')}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const collect = async (it: AsyncIterable<DatasetBatch>): Promise<{ xs: number[][][]; ys: number[][][] }> => {
    const xs: number[][][] = [];
    const ys: number[][][] = [];
    for await (const b of it) {
      xs.push((b.xs as Tensor).toArray() as number[][]);
      ys.push((b.ys as Tensor).toArray() as number[][]);
    }
    return { xs, ys };
  };

  it('yields the rows in file order in batches, whatever the chunk size (lines split across chunks)', async () => {
    for (const chunkSize of [3, 7, 64, 1 << 20]) {
      const { ys, xs } = await collect(csvDataset(file, { batchSize: 5, chunkSize }));
      expect(ys.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
      expect(ys.flat()).toEqual(rows);
      expect(xs[0]).toEqual([[], [], [], [], []]);
    }
  });

  it('columns pick ys in the order given, xColumns pick xs', async () => {
    const { ys, xs } = await collect(csvDataset(file, { batchSize: 30, columns: ['c', 'a'], xColumns: ['b'] }));
    expect(ys[0]).toEqual(rows.map((r) => [r[2], r[0]]));
    expect(xs[0]).toEqual(rows.map((r) => [r[1]]));
  });

  it('a shuffle buffer gives a seeded permutation of every row, a new one on each walk', async () => {
    const ds = csvDataset(file, { batchSize: 4, shuffleBuffer: 8, seed: 3, chunkSize: 16 });
    const first = (await collect(ds)).ys.flat();
    const second = (await collect(ds)).ys.flat();
    const key = (r: number[]): string => r.join(',');
    expect(first.map(key).sort()).toEqual(rows.map(key).sort());
    expect(first).not.toEqual(rows);
    expect(second).not.toEqual(first);
    expect((await collect(csvDataset(file, { batchSize: 4, shuffleBuffer: 8, seed: 3, chunkSize: 16 }))).ys.flat()).toEqual(first);
  });

  it('trains a conditional flow through fitDataset', async () => {
    const h = await flowModel(true).fitDataset(csvDataset(file, { batchSize: 8, columns: ['a', 'c'], xColumns: ['b'] }), { epochs: 2, verbose: 0 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
  });

  it('names the file, line and column of a bad field, and a column the header lacks', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2\n3,x\n');
    await expect(collect(csvDataset(bad))).rejects.toThrow(`csvDataset: ${bad} line 3, column 2 ('b'): 'x' is not a finite number`);
    writeFileSync(bad, 'a,b\n1,2\n3\n');
    await expect(collect(csvDataset(bad))).rejects.toThrow(`csvDataset: ${bad} line 3 has 1 fields, expected 2`);
    await expect(collect(csvDataset(file, { columns: ['z'] }))).rejects.toThrow(/'columns' names column 'z', which the header lacks; it has a, b, c/);
    expect(() => csvDataset(file, { batchsize: 4 } as never)).toThrow(/unknown option 'batchsize' \(did you mean 'batchSize'\?\)/);
    await expect(collect(csvDataset(join(dir, 'missing.csv')))).rejects.toThrow(/ENOENT/);
  });
});
