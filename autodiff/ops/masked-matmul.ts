// The masked dense layer of MADE, y = x · (W ⊙ M) + b: the plain loop that defines it and the fast kernels that replace it.
import { assert, ValueError } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import { getKernelMode } from '../kernels/config.js';
import { gemm, gemmProduct, gemmStaircase, type GemmOptions, type Staircase } from '../kernels/gemm.js';
import { maskPlan, type MaskPlan } from '../kernels/mask-plan.js';
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
  return referenceProduct('maskedMatmulReference', x, w, mask, bias);
}

/** The loops of {@link maskedMatmulReference}, naming `op` in errors and in the graph (maskedMatmul's 'reference' mode). */
function referenceProduct(op: string, x: Tensor, w: Tensor, mask: Tensor, bias: Tensor | undefined): Tensor {
  const { batch, fanIn, fanOut } = checkArgs(op, x, w, mask, bias);
  const xd = x.data;
  const wd = w.data;
  const md = mask.data;
  for (let at = 0; at < md.length; at++) if (md[at] !== 0 && md[at] !== 1) throw badMaskEntry(op, mask, at);
  const y = new Float64Array(batch * fanOut);
  const forward = (): void => {
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < fanOut; j++) {
        let s = 0;
        for (let i = 0; i < fanIn; i++) if (md[i * fanOut + j] !== 0) s += xd[b * fanIn + i] * wd[i * fanOut + j];
        y[b * fanOut + j] = s + (bias === undefined ? 0 : bias.data[j]);
      }
    }
  };
  forward();
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
  }, forward);
}

/**
 * Masked dense layer, the building block of MADE (Germain et al. 2015):
 *
 *   y = x · (w ⊙ mask) + bias,   i.e. y[b][j] = Σ_i x[b][i] · w[i][j] · mask[i][j] + bias[j]
 *
 * Same values and gradients as {@link maskedMatmulReference} (up to rounding). Masked weights are
 * structurally zero: the forward never reads them and their gradient is exactly 0 (added to nothing),
 * so no optimizer ever moves them. Backward: dx = dy · (w ⊙ mask)ᵀ, dw = (xᵀ · dy) ⊙ mask, db[j] = Σ_b dy[b][j].
 *
 * The kernel is chosen by `setKernelMode` (autodiff/kernels/config.ts), default `'structured'`:
 * the first call with a mask sorts its rows and columns by number of ones ({@link maskPlan}, cached
 * per mask: a mask is read once and must not change afterwards). A MADE mask so sorted is a staircase,
 * and each of the three products multiplies only the kept part ({@link gemmStaircase}): about half
 * the work of a dense product. With the default MADE options the sort is the identity; otherwise
 * x, dy and the kept weights are gathered into the sorted order and the results scattered back, which
 * costs O(batch·(fanIn + fanOut) + nnz) per product. A mask that no sort makes a staircase uses the
 * dense kernel: w ⊙ mask formed in a scratch buffer, then {@link gemm} on the whole matrix.
 *
 * Cost ('structured', MADE mask): 2·batch·nnz(mask) flops per product (forward, dx, dw), at about
 * 4–5 GFLOP/s on one thread in JavaScript and 3–4× that with the WebAssembly SIMD kernel (the default where
 * available, `setGemmBackend` in kernels/config.ts, bit for bit the same); 2·batch·fanIn·fanOut for 'dense'. In Node a product of at least 1M
 * kept multiply-adds runs on two threads (`setNumThreads`, kernels/config.ts), with the same result
 * bit for bit (see `gemm`). No buffer is allocated per call once the scratch
 * buffers have grown (at most a few fanIn·fanOut arrays, kept for the life of the process) besides
 * the output and the gradients, which the graph owns.
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
  const mode = getKernelMode();
  if (mode === 'reference') return referenceProduct(op, x, w, mask, bias);
  const dims = checkArgs(op, x, w, mask, bias);
  if (mode === 'structured') {
    const plan = maskPlan(mask.data, dims.fanIn, dims.fanOut, op);
    if (plan.staircase) return structuredProduct(op, x, w, bias, dims, plan);
  }
  return denseProduct(op, x, w, mask, bias, dims);
}

// Scratch buffers shared by every call, grown on demand and never shrunk, so that a product allocates
// only its output and gradients. JavaScript is single-threaded and nothing is called back while a
// buffer is in use; a backward pass refills what it needs, since other layers' passes ran in between.
let scratchX: Float64Array = new Float64Array(0); // x with columns in sorted-row order, [batch, fanIn]
let scratchG: Float64Array = new Float64Array(0); // dy with columns in sorted-column order, [batch, fanOut]
let scratchW: Float64Array = new Float64Array(0); // w sorted (kept entries only), or w ⊙ mask for the dense kernel, [fanIn, fanOut]
let scratchOut: Float64Array = new Float64Array(0); // a product in sorted order before it is scattered back

function grown(buffer: Float64Array, size: number): Float64Array {
  return buffer.length >= size ? buffer : new Float64Array(size);
}

// Constant options, so the hot path builds no objects.
const NONE: GemmOptions = {};
const TRANS_B: GemmOptions = { transB: true };
const TRANS_B_ACCUMULATE: GemmOptions = { transB: true, accumulate: true };
const TRANS_A: GemmOptions = { transA: true };
const TRANS_A_ACCUMULATE: GemmOptions = { transA: true, accumulate: true };

/** The three staircases of a plan: forward depth limits, dx depth starts, dw row limits. */
interface PlanStairs {
  forward: Staircase;
  dx: Staircase;
  dw: Staircase;
}
const stairsOf = new WeakMap<MaskPlan, PlanStairs>();

