// Second yardstick for bench/flows.ts: the same MAF configs (i–iv) in TensorFlow.js on its WebAssembly backend, samples/s.
// Usage: node scripts/run-ts.mjs bench/tfjs-yardstick.ts [--configs i,ii,iii,iv] [--seconds S]
//   Prints one JSON object: {"tfjs", "backend", "simd", "threads", "dtype", "calibration": {"dense_gemm_256x512x512_gflops"},
//   "configs": {"i": {"train", "logProb", "sample"}, …}}; exits with code 3 (and a note on stderr) when the packages are absent.
//
// What it builds, to match bench/flows.ts and the PyTorch yardstick: per config a MADE with relu (left-to-right order,
// 'equal' hidden degrees, masks [fanIn, fanOut] built as MADE's), outputs (shift, logScale), N(0, I) base, layers
// reversed in between; each masked dense layer is x · (W ⊙ M) + b with a fixed 0/1 mask M, glorot-uniform W, zero b.
//   train   one Adam step (lr 1e-3) on −mean(logProb(x)), through tf.train.adam's minimize;
//   logProb one density pass per layer;
//   sample  D sequential network passes per layer (TF.js has no one-pass sampler), as TFP, nflows and zuko do.
// Limits, said plainly: TF.js has float32 only (maflow and PyTorch run float64), and its wasm backend runs one
// thread in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there), with SIMD when the runtime validates it (Node 20 does).
// The wasm binaries are read from the installed package's dist folder (setWasmPaths), so nothing is downloaded.
// Choices that favour TF.js rather than maflow: the final layer's columns are ordered [shift_1…shift_D, logScale_1…logScale_D]
// so shift and logScale are two slices (no reshape), and sampling masks the kernels once per call, not once per pass.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { CONFIGS, type FlowConfig } from './configs.js';
import { medianCallMs } from './timing.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Tensor2D = import('@tensorflow/tfjs-core').Tensor2D;
type Variable = import('@tensorflow/tfjs-core').Variable;
type Measure = 'train' | 'logProb' | 'sample';
type Rates = Record<Measure, number>;

/** Exit code when @tensorflow/tfjs-core or @tensorflow/tfjs-backend-wasm is not installed; bench/flows.ts then skips the column. */
const TFJS_ABSENT_EXIT = 3;

function parseArgs(argv: string[]): { configs: string[]; seconds: number } {
  const usage = 'usage: bench/tfjs-yardstick.ts [--configs i,ii,iii,iv] [--seconds S]';
  let configs = Object.keys(CONFIGS);
  let seconds = 2;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`bench/tfjs-yardstick: '${flag}' needs a value (${usage})`);
    if (flag === '--configs') configs = v.split(',').filter((s) => s !== '');
    else if (flag === '--seconds') seconds = Number(v);
    else throw new Error(`bench/tfjs-yardstick: unknown argument '${flag}' (${usage})`);
  }
  for (const c of configs) {
    if (!(c in CONFIGS)) throw new Error(`bench/tfjs-yardstick: unknown config '${c}'; expected some of ${Object.keys(CONFIGS).join(',')}`);
  }
  if (!(seconds > 0)) throw new Error(`bench/tfjs-yardstick: '--seconds' must be a positive number, got ${seconds}`);
  return { configs, seconds };
}

/**
 * MADE masks as torch_maf_bench.py builds them (TFP's left-to-right order, 'equal' degrees), each [fanIn, fanOut]
 * row-major: unit k sees input j iff m(j) ≤ m(k); output column (p, d) sees unit k iff m(k) < d. The output
 * columns here are parameter-major, p·D + d (p = 0 shift, 1 logScale), so the two parameters are two slices.
 */
function madeMasks(eventSize: number, hiddenUnits: readonly number[]): { fanIn: number; fanOut: number; mask: Float32Array }[] {
  const D = eventSize;
  const degrees: number[][] = [Array.from({ length: D }, (_, d) => d + 1)];
  for (const h of hiddenUnits) {
    const lo = Math.min(Math.min(...degrees[degrees.length - 1]), D - 1);
    degrees.push(Array.from({ length: h }, (_, k) => Math.max(lo, Math.ceil(((k + 1) * (D - 1)) / (h + 1)))));
  }
  const masks = [];
  for (let l = 1; l < degrees.length; l++) {
    const [mIn, mOut] = [degrees[l - 1], degrees[l]];
    const mask = new Float32Array(mIn.length * mOut.length);
    for (let j = 0; j < mIn.length; j++) for (let k = 0; k < mOut.length; k++) mask[j * mOut.length + k] = mIn[j] <= mOut[k] ? 1 : 0;
    masks.push({ fanIn: mIn.length, fanOut: mOut.length, mask });
  }
  const mLast = degrees[degrees.length - 1];
  const mask = new Float32Array(mLast.length * 2 * D);
  for (let k = 0; k < mLast.length; k++) {
    for (let p = 0; p < 2; p++) for (let d = 0; d < D; d++) mask[k * 2 * D + p * D + d] = mLast[k] < d + 1 ? 1 : 0;
  }
  masks.push({ fanIn: mLast.length, fanOut: 2 * D, mask });
  return masks;
}

