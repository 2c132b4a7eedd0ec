// Sparse arrays: `[8, , 8]` has a hole that forEach, every and map skip, so every array read at the boundary is checked for holes first.
import type { ErrorClass } from './errors.js';

/** The index of the first hole (an empty slot, as in `[8, , 8]`) of `a`, or −1 when it has none. */
export function firstHole(a: ArrayLike<unknown>): number {
  for (let i = 0; i < a.length; i++) if (!(i in a)) return i;
  return -1;
}

/**
 * Checks that an array has no holes. A double comma (`hiddenUnits: [8, , 8]`) makes one, and
 * `forEach`, `every` and `map` skip it, so a check written with them passes and the array then
 * reads as shorter or as holding `undefined`.
 *
 * @param value - the array (anything else passes: the caller checks the kind)
 * @param name - the argument, as the message names it
 * @param where - the function, as the message names it
 * @throws TypeError such as `AutoregressiveNetwork: 'hiddenUnits' is a sparse array [8, <hole>, 8]: index 1 is empty (a doubled comma?); every entry must be given`
 */
export function checkNoHoles(value: unknown, name: string, where: string, ErrorType: ErrorClass = TypeError): void {
  if (!Array.isArray(value)) return;
  const at = firstHole(value);
  if (at < 0) return;
  const shown = value.length <= 12 ? ` [${Array.from({ length: value.length }, (_, i) => (!(i in value) ? '<hole>' : typeof value[i] === 'object' && value[i] !== null ? '…' : String(value[i]))).join(', ')}]` : ` of length ${value.length}`;
  throw new ErrorType(`${where}: '${name}' is a sparse array${shown}: index ${at} is empty (a doubled comma?); every entry must be given`);
}
