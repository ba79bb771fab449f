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
 * `sum`, that value divided by `count` for `mean`.
 */
export function upstreamGradOf(
  reduction: string,
  gradOutput: FloatDense,
  count: number,
): UpstreamGrad {
  if (reduction === "none") return { perElement: gradOutput.data, each: NaN };
  const g = gradOutput.data[0];
  return { perElement: null, each: reduction === "sum" ? g : g / count };
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
 */
export function reducedOutput(
  reduction: string,
  dtype: DType,
  shape: number[],
  total: number,
  losses: FloatArray | null,
  count: number,
): FloatDense {
  if (reduction === "none") return { shape, data: losses ?? allocate(dtype, 0) };
  return scalar(dtype, reduction === "sum" ? total : total / count);
}
