// One-pass sampling of a MAF layer driven by MADE: walks the degrees once, computing every hidden unit and every output exactly once.
import { broadcastShapes } from '../autodiff/broadcast.js';
import { gemm } from '../autodiff/kernels/gemm.js';
import { mulExpValue } from '../autodiff/ops/binary.js';
import { broadcastTo } from '../autodiff/ops/shape.js';
import { relu } from '../autodiff/ops/unary.js';
import { isGradEnabled, noGrad, Tensor } from '../autodiff/tensor.js';
import { assert } from '../lib/util/errors.js';
import { fmt, sameShape } from '../lib/util/shape.js';
import { getActivation } from './activations.js';
import { AutoregressiveNetwork } from './autoregressive-network.js';
import type { ForwardResult } from './bijectors/bijector.js';
import { softClampValue, type LogScaleClamp } from './bijectors/log-scale-clamp.js';

/**
 * The structure of one network, sorted by degree. It depends only on the degrees and the layer
 * layout, which never change once the network is built, so it is computed once per network;
 * the weights, which training changes in place, are read afresh on every call.
 */
interface Plan {
  /** E. */
  eventSize: number;
  /** C, or 0 for a network without a conditional input. */
  conditionalSize: number;
  /** `order[t − 1]` is the input dimension of degree t (the input degrees are a permutation of 1..E). */
  order: Int32Array;
  /** One entry per masked layer, input side first; the last is the output layer. */
  layers: LayerPlan[];
  /** The activation between masked layers, and whether it can run inline (`relu`, `linear`) or needs a Tensor call. */
  act: (t: Tensor) => Tensor;
  actKind: 'relu' | 'linear' | 'tensor';
  /** Buffers of the last call, reused by the next call with the same batch size (sampling repeats one size). */
  work: Workspace | null;
  /** Set during a walk, so a re-entrant call (a user activation that samples) gets its own buffers. */
  busy: boolean;
}

/** Per-call buffers, sized for a batch of `n` rows. Every entry read is written first in each call. */
interface Workspace {
  n: number;
  /** Per masked layer: pre-activations [n, fanOut] in sorted column order. */
  z: Float64Array[];
  /** Per hidden layer: activations [n, fanOut] in sorted order (the output layer's entry is unused). */
  h: Float64Array[];
  /** Per masked layer whose columns need sorting: the sorted kernel copy [fanIn, fanOut] (else null). */
  w: Array<Float64Array | null>;
  /** The conditional term c · V [n, fanOut] in the network's column order, per layer it enters (else null). */
  cv: Array<Float64Array | null>;
  /** x in degree order [n, E]: column t − 1 holds the dimension of degree t (what the first layer reads). */
  xSorted: Float64Array;
  /** logScale [n, E] in dimension order. */
  logScale: Float64Array;
}

function makeWorkspace(plan: Plan, n: number): Workspace {
  const last = plan.layers.length - 1;
  return {
    n,
    z: plan.layers.map((l) => new Float64Array(n * l.fanOut)),
    h: plan.layers.map((l, k) => new Float64Array(k < last ? n * l.fanOut : 0)),
    w: plan.layers.map((l) => (l.colIdentity ? null : new Float64Array(l.fanIn * l.fanOut))),
    cv: plan.layers.map((l) => (l.conditional >= 0 ? new Float64Array(n * l.fanOut) : null)),
    xSorted: new Float64Array(n * plan.eventSize),
    logScale: new Float64Array(n * plan.eventSize),
  };
}

/**
 * One masked layer `z = h_prev · (W ⊙ M) + b [+ c · V]`, with its rows (units of the previous
 * layer, or inputs) and columns (its own units, or output columns) both sorted by degree.
 */
