// Every @example in the TSDoc of lib/, flows/ and autodiff/ is type-checked, and run when it is
// self-contained, so the API reference's examples cannot rot (as zuko's doctests, tfjs-core's snippet tests).
//
// The rule. An example sees every export of the package root, of its subpaths (maflow/ops, …: lib/entries/)
// and of its own file, as if imported,
// and its body runs inside an async function (its own names may shadow those; it may `await`).
// - Type-check: all examples go through one `tsc` run. "Cannot find name 'y'" marks a fragment that
//   uses a variable it does not define (`y`, `model`, …); any other error fails the example.
// - Run: an example with no free names is bundled with esbuild, run in Node, and must not throw.
//   A line `expression; // value` (or an expression line followed by a line `// value`) is checked
//   when the comment starts with a literal (a number, a quoted string, an array or object of them), or
//   ends with `= literal` or `≈ literal`: the expression's value (a Tensor's `toArray()`) must equal it, to the number
//   of decimals written. Other comments are prose and are left alone.
// - Fragments are only type-checked; their test names list what they need.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { bundleAndRun, ENTRY_SOURCES } from '../helpers/run-snippet.js';

const root = resolve(__dirname, '../..');
// One directory per process: another Jest run in the same tree must not delete this one's files.
const outDir = join(root, 'out/.tsdoc', String(process.pid));

interface Example {
  /** Path from the repository root, e.g. `flows/made/masks.ts`. */
  file: string;
  /** 1-based line of the `@example` tag. */
  line: number;
  /** Code lines; `lines[i]` is on line `line + offset + i` of the file. */
  lines: string[];
  /** 0 when the code starts on the tag's own line, 1 when on the next. */
  offset: number;
}