function planStairs(plan: MaskPlan): PlanStairs {
  let s = stairsOf.get(plan);
  if (s === undefined) {
    s = { forward: { depthEnd: plan.rowEnd }, dx: { depthStart: plan.colStart }, dw: { rowEnd: plan.rowEnd } };
    stairsOf.set(plan, s);
  }
  return s;
}

/**
 * src [rows, cols] with columns reordered: out[r][c′] = src[r][order[c′]], into `out` (returned).
 */
function gatherColumns(src: Float64Array, rows: number, cols: number, order: Int32Array, out: Float64Array): Float64Array {
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    for (let c = 0; c < cols; c++) out[base + c] = src[base + order[c]];
  }
  return out;
}

/** The kept weights in sorted order: ws[i′][k′] = w[rowOrder[i′]][colOrder[k′]] for k′ ≥ colStart[i′]; the rest is never read. */
function gatherWeights(wd: Float64Array, plan: MaskPlan, out: Float64Array): Float64Array {
  const { fanIn, fanOut, rowOrder, colOrder, colStart } = plan;
  for (let i = 0; i < fanIn; i++) {
    const src = rowOrder[i] * fanOut;
    const dst = i * fanOut;
    for (let k = colStart[i]; k < fanOut; k++) out[dst + k] = wd[src + colOrder[k]];
  }
  return out;
}

/**
 * The staircase kernel of maskedMatmul. In sorted order, with r = plan.rowEnd and c = plan.colStart:
 *
 *   y′[b][k′]  = Σ_{i′ < r[k′]} x′[b][i′] · w′[i′][k′]            (gemmStaircase, depthEnd r)
 *   dx′[b][i′] = Σ_{k′ ≥ c[i′]} dy′[b][k′] · w′[i′][k′]           (depthStart c)
 *   dw′[i′][k′] = Σ_b x′[b][i′] · dy′[b][k′]   for i′ < r[k′] only (rowEnd r)
 *
 * where x′ = x[:, rowOrder], w′ = w[rowOrder, colOrder], dy′ = dy[:, colOrder] (copies only when an
 * order is not the identity).
 */
function structuredProduct(op: string, x: Tensor, w: Tensor, bias: Tensor | undefined, dims: MaskedDims, plan: MaskPlan): Tensor {
  const { batch, fanIn, fanOut } = dims;
  const stairs = planStairs(plan);
  const sortedWeights = (): Float64Array => {
    if (plan.rowsSorted && plan.colsSorted) return w.data;
    scratchW = grown(scratchW, fanIn * fanOut);
    return gatherWeights(w.data, plan, scratchW);
  };
  const sortedX = (): Float64Array => {
    if (plan.rowsSorted) return x.data;
    scratchX = grown(scratchX, batch * fanIn);
    return gatherColumns(x.data, batch, fanIn, plan.rowOrder, scratchX);
  };

  const y = new Float64Array(batch * fanOut);
  const forward = (): void => {
    const xs = sortedX();
    const ws = sortedWeights();
    if (plan.colsSorted) {
      // y = x′ · w′ + bias in one product: C starts from the bias row.
      gemmProduct({ m: batch, n: fanOut, k: fanIn, a: xs, b: ws, c: y, stairs: stairs.forward, bias: bias?.data });
    } else {
      scratchOut = grown(scratchOut, batch * fanOut);
      const ys = scratchOut;
      gemmStaircase(batch, fanOut, fanIn, xs, ws, ys, stairs.forward, NONE);
      const order = plan.colOrder;
      const bd = bias === undefined ? null : bias.data;
      for (let b = 0, base = 0; b < batch; b++, base += fanOut) {
        for (let k = 0; k < fanOut; k++) {
          const j = order[k];
          y[base + j] = bd === null ? ys[base + k] : ys[base + k] + bd[j];
        }
      }
    }
  };
  forward();

  const parents = bias === undefined ? [x, w] : [x, w, bias];
  return record(op, y, [batch, fanOut], parents, (out) => {
    const g = outGrad(out);
    let gs = g;
    if (!plan.colsSorted && (x.requiresGrad || w.requiresGrad)) {
      scratchG = grown(scratchG, batch * fanOut);
      gs = gatherColumns(g, batch, fanOut, plan.colOrder, scratchG);
    }
    if (x.requiresGrad) {
      // dx[batch, fanIn] += dy · (w ⊙ mask)ᵀ, row i′ of w′ read from column colStart[i′] on.
      const gx = x.gradData();
      const wsNow = sortedWeights();
      if (plan.rowsSorted) {
        gemmStaircase(batch, fanIn, fanOut, gs, wsNow, gx, stairs.dx, TRANS_B_ACCUMULATE);
      } else {
        scratchOut = grown(scratchOut, batch * fanIn);
        const dxs = scratchOut;
        gemmStaircase(batch, fanIn, fanOut, gs, wsNow, dxs, stairs.dx, TRANS_B);
        const order = plan.rowOrder;
        for (let b = 0, base = 0; b < batch; b++, base += fanIn) {
          for (let i = 0; i < fanIn; i++) gx[base + order[i]] += dxs[base + i];
        }
      }
    }
    if (w.requiresGrad) {
      // dw = (xᵀ · dy) ⊙ mask, computed and added only inside the staircase: the masked entries of
      // w's gradient are never touched, so they keep whatever other uses of w put there (0 if none).
      const gw = w.gradData();
      const xsNow = sortedX();
      if (plan.rowsSorted && plan.colsSorted) {
        gemmStaircase(fanIn, fanOut, batch, xsNow, gs, gw, stairs.dw, TRANS_A_ACCUMULATE);
      } else {
        scratchOut = grown(scratchOut, fanIn * fanOut);
        const dws = scratchOut;
        gemmStaircase(fanIn, fanOut, batch, xsNow, gs, dws, stairs.dw, TRANS_A);
        const { rowOrder, colOrder, colStart } = plan;
        for (let i = 0; i < fanIn; i++) {
          const dst = rowOrder[i] * fanOut;
          const src = i * fanOut;
          for (let k = colStart[i]; k < fanOut; k++) gw[dst + colOrder[k]] += dws[src + k];
        }
      }
    }
    if (bias !== undefined && bias.requiresGrad) addBiasGrad(bias.gradData(), g, batch, fanOut);
  }, forward);
}