interface LayerPlan {
  fanIn: number;
  fanOut: number;
  /** Indices into `trainableWeights` of the kernel, the bias (−1 if none) and the conditional kernel (−1 if none). */
  kernel: number;
  bias: number;
  conditional: number;
  /** `colPerm[j]` is the original column of sorted column j; `colIdentity` when that is j itself. */
  colPerm: Int32Array;
  colIdentity: boolean;
  /** `rowPerm[i]` is the original row of sorted row i. */
  rowPerm: Int32Array;
  /**
   * Where sorted row i starts in the kernel data the walk reads: `rowPerm[i]·fanOut` in the live
   * kernel when the columns are already in degree order (rows are reached through these offsets, so
   * they never need a copy), else `i·fanOut` in the sorted copy.
   */
  rowOffset: Int32Array;
  /**
   * For a hidden layer: `groupStart[t]` is the first sorted unit of degree ≥ t (t = 0 … E + 1), so
   * the units of degree t are `[groupStart[t], groupStart[t + 1])`. Unused for the output layer.
   */
  groupStart: Int32Array;
  /**
   * Sorted row i feeds the sorted columns `[rowColStart[i], colEnd)`: its degree's suffix, which is
   * exactly the row's support in the mask (units of degree ≥ m(i), or outputs of degree > m(i)).
   */
  rowColStart: Int32Array;
  /**
   * One past the last column ever needed: for a hidden layer the units of degree < E (a unit of
   * degree E could only feed units of degree ≥ E and outputs of degree > E, and no output has one);
   * for the output layer 2E.
   */
  colEnd: number;
}

const plans = new WeakMap<AutoregressiveNetwork, Plan | null>();

/** The network's plan, built on first use; null when its structure is not MADE's (then the caller keeps the E-pass loop). */
function planOf(network: AutoregressiveNetwork): Plan | null {
  let plan = plans.get(network);
  if (plan === undefined) {
    plan = makePlan(network);
    plans.set(network, plan);
  }
  return plan;
}

/** Stable counting sort of units by degree: the permutation and the group starts (degrees must lie in [0, E]). */
function sortByDegree(degrees: readonly number[], E: number): { perm: Int32Array; groupStart: Int32Array } | null {
  const count = new Int32Array(E + 2);
  for (const m of degrees) {
    if (!Number.isInteger(m) || m < 0 || m > E) return null;
    count[m + 1]++;
  }
  const groupStart = new Int32Array(E + 2);
  for (let t = 1; t <= E + 1; t++) groupStart[t] = groupStart[t - 1] + count[t];
  const next = groupStart.slice();
  const perm = new Int32Array(degrees.length);
  degrees.forEach((m, k) => { perm[next[m]++] = k; });
  return { perm, groupStart };
}

function isIdentity(perm: Int32Array): boolean {
  for (let i = 0; i < perm.length; i++) if (perm[i] !== i) return false;
  return true;
}

