// The careful file write behind model.save: atomic, keeps the file's mode, follows symlinks, refuses what it must not replace, one save per path at a time.
import { ValueError } from '../util/errors.js';
import { requireNodeBuiltin } from '../util/node-builtin.js';

// Node's file-system modules are reached when a save runs, through process.getBuiltinModule, so browser bundles never see them.
type Fs = typeof import('node:fs/promises');
type Stats = import('node:fs').Stats;

/** Saves not yet finished, per path: each waits for the one before, so they land in call order. */
const queues = new Map<string, Promise<void>>();
/** Temporary files this process is writing now (never stale). */
const active = new Set<string>();
let tempCounter = 0;

const BROWSER_SAVE = 'in a browser, store JSON.stringify(model.toJSON()) (localStorage, IndexedDB or a download) and rebuild it with Sequential.fromJSON(text)';

function processInfo(): { pid: number; cwd: string } {
  const p = (globalThis as { process?: { pid?: number; cwd?: () => string } }).process;
  return { pid: p?.pid ?? 0, cwd: p?.cwd?.() ?? '' };
}

/** `path` made absolute against the working directory, `.` segments and doubled slashes removed: the queue key. */
function queueKey(path: string): string {
  const full = path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) ? path : `${processInfo().cwd}/${path}`;
  return full.replace(/\/(\.\/)+/g, '/').replace(/\/{2,}/g, '/');
}

function errno(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Writes `text` to `path` so that a save never makes things worse. Node only.
 *
 * - **Atomic**: the text goes to a temporary file in the target's directory, is flushed to disk,
 *   then renamed over the target: a reader or a crash sees the old file or the new one, whole.
 * - **Mode kept**: an existing file keeps its permission bits (a private `600` model stays
 *   private); a new file gets `666` less the umask, as any new file.
 * - **Symlinks followed**: when `path` is a symbolic link, the file it points to is replaced
 *   (the temporary file is made beside it) and the link stays a link. A dangling link is refused.
 * - **Refused, nothing written**: a path that exists and is not a regular file (a directory, a
 *   FIFO, a device, a socket), and a read-only file (no write bit, or not writable by this process).
 * - **One at a time per path**: saves to one path (as spelled, made absolute) run in call order,
 *   even when not awaited, so the newest call's text is the one left on disk.
 * - **Stale temporary files removed**: before writing, leftovers of earlier saves to the same
 *   target (`.<name>.<pid>.<time>.<n>.tmp`) whose process is gone are deleted, so killed saves
 *   do not pile up.
 *
 * On any failure the temporary file is removed and the target is left as it was.
 *
 * @param path - the file to write
 * @param text - its new contents (UTF-8)
 * @param where - the function to name in errors, e.g. `'Sequential.save'`
 * @throws ValueError for a path that is not a regular file, a read-only file or a dangling link;
 *   the file system's errors (e.g. ENOENT for a missing directory), after cleaning up
 */
export function writeFileAtomic(path: string, text: string, where = 'writeFileAtomic'): Promise<void> {
  const key = queueKey(path);
  const before = queues.get(key) ?? Promise.resolve();
  const run = before.then(() => writeNow(path, text, where), () => writeNow(path, text, where));
  const settled = run.then(() => undefined, () => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

async function writeNow(path: string, text: string, where: string): Promise<void> {
  const fs = requireNodeBuiltin<Fs>('node:fs/promises', where, BROWSER_SAVE);
  const { dirname, basename, join } = requireNodeBuiltin<typeof import('node:path')>('node:path', where, BROWSER_SAVE);
  const target = await resolveTarget(fs, path, where);
  const mode = await existingMode(fs, path, target, where);
  const dir = dirname(target);
  const base = basename(target);
  await removeStaleTemps(fs, dir, base);
  const temp = join(dir, `.${base}.${processInfo().pid}.${Date.now()}.${tempCounter++}.tmp`);
  active.add(temp);
  let handle: Awaited<ReturnType<Fs['open']>> | null = null;
  try {
    handle = await fs.open(temp, 'wx', mode ?? 0o666);
    await handle.writeFile(text, 'utf8');
    // open's mode passes through the umask: set it exactly, so a 664 file does not become 644.
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = null;
    await fs.rename(temp, target);
  } catch (e) {
    if (handle !== null) await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    active.delete(temp);
  }
}

/** What `stat` (or `lstat`) gives, or `null` when there is nothing at the path. */
async function statOrNull(stat: () => Promise<Stats>): Promise<Stats | null> {
  try {
    return await stat();
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
}

/** The file to replace: `path`, or the file a symbolic link at `path` points to. */
async function resolveTarget(fs: Fs, path: string, where: string): Promise<string> {
  const st = await statOrNull(() => fs.lstat(path));
  if (st === null || !st.isSymbolicLink()) return path;
  try {
    return await fs.realpath(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') throw new ValueError(`${where}: 'path' ${path} is a symbolic link to a file that does not exist (a dangling link); refusing to write through it`);
    throw e;
  }
}

/** The permission bits of the file at `target`, `undefined` if there is none. @throws ValueError when it must not be replaced */
async function existingMode(fs: Fs, path: string, target: string, where: string): Promise<number | undefined> {
  const st = await statOrNull(() => fs.stat(target));
  if (st === null) return undefined;
  const shown = target === path ? `'path' ${path}` : `'path' ${path} (a link to ${target})`;
  if (!st.isFile()) throw new ValueError(`${where}: ${shown} is ${kindOf(st)}, not a regular file; refusing to replace it`);
  const mode = st.mode & 0o7777;
  // A rename needs only the directory to be writable, so a read-only file would be replaced silently: refuse it.
  // The bits are checked as well as access(), since root passes access() on any file.
  let writable = (mode & 0o222) !== 0;
  if (writable) writable = await fs.access(target, 2 /* W_OK */).then(() => true, () => false);
  if (!writable) {
    throw new ValueError(`${where}: ${shown} is read-only (mode ${mode.toString(8).padStart(3, '0')}); refusing to overwrite it. Make it writable first (chmod u+w) or save elsewhere`);
  }
  return mode;
}

/** Whether process `pid` is alive (signal 0 only checks; EPERM means it exists but is not ours). */
function alive(pid: number): boolean {
  const p = (globalThis as { process?: { kill?: (pid: number, signal: number) => void } }).process;
  if (p?.kill === undefined) return true;
  try {
    p.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

/** Deletes `.<base>.<pid>.<time>.<n>.tmp` files in `dir` left by saves whose process is gone (or by this process, and not in flight). */
async function removeStaleTemps(fs: Fs, dir: string, base: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const own = processInfo().pid;
  const prefix = `.${base}.`;
  const { join } = requireNodeBuiltin<typeof import('node:path')>('node:path', 'Sequential.save', BROWSER_SAVE);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.\d+\.\d+\.tmp$/.exec(name.slice(prefix.length));
    if (m === null) continue;
    const pid = Number(m[1]);
    const file = join(dir, name);
    if ((pid === own && !active.has(file)) || (pid !== own && !alive(pid))) await fs.rm(file, { force: true }).catch(() => undefined);
  }
}
