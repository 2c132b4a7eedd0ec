// Products shared with a worker thread equal the single-threaded ones bit for bit (gemm, staircases, maskedMatmul, a MAF's training run), and the worker never holds a process open.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { getNumThreads, setNumThreads, simdAvailable, withGemmBackend, withKernelMode } from '../../../autodiff/kernels/config.js';
import { gemm, gemmStaircase, type GemmOptions, type Staircase } from '../../../autodiff/kernels/gemm.js';
import { maskPlan } from '../../../autodiff/kernels/mask-plan.js';
import { PARALLEL_MIN_WORK, startThreads, stopThreads, threadStats } from '../../../autodiff/kernels/threads.js';
import { mul } from '../../../autodiff/ops/binary.js';
import { maskedMatmul } from '../../../autodiff/ops/masked-matmul.js';
import { mean, sum } from '../../../autodiff/ops/reduce.js';
import { neg } from '../../../autodiff/ops/unary.js';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { ones, Tensor, zeros } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import type { Bijector } from '../../../flows/bijectors/bijector.js';
import { Chain } from '../../../flows/bijectors/chain.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { Reverse } from '../../../flows/bijectors/permute.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../../../flows/distributions/transformed-distribution.js';
import { makeMasks } from '../../../flows/made/masks.js';
import type { Random } from '../../../lib/util/random.js';
import { randn, seededRng } from '../../helpers/grad-check.js';

function randomArray(rng: Random, n: number): Float64Array {
  return rng.fillNormal(new Float64Array(n));
}

/** True when both arrays hold the same bits everywhere (NaN equal to NaN, +0 different from −0). */
function sameBits(p: ArrayLike<number>, q: ArrayLike<number>): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
  return true;
}

/** Runs `fn` with `n` threads allowed, restoring the setting after. */
function withThreads<T>(n: number, fn: () => T): T {
  const before = setNumThreads(n);
  try {
    return fn();
  } finally {
    setNumThreads(before);
  }
}

/**
 * Runs one product into a copy of `c0` on one thread and on two; returns both results and how many
 * products the two-thread run shared.
 */
function bothWays(c0: Float64Array, run: (c: Float64Array) => void): { one: Float64Array; two: Float64Array; shared: number } {
  const one = c0.slice();
  withThreads(1, () => run(one));
  const two = c0.slice();
  const before = threadStats().sharedProducts;
  withThreads(2, () => run(two));
  return { one, two, shared: threadStats().sharedProducts - before };
}

const layouts: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];

let ready = 1;
beforeAll(async () => {
  setNumThreads(2);
  ready = await startThreads();
});
afterAll(async () => {
  await stopThreads();
});

