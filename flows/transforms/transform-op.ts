// The autodiff op of a masked autoregressive transform: one family's elementwise bijector applied to every dimension, with its log-det and gradients.
import { outGrad, record, Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import type { TransformFamily } from './family.js';

/** Which way the op runs: `'forward'` u → x (sampling), `'inverse'` x → u (density). */
export type TransformDirection = 'forward' | 'inverse';

/** What {@link applyTransform} returns. */
export interface TransformResult {
  /** x (forward) or u (inverse), the input's shape `[...batch, E]`. */
  value: Tensor;
  /** log|det| of the direction taken, `[...batch]`: `+Σ_d L_d` forward, `−Σ_d L_d` inverse. */
  logDet: Tensor;
}

// Scratch for the per-element results and for gradients that are computed only to be dropped.
const pair = new Float64Array(2);
let dropped = new Float64Array(16);

/**
 * Applies `family` to every event dimension, dimension `d` of batch row `b` with its own
 * parameters θ_bd = `theta[b, d, :]`:
 *
 *   forward:  x_bd = f(u_bd; θ_bd),     logDet_b = +Σ_d log f'(u_bd; θ_bd)
 *   inverse:  u_bd = f⁻¹(x_bd; θ_bd),   logDet_b = −Σ_d log f'(u_bd; θ_bd)
 *
 * The sum runs over d in dimension order. This one loop is both the graph op (when `z` or `theta`
 * requires a gradient) and the graph-free fast path (under `noGrad`): there is no second copy of
 * the arithmetic.
 *
 * Backward. Forward direction: `family.forwardGrad` is the vector-Jacobian product itself.
 * Inverse direction, by the implicit function theorem: with u = f⁻¹(x; θ), f' = e^L, and the
 * gradients `gu` at u and `gl` at L = log f'(u; θ),
 *
 *   ∂u/∂x = 1/f',   ∂u/∂θ = −(∂f/∂θ)/f',   so with  a = (gu + gl · ∂L/∂u) / f':
 *   ∂/∂x = a,       ∂/∂θ = gl · ∂L/∂θ − a · ∂f/∂θ = forwardGrad(u; gx = −a, gl)'s θ part,
 *
 * where ∂L/∂u is itself `forwardGrad(u; gx = 0, gl = 1)`'s return value.
 *
 * @param family - the univariate transform family (P = `family.params`)
 * @param direction - `'forward'` or `'inverse'`
 * @param z - u (forward) or x (inverse), shape `[...batch, E]`
 * @param theta - parameters, shape `[...batch, E, P]` (or any shape holding the same values in that
 *   order, such as a MADE's flat output `[batch, E·P]`)
 * @returns `value` with `z`'s shape and `logDet` `[...batch]`
 * @throws ValueError when `theta` does not hold P values for every entry of `z`
 */
export function applyTransform(family: TransformFamily, direction: TransformDirection, z: Tensor, theta: Tensor): TransformResult {
  const P = family.params;
  assert(z.rank >= 1 && theta.size === z.size * P,
    () => `applyTransform: 'theta' has shape ${fmt(theta.shape)}, expected [...batch, E, ${P}] for 'z' of shape ${fmt(z.shape)} (family '${family.name}', P = ${P})`);
  const E = z.shape[z.rank - 1];
  const n = E === 0 ? 0 : z.size / E;
  const zd = z.data;
  const td = theta.data;
  const value = new Float64Array(z.size);
  const L = new Float64Array(z.size);
  const logDet = new Float64Array(n);
  const forward = direction === 'forward';
  // Fills value, L and logDet; recorded with the value, so a compiled step replays it (once for both outputs).
  const pass = (): void => {
    for (let b = 0, i = 0; b < n; b++) {
      let s = 0;
      for (let d = 0; d < E; d++, i++) {
        if (forward) family.forward(zd[i], td, i * P, pair);
        else family.inverse(zd[i], td, i * P, pair);
        value[i] = pair[0];
        L[i] = pair[1];
        s += pair[1];
      }
      // 0 − Σ L: the bits of −Σ L, but +0 (not −0) where every L is 0.
      logDet[b] = forward ? s : 0 - s;
    }
  };
  pass();
  const parents = [z, theta];
  const batchShape = z.shape.slice(0, -1);
  if (forward) {
    // u is z itself; x and L were stored above.
    const valueOut = record('transformForward', value, z.shape, parents, (out) => {
      const g = outGrad(out);
      backward(z, theta, (i) => forwardStep(family, zd[i], td, i * P, g[i], 0, theta, z, i));
    }, pass);
    const logDetOut = record('transformForwardLogDet', logDet, batchShape, parents, (out) => {
      const g = outGrad(out);
      backward(z, theta, (i) => forwardStep(family, zd[i], td, i * P, 0, g[(i / E) | 0], theta, z, i));
    }, FILLED_BY_PASS);
    return { value: valueOut, logDet: logDetOut };
  }
  // Inverse: u = value, and L at u was stored.
  const valueOut = record('transformInverse', value, z.shape, parents, (out) => {
    const g = outGrad(out);
    backward(z, theta, (i) => inverseStep(family, value[i], L[i], td, i * P, g[i], 0, theta, z, i));
  }, pass);
  const logDetOut = record('transformInverseLogDet', logDet, batchShape, parents, (out) => {
    const g = outGrad(out);
    backward(z, theta, (i) => inverseStep(family, value[i], L[i], td, i * P, 0, -g[(i / E) | 0], theta, z, i));
  }, FILLED_BY_PASS);
  return { value: valueOut, logDet: logDetOut };
}

/** The replay of the log-det output: the value's `pass` has filled it already. */
const FILLED_BY_PASS = (): void => {};

/** Runs `each(i)` for every element; `each` adds into the gradient buffers of `z` and `theta`. */
function backward(z: Tensor, theta: Tensor, each: (i: number) => void): void {
  if (!z.requiresGrad && !theta.requiresGrad) return;
  for (let i = 0; i < z.size; i++) each(i);
}

/** Element i of the forward direction: `forwardGrad` adds into θ's gradient, and its return value into u's. */
function forwardStep(family: TransformFamily, u: number, td: Float64Array, o: number, gx: number, gl: number,
  theta: Tensor, z: Tensor, i: number): void {
  if (gx === 0 && gl === 0) return;
  const gu = theta.requiresGrad
    ? family.forwardGrad(u, td, o, gx, gl, theta.gradData(), o)
    : family.forwardGrad(u, td, o, gx, gl, scratch(family.params), 0);
  if (z.requiresGrad) z.gradData()[i] += gu;
}

/** Element i of the inverse direction: {@link inverseGradAt}'s result goes to x, its θ part to θ (or is dropped). */
function inverseStep(family: TransformFamily, u: number, L: number, td: Float64Array, o: number, gu: number, gl: number,
  theta: Tensor, z: Tensor, i: number): void {
  if (gu === 0 && gl === 0) return;
  const a = theta.requiresGrad
    ? inverseGradAt(family, u, L, td, o, gu, gl, theta.gradData(), o)
    : inverseGradAt(family, u, L, td, o, gu, gl, scratch(family.params), 0);
  if (z.requiresGrad) z.gradData()[i] += a;
}

/**
 * Reverse mode through one element of the inverse direction, by the implicit function theorem
 * (see {@link applyTransform}): for `g = gu · u + gl · L` with u = f⁻¹(x; θ) and L = log f'(u; θ),
 *
 *   a = (gu + gl · ∂L/∂u) · e^(−L),   ∂g/∂x = a,   ∂g/∂θ = forwardGrad(u; gx = −a, gl)'s θ part.
 *
 * @param family - the transform family
 * @param u - the inverse's output at this element (everything is evaluated at u, not x)
 * @param L - log f'(u; θ), as the inverse reported it
 * @param theta - parameters, θ at `theta[o … o + P)`
 * @param o - offset of θ
 * @param gu - the gradient arriving at u
 * @param gl - the gradient arriving at L
 * @param gTheta - receives ∂g/∂θ, added at `gTheta[go …]`
 * @param go - offset in `gTheta`
 * @returns ∂g/∂x
 */
export function inverseGradAt(family: TransformFamily, u: number, L: number, theta: Float64Array, o: number,
  gu: number, gl: number, gTheta: Float64Array, go: number): number {
  const dLdu = gl === 0 ? 0 : family.forwardGrad(u, theta, o, 0, 1, scratch(family.params), 0);
  const a = (gu + gl * dLdu) * Math.exp(-L);
  family.forwardGrad(u, theta, o, -a, gl, gTheta, go);
  return a;
}

/** A buffer of at least `n` entries whose contents are never read (gradients computed only for a return value). */
function scratch(n: number): Float64Array {
  if (dropped.length < n) dropped = new Float64Array(2 * n);
  return dropped;
}
