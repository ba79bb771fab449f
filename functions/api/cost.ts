/**
 * The cost of a request, estimated from its decoded shapes before anything is computed, and
 * refused (413) when it exceeds the limits: the size its tensors broadcast to (`MAX_ELEMENTS`)
 * and its work in element steps (`MAX_WORK`).
 *
 * Most losses do a few steps per element of the broadcast of their inputs.  The losses whose
 * work grows faster than their inputs declare their own estimate (`work` in their registry
 * entry): CTC's alpha and beta recursions take T x (2S + 1) steps per sequence, and
 * MultiLabelMarginLoss compares every target class with every class of a row.
 *
 * @module
 */
import {
  type AnyLoss,
  broadcastShapes,
  LossInputError,
  type ShapedValues,
  type WorkEstimate,
} from "../../lib/mod.ts";
import { LIMIT_VARIABLES, type Limits } from "./limits.ts";

/**
 * A decoded tensor of the request and where it is (`inputs.input`, `options.weight`): its shape,
 * and its values, read only by the losses whose work depends on them (CTC's target lengths).
 */
export interface FieldTensor {
  field: string;
  tensor: ShapedValues;
}

type Inputs = Record<string, ShapedValues>;

/**
 * A shape's extent: its size with every 0 counted as 1.  A tensor of no elements can still ask
 * for an answer of many (TripletMarginLoss on `[n, 0]` rows answers `n` distances), so the
 * broadcast limit and the work count the extent: the output and every gradient are under it.
 */
export const extentOf = (shape: readonly number[]): number =>
  shape.reduce((a, b) => a * Math.max(b, 1), 1);

/**
 * Checks that the request's tensors, two at a time and all that broadcast together, do not
 * broadcast to more than `maxElements` elements (each size 0 counted as 1: see
 * {@link extentOf}), so that `[n, 1]` against `[1, n]` cannot ask for n² work, nor `[n, 0]`
 * rows for an answer of n values from an empty body; returns the largest broadcast extent.
 *
 * @throws LossInputError of kind `too-large` naming the tensor that makes the broadcast too large.
 */
export function checkBroadcastSize(
  tensors: FieldTensor[],
  maxElements: number,
  variable = LIMIT_VARIABLES.maxElements,
): number {
  const refuse = (field: string, other: string, size: number, shape: number[]) => {
    const zero = shape.includes(0) ? " (a size of 0 counted as 1)" : "";
    throw new LossInputError(
      field,
      `${field} broadcasts with ${other} to ${size} elements${zero}, more than the limit of ` +
        `${maxElements} (${variable})`,
      "too-large",
    );
  };
  let largest = 0;
  for (let i = 0; i < tensors.length; i++) {
    for (let j = i + 1; j < tensors.length; j++) {
      const shape = broadcastShapes(tensors[i].tensor.shape, tensors[j].tensor.shape);
      const size = shape ? extentOf(shape) : 0;
      if (size > maxElements) refuse(tensors[j].field, tensors[i].field, size, shape!);
      largest = Math.max(largest, size);
    }
  }
  // Three tensors can broadcast to n³ with every pair at n²: grow one joint broadcast too.
  let joint = tensors[0]?.tensor.shape ?? [];
  const joined: string[] = [];
  for (const { field, tensor } of tensors) {
    const shape = broadcastShapes(joint, tensor.shape);
    if (!shape) continue;
    const size = extentOf(shape);
    if (size > maxElements) refuse(field, joined.join(" and "), size, shape);
    joint = shape;
    joined.push(field);
    largest = Math.max(largest, size);
  }
  return largest;
}

/** The work of computing `loss` on `inputs`, in element steps. */
export function estimateWork(loss: AnyLoss, inputs: Inputs, broadcastSize: number): WorkEstimate {
  const own = loss.work?.(inputs);
  if (own && own.work > broadcastSize) return own;
  return {
    work: broadcastSize,
    field: `inputs.${loss.inputs[0].name}`,
    formula: "the size its tensors broadcast to",
  };
}

/**
 * Estimates a decoded request's cost and refuses it when it exceeds `limits`; returns the
 * estimated work.  A request holding a binary tensor (`binary`) may broadcast to
 * `MAX_BINARY_ELEMENTS` elements, any other to `MAX_ELEMENTS`; both are under `MAX_WORK`.
 *
 * @throws LossInputError of kind `too-large` (413) naming the field that drives the cost.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLoss, ndarrayOf } from "../../lib/mod.ts";
 * import { checkCost } from "./cost.ts";
 * import { DEFAULT_LIMITS } from "./limits.ts";
 * const column = ndarrayOf(new Array(1000).fill(0), [1000, 1]);
 * const row = ndarrayOf(new Array(1000).fill(0), [1, 1000]);
 * const tensors = [
 *   { field: "inputs.input", tensor: column },
 *   { field: "inputs.target", tensor: row },
 * ];
 * assert.throws(() => checkCost(findLoss("mse")!, tensors, DEFAULT_LIMITS), /1000000 elements/);
 * ```
 */
export function checkCost(
  loss: AnyLoss,
  tensors: FieldTensor[],
  limits: Limits,
  binary = false,
): number {
  const broadcastSize = binary && limits.maxBinaryElements > limits.maxElements
    ? checkBroadcastSize(tensors, limits.maxBinaryElements, LIMIT_VARIABLES.maxBinaryElements)
    : checkBroadcastSize(tensors, limits.maxElements);
  const inputs: Inputs = {};
  for (const { field, tensor } of tensors) {
    if (field.startsWith("inputs.")) inputs[field.slice("inputs.".length)] = tensor;
  }
  const { work, field, formula } = estimateWork(loss, inputs, broadcastSize);
  if (work > limits.maxWork) {
    throw new LossInputError(
      field,
      `${field} asks ${loss.name} for ${work} steps of work (${formula}), more than the limit ` +
        `of ${limits.maxWork} (${LIMIT_VARIABLES.maxWork})`,
      "too-large",
    );
  }
  return work;
}
