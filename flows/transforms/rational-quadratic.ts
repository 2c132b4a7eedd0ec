// The rational-quadratic spline of one value: forward, inverse, log-derivative and their gradients, on plain numbers.
//
// Shared by the spline family (`spline.ts`, driven by a MADE) and TFP's bijector
// (`flows/bijectors/rational-quadratic-spline.ts`). Nothing here allocates: the knots and the local
// quantities of the bin last located live in module-level scratch, grown when K grows.

/**
 * One monotone rational-quadratic spline, read from arrays at offsets (so a caller can point it
 * at row `i` of a `[N, K]` buffer without copying):
 *
 * - `bins` = K, the number of bins (≥ 1);
 * - `rangeMin`, the first knot, the same in x and in y: `x_0 = y_0 = rangeMin`;
 * - `widths[widthsAt + k]`, k = 0 … K − 1: bin widths w_k > 0, so `x_k = rangeMin + Σ_{j<k} w_j`;
 * - `heights[heightsAt + k]`: bin heights h_k > 0, so `y_k = rangeMin + Σ_{j<k} h_j`;
 * - `slopes[slopesAt + k]`, k = 0 … K: the derivative d_k > 0 at knot k, boundary knots included
 *   (pass d_0 = d_K = 1 for linear tails that join the identity with a continuous derivative).
 *
 * A caller keeps one such object and moves its offsets from element to element.
 */
export interface RQSpline {
  /** K, the number of bins. */
  bins: number;
  /** The first knot, in x and in y. */
  rangeMin: number;
  /** Bin widths, K values from `widthsAt`. */
  widths: Float64Array;
  /** Offset of w_0 in `widths`. */
  widthsAt: number;
  /** Bin heights, K values from `heightsAt`. */
  heights: Float64Array;
  /** Offset of h_0 in `heights`. */
  heightsAt: number;
  /** Knot slopes, K + 1 values from `slopesAt` (d_0 and d_K included). */
  slopes: Float64Array;
  /** Offset of d_0 in `slopes`. */
  slopesAt: number;
}

/**
 * Where {@link rqForwardGrad} adds the parameter gradients, in the layout of {@link RQSpline}:
 * ∂g/∂w_k into `widths[widthsAt + k]`, ∂g/∂h_k into `heights[heightsAt + k]`, ∂g/∂d_k (k = 0 … K,
 * the boundary slopes included) into `slopes[slopesAt + k]`.
 */
export type RQSplineGrad = Omit<RQSpline, 'bins' | 'rangeMin'>;

/**
 * Scratch for the callers of this file: a spline view and a gradient view over buffers for K bins,
 * grown (doubled) as K grows, so no call allocates. Callers may point the views' arrays elsewhere
 * (at a parameter array, say) between calls; `ensure` and `clearGrad` hand back the views.
 */
export class RQScratch {
  /** The spline view; `ensure` points its arrays at this scratch's own buffers. */
  readonly spline: RQSpline;
  /** The gradient view; `clearGrad` points its arrays at this scratch's own buffers. */
  readonly grad: RQSplineGrad;
  /** K + 1 slopes (the boundary ones included), for callers that build a slope row. */
  slopes = new Float64Array(0);
  private widths = new Float64Array(0);
  private heights = new Float64Array(0);
  private gWidths = new Float64Array(0);
  private gHeights = new Float64Array(0);
  private gSlopes = new Float64Array(0);

  constructor() {
    const empty = this.slopes;
    this.spline = { bins: 0, rangeMin: 0, widths: empty, widthsAt: 0, heights: empty, heightsAt: 0, slopes: empty, slopesAt: 0 };
    this.grad = { widths: empty, widthsAt: 0, heights: empty, heightsAt: 0, slopes: empty, slopesAt: 0 };
  }

