// Node's built-in modules without an import: process.getBuiltinModule, so bundlers never see `node:*` and the root entry bundles for a browser.

/**
 * Node's built-in module `id` (e.g. `'node:fs/promises'`), or `undefined` outside Node (a
 * browser) and on a Node without `process.getBuiltinModule` (before 20.16).
 *
 * A static or dynamic `import('node:fs/promises')` would make every bundle of the root entry
 * fail to resolve it for a browser, even where it is never called; a property lookup does not.
 * @typeParam T - the module's type, e.g. `typeof import('node:fs/promises')`
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule(id) as T | undefined) : undefined;
}

/**
 * {@link nodeBuiltin}, or an Error naming `where` and saying what to do instead.
 * @param instead - what a browser user should do, e.g. `'use model.toJSON() and store the text'`
 * @throws Error when not running in Node ≥ 20.16
 */
export function requireNodeBuiltin<T>(id: string, where: string, instead: string): T {
  const module = nodeBuiltin<T>(id);
  if (module === undefined) {
    throw new Error(`${where}: needs Node ≥ 20.16 (it uses ${id}), and this is not Node; ${instead}`);
  }
  return module;
}
