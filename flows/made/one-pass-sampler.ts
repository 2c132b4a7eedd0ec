// One-pass sampling of a masked autoregressive flow layer driven by MADE: walks the degrees once, computing every hidden unit and every output exactly once, for any transform family.
import { broadcastShapes } from '../../autodiff/broadcast.js';
import { resolveGemmBackend } from '../../autodiff/kernels/config.js';
import { gemm } from '../../autodiff/kernels/gemm.js';
import { axpyKernel, type AxpyKernel } from '../../autodiff/kernels/wasm/axpy-kernel.js';
import { broadcastTo } from '../../autodiff/ops/shape.js';
import { relu } from '../../autodiff/ops/unary.js';
import { isGradEnabled, noGrad, Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { fmt, sameShape } from '../../lib/util/shape.js';
import { getActivation } from './activations.js';
import { AutoregressiveNetwork, type NetworkStructure } from './autoregressive-network.js';
import { affineFamily } from '../transforms/affine.js';
import type { TransformFamily } from '../transforms/family.js';

/**
 * The walk's view of one network, every layer's units sorted by degree. It depends only on the
 * network's structure, which never changes once the network is built, so it is computed once per
 * network; the weights, which training changes in place, are read afresh on every call.
 */
interface Plan {
  /** E. */
  eventSize: number;
  /** P, outputs per dimension. */
  params: number;
  /** C, or 0 for a network without a conditional input. */
  conditionalSize: number;
  /** `order[t − 1]` is the input dimension of degree t (the input degrees are a permutation of 1..E). */
  order: Int32Array;
  /** One entry per masked layer, in the order they run; the last is the output layer. */
  layers: LayerPlan[];
  /** `readers[k + 1]`: the layers that read layer k (`readers[0]`: those that read the input x). */
  readers: number[][];
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
  /** Per masked layer: the accumulated product (pre-residual) [n, fanOut] in sorted column order. */
  z: Float64Array[];
  /** Per masked layer: its output, `z` plus the residual layer's output (the same buffer as `z` without one). */
  out: Float64Array[];
  /** Per hidden layer read through the activation: act(out) [n, fanOut] (else an empty array). */
  a: Float64Array[];
  /** Per masked layer whose columns need sorting: the sorted kernel copy [fanIn, fanOut] (else null; the SIMD walk copies every layer, see simdWorkspace). */
  w: Array<Float64Array | null>;
  /** The conditional term c · V [n, fanOut] in the network's column order, per layer it enters (else null). */
  cv: Array<Float64Array | null>;
  /** x in degree order [n, E]: column t − 1 holds the dimension of degree t (what the input layers read). */
  xSorted: Float64Array;
}

function makeWorkspace(plan: Plan, n: number): Workspace {
  const last = plan.layers.length - 1;
  const z = plan.layers.map((l) => new Float64Array(n * l.fanOut));
  return {
    n,
    z,
    out: plan.layers.map((l, k) => (l.residual >= 0 ? new Float64Array(n * l.fanOut) : z[k])),
    a: plan.layers.map((l, k) => new Float64Array(k < last && l.activated ? n * l.fanOut : 0)),
    w: plan.layers.map((l) => (l.colIdentity ? null : new Float64Array(l.fanIn * l.fanOut))),
    cv: plan.layers.map((l) => (l.conditional >= 0 ? new Float64Array(n * l.fanOut) : null)),
    xSorted: new Float64Array(n * plan.eventSize),
  };
}

/**
 * One masked layer `z = src · (W ⊙ M) + b [+ c · V] [+ residual]`, with its rows (the source's units,
 * or inputs) and columns (its own units, or output columns) both sorted by degree.
 */
interface LayerPlan {
  fanIn: number;
  fanOut: number;
  /** Indices into `trainableWeights` of the kernel, the bias (−1 if none) and the conditional kernel (−1 if none). */
  kernel: number;
  bias: number;
  conditional: number;
  /** The layer it reads (−1: the input x), whether through the activation, and the layer added to it (−1: none). */
  source: number;
  activateSource: boolean;
  residual: number;
  /** Whether some layer reads this one through the activation (then `Workspace.a` holds act(out)). */
  activated: boolean;
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
   * for the output layer P·E.
   */
  colEnd: number;
}

// One plan per mask set of a network (`numMasks` > 1 gives each mask its own degrees and wiring).
const plans = new WeakMap<AutoregressiveNetwork, Array<Plan | null | undefined>>();

/**
 * The plan of the network's selected mask, built on first use; null when its structure cannot be
 * walked (then the caller keeps the E-pass loop).
 */
function planOf(network: AutoregressiveNetwork): Plan | null {
  let perMask = plans.get(network);
  if (perMask === undefined) {
    perMask = [];
    plans.set(network, perMask);
  }
  let plan = perMask[network.maskIndex];
  if (plan === undefined) {
    plan = makePlan(network.structure(), network.trainableWeights.length);
    perMask[network.maskIndex] = plan;
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

/**
 * The plan of a network, from the structure it reports (`AutoregressiveNetwork.structure`): nothing
 * about MADE's weight order or mask rules is re-derived here.
 */
function makePlan(structure: NetworkStructure, weightCount: number): Plan | null {
  const { eventSize: E, params: P, conditionalSize: C, inputDegrees } = structure;
  const order = new Int32Array(E);
  const seen = new Uint8Array(E + 1);
  for (let d = 0; d < E; d++) {
    const m = inputDegrees[d];
    if (!Number.isInteger(m) || m < 1 || m > E || seen[m] === 1) return null;
    seen[m] = 1;
    order[m - 1] = d;
  }
  const last = structure.layers.length - 1;
  const layers: LayerPlan[] = [];
  const readers: number[][] = structure.layers.map(() => []);
  readers.push([]);
  for (let k = 0; k <= last; k++) {
    const s = structure.layers[k];
    if (s.source >= k || s.source < -1 || s.residual >= k || s.strict !== (k === last)) return null;
    readers[s.source + 1].push(k);
    const src = s.source < 0 ? null : layers[s.source];
    // Rows: the source's units (or the inputs) in degree order, with their degrees.
    const rowPerm = src === null ? order : src.colPerm;
    const srcDegrees = src === null ? null : structure.layers[s.source].degrees;
    const rowDegree = (i: number): number => (srcDegrees === null ? i + 1 : srcDegrees[rowPerm[i]]);
    const fanIn = rowPerm.length;
    let colPerm: Int32Array;
    let groupStart: Int32Array;
    let colEnd: number;
    const rowColStart = new Int32Array(fanIn);
    if (k < last) {
      const sorted = sortByDegree(s.degrees, E);
      if (sorted === null) return null;
      ({ perm: colPerm, groupStart } = sorted);
      colEnd = groupStart[E];
      // Hidden mask: unit j sees row i iff m(i) ≤ m(j), i.e. the units of degree ≥ m(i).
      for (let i = 0; i < fanIn; i++) rowColStart[i] = groupStart[rowDegree(i)];
    } else {
      // Output column P(t − 1) + p (sorted) is parameter p of the dimension of degree t, originally column P·d + p.
      colPerm = new Int32Array(P * E);
      for (let t = 1; t <= E; t++) for (let p = 0; p < P; p++) colPerm[P * (t - 1) + p] = P * order[t - 1] + p;
      groupStart = new Int32Array(0);
      colEnd = P * E;
      // Output mask: the columns of dimension d see row i iff m(i) < m(d), i.e. the dimensions of degree > m(i).
      for (let i = 0; i < fanIn; i++) rowColStart[i] = Math.min(P * E, P * rowDegree(i));
    }
    const fanOut = colPerm.length;
    if (s.mask.shape[0] !== fanIn || s.mask.shape[1] !== fanOut) return null;
    // A residual sum adds unit by unit in sorted order, so both layers must sort alike.
    if (s.residual >= 0 && !sameOrder(layers[s.residual].colPerm, colPerm)) return null;
    const colIdentity = isIdentity(colPerm);
    const rowOffset = new Int32Array(fanIn);
    for (let i = 0; i < fanIn; i++) rowOffset[i] = (colIdentity ? rowPerm[i] : i) * fanOut;
    layers.push({
      fanIn, fanOut, kernel: s.kernel, bias: s.bias, conditional: s.conditional, source: s.source, activateSource: s.activateSource,
      residual: s.residual, activated: false, colPerm, colIdentity, rowPerm, rowOffset, groupStart, rowColStart, colEnd,
    });
    if (src !== null && s.activateSource) src.activated = true;
  }
  const used = Math.max(...layers.flatMap((l) => [l.kernel, l.bias, l.conditional])) + 1;
  if (used !== weightCount) return null;
  const act = getActivation(structure.activation);
  const actKind = act === relu ? 'relu' : structure.activation === 'linear' ? 'linear' : 'tensor';
  return { eventSize: E, params: P, conditionalSize: C, order, layers, readers, act, actKind, work: null, busy: false };
}

function sameOrder(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The sampling direction of a masked autoregressive flow layer driven by an
 * {@link AutoregressiveNetwork}, in one walk over the degrees instead of E network passes:
 *
 *   x_d = f(u_d; θ_d(x)),     logDet = Σ_d log f'(u_d; θ_d(x))
 *
 * for the transform family f (TFP's affine one by default: x_d = u_d · exp(logScale_d) + shift_d).
 * Hidden unit k depends only on inputs of degree ≤ m(k), and the θ of dimension d only on the
 * last layer's units of degree < m(d). So with every unit sorted by degree, and each layer's
 * accumulators `z` started at `b [+ c · V]`, for t = 1 … E:
 *
 *   1. θ of the dimension d of degree t is complete: x_d = f(u_d; θ_d), the family's forward map
 *      (step 1 is a callback, `CompleteDimension`: `onePassDraw` draws x_d from a conditional instead);
 *   2. x_d is added into the units of degree ≥ t of every layer that reads the input;
 *   3. layer by layer, in the order the network runs them, the units of degree t are now complete:
 *      out = z (+ the residual layer's units of degree t), then act(out) where a layer reads it so;
 *      this is added into the units of degree ≥ t of every layer that reads it, or into the θ of
 *      the dimensions of degree > t.
 *
 * (Units of degree 0, which see no input, are completed before step 1.) Each step is a small dense
 * product [batch, units of degree t] · [units of degree t, the rest of the layer], the block of the
 * mask that is all ones, so every unmasked weight is used once per batch row: the cost of one
 * forward pass, against E passes for the recursion of `MaskedAutoregressiveFlow.forwardReference`
 * (which the spec holds it equal to, up to rounding). Inputs at 0 (relu units at 0) are skipped:
 * their products are 0. The walk reads the network's wiring, weights and degrees from
 * `network.structure()`, so residual blocks and conditional inputs need nothing special here.
 *
 * No graph is recorded. The caller falls back to the E-pass recursion when gradients may be wanted
 * (this returns null then), and whenever the network cannot be walked this way, so every error is
 * the recursion's own.
 *
 * @param network - the layer's network (`params` = the family's P: θ of dimension d in columns
 *   `d·P … d·P + P − 1`); built here from `u` if it is not yet
 * @param u - base point, shape [...batch, E]
 * @param conditionalInput - shape [...condBatch, C], iff the network is conditional; the batch
 *   shapes broadcast (NumPy rules), as in {@link AutoregressiveNetwork.call}
 * @param family - the transform family; default TFP's affine one
 * @returns `y` [...broadcast(batch, condBatch), E] and `logDet` [...broadcast(batch, condBatch)];
 *   or null when grad mode is on and a weight, `u` or `conditionalInput` requires a gradient, when
 *   the inputs are malformed (wrong last dimension, a missing or unexpected conditional input,
 *   batch shapes that do not broadcast), when the network's `params` is not the family's P, or
 *   when the network's structure cannot be walked
 * @throws ValueError when a user activation does not return a Tensor of its input's shape
 *
 * Cost: O(batch · Σ unmasked weights) plus O(batch · E) calls of the family's forward map, plus
 * O(Σ weights) to copy a layer whose columns are not already in degree order (hidden degrees
 * 'random', or an input order other than left-to-right for the output layer); with the
 * WebAssembly SIMD push (gemm backend 'wasm-simd', or 'auto' where SIMD runs) every layer is copied
 * into the kernel's memory, and the results are the same bits as the JavaScript push's.
 *
 * @see Papamakarios et al. 2017, MAF, https://arxiv.org/abs/1705.07057 (sampling needs E passes there)
 * @see Germain et al. 2015, MADE, https://arxiv.org/abs/1502.03509
 */
export function onePassForward(
  network: AutoregressiveNetwork, u: Tensor, conditionalInput?: unknown, family: TransformFamily = AFFINE,
): {
  /** The sample x = f(u), shape [...broadcast(batch, condBatch), E]. */
  y: Tensor;
  /** log|det ∂x/∂u| per row, shape [...broadcast(batch, condBatch)]. */
  logDet: Tensor;
} | null {
  if (!(u instanceof Tensor) || u.rank < 1) return null;
  if (!network.built) network.build(u.shape);
  if (network.params !== family.params) return null;
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
  const logDeriv = new Float64Array(n * E);
  // Step 1 of the walk for a flow: x_d = f(u_d; θ_d), the family's forward map, and log f'.
  const y = runWalk(plan, weights, n, cData, (d, theta, rowStride, offset, x) => {
    for (let b = 0; b < n; b++) {
      family.forward(uData[b * E + d], theta, b * rowStride + offset, pair);
      x[b * E + d] = pair[0];
      logDeriv[b * E + d] = pair[1];
    }
  });
  // Σ_d log f'_d in dimension order, as the recursion's sum over the event.
  const logDet = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let d = 0, o = b * E; d < E; d++, o++) s += logDeriv[o];
    logDet[b] = s;
  }
  return { y: new Tensor(y, [...batch, E]), logDet: new Tensor(logDet, batch) };
}

const AFFINE = affineFamily();

/**
 * Step 1 of the degree walk, for one dimension: dimension `d`'s parameters θ are complete for every
 * row, θ_bd at `theta[b · rowStride + offset + p]` (p = 0 … P − 1); the callback writes the value
 * x_bd of that dimension to `x[b · E + d]` for every row b (the flow's forward map, or a draw from
 * the conditional the θ define). The walk then feeds x_d to the units that read it.
 */
export type CompleteDimension = (d: number, theta: Float64Array, rowStride: number, offset: number, x: Float64Array) => void;

/**
 * Draws from an autoregressive model whose conditionals a non-conditional {@link AutoregressiveNetwork}
 * parameterises, in one walk over the degrees (see {@link onePassForward}): for t = 1 … E, the
 * dimension of degree t gets its value from `complete` as soon as its θ are complete.
 *
 * @param network - a built, non-conditional network, walked with its selected mask
 * @param n - the number of rows to draw
 * @param complete - writes dimension d's value for every row from its θ (see {@link CompleteDimension})
 * @returns the values `[n, E]` (row-major, dimension order); null when the network is conditional,
 *   when grad mode is on and a weight requires a gradient, or when its structure cannot be walked
 * @internal
 */
export function onePassDraw(network: AutoregressiveNetwork, n: number, complete: CompleteDimension): Float64Array | null {
  if (!network.built || network.conditional || gradientWanted(network)) return null;
  const plan = planOf(network);
  return plan === null ? null : runWalk(plan, network.trainableWeights, n, null, complete);
}

/** Runs {@link walk} with the plan's buffers (or fresh ones for a re-entrant call) and returns x `[n, E]`. */
function runWalk(plan: Plan, weights: readonly Tensor[], n: number, cData: Float64Array | null, complete: CompleteDimension): Float64Array {
  let work = plan.work;
  if (plan.busy || work === null || work.n !== n) {
    work = makeWorkspace(plan, n);
    if (!plan.busy) plan.work = work;
  }
  const x = new Float64Array(n * plan.eventSize);
  const wasBusy = plan.busy;
  plan.busy = true;
  // The SIMD push needs W and z in the kernel's memory; a walk started inside another (a user
  // activation that samples) finds the kernel busy and runs the JavaScript push.
  const simd = resolveGemmBackend() === 'wasm-simd' ? axpyKernel() : null;
  const useSimd = simd !== null && !simd.busy;
  if (useSimd) simd.busy = true;
  try {
    walk(plan, useSimd ? simdWorkspace(plan, work, simd) : work, weights, n, cData, x, complete, useSimd ? simd : null);
  } finally {
    plan.busy = wasBusy;
    if (useSimd) simd.busy = false;
  }
  return x;
}

/**
 * `work` with its accumulators `z` and every layer's kernel copy `w` moved into the SIMD kernel's
 * memory (fresh views on each call, as another plan's walk may have grown the memory since): the
 * layout is z of every layer, then W of every layer, each starting on a 16-byte boundary.
 */
function simdWorkspace(plan: Plan, work: Workspace, kernel: AxpyKernel): Workspace {
  const n = work.n;
  const sizes = [...plan.layers.map((l) => n * l.fanOut), ...plan.layers.map((l) => l.fanIn * l.fanOut)];
  let bytes = 0;
  for (const size of sizes) bytes += 8 * (size + (size & 1));
  kernel.reserve(bytes);
  const views: Float64Array[] = [];
  let at = 0;
  for (const size of sizes) {
    views.push(new Float64Array(kernel.memory.buffer, at, size));
    at += 8 * (size + (size & 1));
  }
  const L = plan.layers.length;
  const z = views.slice(0, L);
  return {
    ...work,
    z,
    out: plan.layers.map((l, k) => (l.residual >= 0 ? work.out[k] : z[k])),
    w: views.slice(L),
  };
}

/**
 * Whether an op on these inputs would record a graph: grad mode is on and a weight of the network,
 * or one of `inputs` (Tensors; anything else is ignored), requires a gradient. When false, a
 * graph-free shortcut gives the caller everything the ops would.
 *
 * @param network - a built network
 * @param inputs - the other inputs of the computation (e.g. the point and the conditional input)
 */
function gradientWanted(network: AutoregressiveNetwork, ...inputs: readonly unknown[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t instanceof Tensor && t.requiresGrad) return true;
  for (const w of network.trainableWeights) if (w.requiresGrad) return true;
  return false;
}

// The family's [x, L] for one element (scratch).
const pair = new Float64Array(2);

/**
 * The walk on flat data, `c` [n, C]: `complete` writes each dimension's values into `x` [n, E]
 * (dimension order) once its θ are complete.
 */
function walk(
  plan: Plan, work: Workspace, weights: readonly Tensor[], n: number, c: Float64Array | null, x: Float64Array,
  complete: CompleteDimension, simd: AxpyKernel | null = null,
): void {
  const { eventSize: E, params: P, layers, readers, order } = plan;
  const L = layers.length - 1;
  // The kernel each layer reads (columns in degree order), and its accumulators started at b [+ c · V].
  const kernels: Float64Array[] = [];
  for (let l = 0; l <= L; l++) kernels.push(prepareLayer(layers[l], work, l, weights, n, c, plan.conditionalSize));
  const { z, out, a, xSorted } = work;
  const theta = z[L];
  const thetaStride = P * E;
  for (let t = 0; t <= E; t++) {
    if (t >= 1) {
      // The dimension of degree t: its θ has seen every unit of degree < t.
      const d = order[t - 1];
      complete(d, theta, thetaStride, P * (t - 1), x);
      for (let b = 0; b < n; b++) xSorted[b * E + t - 1] = x[b * E + d];
      if (t === E) break;
      for (const r of readers[0]) {
        const next = layers[r];
        push(simd, n, xSorted, E, t - 1, t, kernels[r], next.rowOffset, z[r], next.fanOut, next.rowColStart[t - 1], next.colEnd);
      }
    }
    for (let l = 0; l < L; l++) {
      const layer = layers[l];
      const g0 = layer.groupStart[t];
      const g1 = layer.groupStart[t + 1];
      if (g0 === g1) continue;
      if (layer.residual >= 0) addGroup(z[l], out[layer.residual], out[l], layer.fanOut, n, g0, g1);
      if (layer.activated) activate(plan, out[l], a[l], layer.fanOut, n, g0, g1);
      for (const r of readers[l + 1]) {
        const next = layers[r];
        const src = next.activateSource ? a[l] : out[l];
        push(simd, n, src, layer.fanOut, g0, g1, kernels[r], next.rowOffset, z[r], next.fanOut, next.rowColStart[g0], next.colEnd);
      }
    }
  }
}

/** `out[:, g0:g1] = z[:, g0:g1] + res[:, g0:g1]` (all [n, width]): a residual block's sum for the units of one degree. */
function addGroup(z: Float64Array, res: Float64Array, out: Float64Array, width: number, n: number, g0: number, g1: number): void {
  for (let b = 0; b < n; b++) {
    for (let k = b * width + g0, end = b * width + g1; k < end; k++) out[k] = z[k] + res[k];
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
  if (copy !== null && layer.colIdentity) {
    // The SIMD walk's copy of a kernel already in degree order: the same layout, so `rowOffset` holds.
    w = copy;
    w.set(kernel);
  } else if (copy !== null) {
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
 * Gathers batch row `b`'s non-zero inputs among `a[b, r0:r1]` into `nzValue`, and for each the
 * position of its kernel row, `at + scale · rowOffset[i]` (an index into `w` for the JavaScript
 * push, a byte address for the SIMD one), into `nzRow`. Returns how many there are.
 */
function nonZeroInputs(a: Float64Array, lda: number, b: number, r0: number, r1: number, rowOffset: Int32Array, at: number, scale: number): number {
  if (nzValue.length < r1 - r0) {
    nzValue = new Float64Array(r1 - r0);
    nzRow = new Int32Array(r1 - r0);
  }
  const value = nzValue;
  const row = nzRow;
  let m = 0;
  for (let i = r0, ai = b * lda + r0; i < r1; i++, ai++) {
    const v = a[ai];
    if (v !== 0) {
      value[m] = v;
      row[m++] = at + scale * rowOffset[i];
    }
  }
  return m;
}

/**
 * `z[:, s:e] += a[:, r0:r1] · W[r0:r1, s:e]` (sorted rows and columns, row i of W at
 * `w[rowOffset[i]]`): the units of one degree added into every unit they feed. `a` is [n, lda] and
 * `z` [n, ldz]. Per batch row, the inputs that are 0 (half of a relu layer) are dropped, since their
 * products are 0, and the rest are taken four at a time, so `z` is read and written once per four
 * kernel rows.
 */
function pushJs(n: number, a: Float64Array, lda: number, r0: number, r1: number,
  w: Float64Array, rowOffset: Int32Array, z: Float64Array, ldz: number, s: number, e: number): void {
  if (s >= e) return;
  for (let b = 0; b < n; b++) {
    const m = nonZeroInputs(a, lda, b, r0, r1, rowOffset, 0, 1);
    const value = nzValue;
    const row = nzRow;
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

/** {@link pushSimd} with the kernel, else {@link pushJs} (the same bits either way). */
function push(simd: AxpyKernel | null, n: number, a: Float64Array, lda: number, r0: number, r1: number,
  w: Float64Array, rowOffset: Int32Array, z: Float64Array, ldz: number, s: number, e: number): void {
  if (simd === null) pushJs(n, a, lda, r0, r1, w, rowOffset, z, ldz, s, e);
  else pushSimd(simd, n, a, lda, r0, r1, w, rowOffset, z, ldz, s, e);
}

/**
 * {@link pushJs} with each row update `z[j] += a0·w0[j] + …` in WebAssembly SIMD: the same non-zero
 * inputs taken in the same groups of four, two and one, and each update in the same order of
 * operations (kernels/wasm/axpy-kernel.ts), so the same bits. `w` and `z` must be views of the
 * kernel's memory.
 */
function pushSimd(kernel: AxpyKernel, n: number, a: Float64Array, lda: number, r0: number, r1: number,
  w: Float64Array, rowOffset: Int32Array, z: Float64Array, ldz: number, s: number, e: number): void {
  if (s >= e) return;
  const { axpy4, axpy2, axpy1 } = kernel;
  const len = e - s;
  // Byte addresses: kernel row i's column s at wAt + 8·rowOffset[i]; z's row b, column s at zAt + 8·b·ldz.
  const wAt = w.byteOffset + 8 * s;
  const zAt = z.byteOffset + 8 * s;
  for (let b = 0; b < n; b++) {
    const m = nonZeroInputs(a, lda, b, r0, r1, rowOffset, wAt, 8);
    const value = nzValue;
    const row = nzRow;
    const zb = zAt + 8 * b * ldz;
    let k = 0;
    for (; k + 3 < m; k += 4) axpy4(zb, row[k], row[k + 1], row[k + 2], row[k + 3], value[k], value[k + 1], value[k + 2], value[k + 3], len);
    if (k + 1 < m) {
      axpy2(zb, row[k], row[k + 1], value[k], value[k + 1], len);
      k += 2;
    }
    if (k < m) axpy1(zb, row[k], value[k], len);
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
