// Copying saved weights into a model's own tensors: every count and shape checked before anything changes.
import { Tensor } from './tensor.js';
import { toTensor } from './tensor-like.js';
import { assert } from '../lib/util/errors.js';
import { fmt, sameShape } from '../lib/util/shape.js';
import { describe } from '../lib/util/validate.js';

/**
 * Copies `given` into `own`, in place (the tensors an optimizer holds stay the same objects).
 * Nothing changes unless every entry fits: the count first, then each shape.
 *
 * @param own - the weights to overwrite, in their owner's `weights` order
 * @param given - as many TensorLikes, with the same shapes
 * @param where - the function to name in errors, e.g. `'TransformedDistribution.setWeights'`
 * @throws TypeError when `given` is not an array or holds a non-TensorLike; ValueError naming the
 *   first mismatched count or shape
 */
export function copyWeightsInto(own: readonly Tensor[], given: unknown, where: string): void {
  assert(Array.isArray(given), () => `${where}: 'weights' must be an array of tensors, got ${describe(given)}`, TypeError);
  assert(given.length === own.length, () => `${where}: expected ${own.length} weights (shapes ${own.map((w) => fmt(w.shape)).join(' ')}), got ${given.length}`);
  const values = (given as unknown[]).map((w, i) => toTensor(w, `weights[${i}]`, where));
  values.forEach((w, i) => {
    assert(sameShape(w.shape, own[i].shape), () => `${where}: weights[${i}] has shape ${fmt(w.shape)}, expected ${fmt(own[i].shape)}`);
  });
  values.forEach((w, i) => own[i].data.set(w.data));
}
