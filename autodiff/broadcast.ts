// NumPy broadcasting: the output shape of an elementwise op, and where each output element reads its inputs.
import { assert } from '../lib/util/errors.js';
import { checkShapeElements } from '../lib/util/limits.js';
import { fmt, offsetMap, sameShape, sizeOf, type Shape } from '../lib/util/shape.js';

/**
 * The NumPy broadcast of several shapes: align them on the right; each axis must
 * be equal or 1 in every shape that has it, and the output takes the non-1 size.
 *
 * @param op - name of the calling op, for the error
 * @throws ValueError naming the op and every shape when they do not broadcast; RangeError when the
 *   broadcast shape is over the `maxTensorElements` limit (`[1e5, 1]` with `[1, 1e5]` is 1e10 elements)
 * @example broadcastShapes('add', [5, 3, 2], [2]) // [5, 3, 2]
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const axis = rank - s.length + i;
      const d = s[i];
      if (d === out[axis] || d === 1) continue;
      assert(out[axis] === 1, () => `${op}: shapes ${shapes.map(fmt).join(' and ')} do not broadcast (axis ${axis - rank}: ${out[axis]} vs ${d})`);
      out[axis] = d;
    }
  }
  checkShapeElements(out, 'the broadcast shape', op);
  return out;
}

/**
 * For each input, the flat index it reads at each flat output index, or `null`
 * when the input has the output's shape (the identity map, the fast path).
 *
 * The backward pass of a broadcasting op uses the same maps: adding
 * `grad[outIndex]` into `inputGrad[index[outIndex]]` sums over the broadcast
 * axes, which is the adjoint of broadcasting.
 */
export interface BroadcastPlan {
  shape: number[];
  size: number;
  index: Array<Int32Array | null>;
}

/** Computes the {@link BroadcastPlan} of `shapes` for the op named `op`. */
export function broadcastPlan(op: string, ...shapes: Shape[]): BroadcastPlan {
  const shape = broadcastShapes(op, ...shapes);
  const size = sizeOf(shape);
  const index = shapes.map((s) => (sameShape(s, shape) ? null : inputIndex(s, shape)));
  return { shape, size, index };
}

function inputIndex(inShape: Shape, outShape: Shape): Int32Array {
  const offset = outShape.length - inShape.length;
  // Stride of each output axis in the input's flat data; 0 along broadcast axes.
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = inShape.length - 1; i >= 0; i--) {
    strides[offset + i] = inShape[i] === 1 ? 0 : s;
    s *= inShape[i];
  }
  return offsetMap(outShape, strides);
}