function makePlan(network: AutoregressiveNetwork): Plan | null {
  if (network.params !== 2) return null;
  const E = network.eventSize;
  const config = network.getConfig();
  const inputOrder = network.inputOrder;
  const hiddenDegrees = network.hiddenDegrees;
  const C = network.conditional ? (network.conditionalEventShape as readonly number[])[0] : 0;

  const order = new Int32Array(E);
  const seen = new Uint8Array(E + 1);
  for (let d = 0; d < E; d++) {
    const m = inputOrder[d];
    if (!Number.isInteger(m) || m < 1 || m > E || seen[m] === 1) return null;
    seen[m] = 1;
    order[m - 1] = d;
  }
  const hidden: Array<{ degrees: readonly number[]; perm: Int32Array; groupStart: Int32Array }> = [];
  for (const degrees of hiddenDegrees) {
    const sorted = sortByDegree(degrees, E);
    if (sorted === null) return null;
    hidden.push({ degrees, ...sorted });
  }

  // Weights in getWeights order: per masked layer, kernel, bias (if useBias), conditional kernel (if it enters there).
  const layers: LayerPlan[] = [];
  let w = 0;
  const L = hiddenDegrees.length;
  for (let l = 0; l <= L; l++) {
    const kernel = w++;
    const bias = network.useBias ? w++ : -1;
    const conditional = network.conditional && (network.conditionalInputLayers === 'all_layers' || l === 0) ? w++ : -1;
    // Rows: the previous layer's units (or the inputs) in degree order, with their degrees.
    const rowPerm = l === 0 ? order : hidden[l - 1].perm;
    const rowDegree = (i: number): number => (l === 0 ? i + 1 : hidden[l - 1].degrees[rowPerm[i]]);
    const fanIn = rowPerm.length;
    let colPerm: Int32Array;
    let groupStart: Int32Array;
    let colEnd: number;
    const rowColStart = new Int32Array(fanIn);
    if (l < L) {
      ({ perm: colPerm, groupStart } = hidden[l]);
      colEnd = groupStart[E];
      // Hidden mask: unit k sees row i iff m(i) ≤ m(k), i.e. the units of degree ≥ m(i).
      for (let i = 0; i < fanIn; i++) rowColStart[i] = groupStart[rowDegree(i)];
    } else {
      // Output column 2(t − 1) + p (sorted) is parameter p of the dimension of degree t, originally column 2·d + p.
      colPerm = new Int32Array(2 * E);
      for (let t = 1; t <= E; t++) {
        colPerm[2 * (t - 1)] = 2 * order[t - 1];
        colPerm[2 * (t - 1) + 1] = 2 * order[t - 1] + 1;
      }
      groupStart = new Int32Array(0);
      colEnd = 2 * E;
      // Output mask: column of dimension d sees row i iff m(i) < m(d), i.e. the dimensions of degree > m(i).
      for (let i = 0; i < fanIn; i++) rowColStart[i] = Math.min(2 * E, 2 * rowDegree(i));
    }
    const fanOut = colPerm.length;
    const colIdentity = isIdentity(colPerm);
    const rowOffset = new Int32Array(fanIn);
    for (let i = 0; i < fanIn; i++) rowOffset[i] = (colIdentity ? rowPerm[i] : i) * fanOut;
    layers.push({ fanIn, fanOut, kernel, bias, conditional, colPerm, colIdentity, rowPerm, rowOffset, groupStart, rowColStart, colEnd });
  }
  if (network.trainableWeights.length !== w) return null;
  const act = getActivation(config.activation);
  const actKind = act === relu ? 'relu' : config.activation === 'linear' ? 'linear' : 'tensor';
  return { eventSize: E, conditionalSize: C, order, layers, act, actKind, work: null, busy: false };
}

/**
 * The sampling direction of a MAF layer whose `shiftAndLogScaleFn` is an
 * {@link AutoregressiveNetwork}, in one walk over the degrees instead of E network passes:
 *
 *   x_d = u_d · exp(logScale_d(x)) + shift_d(x),     logDet = Σ_d logScale_d(x)
 *
 * Hidden unit k depends only on inputs of degree ≤ m(k), and the outputs of dimension d only on
 * last-layer units of degree < m(d). So with every unit sorted by degree, and each layer's
 * pre-activations `z` started at `b [+ c · V]`, for t = 1 … E:
 *
 *   1. the outputs of the dimension d of degree t are complete: x_d = u_d · exp(logScale_d) + shift_d;
 *   2. x_d is added into the first layer's units of degree ≥ t (its row of W ⊙ M);
 *   3. layer by layer, the units of degree t are now complete: h = act(z), added into the next
 *      layer's units of degree ≥ t, or into the outputs of the dimensions of degree > t.
 *
 * (Units of degree 0, which see no input, are completed before step 1.) Each step is a small dense
 * product [batch, units of degree t] · [units of degree t, the rest of the layer], the block of the
 * mask that is all ones, so every unmasked weight is used once per batch row: the cost of one
 * forward pass, against E passes for the recursion of `MaskedAutoregressiveFlow.forwardReference`
 * (which the spec holds it equal to, up to rounding). Inputs at 0 (relu units at 0) are skipped: their
 * products are 0.
 *
 * No graph is recorded. The caller falls back to the E-pass recursion when gradients may be wanted
 * (this returns null then), and whenever the network cannot be walked this way, so every error is
 * the recursion's own.
 *
 * @param network - the layer's network (`params` 2: column 2d is shift_d, column 2d + 1 logScale_d);
 *   built here from `u` if it is not yet
 * @param u - base point, shape [...batch, E]
 * @param conditionalInput - shape [...condBatch, C], iff the network is conditional; the batch
 *   shapes broadcast (NumPy rules), as in {@link AutoregressiveNetwork.call}
 * @returns `y` [...broadcast(batch, condBatch), E] and `logDet` [...broadcast(batch, condBatch)];
 *   or null when grad mode is on and a weight, `u` or `conditionalInput` requires a gradient, when
 *   the inputs are malformed (wrong last dimension, a missing or unexpected conditional input,
 *   batch shapes that do not broadcast), or when the network's structure is not MADE's
 * @throws ValueError when a user activation does not return a Tensor of its input's shape
 *
 * Cost: O(batch · Σ unmasked weights), plus O(Σ weights) to copy a layer whose columns are not
 * already in degree order (hidden degrees 'random', or an input order other than left-to-right
 * for the output layer); left-to-right order with 'equal' degrees copies nothing.
 *
 * @see Papamakarios et al. 2017, MAF, https://arxiv.org/abs/1705.07057 (sampling needs E passes there)
 * @see Germain et al. 2015, MADE, https://arxiv.org/abs/1502.03509
 */
