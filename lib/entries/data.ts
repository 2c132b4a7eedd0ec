/** maflow/data: data helpers that run anywhere (TF.js's tf.data, in small): CSV text to a tensor,
 * a seeded train/validation/test split, dequantization of integer data, and the Dataset types
 * fitDataset streams. Reading and streaming CSV files is in maflow/node (readCsv, csvDataset).
 * @module maflow/data
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export { parseCsv, type CsvTable } from '../data/csv.js';
export { trainValidationTestSplit, type Split } from '../data/split.js';
export { dequantize, dequantizedLogProb, type DequantizeOptions } from '../data/dequantize.js';
export type { Dataset, DatasetBatch, FitDatasetOptions } from '../models/fit-dataset.js';
