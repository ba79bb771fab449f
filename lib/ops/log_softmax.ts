/**
 * log-softmax and log-sum-exp along a class dimension, computed stably (the maximum subtracted
 * first): what the losses over class scores and their samplers share.
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";

/**
 * A class dimension in a row-major tensor seen as `batch` × `classes` × `inner`: the score of
 * class c at position k of sample n is at `(n·C + c)·inner + k`.  `inner` is 1 when the classes
 * are the last dimension.
 */
export interface ClassAxis {
  batch: number;
  classes: number;
  inner: number;
}

/**
 * The maximum and log Σ exp(x − max) of the class scores at every position of `axis`, so that
 * log softmax(x)_c = x_c − max − logSum (stable: no exponential overflows); and, into `softmax`
 * when given, softmax(x) as exp(x_c − max) / Σ exp(x − max), from the same exponentials.
 */
export function logSumExp(
  x: ArrayLike<number>,
  { batch, classes, inner }: ClassAxis,
  softmax: FloatArray | null = null,
): { max: Float64Array; logSum: Float64Array } {
  const positions = batch * inner;
  const max = new Float64Array(positions);
  const logSum = new Float64Array(positions);
  if (inner === 1) {
    for (let n = 0, row = 0; n < batch; n++, row += classes) {
      const end = row + classes;
      let m = -Infinity;
      for (let i = row; i < end; i++) {
        const v = x[i];
        if (v > m) m = v;
      }
      let sum = 0;
      for (let i = row; i < end; i++) {
        const e = Math.exp(x[i] - m);
        sum += e;
        if (softmax) softmax[i] = e;
      }
      if (softmax) { for (let i = row; i < end; i++) softmax[i] /= sum; }
      max[n] = m;
      logSum[n] = Math.log(sum);
    }
    return { max, logSum };
  }
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const end = sample + classes * inner;
      let m = -Infinity;
      for (let i = sample + k; i < end; i += inner) {
        const v = x[i];
        if (v > m) m = v;
      }
      let sum = 0;
      for (let i = sample + k; i < end; i += inner) {
        const e = Math.exp(x[i] - m);
        sum += e;
        if (softmax) softmax[i] = e;
      }
      if (softmax) { for (let i = sample + k; i < end; i += inner) softmax[i] /= sum; }
      max[position] = m;
      logSum[position] = Math.log(sum);
    }
  }
  return { max, logSum };
}

/**
 * log_softmax over the last dimension of row-major `values`, `classes` to a row: what samplers
 * use to draw log-probabilities from `randn` logits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logSoftmaxRows } from "./log_softmax.ts";
 * const [a, b] = logSoftmaxRows([0, 0], 2);
 * assert.ok(Math.abs(a - Math.log(0.5)) < 1e-15 && a === b);
 * ```
 */
export function logSoftmaxRows(values: ArrayLike<number>, classes: number): number[] {
  const batch = classes === 0 ? 0 : values.length / classes;
  const { max, logSum } = logSumExp(values, { batch, classes, inner: 1 });
  return Array.from(values, (v, i) => {
    const row = Math.floor(i / classes);
    return v - max[row] - logSum[row];
  });
}
