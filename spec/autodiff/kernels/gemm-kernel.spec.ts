// The loop nest runs from its own source text (as the worker threads run it), and any split of C by rows, or by columns at multiples of 4, equals the whole product bit for bit.
import { GemmLoopNest, type GemmKernel } from '../../../autodiff/kernels/gemm-kernel.js';
import type { Random } from '../../../lib/util/random.js';
import { seededRng } from '../../helpers/grad-check.js';

function randomArray(rng: Random, n: number): Float64Array {
  return rng.fillNormal(new Float64Array(n));
}

/** Random non-decreasing limits in [0, top], the shape of a sorted MADE mask's stairs. */
function monotoneStairs(rng: Random, n: number, top: number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * (top + 1))).sort();
}

/** True when both arrays hold the same bits everywhere (NaN equal to NaN, +0 different from −0). */
function sameBits(p: Float64Array, q: Float64Array): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
  return true;
}

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  depthStart: Int32Array | null;
  depthEnd: Int32Array | null;
  rowEnd: Int32Array | null;
}

/** Runs `kernel` on copies of the same operands over the regions `parts` ([rowLo, rowHi, colLo, colHi] each); returns C. */
function product(kernel: GemmKernel, c: Case, a: Float64Array, b: Float64Array, c0: Float64Array, parts: number[][]): Float64Array {
  const out = c0.slice();
  const lda = c.transA ? c.m : c.k;
  const ldb = c.transB ? c.k : c.n;
  for (const [rowLo, rowHi, colLo, colHi] of parts) {
    kernel.run({
      m: c.m, n: c.n, k: c.k,
      a: { data: a, offset: 0, ld: lda, transposed: c.transA },
      b: { data: b, offset: 0, ld: ldb, transposed: c.transB },
      c: { data: out, offset: 0, ld: c.n },
      accumulate: c.accumulate,
      bias: null,
      stairs: { depthStart: c.depthStart, depthEnd: c.depthEnd, rowEnd: c.rowEnd },
      region: { rowLo, rowHi, colLo, colHi },
    });
  }
  return out;
}

describe('GemmLoopNest', () => {
  it('runs from its own source text, with no reference to anything outside it (as a worker thread runs it)', () => {
    // new Function's body sees only globals: a free reference to a module binding would throw here.
    const fromSource = new Function(`return new (${GemmLoopNest.toString()})();`)() as GemmKernel;
    const rng = seededRng('gemm-kernel-source');
    const c: Case = { m: 37, n: 41, k: 300, transA: false, transB: true, accumulate: false, depthStart: null, depthEnd: monotoneStairs(rng, 41, 300), rowEnd: null };
    const [a, b, c0] = [randomArray(rng, 37 * 300), randomArray(rng, 41 * 300), randomArray(rng, 37 * 41)];
    const whole = [[0, c.m, 0, c.n]];
    expect(sameBits(product(fromSource, c, a, b, c0, whole), product(new GemmLoopNest(), c, a, b, c0, whole))).toBe(true);
  });

  it('gives the same bits split by rows anywhere, or by columns at multiples of 4, on every layout and kind of stairs', () => {
    const rng = seededRng('gemm-kernel-splits');
    const kernel = new GemmLoopNest();
    // 133 rows (past one 128-row block), 523 columns (past one 512-column block), 261 deep (past one 256 block).
    const [m, n, k] = [133, 523, 261];
    let checked = 0;
    for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]]) {
      for (const stairs of ['none', 'depthEnd', 'depthStart', 'rowEnd', 'all'] as const) {
        const accumulate = rng.uniform() < 0.5;
        const c: Case = {
          m, n, k, transA, transB, accumulate,
          depthStart: stairs === 'depthStart' || stairs === 'all' ? monotoneStairs(rng, n, k) : null,
          depthEnd: stairs === 'depthEnd' || stairs === 'all' ? monotoneStairs(rng, n, k + 5) : null,
          rowEnd: stairs === 'rowEnd' || stairs === 'all' ? monotoneStairs(rng, n, m + 2) : null,
        };
        const [a, b, c0] = [randomArray(rng, m * k), randomArray(rng, k * n), randomArray(rng, m * n)];
        const whole = product(kernel, c, a, b, c0, [[0, m, 0, n]]);
        // Rows cut at arbitrary places (not tile multiples), in any order; columns at multiples of 4.
        const rowCut = [[57, 130, 0, n], [0, 57, 0, n], [130, m, 0, n]];
        const colCut = [[0, m, 0, 4], [0, m, 260, n], [0, m, 4, 260]];
        expect(sameBits(product(kernel, c, a, b, c0, rowCut), whole)).toBe(true);
        expect(sameBits(product(kernel, c, a, b, c0, colCut), whole)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(20);
  });
});
