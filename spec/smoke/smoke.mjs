// Smoke test of the built package in plain Node (no Jest, no transform): the ESM and the CJS bundle
// both load, run one gradient, and run the reference example (TFP's AutoregressiveTransform
// docstring, shortened training) with bit-identical results. Run by `npm test` after the build.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const builds = [['esm', await import('../../dist/index.mjs')], ['cjs', require('../../dist/index.cjs')]];

function gradient(m) {
  // f(w) = Σ (x·w)² with x = [1, 2], w = [3, −1]: x·w = [3, −2], df/dw = 2·x·(x·w) = [6, −8]
  const w = m.tensor([3, -1], [2], { requiresGrad: true });
  const f = m.tensor([1, 2]).mul(w).square().sum();
  f.backward();
  assert.equal(f.item(), 13);
  assert.deepEqual(Array.from(w.grad.data), [6, -8]);
  // ndarray-ops must work as a default import in native ESM, not just under Jest.
  assert.equal(m.tensor(m.tensor([[1, 2], [3, 4]]).toNdarray().transpose(1, 0)).data[1], 3);
}

async function referenceExample(m) {
  const { AutoregressiveNetwork, Sequential, InputLayer, DistributionLambda, MultivariateNormalDiag,
    AutoregressiveTransform, Adam, zeros, tensor, Random, noGrad } = m;
  // 500 banana points: x2 = 2·N(0,1), x1 = N(0,1) + x2²/4
  const rng = new Random('smoke-banana');
  const n = 500;
  const values = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const x2 = 2 * rng.normal();
    values[2 * i] = rng.normal() + (x2 * x2) / 4;
    values[2 * i + 1] = x2;
  }
  const data = tensor(values, [n, 2]);

  const made = new AutoregressiveNetwork({ params: 2, hiddenUnits: [10], activation: 'relu', seed: 42 });
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda((t) => new MultivariateNormalDiag({
      loc: zeros([...t.shape.slice(0, -1), 2]), scaleDiag: [1, 1] })),
    new AutoregressiveTransform(made),
  ]);
  model.compile({ optimizer: new Adam(), loss: (y, rvY) => rvY.logProb(y).neg() });
  const history = await model.fit(zeros([n, 0]), data, { batchSize: 25, epochs: 3, stepsPerEpoch: n / 25, verbose: 0, seed: 0 });
  const loss = history.history.loss;
  assert.ok(loss[2] < loss[0], `loss went down: ${loss}`);
  const distribution = model.call(zeros([0]));
  const sample = distribution.sample(4, { seed: 1 });
  assert.deepEqual(sample.shape, [4, 2]);
  const logp = distribution.logProb(zeros([5, 3, 2]));
  assert.deepEqual(logp.shape, [5, 3]);
  return [...loss, ...sample.data, ...logp.data, noGrad(() => distribution.logProb(data).mean().item())];
}

const results = [];
for (const [name, m] of builds) {
  gradient(m);
  results.push(await referenceExample(m));
  console.log(`smoke ${name}: gradient and reference example ok`);
}
// Same seed ⇒ the same bits from either build.
assert.deepEqual(results[0], results[1]);
console.log('smoke: esm and cjs give bit-identical losses, samples and log-probabilities');
console.log(`${builds.length + 1} passed, 0 failed`); // each build, and their agreement
