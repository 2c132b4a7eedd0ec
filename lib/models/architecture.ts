// What "the same architecture" means for loadWeights: equal layer configs up to names, seeds and initializers, and equal MADE degrees.
import { AutoregressiveNetwork } from '../../flows/made/autoregressive-network.js';
import { Chain } from '../../flows/bijectors/chain.js';
import { Invert } from '../../flows/bijectors/invert.js';
import { MaskedAutoregressiveFlow } from '../../flows/bijectors/masked-autoregressive-flow.js';
import type { Bijector } from '../../flows/bijectors/bijector.js';
import { AutoregressiveTransform } from '../layers/autoregressive-transform.js';
import { FlowLayer } from '../layers/flow-layer.js';
import type { Layer } from '../layers/layer.js';
import { serialize } from '../util/register.js';

// Options that change no computation once the weights are loaded: names, and what drew the initial weights.
// The seed also draws 'random' orders and degrees, which is why the degrees themselves are compared.
const IGNORED = new Set(['name', 'trainable', 'seed', 'kernelInitializer', 'biasInitializer']);

/** Every MADE network a layer computes with (an AutoregressiveTransform's, each in a FlowLayer's flow). */
export function networksOf(layer: Layer): AutoregressiveNetwork[] {
  if (layer instanceof AutoregressiveTransform) return [layer.made];
  if (!(layer instanceof FlowLayer)) return [];
  const out: AutoregressiveNetwork[] = [];
  const walk = (b: Bijector): void => {
    if (b instanceof Chain) b.bijectors.forEach(walk);
    else if (b instanceof Invert) walk(b.bijector);
    else if (b instanceof MaskedAutoregressiveFlow && b.network instanceof AutoregressiveNetwork) out.push(b.network);
  };
  walk(layer.flow.bijector);
  return out;
}

/** A layer's computation as plain data: its config without {@link IGNORED} keys, and the degrees of its built networks. */
export function architectureOf(layer: Layer): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) if (!IGNORED.has(key)) out[key] = strip((v as Record<string, unknown>)[key]);
    return out;
  };
  let config: unknown;
  try {
    // What saving the layer writes, through the one registry's serialize.
    config = strip(serialize(layer).config);
  } catch {
    // A layer that cannot describe itself (a function activation) is compared by class only.
    config = null;
  }
  const degrees = networksOf(layer).map((n) => (n.built ? { inputOrder: n.inputOrder, hiddenDegrees: n.hiddenDegrees } : null));
  return { className: layer.className, config, degrees };
}

/** The first place two plain values differ, as `path: a here, b there`, or `null` when equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (Object.is(a, b)) return null;
  const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path || 'value'}: ${show(a)} here, ${show(b)} in the file`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return `${path || 'value'}: ${show(a)} here, ${show(b)} in the file`;
}
