/**
 * Distances between vectors along the last dimension, as `torch.pairwise_distance` and
 * `1 - torch.cosine_similarity(x1, x2, dim=-1)` compute them, with their gradients: what
 * TripletMarginLoss and TripletMarginWithDistanceLoss share.
 *
 * Both tensors broadcast against each other first (`x1 - x2` in PyTorch); each row of the
 * broadcast shape `(*, D)` gives one distance, of shape `(*)`.  A 0-d tensor is one vector of
 * size 1, as PyTorch reduces a scalar over `dim=-1`.
 *
 * Each is computed in the dtype as PyTorch composes it: in float32 every difference, product and
 * power is rounded to float32 and a sum of squares above 3.4e38 is +∞ (the sums themselves are
 * added in float64, more exactly than PyTorch's float32 lanes, and rounded once); the gradients
 * follow autograd's steps back, so that a gradient of 0 meets NaN or ∞ where PyTorch's does.
 *
 * @module
 */
import { broadcastShape, expandTo, type Named, sumTo } from "../ops/broadcast.ts";
import { signOf } from "../ops/branchless.ts";
import { LossInputError } from "../core/errors.ts";
import type { DType, FloatArray, FloatDense } from "../core/tensor.ts";

/** Two tensors broadcast to one shape `(*, D)`, seen as rows of `D` values. */
export interface VectorPair {
  /** The broadcast shape of both tensors. */
  shape: number[];
  /** The distances' shape: `shape` without its last dimension. */
  batchShape: number[];
  /** The number of rows (vectors), the product of `batchShape`. */
  rows: number;
  /** The length `D` of each vector. */
  size: number;
  /** The first tensor's values over `shape`. */
  x1: FloatDense["data"];
  /** The second tensor's values over `shape`. */
  x2: FloatDense["data"];
  /** The tensors' own shapes, where their gradients go. */
  shape1: number[];
  shape2: number[];
}

/**
 * Broadcasts two tensors as `x1 - x2` does, and splits the result into rows along the last
 * dimension.
 *
 * @throws LossInputError naming the second tensor when the shapes do not broadcast.
 */
export function broadcastVectors(first: Named<FloatDense>, second: Named<FloatDense>): VectorPair {
  const shape = broadcastShape(first, second);
  const size = shape.length === 0 ? 1 : shape[shape.length - 1];
  const batchShape = shape.slice(0, -1);
  let rows = 1;
  for (const n of batchShape) rows *= n;
  return {
    shape,
    batchShape,
    rows,
    size,
    x1: expandTo(first.tensor, shape).data,
    x2: expandTo(second.tensor, shape).data,
    shape1: first.tensor.shape,
    shape2: second.tensor.shape,
  };
}

/** A distance between the rows of a {@link VectorPair}, with its gradient. */
export interface DistanceFunction {
  /** The distance of each row of `x1` to the same row of `x2`: `rows` values in the dtype. */
  forward(pair: VectorPair, dtype: DType): Float64Array;
  /**
   * Adds the gradients of `sum(grad · distances)` with respect to `x1` and `x2` into `into1` and
   * `into2`, over the broadcast shape (the caller sums them back onto each tensor's shape); the
   * arrays are of the dtype, so that each addition rounds as autograd's does.
   */
  addBackward(
    pair: VectorPair,
    distances: Float64Array,
    grad: ArrayLike<number>,
    into1: FloatArray,
    into2: FloatArray,
  ): void;
}

