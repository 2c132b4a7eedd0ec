// Shared checks of the discrete distributions (Bernoulli, Categorical): logits-or-probs parameters and values on the support.
import { tensor, type NestedArray, type Tensor } from '../../autodiff/tensor.js';
import { assert } from '../../lib/util/errors.js';
import { fmt } from '../../lib/util/shape.js';
import { checkOptions, describe, isPlainObject } from '../../lib/util/validate.js';
import { type ParamLike } from '../bijectors/bijector.js';
import type { DistributionConfig } from './distribution.js';
import { checkEntries } from '../../autodiff/checks.js';
import { toTensor } from '../../autodiff/tensor-like.js';
import { type JsonValue } from '../../lib/util/json.js';

/** Which parameter a discrete distribution was given: TFP keeps the one given and derives the other. */
export type DiscreteParameter = { kind: 'logits'; value: Tensor } | { kind: 'probs'; value: Tensor };

/**
 * Exactly one of `logits` and `probs`, as a Tensor: logits finite, probs in [0, 1].
 * @throws TypeError for options that are not an object, both or neither given, or a non-numeric
 *   parameter; RangeError for a non-finite logit or a probability outside [0, 1]
 * @internal
 */
export function logitsOrProbs(options: unknown, where: string, extra: readonly string[]): DiscreteParameter {
  assert(isPlainObject(options), () => `${where}: expected options { logits } or { probs }, got ${describe(options)}`, TypeError);
  checkOptions(options, ['logits', 'probs', 'name', ...extra], where);
  const o = options as { logits?: ParamLike; probs?: ParamLike };
  assert((o.logits === undefined) !== (o.probs === undefined),
    () => `${where}: pass exactly one of 'logits' and 'probs', got ${o.logits === undefined ? 'neither' : 'both'}`, TypeError);
  if (o.logits !== undefined) {
    const value = toTensor(o.logits, 'logits', where);
    checkEntries(value, 'logits', where, Number.isFinite, 'finite');
    return { kind: 'logits', value };
  }
  const value = toTensor(o.probs, 'probs', where);
  checkEntries(value, 'probs', where, (p) => p >= 0 && p <= 1, 'in [0, 1]');
  return { kind: 'probs', value };
}

/**
 * Checks every value of `x` is on the support, naming the first bad one by row and column (the
 * last axis is the column, every leading axis flattened into the row).
 * @throws ValueError naming `where`, the value, its row and column, and what was `expected`
 * @internal
 */
export function checkSupport(x: Tensor, where: string, ok: (v: number) => boolean, expected: string): void {
  const cols = x.rank === 0 ? 1 : x.shape[x.rank - 1];
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    if (!ok(v)) {
      assert(false, () => `${where}: 'x' holds ${v} at row ${Math.floor(i / cols)}, column ${i % cols} (shape ${fmt(x.shape)}); ` +
        `expected ${expected}. Pass { validateArgs: false } to skip this check`);
    }
  }
}

/** The parameter as a config saves it: `{ logits }` or `{ probs }`, nested arrays. @internal */
export function parameterConfig(param: DiscreteParameter): Record<string, JsonValue> {
  return { [param.kind]: param.value.toArray() as JsonValue };
}

/** The constructor options a saved config holds: the parameter it saved, and the name. @internal */
export function optionsFromConfig(config: DistributionConfig): { logits: Tensor; name: string } | { probs: Tensor; name: string } {
  const value = tensor((config.logits ?? config.probs) as NestedArray);
  return config.logits !== undefined ? { logits: value, name: config.name } : { probs: value, name: config.name };
}