function sourceFiles(): string[] {
  const walk = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return walk(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
  return ['lib', 'flows', 'autodiff'].flatMap(walk).sort();
}

/** The `@example` blocks of every `/** … *\/` comment of a file, fences (```) dropped. */
function examplesOf(file: string): Example[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: Example[] = [];
  const comment = /\/\*\*[\s\S]*?\*\//g;
  for (let m = comment.exec(text); m !== null; m = comment.exec(text)) {
    const first = text.slice(0, m.index).split('\n').length;
    const lines = m[0].split('\n').map((l) => l.replace(/^\s*\/?\*+\/?\s?/, '').replace(/\s*\*\/$/, ''));
    for (let i = 0; i < lines.length; i++) {
      const tag = /^@example\b\s?(.*)$/.exec(lines[i]);
      if (tag === null) continue;
      const code: string[] = [];
      const offset = tag[1].trim() === '' ? 1 : 0;
      if (offset === 0) code.push(tag[1]);
      let j = i + 1;
      for (; j < lines.length && !/^@\w/.test(lines[j]); j++) code.push(lines[j]);
      // A fence line becomes blank, so line numbers still match the file.
      found.push({ file, line: first + i, lines: code.map((l) => (/^```/.test(l.trim()) ? '' : l)), offset });
      i = j - 1;
    }
  }
  return found;
}

/** Names exported by a module, from its `export` statements (types included). */
function exportNames(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const names = new Set<string>();
  for (const m of text.matchAll(/^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm)) names.add(m[1]);
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
      if (name !== '') names.add(name);
    }
  }
  for (const m of text.matchAll(/^export\s+\*\s+as\s+([A-Za-z_$][\w$]*)/gm)) names.add(m[1]);
  return [...names];
}

// ---- value comments -----------------------------------------------------------------------------

/** An expected value: numbers carry the tolerance their written decimals imply; `o` is an object literal. */
type Expected = { n: number; tol: number } | { o: Record<string, Expected> } | string | boolean | null | Expected[];

/** Parses a literal at the start of `s` (unicode minus allowed); returns it and the rest, or null. */
function parseLiteral(s: string): { value: Expected; rest: string } | null {
  let i = 0;
  const ws = (): void => { while (i < s.length && /\s/.test(s[i])) i++; };
  const value = (): Expected | undefined => {
    ws();
    const c = s[i];
    if (c === '[') {
      i++;
      const items: Expected[] = [];
      ws();
      if (s[i] === ']') { i++; return items; }
      for (;;) {
        const v = value();
        if (v === undefined) return undefined;
        items.push(v);
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === ']') { i++; return items; }
        return undefined;
      }
    }
    if (c === '{') {
      i++;
      const o: Record<string, Expected> = {};
      for (;;) {
        ws();
        if (s[i] === '}') { i++; return { o }; }
        const key = /^[A-Za-z_$][\w$]*/.exec(s.slice(i));
        if (key === null) return undefined;
        i += key[0].length;
        ws();
        if (s[i] !== ':') return undefined;
        i++;
        const v = value();
        if (v === undefined) return undefined;
        o[key[0]] = v;
        ws();
        if (s[i] === ',') i++;
        else if (s[i] !== '}') return undefined;
      }
    }
    if (c === "'" || c === '"') {
      const end = s.indexOf(c, i + 1);
      if (end < 0) return undefined;
      const str = s.slice(i + 1, end);
      i = end + 1;
      return str;
    }
    const num = /^[-−]?(\d+)(?:\.(\d+))?(?:e([-+−]?\d+))?/.exec(s.slice(i));
    if (num !== null) {
      i += num[0].length;
      const n = Number(num[0].replace(/−/g, '-'));
      const decimals = (num[2]?.length ?? 0) - Number((num[3] ?? '0').replace('−', '-'));
      // Written to d decimals: any value that rounds to it. Integers are exact.
      return { n, tol: decimals > 0 ? 0.5 / 10 ** decimals : 0 };
    }
    for (const word of ['true', 'false', 'null'] as const) {
      if (s.startsWith(word, i)) {
        i += word.length;
        return word === 'null' ? null : word === 'true';
      }
    }
    return undefined;
  };
  const v = value();
  return v === undefined ? null : { value: v, rest: s.slice(i) };
}

/** The value a comment states, or null when it is prose. */
function statedValue(comment: string): Expected | null {
  const c = comment.trim();
  const lead = parseLiteral(c);
  // `[5, 3]`, `[5, 3]; W is …`, `[[1, 2, 3]]:  ⌈k·2/5⌉ …`, `[1]   input j → …` state a value; `2 MADEs`, `3·4 + …` do not.
  if (lead !== null && (lead.rest === '' || /^(\s{2,}|[;:,])/.test(lead.rest))) return lead.value;
  // `3·4 + 4 + 4·6 + 6 = 46`, `−½ log 2π ≈ −0.9189`: a derivation ending in the value (not prose
  // around an object or array).
  const tail = /^([^={}[\]:≈]+)[=≈]\s*([^=≈]+)$/.exec(c);
  if (tail !== null) {
    const t = parseLiteral(tail[2].trim());
    if (t !== null && t.rest.trim() === '') return t.value;
  }
  return null;
}

/** `code // comment` split at the first `//` outside a string, or null without a comment. */
function splitComment(line: string): { code: string; comment: string } | null {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') {
      quote = c;
    } else if (c === '/' && line[i + 1] === '/') {
      return { code: line.slice(0, i), comment: line.slice(i + 2) };
    }
  }
  return null;
}

/** True for a whole expression statement on one line: brackets balanced, not a declaration or keyword statement. */
function isExpressionStatement(code: string): boolean {
  const c = code.trim();
  if (c === '' || /^(const|let|var|import|export|return|if|for|while|do|function|class|throw|type|interface|\}|\/\/)\b/.test(c)) return false;
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < c.length; i++) {
    const ch = c[i];
    if (quote !== null) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch) && --depth < 0) return false;
  }
  return depth === 0 && quote === null && !/[,+\-*/=(&|?:]$/.test(c.replace(/;$/, '').trimEnd());
}

/** Rewrites checked lines to `await __check(expr, expected, where);`, in place (line numbers kept). */
function withChecks(ex: Example): { lines: string[]; checks: number } {
  const lines = ex.lines.slice();
  let checks = 0;
  for (let i = 0; i < lines.length; i++) {
    const split = splitComment(lines[i]);
    let target = -1;
    let expected: Expected | null = null;
    if (split !== null && isExpressionStatement(split.code)) {
      target = i;
      expected = statedValue(split.comment);
    } else if (split !== null && split.code.trim() === '' && i > 0 && splitComment(lines[i - 1]) === null && isExpressionStatement(lines[i - 1])) {
      target = i - 1; // the value on the line after the expression
      expected = statedValue(split.comment);
    }
    if (target < 0 || expected === null) continue;
    const code = (splitComment(lines[target])?.code ?? lines[target]).trim().replace(/;$/, '');
    const where = `${ex.file}:${ex.line + ex.offset + target}`;
    const indent = /^\s*/.exec(lines[target])![0];
    lines[target] = `${indent}await __check(${code}, ${JSON.stringify(expected)}, ${JSON.stringify(`${where}: ${code}`)});`;
    checks++;
  }
  return { lines, checks };
}

// ---- generated modules --------------------------------------------------------------------------

const HEADER_CHECK = [
  "import { Tensor as __Tensor } from 'maflow';",
  'type __Expected = { n: number; tol: number } | { o: Record<string, __Expected> } | string | boolean | null | __Expected[];',
  'function __same(v: unknown, e: __Expected): boolean {',
  '  if (v instanceof __Tensor) v = v.toArray();',
  '  if (ArrayBuffer.isView(v)) v = Array.from(v as unknown as ArrayLike<number>);',
  "  if (e !== null && typeof e === 'object' && 'o' in e) {",
  "    if (v === null || typeof v !== 'object') return false;",
  '    const keys = Object.keys(e.o);',
  '    return Object.keys(v).length === keys.length && keys.every((k) => __same((v as Record<string, unknown>)[k], e.o[k]));',
  '  }',
  "  if (e !== null && typeof e === 'object' && !Array.isArray(e)) return typeof v === 'number' && (v === e.n || Math.abs(v - e.n) <= e.tol);",
  '  if (Array.isArray(e)) return Array.isArray(v) && v.length === e.length && e.every((x, i) => __same((v as unknown[])[i], x));',
  '  return v === e;',
  '}',
  'async function __check(value: unknown, expected: __Expected, where: string): Promise<void> {',
  '  const v = await value;',
  '  if (!__same(v, expected)) {',
  "    const show = (x: unknown): string => JSON.stringify(x instanceof __Tensor ? x.toArray() : ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x);",
  "    const want = JSON.stringify(expected, (_k, x) => (x !== null && typeof x === 'object' && 'n' in x ? x.n : x !== null && typeof x === 'object' && 'o' in x ? x.o : x));",
  '    throw new Error(`${where} gave ${show(v)}, but its comment says ${want}`);',
  '  }',
  '}',
];

interface Generated {
  ex: Example;
  name: string;
  path: string;
  /** Line of the generated file holding the example's first code line (1-based). */
  firstLine: number;
  checks: number;
}

/** The names each entry adds, root first: a name exported by several entries is imported from the first. */
const entryImports: { specifier: string; names: string[] }[] = [];
const packageNames = new Set<string>();
for (const [specifier, path] of Object.entries(ENTRY_SOURCES)) {
  if (specifier === 'maflow/node') continue; // examples run anywhere; files are not theirs to touch
  const names = exportNames(relative(root, path).replace(/\\/g, '/')).filter((n) => !packageNames.has(n));
  names.forEach((n) => packageNames.add(n));
  if (names.length > 0) entryImports.push({ specifier, names });
}

function generate(ex: Example, index: number): Generated {
  const own = exportNames(ex.file).filter((n) => !packageNames.has(n));
  const ownPath = relative(outDir, join(root, ex.file)).replace(/\\/g, '/').replace(/\.ts$/, '.js');
  const header = [
    `// ${ex.file}:${ex.line}`,
    ...entryImports.map(({ specifier, names }) => `import { ${names.join(', ')} } from '${specifier}';`),
    ...(own.length > 0 ? [`import { ${own.join(', ')} } from '${ownPath}';`] : []),
    ...HEADER_CHECK,
    'export async function example(): Promise<void> {',
  ];
  const { lines, checks } = withChecks(ex);
  const text = [...header, ...lines, '}', 'await example();', ''].join('\n');
  const name = `${String(index).padStart(3, '0')}_${ex.file.replace(/[/.]/g, '_')}_${ex.line}`;
  const path = join(outDir, `${name}.ts`);
  writeFileSync(path, text);
  return { ex, name, path, firstLine: header.length + 1, checks };
}

/** Bundles a generated module and runs it in Node. @throws with its output when it throws */
function run(g: Generated): void {
  bundleAndRun({ path: g.path }, join(outDir, 'run', `${g.name}.mjs`), `${g.ex.file}:${g.ex.line}`, 60_000);
}

interface Diagnostic { line: number; code: string; message: string }

/** Type-checks every generated module in one tsc run; diagnostics per generated file. */
function typeCheck(files: Generated[]): Map<string, Diagnostic[]> {
  const up = (path: string): string => relative(outDir, join(root, path)).replace(/\\/g, '/');
  writeFileSync(join(outDir, 'tsconfig.json'), JSON.stringify({
    extends: up('tsconfig.json'),
    compilerOptions: { noEmit: true, rootDir: up('.'), noUnusedLocals: false, noUnusedParameters: false, paths: { maflow: [up('lib/index.ts')], 'maflow/*': [up('lib/entries/*.ts')] } },
    include: ['*.ts'],
  }, null, 2));
  let output = '';
  let failed = false;
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(outDir, 'tsconfig.json')], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    failed = true;
    const err = e as { stdout?: string; stderr?: string };
    output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
  // tsc failing without a single diagnostic would make every type-check pass vacuously.
  if (failed && !/error TS\d+/.test(output)) throw new Error(`tsdoc-examples: tsc failed without diagnostics:\n${output}`);
  const byFile = new Map<string, Diagnostic[]>(files.map((f) => [f.path, []]));
  for (const m of output.matchAll(/^(.*?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)) {
    const list = byFile.get(resolve(root, m[1]));
    if (list !== undefined) list.push({ line: Number(m[2]), code: m[3], message: m[4] });
  }
  return byFile;
}

/** "Cannot find name 'y'" (and its "Did you mean" form): the names a fragment needs from around it. */
const FREE_NAME = new Set(['TS2304', 'TS2552', 'TS18004']);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const generated = sourceFiles().flatMap(examplesOf).map(generate);
const diagnostics = typeCheck(generated);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('TSDoc @example blocks', () => {
  it('finds the examples', () => {
    expect(generated.length).toBeGreaterThan(20);
  });

  for (const g of generated) {
    const where = `${g.ex.file}:${g.ex.line}`;
    const diags = diagnostics.get(g.path) ?? [];
    const free = [...new Set(diags.filter((d) => FREE_NAME.has(d.code)).map((d) => /'([^']+)'/.exec(d.message)?.[1] ?? '?'))];
    const errors = diags.filter((d) => !FREE_NAME.has(d.code));
    const sourceLine = (d: Diagnostic): number => g.ex.line + g.ex.offset + (d.line - g.firstLine);

    it(`${where} type-checks${free.length > 0 ? ` (a fragment: it needs ${free.join(', ')})` : ''}`, () => {
      const text = errors.map((d) => `${g.ex.file}:${sourceLine(d)}: ${d.code} ${d.message}`).join('\n');
      expect(text).toBe('');
    });

    if (free.length === 0) {
      it(`${where} runs${g.checks > 0 ? ` and shows the right ${g.checks === 1 ? 'value' : `${g.checks} values`}` : ''}`, () => {
        run(g);
      }, 90_000);
    }
  }
});

describe('the example reader itself', () => {
  it('reads the values comments state, and leaves prose alone', () => {
    const int = (n: number) => ({ n, tol: 0 });
    expect(statedValue(' [5, 3]')).toEqual([int(5), int(3)]);
    expect(statedValue(' [5, 3]; W is [2, 3], b is [3]')).toEqual([int(5), int(3)]);
    expect(statedValue(' [[1, 2, 3]]:  ⌈k·2/5⌉ for k = 1 … 4')).toEqual([[int(1), int(2), int(3)]]);
    // decimals written: the value must round to them
    expect(statedValue(' [−0.5, 0.7616]')).toEqual([{ n: -0.5, tol: 0.05 }, { n: 0.7616, tol: 0.00005 }]);
    expect(statedValue(" '80/80 [===] - loss: 3.9123'")).toBe('80/80 [===] - loss: 3.9123');
    expect(statedValue(' { fanIn: 144, fanOut: 288 }: receptive field 3·3 = 9')).toEqual({ o: { fanIn: int(144), fanOut: int(288) } });
    expect(statedValue(' 3·4 + 4 + 4·6 + 6 = 46')).toEqual(int(46));
    expect(statedValue(' 2 MADEs × 3 layers × (kernel, bias) = 12')).toEqual(int(12));
    expect(statedValue(' 2 MADEs')).toBeNull();
    expect(statedValue(' −½ log 2π ≈ −0.9189')).toEqual({ n: -0.9189, tol: 0.00005 });
    expect(statedValue(' ≈ 2 for large n')).toBeNull();
    expect(statedValue(' the same number on every run')).toBeNull();
    expect(statedValue(' [−log 10]')).toBeNull();
  });

  it('checks only whole expression statements', () => {
    expect(isExpressionStatement('made.masks[0].toArray();')).toBe(true);
    expect(isExpressionStatement("new Shift(2).forward(tensor([1, 2]))")).toBe(true);
    expect(isExpressionStatement('const x = f(1);')).toBe(false);
    expect(isExpressionStatement('model.fit(x, {')).toBe(false);
    expect(isExpressionStatement('  loc: zeros([2]) }));')).toBe(false);
  });

  it('fails an example whose comment states a wrong value, naming the line', () => {
    const wrong = generate({ file: 'autodiff/tensor.ts', line: 10, offset: 1, lines: ['tensor([1, 2]).sum(); // 4'] }, 999);
    expect(wrong.checks).toBe(1);
    expect(() => run(wrong)).toThrow(/autodiff\/tensor\.ts:11: tensor\(\[1, 2\]\)\.sum\(\) gave 3, but its comment says 4/);
    const right = generate({ file: 'autodiff/tensor.ts', line: 10, offset: 1, lines: ['tensor([1, 2]).sum(); // 3'] }, 998);
    expect(() => run(right)).not.toThrow();
  }, 30_000);
});
