// Builds dist/ with esbuild, then .d.ts and .d.cts files with tsc. The entries: the root (lib/index.ts),
// maflow/node (lib/node/index.ts: the root plus file I/O) and one subpath per file of lib/entries/
// (maflow/ops, maflow/kernels, …). Every entry must share one copy of every class, registry and
// kernel setting with the others (a Tensor from maflow/ops is a Tensor to the root), so:
// - ESM: dist/index.mjs, dist/node.mjs and dist/<subpath>.mjs come from one build with code
//   splitting: each module's code sits in exactly one shared chunk (dist/maflow-<hash>.mjs), and
//   an entry file only re-exports from the chunks;
// - CommonJS: one bundle, dist/maflow.cjs, holds everything, its exports one namespace per entry
//   (`index`, `node`, `ops`, …); dist/index.cjs, dist/node.cjs and dist/<subpath>.cjs are one-line
//   wrappers, `module.exports = require('./maflow.cjs').ops`, so every `require` of any entry
//   reaches the one module instance Node caches for dist/maflow.cjs.
//
// Dependencies (ndarray, ndarray-ops, seedrandom) are bundled in: a plain <script type="module">
// can import dist/index.mjs with no import map, and the package installs with nothing else.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Entry name (the file name in dist/) → its source: index (the root), node, then lib/entries/<name>.ts. */
const entries = {
  index: 'lib/index.ts',
  node: 'lib/node/index.ts',
  ...Object.fromEntries(readdirSync('lib/entries').filter((f) => f.endsWith('.ts')).sort()
    .map((f) => [f.replace(/\.ts$/, ''), `lib/entries/${f}`])),
};

rmSync('dist', { recursive: true, force: true });
const common = { bundle: true, target: 'es2022', legalComments: 'none', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: Object.entries(entries).map(([out, source]) => ({ in: source, out })),
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'maflow-[hash]',
  format: 'esm',
  splitting: true,
  // Browser platform: the root must not need Node, and seedrandom's package.json maps its optional
  // require('crypto') (for unseeded use, which maflow never makes) to nothing there. Only node.mjs's code imports node:*.
  platform: 'browser',
  external: ['node:*'],
});
// The one CommonJS bundle: `export * as <entry>` for every entry, so each entry's names stay apart.
await build({
  ...common,
  stdin: {
    contents: Object.entries(entries).map(([name, source]) => `export * as ${name} from './${source}';`).join('\n'),
    resolveDir: '.',
    sourcefile: 'maflow-entries.ts',
    loader: 'ts',
  },
  outfile: 'dist/maflow.cjs',
  format: 'cjs',
  platform: 'node',
});
for (const name of Object.keys(entries)) {
  const subpath = name === 'index' ? 'maflow' : `maflow/${name}`;
  writeFileSync(`dist/${name}.cjs`, `'use strict';\n// ${subpath} for require: its names from the one shared bundle (see scripts/build.mjs).\nmodule.exports = require('./maflow.cjs').${name};\n`);
}

execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
// CommonJS-flavoured copies of the declarations for `require` (TypeScript reads a .d.ts next to an
// ESM file as ESM): each x.d.ts gets an x.d.cts whose relative imports (and module augmentations)
// name './y.cjs' (→ y.d.cts).
function cjsTypes(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) cjsTypes(path);
    else if (name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8').replace(/((?:from|import|declare module)\s*\(?\s*['"]\.{1,2}\/[^'"]*?)\.js(['"])/g, '$1.cjs$2');
      writeFileSync(path.replace(/\.d\.ts$/, '.d.cts'), text);
    }
  }
}
cjsTypes('dist/types');
console.log(`built dist/{${Object.keys(entries).join(',')}}.{mjs,cjs} (ESM with shared chunks; CJS wrappers of dist/maflow.cjs) and dist/types/ (.d.ts, .d.cts)`);
