// Runs one expression of the library in a child process with a small heap and address space, so a call that
// would exhaust memory (a size limit that regressed) fails its spec instead of the machine.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { ValueError } from '../../lib/util/errors.js';

/** The child's heap (V8 old space) and its whole address space: far below what any of the sizes tried would take. */
export const SMALL_CHILD = { heapMB: 96, addressSpaceKB: 2_000_000 };

/** What the child reports: the value's kind, or the error it threw, and its heap use. */
export interface ChildOutcome {
  /** `true` when the expression returned (or resolved) instead of throwing. */
  returned?: boolean;
  /** The thrown error's class name. */
  name?: string;
  /** The thrown error's message. */
  message?: string;
  /** Heap used at the end, in MB. */
  heapMB?: number;
  /** How the child died, when it did not report (a V8 abort, a signal, a timeout). */
  died?: string;
}

let bundle: string | null = null;

function childBundle(): string {
  if (bundle !== null) return bundle;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-small-child-'));
  const entry = path.join(dir, 'child.ts');
  // Every entry's names in one object: maflow/node (the root and files), then each subpath (maflow/ops, …).
  const sources = [path.resolve('lib/node/index.ts'), ...fs.readdirSync('lib/entries').filter((f) => f.endsWith('.ts')).map((f) => path.resolve('lib/entries', f))];
  fs.writeFileSync(entry, `
${sources.map((source, i) => `import * as e${i} from '${source}';`).join('\n')}
const m = Object.assign({}, ${sources.map((_, i) => `e${i}`).join(', ')});
const run = new Function('m', 'return (async () => (' + process.argv[2] + '))()');
try {
  await run(m);
  console.log(JSON.stringify({ returned: true, heapMB: process.memoryUsage().heapUsed / 2 ** 20 }));
} catch (e) {
  console.log(JSON.stringify({ name: e.name, message: e.message, heapMB: process.memoryUsage().heapUsed / 2 ** 20 }));
}
`);
  bundle = path.join(dir, 'child.mjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'silent' });
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return bundle;
}

/**
 * Runs `expression` (JavaScript, with every export of every entry as `m`, e.g. `m.zeros([1e5, 1e5])`) in a child
 * with {@link SMALL_CHILD}'s limits and reports what happened.
 */
export function runInSmallChild(expression: string): ChildOutcome {
  // (where `ulimit -v` is not supported the heap limit alone still stops a JavaScript array from growing)
  const script = `ulimit -v ${SMALL_CHILD.addressSpaceKB} 2>/dev/null; exec "${process.execPath}" --max-old-space-size=${SMALL_CHILD.heapMB} "${childBundle()}" "$0"`;
  const r = spawnSync('sh', ['-c', script, expression], { encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return { died: `status ${r.status}, signal ${r.signal}: ${r.stderr.slice(0, 300)}` };
  return JSON.parse(line) as ChildOutcome;
}

/**
 * {@link runInSmallChild}, as a call for the bad-call catalogue: the child's error is thrown again
 * here with its class and message; a child that returned or died throws a plain Error saying so.
 */
export function throwFromSmallChild(expression: string): void {
  const r = runInSmallChild(expression);
  if (r.died !== undefined) throw new Error(`the child process died: ${r.died}`);
  if (r.returned === true) return;
  const Ctor = r.name === 'RangeError' ? RangeError : r.name === 'TypeError' ? TypeError : r.name === 'ValueError' ? ValueError : Error;
  throw new Ctor(r.message ?? '');
}
