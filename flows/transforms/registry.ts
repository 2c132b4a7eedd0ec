// Transform families in the one registry (kind 'transformFamily'), and transformFamilyFromConfig, its view.
import { classNameIn, deserialize, registerSerializable } from '../../lib/util/register.js';
import { affineFamily, boundedAffineFamily, type AffineFamilyOptions, type BoundedAffineFamilyOptions } from './affine.js';
import type { TransformFamily, TransformFamilyConfig } from './family.js';
import { splineFamily, type SplineFamilyOptions } from './spline.js';
import { splineKnotsFamily } from './spline-knots.js';

/** A family's own options: its config without the `name` that picked the family. */
function optionsOf(config: TransformFamilyConfig): Record<string, unknown> {
  const { name: _name, ...options } = config;
  return options;
}

registerSerializable('transformFamily', 'affine', (c: TransformFamilyConfig) => affineFamily(optionsOf(c) as AffineFamilyOptions));
registerSerializable('transformFamily', 'boundedAffine', (c: TransformFamilyConfig) => boundedAffineFamily(optionsOf(c) as BoundedAffineFamilyOptions));
registerSerializable('transformFamily', 'spline', (c: TransformFamilyConfig) => splineFamily(optionsOf(c) as SplineFamilyOptions));
registerSerializable('transformFamily', 'splineKnots', (c: TransformFamilyConfig) => splineKnotsFamily(c.bins as number));

/**
 * Rebuilds a transform family from `family.getConfig()`: `{ name, ...options }`. A view over the
 * one registry: the same as `deserialize('transformFamily', serialize(family))`.
 *
 * @example
 * transformFamilyFromConfig({ name: 'spline', bins: 8, bound: 5 }).params; // 23
 * @throws TypeError when `config` is not an object with a known `name`; ValueError wrapping the family's own error for bad options
 */
export function transformFamilyFromConfig(config: TransformFamilyConfig): TransformFamily {
  const where = 'transformFamilyFromConfig';
  return deserialize<TransformFamily>('transformFamily', { className: classNameIn(config, where, 'name'), config }, where);
}
