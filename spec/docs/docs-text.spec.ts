// Statements in the docs that were wrong once, held to the corrected text.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

describe('docs text', () => {
  it('change of variables: the 2-D Jacobian as written is triangular in the order (x₁, x₂)', () => {
    const text = read('docs/change-of-variables.md');
    expect(text).not.toMatch(/order x₂, x₁/);
    expect(text).toMatch(/\[\[1, −x₂\/2\],\s+\[0, +½ \]\] +upper triangular in the order \(x₁, x₂\)/);
  });

  it('MAF: sampling 784-pixel images costs 784 passes per batch, not per sample', () => {
    const text = read('docs/maf.md');
    expect(text).not.toMatch(/passes per sample/);
    expect(text).toMatch(/784 passes per batch/);
  });

  it('benchmarks: no issue numbers and no paths outside the repository', () => {
    const text = read('docs/benchmarks.md');
    expect(text).not.toMatch(/\bissue\b/i);
    expect(text).not.toMatch(/shared\/reference|\.\.\/\.\.\//);
  });
});