/** One MADE: masked dense layers with relu between them. */
class Made {
  readonly kernels: Variable[] = [];
  readonly biases: Variable[] = [];
  readonly masks: Tensor2D[] = [];

  constructor(private readonly tf: Tf, readonly eventSize: number, hiddenUnits: readonly number[], seed: number) {
    for (const [l, { fanIn, fanOut, mask }] of madeMasks(eventSize, hiddenUnits).entries()) {
      const m = tf.tensor2d(mask, [fanIn, fanOut]);
      // glorot-uniform on the full kernel, then masked, as the PyTorch yardstick does
      const lim = Math.sqrt(6 / (fanIn + fanOut));
      this.masks.push(m);
      this.kernels.push(tf.variable(tf.tidy(() => tf.mul(tf.randomUniform([fanIn, fanOut], -lim, lim, 'float32', seed * 16 + l), m))));
      this.biases.push(tf.variable(tf.zeros([fanOut])));
    }
  }

  /** The masked kernels W ⊙ M, recorded on the tape when gradients are taken. */
  maskedKernels(): Tensor2D[] {
    return this.kernels.map((w, l) => this.tf.mul(w, this.masks[l]));
  }

  /** shift and logScale, each [batch, D], from x [batch, D] and the masked kernels. */
  call(x: Tensor2D, kernels: Tensor2D[] = this.maskedKernels()): { shift: Tensor2D; logScale: Tensor2D } {
    const tf = this.tf;
    let h = x;
    for (let l = 0; l < kernels.length; l++) {
      h = tf.add(tf.matMul(h, kernels[l]), this.biases[l]);
      if (l < kernels.length - 1) h = tf.relu(h);
    }
    const D = this.eventSize;
    return { shift: tf.slice(h, [0, 0], [-1, D]), logScale: tf.slice(h, [0, D], [-1, D]) };
  }
}

/** The stacked MAF, density direction in one pass per layer, sampling in D passes per layer. */
class Maf {
  readonly mades: Made[];

  constructor(private readonly tf: Tf, readonly c: FlowConfig, seed: number) {
    this.mades = Array.from({ length: c.layers }, (_, l) => new Made(tf, c.eventSize, c.hiddenUnits, seed + l));
  }

  get variables(): Variable[] {
    return this.mades.flatMap((m) => [...m.kernels, ...m.biases]);
  }

  /** log p(x) = log N(u; 0, I) − Σ_layers Σ_d logScale_d, with u = (x − shift) · exp(−logScale) layer by layer. */
  logProb(x: Tensor2D): Tensor {
    const tf = this.tf;
    let u = x;
    let logDet: Tensor = tf.zeros([x.shape[0]]);
    for (const [l, made] of this.mades.entries()) {
      if (l > 0) u = tf.reverse(u, -1);
      const { shift, logScale } = made.call(u);
      u = tf.mul(tf.sub(u, shift), tf.exp(tf.neg(logScale)));
      logDet = tf.sub(logDet, tf.sum(logScale, -1));
    }
    const D = this.c.eventSize;
    return tf.add(tf.sub(tf.mul(-0.5, tf.sum(tf.square(u), -1)), 0.5 * D * Math.log(2 * Math.PI)), logDet);
  }

  /** x = z · exp(logScale(x)) + shift(x), solved for x_d one dimension per pass: D passes per layer. */
  sample(n: number, seed: number): Tensor2D {
    const tf = this.tf;
    const D = this.c.eventSize;
    let z = tf.randomNormal([n, D], 0, 1, 'float32', seed) as Tensor2D;
    for (let l = this.mades.length - 1; l >= 0; l--) {
      const kernels = this.mades[l].maskedKernels();
      let x = tf.zeros([n, D]) as Tensor2D;
      for (let d = 0; d < D; d++) {
        const next = tf.tidy(() => {
          const { shift, logScale } = this.mades[l].call(x, kernels);
          return tf.add(tf.mul(z, tf.exp(logScale)), shift) as Tensor2D;
        });
        x.dispose();
        x = next;
      }
      tf.dispose(kernels);
      z.dispose();
      z = l > 0 ? tf.tidy(() => tf.reverse(x, -1)) : x;
      if (l > 0) x.dispose();
    }
    return z;
  }
}

