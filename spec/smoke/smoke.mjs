// The package as a user meets it: `npm pack`, then the tarball installed (offline) into a fresh
// project in a temporary folder, and checked there on the installed copy:
//   1. the tarball: no source maps, no specs or sources, under a size budget;
//   2. an ESM and a CommonJS script that train, save, load and sample (bit-identical to each other);
//      every entry (the root, maflow/node, each subpath of package.json's "exports") by import and by
//      require: the same names both ways, one copy of every class and registry across entries, the
//      root's size (ROOT_VALUES_BUDGET), and no two names of an entry that differ only by case;
//   3. `tsc --strict --noEmit` (the repository's TypeScript 7) in bundler mode and in node16 + CommonJS;
//   4. an esbuild bundle for the browser with no externals;
//   5. that bundle and the raw dist/index.mjs (a plain <script type="module">, no import map) in
//      headless Chromium (skipped with a notice when /usr/bin/chromium is absent).
// Run by `npm test` after the build. Prints one line per check, then `N passed, N failed`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CHROMIUM, launchChromium, serve } from '../helpers/browser.mjs';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TARBALL_BUDGET = 600_000; // bytes, packed: two unminified builds (ESM chunks, one CJS bundle) of about 500 kB each and the types
// The root's value exports (classes, functions, constants, namespaces): about 60, what everyday code uses; the
// rest is in the subpaths. Raise it only for a name most users need.
const ROOT_VALUES_BUDGET = 62;
// Names of one entry that differ only by case, allowed where the lowercase one is the factory of the
// class (TF.js's tf.Tensor and tf.tensor): [class, factory, arguments that make one].
const FACTORY_PAIRS = [['Tensor', 'tensor', [[1, 2]]], ['CsvDataset', 'csvDataset', ['data.csv']]];
let passed = 0;
let failed = 0;

/** Runs one named check; a throw fails it with its message. */
async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
    passed++;
  } catch (e) {
    console.log(`FAIL ${name}\n${e instanceof Error ? e.message : String(e)}`);
    failed++;
  }
}

function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe', timeout: 180_000 });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

