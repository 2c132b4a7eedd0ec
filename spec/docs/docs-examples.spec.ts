// Every ```ts block in README.md and docs/**/*.md runs, so the docs cannot rot (as zuko's doctests).
// A block is bundled with esbuild, its relative imports resolved from its own file's folder (as a
// reader following the link would) and 'maflow' / 'maflow/node' from the sources, then run in a
// fresh Node process from the repository root; a block fenced as ```ts no-run (a fragment) is skipped.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bundleAndRun } from '../helpers/run-snippet.js';

const root = resolve(__dirname, '../..');
const outDir = join(root, 'out/.docs');

interface Block {
  file: string;
  line: number;
  code: string;
}

function blocks(file: string): Block[] {
  const text = readFileSync(file, 'utf8');
  const found: Block[] = [];
  const fence = /^```ts[ \t]*\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
    found.push({ file, line: text.slice(0, m.index).split('\n').length, code: m[1] });
  }
  return found;
}

function docFiles(): string[] {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []);
  return [join(root, 'README.md'), ...walk(join(root, 'docs'))];
}

const all = docFiles().flatMap(blocks);

describe('docs examples', () => {
  it('finds the docs code blocks', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  for (const block of all) {
    const name = `${block.file.slice(root.length + 1)}:${block.line}`;
    it(`runs ${name}`, () => {
      mkdirSync(outDir, { recursive: true });
      const outfile = join(outDir, `${name.replace(/[/:.]/g, '_')}.mjs`);
      writeFileSync(`${outfile}.txt`, block.code);
      bundleAndRun({ contents: block.code, resolveDir: dirname(block.file), sourcefile: name }, outfile, name);
    }, 150_000);
  }
});