/** Samples/s: median of repeated calls for about `seconds` (at least 3) after one warm-up call and 0.3 s, as the other yardstick. */
function rate(run: () => void, rows: number, seconds: number): number {
  return rows / (medianCallMs(run, seconds, { warmCalls: 1, warmMs: 300, minCalls: 3 }) / 1000);
}

/** Dense float32 GFLOP/s of [256×512]·[512×512] in TF.js, the product the other yardstick and maflow calibrate on. */
function calibrate(tf: Tf, seconds: number): number {
  const a = tf.randomNormal([256, 512], 0, 1, 'float32', 1) as Tensor2D;
  const b = tf.randomNormal([512, 512], 0, 1, 'float32', 2) as Tensor2D;
  // tidy must return nothing here: it walks whatever it returns looking for tensors, a Float32Array included.
  const perS = rate(() => tf.tidy(() => {
    tf.matMul(a, b).dataSync();
  }), 1, seconds);
  tf.dispose([a, b]);
  return Number(((perS * 2 * 256 * 512 * 512) / 1e9).toFixed(2));
}

/**
 * Registers tfjs-core's gradients, which its Node entry (dist/tf-core.node.js) leaves out: the union package
 * @tensorflow/tfjs imports dist/register_all_gradients, an ES module with extensionless imports that Node cannot
 * load, so esbuild bundles it once into out/.run. The gradients land in tfjs-core's registry on globalThis, which
 * every copy of tfjs-core shares (as it shares the engine), so the CJS copy above finds them.
 */
async function registerGradients(): Promise<void> {
  const require = createRequire(import.meta.url);
  const entry = resolve(dirname(require.resolve('@tensorflow/tfjs-core')), 'register_all_gradients.js');
  const outfile = resolve('out/.run/tfjs-register-all-gradients.mjs');
  const { build } = await import('esbuild');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning' });
  await import(pathToFileURL(outfile).href);
}

/** Loads tfjs-core and the wasm backend from node_modules, or exits with {@link TFJS_ABSENT_EXIT} when either is absent. */
async function loadTf(): Promise<{ tf: Tf; simd: boolean }> {
  let tf: Tf;
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    tf = await import('@tensorflow/tfjs-core');
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    console.error(`bench/tfjs-yardstick: @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm are not installed (${(e as Error).message.split('\n')[0]}); npm install adds them`);
    process.exit(TFJS_ABSENT_EXIT);
  }
  await registerGradients();
  // The .wasm files ship in the package's dist folder, beside its Node entry: no download at run time.
  const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(`${dist}/`);
  if (!(await tf.setBackend('wasm'))) throw new Error(`bench/tfjs-yardstick: the wasm backend did not initialise from ${dist}`);
  await tf.ready();
  return { tf, simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { tf, simd } = await loadTf();
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : 1;
  const out = {
    tfjs: tf.version_core, backend: tf.getBackend(), simd, threads, dtype: 'float32',
    calibration: { dense_gemm_256x512x512_gflops: calibrate(tf, 1) }, configs: {} as Record<string, Rates>,
  };
  for (const name of args.configs) {
    const c = CONFIGS[name];
    const flow = new Maf(tf, c, 1000);
    const optimizer = tf.train.adam(1e-3);
    const variables = flow.variables;
    const x = tf.randomNormal([c.batch, c.eventSize], 0, 1, 'float32', 7) as Tensor2D;
    // Each call reads a result back (dataSync), so its time includes all the work it queued.
    const train = (): void => {
      const loss = optimizer.minimize(() => tf.neg(tf.mean(flow.logProb(x))), true, variables);
      loss?.dataSync();
      loss?.dispose();
    };
    const logProb = (): void => {
      tf.tidy(() => {
        flow.logProb(x).dataSync();
      });
    };
    let seed = 0;
    const sample = (): void => {
      const s = flow.sample(c.sampleBatch, ++seed);
      s.dataSync();
      s.dispose();
    };
    out.configs[name] = {
      train: rate(train, c.batch, args.seconds),
      logProb: rate(logProb, c.batch, args.seconds),
      sample: rate(sample, c.sampleBatch, args.seconds),
    };
    tf.dispose([x, ...variables, ...flow.mades.flatMap((m) => m.masks)]);
    optimizer.dispose();
  }
  console.log(JSON.stringify(out));
}

await main();
