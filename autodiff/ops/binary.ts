// Elementwise binary ops with NumPy broadcasting: add, sub, mul, div, maximum, minimum, mulExp.
import { broadcastPlan, broadcastShapes } from '../broadcast.js';
import { sameShape, sizeOf, type Shape } from '../../lib/util/shape.js';
import { outGrad, record, type Tensor } from '../tensor.js';
import { type TensorLike, toTensor } from '../tensor-like.js';
import { checkShapeElements } from '../../lib/util/limits.js';

/** The binary ops of this file, by the name their output records. */
export type BinaryOpName = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'mulExp';

/** One op on numbers: its value and partial derivatives, which may reuse the output `y`. */
interface BinaryDefinition {
  f: (a: number, b: number) => number;
  dfda: (a: number, b: number, y: number) => number;
  dfdb: (a: number, b: number, y: number) => number;
}

// a · eᵇ with eᵇ formed whole overflows for b > 709.78 even when the product is finite
// (a = 1e-300, b = 710 gives 2.2e8), underflows for b < −745 when a is large, and gives
// 0 · ∞ = NaN for a = 0. Two half-exponents keep every representable product: past |b| ≈ 1420
// the product is out of range whatever a is.
/** The scalar of {@link mulExp}, for loops that skip the graph (a flow's fused density pass) and must give the same bits. */
export function mulExpValue(a: number, b: number): number {
  if (a === 0) return a; // 0 · eᵇ = 0 for every finite b (and keeps the sign of a −0)
  if (b <= 700 && b >= -700) return a * Math.exp(b);
  const half = Math.exp(0.5 * b);
  return a * half * half;
}

/** The definition of every op. The fast loops below write the same arithmetic out per op. */
const DEFINITIONS: Record<BinaryOpName, BinaryDefinition> = {
  add: { f: (p, q) => p + q, dfda: () => 1, dfdb: () => 1 },
  sub: { f: (p, q) => p - q, dfda: () => 1, dfdb: () => -1 },
  mul: { f: (p, q) => p * q, dfda: (_p, q) => q, dfdb: (p) => p },
  div: { f: (p, q) => p / q, dfda: (_p, q) => 1 / q, dfdb: (_p, q, y) => -y / q },
  maximum: { f: (p, q) => (p >= q ? p : q), dfda: (p, q) => (p >= q ? 1 : 0), dfdb: (p, q) => (p >= q ? 0 : 1) },
  minimum: { f: (p, q) => (p <= q ? p : q), dfda: (p, q) => (p <= q ? 1 : 0), dfdb: (p, q) => (p <= q ? 0 : 1) },
  mulExp: { f: mulExpValue, dfda: (_p, q) => Math.exp(q), dfdb: (_p, _q, y) => y },
};

/**
 * Reference: y[i] = f(a[ia[i]], b[ib[i]]) for any NumPy broadcast, with index arrays `ia`, `ib`
 * (null where an input has the output's shape); backward `da[ia[i]] += g[i] · ∂f/∂a`, and likewise
 * for `b`. Repeated reads (broadcast axes) accumulate, which sums the gradient over them.
 * Slow (a call per element), obvious, and what the fast loops of {@link binary} are tested against.
 * @internal
 */
export function binaryReference(op: BinaryOpName, aIn: TensorLike, bIn: TensorLike): Tensor {
  const { f, dfda, dfdb } = DEFINITIONS[op];
  const a = toTensor(aIn, 'a', op);
  const b = toTensor(bIn, 'b', op);
  const { shape, size, index } = broadcastPlan(op, a.shape, b.shape);
  const [ia, ib] = index;
  const ad = a.data;
  const bd = b.data;
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) y[i] = f(ad[ia ? ia[i] : i], bd[ib ? ib[i] : i]);
  return record(op, y, shape, [a, b], (out) => {
    const g = outGrad(out);
    if (a.requiresGrad) {
      const ga = a.gradData();
      for (let i = 0; i < size; i++) {
        const j = ia ? ia[i] : i;
        ga[j] += g[i] * dfda(ad[j], bd[ib ? ib[i] : i], y[i]);
      }
    }
    if (b.requiresGrad) {
      const gb = b.gradData();
      for (let i = 0; i < size; i++) {
        const j = ib ? ib[i] : i;
        gb[j] += g[i] * dfdb(ad[ia ? ia[i] : i], bd[j], y[i]);
      }
    }
  });
}

