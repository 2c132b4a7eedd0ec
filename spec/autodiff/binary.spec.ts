import { add, binaryReference, div, maximum, minimum, mul, mulExp, sub, type BinaryOpName } from '../../autodiff/ops/binary.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { noGrad, Tensor, tensor, zeros } from '../../autodiff/tensor.js';
import type { TensorLike } from '../../autodiff/tensor-like.js';
import type { Shape } from '../../lib/util/shape.js';
import { expectGradClose, randn, seededRng } from '../helpers/grad-check.js';
import type { Random } from '../../lib/util/random.js';

const ops = { add, sub, mul, div, maximum, minimum };

describe('binary ops', () => {
  it('compute elementwise values with NumPy broadcasting', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]); // [2, 3]
    const b = tensor([10, 20, 30]); // [3] broadcasts along axis 0
    expect(add(a, b).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(sub(a, tensor([[1], [2]])).toArray()).toEqual([[0, 1, 2], [2, 3, 4]]);
    expect(mul(a, 2).toArray()).toEqual([[2, 4, 6], [8, 10, 12]]);
    expect(div(6, tensor([1, 2, 3])).toArray()).toEqual([6, 3, 2]);
    expect(maximum(a, 3).toArray()).toEqual([[3, 3, 3], [4, 5, 6]]);
    expect(minimum(a, 3).toArray()).toEqual([[1, 2, 3], [3, 3, 3]]);
  });

  it('broadcasts [5,1,2] with [3,1] to [5,3,2], as NumPy does', () => {
    expect(add(zeros([5, 1, 2]), zeros([3, 1])).shape).toEqual([5, 3, 2]);
    expect(add(zeros([2]), zeros([5, 3, 2])).shape).toEqual([5, 3, 2]);
    expect(add(zeros([]), zeros([0, 3])).shape).toEqual([0, 3]);
  });

  it('rejects shapes that do not broadcast, naming the op and both shapes', () => {
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(/add: shapes \[2,3\] and \[4\] do not broadcast/);
    expect(() => mul(zeros([3, 2]), zeros([2, 2]))).toThrow(/mul: shapes \[3,2\] and \[2,2\]/);
  });

  it('rejects non-tensor arguments by name', () => {
    expect(() => add(zeros([2]), 'x' as unknown as Tensor)).toThrow(TypeError);
    expect(() => add(zeros([2]), 'x' as unknown as Tensor)).toThrow(/'b' must be a Tensor, a number, nested arrays/);
  });

  for (const [name, op] of Object.entries(ops)) {
    it(`${name}: backward matches central differences, same shapes and broadcast`, () => {
      const rng = seededRng(`binary-${name}`);
      // Inputs kept away from 0 (div) and from each other (max/min kinks).
      const a = randn(rng, [3, 4], 1, 0);
      const b = randn(rng, [3, 4], 1, 0);
      for (let i = 0; i < b.size; i++) {
        b.data[i] = b.data[i] + (b.data[i] >= 0 ? 0.5 : -0.5);
        if (Math.abs(a.data[i] - b.data[i]) < 0.1) a.data[i] += 0.3;
      }
      expect(expectGradClose((p, q) => sum(mul(op(p, q), p)), [a, b])).toBeLessThan(1e-6);
      const row = randn(rng, [1, 4]).data.map((v) => v + (v >= 0 ? 2 : -2));
      expect(expectGradClose((p, q) => sum(op(p, q)), [a, tensor(row, [1, 4])])).toBeLessThan(1e-6);
      expect(expectGradClose((p, q) => sum(op(p, q)), [tensor(row, [4]), a])).toBeLessThan(1e-6);
    });
  }

  it('accumulates gradients when one tensor is used twice', () => {
    // f(x) = Σ x·x + x: df/dx = 2x + 1
    const x = tensor([1, -2, 3], [3], { requiresGrad: true });
    sum(add(mul(x, x), x)).backward();
    expect(Array.from(x.grad!.data)).toEqual([3, -3, 7]);
  });
});

/** True when the two arrays hold the same doubles bit for bit (−0 ≠ 0, NaN = NaN), as Object.is compares. */
function sameBits(p: ArrayLike<number>, q: ArrayLike<number>): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
  return true;
}

/**
 * Random values with the awkward ones mixed in: ±0, ±∞, NaN, subnormals, and (for mulExp's b)
 * exponents past the ±700 split. Drawn from `rng` so each case is different and reproducible.
 */
function awkward(rng: Random, shape: Shape): Tensor {
  const specials = [0, -0, Infinity, -Infinity, NaN, 5e-324, -1e-310, 710, -800, 1e300];
  const t = randn(rng, shape, 3);
  for (let i = 0; i < t.size; i++) if (rng.uniform() < 0.25) t.data[i] = specials[Math.floor(rng.uniform() * specials.length)];
  return t;
}

