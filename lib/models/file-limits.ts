// Sizes in a model file, checked against the limits before any layer is built: a 3 KB file must not be able to ask for 8 GB.
import { checkMadeSize } from '../../flows/made/made-size.js';
import { firstHole } from '../util/arrays.js';
import { checkParamCount, checkShapeElements, checkTensorElements } from '../util/limits.js';

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isShape = (v: unknown): v is number[] => Array.isArray(v) && firstHole(v) < 0 && v.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0);

/**
 * Checks every size a model file states against the limits, before anything is built:
 *
 * - `inputShape`, and each weight's `shape`, against `maxTensorElements`; all weights together
 *   against `maxModelParams`;
 * - in every layer config, at any depth: each MADE network (an object with `params`,
 *   `hiddenUnits` and `eventShape`) by its kernels and parameter count, and every `eventShape`,
 *   `conditionalEventShape`, `inputShape` and `eventSize`.
 *
 * Values of the wrong kind are left to the constructors, which name them.
 * @param file - the parsed file, its envelope already checked
 * @throws RangeError naming `where`, the size and the limit
 */
export function checkFileSizes(file: { inputShape: unknown; weights: unknown[]; layers: Array<{ config: unknown }> }, where: string): void {
  if (isShape(file.inputShape)) checkShapeElements(file.inputShape, "'inputShape'", where);
  let total = 0;
  file.weights.forEach((w, i) => {
    const shape = (w as { shape?: unknown } | null)?.shape;
    if (!isShape(shape)) return;
    checkShapeElements(shape, `weights[${i}].shape`, where);
    total += shape.reduce((a, d) => a * d, 1);
  });
  checkParamCount(total, 'the weights in the file together', where);
  file.layers.forEach((layer, i) => walk(layer.config, `layers[${i}].config`, where));
}

function walk(v: unknown, path: string, where: string): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => walk(x, `${path}[${i}]`, where));
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  const o = v as Record<string, unknown>;
  for (const key of ['eventShape', 'conditionalEventShape', 'inputShape']) {
    if (isShape(o[key])) checkShapeElements(o[key] as number[], `${path}.${key}`, where);
  }
  if (isCount(o.eventSize)) checkTensorElements(o.eventSize, `${path}.eventSize`, where);
  const { params, hiddenUnits, eventShape, conditionalEventShape } = o;
  if (isCount(params) && isShape(hiddenUnits) && hiddenUnits.every(isCount) && isShape(eventShape) && eventShape.length === 1 && isCount(eventShape[0])) {
    checkMadeSize({
      eventSize: eventShape[0], hiddenUnits, params,
      conditionalSize: o.conditional === true && isShape(conditionalEventShape) && isCount(conditionalEventShape[0]) ? conditionalEventShape[0] : undefined,
      conditionalAllLayers: o.conditionalInputLayers !== 'first_layer', useBias: o.useBias !== false,
    }, `${where}: ${path}`);
  }
  for (const [key, x] of Object.entries(o)) if (typeof x === 'object' && x !== null) walk(x, `${path}.${key}`, where);
}
