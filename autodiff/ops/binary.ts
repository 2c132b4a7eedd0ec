// Elementwise binary ops with NumPy broadcasting: add, sub, mul, div, maximum, minimum.
import { broadcastPlan } from '../broadcast.js';
import { asTensor, outGrad, record, type Tensor, type TensorLike } from '../tensor.js';

/**
 * The shared shape of every binary op: broadcast, apply `f` elementwise, and in the
 * backward pass add `g · ∂f/∂a` and `g · ∂f/∂b` at the input index each output read.
 * Repeated reads (broadcast axes) accumulate, which sums the gradient over them.
 */
function binary(
  op: string,
  aIn: TensorLike,
  bIn: TensorLike,
  f: (a: number, b: number) => number,
  dfda: (a: number, b: number, y: number) => number,
  dfdb: (a: number, b: number, y: number) => number,
): Tensor {
  const a = asTensor(aIn, op, 'a');
  const b = asTensor(bIn, op, 'b');
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

/** `a + b`, broadcast. ∂/∂a = ∂/∂b = 1. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary('add', a, b, (p, q) => p + q, () => 1, () => 1);
}

/** `a − b`, broadcast. ∂/∂a = 1, ∂/∂b = −1. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary('sub', a, b, (p, q) => p - q, () => 1, () => -1);
}

/** `a · b` elementwise, broadcast. ∂/∂a = b, ∂/∂b = a. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', a, b, (p, q) => p * q, (_p, q) => q, (p) => p);
}

/** `a / b` elementwise, broadcast. ∂/∂a = 1/b, ∂/∂b = −a/b² = −y/b. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary('div', a, b, (p, q) => p / q, (_p, q) => 1 / q, (_p, q, y) => -y / q);
}

/** Elementwise max, broadcast. The gradient goes to `a` where `a ≥ b`, else to `b`. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary('maximum', a, b, (p, q) => (p >= q ? p : q), (p, q) => (p >= q ? 1 : 0), (p, q) => (p >= q ? 0 : 1));
}

/** Elementwise min, broadcast. The gradient goes to `a` where `a ≤ b`, else to `b`. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary('minimum', a, b, (p, q) => (p <= q ? p : q), (p, q) => (p <= q ? 1 : 0), (p, q) => (p <= q ? 0 : 1));
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
  return binary('mulExp', a, b, mulExpValue, (_p, q) => Math.exp(q), (_p, _q, y) => y);
}