/**
 * `torch.pairwise_distance(x1, x2, p, eps)`: ‖x1 − x2 + eps‖_p over the last dimension
 * (eps is added to every difference, not to the norm), for any p: 0 counts the non-zero
 * differences (NaN counts), ±∞ take the largest or smallest |difference| (NaN wins).
 *
 * Gradient, as PyTorch 2.11's `norm_backward`, with d = x1 − x2 + eps and n the norm:
 * p = 1: sgn(d)·g (sgn(NaN) = 0); p = 2: g · (d / n) (0 where n = 0); p = ±∞: sgn(d) · g / k
 * among the k entries with |d| = n or NaN; p = 0: 0; p < 1: sgn(d)·|d|^(p−1)·g·n^(1−p) (0 where
 * d = 0); otherwise sgn(d)·|d|^(p−1) · (g / n^(p−1)) (0 where n = 0).  x2's is the opposite.
 *
 * @param field The input whose vectors are measured, for the error on an empty ∞-norm.
 */
export function pairwiseDistance(p: number, eps: number, field: string): DistanceFunction {
  return {
    forward(pair, dtype) {
      const { rows, size } = pair;
      if (size === 0 && !Number.isFinite(p) && rows > 0) {
        throw new LossInputError(
          field,
          `${field} holds vectors of size 0, whose ${p}-norm is undefined (PyTorch's ` +
            "linalg.vector_norm cannot compute the inf norm on an empty tensor)",
        );
      }
      const distances = new Float64Array(rows);
      if (dtype === "float32") {
        const { x1, x2 } = pair as { x1: Float32Array; x2: Float32Array };
        if (p === 2) norms2of32(x1, x2, Math.fround(eps), size, distances);
        else if (p === 1) norms1of32(x1, x2, Math.fround(eps), size, distances);
        else otherNorms(pair, p, eps, true, distances);
      } else {
        const { x1, x2 } = pair as { x1: Float64Array; x2: Float64Array };
        if (p === 2) norms2of64(x1, x2, eps, size, distances);
        else if (p === 1) norms1of64(x1, x2, eps, size, distances);
        else otherNorms(pair, p, eps, false, distances);
      }
      return distances;
    },
    addBackward(pair, distances, grad, into1, into2) {
      if (p === 0) return;
      if (into1 instanceof Float32Array) {
        const { x1, x2 } = pair as { x1: Float32Array; x2: Float32Array };
        const shift = Math.fround(eps);
        const g2 = into2 as Float32Array;
        if (p === 2) gradients2of32(x1, x2, shift, pair.size, distances, grad, into1, g2);
        else if (p === 1) gradients1of32(x1, x2, shift, pair.size, grad, into1, g2);
        else otherGradients(pair, p, eps, true, distances, grad, into1, into2);
      } else {
        const { x1, x2 } = pair as { x1: Float64Array; x2: Float64Array };
        const g1 = into1 as Float64Array, g2 = into2 as Float64Array;
        if (p === 2) gradients2of64(x1, x2, eps, pair.size, distances, grad, g1, g2);
        else if (p === 1) gradients1of64(x1, x2, eps, pair.size, grad, g1, g2);
        else otherGradients(pair, p, eps, false, distances, grad, into1, into2);
      }
    },
  };
}

/** √(Σ d²), d = (x1 − x2) + eps, each step in float32 (a sum above 3.4e38 is +∞). */
function norms2of32(
  x1: Float32Array,
  x2: Float32Array,
  eps: number,
  size: number,
  distances: Float64Array,
): void {
  for (let row = 0, start = 0; row < distances.length; row++, start += size) {
    const end = start + size;
    let sum = 0;
    for (let i = start; i < end; i++) {
      const d = Math.fround(Math.fround(x1[i] - x2[i]) + eps);
      sum += Math.fround(d * d);
    }
    distances[row] = Math.fround(Math.sqrt(Math.fround(sum)));
  }
}

function norms2of64(
  x1: Float64Array,
  x2: Float64Array,
  eps: number,
  size: number,
  distances: Float64Array,
): void {
  for (let row = 0, start = 0; row < distances.length; row++, start += size) {
    const end = start + size;
    let sum = 0;
    for (let i = start; i < end; i++) {
      const d = x1[i] - x2[i] + eps;
      sum += d * d;
    }
    distances[row] = Math.sqrt(sum);
  }
}

