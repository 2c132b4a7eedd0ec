// Builds dist/: one ESM and one CJS bundle of lib/index.ts with esbuild, then .d.ts files with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const common = {
  entryPoints: ['lib/index.ts'],
  bundle: true,
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  // Runtime dependencies stay external so users share one copy with their own code.
  external: ['ndarray', 'ndarray-ops', 'seedrandom', 'node:*'],
  mainFields: ['module', 'main'],
};
await build({ ...common, format: 'esm', outfile: 'dist/index.mjs' });
await build({ ...common, format: 'cjs', outfile: 'dist/index.cjs' });
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
console.log('built dist/index.mjs, dist/index.cjs and dist/types/');
