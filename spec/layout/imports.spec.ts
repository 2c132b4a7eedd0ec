// The one rule of the source tree: imports go down the floors, never up, and no two files import each other.
// It reads the import lines of every source file under lib/, autodiff/ and flows/ (no compiler needed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/**
 * The floors, lowest first. A file may import files on its own floor or below. The first prefix
 * that matches a path gives its floor, so `flows/` (the builders at the top of flows) comes
 * after the folders inside it.
 */
export const FLOORS: readonly (readonly string[])[] = [
  ['lib/util/'], //                       errors, shapes, randomness, option checks: imports nothing of ours above it
  ['autodiff/'], //                       tensors, ops, kernels, optimizers
  ['flows/transforms/'], //               elementwise maps of one dimension from its P parameters
  ['flows/made/'], //                     degrees, masks, the MADE network, the one-pass sampler
  ['flows/bijectors/'], //                invertible maps with log-dets
  ['flows/distributions/'], //            densities and samplers
  ['flows/'], //                          builders of whole flows (maf.ts)
  ['lib/data/'], //                       CSV, splits, dequantization
  ['lib/layers/'], //                     the Keras-like layers
  ['lib/losses.ts'],
  ['lib/models/'], //                     Sequential, fit, callbacks, saving
  ['lib/index.ts', 'lib/entries/'], //    the public entry points
  ['lib/node/'], //                       maflow/node: the root plus files
];

/** The floor of a source path (relative to the repo, '/' separators), or -1 when none matches. */
export function floorOf(path: string): number {
  return FLOORS.findIndex((prefixes) => prefixes.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p)));
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The repo-relative `.ts` paths that `file`'s import and export-from lines name (type-only imports included). */
export function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?(?:from\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]);
  return specifiers.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).split('\\').join('/').replace(/\.js$/, '.ts'));
}

const files = ['lib', 'autodiff', 'flows'].flatMap(sourceFiles);
const graph = new Map(files.map((f) => [f, importsOf(f, readFileSync(join(ROOT, f), 'utf8'))]));

/** Every import cycle, as a list of files, found by depth-first search (Tarjan's strongly connected components). */
function cycles(g: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (g.get(v) ?? []).includes(v)) found.push(component);
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the layout: imports go one way', () => {
  it('reads a sensible tree (the reader below finds the imports it should)', () => {
    expect(files.length).toBeGreaterThan(60);
    expect(graph.get('lib/index.ts')!.length).toBeGreaterThan(20);
    // A hand example of each import form the reader must see: named, type-only, side-effect, re-export.
    const sample = "import { a } from './x.js';\nimport type { B } from '../y/z.js';\nimport './m.js';\nexport { c } from './w.js';\nexport * as n from './v.js';";
    expect(importsOf('flows/made/f.ts', sample)).toEqual(['flows/made/x.ts', 'flows/y/z.ts', 'flows/made/m.ts', 'flows/made/w.ts', 'flows/made/v.ts']);
  });

  it('puts every source file on a floor', () => {
    expect(files.filter((f) => floorOf(f) < 0)).toEqual([]);
  });

  it('has no import that runs upward', () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        if (graph.has(dep) && floorOf(dep) > floorOf(file)) upward.push(`${file} (floor ${floorOf(file)}) imports ${dep} (floor ${floorOf(dep)})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds an upward import and a cycle when there is one (the checks can fail)', () => {
    expect(floorOf('lib/util/validate.ts')).toBeLessThan(floorOf('autodiff/tensor.ts'));
    const bad = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', []]]);
    expect(cycles(bad).map((c) => c.sort())).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('names only files that exist (no import points at a moved or deleted file)', () => {
    const missing: string[] = [];
    for (const [file, deps] of graph) for (const dep of deps) if (!graph.has(dep)) missing.push(`${file} → ${dep}`);
    expect(missing).toEqual([]);
  });
});
