/** maflow/node: the package root plus what needs Node's file system (loading models and flows, reading and streaming CSV files).
 * @module maflow/node
 */
export * from '../index.js';
export { loadModel, saveFlow, loadDistribution, loadBijector, readCsv } from './files.js';
export { csvDataset, CsvDataset, type CsvDatasetOptions } from './csv-dataset.js';