describe('threads', () => {
  it('start one worker in Node with 2 threads allowed', () => {
    expect(getNumThreads()).toBe(2);
    expect(ready).toBe(2);
  });

  it('gemm: the same bits on 1 and 2 threads, every layout, accumulate, strides, odd sizes (rows and columns split)', () => {
    const rng = seededRng('threads-gemm');
    // [m, n, k]: n > m splits columns (1030 is not a multiple of 4), m ≥ n splits rows; 131 × 517 × 259 crosses every block.
    const sizes: Array<[number, number, number]> = [[37, 1030, 61], [1030, 37, 61], [131, 517, 259], [203, 200, 97]];
    for (const [m, n, k] of sizes) {
      for (const [transA, transB] of layouts) {
        for (const accumulate of [false, true]) {
          const gap = (m + n) % 3; // junk values between rows: ld = row length + gap
          const [aRows, aCols] = transA ? [k, m] : [m, k];
          const [bRows, bCols] = transB ? [n, k] : [k, n];
          const options: GemmOptions = { transA, transB, accumulate, aOffset: 1, bOffset: 2, cOffset: 3, lda: aCols + gap, ldb: bCols + gap, ldc: n + gap };
          const a = randomArray(rng, 2 + aRows * (aCols + gap));
          const b = randomArray(rng, 3 + bRows * (bCols + gap));
          const c0 = randomArray(rng, 5 + m * (n + gap)); // the junk around C must survive too
          const r = bothWays(c0, (c) => gemm(m, n, k, a, b, c, options));
          expect(r.shared).toBe(1);
          expect(sameBits(r.two, r.one)).toBe(true);
        }
      }
    }
  });

  it('gemmStaircase: the same bits on 1 and 2 threads for depth and row limits, sorted and arbitrary', () => {
    const rng = seededRng('threads-staircase');
    const stairs = (n: number, top: number, sorted: boolean): Int32Array => {
      const v = Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * (top + 3)));
      return sorted ? v.sort() : v;
    };
    // The three products of maskedMatmul (forward y = x·w′, dx = dy·w′ᵀ, dw = xᵀ·dy) and every limit at once.
    const cases: Array<[number, number, number, (n: number, m: number, k: number, s: boolean) => Staircase, GemmOptions]> = [
      [256, 516, 300, (n, _m, k, s) => ({ depthEnd: stairs(n, k, s) }), {}],
      [256, 300, 516, (n, _m, k, s) => ({ depthStart: stairs(n, k, s) }), { transB: true, accumulate: true }],
      [300, 516, 256, (n, m, _k, s) => ({ rowEnd: stairs(n, m, s) }), { transA: true, accumulate: true }],
      [300, 516, 256, (n, m, _k, s) => ({ rowEnd: stairs(n, m, s) }), { transA: true }],
      [517, 131, 259, (n, m, k, s) => ({ depthStart: stairs(n, k >> 1, s), depthEnd: stairs(n, k, s), rowEnd: stairs(n, m, s) }), {}],
    ];
    for (const [m, n, k, make, options] of cases) {
      for (const sorted of [true, false]) {
        const s = make(n, m, k, sorted);
        const a = randomArray(rng, m * k);
        const b = randomArray(rng, k * n);
        const r = bothWays(randomArray(rng, m * n), (c) => gemmStaircase(m, n, k, a, b, c, s, options));
        expect(r.shared).toBe(1);
        expect(sameBits(r.two, r.one)).toBe(true);
      }
    }
  });

  it('shares a product from PARALLEL_MIN_WORK multiply-adds on, not below, with the same bits either side', () => {
    const rng = seededRng('threads-threshold');
    // 64 × 64 × k multiply-adds: k = ⌊PARALLEL_MIN_WORK / 4096⌋ is just below the threshold, k + 1 at or above it.
    const kBelow = Math.floor((PARALLEL_MIN_WORK - 1) / 4096);
    for (const [k, shared] of [[kBelow, 0], [kBelow + 1, 1]]) {
      const [a, b] = [randomArray(rng, 64 * k), randomArray(rng, k * 64)];
      const r = bothWays(new Float64Array(64 * 64), (c) => gemm(64, 64, k, a, b, c));
      expect(r.shared).toBe(shared);
      expect(sameBits(r.two, r.one)).toBe(true);
    }
    // A staircase counts only the multiply-adds it keeps: depthEnd j / 64 · k keeps about half of them.
    const k = 2 * kBelow;
    const depthEnd = Int32Array.from({ length: 64 }, (_, j) => Math.floor((j * k) / 64));
    const [a, b] = [randomArray(rng, 64 * k), randomArray(rng, k * 64)];
    const r = bothWays(new Float64Array(64 * 64), (c) => gemmStaircase(64, 64, k, a, b, c, { depthEnd }));
    expect(r.shared).toBe(0);
    expect(sameBits(r.two, r.one)).toBe(true);
  });

  it('maskedMatmul: the same values and gradients on 1 and 2 threads, permuted MADE masks, structured and dense', () => {
    const rng = seededRng('threads-masked-matmul');
    // Right-to-left order and random hidden degrees: both plan orders are permutations.
    const masks = makeMasks({ params: 2, eventSize: 40, hiddenUnits: [300], inputOrder: 'right-to-left', hiddenDegrees: 'random', rng: 3 });
    for (const mask of masks) {
      const plan = maskPlan(mask.data, mask.shape[0], mask.shape[1]);
      expect(plan.staircase && !plan.rowsSorted && !plan.colsSorted).toBe(true);
    }
    for (const mode of ['structured', 'dense'] as const) {
      for (const mask of masks) {
        const [fanIn, fanOut] = mask.shape;
        // batch 400: about 400·40·300/2 = 2.4M and 400·300·80/2 = 4.8M kept multiply-adds, both shared
        const [x, w, bias] = [randn(rng, [400, fanIn]), randn(rng, [fanIn, fanOut]), randn(rng, [fanOut])];
        const r = randn(rng, [400, fanOut]);
        const pass = () => {
          const leaves = [x, w, bias].map((t) => new Tensor(t.data.slice(), t.shape, { requiresGrad: true }));
          const y = withKernelMode(mode, () => maskedMatmul(leaves[0], leaves[1], mask, leaves[2]));
          sum(mul(y, r)).backward();
          return [y.data, ...leaves.map((t) => t.grad!.data)];
        };
        const before = threadStats().sharedProducts;
        const one = withThreads(1, pass);
        const two = withThreads(2, pass);
        expect(threadStats().sharedProducts - before).toBe(3); // forward, dx and dw
        one.forEach((v, i) => expect(sameBits(two[i], v)).toBe(true));
      }
    }
  });

  it('train a 2-layer MAF by Adam to the same bits on 1 and 2 threads, 20 steps', () => {
    // D 16, hidden [256, 256], batch 128: the hidden-to-hidden products (128·256·256/2 ≈ 4.2M multiply-adds) are shared.
    const curve = (threads: number) => withThreads(threads, () => {
      const bijectors: Bijector[] = [];
      for (let l = 0; l < 2; l++) {
        const made = new AutoregressiveNetwork({ params: 2, eventShape: 16, hiddenUnits: [256, 256], activation: 'relu', seed: 7 + l });
        if (l > 0) bijectors.unshift(new Reverse());
        bijectors.unshift(new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }));
      }
      const flow = new TransformedDistribution({
        distribution: new MultivariateNormalDiag({ loc: zeros([16]), scaleDiag: ones([16]) }),
        bijector: new Chain(bijectors),
      });
      const x = randn(seededRng('threads-maf-data'), [128, 16]);
      const weights = flow.trainableWeights;
      const opt = new Adam({ learningRate: 1e-3 });
      const losses: number[] = [];
      for (let step = 0; step < 20; step++) {
        const loss = neg(mean(flow.logProb(x)));
        opt.zeroGrad(weights);
        loss.backward();
        opt.step(weights);
        losses.push(loss.item());
      }
      return { losses, weights: weights.map((t) => t.data.slice()) };
    });
    const before = threadStats();
    const one = curve(1);
    const two = curve(2);
    const after = threadStats();
    // At least the hidden-to-hidden product of each layer in each step: forward, dx and dw.
    expect(after.sharedProducts - before.sharedProducts).toBeGreaterThanOrEqual(20 * 2 * 3);
    expect(after.workerChunks).toBeGreaterThan(before.workerChunks);
    expect(one.losses[19]).toBeLessThan(one.losses[0]); // it really trains
    expect(sameBits(two.losses, one.losses)).toBe(true);
    one.weights.forEach((w, i) => expect(sameBits(two.weights[i], w)).toBe(true));
  });

  it('the worker multiplies with the SIMD kernel when the calling thread does, and with JavaScript when told: the same bits either way', () => {
    const rng = seededRng('threads-simd');
    const [m, n, k] = [203, 517, 131];
    const [a, b] = [randomArray(rng, m * k), randomArray(rng, k * n)];
    const results: Float64Array[] = [];
    for (const backend of ['js', 'wasm-simd'] as const) {
      if (backend === 'wasm-simd' && !simdAvailable()) continue;
      // A worker slow to wake takes no piece (the calling thread claims them all, as designed); on a
      // loaded machine that can happen to one product, so the product is repeated until the worker has taken one.
      let before = threadStats();
      let after = before;
      let r: ReturnType<typeof bothWays> = { shared: 0, one: new Float64Array(0), two: new Float64Array(0) };
      for (let attempt = 0; attempt < 50 && after.workerChunks === before.workerChunks; attempt++) {
        before = threadStats();
        r = withGemmBackend(backend, () => bothWays(new Float64Array(m * n), (c) => gemm(m, n, k, a, b, c, { transB: false })));
        after = threadStats();
        expect(r.shared).toBe(1);
        expect(sameBits(r.two, r.one)).toBe(true);
      }
      expect(after.workerChunks).toBeGreaterThan(before.workerChunks);
      const simdChunks = after.workerSimdChunks - before.workerSimdChunks;
      if (backend === 'js') expect(simdChunks).toBe(0);
      else expect(simdChunks).toBe(after.workerChunks - before.workerChunks);
      results.push(r.two);
    }
    // JavaScript on 2 threads and SIMD on 2 threads: the same bits as well.
    if (results.length === 2) expect(sameBits(results[1], results[0])).toBe(true);
  });

  it('runs on one thread only with setNumThreads(1)', () => {
    const rng = seededRng('threads-one');
    const [a, b] = [randomArray(rng, 200 * 200), randomArray(rng, 200 * 200)];
    const before = threadStats().sharedProducts;
    withThreads(1, () => gemm(200, 200, 200, a, b, new Float64Array(200 * 200)));
    expect(threadStats().sharedProducts).toBe(before);
  });

  it('the worker computed pieces of the products above (not only the calling thread)', () => {
    expect(threadStats().workerChunks).toBeGreaterThan(0);
  });
});

