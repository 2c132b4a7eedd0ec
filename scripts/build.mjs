// Builds dist/ with esbuild, then .d.ts and .d.cts files with tsc:
// - dist/index.mjs, the root entry (lib/index.ts): runs anywhere, browsers included;
// - dist/node.mjs, the Node entry (lib/node/index.ts): the root plus file I/O. The two ESM entries
//   share their code in one chunk, so in Node `maflow` and `maflow/node` load one copy of every class;
// - dist/node.cjs, the Node entry for `require`, one file.
//
// Dependencies (ndarray, ndarray-ops, seedrandom) are bundled in: a plain <script type="module">
// can import dist/index.mjs with no import map, and the package installs with nothing else.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

rmSync('dist', { recursive: true, force: true });
const common = { bundle: true, target: 'es2022', legalComments: 'none', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: ['lib/index.ts', 'lib/node/index.ts'].map((e, i) => ({ in: e, out: i === 0 ? 'index' : 'node' })),
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'maflow-[hash]',
  format: 'esm',
  splitting: true,
  // Browser platform: the root must not need Node, and seedrandom's package.json maps its optional
  // require('crypto') (for unseeded use, which maflow never makes) to nothing there. Only node.mjs imports node:*.
  platform: 'browser',
  external: ['node:*'],
});
await build({ ...common, entryPoints: ['lib/node/index.ts'], outfile: 'dist/node.cjs', format: 'cjs', platform: 'node' });

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
console.log('built dist/index.mjs (root), dist/node.{mjs,cjs} (maflow/node) and dist/types/ (.d.ts, .d.cts)');