export function onePassForward(
  network: AutoregressiveNetwork, u: Tensor, conditionalInput?: unknown, logScaleClamp: LogScaleClamp | null = null,
): ForwardResult | null {
  if (!(u instanceof Tensor) || u.rank < 1) return null;
  if (!network.built) network.build(u.shape);
  const plan = planOf(network);
  if (plan === null) return null;
  const E = plan.eventSize;
  if (u.shape[u.rank - 1] !== E) return null;
  const weights = network.trainableWeights;
  const c = conditionalInput;
  if (network.conditional) {
    if (!(c instanceof Tensor) || c.rank < 1 || c.shape[c.rank - 1] !== plan.conditionalSize) return null;
  } else if (c !== undefined) {
    return null;
  }
  // Gradients through sampling need the recorded recursion; this walk records nothing.
  if (gradientWanted(network, u, c)) return null;

  const uBatch = u.shape.slice(0, -1);
  let batch = uBatch;
  if (c instanceof Tensor) {
    try {
      batch = broadcastShapes('onePassForward', uBatch, c.shape.slice(0, -1));
    } catch {
      return null;
    }
  }
  let n = 1;
  for (const s of batch) n *= s;
  const uData = sameShape(uBatch, batch) ? u.data : noGrad(() => broadcastTo(u, [...batch, E])).data;
  let cData: Float64Array | null = null;
  if (c instanceof Tensor) {
    const C = plan.conditionalSize;
    cData = sameShape(c.shape.slice(0, -1), batch) ? c.data : noGrad(() => broadcastTo(c, [...batch, C])).data;
  }
  let work = plan.work;
  if (plan.busy || work === null || work.n !== n) {
    work = makeWorkspace(plan, n);
    if (!plan.busy) plan.work = work;
  }
  const y = new Float64Array(n * E);
  const wasBusy = plan.busy;
  plan.busy = true;
  try {
    walk(plan, work, weights, n, uData, cData, y, logScaleClamp);
  } finally {
    plan.busy = wasBusy;
  }
  // Σ_d logScale_d in dimension order, as the recursion's sum over the event.
  const logScale = work.logScale;
  const logDet = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let d = 0, o = b * E; d < E; d++, o++) s += logScale[o];
    logDet[b] = s;
  }
  return { y: new Tensor(y, [...batch, E]), logDet: new Tensor(logDet, batch) };
}

/**
 * Whether an op on these inputs would record a graph: grad mode is on and a weight of the network,
 * or one of `inputs` (Tensors; anything else is ignored), requires a gradient. When false, a
 * graph-free shortcut gives the caller everything the ops would.
 *
 * @param network - a built network
 * @param inputs - the other inputs of the computation (e.g. the point and the conditional input)
 */
export function gradientWanted(network: AutoregressiveNetwork, ...inputs: readonly unknown[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t instanceof Tensor && t.requiresGrad) return true;
  for (const w of network.trainableWeights) if (w.requiresGrad) return true;
  return false;
}

/**
 * The walk on flat data: `u` [n, E], `c` [n, C]; writes `y` [n, E] and `work.logScale` [n, E],
 * both in dimension order.
 */
