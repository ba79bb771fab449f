/**
 * Reductions, as `torch.nn` losses apply them to their per-element losses.
 *
 * @module
 */
import type { EnumOption } from "../core/definition.ts";
import type { DType, FloatArray, FloatDense } from "../core/tensor.ts";
import { DTYPE_ARRAYS, scalar } from "../core/tensor.ts";

/** `none`: the per-element losses; `mean`: their mean; `sum`: their sum. */
export type Reduction = "none" | "mean" | "sum";

/** The `reduction` option: `none`, `mean` (default) or `sum`, plus any extra values. */
export function reductionOption(extra: string[] = []): EnumOption {
  return {
    name: "reduction",
    type: "string",
    enum: ["none", "mean", "sum", ...extra],
    default: "mean",
    description: "`none`: the loss of each element; `mean`: their mean; `sum`: their sum" +
      (extra.includes("batchmean") ? "; `batchmean`: their sum divided by the batch size" : ""),
  };
}

/**
 * The gradient reaching each of `n` per-element losses from `grad_output`: `grad_output`
 * itself for `none`, its value for `sum`, its value divided by `count` for `mean`: the array
 * form of {@link upstreamGradOf}, which fills `n` values for `sum` and `mean` (simpler to read in
 * the losses whose backward is not on a hot path).
 */
export function upstreamGrad(
  reduction: string,
  gradOutput: FloatDense,
  n: number,
  count = n,
): FloatArray | Float64Array {
  const { perElement, each } = upstreamGradOf(reduction, gradOutput, count);
  return perElement ?? new Float64Array(n).fill(each);
}

/** The gradient reaching the per-element losses from `grad_output`; see {@link upstreamGradOf}. */
export interface UpstreamGrad {
  /** `grad_output` for `none`: one value per element; null for `sum` and `mean`. */
  perElement: FloatArray | null;
  /** For `sum` and `mean`: the value every element receives. */
  each: number;
}

/**
 * The gradient reaching the per-element losses, without an array for `sum` and `mean`: each
 * element reads `perElement ? perElement[i] : each`.  `each` is `grad_output`'s value for
 * `sum`, that value divided by `count` for `mean`, as autograd's `mean` divides it: in the
 * dtype of `grad_output` (rounded to float32 for float32).
 */
export function upstreamGradOf(
  reduction: string,
  gradOutput: FloatDense,
  count: number,
): UpstreamGrad {
  if (reduction === "none") return { perElement: gradOutput.data, each: NaN };
  const g = gradOutput.data[0];
  if (reduction === "sum") return { perElement: null, each: g };
  return { perElement: null, each: inDtypeOf(gradOutput.data, g / count) };
}

/**
 * The gradient reaching the per-element losses as PyTorch's own backward kernels take it
 * (`mse_loss_backward`, `huber_loss_backward`, …): `grad_output` (per element for `none`, its
 * one value otherwise) and, apart, the reduction's factor `norm`, 1 / `count` for `mean` and 1
 * otherwise (a double; the kernel rounds it to its dtype, as `norm.to<scalar_t>()` does).
 */
export interface ScaledGrad extends UpstreamGrad {
  norm: number;
}

/** `grad_output` and the reduction's factor apart; see {@link ScaledGrad}. */
export function scaledGradOf(
  reduction: string,
  gradOutput: FloatDense,
  count: number,
): ScaledGrad {
  if (reduction === "none") return { perElement: gradOutput.data, each: NaN, norm: 1 };
  return { perElement: null, each: gradOutput.data[0], norm: reduction === "mean" ? 1 / count : 1 };
}

/** `value` rounded to the dtype of `like` (float32 for a Float32Array). */
export function inDtypeOf(like: FloatArray, value: number): number {
  return like instanceof Float32Array ? Math.fround(value) : value;
}

/** A new array of `dtype` with `n` elements. */
export function allocate(dtype: DType, n: number): FloatArray {
  return new DTYPE_ARRAYS[dtype](n);
}

/** The `size_average`/`reduce` pair, mapped to a reduction as `torch.nn._reduction` does. */
export function legacyReduction(
  sizeAverage: boolean | null,
  reduceFlag: boolean | null,
): Reduction {
  const average = sizeAverage ?? true;
  const doReduce = reduceFlag ?? true;
  if (!doReduce) return "none";
  return average ? "mean" : "sum";
}

/**
 * The output of a loss computed element by element: the per-element `losses` for `none`,
 * otherwise their `total` (summed by the caller as it went), divided by `count` for `mean`.
 *
 * PyTorch's `sum` adds float32 losses in float32 and `mean` divides that sum, so a float32 sum
 * that overflows is +∞ before the division: the total (summed in float64 here, more exactly) is
 * rounded to float32 first.  Losses whose CPU kernels accumulate in double (`acc_type`, as
 * MultiMarginLoss's) pass `accumulate: "float64"`: the division is then in float64, and only its
 * result is rounded.
 */
export function reducedOutput(
  reduction: string,
  dtype: DType,
  shape: number[],
  total: number,
  losses: FloatArray | null,
  count: number,
  accumulate: DType = dtype,
): FloatDense {
  if (reduction === "none") return { shape, data: losses ?? allocate(dtype, 0) };
  if (reduction === "sum") return scalar(dtype, total);
  const sum = accumulate === "float32" ? Math.fround(total) : total;
  return scalar(dtype, sum / count);
}