/** db[j] += Σ_b dy[b][j] */
function addBiasGrad(gb: Float64Array, g: Float64Array, batch: number, fanOut: number): void {
  for (let b = 0, base = 0; b < batch; b++, base += fanOut) for (let j = 0; j < fanOut; j++) gb[j] += g[base + j];
}

/**
 * w ⊙ mask into `out` (returned). Copying kept weights (not multiplying by the mask) keeps masked
 * entries exactly 0 even when w is ±∞ or NaN there.
 */
function maskedWeights(op: string, w: Tensor, mask: Tensor, out: Float64Array): Float64Array {
  const wd = w.data;
  const md = mask.data;
  for (let at = 0; at < md.length; at++) {
    const v = md[at];
    if (v === 1) out[at] = wd[at];
    else if (v === 0) out[at] = 0;
    else throw badMaskEntry(op, mask, at);
  }
  return out;
}

/** The dense kernel: the whole product on w ⊙ mask, zeros included (2·batch·fanIn·fanOut flops per product). */
function denseProduct(op: string, x: Tensor, w: Tensor, mask: Tensor, bias: Tensor | undefined, dims: MaskedDims): Tensor {
  const { batch, fanIn, fanOut } = dims;
  const xd = x.data;
  const md = mask.data;
  const y = new Float64Array(batch * fanOut);
  const forward = (): void => {
    scratchW = grown(scratchW, fanIn * fanOut);
    const wm = maskedWeights(op, w, mask, scratchW);
    gemmProduct({ m: batch, n: fanOut, k: fanIn, a: xd, b: wm, c: y, bias: bias?.data });
  };
  forward();
  const parents = bias === undefined ? [x, w] : [x, w, bias];
  return record(op, y, [batch, fanOut], parents, (out) => {
    const g = outGrad(out);
    if (x.requiresGrad) {
      // dx[batch, fanIn] += dy[batch, fanOut] · (w ⊙ mask)ᵀ; the scratch may hold another layer's weights by now.
      scratchW = grown(scratchW, fanIn * fanOut);
      gemm(batch, fanIn, fanOut, g, maskedWeights(op, w, mask, scratchW), x.gradData(), TRANS_B_ACCUMULATE);
    }
    if (w.requiresGrad) {
      // dw = (xᵀ · dy) ⊙ mask, added only where the mask is 1: other uses of w may have left gradient
      // in the masked entries, which must survive.
      const gw = w.gradData();
      scratchOut = grown(scratchOut, fanIn * fanOut);
      const dw = scratchOut;
      gemm(fanIn, fanOut, batch, xd, g, dw, TRANS_A);
      for (let at = 0; at < fanIn * fanOut; at++) if (md[at] !== 0) gw[at] += dw[at];
    }
    if (bias !== undefined && bias.requiresGrad) addBiasGrad(bias.gradData(), g, batch, fanOut);
  }, forward);
}