function norms1of32(
  x1: Float32Array,
  x2: Float32Array,
  eps: number,
  size: number,
  distances: Float64Array,
): void {
  for (let row = 0, start = 0; row < distances.length; row++, start += size) {
    const end = start + size;
    let sum = 0;
    for (let i = start; i < end; i++) {
      sum += Math.abs(Math.fround(Math.fround(x1[i] - x2[i]) + eps));
    }
    distances[row] = Math.fround(sum);
  }
}

function norms1of64(
  x1: Float64Array,
  x2: Float64Array,
  eps: number,
  size: number,
  distances: Float64Array,
): void {
  for (let row = 0, start = 0; row < distances.length; row++, start += size) {
    const end = start + size;
    let sum = 0;
    for (let i = start; i < end; i++) sum += Math.abs(x1[i] - x2[i] + eps);
    distances[row] = sum;
  }
}

/** The other norms (0, ±∞, any other p), in either dtype. */
function otherNorms(
  { x1, x2, size }: VectorPair,
  p: number,
  eps: number,
  f32: boolean,
  distances: Float64Array,
): void {
  const round = (v: number) => f32 ? Math.fround(v) : v;
  const shift = round(eps);
  const inverse = round(1 / p);
  for (let row = 0, start = 0; row < distances.length; row++, start += size) {
    const end = start + size;
    let norm = 0;
    if (p === Infinity || p === -Infinity) {
      norm = p === Infinity ? 0 : Infinity;
      for (let i = start; i < end; i++) {
        const a = Math.abs(round(round(x1[i] - x2[i]) + shift));
        if (Number.isNaN(a)) norm = NaN;
        else if (p === Infinity ? a > norm : a < norm) norm = a;
      }
    } else if (p === 0) {
      for (let i = start; i < end; i++) if (round(round(x1[i] - x2[i]) + shift) !== 0) norm++;
    } else {
      for (let i = start; i < end; i++) {
        norm += round(Math.abs(round(round(x1[i] - x2[i]) + shift)) ** p);
      }
      norm = round(round(norm) ** inverse);
    }
    distances[row] = norm;
  }
}

/** g · (d / n), 0 where n = 0, into x1's gradient, and its negation into x2's, in float32. */
function gradients2of32(
  x1: Float32Array,
  x2: Float32Array,
  eps: number,
  size: number,
  distances: Float64Array,
  grad: ArrayLike<number>,
  into1: Float32Array,
  into2: Float32Array,
): void {
  for (let row = 0, start = 0; row < distances.length; row++, start += size) {
    const end = start + size;
    const norm = distances[row];
    const g = grad[row];
    const masked = norm === 0; // d / n is masked to 0 there (and g · 0 is NaN for g = ±∞)
    for (let i = start; i < end; i++) {
      const d = Math.fround(Math.fround(x1[i] - x2[i]) + eps);
      const gradient = Math.fround(g * (masked ? 0 : Math.fround(d / norm)));
      into1[i] += gradient;
      into2[i] -= gradient;
    }
  }
}

function gradients2of64(
  x1: Float64Array,
  x2: Float64Array,
  eps: number,
  size: number,
  distances: Float64Array,
  grad: ArrayLike<number>,
  into1: Float64Array,
  into2: Float64Array,
): void {
  for (let row = 0, start = 0; row < distances.length; row++, start += size) {
    const end = start + size;
    const norm = distances[row];
    const g = grad[row];
    const masked = norm === 0;
    for (let i = start; i < end; i++) {
      const gradient = g * (masked ? 0 : (x1[i] - x2[i] + eps) / norm);
      into1[i] += gradient;
      into2[i] -= gradient;
    }
  }
}

