/**
 * The cost of a request, estimated from its decoded shapes before anything is computed, and
 * refused (413) when it exceeds the limits: the size its tensors broadcast to (`MAX_ELEMENTS`)
 * and its work in element steps (`MAX_WORK`).
 *
 * Most losses do a few steps per element of the broadcast of their inputs.  The losses whose
 * work grows faster than their inputs have their own estimate in {@link SUPERLINEAR_WORK}:
 * CTC's alpha and beta recursions take T x (2S + 1) steps (and 16 bytes) per sequence, and
 * MultiLabelMarginLoss compares every target class with every class of a row.
 *
 * @module
 */
import { type AnyLoss, LossInputError, type NdArray, type NumericArray } from "../lib/mod.ts";
import { LIMIT_VARIABLES, type Limits } from "./limits.ts";

/** A decoded tensor of the request and where it is (`inputs.input`, `options.weight`). */
export interface FieldTensor {
  field: string;
  tensor: NdArray<NumericArray>;
}

/** An estimate of a request's work, and the field it is charged to. */
export interface WorkEstimate {
  /** Element steps: inner-loop iterations of the forward pass. */
  work: number;
  /** The field whose size drives the work, for the message of a refusal. */
  field: string;
  /** How the work was counted, for the message of a refusal. */
  formula: string;
}

type Inputs = Record<string, NdArray<NumericArray>>;

function maxOf(tensor: NdArray<NumericArray> | undefined): number {
  let max = 0;
  const data = tensor?.data;
  if (!data) return max;
  for (let i = 0; i < data.length; i++) if (data[i] > max) max = data[i];
  return max;
}

/** The estimates of losses whose work grows faster than their inputs, by class name. */
export const SUPERLINEAR_WORK: Record<string, (inputs: Inputs) => WorkEstimate | undefined> = {
  CTCLoss({ log_probs, targets, target_lengths }) {
    if (!log_probs || !targets) return undefined;
    const frames = log_probs.shape[0] ?? 1;
    const batch = log_probs.shape.length === 3 ? log_probs.shape[1] : 1;
    const longest = Math.min(maxOf(target_lengths), targets.data.length);
    return {
      work: frames * (2 * longest + 1) * batch,
      field: "inputs.log_probs",
      formula: `T x (2S + 1) x N = ${frames} x ${2 * longest + 1} x ${batch}`,
    };
  },
  MultiLabelMarginLoss({ input }) {
    if (!input) return undefined;
    const rank = input.shape.length;
    const classes = rank === 0 ? 1 : input.shape[rank - 1];
    const rows = rank === 2 ? input.shape[0] : 1;
    return {
      work: rows * classes * classes,
      field: "inputs.input",
      formula: `N x C x C = ${rows} x ${classes} x ${classes}`,
    };
  },
};

/** The broadcast of two shapes, or undefined if they do not broadcast. */
export function broadcastShape(
  a: readonly number[],
  b: readonly number[],
): number[] | undefined {
  const shape: number[] = [];
  for (let i = 1; i <= Math.max(a.length, b.length); i++) {
    const x = a[a.length - i] ?? 1;
    const y = b[b.length - i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    shape.unshift(x === 1 ? y : x);
  }
  return shape;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Checks that the request's tensors, two at a time and all that broadcast together, do not
 * broadcast to more than `maxElements` elements, so that `[n, 1]` against `[1, n]` cannot ask
 * for n² work; returns the largest broadcast size.
 *
 * @throws LossInputError of kind `too-large` naming the tensor that makes the broadcast too large.
 */
export function checkBroadcastSize(tensors: FieldTensor[], maxElements: number): number {
  const refuse = (field: string, other: string, size: number) => {
    throw new LossInputError(
      field,
      `${field} broadcasts with ${other} to ${size} elements, more than the limit of ` +
        `${maxElements} (${LIMIT_VARIABLES.maxElements})`,
      "too-large",
    );
  };
  let largest = 0;
  for (let i = 0; i < tensors.length; i++) {
    for (let j = i + 1; j < tensors.length; j++) {
      const shape = broadcastShape(tensors[i].tensor.shape, tensors[j].tensor.shape);
      const size = shape ? sizeOf(shape) : 0;
      if (size > maxElements) refuse(tensors[j].field, tensors[i].field, size);
      largest = Math.max(largest, size);
    }
  }
  // Three tensors can broadcast to n³ with every pair at n²: grow one joint broadcast too.
  let joint = tensors[0]?.tensor.shape ?? [];
  const joined: string[] = [];
  for (const { field, tensor } of tensors) {
    const shape = broadcastShape(joint, tensor.shape);
    if (!shape) continue;
    const size = sizeOf(shape);
    if (size > maxElements) refuse(field, joined.join(" and "), size);
    joint = shape;
    joined.push(field);
    largest = Math.max(largest, size);
  }
  return largest;
}

/** The work of computing `loss` on `inputs`, in element steps. */
export function estimateWork(loss: AnyLoss, inputs: Inputs, broadcastSize: number): WorkEstimate {
  const own = SUPERLINEAR_WORK[loss.name]?.(inputs);
  if (own && own.work > broadcastSize) return own;
  return {
    work: broadcastSize,
    field: `inputs.${loss.inputs[0].name}`,
    formula: "the size its tensors broadcast to",
  };
}

/**
 * Estimates a decoded request's cost and refuses it when it exceeds `limits`; returns the
 * estimated work.
 *
 * @throws LossInputError of kind `too-large` (413) naming the field that drives the cost.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLoss, ndarrayOf } from "../lib/mod.ts";
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
export function checkCost(loss: AnyLoss, tensors: FieldTensor[], limits: Limits): number {
  const broadcastSize = checkBroadcastSize(tensors, limits.maxElements);
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