function walk(
  plan: Plan, work: Workspace, weights: readonly Tensor[], n: number, u: Float64Array, c: Float64Array | null, y: Float64Array,
  clamp: LogScaleClamp | null,
): void {
  const E = plan.eventSize;
  const layers = plan.layers;
  const L = layers.length - 1;
  // The kernel each layer reads (columns in degree order), and its accumulators started at b [+ c · V].
  const kernels: Float64Array[] = [];
  for (let l = 0; l <= L; l++) kernels.push(prepareLayer(layers[l], work, l, weights, n, c, plan.conditionalSize));
  const { z, h, xSorted, logScale } = work;
  const out = z[L];
  const order = plan.order;
  for (let t = 0; t <= E; t++) {
    if (t >= 1) {
      // The dimension of degree t: its shift and logScale have seen every unit of degree < t.
      const d = order[t - 1];
      for (let b = 0; b < n; b++) {
        const o = b * 2 * E + 2 * (t - 1);
        // The same scalar steps as the density pass (soft clamp, then a·e^ls), so the bits agree.
        const ls = clamp === null ? out[o + 1] : softClampValue(out[o + 1], clamp.min, clamp.max);
        const x = mulExpValue(u[b * E + d], ls) + out[o];
        y[b * E + d] = x;
        logScale[b * E + d] = ls;
        xSorted[b * E + t - 1] = x;
      }
      if (t === E) break;
      const first = layers[0];
      push(n, xSorted, E, t - 1, t, kernels[0], first.rowOffset, z[0], first.fanOut, first.rowColStart[t - 1], first.colEnd);
    }
    for (let l = 0; l < L; l++) {
      const layer = layers[l];
      const g0 = layer.groupStart[t];
      const g1 = layer.groupStart[t + 1];
      if (g0 === g1) continue;
      activate(plan, z[l], h[l], layer.fanOut, n, g0, g1);
      const next = layers[l + 1];
      push(n, h[l], layer.fanOut, g0, g1, kernels[l + 1], next.rowOffset, z[l + 1], next.fanOut, next.rowColStart[g0], next.colEnd);
    }
  }
}

/**
 * Readies masked layer `l` for the walk: returns the kernel data to read through `rowOffset` (the
 * live kernel when its columns are already in degree order, else a sorted copy of the part the walk
 * reads) and starts the accumulators `work.z[l]` at the bias and the conditional term.
 */
function prepareLayer(layer: LayerPlan, work: Workspace, l: number, weights: readonly Tensor[], n: number, c: Float64Array | null, C: number): Float64Array {
  const { fanIn, fanOut, colPerm, rowPerm, rowColStart, colEnd } = layer;
  const kernel = weights[layer.kernel].data;
  let w = kernel;
  const copy = work.w[l];
  if (copy !== null) {
    // Only each row's support (its degree's suffix) is ever read, so only that part is copied.
    // The copy is made on every call: training changes the weights in place.
    w = copy;
    for (let i = 0; i < fanIn; i++) {
      const src = rowPerm[i] * fanOut;
      const dst = i * fanOut;
      for (let j = rowColStart[i]; j < colEnd; j++) w[dst + j] = kernel[src + colPerm[j]];
    }
  }
  const z = work.z[l];
  const bias = layer.bias >= 0 ? weights[layer.bias].data : null;
  const cv = work.cv[l];
  if (cv !== null) {
    // c · V over every column, in the network's order, then moved to sorted order with the bias.
    gemm(n, fanOut, C, c as Float64Array, weights[layer.conditional].data, cv);
    for (let b = 0; b < n; b++) {
      const o = b * fanOut;
      for (let j = 0; j < colEnd; j++) z[o + j] = (bias === null ? 0 : bias[colPerm[j]]) + cv[o + colPerm[j]];
    }
  } else if (bias !== null) {
    for (let j = 0; j < colEnd; j++) z[j] = bias[colPerm[j]];
    // A plain loop: for the short rows of small networks, copyWithin's call costs more than the copy.
    for (let b = 1; b < n; b++) for (let j = 0, o = b * fanOut; j < colEnd; j++) z[o + j] = z[j];
  } else {
    z.fill(0);
  }
  return w;
}

