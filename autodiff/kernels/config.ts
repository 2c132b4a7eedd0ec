// Which kernel maskedMatmul runs: a switch for tests and for checking that the fast kernels leave training results unchanged.

/**
 * The kernel behind `maskedMatmul` (autodiff/ops/masked-matmul.ts):
 *
 * - `'structured'` (default): rows and columns sorted by degree once per mask, so a MADE mask becomes a
 *   staircase and only its non-zero part is multiplied (`gemmStaircase`, kernels/gemm.ts), in the forward and both
 *   backward products; masks of any other pattern fall back to `'dense'`.
 * - `'dense'`: the whole product on `w ⊙ mask` with the register-blocked `gemm`, zeros included.
 * - `'reference'`: the plain loops of `maskedMatmulReference`, the definition (slow).
 *
 * All three give the same values and gradients up to rounding (the order of the sums differs).
 * The mode is read when the forward runs; its backward uses the same kernel.
 */
export type KernelMode = 'reference' | 'dense' | 'structured';

const MODES: readonly KernelMode[] = ['reference', 'dense', 'structured'];

let mode: KernelMode = 'structured';

/** The kernel `maskedMatmul` uses now; see {@link KernelMode}. */
export function getKernelMode(): KernelMode {
  return mode;
}

/**
 * Chooses the kernel of every later `maskedMatmul` call, process-wide.
 *
 * @param next - see {@link KernelMode}
 * @returns the previous mode, so a caller can restore it
 * @throws TypeError for a name other than `'reference'`, `'dense'` or `'structured'`
 *
 * @example
 * const before = setKernelMode('reference');
 * try { trainAndRecordLosses(); } finally { setKernelMode(before); }
 */
export function setKernelMode(next: KernelMode): KernelMode {
  if (!MODES.includes(next)) {
    throw new TypeError(`setKernelMode: unknown mode ${typeof next === 'string' ? `'${next}'` : String(next)}; expected 'reference', 'dense' or 'structured'`);
  }
  const previous = mode;
  mode = next;
  return previous;
}

/**
 * Runs `fn` with the kernel mode set to `next`, then restores the previous mode (also when `fn` throws).
 *
 * @returns what `fn` returns
 * @throws TypeError for an unknown mode (see {@link setKernelMode}); whatever `fn` throws
 *
 * @example
 * const losses = withKernelMode('reference', () => train(100)); // same seed ⇒ same curve as 'structured'
 */
export function withKernelMode<T>(next: KernelMode, fn: () => T): T {
  const previous = setKernelMode(next);
  try {
    return fn();
  } finally {
    mode = previous;
  }
}
