// Runs a docs snippet as a user would: bundled by esbuild ('maflow', 'maflow/node' and each subpath resolving to the sources) and run in a fresh Node.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';

const root = resolve(__dirname, '../..');

/** Every entry of the package and its source: 'maflow', 'maflow/node', and 'maflow/<name>' for each lib/entries/<name>.ts. */
export const ENTRY_SOURCES: Readonly<Record<string, string>> = {
  maflow: join(root, 'lib/index.ts'),
  'maflow/node': join(root, 'lib/node/index.ts'),
  ...Object.fromEntries(readdirSync(join(root, 'lib/entries')).filter((f) => f.endsWith('.ts'))
    .map((f) => [`maflow/${f.replace(/\.ts$/, '')}`, join(root, 'lib/entries', f)])),
};

/**
 * Bundles `entry` (a file, or source text with the folder its imports resolve from) to `outfile`
 * and runs it with Node from the repository root.
 * @throws an Error starting with `label` and holding the program's output when it fails
 */
export function bundleAndRun(
  entry: { path: string } | { contents: string; resolveDir: string; sourcefile: string },
  outfile: string, label: string, timeoutMs = 120_000,
): void {
  const input: BuildOptions = 'path' in entry
    ? { entryPoints: [entry.path] }
    : { stdin: { contents: entry.contents, resolveDir: entry.resolveDir, loader: 'ts', sourcefile: entry.sourcefile } };
  buildSync({
    ...input,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    alias: { ...ENTRY_SOURCES },
    outfile,
    logLevel: 'silent',
  });
  try {
    execFileSync(process.execPath, [outfile], { cwd: root, encoding: 'utf8', stdio: 'pipe', timeout: timeoutMs });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new Error(`${label} failed:\n${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}
