import { simdAvailable, withGemmBackend } from '../../../autodiff/kernels/config.js';
import { axpyKernel } from '../../../autodiff/kernels/wasm/axpy-kernel.js';
import { noGrad, type Tensor } from '../../../autodiff/tensor.js';
import type { AutoregressiveNetworkOptions } from '../../../flows/made/autoregressive-network.js';
import { onePassForward } from '../../../flows/made/one-pass-sampler.js';
import { randn, seededRng } from '../../helpers/grad-check.js';
import { randomMade } from '../bijectors/made-helpers.js';
import { makeCase } from './made-cases.js';

/** Indices of the elements that differ in bits (Object.is), at most 5, so a failure names them. */
function differing(a: Float64Array, b: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length && out.length < 5; i++) if (!Object.is(a[i], b[i])) out.push(i);
  return a.length === b.length ? out : [-1];
}

/** Samples with both push kernels; the outputs of the walk must match bit for bit. */
function bothBackends(options: AutoregressiveNetworkOptions & { eventShape: number }, seed: string, uShape: number[], cShape?: number[]): void {
  const rng = seededRng(`${seed}-inputs`);
  const made = randomMade(options, seed);
  const u = randn(rng, uShape);
  const c = cShape === undefined ? undefined : randn(rng, cShape);
  const run = (backend: 'js' | 'wasm-simd'): { y: Tensor; logDet: Tensor } => {
    const r = withGemmBackend(backend, () => noGrad(() => onePassForward(made, u, c)));
    if (r === null) throw new Error(`${seed}: the walk declined`);
    return r;
  };
  const js = run('js');
  const simd = run('wasm-simd');
  // Twice: the second call reuses the workspace (and the kernel memory another case may have grown).
  const again = run('wasm-simd');
  expect({ seed, y: differing(simd.y.data, js.y.data), logDet: differing(simd.logDet.data, js.logDet.data) })
    .toEqual({ seed, y: [], logDet: [] });
  expect({ seed, y: differing(again.y.data, js.y.data) }).toEqual({ seed, y: [] });
}

const describeSimd = simdAvailable() ? describe : describe.skip;

describeSimd('one-pass sampling with the SIMD push', () => {
  it('axpy kernels: z[j] + (((a0·w0 + a1·w1) + a2·w2) + a3·w3), bit for bit, for every length 0 … 9 and odd offsets', () => {
    const k = axpyKernel();
    if (k === null) throw new Error('no kernel');
    k.reserve(8 * 1000);
    const mem = new Float64Array(k.memory.buffer, 0, 1000);
    const rng = seededRng('axpy');
    for (let len = 0; len <= 9; len++) {
      for (const off of [0, 1]) {
        rng.fillNormal(mem);
        const a = [rng.normal(), rng.normal(), rng.normal(), 1e-300];
        const z0 = off, w = [100 + off, 200, 301, 400 + off];
        const zRef = Float64Array.from(mem.subarray(z0, z0 + 3 * 10));
        for (let j = 0; j < len; j++) zRef[j] += a[0] * mem[w[0] + j] + a[1] * mem[w[1] + j] + a[2] * mem[w[2] + j] + a[3] * mem[w[3] + j];
        for (let j = 0; j < len; j++) zRef[10 + j] += a[0] * mem[w[0] + j] + a[1] * mem[w[1] + j];
        for (let j = 0; j < len; j++) zRef[20 + j] += a[0] * mem[w[0] + j];
        k.axpy4(8 * z0, 8 * w[0], 8 * w[1], 8 * w[2], 8 * w[3], a[0], a[1], a[2], a[3], len);
        k.axpy2(8 * (z0 + 10), 8 * w[0], 8 * w[1], a[0], a[1], len);
        k.axpy1(8 * (z0 + 20), 8 * w[0], a[0], len);
        expect({ len, off, diff: differing(mem.subarray(z0, z0 + 30), zRef) }).toEqual({ len, off, diff: [] });
      }
    }
  });

  it('equals the JavaScript push bit for bit on 36 random configurations', () => {
    const rng = seededRng('one-pass-simd-configs');
    for (let i = 0; i < 36; i++) {
      const k = makeCase(i, rng);
      bothBackends(k.options, `simd-case-${i}`, k.uShape, k.cShape);
    }
  });

  it('equals it on wider networks: residual blocks, conditional inputs, odd widths, random degrees and orders', () => {
    const configs: Array<{ options: AutoregressiveNetworkOptions & { eventShape: number }; uShape: number[]; cShape?: number[] }> = [
      { options: { params: 2, eventShape: 13, hiddenUnits: [37, 41], activation: 'relu' }, uShape: [7, 13] },
      { options: { params: 2, eventShape: 16, hiddenUnits: [64, 64, 64], activation: 'relu', residualBlocks: true }, uShape: [9, 16] },
      { options: { params: 2, eventShape: 11, hiddenUnits: [33, 33], activation: 'tanh', residualBlocks: true, inputOrder: 'random', hiddenDegrees: 'random' }, uShape: [5, 11] },
      { options: { params: 2, eventShape: 9, hiddenUnits: [29, 31], activation: 'relu', conditional: true, conditionalEventShape: 3, conditionalInputLayers: 'all_layers', inputOrder: 'right-to-left' }, uShape: [6, 9], cShape: [6, 3] },
      { options: { params: 2, eventShape: 7, hiddenUnits: [23], activation: 'elu', conditional: true, conditionalEventShape: 2, hiddenDegrees: 'random' }, uShape: [3, 7], cShape: [3, 2] },
      { options: { params: 2, eventShape: 24, hiddenUnits: [101, 77], activation: 'relu', useBias: false, inputOrder: 'random' }, uShape: [17, 24] },
    ];
    configs.forEach((cfg, i) => bothBackends(cfg.options, `simd-wide-${i}`, cfg.uShape, cfg.cShape));
  });
});
