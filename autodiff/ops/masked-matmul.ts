// The masked dense layer of MADE, y = x · (W ⊙ M) + b: the plain loop that defines it and the gemm-based version.
import { assert, ValueError } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import { gemm } from '../kernels/gemm.js';
import { outGrad, record, Tensor } from '../tensor.js';

/** Sizes of one masked product, read from validated arguments. */
interface MaskedDims {
  batch: number;
  fanIn: number;
  fanOut: number;
}

/**
 * Checks kinds, ranks and shapes of every argument (not the mask's values), naming the argument.
 * Masks are `[fanIn, fanOut]`, as in docs/conventions.md, so `x · (W ⊙ M)` needs no transpose.
 */
function checkArgs(op: string, x: Tensor, w: Tensor, mask: Tensor, bias: Tensor | undefined): MaskedDims {
  const args: Array<[string, unknown]> = [['x', x], ['w', w], ['mask', mask]];
  if (bias !== undefined) args.push(['bias', bias]);
  for (const [name, v] of args) {
    assert(v instanceof Tensor, () => `${op}: '${name}' must be a Tensor, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`, TypeError);
  }
  assert(x.rank === 2, () => `${op}: 'x' has shape ${fmt(x.shape)}, expected rank 2 [batch, fanIn]`);
  assert(w.rank === 2, () => `${op}: 'w' has shape ${fmt(w.shape)}, expected rank 2 [fanIn, fanOut]`);
  const [batch, fanIn] = x.shape;
  const fanOut = w.shape[1];
  assert(w.shape[0] === fanIn, () => `${op}: 'x' has shape ${fmt(x.shape)} and 'w' has shape ${fmt(w.shape)}; expected x [batch, fanIn] and w [fanIn, fanOut] with the same fanIn`);
  assert(mask.rank === 2 && mask.shape[0] === fanIn && mask.shape[1] === fanOut,
    () => `${op}: 'mask' has shape ${fmt(mask.shape)}, expected [fanIn, fanOut] = ${fmt(w.shape)}, the shape of 'w'`);
  // The mask is structure, not a parameter: it is not recorded as a parent, so it could never receive a gradient.
  assert(!mask.requiresGrad, () => `${op}: 'mask' has requiresGrad true; a mask is a constant 0/1 pattern and gets no gradient`);
  if (bias !== undefined) {
    assert(bias.rank === 1 && bias.shape[0] === fanOut, () => `${op}: 'bias' has shape ${fmt(bias.shape)}, expected [fanOut] = [${fanOut}]`);
  }
  return { batch, fanIn, fanOut };
}

function badMaskEntry(op: string, mask: Tensor, at: number): ValueError {
  const fanOut = mask.shape[1];
  return new ValueError(`${op}: 'mask' must hold only 0 and 1, got ${mask.data[at]} at [${Math.floor(at / fanOut)},${at % fanOut}]`);
}

/**
 * Reference masked product, the definition {@link maskedMatmul} is tested against. Slow, obvious:
 *
 *   y[b][j] = Σ_i x[b][i] · w[i][j] · mask[i][j] + bias[j]
 *
 * Terms with mask[i][j] = 0 are skipped rather than multiplied by 0, so masked weights are
 * structurally absent: even a non-finite masked weight leaves `y` untouched. Backward:
 *
 *   dx[b][i] = Σ_j dy[b][j] · w[i][j] · mask[i][j]
 *   dw[i][j] = mask[i][j] · Σ_b x[b][i] · dy[b][j]     (exactly 0 where the mask is 0)
 *   db[j]    = Σ_b dy[b][j]
 *
 * @param x - inputs, shape [batch, fanIn]
 * @param w - weights, shape [fanIn, fanOut]
 * @param mask - constant 0/1 connectivity, shape [fanIn, fanOut]; 1 keeps the weight. Never gets a gradient.
 * @param bias - optional, shape [fanOut]
 * @returns `y`, shape [batch, fanOut]
 * @throws TypeError when an argument is not a Tensor; ValueError for a wrong rank or shape (naming the
 *   argument), a mask entry other than 0 or 1, or a mask with `requiresGrad`
 */
export function maskedMatmulReference(x: Tensor, w: Tensor, mask: Tensor, bias?: Tensor): Tensor {
  const op = 'maskedMatmulReference';
  const { batch, fanIn, fanOut } = checkArgs(op, x, w, mask, bias);
  const xd = x.data;
  const wd = w.data;
  const md = mask.data;
  for (let at = 0; at < md.length; at++) if (md[at] !== 0 && md[at] !== 1) throw badMaskEntry(op, mask, at);
  const y = new Float64Array(batch * fanOut);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < fanOut; j++) {
      let s = 0;
      for (let i = 0; i < fanIn; i++) if (md[i * fanOut + j] !== 0) s += xd[b * fanIn + i] * wd[i * fanOut + j];
      y[b * fanOut + j] = s + (bias === undefined ? 0 : bias.data[j]);
    }
  }
  const parents = bias === undefined ? [x, w] : [x, w, bias];
  return record(op, y, [batch, fanOut], parents, (out) => {
    const g = outGrad(out);
    if (x.requiresGrad) {
      const gx = x.gradData();
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < fanIn; i++) {
          let s = 0;
          for (let j = 0; j < fanOut; j++) if (md[i * fanOut + j] !== 0) s += g[b * fanOut + j] * wd[i * fanOut + j];
          gx[b * fanIn + i] += s;
        }
      }
    }
    if (w.requiresGrad) {
      const gw = w.gradData();
      for (let i = 0; i < fanIn; i++) {
        for (let j = 0; j < fanOut; j++) {
          if (md[i * fanOut + j] === 0) continue;
          let s = 0;
          for (let b = 0; b < batch; b++) s += xd[b * fanIn + i] * g[b * fanOut + j];
          gw[i * fanOut + j] += s;
        }
      }
    }
    if (bias !== undefined && bias.requiresGrad) {
      const gb = bias.gradData();
      for (let j = 0; j < fanOut; j++) {
        let s = 0;
        for (let b = 0; b < batch; b++) s += g[b * fanOut + j];
        gb[j] += s;
      }
    }
  });
}