/** Values and input gradients of `f(a, b)` seeded with `g`, on fresh leaves that require a gradient. */
function run(f: (a: TensorLike, b: TensorLike) => Tensor, a: Tensor, b: Tensor, g: (shape: Shape) => Tensor): { y: Float64Array; ga: Float64Array; gb: Float64Array } {
  const pa = new Tensor(a.data.slice(), a.shape, { requiresGrad: true });
  const pb = new Tensor(b.data.slice(), b.shape, { requiresGrad: true });
  const y = f(pa, pb);
  y.backward(g(y.shape));
  return { y: y.data, ga: pa.grad!.data, gb: pb.grad!.data };
}

describe('binary ops: fast loops against the reference', () => {
  // Every layout the fast loops take, and one that needs index arrays (the reference itself).
  const cases: Array<[string, Shape, Shape]> = [
    ['equal shapes', [3, 4], [3, 4]],
    ['equal sizes, different ranks', [4], [1, 4]],
    ['scalar b, rank 0', [3, 4], []],
    ['scalar a, rank 2', [1, 1], [3, 4]],
    ['row b', [5, 3], [3]],
    ['row a of rank 3', [1, 1, 3], [2, 5, 3]],
    ['column b', [2, 3, 4], [2, 3, 1]],
    ['column a', [3, 1], [3, 4]],
    ['column a against row b (an outer product)', [3, 1], [1, 4]],
    ['row a against scalar b', [4], [1]],
    ['no row or column: index arrays', [2, 1, 4], [3, 1]],
    ['empty', [0, 3], [3]],
    // Past one slice of work (SLICE = 1024 elements per call of a row): the slices must join up.
    ['equal shapes over three slices', [2500], [2500]],
    ['scalar b over three slices', [50, 50], []],
    ['row b, rows cut across slices', [9, 300], [300]],
    ['column a over slices', [700, 1], [700, 3]],
    ['index arrays over slices', [3, 1, 500], [2, 1]],
  ];
  const fast: Array<[BinaryOpName, (a: TensorLike, b: TensorLike) => Tensor]> = [
    ['add', add], ['sub', sub], ['mul', mul], ['div', div], ['mulExp', mulExp], ['maximum', maximum], ['minimum', minimum],
  ];
  for (const [name, op] of fast) {
    it(`${name}: values and both gradients bit-identical to binaryReference on every layout`, () => {
      const rng = seededRng(`binary-fast-${name}`);
      for (const [what, sa, sb] of cases) {
        const a = awkward(rng, sa);
        const b = awkward(rng, sb);
        // One random seed gradient per case, with a few ±0 and NaN of its own.
        const seed = awkward(rng, [64]);
        const g = (shape: Shape): Tensor => new Tensor(Float64Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => seed.data[i % 64]), shape);
        const got = run(op, a, b, g);
        const want = run((p, q) => binaryReference(name, p, q), a, b, g);
        expect([what, sameBits(got.y, want.y)]).toEqual([what, true]);
        expect([what, 'da', sameBits(got.ga, want.ga)]).toEqual([what, 'da', true]);
        expect([what, 'db', sameBits(got.gb, want.gb)]).toEqual([what, 'db', true]);
      }
    });
  }

  it('the same bits under noGrad, with numbers as operands, and for a tensor used twice', () => {
    const rng = seededRng('binary-fast-misc');
    const a = awkward(rng, [4, 5]);
    const row = awkward(rng, [5]);
    for (const [name, op] of fast) {
      expect(sameBits(noGrad(() => op(a, row)).data, binaryReference(name, a, row).data)).toBe(true);
      expect(sameBits(op(2.5, a).data, binaryReference(name, 2.5, a).data)).toBe(true);
      expect(sameBits(op(a, -0.5).data, binaryReference(name, a, -0.5).data)).toBe(true);
    }
    // x·x: both sides of one backward add into the same gradient buffer, a's terms first.
    // d(Σ x·x)/dx = x + x = 2x
    const x = tensor([1.5, -2, 0.25], [3], { requiresGrad: true });
    sum(mul(x, x)).backward();
    expect(Array.from(x.grad!.data)).toEqual([3, -4, 0.5]);
  });

  it('keeps the reference error for shapes that do not broadcast, also on the fast paths', () => {
    expect(() => add(zeros([2, 3]), zeros([2]))).toThrow(/add: shapes \[2,3\] and \[2\] do not broadcast \(axis -1: 3 vs 2\)/);
    expect(() => mulExp(zeros([4]), zeros([3, 5]))).toThrow(/mulExp: shapes \[4\] and \[3,5\] do not broadcast/);
    expect(() => div(zeros([2, 3]), 'b' as unknown as number)).toThrow(/div: 'b' must be a Tensor, a number, nested arrays of numbers, a typed array, \{ data, shape \} or an ndarray, got 'b'/);
  });
});
