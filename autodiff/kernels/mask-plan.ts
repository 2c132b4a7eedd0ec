// The staircase hidden in a MADE mask: the row and column orders that expose it, found once per mask and cached.
import { ValueError } from '../../lib/util/errors.js';

/**
 * How to multiply by a 0/1 mask `[fanIn, fanOut]` without touching its zeros.
 *
 * A MADE mask keeps entry (i, k) iff deg(i) ≤ deg(k) (hidden layers) or deg(i) < deg(k) (output
 * layer). Sorting the rows by degree ascending (most ones first) and the columns by degree ascending
 * (fewest ones first) turns it into a staircase: sorted column k′ keeps exactly the sorted rows
 * [0, rowEnd[k′]), with rowEnd non-decreasing. Equivalently sorted row i′ is kept by the sorted
 * columns [colStart[i′], fanOut), with colStart non-decreasing. About half of the entries are zeros.
 *
 * Sorted row i′ is row `rowOrder[i′]` of the mask and sorted column k′ is column `colOrder[k′]`.
 * With the default MADE options (left-to-right order, 'equal' hidden degrees) both orders are the
 * identity (`rowsSorted`, `colsSorted`), and no permutation is needed at all.
 */
export interface MaskPlan {
  /** Rows of the mask: the layer's inputs (the length of `rowOrder`). */
  readonly fanIn: number;
  /** Columns of the mask: the layer's outputs (the length of `colOrder`). */
  readonly fanOut: number;
  /** Whether the sorted mask is exactly a staircase. False for a pattern no reordering makes one (use a dense product). */
  readonly staircase: boolean;
  /** Sorted row i′ is row rowOrder[i′] of the mask; length fanIn. */
  readonly rowOrder: Int32Array;
  /** Sorted column k′ is column colOrder[k′] of the mask; length fanOut. */
  readonly colOrder: Int32Array;
  /** rowOrder is the identity. */
  readonly rowsSorted: boolean;
  /** colOrder is the identity. */
  readonly colsSorted: boolean;
  /** Sorted column k′ keeps sorted rows [0, rowEnd[k′]); non-decreasing, length fanOut. Only meaningful for a staircase. */
  readonly rowEnd: Int32Array;
  /** Sorted row i′ is kept by sorted columns [colStart[i′], fanOut); non-decreasing, length fanIn. Only meaningful for a staircase. */
  readonly colStart: Int32Array;
  /** Number of ones in the mask. */
  readonly nnz: number;
}

// Masks are constants (MADE builds them once), so each is analysed once. Keyed by the data array, so
// tensors that share it (detach, reshape) share the plan; a plan for other dimensions is recomputed.
const cache = new WeakMap<Float64Array, MaskPlan>();

/**
 * The {@link MaskPlan} of a 0/1 mask, computed on first use and cached (keyed by `mask`).
 *
 * Sorts rows by their number of ones (descending) and columns by theirs (ascending), both stably,
 * so an already sorted mask keeps the identity orders, then checks that the sorted mask is exactly
 * a staircase. That holds for every MADE mask (any input order, hidden degrees, widths) and
 * `staircase` is false for most other patterns.
 *
 * The mask's values are read once: a mask changed in place after its first use keeps its old plan.
 * Cost: O(fanIn·fanOut) once per mask, plus the sorts.
 *
 * @param mask - row-major 0/1 values, shape [fanIn, fanOut]
 * @param fanIn - rows of the mask
 * @param fanOut - columns of the mask
 * @param where - the public function to name in errors
 * @returns the cached plan
 * @throws ValueError for an entry other than 0 or 1, naming its position, or a length that is not fanIn·fanOut
 *
 * @example
 * // left-to-right, hidden degrees [1, 2]: already sorted, columns keep rows [0, 1) and [0, 2)
 * const plan = maskPlan(Float64Array.of(1, 1, 0, 1, 0, 0), 3, 2);
 * plan.staircase; // true;  plan.rowEnd: [1, 2];  plan.colStart: [0, 1, 2];  plan.rowsSorted: true
 */
export function maskPlan(mask: Float64Array, fanIn: number, fanOut: number, where = 'maskPlan'): MaskPlan {
  const cached = cache.get(mask);
  if (cached !== undefined && cached.fanIn === fanIn && cached.fanOut === fanOut) return cached;
  if (mask.length !== fanIn * fanOut) {
    throw new ValueError(`${where}: 'mask' has ${mask.length} values, expected fanIn·fanOut = ${fanIn}·${fanOut} = ${fanIn * fanOut}`);
  }
  const plan = buildPlan(mask, fanIn, fanOut, where);
  cache.set(mask, plan);
  return plan;
}

function buildPlan(mask: Float64Array, fanIn: number, fanOut: number, where: string): MaskPlan {
  const rowOnes = new Int32Array(fanIn);
  const colOnes = new Int32Array(fanOut);
  let nnz = 0;
  for (let i = 0; i < fanIn; i++) {
    for (let k = 0; k < fanOut; k++) {
      const v = mask[i * fanOut + k];
      if (v === 1) {
        rowOnes[i]++;
        colOnes[k]++;
        nnz++;
      } else if (v !== 0) {
        throw new ValueError(`${where}: 'mask' must hold only 0 and 1, got ${v} at [${i},${k}]`);
      }
    }
  }
  // Array.prototype.sort is stable, so ties keep their order and a sorted mask keeps the identity.
  const rowOrder = Int32Array.from(Array.from({ length: fanIn }, (_, i) => i).sort((p, q) => rowOnes[q] - rowOnes[p]));
  const colOrder = Int32Array.from(Array.from({ length: fanOut }, (_, k) => k).sort((p, q) => colOnes[p] - colOnes[q]));
  const rowEnd = Int32Array.from(colOrder, (k) => colOnes[k]);
  // Sorted row i′ is kept by the columns whose rowEnd exceeds i′: since rowEnd is non-decreasing,
  // they are a suffix starting at the number of columns with rowEnd ≤ i′.
  const colStart = new Int32Array(fanIn);
  for (let i = 0, k = 0; i < fanIn; i++) {
    while (k < fanOut && rowEnd[k] <= i) k++;
    colStart[i] = k;
  }
  let staircase = true;
  for (let kk = 0; kk < fanOut && staircase; kk++) {
    const k = colOrder[kk];
    const r = rowEnd[kk];
    for (let ii = 0; ii < fanIn; ii++) {
      if (mask[rowOrder[ii] * fanOut + k] !== (ii < r ? 1 : 0)) {
        staircase = false;
        break;
      }
    }
  }
  return {
    fanIn,
    fanOut,
    staircase,
    rowOrder,
    colOrder,
    rowsSorted: rowOrder.every((i, at) => i === at),
    colsSorted: colOrder.every((k, at) => k === at),
    rowEnd,
    colStart,
    nnz,
  };
}