/**
 * How the fast loops read the inputs: the output seen as `rows` rows of `n` (its last axis), and
 * output element i = r·n + j reading `a[r·aRow + j·aCol]` and `b[r·bRow + j·bCol]`. Each input is
 * one of: the output's own layout (n, 1), a scalar (0, 0), a row `[..., n]` repeated over the
 * leading axes (0, 1), or a column `[..., 1]` repeated along the last axis (1, 0).
 * With no row or column, the output is one row of all elements.
 */
interface Layout {
  rows: number;
  n: number;
  aRow: number;
  aCol: number;
  bRow: number;
  bCol: number;
}

/** How an input is read by the output: see {@link Layout}. */
type Read = 'full' | 'scalar' | 'row' | 'column';

/** How an input of `shape` (`size` elements) is read by an output of `outSize` elements with last axis `n`; null for any other broadcast. */
function readOf(shape: Shape, size: number, outSize: number, n: number): Read | null {
  if (size === outSize) return 'full'; // equal sizes: only size-1 axes were added, so flat index i reads i
  if (size === 1) return 'scalar';
  const last = shape.length === 0 ? 1 : shape[shape.length - 1];
  if (last === n && size === n) return 'row';
  if (last === 1 && size * n === outSize) return 'column'; // then every leading axis equals the output's
  return null;
}

/** The (row, column) strides of each {@link Read}. */
function stridesOfRead(read: Read, n: number): [number, number] {
  return read === 'full' ? [n, 1] : read === 'scalar' ? [0, 0] : read === 'row' ? [0, 1] : [1, 0];
}

/**
 * The {@link Layout} of a broadcast of `a` and `b` to `shape`: `'same'` when both are read in full
 * (equal sizes), null when an input needs an index array (the reference path).
 */
function layoutOf(a: Tensor, b: Tensor, shape: Shape, size: number): Layout | 'same' | null {
  const n = shape.length === 0 ? 1 : shape[shape.length - 1];
  const ra = readOf(a.shape, a.size, size, n);
  const rb = readOf(b.shape, b.size, size, n);
  if (ra === null || rb === null) return null;
  if (ra === 'full' && rb === 'full') return 'same';
  const flat = (r: Read): boolean => r === 'full' || r === 'scalar';
  // No row and no column: every read is i or 0, so the whole output is one row.
  if (flat(ra) && flat(rb)) return { rows: 1, n: size, aRow: 0, aCol: ra === 'full' ? 1 : 0, bRow: 0, bCol: rb === 'full' ? 1 : 0 };
  const [aRow, aCol] = stridesOfRead(ra, n);
  const [bRow, bCol] = stridesOfRead(rb, n);
  return { rows: n === 0 ? 0 : size / n, n, aRow, aCol, bRow, bCol };
}

/** The ops with fast loops; maximum and minimum (seldom on a hot path) keep the reference. */
type FastOp = 'add' | 'sub' | 'mul' | 'div' | 'mulExp';

/**
 * Forward on equal shapes: y[i] = f(a[i], b[i]), each op's f written out (no call per element).
 * The same arithmetic as {@link DEFINITIONS}, so the same bits.
 */
function forwardSame(op: FastOp, a: Float64Array, b: Float64Array, y: Float64Array): void {
  const size = y.length;
  switch (op) {
    case 'add': for (let i = 0; i < size; i++) y[i] = a[i] + b[i]; return;
    case 'sub': for (let i = 0; i < size; i++) y[i] = a[i] - b[i]; return;
    case 'mul': for (let i = 0; i < size; i++) y[i] = a[i] * b[i]; return;
    case 'div': for (let i = 0; i < size; i++) y[i] = a[i] / b[i]; return;
    case 'mulExp': for (let i = 0; i < size; i++) y[i] = mulExpValue(a[i], b[i]); return;
  }
}

