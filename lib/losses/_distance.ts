/**
 * Distances between vectors along the last dimension, as `torch.pairwise_distance` and
 * `1 - torch.cosine_similarity(x1, x2, dim=-1)` compute them, with their gradients: what
 * TripletMarginLoss and TripletMarginWithDistanceLoss share.
 *
 * Both tensors broadcast against each other first (`x1 - x2` in PyTorch); each row of the
 * broadcast shape `(*, D)` gives one distance, of shape `(*)`.  A 0-d tensor is one vector of
 * size 1, as PyTorch reduces a scalar over `dim=-1`.
 *
 * @module
 */
import { broadcastShape, expandTo, type Named, sumTo } from "../ops/broadcast.ts";
import { signOf } from "../ops/branchless.ts";
import { LossInputError } from "../core/errors.ts";
import type { FloatDense } from "../core/tensor.ts";

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
  /** The distance of each row of `x1` to the same row of `x2`: `rows` values. */
  forward(pair: VectorPair): Float64Array;
  /**
   * The gradients of `sum(grad · distances)` with respect to `x1` and `x2`, over the broadcast
   * shape (the caller sums them back onto each tensor's shape).
   */
  backward(
    pair: VectorPair,
    distances: Float64Array,
    grad: ArrayLike<number>,
  ): [Float64Array, Float64Array];
}

/**
 * `torch.pairwise_distance(x1, x2, p, eps)`: ‖x1 − x2 + eps‖_p over the last dimension
 * (eps is added to every difference, not to the norm), for any p: 0 counts the non-zero
 * differences, ±∞ take the largest or smallest |difference|.
 *
 * Gradient, as PyTorch's `norm_backward`, with d = x1 − x2 + eps and n the norm:
 * p = 1: sgn(d); p = 2: d / n (0 where n = 0); p = ±∞: sgn(d) shared among the entries with
 * |d| = n; p = 0: 0; otherwise sgn(d)·|d|^(p−1) / n^(p−1) (0 where n = 0, or where d = 0 for
 * p < 1).  The gradient of x2 is the opposite of x1's.
 *
 * @param field The input whose vectors are measured, for the error on an empty ∞-norm.
 */
export function pairwiseDistance(p: number, eps: number, field: string): DistanceFunction {
  return {
    forward(pair) {
      const { rows, size, x1, x2 } = pair;
      if (size === 0 && !Number.isFinite(p) && rows > 0) {
        throw new LossInputError(
          field,
          `${field} holds vectors of size 0, whose ${p}-norm is undefined (PyTorch's ` +
            "linalg.vector_norm cannot compute the inf norm on an empty tensor)",
        );
      }
      const distances = new Float64Array(rows);
      for (let row = 0, start = 0; row < rows; row++, start += size) {
        const end = start + size;
        let norm = 0;
        if (p === 2) {
          for (let i = start; i < end; i++) {
            const d = x1[i] - x2[i] + eps;
            norm += d * d;
          }
          norm = Math.sqrt(norm);
        } else if (p === 1) {
          for (let i = start; i < end; i++) norm += Math.abs(x1[i] - x2[i] + eps);
        } else if (p === Infinity || p === -Infinity) {
          norm = p === Infinity ? 0 : Infinity;
          const pick = p === Infinity ? Math.max : Math.min;
          for (let i = start; i < end; i++) norm = pick(norm, Math.abs(x1[i] - x2[i] + eps));
        } else if (p === 0) {
          for (let i = start; i < end; i++) {
            const d = x1[i] - x2[i] + eps;
            if (d !== 0) norm += Number.isNaN(d) ? NaN : 1;
          }
        } else {
          for (let i = start; i < end; i++) norm += Math.abs(x1[i] - x2[i] + eps) ** p;
          norm = norm ** (1 / p);
        }
        distances[row] = norm;
      }
      return distances;
    },
    backward(pair, distances, grad) {
      const { rows, size, x1, x2 } = pair;
      const grad1 = new Float64Array(x1.length);
      if (p === 0) return [grad1, new Float64Array(x1.length)];
      for (let row = 0, start = 0; row < rows; row++, start += size) {
        const end = start + size;
        const norm = distances[row];
        const g = grad[row];
        if (p === 2) {
          const scale = norm === 0 ? 0 : g / norm;
          for (let i = start; i < end; i++) grad1[i] = (x1[i] - x2[i] + eps) * scale;
        } else if (p === 1) {
          for (let i = start; i < end; i++) grad1[i] = signOf(x1[i] - x2[i] + eps) * g;
        } else if (p === Infinity || p === -Infinity) {
          let ties = 0;
          for (let i = start; i < end; i++) {
            const a = Math.abs(x1[i] - x2[i] + eps);
            if (a === norm || Number.isNaN(a)) ties++;
          }
          for (let i = start; i < end; i++) {
            const d = x1[i] - x2[i] + eps;
            const a = Math.abs(d);
            grad1[i] = a === norm || Number.isNaN(a) ? signOf(d) * (g / ties) : 0;
          }
        } else if (p < 1) {
          const scale = g * norm ** (1 - p);
          for (let i = start; i < end; i++) {
            const d = x1[i] - x2[i] + eps;
            grad1[i] = d === 0 ? 0 : signOf(d) * Math.abs(d) ** (p - 1) * scale;
          }
        } else {
          const scale = norm === 0 ? 0 : g / norm ** (p - 1);
          for (let i = start; i < end; i++) {
            const d = x1[i] - x2[i] + eps;
            grad1[i] = signOf(d) * Math.abs(d) ** (p - 1) * scale;
          }
        }
      }
      const grad2 = new Float64Array(grad1.length);
      for (let i = 0; i < grad1.length; i++) grad2[i] = -grad1[i];
      return [grad1, grad2];
    },
  };
}

