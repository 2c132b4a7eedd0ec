// The kernel-mode and thread-count switches: defaults, set/get, scoped use that restores on throw, and bad values.
import { availableParallelism } from 'node:os';
import { getKernelMode, getNumThreads, setKernelMode, setNumThreads, withKernelMode } from '../../../autodiff/kernels/config.js';
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

describe('thread count', () => {
  it('defaults to 2 in Node on 2 or more cores, else 1 (unless MAFLOW_THREADS says otherwise)', async () => {
    // node:os is imported lazily; a timer turn later it has surely loaded.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const env = process.env.MAFLOW_THREADS;
    const expected = env !== undefined && env.trim() !== '' ? Number(env) : Math.min(2, availableParallelism());
    expect(getNumThreads()).toBe(expected);
  });

  it('setNumThreads returns the previous value and rejects what is not a whole number from 1 to 32', () => {
    const before = setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    expect(setNumThreads(before)).toBe(1);
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: 'n' must be a whole number from 1 to 32, got 0/);
    expect(() => setNumThreads(1.5)).toThrow(RangeError);
    expect(() => setNumThreads(33)).toThrow(RangeError);
    expect(() => setNumThreads('2' as unknown as number)).toThrow(/setNumThreads: 'n' must be a number, got string/);
    expect(() => setNumThreads('2' as unknown as number)).toThrow(TypeError);
    expect(getNumThreads()).toBe(before);
  });
});