/**
 * Masked dense layer, the building block of MADE (Germain et al. 2015):
 *
 *   y = x · (w ⊙ mask) + bias,   i.e. y[b][j] = Σ_i x[b][i] · w[i][j] · mask[i][j] + bias[j]
 *
 * Same values and gradients as {@link maskedMatmulReference} (up to rounding). Masked weights are
 * structurally zero: the forward never reads them and their gradient is exactly 0, so no optimizer
 * ever moves them. Backward: dx = dy · (w ⊙ mask)ᵀ, dw = (xᵀ · dy) ⊙ mask, db[j] = Σ_b dy[b][j].
 *
 * Cost: forms w ⊙ mask once per call (fanIn·fanOut values, kept for the backward pass), then one
 * {@link gemm} forward and two backward, 2·batch·fanIn·fanOut flops each. The zeros of the mask are
 * multiplied like any other weight; a kernel that skips the zero blocks of degree-sorted masks would
 * replace the gemm calls here.
 *
 * @param x - inputs, shape [batch, fanIn]
 * @param w - weights, shape [fanIn, fanOut]
 * @param mask - constant 0/1 connectivity, shape [fanIn, fanOut]; 1 keeps the weight. Never gets a gradient.
 * @param bias - optional, shape [fanOut]
 * @returns `y`, shape [batch, fanOut]
 * @throws TypeError when an argument is not a Tensor; ValueError for a wrong rank or shape (naming the
 *   argument), a mask entry other than 0 or 1, or a mask with `requiresGrad`
 * @see Germain et al. 2015, MADE: Masked Autoencoder for Distribution Estimation, https://arxiv.org/abs/1502.03509
 *
 * @example
 * // fanIn 2, fanOut 2; the mask cuts w[1][0]: y = [1·1 + 0, 1·2 + 1·3] = [1, 5]
 * maskedMatmul(tensor([[1, 1]]), tensor([[1, 2], [9, 3]]), tensor([[1, 1], [0, 1]])) // [[1, 5]]
 */
export function maskedMatmul(x: Tensor, w: Tensor, mask: Tensor, bias?: Tensor): Tensor {
  const op = 'maskedMatmul';
  const { batch, fanIn, fanOut } = checkArgs(op, x, w, mask, bias);
  const xd = x.data;
  const wd = w.data;
  const md = mask.data;
  // Copying kept weights (not multiplying by the mask) keeps masked entries exactly 0 even when w is ±∞ or NaN there.
  const wm = new Float64Array(fanIn * fanOut);
  for (let at = 0; at < md.length; at++) {
    const v = md[at];
    if (v === 1) wm[at] = wd[at];
    else if (v !== 0) throw badMaskEntry(op, mask, at);
  }
  const y = new Float64Array(batch * fanOut);
  if (bias !== undefined) for (let b = 0; b < batch; b++) y.set(bias.data, b * fanOut);
  gemm(batch, fanOut, fanIn, xd, wm, y, { accumulate: bias !== undefined });
  const parents = bias === undefined ? [x, w] : [x, w, bias];
  return record(op, y, [batch, fanOut], parents, (out) => {
    const g = outGrad(out);
    // dx[batch, fanIn] += dy[batch, fanOut] · (w ⊙ mask)ᵀ
    if (x.requiresGrad) gemm(batch, fanIn, fanOut, g, wm, x.gradData(), { transB: true, accumulate: true });
    if (w.requiresGrad) {
      // dw = (xᵀ · dy) ⊙ mask, added only where the mask is 1: other uses of w may have left gradient
      // in the masked entries, which must survive. A fresh (all-zero) gradient can take the product directly.
      const fresh = w.grad === null;
      const gw = w.gradData();
      const dw = fresh ? gw : new Float64Array(fanIn * fanOut);
      gemm(fanIn, fanOut, batch, xd, g, dw, { transA: true });
      if (fresh) {
        for (let at = 0; at < md.length; at++) if (md[at] === 0) gw[at] = 0;
      } else {
        for (let at = 0; at < md.length; at++) if (md[at] !== 0) gw[at] += dw[at];
      }
    }
    if (bias !== undefined && bias.requiresGrad) {
      // db[j] = Σ_b dy[b][j]
      const gb = bias.gradData();
      for (let b = 0; b < batch; b++) for (let j = 0; j < fanOut; j++) gb[j] += g[b * fanOut + j];
    }
  });
}