/** sgn(d) · g (sgn(NaN) = 0, but 0 · ∞ is NaN), in float32. */
function gradients1of32(
  x1: Float32Array,
  x2: Float32Array,
  eps: number,
  size: number,
  grad: ArrayLike<number>,
  into1: Float32Array,
  into2: Float32Array,
): void {
  for (let row = 0, start = 0; row < grad.length; row++, start += size) {
    const end = start + size;
    const g = grad[row];
    for (let i = start; i < end; i++) {
      const gradient = signOf(Math.fround(Math.fround(x1[i] - x2[i]) + eps)) * g;
      into1[i] += gradient;
      into2[i] -= gradient;
    }
  }
}

function gradients1of64(
  x1: Float64Array,
  x2: Float64Array,
  eps: number,
  size: number,
  grad: ArrayLike<number>,
  into1: Float64Array,
  into2: Float64Array,
): void {
  for (let row = 0, start = 0; row < grad.length; row++, start += size) {
    const end = start + size;
    const g = grad[row];
    for (let i = start; i < end; i++) {
      const gradient = signOf(x1[i] - x2[i] + eps) * g;
      into1[i] += gradient;
      into2[i] -= gradient;
    }
  }
}

/** The gradients of the other norms (±∞, any other p but 0), in either dtype. */
function otherGradients(
  { x1, x2, size }: VectorPair,
  p: number,
  eps: number,
  f32: boolean,
  distances: Float64Array,
  grad: ArrayLike<number>,
  into1: FloatArray,
  into2: FloatArray,
): void {
  const round = (v: number) => f32 ? Math.fround(v) : v;
  const shift = round(eps);
  for (let row = 0, start = 0; row < distances.length; row++, start += size) {
    const end = start + size;
    const norm = distances[row];
    const g = grad[row];
    const difference = (i: number) => round(round(x1[i] - x2[i]) + shift);
    let scale = 0;
    if (p === Infinity || p === -Infinity) {
      // Shared among the entries where |d| is the norm, or NaN.
      let ties = 0;
      for (let i = start; i < end; i++) {
        const a = Math.abs(difference(i));
        if (a === norm || Number.isNaN(a)) ties++;
      }
      scale = round(g / ties);
    } else if (p < 1) {
      scale = tensorPow(norm, 1 - p, f32);
    } else {
      scale = norm === 0 ? 0 : round(g / tensorPow(norm, p - 1, f32));
    }
    for (let i = start; i < end; i++) {
      const d = difference(i);
      const a = Math.abs(d);
      let gradient: number;
      if (p === Infinity || p === -Infinity) {
        gradient = signOf(d) * (a === norm || Number.isNaN(a) ? scale : 0);
      } else if (p < 1) {
        const scaled = signOf(d) * (d === 0 ? 0 : tensorPow(a, p - 1, f32));
        gradient = round(round(scaled * g) * scale);
      } else if (p < 2) {
        gradient = round(round(signOf(d) * tensorPow(a, p - 1, f32)) * scale);
      } else {
        gradient = round(round(d * tensorPow(a, p - 2, f32)) * scale);
      }
      into1[i] += gradient;
      into2[i] -= gradient;
    }
  }
}

/**
 * `tensor.pow(exponent)` as PyTorch's kernel computes it, in the dtype: the exponents it
 * special-cases by their own operations (½ a square root, −½ one over it, 2 and 3 products, −1
 * and −2 reciprocals), `pow` for the others.
 */
function tensorPow(base: number, exponent: number, f32: boolean): number {
  const round = (v: number) => f32 ? Math.fround(v) : v;
  switch (exponent) {
    case 1:
      return base;
    case 0.5:
      return round(Math.sqrt(base));
    case -0.5:
      return round(1 / round(Math.sqrt(base)));
    case 2:
      return round(base * base);
    case 3:
      return round(round(base * base) * base);
    case -1:
      return round(1 / base);
    case -2:
      return round(1 / round(base * base));
    default:
      return round(base ** exponent);
  }
}

