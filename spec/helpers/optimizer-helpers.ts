// Test helpers shared by the optimizer specs: parameters, the gradient of Σ w², and close-enough checks.
import { tensor, type Tensor } from '../../autodiff/tensor.js';

/** A parameter (leaf with requiresGrad) holding `values`. */
export function param(values: number[]): Tensor {
  return tensor(values, [values.length], { requiresGrad: true });
}

/** Sets each parameter's gradient to that of f(w) = Σ w², i.e. g = 2w. */
export function setSquareGrads(params: Tensor[]): void {
  for (const p of params) p.grad = tensor(Array.from(p.data, (w) => 2 * w), [p.size]);
}

/** Throws naming the first entry of `actual` farther than `tol` from `expected`. */
export function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol) {
      throw new Error(`entry ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${Math.abs(actual[i] - expected[i]).toExponential(2)} > ${tol})`);
    }
  }
}
