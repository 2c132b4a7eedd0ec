import { type JsonValue } from '../../lib/util/json.js';
// A univariate transform family: how one event dimension's P network outputs become an elementwise bijector.

/**
 * The names of the built-in families (see `flows/transforms/`):
 * - `'affine'`: TFP's MAF, `x = u · exp(logScale) + shift` (P = 2), optionally soft-clamped;
 * - `'boundedAffine'`: nflows' bounded scale, `x = u · (softplus(a + c) + ε) + shift` (P = 2);
 * - `'spline'`: a monotone rational-quadratic spline (Durkan et al. 2019), `K` bins on `[−B, B]`,
 *   the identity outside (P = 3K − 1);
 * - `'splineKnots'`: the same spline read straight from its knots (P = 3K), what TFP's
 *   `RationalQuadraticSpline` bijector holds; for that bijector, not for a network to drive.
 */
export type TransformFamilyName = 'affine' | 'boundedAffine' | 'spline' | 'splineKnots';

/** A family's options as saved: its `name` and its own options, plain JSON. */
export interface TransformFamilyConfig {
  /** Which family. */
  name: TransformFamilyName;
  /** The family's options (clamp, ε, bins, bound, ...), as its factory takes them. */
  [option: string]: JsonValue;
}

/**
 * A univariate transform family: given the `P` numbers θ that an autoregressive network outputs
 * for one event dimension, an increasing bijection `x = f(u; θ)` of the real line, in TFP's
 * direction (base `u` → data `x`, the sampling direction of a MAF layer).
 *
 * A family supplies exactly three scalar functions, and everything else — the density pass, the
 * sampling recursion, the one-pass sampler and every gradient — is built on them
 * (`flows/transforms/transform-op.ts`, `flows/made/one-pass-sampler.ts`):
 *
 *   forward:      x = f(u; θ),                  L = log f'(u; θ)
 *   inverse:      u = f⁻¹(x; θ),                L = log f'(u; θ)   (the FORWARD log-derivative at that u)
 *   forwardGrad:  for g = gx · x + gl · L at (u, θ), adds ∂g/∂θ into `gTheta` and returns ∂g/∂u
 *
 * The inverse's gradients follow from `forwardGrad` by the implicit function theorem (see
 * `transform-op.ts`), so no family writes a derivative twice.
 *
 * Parameter layout: θ of one dimension is `P` consecutive numbers `theta[o … o + P)`; in a MADE's
 * output `[..., E, P]` dimension `d`'s θ starts at `d · P`. All functions are allocation-free: they
 * read `theta` and write into `out` (two numbers) or `gTheta`.
 *
 * Every family maps θ = 0 to the identity (`f(u; 0) = u`), so a network whose output layer starts
 * at zero starts the flow at the identity.
 */
export interface TransformFamily {
  /** Which family (see {@link TransformFamilyName}). */
  readonly name: TransformFamilyName;
  /** The same name, as the one registry keys saved objects (kind `'transformFamily'`). */
  readonly className: TransformFamilyName;
  /** P, the number of parameters per event dimension (the `params` of the network that drives it). */
  readonly params: number;
  /**
   * `x = f(u; θ)`: writes `x` to `out[0]` and `L = log f'(u; θ)` to `out[1]`.
   * @param u - one base value
   * @param theta - parameters, θ at `theta[o … o + P)`
   * @param o - offset of θ in `theta`
   * @param out - receives `[x, L]`
   */
  forward(u: number, theta: Float64Array, o: number, out: Float64Array): void;
  /**
   * `u = f⁻¹(x; θ)`: writes `u` to `out[0]` and `L = log f'(u; θ)` (the forward log-derivative at
   * that `u`, so the inverse log-det is `−L`) to `out[1]`.
   * @param x - one data value
   * @param theta - parameters, θ at `theta[o … o + P)`
   * @param o - offset of θ in `theta`
   * @param out - receives `[u, L]`
   */
  inverse(x: number, theta: Float64Array, o: number, out: Float64Array): void;
  /**
   * Reverse mode through the forward map: for `g = gx · f(u; θ) + gl · log f'(u; θ)`, adds `∂g/∂θ_p`
   * into `gTheta[go + p]` (p = 0 … P − 1) and returns `∂g/∂u`.
   * @param u - the base value the forward map was evaluated at
   * @param theta - parameters, θ at `theta[o … o + P)`
   * @param o - offset of θ in `theta`
   * @param gx - the gradient arriving at `x`
   * @param gl - the gradient arriving at `L`
   * @param gTheta - gradient buffer of the parameters; θ's entries at `gTheta[go … go + P)`
   * @param go - offset in `gTheta`
   * @returns `∂g/∂u`
   */
  forwardGrad(u: number, theta: Float64Array, o: number, gx: number, gl: number, gTheta: Float64Array, go: number): number;
  /** The family's name and options, plain JSON, so `transformFamilyFromConfig` (the one registry) rebuilds it. */
  getConfig(): TransformFamilyConfig;
}
