// Node's file side of saving and data: loadModel, saveFlow/loadDistribution/loadBijector and readCsv (maflow/node).
import { readFile } from 'node:fs/promises';
import type { Bijector } from '../../flows/bijectors/bijector.js';
import type { Distribution } from '../../flows/distributions/distribution.js';
import { parseCsv, type CsvTable } from '../data/csv.js';
import type { LayerOutput } from '../layers/layer.js';
import { bijectorFromJSON, distributionFromJSON, flowToJSON } from '../models/flow-json.js';
import { writeFileAtomic } from '../models/save.js';
import { Sequential } from '../models/sequential.js';
import { assert } from '../util/errors.js';
import { describe } from '../util/validate.js';

function checkPath(path: unknown, where: string): asserts path is string {
  assert(typeof path === 'string' && path !== '', () => `${where}: 'path' must be a non-empty string, got ${describe(path)}`, TypeError);
}

/**
 * Reads a model written by `model.save(path)`. The file is checked as a whole (format, version,
 * layer classes, weight shapes, finite weights) before the model is returned.
 *
 * @typeParam Out - what the model returns: `Distribution` (the default, a flow) or `Tensor`, so
 *   `model.call(x).logProb(y)` needs no cast
 * @throws ValueError for a truncated, corrupt, wrong-version or mismatched file; the file system's errors (e.g. ENOENT)
 *
 * @example
 * await model.save('out/banana.json');
 * const again = await loadModel('out/banana.json');
 * again.call(zeros([0])).logProb(x); // bit-identical to model's
 */
export async function loadModel<Out extends LayerOutput = Distribution>(path: string): Promise<Sequential<Out>> {
  checkPath(path, 'loadModel');
  return Sequential.fromJSON<Out>(await readFile(path, 'utf8'), `loadModel: ${path}`);
}

/**
 * Writes a distribution or bijector with its weights ({@link flowToJSON}) to one JSON file,
 * atomically (a temporary file, then a rename), as `model.save` does.
 * @throws TypeError for a bad path or a flow holding a user function; the file system's errors
 *
 * @example
 * await saveFlow(flow, 'out/maf.json');
 * const again = await loadDistribution('out/maf.json'); // same logProb, bit for bit
 */
export async function saveFlow(flow: Distribution | Bijector, path: string): Promise<void> {
  checkPath(path, 'saveFlow');
  await writeFileAtomic(path, JSON.stringify(flowToJSON(flow)));
}

/**
 * Reads a distribution written by {@link saveFlow}, weights included.
 * @throws ValueError for a corrupt, wrong-version or mismatched file, or one holding a bijector or a model; the file system's errors
 */
export async function loadDistribution(path: string): Promise<Distribution> {
  checkPath(path, 'loadDistribution');
  return distributionFromJSON(await readFile(path, 'utf8'), `loadDistribution: ${path}`);
}

/**
 * Reads a bijector written by {@link saveFlow}, weights included.
 * @throws ValueError as {@link loadDistribution}
 */
export async function loadBijector(path: string): Promise<Bijector> {
  checkPath(path, 'loadBijector');
  return bijectorFromJSON(await readFile(path, 'utf8'), `loadBijector: ${path}`);
}

/**
 * Reads a numeric CSV file whole with `parseCsv`. For a file larger than memory, stream it with `csvDataset`.
 * @param path - file path
 * @throws the errors of `parseCsv`, naming the path
 */
export async function readCsv(path: string): Promise<CsvTable> {
  checkPath(path, 'readCsv');
  return parseCsv(await readFile(path, 'utf8'), path);
}