// The non-zero inputs of one batch row within a group and their kernel rows (push's scratch, grown as needed).
let nzValue = new Float64Array(64);
let nzRow = new Int32Array(64);

/**
 * `z[:, s:e] += a[:, r0:r1] · W[r0:r1, s:e]` (sorted rows and columns, row i of W at
 * `w[rowOffset[i]]`): the units of one degree added into every unit they feed. `a` is [n, lda] and
 * `z` [n, ldz]. Per batch row, the inputs that are 0 (half of a relu layer) are dropped, since their
 * products are 0, and the rest are taken four at a time, so `z` is read and written once per four
 * kernel rows.
 */
function push(n: number, a: Float64Array, lda: number, r0: number, r1: number,
  w: Float64Array, rowOffset: Int32Array, z: Float64Array, ldz: number, s: number, e: number): void {
  if (s >= e) return;
  if (nzValue.length < r1 - r0) {
    nzValue = new Float64Array(r1 - r0);
    nzRow = new Int32Array(r1 - r0);
  }
  const value = nzValue;
  const row = nzRow;
  for (let b = 0; b < n; b++) {
    let m = 0;
    for (let i = r0, ai = b * lda + r0; i < r1; i++, ai++) {
      const v = a[ai];
      if (v !== 0) {
        value[m] = v;
        row[m++] = rowOffset[i];
      }
    }
    const zo = b * ldz;
    let k = 0;
    for (; k + 3 < m; k += 4) {
      const a0 = value[k], a1 = value[k + 1], a2 = value[k + 2], a3 = value[k + 3];
      const w0 = row[k] - zo, w1 = row[k + 1] - zo, w2 = row[k + 2] - zo, w3 = row[k + 3] - zo;
      for (let j = zo + s, end = zo + e; j < end; j++) z[j] += a0 * w[w0 + j] + a1 * w[w1 + j] + a2 * w[w2 + j] + a3 * w[w3 + j];
    }
    if (k + 1 < m) {
      const a0 = value[k], a1 = value[k + 1];
      const w0 = row[k] - zo, w1 = row[k + 1] - zo;
      for (let j = zo + s, end = zo + e; j < end; j++) z[j] += a0 * w[w0 + j] + a1 * w[w1 + j];
      k += 2;
    }
    if (k < m) {
      const a0 = value[k];
      const w0 = row[k] - zo;
      for (let j = zo + s, end = zo + e; j < end; j++) z[j] += a0 * w[w0 + j];
    }
  }
}

/** `h[:, g0:g1] = act(z[:, g0:g1])` (both [n, width]): the units of one degree, now complete. */
function activate(plan: Plan, z: Float64Array, h: Float64Array, width: number, n: number, g0: number, g1: number): void {
  if (plan.actKind === 'relu') {
    // The same expression as the relu op (autodiff/ops/unary.ts), so values match it bit for bit.
    for (let b = 0; b < n; b++) {
      for (let k = b * width + g0, end = b * width + g1; k < end; k++) h[k] = z[k] > 0 ? z[k] : 0;
    }
    return;
  }
  if (plan.actKind === 'linear') {
    for (let b = 0; b < n; b++) h.set(z.subarray(b * width + g0, b * width + g1), b * width + g0);
    return;
  }
  // Any other activation runs as the network runs it, on a Tensor [n, units of this degree]; MADE
  // needs it elementwise, so applying it block by block gives the same values.
  const g = g1 - g0;
  const block = new Float64Array(n * g);
  for (let b = 0; b < n; b++) block.set(z.subarray(b * width + g0, b * width + g1), b * g);
  const input = new Tensor(block, [n, g]);
  const result = noGrad(() => plan.act(input));
  assert(result instanceof Tensor && sameShape(result.shape, input.shape),
    () => `onePassForward: the network's activation returned ${result instanceof Tensor ? `shape ${fmt(result.shape)}` : String(result)} for an input of shape ${fmt(input.shape)}; an activation must be elementwise`);
  for (let b = 0; b < n; b++) h.set(result.data.subarray(b * g, (b + 1) * g), b * width + g0);
}
