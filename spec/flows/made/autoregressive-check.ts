// Spec helper: the autoregressive property of a MADE, checked by perturbation (bit-equal outputs) and by the autodiff Jacobian (exact zeros).
import { noGrad, Tensor, zeros } from '../../../autodiff/tensor.js';
import type { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';

/**
 * Throws unless `made`'s output for dimension d depends only on inputs j with m(j) < m(d), under
 * its selected mask: moving input j in every row leaves every output with m(j) ≥ m(d) bit-equal
 * (TFP's check), and ∂y[b,d,p]/∂x[b',j] is exactly 0 unless b' = b and m(j) < m(d) (pytorch-made's).
 * @param x - `[B, E]`; `c` the conditional input for a conditional network
 */
export function expectAutoregressive(made: AutoregressiveNetwork, x: Tensor, c: Tensor | undefined, label: string): void {
  const [B, E] = x.shape;
  const P = made.params;
  const m = made.inputOrder;
  const run = (xs: Tensor) => made.call(xs, { conditionalInput: c });
  const y0 = noGrad(() => run(x));
  if (y0.shape.join() !== [B, E, P].join()) throw new Error(`${label}: output shape [${y0.shape}], expected [${B},${E},${P}]`);
  const mustNotSee = (j: number, d: number) => m[j] >= m[d];

  // Perturbation: move input j in every row; outputs of dimensions d with m(j) ≥ m(d) must not change at all.
  for (let j = 0; j < E; j++) {
    const moved = x.clone();
    for (let b = 0; b < B; b++) moved.data[b * E + j] += 1.75;
    const y1 = noGrad(() => run(moved));
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < E; d++) {
        if (!mustNotSee(j, d)) continue;
        for (let p = 0; p < P; p++) {
          const at = (b * E + d) * P + p;
          if (y1.data[at] !== y0.data[at]) throw new Error(`${label}: output [${b},${d},${p}] moved with input ${j}`);
        }
      }
    }
  }

  // Jacobian: backward from each output entry; ∂y[b,d,p]/∂x[b',j] must be exactly 0 unless b' = b and m(j) < m(d).
  const xLeaf = new Tensor(x.data.slice(), x.shape, { requiresGrad: true });
  const y = run(xLeaf);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < E; d++) {
      for (let p = 0; p < P; p++) {
        const seed = zeros([B, E, P]);
        seed.data[(b * E + d) * P + p] = 1;
        xLeaf.zeroGrad();
        y.backward(seed);
        const g = xLeaf.grad?.data ?? new Float64Array(B * E);
        for (let b2 = 0; b2 < B; b2++) {
          for (let j = 0; j < E; j++) {
            if ((b2 !== b || mustNotSee(j, d)) && g[b2 * E + j] !== 0) {
              throw new Error(`${label}: d y[${b},${d},${p}] / d x[${b2},${j}] = ${g[b2 * E + j]}, expected exactly 0`);
            }
          }
        }
      }
    }
  }
}
