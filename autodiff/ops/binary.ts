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