// ---- what the user's code does, once for ESM and once for CommonJS ---------------------------
// The body after the import line: the reference example (shortened training), save and load of
// the model and of a bare flow, every TensorLike form, fitDataset on a streamed CSV, predict.
const body = String.raw`
const { AutoregressiveNetwork, Sequential, InputLayer, DistributionLambda, MultivariateNormalDiag, AutoregressiveTransform,
  Adam, zeros, tensor, Random, noGrad, loadModel, maskedAutoregressiveFlowStack, saveFlow, loadDistribution, csvDataset, registerDistributionFn } = m;
// JSON cannot hold code: the base distribution's function is saved by name.
const standardNormal2d = (t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] });
registerDistributionFn('standardNormal2d', standardNormal2d);
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const assert = require('node:assert/strict');

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-user-'));
  // 500 banana points: x2 = 2·N(0,1), x1 = N(0,1) + x2²/4
  const rng = new Random('smoke-banana');
  const n = 500;
  const values = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x2 = 2 * rng.normal();
    values[2 * i] = rng.normal() + (x2 * x2) / 4;
    values[2 * i + 1] = x2;
  }
  const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu', seed: 42 });
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda(standardNormal2d),
    new AutoregressiveTransform(made),
  ]);
  model.compile({ optimizer: new Adam(), loss: (y, rvY) => rvY.logProb(y).neg() });
  // the data as { data, shape }: a typed array with its shape
  const history = await model.fit(zeros([n, 0]), { data: values, shape: [n, 2] }, { batchSize: 25, epochs: 3, stepsPerEpoch: n / 25, verbose: 0, seed: 0 });
  const loss = history.history.loss;
  assert.ok(loss[2] < loss[0], 'loss went down: ' + loss);
  const distribution = model.predict(zeros([1, 0]));
  const sample = distribution.sample(4, { seed: 1 });
  assert.deepEqual(sample.shape, [4, 1, 2]);
  const data = tensor(values, [n, 2]);
  const logp = noGrad(() => distribution.logProb(data.reshape([n, 1, 2])).mean().item());
  // every TensorLike form gives the same density
  const row = [[1.5, -0.5]];
  const forms = [row, tensor(row), { data: Float64Array.of(1.5, -0.5), shape: [1, 2] }, tensor(row).toNdarray()];
  const dens = forms.map((x) => model.call(zeros([0])).logProb(x).item());
  assert.ok(dens.every((d) => d === dens[0]), 'TensorLike forms agree: ' + dens);

  // save and load the model, then a bare flow, each bit for bit
  const file = path.join(dir, 'model.json');
  await model.save(file);
  const again = await loadModel(file);
  assert.equal(again.call(zeros([0])).logProb(row).item(), dens[0]);
  const flow = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 2, hiddenUnits: [8], seed: 3 });
  await saveFlow(flow, path.join(dir, 'flow.json'));
  const flowAgain = await loadDistribution(path.join(dir, 'flow.json'));
  assert.equal(flowAgain.logProb(row).item(), flow.logProb(row).item());

  // a CSV streamed in chunks
  const csv = path.join(dir, 'data.csv');
  fs.writeFileSync(csv, 'x1,x2\n' + Array.from({ length: n }, (_, i) => values[2 * i] + ',' + values[2 * i + 1]).join('\n') + '\n');
  const streamed = await model.fitDataset(csvDataset(csv, { batchSize: 50, shuffleBuffer: 100, seed: 0, chunkSize: 1024 }), { epochs: 1, verbose: 0 });
  assert.ok(Number.isFinite(streamed.history.loss[0]));
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify([...loss, ...sample.data, logp, dens[0], streamed.history.loss[0]]));
}
main().catch((e) => { console.error(e); process.exit(1); });
`;

// ---- what a TypeScript user writes, type-checked in both module modes --------------------------
// Each subpath is imported whole (\`import * as sub_ops from 'maflow/ops'\`), so every entry's types resolve in both modes.
const typed = (topLevel, subpaths) => `
import { Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer, MultivariateNormalDiag,
  Sequential, tensor, zeros, type Distribution, type Tensor, type TensorLike } from 'maflow';
import { csvDataset, loadModel, saveFlow } from 'maflow/node';
import { type ShiftOptions } from 'maflow/bijectors';
${subpaths.map((p) => `import * as sub_${p} from 'maflow/${p}';`).join('\n')}

${topLevel ? '' : 'export async function main(): Promise<void> {'}
const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu' });
const model = new Sequential([
  new InputLayer({ inputShape: [0] }),
  new DistributionLambda((t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] })),
  new AutoregressiveTransform(made),
]);
model.compile({ optimizer: new Adam(), loss: (y, rvY) => rvY.logProb(y).neg() });
const x: TensorLike = { data: new Float64Array(4), shape: [2, 2] };
await model.fit(zeros([2, 0]), x, { epochs: 1, verbose: 0, callbacks: { onEpochEnd: (epoch, logs) => console.log(epoch, logs?.loss) } });
await model.fitDataset(csvDataset('data.csv', { batchSize: 100 }), { epochs: 1 });
await model.save('model.json');
const loaded = await loadModel('model.json');
const logp: Tensor = loaded.call(zeros([0])).logProb([[1, 2]]); // no cast: loadModel gives Sequential<Distribution>
const flow: Distribution = model.predict(zeros([1, 0]));
await saveFlow(flow, 'flow.json');
console.log(logp.item(), tensor([1, 2]).toNdarray().shape);
const fromOps: Tensor = sub_ops.gather(sub_ops.tensor([1, 2, 3]), [2]); // one Tensor type across entries
const shift: ShiftOptions = { shift: 1 };
console.log(fromOps.item(), shift, ${subpaths.map((p) => `Object.keys(sub_${p}).length`).join(', ')});
${topLevel ? '' : '}'}
`;