/**
 * `1 - torch.cosine_similarity(x1, x2, dim=-1, eps)` as PyTorch 2.11 computes it: each vector
 * is divided by its own norm clamped at eps, s = Σ (x1 / max(‖x1‖, eps)) (x2 / max(‖x2‖, eps)).
 *
 * Gradient, as autograd gives it (the clamp is applied without grad, so the norm's gradient
 * flows as if unclamped), with c = max(‖x‖, eps) and g the gradient of s (−1 per unit of
 * distance): ∂s/∂x1 = x2 / (c1 c2) − s · x1 / (c1 ‖x1‖) (the second term 0 where ‖x1‖ = 0), and
 * symmetrically for x2.
 */
export function cosineDistance(eps = 1e-8): DistanceFunction {
  const norms = (data: ArrayLike<number>, start: number, end: number): number => {
    let sum = 0;
    for (let i = start; i < end; i++) sum += data[i] * data[i];
    return Math.sqrt(sum);
  };
  const clamp = (norm: number) => (norm < eps ? eps : norm);
  return {
    forward({ rows, size, x1, x2 }) {
      const distances = new Float64Array(rows);
      for (let row = 0, start = 0; row < rows; row++, start += size) {
        const end = start + size;
        const c1 = clamp(norms(x1, start, end));
        const c2 = clamp(norms(x2, start, end));
        let similarity = 0;
        for (let i = start; i < end; i++) similarity += (x1[i] / c1) * (x2[i] / c2);
        distances[row] = 1 - similarity;
      }
      return distances;
    },
    backward({ rows, size, x1, x2 }, distances, grad) {
      const grad1 = new Float64Array(x1.length);
      const grad2 = new Float64Array(x2.length);
      for (let row = 0, start = 0; row < rows; row++, start += size) {
        const end = start + size;
        const n1 = norms(x1, start, end);
        const n2 = norms(x2, start, end);
        const c1 = clamp(n1);
        const c2 = clamp(n2);
        const similarity = 1 - distances[row];
        const g = -grad[row];
        const cross = g / (c1 * c2);
        const self1 = n1 === 0 ? 0 : (g * similarity) / (c1 * n1);
        const self2 = n2 === 0 ? 0 : (g * similarity) / (c2 * n2);
        for (let i = start; i < end; i++) {
          grad1[i] = x2[i] * cross - x1[i] * self1;
          grad2[i] = x1[i] * cross - x2[i] * self2;
        }
      }
      return [grad1, grad2];
    },
  };
}

/** Adds a gradient over a broadcast `shape` onto `total`, a gradient of `target`'s shape. */
export function addSummedTo(
  total: Float64Array,
  grad: Float64Array,
  shape: number[],
  target: number[],
): void {
  const summed = sumTo({ shape, data: grad }, target).data;
  for (let i = 0; i < total.length; i++) total[i] += summed[i];
}