/**
 * `1 - torch.cosine_similarity(x1, x2, dim=-1, eps)` as PyTorch 2.11 computes it: each vector
 * is divided by its own norm clamped at eps, s = Σ (x1 / c1)(x2 / c2), c = max(‖x‖, eps).
 *
 * Gradient, as autograd takes those steps back (the clamp is applied without grad, so the norm's
 * gradient flows as if unclamped): with u = x1 / c1, v = x2 / c2 and g the gradient of s (−1 per
 * unit of distance), x1 gets g·v / c1 from the division and, through its norm,
 * −(Σ g·v·u / c1) · x1 / ‖x1‖ (0 where ‖x1‖ = 0); symmetrically for x2.  s itself is never rebuilt
 * as 1 − distance, which would lose it below 1e-16.
 */
export function cosineDistance(eps = 1e-8): DistanceFunction {
  return {
    forward({ rows, size, x1, x2 }, dtype) {
      const f32 = dtype === "float32";
      const round = (v: number) => f32 ? Math.fround(v) : v;
      const floor = round(eps);
      const distances = new Float64Array(rows);
      for (let row = 0, start = 0; row < rows; row++, start += size) {
        const end = start + size;
        const c1 = Math.max(norm2(x1, start, end, f32), floor);
        const c2 = Math.max(norm2(x2, start, end, f32), floor);
        let similarity = 0;
        for (let i = start; i < end; i++) {
          similarity += round(round(x1[i] / c1) * round(x2[i] / c2));
        }
        distances[row] = round(1 - round(similarity));
      }
      return distances;
    },
    addBackward({ rows, size, x1, x2 }, _distances, grad, into1, into2) {
      const f32 = into1 instanceof Float32Array;
      const round = (v: number) => f32 ? Math.fround(v) : v;
      const floor = round(eps);
      for (let row = 0, start = 0; row < rows; row++, start += size) {
        const end = start + size;
        const n1 = norm2(x1, start, end, f32);
        const n2 = norm2(x2, start, end, f32);
        const c1 = Math.max(n1, floor);
        const c2 = Math.max(n2, floor);
        const g = -grad[row];
        // The gradients reaching c1 and c2 through x / c: Σ −(g·v)·(u / c1), and the same for x2.
        let gradC1 = 0, gradC2 = 0;
        for (let i = start; i < end; i++) {
          const u = round(x1[i] / c1), v = round(x2[i] / c2);
          gradC1 += round(-round(g * v) * round(u / c1));
          gradC2 += round(-round(g * u) * round(v / c2));
        }
        gradC1 = round(gradC1);
        gradC2 = round(gradC2);
        for (let i = start; i < end; i++) {
          const u = round(x1[i] / c1), v = round(x2[i] / c2);
          const direct1 = round(round(g * v) / c1);
          const direct2 = round(round(g * u) / c2);
          const throughNorm1 = n1 === 0 ? 0 : round(gradC1 * round(x1[i] / n1));
          const throughNorm2 = n2 === 0 ? 0 : round(gradC2 * round(x2[i] / n2));
          into1[i] += round(direct1 + throughNorm1);
          into2[i] += round(direct2 + throughNorm2);
        }
      }
    },
  };
}

/** ‖x‖₂ of x[start, end), each square and the sum and root rounded to float32 for `f32`. */
function norm2(data: ArrayLike<number>, start: number, end: number, f32: boolean): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += f32 ? Math.fround(data[i] * data[i]) : data[i] * data[i];
  return f32 ? Math.fround(Math.sqrt(Math.fround(sum))) : Math.sqrt(sum);
}

/** Adds a gradient over a broadcast `shape` onto `total`, a gradient of `target`'s shape. */
export function addSummedTo(
  total: FloatArray,
  grad: FloatArray,
  shape: number[],
  target: number[],
): void {
  const summed = sumTo({ shape, data: grad }, target).data;
  for (let i = 0; i < total.length; i++) total[i] += summed[i];
}
