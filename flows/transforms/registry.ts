// transformFamilyFromConfig: rebuilds a built-in transform family from its getConfig() output.
import { assert } from '../../lib/util/errors.js';
import { describe } from '../../lib/util/validate.js';
import { affineFamily, boundedAffineFamily, type AffineFamilyOptions, type BoundedAffineFamilyOptions } from './affine.js';
import type { TransformFamily, TransformFamilyConfig, TransformFamilyName } from './family.js';
import { splineFamily, type SplineFamilyOptions } from './spline.js';
import { splineKnotsFamily } from './spline-knots.js';

const factories: Record<TransformFamilyName, (options: Record<string, unknown>) => TransformFamily> = {
  affine: (o) => affineFamily(o as AffineFamilyOptions),
  boundedAffine: (o) => boundedAffineFamily(o as BoundedAffineFamilyOptions),
  spline: (o) => splineFamily(o as SplineFamilyOptions),
  splineKnots: (o) => splineKnotsFamily(o.bins as number),
};

/**
 * Rebuilds a transform family from `family.getConfig()`: `{ name, ...options }`.
 *
 * @example
 * transformFamilyFromConfig({ name: 'spline', bins: 8, bound: 5 }).params; // 23
 * @throws TypeError when `config` is not an object with a known `name`; the family's own errors for bad options
 */
export function transformFamilyFromConfig(config: TransformFamilyConfig): TransformFamily {
  const where = 'transformFamilyFromConfig';
  assert(typeof config === 'object' && config !== null && typeof config.name === 'string',
    () => `${where}: 'config' must be an object with a 'name', got ${describe(config)}`, TypeError);
  const make = Object.prototype.hasOwnProperty.call(factories, config.name) ? factories[config.name] : undefined;
  assert(make !== undefined,
    () => `${where}: unknown transform '${config.name}'; expected one of ${Object.keys(factories).join(', ')}`, TypeError);
  const { name: _name, ...options } = config;
  return make(options);
}
