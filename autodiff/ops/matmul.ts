// Batched matrix product with NumPy broadcasting of the batch axes, forward and backward on the fast gemm.
import { ValueError, assert } from '../../lib/util/errors.js';
import { fmt, sizeOf } from '../../lib/util/shape.js';
import { broadcastPlan, type BroadcastPlan } from '../broadcast.js';
import { gemm } from '../kernels/gemm.js';
import { outGrad, record, Tensor } from '../tensor.js';
import { checkShapeElements } from '../../lib/util/limits.js';
import { describe } from '../../lib/util/validate.js';

/**
 * Matrix product over the last two axes, batched over the leading ones:
 *
 *   C[..., i, j] = Σ_p A[..., i, p] · B[..., p, j]
 *
 * The batch axes (all but the last two) broadcast by NumPy's rules, as `np.matmul` does:
 * `[2, 1, 3, 4] · [5, 4, 2] → [2, 5, 3, 2]`, and a rank-2 operand is shared by every batch entry.
 * Unlike `np.matmul`, rank-1 operands are not promoted to matrices; reshape them first.
 *
 * Backward: dA = dC · Bᵀ and dB = Aᵀ · dC per batch entry, each summed over the batch
 * axes its operand was broadcast along (the adjoint of broadcasting).
 * Cost: 2·batch·m·k·n flops forward and twice that backward, on {@link gemm} (which shares the
 * products of at least 1M multiply-adds with a worker thread in Node, bit for bit the same).
 *
 * @param a - shape [..., m, k]
 * @param b - shape [..., k, n]
 * @returns shape [...batch, m, n], where `batch` is the broadcast of the two batch shapes
 * @throws TypeError when an argument is not a Tensor; ValueError when an operand has rank < 2,
 *   the inner dimensions differ, or the batch shapes do not broadcast
 *
 * @example
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])) // [[17], [39]]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assert(a instanceof Tensor, () => `matmul: 'a' must be a Tensor, got ${describe(a)}`, TypeError);
  assert(b instanceof Tensor, () => `matmul: 'b' must be a Tensor, got ${describe(b)}`, TypeError);
  assert(a.rank >= 2, () => `matmul: 'a' has shape ${fmt(a.shape)}, expected rank ≥ 2 ([..., m, k])`);
  assert(b.rank >= 2, () => `matmul: 'b' has shape ${fmt(b.shape)}, expected rank ≥ 2 ([..., k, n])`);
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  assert(k === k2, () => `matmul: inner dimensions differ: a is ${fmt(a.shape)}, b is ${fmt(b.shape)} (a's last axis ${k} vs b's second-to-last ${k2})`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  let plan: BroadcastPlan;
  try {
    plan = broadcastPlan('matmul', aBatch, bBatch);
  } catch {
    // broadcastPlan names only the batch shapes; the caller knows the operands by their full shapes.
    throw new ValueError(`matmul: batch dimensions do not broadcast: a is ${fmt(a.shape)}, b is ${fmt(b.shape)} (batch shapes ${fmt(aBatch)} and ${fmt(bBatch)})`);
  }
  const { shape: batchShape, size: batch, index } = plan;
  const [aIndex, bIndex] = index;
  const ad = a.data;
  const bd = b.data;
  const outShape = [...batchShape, m, n];
  checkShapeElements(outShape, `the product of a ${fmt(a.shape)} and b ${fmt(b.shape)}, shape`, 'matmul');
  const y = new Float64Array(batch * m * n);

  // When B is shared by the whole batch and A is not broadcast, the batch entries of A are consecutive
  // rows of one [batch·m, k] matrix, so one gemm does the work of `batch` small ones (and its backward
  // sums dB over the batch inside the product, for free).
  if (aIndex === null && sizeOf(bBatch) === 1) {
    const rows = batch * m;
    const forwardRows = (): void => gemm(rows, n, k, ad, bd, y);
    forwardRows();
    return record('matmul', y, outShape, [a, b], (out) => {
      const g = outGrad(out);
      if (a.requiresGrad) gemm(rows, k, n, g, bd, a.gradData(), { transB: true, accumulate: true });
      if (b.requiresGrad) gemm(k, n, rows, ad, g, b.gradData(), { transA: true, accumulate: true });
    }, forwardRows);
  }

  const aStep = m * k;
  const bStep = k * n;
  const cStep = m * n;
  const forward = (): void => {
    for (let t = 0; t < batch; t++) {
      const aOffset = (aIndex === null ? t : aIndex[t]) * aStep;
      const bOffset = (bIndex === null ? t : bIndex[t]) * bStep;
      gemm(m, n, k, ad, bd, y, { aOffset, bOffset, cOffset: t * cStep });
    }
  };
  forward();
  return record('matmul', y, outShape, [a, b], (out) => {
    const g = outGrad(out);
    // Accumulating into the operand's block sums over broadcast batch axes: several t share one block.
    if (a.requiresGrad) {
      const ga = a.gradData();
      for (let t = 0; t < batch; t++) {
        const aOffset = (aIndex === null ? t : aIndex[t]) * aStep;
        const bOffset = (bIndex === null ? t : bIndex[t]) * bStep;
        // dA[m, k] += dC[m, n] · B[k, n]ᵀ
        gemm(m, k, n, g, bd, ga, { transB: true, accumulate: true, aOffset: t * cStep, bOffset, cOffset: aOffset });
      }
    }
    if (b.requiresGrad) {
      const gb = b.gradData();
      for (let t = 0; t < batch; t++) {
        const aOffset = (aIndex === null ? t : aIndex[t]) * aStep;
        const bOffset = (bIndex === null ? t : bIndex[t]) * bStep;
        // dB[k, n] += A[m, k]ᵀ · dC[m, n]
        gemm(k, n, m, ad, g, gb, { transA: true, accumulate: true, aOffset, bOffset: t * cStep, cOffset: bOffset });
      }
    }
  }, forward);
}

