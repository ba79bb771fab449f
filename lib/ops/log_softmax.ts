/**
 * log-softmax and log-sum-exp along a class dimension, computed stably (the maximum subtracted
 * first): what the losses over class scores and their samplers share.
 *
 * @module
 */
import type { DType, FloatArray } from "../core/tensor.ts";
import { exp32, exp64, log32 } from "./exp_log.ts";

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
 * log softmax(x)_c = x_c − max − logSum (stable: no exponential overflows), in float64 with the
 * C library: what the samplers use.
 */
export function logSumExp(
  x: ArrayLike<number>,
  { batch, classes, inner }: ClassAxis,
): { max: Float64Array; logSum: Float64Array } {
  const positions = batch * inner;
  const max = new Float64Array(positions);
  const logSum = new Float64Array(positions);
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
      for (let i = sample + k; i < end; i += inner) sum += Math.exp(x[i] - m);
      max[position] = m;
      logSum[position] = Math.log(sum);
    }
  }
  return { max, logSum };
}

/** The maximum and log Σ exp(x − max) at each position of a class axis. */
export interface LogSoftmaxStatistics {
  max: Float64Array;
  logSum: Float64Array;
}

/**
 * The maximum and log Σ exp(x − max) at every position of `axis`, as PyTorch's log_softmax
 * kernel computes them in `dtype` (each exp of x − max and the log of the sum rounded to float32
 * for float32; the sum itself is added in float64, more exactly than PyTorch's float32 lanes):
 * log softmax(x)_c is then (x_c − max) − logSum, each difference in the dtype.  A row holding NaN
 * or +∞ gives NaN throughout, as in PyTorch.
 */
export function logSoftmaxStatistics(
  x: FloatArray,
  axis: ClassAxis,
  dtype: DType,
): LogSoftmaxStatistics {
  const positions = axis.batch * axis.inner;
  const statistics = { max: new Float64Array(positions), logSum: new Float64Array(positions) };
  if (dtype === "float32") statistics32(x as Float32Array, axis, statistics);
  else statistics64(x as Float64Array, axis, statistics);
  return statistics;
}

function statistics32(
  x: Float32Array,
  { batch, classes, inner }: ClassAxis,
  { max, logSum }: LogSoftmaxStatistics,
): void {
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      let m = -Infinity;
      for (let i = sample + k; i < end; i += inner) {
        const v = x[i];
        if (v > m) m = v;
      }
      let sum = 0;
      for (let i = sample + k; i < end; i += inner) sum += exp32(Math.fround(x[i] - m));
      max[position] = m;
      logSum[position] = log32(Math.fround(sum));
    }
  }
}

function statistics64(
  x: Float64Array,
  { batch, classes, inner }: ClassAxis,
  { max, logSum }: LogSoftmaxStatistics,
): void {
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      let m = -Infinity;
      for (let i = sample + k; i < end; i += inner) {
        const v = x[i];
        if (v > m) m = v;
      }
      let sum = 0;
      for (let i = sample + k; i < end; i += inner) sum += exp64(x[i] - m);
      max[position] = m;
      logSum[position] = Math.log(sum);
    }
  }
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
