// The size of a MADE network, computed from its options alone, so it is checked against the limits before any degree, mask or weight exists.
import { checkParamCount, checkTensorElements } from '../../lib/util/limits.js';

/** What fixes a MADE network's size: its options, with E known. */
export interface MadeSizeOptions {
  /** E, the event size. */
  eventSize: number;
  /** Widths of the hidden layers, input side first. */
  hiddenUnits: readonly number[];
  /** Outputs per event dimension. */
  params: number;
  /** C, the conditional input's size, when the network is conditional. */
  conditionalSize?: number;
  /** Whether the conditional input enters every masked layer (true) or only the first. */
  conditionalAllLayers?: boolean;
  /** Whether each masked layer has a bias; default true. */
  useBias?: boolean;
}

/**
 * The parameter count of a MADE network: per masked layer k with kernel `[fanIn, fanOut]`,
 *
 *   fanIn·fanOut  (kernel)  +  fanOut  (bias, if useBias)  +  C·fanOut  (conditional kernel, where it enters)
 *
 * with fan sizes E → H₁ → … → H_L → E·params. Computed in float64, so a size past 2⁵³ is
 * approximate but still far over any limit.
 *
 * @example
 * madeParamCount({ eventSize: 3, hiddenUnits: [4], params: 2 }); // 3·4 + 4 + 4·6 + 6 = 46
 */
export function madeParamCount(o: MadeSizeOptions): number {
  const widths = [o.eventSize, ...o.hiddenUnits, o.eventSize * o.params];
  let total = 0;
  for (let k = 0; k + 1 < widths.length; k++) {
    const fanOut = widths[k + 1];
    total += widths[k] * fanOut + (o.useBias === false ? 0 : fanOut);
    if (o.conditionalSize !== undefined && (k === 0 || o.conditionalAllLayers !== false)) total += o.conditionalSize * fanOut;
  }
  return total;
}

/**
 * Checks a MADE network's size against the limits before anything is made: the degrees
 * (E + Σ hiddenUnits numbers), every kernel and mask (`fanIn·fanOut` elements each, against
 * `maxTensorElements`) and the parameter count (against `maxModelParams`).
 *
 * @param where - the function to name, e.g. `'AutoregressiveNetwork'`
 * @throws RangeError naming the layer or the count and the limit it is over
 */
export function checkMadeSize(o: MadeSizeOptions, where: string): void {
  const widths = [o.eventSize, ...o.hiddenUnits, o.eventSize * o.params];
  checkTensorElements(o.eventSize + o.hiddenUnits.reduce((a, h) => a + h, 0), `the degrees (eventSize ${o.eventSize} + Σ hiddenUnits [${o.hiddenUnits.join(',')}])`, where);
  for (let k = 0; k + 1 < widths.length; k++) {
    checkTensorElements(widths[k] * widths[k + 1], `the kernel of masked layer ${k} [${widths[k]},${widths[k + 1]}]`, where);
  }
  checkParamCount(madeParamCount(o), `the network (eventSize ${o.eventSize}, hiddenUnits [${o.hiddenUnits.join(',')}], params ${o.params})`, where);
}