const work = mkdtempSync(join(tmpdir(), 'maflow-smoke-'));
let server;
let browser;
try {
  // ---- 1. the tarball ---------------------------------------------------------------------------
  let tarball = '';
  await check('npm pack: no source maps, specs or sources; size within budget', () => {
    const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root));
    tarball = join(work, info.filename);
    const files = info.files.map((f) => f.path);
    const bad = files.filter((f) => f.endsWith('.map') || f.startsWith('spec/') || /(?<!\.d)\.c?ts$/.test(f) && !/\.d\.c?ts$/.test(f));
    if (bad.length > 0) throw new Error(`unexpected files: ${bad.slice(0, 5).join(', ')}`);
    // Every file package.json's "exports" points to, and the CommonJS bundle the .cjs wrappers require.
    const targets = (v) => (typeof v === 'string' ? [v] : Object.values(v).flatMap(targets));
    const exported = targets(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports).map((f) => f.replace(/^\.\//, ''));
    for (const need of new Set([...exported, 'dist/maflow.cjs', 'README.md'])) {
      if (!files.includes(need)) throw new Error(`missing ${need}`);
    }
    if (info.size > TARBALL_BUDGET) throw new Error(`${info.size} bytes packed, over the budget of ${TARBALL_BUDGET}`);
    return `${(info.size / 1000).toFixed(1)} kB packed, ${(info.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${files.length} files`;
  });

  // A fresh project; the tarball needs nothing else (its dependencies are bundled), so nothing is downloaded.
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'smoke-app', private: true, type: 'module' }));
  await check('npm install --offline of the tarball into a fresh project', () => {
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], app);
  });

  // ---- 2. ESM and CommonJS scripts --------------------------------------------------------------
  const outputs = [];
  for (const [name, file, head] of [
    ['ESM', 'user.mjs', "import * as m from 'maflow/node';\nimport { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n"],
    ['CommonJS', 'user.cjs', "const m = require('maflow/node');\n"],
  ]) {
    await check(`${name} script trains, saves, loads, samples and streams a CSV`, () => {
      writeFileSync(join(app, file), head + body);
      outputs.push(run(process.execPath, [file], app).trim());
    });
  }
  await check('ESM and CommonJS give bit-identical losses, samples and densities', () => {
    if (outputs.length !== 2 || outputs[0] !== outputs[1]) throw new Error(`ESM: ${outputs[0]}\nCJS: ${outputs[1]}`);
  });
  // ---- every entry, by import and by require --------------------------------------------------------
  const entryNames = Object.keys(JSON.parse(readFileSync(join(app, 'node_modules/maflow/package.json'), 'utf8')).exports)
    .filter((k) => k !== './package.json').map((k) => (k === '.' ? 'maflow' : `maflow/${k.slice(2)}`));
  const subpaths = entryNames.filter((e) => e !== 'maflow' && e !== 'maflow/node').map((e) => e.slice('maflow/'.length));
  // Loads every entry, then prints each one's names and the checks that need live values: every name
  // two entries share is one value, a Tensor from maflow/ops is a Tensor to the root, a name
  // registered through the root is seen through maflow/serialization, and the case check.
  const entriesBody = String.raw`
const FACTORY_PAIRS = ${JSON.stringify(FACTORY_PAIRS)};
const problems = [];
const first = new Map();
for (const [name, m] of Object.entries(entries)) {
  for (const [key, value] of Object.entries(m)) {
    if (key === 'default' || key === '__esModule') continue;
    if (!first.has(key)) first.set(key, [name, value]);
    else if (first.get(key)[1] !== value) problems.push(key + ' differs between ' + first.get(key)[0] + ' and ' + name);
  }
  const byCase = new Map();
  for (const key of Object.keys(m)) byCase.set(key.toLowerCase(), [...(byCase.get(key.toLowerCase()) ?? []), key]);
  for (const keys of byCase.values()) {
    if (keys.length < 2) continue;
    const pair = FACTORY_PAIRS.find(([cls, make]) => keys.length === 2 && keys.includes(cls) && keys.includes(make));
    if (pair === undefined || !(m[pair[1]](...pair[2]) instanceof m[pair[0]])) problems.push(name + ' exports ' + keys.join(' and ') + ', which differ only by case');
  }
}
const root = entries['maflow'];
if (!(entries['maflow/ops'].tensor([1]) instanceof root.Tensor)) problems.push('a Tensor from maflow/ops is not a Tensor to maflow');
if (root.ops.add !== entries['maflow/ops'].add) problems.push("maflow's ops namespace is not maflow/ops");
const fn = () => undefined;
root.registerDistributionFn('smokeEntries', fn);
if (entries['maflow/serialization'].getDistributionFn('smokeEntries') !== fn) problems.push('maflow/serialization does not see a name registered through maflow');
console.log(JSON.stringify({ problems, names: Object.fromEntries(Object.entries(entries).map(([n, m]) => [n, Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort()])) }));
`;
  const entryRuns = {};
  for (const [mode, file, load] of [
    ['import', 'entries.mjs', entryNames.map((e, i) => `import * as e${i} from '${e}';`).join('\n') + `\nconst entries = { ${entryNames.map((e, i) => `'${e}': e${i}`).join(', ')} };`],
    ['require', 'entries.cjs', `const entries = { ${entryNames.map((e) => `'${e}': require('${e}')`).join(', ')} };`],
  ]) {
    await check(`by ${mode}, every entry (${entryNames.length}) loads and shares one copy of every class and registry; no names differ only by case`, () => {
      writeFileSync(join(app, file), `${load}\n${entriesBody}`);
      const result = JSON.parse(run(process.execPath, [file], app));
      if (result.problems.length > 0) throw new Error(result.problems.join('\n'));
      entryRuns[mode] = result.names;
    });
  }
  await check('import and require give every entry the same names', () => {
    const diff = entryNames.filter((e) => JSON.stringify(entryRuns.import?.[e]) !== JSON.stringify(entryRuns.require?.[e]));
    if (diff.length > 0) throw new Error(diff.map((e) => `${e}: import ${entryRuns.import?.[e]}\nrequire ${entryRuns.require?.[e]}`).join('\n'));
  });
  await check(`the root exports about 60 values (at most ${ROOT_VALUES_BUDGET})`, () => {
    const count = entryRuns.import?.maflow?.length ?? Infinity;
    if (count > ROOT_VALUES_BUDGET) throw new Error(`${count} values; move what everyday code does not need to a subpath`);
    return `${count} values; ${subpaths.map((p) => `maflow/${p} ${entryRuns.import[`maflow/${p}`].length}`).join(', ')}`;
  });

  // ---- 3. strict TypeScript in both module modes --------------------------------------------------
  const tsc = join(root, 'node_modules/.bin/tsc');
  const common = { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false };
  await check('tsc --strict --noEmit, moduleResolution bundler', () => {
    writeFileSync(join(app, 'user.ts'), typed(true, subpaths));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...common, module: 'ESNext', moduleResolution: 'bundler' }, files: ['user.ts'] }));
    run(tsc, ['-p', 'tsconfig.json'], app);
  });
  await check('tsc --strict --noEmit, module node16 in a "type": "commonjs" project', () => {
    const cjs = join(app, 'cjs');
    mkdirSync(cjs);
    writeFileSync(join(cjs, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    writeFileSync(join(cjs, 'user.ts'), typed(false, subpaths));
    writeFileSync(join(cjs, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16' }, files: ['user.ts'] }));
    run(tsc, ['-p', 'tsconfig.json'], cjs);
  });

  // ---- 4. a browser bundle with no externals ------------------------------------------------------
  const page = (src) => `<!doctype html><meta charset="utf-8"><title>maflow</title>
<script type="module">
${src}
</script>`;
  // Trains a little, checks the loss falls, and that saving to a file says what to do instead.
  const browserCode = (importLine) => `${importLine}
const { Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer, MultivariateNormalDiag, Random, Sequential, zeros,
  registerDistributionFn } = m;
try {
  const standardNormal2d = (t) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] });
  registerDistributionFn('standardNormal2d', standardNormal2d);
  const rng = new Random('browser');
  const ys = Array.from({ length: 200 }, () => { const b = 2 * rng.normal(); return [rng.normal() + b * b / 4, b]; });
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda(standardNormal2d),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu', seed: 1 })),
  ]);
  model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: (y, rv) => rv.logProb(y).neg() });
  const h = await model.fit(zeros([200, 0]), ys, { batchSize: 50, epochs: 4, verbose: 0, seed: 0 });
  const again = Sequential.fromJSON(JSON.stringify(model.toJSON()));
  const same = again.call(zeros([0])).logProb([[1, 0]]).item() === model.call(zeros([0])).logProb([[1, 0]]).item();
  let saveError = '';
  try { await model.save('x.json'); } catch (e) { saveError = e.message; }
  window.__result = { loss: h.history.loss, same, saveError, sample: model.call(zeros([0])).sample(3, { seed: 1 }).shape };
} catch (e) {
  window.__result = { error: String(e && e.stack || e) };
}`;
  writeFileSync(join(app, 'browser-entry.mjs'), browserCode("import * as m from 'maflow';"));
  await check('esbuild --bundle --platform=browser with no externals', async () => {
    const r = await build({ entryPoints: [join(app, 'browser-entry.mjs')], bundle: true, platform: 'browser', format: 'esm',
      outfile: join(app, 'bundle.js'), absWorkingDir: app, logLevel: 'silent', metafile: true });
    const inputs = Object.keys(r.metafile.inputs);
    if (!inputs.some((f) => f.includes('node_modules/maflow/dist/'))) throw new Error(`maflow was not bundled from the installed copy: ${inputs.slice(0, 3)}`);
    return `${inputs.length} inputs`;
  });
  writeFileSync(join(app, 'bundle.html'), page("import './bundle.js';"));
  writeFileSync(join(app, 'raw.html'), page(browserCode("import * as m from './node_modules/maflow/dist/index.mjs';")));

  // ---- 5. headless Chromium -----------------------------------------------------------------------
  if (!existsSync(CHROMIUM)) {
    console.log('browser checks SKIPPED: chromium not installed');
  } else {
    server = await serve(app);
    browser = await launchChromium();
    for (const [name, html] of [['the esbuild bundle', 'bundle.html'], ['the raw dist/index.mjs (<script type="module">, no import map)', 'raw.html']]) {
      await check(`Chromium runs ${name}: trains, round-trips through toJSON, and model.save points to toJSON`, async () => {
        const tab = await browser.context.newPage();
        const errors = [];
        tab.on('pageerror', (e) => errors.push(e.message));
        await tab.goto(`http://127.0.0.1:${server.address().port}/${html}`);
        await tab.waitForFunction(() => window.__result !== undefined, undefined, { timeout: 120_000 });
        const result = await tab.evaluate(() => window.__result);
        await tab.close();
        if (errors.length > 0 || result.error) throw new Error(`${errors.join('\n')}${result.error ?? ''}`);
        const { loss, same, saveError, sample } = result;
        if (!(loss[loss.length - 1] < loss[0])) throw new Error(`the loss did not fall: ${loss}`);
        if (!same) throw new Error('Sequential.fromJSON(toJSON) changed the density');
        if (!/toJSON/.test(saveError)) throw new Error(`model.save gave no hint: '${saveError}'`);
        if (JSON.stringify(sample) !== '[3,2]') throw new Error(`sample shape ${sample}`);
        return `loss ${loss[0].toFixed(3)} → ${loss[loss.length - 1].toFixed(3)}`;
      });
    }
  }
} finally {
  await browser?.close();
  server?.close();
  rmSync(work, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