/** Forward on a {@link Layout}: y[i] = f(a[p], b[q]), with p and q stepping by the layout's strides. */
function forwardStrided(op: FastOp, a: Float64Array, b: Float64Array, y: Float64Array, L: Layout): void {
  const { rows, n, aRow, aCol, bRow, bCol } = L;
  let i = 0;
  switch (op) {
    case 'add': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) y[i++] = a[p] + b[q]; return;
    case 'sub': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) y[i++] = a[p] - b[q]; return;
    case 'mul': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) y[i++] = a[p] * b[q]; return;
    case 'div': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) y[i++] = a[p] / b[q]; return;
    case 'mulExp': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) y[i++] = mulExpValue(a[p], b[q]); return;
  }
}

// Backward: da[i] += g[i] · ∂f/∂a. With ∂f/∂a = ±1 the product g·1 = g and g·(−1) = −g are exact,
// so `+= g` and `-= g` give the reference's bits. On a layout the output index i runs in order, so a
// broadcast input's gradient sums its terms in the reference's order too.

/** da += g · ∂f/∂a on equal shapes. */
function backwardASame(op: FastOp, g: Float64Array, b: Float64Array, ga: Float64Array): void {
  const size = g.length;
  switch (op) {
    case 'add': case 'sub': for (let i = 0; i < size; i++) ga[i] += g[i]; return;
    case 'mul': for (let i = 0; i < size; i++) ga[i] += g[i] * b[i]; return;
    case 'div': for (let i = 0; i < size; i++) ga[i] += g[i] * (1 / b[i]); return;
    case 'mulExp': for (let i = 0; i < size; i++) ga[i] += g[i] * Math.exp(b[i]); return;
  }
}

/** db += g · ∂f/∂b on equal shapes. */
function backwardBSame(op: FastOp, g: Float64Array, a: Float64Array, b: Float64Array, y: Float64Array, gb: Float64Array): void {
  const size = g.length;
  switch (op) {
    case 'add': for (let i = 0; i < size; i++) gb[i] += g[i]; return;
    case 'sub': for (let i = 0; i < size; i++) gb[i] -= g[i]; return;
    case 'mul': for (let i = 0; i < size; i++) gb[i] += g[i] * a[i]; return;
    case 'div': for (let i = 0; i < size; i++) gb[i] += g[i] * (-y[i] / b[i]); return;
    case 'mulExp': for (let i = 0; i < size; i++) gb[i] += g[i] * y[i]; return;
  }
}

/** da[p] += g[i] · ∂f/∂a on a {@link Layout}. */
function backwardAStrided(op: FastOp, g: Float64Array, b: Float64Array, ga: Float64Array, L: Layout): void {
  const { rows, n, aRow, aCol, bRow, bCol } = L;
  let i = 0;
  switch (op) {
    case 'add': case 'sub': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow; j < n; j++, p += aCol) ga[p] += g[i++]; return;
    case 'mul': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) ga[p] += g[i++] * b[q]; return;
    case 'div': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) ga[p] += g[i++] * (1 / b[q]); return;
    case 'mulExp': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) ga[p] += g[i++] * Math.exp(b[q]); return;
  }
}

/** db[q] += g[i] · ∂f/∂b on a {@link Layout}. */
function backwardBStrided(op: FastOp, g: Float64Array, a: Float64Array, b: Float64Array, y: Float64Array, gb: Float64Array, L: Layout): void {
  const { rows, n, aRow, aCol, bRow, bCol } = L;
  let i = 0;
  switch (op) {
    case 'add': for (let r = 0; r < rows; r++) for (let j = 0, q = r * bRow; j < n; j++, q += bCol) gb[q] += g[i++]; return;
    case 'sub': for (let r = 0; r < rows; r++) for (let j = 0, q = r * bRow; j < n; j++, q += bCol) gb[q] -= g[i++]; return;
    case 'mul': for (let r = 0; r < rows; r++) for (let j = 0, p = r * aRow, q = r * bRow; j < n; j++, p += aCol, q += bCol) gb[q] += g[i++] * a[p]; return;
    case 'div': for (let r = 0; r < rows; r++) for (let j = 0, q = r * bRow; j < n; j++, q += bCol, i++) gb[q] += g[i] * (-y[i] / b[q]); return;
    case 'mulExp': for (let r = 0; r < rows; r++) for (let j = 0, q = r * bRow; j < n; j++, q += bCol, i++) gb[q] += g[i] * y[i]; return;
  }
}

