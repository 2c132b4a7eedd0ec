// Runs a TypeScript entry (a bench script or an example) under plain Node: esbuild bundles it
// to out/.run/<name>.mjs (dependencies stay external), then Node imports that file.
// Usage: node scripts/run-ts.mjs bench/matmul.ts [args...]
import { build } from 'esbuild';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
const outfile = resolve('out/.run', basename(entry).replace(/\.ts$/, '.mjs'));
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);
