/**
 * PyTorch's `torch.nn` losses over `ndarray`, with their gradients.
 *
 * @example The seed notebook's L1 loss
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "./mod.ts";
 * const input = ndarrayOf([0.5, -1, 2], [3]);
 * const target = ndarrayOf([0, 0, 0], [3]);
 * const { output, grads } = computeLoss("L1Loss", { input, target }, {}, { grad: true });
 * assert.ok(Math.abs(output.get() - 3.5 / 3) < 1e-6);
 * assert.ok(grads.input.get(1) < 0);
 * ```
 *
 * @module
 */
export { computeLoss, isIndexArray, optionsOf } from "./compute.ts";
export type { ComputeSettings, LossResult } from "./compute.ts";
export type * from "./definition.ts";
export { LossInputError } from "./errors.ts";
export { findLoss, losses } from "./registry.ts";
export type { AnyLoss } from "./registry.ts";
export { createRandom } from "./random.ts";
export type { Random } from "./random.ts";
export { indexNdArrayOf, MAX_RANK, ndarrayOf } from "./tensor.ts";
export type { DType, FloatArray, NdArray, NumericArray } from "./tensor.ts";
