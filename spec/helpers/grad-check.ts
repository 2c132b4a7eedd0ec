// Test helpers: central-difference gradient checks and seeded random tensors.
import { Tensor, tensor } from '../../autodiff/tensor.js';
import { Random } from '../../lib/util/random.js';
import type { Shape } from '../../lib/util/shape.js';
import { sizeOf } from '../../lib/util/shape.js';

/** A seeded generator for a test; name it after the test so draws never collide. */
export function seededRng(name: string): Random {
  return new Random(name);
}

/** Standard normal tensor of `shape` drawn from `rng`, optionally scaled and shifted. */
export function randn(rng: Random, shape: Shape, scale = 1, shift = 0): Tensor {
  const d = rng.fillNormal(new Float64Array(sizeOf(shape)));
  for (let i = 0; i < d.length; i++) d[i] = shift + scale * d[i];
  return tensor(d, shape);
}

/** Uniform tensor on [lo, hi). */
export function randu(rng: Random, shape: Shape, lo = 0, hi = 1): Tensor {
  return tensor(rng.fillUniform(new Float64Array(sizeOf(shape)), lo, hi), shape);
}

/**
 * Checks reverse-mode gradients of the scalar `f(...inputs)` against central
 * differences `(f(x + h) − f(x − h)) / 2h` for every entry of every input.
 * An entry passes when `|analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|)`.
 * Returns the worst relative error seen.
 */
export function expectGradClose(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  { h = 1e-6, rtol = 1e-6, atol = 1e-9 }: { h?: number; rtol?: number; atol?: number } = {},
): number {
  const params = inputs.map((x) => new Tensor(x.data.slice(), x.shape, { requiresGrad: true }));
  const y = f(...params);
  if (y.size !== 1) throw new Error(`expectGradClose: f must return a scalar, got shape [${y.shape}]`);
  y.backward();
  let worst = 0;
  params.forEach((p, k) => {
    const analytic = p.grad ? p.grad.data : new Float64Array(p.size);
    for (let i = 0; i < p.size; i++) {
      const probe = params.map((q) => new Tensor(q.data.slice(), q.shape));
      const orig = probe[k].data[i];
      probe[k].data[i] = orig + h;
      const up = f(...probe).item();
      probe[k].data[i] = orig - h;
      const down = f(...probe).item();
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(analytic[i] - numeric);
      const scale = Math.max(Math.abs(analytic[i]), Math.abs(numeric));
      if (err > atol + rtol * scale) {
        throw new Error(`gradient mismatch for input ${k} entry ${i}: analytic ${analytic[i]}, numeric ${numeric} (|err| ${err.toExponential(2)})`);
      }
      if (scale > 0) worst = Math.max(worst, err / scale);
    }
  });
  return worst;
}

/** Max |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