  /** The spline view on this scratch's own buffers (offsets 0), with room for at least K bins. */
  ensure(K: number): RQSpline {
    if (this.widths.length < K) {
      this.widths = new Float64Array(2 * K);
      this.heights = new Float64Array(2 * K);
      this.slopes = new Float64Array(2 * K + 1);
      this.gWidths = new Float64Array(2 * K);
      this.gHeights = new Float64Array(2 * K);
      this.gSlopes = new Float64Array(2 * K + 1);
    }
    Object.assign(this.spline, { widths: this.widths, widthsAt: 0, heights: this.heights, heightsAt: 0, slopes: this.slopes, slopesAt: 0 });
    return this.spline;
  }

  /**
   * The gradient view on this scratch's own buffers (offsets 0), zeroed for K bins, so that
   * {@link rqForwardGrad}'s additions start from 0. Call after `ensure(K)`.
   */
  clearGrad(K: number): RQSplineGrad {
    this.gWidths.fill(0, 0, K);
    this.gHeights.fill(0, 0, K);
    this.gSlopes.fill(0, 0, K + 1);
    Object.assign(this.grad, { widths: this.gWidths, widthsAt: 0, heights: this.gHeights, heightsAt: 0, slopes: this.gSlopes, slopesAt: 0 });
    return this.grad;
  }
}

// ---- scratch -------------------------------------------------------------------------------------
// Knot positions of the spline last located: xs[k] = x_k, ys[k] = y_k, k = 0 … K.
let xs = new Float64Array(17);
let ys = new Float64Array(17);

/** Grows the knot scratch to hold K + 1 knots. */
function ensureKnots(K: number): void {
  if (xs.length < K + 1) {
    xs = new Float64Array(2 * (K + 1));
    ys = new Float64Array(2 * (K + 1));
  }
}

// The point last located (by `locateX`, or by `rqInverse` once it has ξ): its bin and the local
// quantities every function below shares. inside = false means the tails (the identity), and
// then nothing else is set.
let inside = false;
let bin = 0; //   k
let xi = 0; //    ξ = (u − x_k)/w_k, clamped to [0, 1]
let w = 0; //     w_k
let h = 0; //     h_k
let s = 0; //     s_k = h_k / w_k, the bin's mean slope
let d0 = 0; //    d_k
let d1 = 0; //    d_{k+1}
let t = 0; //     ξ(1 − ξ)
let A = 0; //     s ξ² + d_k t            (numerator over h)
let D = 0; //     s + (d_k + d_{k+1} − 2s) t   (denominator)
let M = 0; //     d_{k+1} ξ² + 2 s t + d_k (1 − ξ)²   (so that f'(u) = s² M / D²)

/** Fills `xs` (or `ys`) with the K + 1 knots of the spline: rangeMin, then running sums of the sizes. */
function knots(out: Float64Array, sizes: Float64Array, at: number, K: number, rangeMin: number): void {
  let acc = rangeMin;
  out[0] = acc;
  // Summed in order, so x_{k+1} = fl(x_k + w_k) exactly: the bin search and ξ read the same numbers.
  for (let k = 0; k < K; k++) out[k + 1] = acc = acc + sizes[at + k];
}

/**
 * The bin holding `v`: the largest k in [0, K − 1] with `kn[k] ≤ v`, by binary search on the
 * running sums. A point exactly on knot k lands in bin k (at ξ = 0), as TFP's
 * `searchsorted(side='right') − 1` puts it. Called only for kn[0] < v < kn[K].
 */
