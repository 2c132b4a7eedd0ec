// Registries by name (distribution functions, layers, optimizers) refuse to replace an entry silently.
import { assert, ValueError } from './errors.js';

/** Options of `registerDistributionFn`, `registerLayer` and `registerOptimizer`. */
export interface RegisterOptions {
  /** Replace what is registered under the name already; default false, which makes that an error. */
  override?: boolean;
}

/**
 * Checks that registering `next` under `name` replaces nothing by accident: a new name, the same
 * entry again, or `{ override: true }` pass. Another entry under a taken name would make every
 * model saved with that name load with different code, so it throws.
 * @throws TypeError for a bad `options`; ValueError naming `where` and `name` when it is taken by another entry
 */
export function checkReplacement(previous: unknown, next: unknown, name: string, options: RegisterOptions, where: string): void {
  assert(typeof options === 'object' && options !== null && Object.keys(options).every((k) => k === 'override'),
    () => `${where}: 'options' must be { override?: boolean }, got ${options === null ? 'null' : typeof options === 'object' ? `keys ${Object.keys(options).join(', ')}` : typeof options}`, TypeError);
  assert(options.override === undefined || typeof options.override === 'boolean', () => `${where}: 'override' must be a boolean, got ${typeof options.override}`, TypeError);
  if (previous === undefined || previous === next || options.override === true) return;
  throw new ValueError(`${where}: 'name' '${name}' is already registered to another ${where === 'registerDistributionFn' ? 'function' : 'factory'}; pass { override: true } to replace it ` +
    `(models saved under '${name}' will then load with the new one)`);
}
