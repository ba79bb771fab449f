/**
 * The library's public entries by name: `computeLoss` and `explainLoss` look the loss up in the
 * registry (class name, functional name or slug), read the `ndarray`s as dense tensors and call
 * the core entries (`computeDense`, `explainDense`'s own).  Apart from `compute.ts` so that the
 * loss modules, which use the core, do not import the registry that imports them.
 *
 * @module
 */
import { type ComputeSettings, computeWith, type LossResult } from "./compute.ts";
import type { AnyLoss } from "./definition.ts";
import { LossInputError } from "./errors.ts";
import { type ExplainSettings, explainWith, type Explanation } from "./explain.ts";
import { findLoss, unknownLossMessage } from "./registry.ts";
import { type FloatArray, fromNdArray, type NdArray, toNdArray } from "./tensor.ts";

/**
 * Computes the loss `name` (class name, functional name or slug) of `inputs` as PyTorch does,
 * and with `settings.grad`, the gradient of each differentiable input: the registry lookup and
 * {@link computeDense} on the `ndarray`s read as dense tensors.
 *
 * @param inputs The arguments of PyTorch's `forward`, by name, as `ndarray`s (any strides).
 * @param options The loss's constructor options, by PyTorch's keyword names.
 * @throws LossInputError for anything PyTorch would reject, naming the field.
 *
 * @example The notebook's L1 loss
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 2, 3], [3]);
 * const target = ndarrayOf([1, 0, 5], [3]);
 * const { output } = computeLoss("L1Loss", { input, target });
 * assert.ok(Math.abs(output.get() - 4 / 3) < 1e-6);
 * ```
 */
export function computeLoss(
  name: string,
  inputs: Record<string, unknown>,
  options: Record<string, unknown> = {},
  settings: ComputeSettings = {},
): LossResult {
  const result = computeWith(lookUp(name), inputs, options, settings, fromNdArray);
  const grads: Record<string, NdArray<FloatArray>> = {};
  for (const [key, gradient] of Object.entries(result.grads)) grads[key] = toNdArray(gradient);
  return { ...result, output: toNdArray(result.output), grads };
}

/** The loss called `name`, or a `LossInputError` naming `loss`. */
export function lookUp(name: string): AnyLoss {
  const loss = findLoss(name);
  if (!loss) {
    throw new LossInputError("loss", unknownLossMessage(name));
  }
  return loss;
}

/**
 * Explains `name`'s numbers for `inputs` and `options`: see {@link Explanation}.  The inputs are
 * `ndarray`s (any strides) as `computeLoss` takes them.
 *
 * @throws LossInputError for anything `computeLoss` rejects, an element out of range, or a
 *   number of points out of range.
 *
 * @example MSELoss's second element, worked through
 * ```ts
 * import assert from "node:assert/strict";
 * import { explainLoss, ndarrayOf } from "../mod.ts";
 * const inputs = { input: ndarrayOf([1, 3], [2]), target: ndarrayOf([0, 1], [2]) };
 * const explained = explainLoss("MSELoss", inputs, {}, { element: 1, dtype: "float64" });
 * assert.equal(explained.output.data[0], 2.5);
 * assert.equal(explained.worked?.steps.at(-1)?.value, 4);
 * assert.equal(explained.reduction.at(-1)?.value, 2.5);
 * ```
 */
export function explainLoss(
  name: string,
  inputs: Record<string, unknown>,
  options: Record<string, unknown> = {},
  settings: ExplainSettings = {},
): Explanation {
  return explainWith(lookUp(name), inputs, options, settings, fromNdArray);
}
