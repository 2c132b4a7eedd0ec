// Uniform dequantization of integer data for continuous density models, and the bookkeeping that makes their NLLs comparable.
import { sub } from '../../autodiff/ops/binary.js';
import { Tensor } from '../../autodiff/tensor.js';
import { assert } from '../util/errors.js';
import { toRandom, type Seed } from '../util/random.js';
import { fmt } from '../util/shape.js';
import { describe } from '../util/validate.js';

/** Options of {@link dequantize}. */
export interface DequantizeOptions {
  /** Number of integer levels `L`: the data take values `0 … L − 1` (17 for the 8×8 digits, 256 for 8-bit images). */
  levels: number;
  /** Seeds the noise; the same seed gives bit-identical output. Default 0. */
  seed?: Seed;
}

/**
 * Uniform dequantization (Uria et al. 2013; Theis et al. 2016), then scaling to the unit cube:
 *
 *   x = (v + u) / L,   u ~ U[0, 1) independently per entry,   so x ∈ [v/L, (v+1)/L) ⊂ [0, 1)
 *
 * A continuous density fitted to integer data puts unbounded density on the integer points;
 * spreading each value over its unit cell removes that degenerate optimum.
 *
 * NLL bookkeeping (the convention maflow's benchmarks report, which is the one of the MAF paper's
 * pixel-space numbers and of "bits per dimension"): a model fitted to `x` has a density `p_X` on
 * [0, 1)^D; the density of the unscaled dequantized value `y = v + u = L·x` on [0, L)^D is
 *
 *   log p_Y(y) = log p_X(x) − D · log L
 *
 * (the Jacobian of the scaling, see {@link dequantizedLogProb}). Since p_Y integrates to the
 * probability of `v` over each unit cell, `E_u[−log p_Y(v + u)] ≥ −log P(v)`: the reported
 * nats per dimension, `−log p_Y / D`, upper-bound the discrete model's NLL per dimension. Any
 * logit or other preprocessing must sit inside the model (as a bijector with its log-det) for
 * `log p_X` to be the density of `x` itself.
 *
 * @param x - integer data `[...]`, every entry in `0 … L − 1`
 * @param options - `levels` (L), `seed`
 * @returns a new tensor of the same shape with values in [0, 1)
 * @throws TypeError when `x` is not a Tensor; RangeError when `levels` is not an integer ≥ 1, or
 *   for an entry that is not an integer in 0 … L − 1 (naming its row and column for a matrix)
 *
 * @see Theis, van den Oord & Bethge 2016, https://arxiv.org/abs/1511.01844 (§3.1)
 * @see Papamakarios et al. 2017, https://arxiv.org/abs/1705.07057 (§4.3)
 *
 * @example
 * const x = dequantize(tensor([[0, 16], [3, 5]]), { levels: 17, seed: 1 });
 * // x[0][1] ∈ [16/17, 1), x[1][0] ∈ [3/17, 4/17)
 */
export function dequantize(x: Tensor, options: DequantizeOptions): Tensor {
  const where = 'dequantize';
  assert(x instanceof Tensor, () => `${where}: 'x' must be a Tensor of integers, got ${describe(x)}`, TypeError);
  assert(typeof options === 'object' && options !== null, () => `${where}: expected options { levels, seed? }, got ${describe(options)}`, TypeError);
  const L = options.levels;
  assert(typeof L === 'number' && Number.isInteger(L) && L >= 1, () => `${where}: 'levels' must be an integer ≥ 1, got ${describe(L)}`, RangeError);
  const cols = x.rank >= 1 ? x.shape[x.rank - 1] : 1;
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < L)) {
      const at = x.rank === 2 ? `row ${Math.floor(i / cols)}, column ${i % cols}` : `flat index ${i}`;
      throw new RangeError(`${where}: 'x' has ${v} at ${at} (shape ${fmt(x.shape)}), expected an integer in 0 … ${L - 1} (levels ${L})`);
    }
  }
  const rng = toRandom(options.seed ?? 0);
  const out = rng.fillUniform(new Float64Array(x.size)); // u ∈ [0, 1), so x stays below (v + 1)/L
  for (let i = 0; i < x.size; i++) out[i] = (x.data[i] + out[i]) / L;
  return new Tensor(out, x.shape);
}

/**
 * The log-density of the unscaled dequantized data `y = L·x ∈ [0, L)^D` from the log-density of
 * the scaled data `x ∈ [0, 1)^D` that a model of {@link dequantize}'s output gives:
 *
 *   log p_Y(y) = log p_X(x) − D · log L
 *
 * Divide its negative by `D` for nats per dimension (and by `log 2` for bits per dimension).
 *
 * @param logProbX - `log p_X(x)`, any shape (e.g. `[batch]` from `flow.logProb(x)`)
 * @param options - `levels` (L) and `eventSize` (D, the number of entries of one event)
 * @returns `log p_Y`, the same shape
 * @throws TypeError when `logProbX` is not a Tensor; RangeError when `levels` or `eventSize` is not a positive integer
 *
 * @example
 * // 8×8 digits, 17 levels: subtract 64·log 17 ≈ 181.33 nats per image
 * dequantizedLogProb(flow.logProb(x), { levels: 17, eventSize: 64 });
 */
export function dequantizedLogProb(logProbX: Tensor, options: { levels: number; eventSize: number }): Tensor {
  const where = 'dequantizedLogProb';
  assert(logProbX instanceof Tensor, () => `${where}: 'logProbX' must be a Tensor, got ${describe(logProbX)}`, TypeError);
  assert(typeof options === 'object' && options !== null, () => `${where}: expected options { levels, eventSize }, got ${describe(options)}`, TypeError);
  const { levels, eventSize } = options;
  for (const [arg, v] of [['levels', levels], ['eventSize', eventSize]] as const) {
    assert(typeof v === 'number' && Number.isInteger(v) && v >= 1, () => `${where}: '${arg}' must be an integer ≥ 1, got ${describe(v)}`, RangeError);
  }
  return sub(logProbX, eventSize * Math.log(levels));
}