describe('a process using the threads', () => {
  // A script that multiplies with threads (after startThreads, or at once without waiting) and then
  // simply ends, bundled as the package is (ESM and CJS): it must exit by itself, promptly.
  const script = `
import { getNumThreads } from '${resolve('autodiff/kernels/config.ts')}';
import { gemm } from '${resolve('autodiff/kernels/gemm.ts')}';
import { startThreads, threadStats } from '${resolve('autodiff/kernels/threads.ts')}';
const a = new Float64Array(300 * 300).fill(0.5);
const c = new Float64Array(300 * 300);
const multiply = () => { for (let r = 0; r < 5; r++) gemm(300, 300, 300, a, a, c); };
if (process.env.WAIT === '1') {
  startThreads().then((threads) => {
    multiply();
    console.log(JSON.stringify({ threads, configured: getNumThreads(), ...threadStats(), c0: c[0] }));
  });
} else {
  multiply();
  console.log(JSON.stringify({ threads: 0, configured: getNumThreads(), ...threadStats(), c0: c[0] }));
}
`;
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'maflow-threads-'));
    writeFileSync(join(dir, 'entry.ts'), script);
    for (const format of ['esm', 'cjs'] as const) {
      buildSync({ entryPoints: [join(dir, 'entry.ts')], bundle: true, platform: 'node', format, outfile: join(dir, `entry.${format === 'esm' ? 'mjs' : 'cjs'}`), logLevel: 'error' });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const runScript = (file: string, env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [join(dir, file)], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
    return { status: r.status, signal: r.signal, stderr: r.stderr, out: r.stdout.trim() === '' ? null : JSON.parse(r.stdout) };
  };

  it.each(['entry.mjs', 'entry.cjs'])('%s: shares products with a worker after startThreads, then exits by itself', (file) => {
    const r = runScript(file, { WAIT: '1', MAFLOW_THREADS: '' });
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.status).toBe(0);
    // 300·300·300 multiply-adds of 0.5·0.5 per entry: 300 · 0.25 = 75
    expect(r.out).toMatchObject({ threads: 2, configured: 2, sharedProducts: 5, c0: 75 });
    expect(r.out.workerChunks).toBeGreaterThan(0);
  });

  it('a synchronous script never waits for the worker: it runs single-threaded and exits', () => {
    const r = runScript('entry.mjs', { WAIT: '0', MAFLOW_THREADS: '' });
    expect(r.status).toBe(0);
    expect(r.out).toMatchObject({ configured: 2, sharedProducts: 0, c0: 75 });
  });

  it('MAFLOW_THREADS sets the default; an invalid value is ignored with a warning', () => {
    const one = runScript('entry.mjs', { WAIT: '1', MAFLOW_THREADS: '1' });
    expect(one.out).toMatchObject({ threads: 1, configured: 1, sharedProducts: 0, c0: 75 });
    const bad = runScript('entry.cjs', { WAIT: '1', MAFLOW_THREADS: 'two' });
    expect(bad.status).toBe(0);
    expect(bad.stderr).toMatch(/maflow: ignoring MAFLOW_THREADS='two'; expected a whole number from 1 to 32/);
    expect(bad.out).toMatchObject({ threads: 2, configured: 2, c0: 75 });
  });
});
