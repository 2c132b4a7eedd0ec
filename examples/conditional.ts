// Conditional density estimation, which TFP's AutoregressiveTransform layer cannot do: learn p(y | x)
// for a 2-D y whose mean, spread and shape depend on a scalar x. Writes out/conditional.svg.
// Run: npm run demo:conditional
import { mkdir, writeFile } from 'node:fs/promises';
import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, DistributionLambda, InputLayer,
  MultivariateNormalDiag, PermuteTransform, Random, Sequential, noGrad, tensor, zeros, type Tensor,
} from 'maflow';
import { figure, scatterPanel, type Box } from './svg.js';

/**
 * The true conditional: given x in [−2, 2],
 *   y1 ~ N(sin(1.5x), (0.1 + 0.15|x|)²)          (mean and spread move with x)
 *   y2 ~ N(x · y1, 0.2²)                          (a correlation whose sign flips with x)
 */
function drawY(x: number, rng: Random): [number, number] {
  const y1 = Math.sin(1.5 * x) + (0.1 + 0.15 * Math.abs(x)) * rng.normal();
  return [y1, x * y1 + 0.2 * rng.normal()];
}

const rng = new Random('conditional-example');
const n = 4000;
const xs = new Float64Array(n);
const ys = new Float64Array(2 * n);
for (let i = 0; i < n; i++) {
  xs[i] = -2 + 4 * rng.uniform();
  [ys[2 * i], ys[2 * i + 1]] = drawY(xs[i], rng);
}
const x = tensor(xs, [n, 1]); // conditions, [rows, 1]
const y = tensor(ys, [n, 2]); // targets,    [rows, 2]

// Two conditional MAF layers, reversed in between; each network sees x at every layer.
const made = (seed: number): AutoregressiveNetwork => new AutoregressiveNetwork({
  params: 2, eventShape: 2, hiddenUnits: [32, 32], activation: 'tanh',
  conditional: true, conditionalEventShape: 1, seed });
const model = new Sequential([
  new InputLayer({ inputShape: [1] }),
  new DistributionLambda((t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) })),
  new AutoregressiveTransform(made(1)),
  new PermuteTransform(),
  new AutoregressiveTransform(made(2)),
]);
model.compile({ optimizer: new Adam({ learningRate: 0.005 }), loss: (yTrue: Tensor, rv) => rv.logProb(yTrue).neg() });
await model.fit(x, y, { batchSize: 100, epochs: Number(process.env.EPOCHS ?? 100), verbose: 2, seed: 0 });
console.log(`mean negative log-likelihood of y given x: ${model.evaluate(x, y).toFixed(4)} nats`);

// Compare the model's conditional samples with fresh draws from the truth at three values of x.
const box: Box = { xMin: -2.5, xMax: 2.5, yMin: -4, yMax: 4 };
const panels = [];
for (const x0 of [-1.5, 0, 1.5]) {
  const samples = noGrad(() => model.call(tensor([[x0]])).sample(1000, { seed: 5 })); // [1000, 1, 2]
  const truth = new Float64Array(2000);
  const r = new Random(`truth-${x0}`);
  for (let i = 0; i < 1000; i++) [truth[2 * i], truth[2 * i + 1]] = drawY(x0, r);
  const meanOf = (d: ArrayLike<number>, k: number): number => {
    let s = 0;
    for (let i = 0; i < 1000; i++) s += d[2 * i + k] / 1000;
    return s;
  };
  console.log(`x = ${x0.toFixed(1).padStart(4)}: sample mean y = (${meanOf(samples.data, 0).toFixed(2)}, ${meanOf(samples.data, 1).toFixed(2)}),` +
    ` true (${meanOf(truth, 0).toFixed(2)}, ${meanOf(truth, 1).toFixed(2)})`);
  panels.push(scatterPanel(`truth, x = ${x0}`, truth, box, '#1f77b4', ['y₁', 'y₂']), scatterPanel(`model, x = ${x0}`, samples.data, box, '#ff7f0e', ['y₁', 'y₂']));
}
await mkdir('out', { recursive: true });
await writeFile('out/conditional.svg', figure(panels, 'p(y | x): 1000 draws from the truth (blue) and from the conditional MAF (orange)'));
console.log('wrote out/conditional.svg');
