// Builds the interactive page into out/demo/: docs/demo/demo.ts bundled with esbuild (maflow's sources
// included), the HTML with the model's source pasted in, and the CSS. Open out/demo/index.html directly.
// Usage: node scripts/build-demo.mjs   (npm run build:demo)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'docs/demo');
export const outDir = join(root, 'out/demo');

/** The text of `buildFlow` in model.ts, from its TSDoc to its closing brace, escaped for HTML. */
function modelSource() {
  const text = readFileSync(join(src, 'model.ts'), 'utf8');
  const start = text.lastIndexOf('/**', text.indexOf('export function buildFlow'));
  const end = text.indexOf('\n}\n', start) + 2;
  if (start < 0 || end < start) throw new Error('build-demo: cannot find buildFlow in docs/demo/model.ts');
  return text.slice(start, end).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Builds the page and returns the output folder. */
export async function buildDemo({ quiet = false } = {}) {
  const t0 = performance.now();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(src, 'demo.ts')],
    bundle: true,
    // A classic script, not an ES module: browsers refuse module scripts on file:// pages.
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    outfile: join(outDir, 'demo.js'),
    logLevel: 'warning',
  });
  const html = readFileSync(join(src, 'index.html'), 'utf8');
  const marker = '<!-- MODEL_SOURCE -->';
  if (!html.includes(marker)) throw new Error(`build-demo: docs/demo/index.html has no ${marker}`);
  writeFileSync(join(outDir, 'index.html'), html.replace(marker, () => modelSource()));
  copyFileSync(join(src, 'style.css'), join(outDir, 'style.css'));
  if (!quiet) {
    const kb = (statSync(join(outDir, 'demo.js')).size / 1024).toFixed(0);
    console.log(`built out/demo/ (demo.js ${kb} KiB) in ${(performance.now() - t0).toFixed(0)} ms; open out/demo/index.html`);
  }
  return outDir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildDemo();
}
