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
export { computeLoss, explainLoss, lookUp } from "./core/by_name.ts";
export { computeDense, dtypeChoices, isIndexArray, optionsOf } from "./core/compute.ts";
export { explainDense, MAX_SWEEP_POINTS } from "./core/explain.ts";
export type { ExplainSettings, Explanation, SweepResult } from "./core/explain.ts";
export type {
  ComputeSettings,
  DenseResult,
  DenseSettings,
  Evaluation,
  LossResult,
} from "./core/compute.ts";
export type * from "./core/definition.ts";
export { CATEGORIES, defineLoss, formulaFor, holdsIndices, sourceOf } from "./core/definition.ts";
export { elementField, LossInputError } from "./core/errors.ts";
export {
  closestLosses,
  findLoss,
  losses,
  lossNames,
  namesOf,
  unknownLossMessage,
} from "./core/registry.ts";
export { createRandom, MAX_SEED } from "./core/random.ts";
export { broadcastShapes } from "./ops/broadcast.ts";
export type { Random } from "./core/random.ts";
export {
  DTYPES,
  fromNdArray,
  indexNdArrayOf,
  isDType,
  MAX_RANK,
  ndarrayOf,
  numel,
  readDense,
  toNdArray,
} from "./core/tensor.ts";
export type {
  Dense,
  DType,
  FloatArray,
  FloatDense,
  NdArray,
  NumericArray,
  PlainTensor,
} from "./core/tensor.ts";
export { NOTATION, REDUCTION_TEX } from "./core/notation.ts";
export type { NotationEntry } from "./core/notation.ts";