/**
 * `broadcastShapes(op, s, t)` for two shapes without its temporary arrays (small ops pay for
 * every allocation); when they do not broadcast, broadcastShapes itself throws the error.
 */
function broadcastTwo(op: string, s: Shape, t: Shape): Shape {
  const rank = Math.max(s.length, t.length);
  const out = new Array<number>(rank);
  for (let k = 1; k <= rank; k++) {
    const p = k <= s.length ? s[s.length - k] : 1;
    const q = k <= t.length ? t[t.length - k] : 1;
    if (p === q || q === 1) out[rank - k] = p;
    else if (p === 1) out[rank - k] = q;
    else return broadcastShapes(op, s, t);
  }
  return out;
}

/**
 * {@link binaryReference} without a call per element: equal shapes, a scalar, a row `[..., n]` or a
 * column `[..., 1]` against the output run the loops above; any other broadcast takes the reference.
 * Values and gradients are bit-identical to the reference's.
 */
function binary(op: FastOp, aIn: TensorLike, bIn: TensorLike): Tensor {
  const a = toTensor(aIn, 'a', op);
  const b = toTensor(bIn, 'b', op);
  const same = sameShape(a.shape, b.shape);
  const shape = same ? a.shape : broadcastTwo(op, a.shape, b.shape);
  // Two small inputs can broadcast to a huge output ([1e5, 1] with [1, 1e5]): check it before allocating.
  if (!same) checkShapeElements(shape, 'the broadcast shape', op);
  const size = same ? a.size : sizeOf(shape);
  const L = same ? 'same' : layoutOf(a, b, shape, size);
  if (L === null) return binaryReference(op, a, b);
  const ad = a.data;
  const bd = b.data;
  const y = new Float64Array(size);
  if (L === 'same') forwardSame(op, ad, bd, y);
  else forwardStrided(op, ad, bd, y, L);
  return record(op, y, shape, [a, b], (out) => {
    const g = outGrad(out);
    if (a.requiresGrad) {
      if (L === 'same') backwardASame(op, g, bd, a.gradData());
      else backwardAStrided(op, g, bd, a.gradData(), L);
    }
    if (b.requiresGrad) {
      if (L === 'same') backwardBSame(op, g, ad, bd, y, b.gradData());
      else backwardBStrided(op, g, ad, bd, y, b.gradData(), L);
    }
  });
}

/** `a + b`, broadcast. ∂/∂a = ∂/∂b = 1. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary('add', a, b);
}

/** `a − b`, broadcast. ∂/∂a = 1, ∂/∂b = −1. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary('sub', a, b);
}

/** `a · b` elementwise, broadcast. ∂/∂a = b, ∂/∂b = a. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', a, b);
}

/** `a / b` elementwise, broadcast. ∂/∂a = 1/b, ∂/∂b = −a/b² = −y/b. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary('div', a, b);
}

/** Elementwise max, broadcast. The gradient goes to `a` where `a ≥ b`, else to `b`. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binaryReference('maximum', a, b);
}

/** Elementwise min, broadcast. The gradient goes to `a` where `a ≤ b`, else to `b`. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binaryReference('minimum', a, b);
}

/**
 * `a · eᵇ` elementwise, broadcast, without the overflow of forming eᵇ first: finite wherever the
 * product is, and 0 (not NaN) for a = 0 at any finite b. This is how a flow scales by
 * exp(logScale). ∂/∂a = eᵇ (which may itself be ∞: the true slope), ∂/∂b = a·eᵇ = y.
 *
 * @example
 * mulExp(tensor([1e-300, 0]), tensor([710, 1e6])).toArray(); // [223399476.6, 0]
 * mul(tensor([1e-300, 0]), exp(tensor([710, 1e6]))).toArray(); // [Infinity, NaN]
 */
export function mulExp(a: TensorLike, b: TensorLike): Tensor {
  return binary('mulExp', a, b);
}