function searchBin(kn: Float64Array, K: number, v: number): number {
  let lo = 0;
  let hi = K - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (kn[mid] <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Loads bin k's sizes and slopes, and the local quantities at ξ. */
function setLocal(sp: RQSpline, k: number, xiValue: number): void {
  bin = k;
  w = sp.widths[sp.widthsAt + k];
  h = sp.heights[sp.heightsAt + k];
  s = h / w;
  d0 = sp.slopes[sp.slopesAt + k];
  d1 = sp.slopes[sp.slopesAt + k + 1];
  // Clamped: ξ can leave [0, 1] by one rounding next to a knot, and outside it D and M may not be positive.
  xi = xiValue < 0 ? 0 : xiValue > 1 ? 1 : xiValue;
  t = xi * (1 - xi);
  A = s * xi * xi + d0 * t;
  D = s + (d0 + d1 - 2 * s) * t;
  const r = 1 - xi;
  M = d1 * xi * xi + 2 * s * t + d0 * r * r;
}

/**
 * Locates `u` (on the x side) in the spline: sets `inside` and, inside, the bin's local quantities.
 * The tails are u ≤ x_0 and u ≥ x_K, as in TFP (at the two edges both formulas agree anyway:
 * f = u and f' = d_0 = d_K = 1 when the boundary slopes are 1).
 */
function locateX(u: number, sp: RQSpline): void {
  const K = sp.bins;
  ensureKnots(K);
  knots(xs, sp.widths, sp.widthsAt, K, sp.rangeMin);
  knots(ys, sp.heights, sp.heightsAt, K, sp.rangeMin);
  // Written as `x_0 < u < x_K` so that ±∞ fall in the tails (the identity, no ∞/∞ inside the
  // formulas); NaN fails the test too, and the callers turn it into NaN for both outputs.
  inside = u > xs[0] && u < xs[K];
  if (!inside) return;
  const k = searchBin(xs, K, u);
  setLocal(sp, k, (u - xs[k]) / sp.widths[sp.widthsAt + k]);
}

/** L = log f'(u) = 2 log s + log M − 2 log D at the located point (0 in the tails). */
function logDerivative(): number {
  return inside ? 2 * Math.log(s) + Math.log(M) - 2 * Math.log(D) : 0;
}

/**
 * The spline's forward map and its log-derivative (Durkan et al. 2019, eqs. 4 and 5). In bin k,
 * with ξ = (u − x_k)/w_k ∈ [0, 1], s_k = h_k/w_k and t = ξ(1 − ξ):
 *
 *   x = y_k + h_k · (s_k ξ² + d_k t) / (s_k + (d_k + d_{k+1} − 2 s_k) t)
 *   f'(u) = s_k² (d_{k+1} ξ² + 2 s_k t + d_k (1 − ξ)²) / (s_k + (d_k + d_{k+1} − 2 s_k) t)²
 *
 * and the identity (x = u, L = 0) for u ≤ x_0 or u ≥ x_K, so ±∞ and huge values pass through.
 *
 * @param u - one base value, any real (or ±∞)
 * @param sp - the spline (K bins, K + 1 slopes)
 * @param out - receives `[x, L]`, L = log f'(u)
 * @see Durkan et al. 2019, https://arxiv.org/abs/1906.04087 (Appendix A.1, A.2)
 */
export function rqForward(u: number, sp: RQSpline, out: Float64Array): void {
  locateX(u, sp);
  if (!inside) {
    out[0] = u;
    out[1] = u === u ? 0 : NaN; // NaN in, NaN out, for the log-derivative too
    return;
  }
  out[0] = ys[bin] + (h * A) / D;
  out[1] = logDerivative();
}

/**
 * The spline's inverse: `u = f⁻¹(x)` and the forward log-derivative `L = log f'(u)` there (so the
 * inverse log-det is −L). In bin k of the y knots, with r = x − y_k, ξ solves the quadratic
 * a ξ² + b ξ + c = 0 obtained by multiplying out `x = y_k + h_k A(ξ)/D(ξ)`:
 *
 *   a = h_k (s_k − d_k) + r (d_k + d_{k+1} − 2 s_k)
 *   b = h_k d_k − r (d_k + d_{k+1} − 2 s_k)
 *   c = −s_k r
 *
 * Its root in [0, 1] is taken in the form ξ = 2c / (−b − √(b² − 4ac)): c ≤ 0 and b > 0 near the
 * bin's left end, so the denominator never cancels, while the textbook (−b + √…)/2a loses every
 * digit when a → 0 (a bin that is nearly linear). u = x_k + ξ w_k. The identity in the y tails.
 *
 * @param x - one data value, any real (or ±∞)
 * @param sp - the spline
 * @param out - receives `[u, L]`
 * @see Durkan et al. 2019, https://arxiv.org/abs/1906.04087 (Appendix A.3)
 */
export function rqInverse(x: number, sp: RQSpline, out: Float64Array): void {
  const K = sp.bins;
  ensureKnots(K);
  knots(xs, sp.widths, sp.widthsAt, K, sp.rangeMin);
  knots(ys, sp.heights, sp.heightsAt, K, sp.rangeMin);
  inside = x > ys[0] && x < ys[K];
  if (!inside) {
    out[0] = x;
    out[1] = x === x ? 0 : NaN;
    return;
  }
  const k = searchBin(ys, K, x);
  const wk = sp.widths[sp.widthsAt + k];
  const hk = sp.heights[sp.heightsAt + k];
  const sk = hk / wk;
  const dk = sp.slopes[sp.slopesAt + k];
  const dk1 = sp.slopes[sp.slopesAt + k + 1];
  const r = x - ys[k];
  const curve = r * (dk + dk1 - 2 * sk);
  const a = hk * (sk - dk) + curve;
  const b = hk * dk - curve;
  const c = -sk * r;
  // b² − 4ac ≥ 0 in exact arithmetic; the max keeps one rounding from making √ NaN.
  const disc = Math.max(0, b * b - 4 * a * c);
  const root = r === 0 ? 0 : (2 * c) / (-b - Math.sqrt(disc));
  setLocal(sp, k, root);
  out[0] = xs[k] + xi * wk;
  out[1] = logDerivative();
}

// ---- gradients -------------------------------------------------------------------------------------
//
// Reverse mode for g = gx · f(u) + gl · L(u), L = log f'(u), at the located point (bin k, ξ).
// Work with the local variables (ξ, s, h, d0 = d_k, d1 = d_{k+1}, y_k); with t = ξ(1 − ξ):
//
//   f = y_k + h · A / D,        A = s ξ² + d0 t,      D = s + (d0 + d1 − 2s) t
//   L = 2 log s + log M − 2 log D,                     M = d1 ξ² + 2 s t + d0 (1 − ξ)²
//
// Partial derivatives, each holding the other local variables fixed (∂t/∂ξ = 1 − 2ξ):
//
//   ∂f/∂ξ  = h s M / D²                (= w f'(u): the quotient rule on A/D, simplified)
//   ∂f/∂s  = h (ξ² D − A (1 − 2t)) / D²   (∂A/∂s = ξ², ∂D/∂s = 1 − 2t)
//   ∂f/∂h  = A / D                     (h as the prefactor only; its effect through s is ∂f/∂s)
//   ∂f/∂d0 = h t (D − A) / D²           (∂A/∂d0 = t, ∂D/∂d0 = t)
//   ∂f/∂d1 = −h t A / D²                (∂A/∂d1 = 0, ∂D/∂d1 = t)
//   ∂f/∂y_k = 1
//
//   ∂L/∂ξ  = M_ξ / M − 2 D_ξ / D,   M_ξ = 2 d1 ξ + 2s (1 − 2ξ) − 2 d0 (1 − ξ),  D_ξ = (d0 + d1 − 2s)(1 − 2ξ)
//   ∂L/∂s  = 2/s + 2t/M − 2(1 − 2t)/D
//   ∂L/∂d0 = (1 − ξ)²/M − 2t/D
//   ∂L/∂d1 = ξ²/M − 2t/D
//
// Then back to the spline's parameters. The knots are running sums, x_k = rangeMin + Σ_{j<k} w_j and
// y_k = rangeMin + Σ_{j<k} h_j, so a width moves every later knot:
//
//   ξ = (u − x_k)/w_k:   ∂ξ/∂u = 1/w_k,  ∂ξ/∂w_k = −ξ/w_k,  ∂ξ/∂w_j = −1/w_k (j < k),  ∂ξ/∂rangeMin = −1/w_k
//   s = h_k/w_k:         ∂s/∂h_k = 1/w_k,  ∂s/∂w_k = −s/w_k
//   y_k:                 ∂y_k/∂h_j = 1 (j < k),  ∂y_k/∂rangeMin = 1
//
// so, with gξ = gx ∂f/∂ξ + gl ∂L/∂ξ and gs = gx ∂f/∂s + gl ∂L/∂s:
//
//   ∂g/∂u   = gξ / w_k
//   ∂g/∂w_j = −gξ / w_k  (j < k),    ∂g/∂w_k = −(gξ ξ + gs s) / w_k
//   ∂g/∂h_j = gx         (j < k),    ∂g/∂h_k = gx A/D + gs / w_k
//   ∂g/∂d_k = gx ∂f/∂d0 + gl ∂L/∂d0,   ∂g/∂d_{k+1} = gx ∂f/∂d1 + gl ∂L/∂d1
//   ∂g/∂rangeMin = gx − ∂g/∂u        (f(u) = rangeMin + F(u − rangeMin): a shift of both knot sets)
//
// Later bins' sizes and every other slope do not enter. In the tails g = gx·u: ∂g/∂u = gx, nothing else.

/** ∂L/∂ξ at the located point. */
function dLdXi(): number {
  const mXi = 2 * d1 * xi + 2 * s * (1 - 2 * xi) - 2 * d0 * (1 - xi);
  const dXi = (d0 + d1 - 2 * s) * (1 - 2 * xi);
  return mXi / M - (2 * dXi) / D;
}

/** Adds ∂g/∂(parameters) at the located point into `g`; returns ∂g/∂u. See the derivation above. */
function backprop(gx: number, gl: number, g: RQSplineGrad): number {
  if (!inside) return gx;
  const k = bin;
  const D2 = D * D;
  const gXi = gx * (h * s * M / D2) + gl * dLdXi();
  const gS = gx * (h * (xi * xi * D - A * (1 - 2 * t)) / D2) + gl * (2 / s + (2 * t) / M - (2 * (1 - 2 * t)) / D);
  const gD0 = gx * (h * t * (D - A) / D2) + gl * ((1 - xi) * (1 - xi) / M - (2 * t) / D);
  const gD1 = gx * (-h * t * A / D2) + gl * ((xi * xi) / M - (2 * t) / D);
  const gU = gXi / w;
  for (let j = 0; j < k; j++) {
    g.widths[g.widthsAt + j] -= gU;
    g.heights[g.heightsAt + j] += gx;
  }
  g.widths[g.widthsAt + k] -= (gXi * xi + gS * s) / w;
  g.heights[g.heightsAt + k] += gx * (A / D) + gS / w;
  g.slopes[g.slopesAt + k] += gD0;
  g.slopes[g.slopesAt + k + 1] += gD1;
  return gU;
}

/**
 * Reverse mode through {@link rqForward}: for `g = gx · f(u) + gl · log f'(u)`, adds ∂g/∂w_k,
 * ∂g/∂h_k and ∂g/∂d_k into `grad` and returns ∂g/∂u. (∂g/∂rangeMin is `gx − ∂g/∂u`: moving
 * rangeMin shifts both knot sets, `f(u) = rangeMin + F(u − rangeMin)`.) The derivation is written
 * out in this file's comments.
 *
 * @param u - the base value the forward map was evaluated at
 * @param sp - the spline
 * @param gx - the gradient arriving at x = f(u)
 * @param gl - the gradient arriving at L = log f'(u)
 * @param grad - receives the parameter gradients (added, `+=`)
 * @returns ∂g/∂u
 * @see Durkan et al. 2019, https://arxiv.org/abs/1906.04087
 */
export function rqForwardGrad(u: number, sp: RQSpline, gx: number, gl: number, grad: RQSplineGrad): number {
  locateX(u, sp);
  return backprop(gx, gl, grad);
}

