// Smoke test of the built package in plain Node (no Jest, no transform): the ESM and the CJS bundle
// both load, share one API, and run one gradient through a small expression. Run by `npm test`.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const esm = await import('../../dist/index.mjs');
const cjs = require('../../dist/index.cjs');

for (const [name, m] of [['esm', esm], ['cjs', cjs]]) {
  // f(w) = Σ (x·w)² with x = [1, 2], w = [3, −1]: x·w = [3, −2], df/dw = 2·x·(x·w) = [6, −8]
  const w = m.tensor([3, -1], [2], { requiresGrad: true });
  const f = m.tensor([1, 2]).mul(w).square().sum();
  f.backward();
  assert.equal(f.item(), 13, `${name}: forward value`);
  assert.deepEqual(Array.from(w.grad.data), [6, -8], `${name}: gradient`);
  // ndarray-ops must work as a default import in native ESM, not just under Jest.
  const nd = m.tensor([[1, 2], [3, 4]]).toNdarray();
  assert.equal(nd.get(1, 0), 3, `${name}: toNdarray`);
  assert.equal(typeof m.AutoregressiveNetwork, 'function', `${name}: AutoregressiveNetwork exported`);
  console.log(`smoke ${name}: ok`);
}
console.log('2 passed, 0 failed');
