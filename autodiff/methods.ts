// Chainable methods on Tensor (`x.add(y).exp()`): thin sugar over the op functions.
// They live here, not in tensor.ts, so that tensor.ts and the op files do not import each other.
// Importing this module (every entry of the package does) installs them on Tensor.prototype.
import { add, div, maximum, minimum, mul, sub } from './ops/binary.js';
import { matmul } from './ops/matmul.js';
import { logSumExp, max, mean, sum, type Axes } from './ops/reduce.js';
import { expandDims, gather, reshape, squeeze, transpose } from './ops/shape.js';
import {
  abs, clip, elu, exp, expm1, log, log1p, neg, pow, relu, sigmoid, softplus, sqrt, square, tanh,
} from './ops/unary.js';
import { Tensor } from './tensor.js';
import type { TensorLike } from './tensor-like.js';

declare module './tensor.js' {
  interface Tensor {
    /** `this + y` (broadcast). See {@link add}. */ add(y: TensorLike): Tensor;
    /** `this − y` (broadcast). See {@link sub}. */ sub(y: TensorLike): Tensor;
    /** `this · y` elementwise (broadcast). See {@link mul}. */ mul(y: TensorLike): Tensor;
    /** `this / y` elementwise (broadcast). See {@link div}. */ div(y: TensorLike): Tensor;
    /** Elementwise max with `y`. */ maximum(y: TensorLike): Tensor;
    /** Elementwise min with `y`. */ minimum(y: TensorLike): Tensor;
    /** `−this`. */ neg(): Tensor;
    /** `e^this`. */ exp(): Tensor;
    /** Natural log. */ log(): Tensor;
    /** `log(1 + this)`. */ log1p(): Tensor;
    /** `e^this − 1`. */ expm1(): Tensor;
    /** Square root. */ sqrt(): Tensor;
    /** `this²`. */ square(): Tensor;
    /** `this^p` for a number `p`. */ pow(p: number): Tensor;
    /** Absolute value. */ abs(): Tensor;
    /** Hyperbolic tangent. */ tanh(): Tensor;
    /** Logistic sigmoid. */ sigmoid(): Tensor;
    /** `max(this, 0)`. */ relu(): Tensor;
    /** ELU (α = 1). */ elu(): Tensor;
    /** `log(1 + e^this)`, stable. */ softplus(): Tensor;
    /** Clamp to `[lo, hi]`. */ clip(lo: number, hi: number): Tensor;
    /** Sum over `axes` (all by default). */ sum(axes?: Axes, keepDims?: boolean): Tensor;
    /** Mean over `axes` (all by default). */ mean(axes?: Axes, keepDims?: boolean): Tensor;
    /** Max over `axes` (all by default). */ max(axes?: Axes, keepDims?: boolean): Tensor;
    /** `log Σ exp` over `axes`, stable. */ logSumExp(axes?: Axes, keepDims?: boolean): Tensor;
    /** Matrix product with `y` (batched). */ matmul(y: Tensor): Tensor;
    /** Same data, new shape (one entry may be −1). */ reshape(shape: readonly number[]): Tensor;
    /** Permute axes (reverse by default). */ transpose(perm?: readonly number[]): Tensor;
    /** Pick entries along `axis`. */ gather(indices: readonly number[], axis?: number): Tensor;
    /** Insert an axis of size 1. */ expandDims(axis: number): Tensor;
    /** Remove axes of size 1. */ squeeze(axis?: number): Tensor;
  }
}

const proto = Tensor.prototype;
proto.add = function (y) { return add(this, y); };
proto.sub = function (y) { return sub(this, y); };
proto.mul = function (y) { return mul(this, y); };
proto.div = function (y) { return div(this, y); };
proto.maximum = function (y) { return maximum(this, y); };
proto.minimum = function (y) { return minimum(this, y); };
proto.neg = function () { return neg(this); };
proto.exp = function () { return exp(this); };
proto.log = function () { return log(this); };
proto.log1p = function () { return log1p(this); };
proto.expm1 = function () { return expm1(this); };
proto.sqrt = function () { return sqrt(this); };
proto.square = function () { return square(this); };
proto.pow = function (p) { return pow(this, p); };
proto.abs = function () { return abs(this); };
proto.tanh = function () { return tanh(this); };
proto.sigmoid = function () { return sigmoid(this); };
proto.relu = function () { return relu(this); };
proto.elu = function () { return elu(this); };
proto.softplus = function () { return softplus(this); };
proto.clip = function (lo, hi) { return clip(this, lo, hi); };
proto.sum = function (axes, keepDims) { return sum(this, axes, keepDims); };
proto.mean = function (axes, keepDims) { return mean(this, axes, keepDims); };
proto.max = function (axes, keepDims) { return max(this, axes, keepDims); };
proto.logSumExp = function (axes, keepDims) { return logSumExp(this, axes, keepDims); };
proto.matmul = function (y) { return matmul(this, y); };
proto.reshape = function (shape) { return reshape(this, shape); };
proto.transpose = function (perm) { return transpose(this, perm); };
proto.gather = function (indices, axis) { return gather(this, indices, axis); };
proto.expandDims = function (axis) { return expandDims(this, axis); };
proto.squeeze = function (axis) { return squeeze(this, axis); };
