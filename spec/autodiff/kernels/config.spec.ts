// The kernel-mode switch: default, set/get, scoped use that restores on throw, and unknown names.
import { getKernelMode, setKernelMode, withKernelMode } from '../../../autodiff/kernels/config.js';
import type { KernelMode } from '../../../autodiff/kernels/config.js';

describe('kernel mode', () => {
  it("defaults to 'structured'; setKernelMode returns the previous mode", () => {
    expect(getKernelMode()).toBe('structured');
    expect(setKernelMode('dense')).toBe('structured');
    expect(getKernelMode()).toBe('dense');
    expect(setKernelMode('structured')).toBe('dense');
  });

  it('withKernelMode sets the mode inside and restores it after, also when fn throws (the @example)', () => {
    expect(withKernelMode('reference', () => getKernelMode())).toBe('reference');
    expect(getKernelMode()).toBe('structured');
    expect(() => withKernelMode('dense', () => {
      throw new Error('inside');
    })).toThrow('inside');
    expect(getKernelMode()).toBe('structured');
  });

  it('rejects an unknown mode and keeps the current one', () => {
    expect(() => setKernelMode('fast' as KernelMode)).toThrow(TypeError);
    expect(() => setKernelMode('fast' as KernelMode)).toThrow(/setKernelMode: unknown mode 'fast'; expected 'reference', 'dense' or 'structured'/);
    expect(() => withKernelMode(3 as unknown as KernelMode, () => 0)).toThrow(/unknown mode 3/);
    expect(getKernelMode()).toBe('structured');
  });
});
