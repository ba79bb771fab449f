/**
 * What the classification losses share (NLLLoss, CrossEntropyLoss, MultiMarginLoss): the
 * (N, C, d1, …, dK) layout of a class-score input, PyTorch's checks of a class-index target
 * against it, and of a per-class `weight`.
 *
 * @module
 */
import type { IntegerOption, TensorOption } from "../core/definition.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import type { Dense, FloatArray, FloatDense, NumericArray } from "../core/tensor.ts";
import { formatShape, sameShape } from "../core/tensor.ts";

/**
 * An input of shape (C), (N, C) or (N, C, d1, …, dK), seen as `batch` × `classes` × `inner`
 * row-major: the score of class c at position k of sample n is at `(n·C + c)·inner + k`, and
 * the target (or loss) of that position at `n·inner + k`.
 */
export interface ClassLayout {
  /** N: the batch size (1 for an unbatched (C) input). */
  batch: number;
  /** C: the number of classes. */
  classes: number;
  /** d1·…·dK: the positions per sample (1 for (N, C) and (C)). */
  inner: number;
  /** The shape of the per-position losses: (N, d1, …, dK), or () for a (C) input. */
  lossShape: number[];
}

/**
 * The layout of a class-score input of shape (C), (N, C) or (N, C, d1, …, dK).
 *
 * @throws LossInputError for a 0-D input, which has no class dimension.
 */
export function classLayout(inputShape: readonly number[]): ClassLayout {
  const rank = inputShape.length;
  if (rank === 0) {
    throw new LossInputError(
      "inputs.input",
      "inputs.input is 0-D, but it needs a class dimension: (C), (N, C) or (N, C, d1, ..., dK)",
    );
  }
  if (rank === 1) return { batch: 1, classes: inputShape[0], inner: 1, lossShape: [] };
  let inner = 1;
  for (let d = 2; d < rank; d++) inner *= inputShape[d];
  return {
    batch: inputShape[0],
    classes: inputShape[1],
    inner,
    lossShape: [inputShape[0], ...inputShape.slice(2)],
  };
}

/**
 * Checks that a class-index target fits the input as `nll_loss_nd` does: () for a (C) input,
 * (N) for (N, C), (N, d1, …, dK) for (N, C, d1, …, dK); the batch sizes are compared first.
 *
 * @param hint Appended to the message of a target whose rank is wrong (cross-entropy's
 *   reminder that class probabilities take the input's shape).
 */
export function checkIndexTargetShape(
  inputShape: readonly number[],
  targetShape: readonly number[],
  hint = "",
): void {
  const field = "inputs.target";
  const target = formatShape(targetShape);
  if (inputShape.length === 1) {
    if (targetShape.length !== 0) {
      throw new LossInputError(
        field,
        `${field} has shape ${target}, but an unbatched input of shape ` +
          `${formatShape(inputShape)} takes a 0-D target (one class index)${hint}`,
      );
    }
    return;
  }
  const batch = inputShape[0];
  const expected = [batch, ...inputShape.slice(2)];
  if (targetShape.length === 0) {
    throw new LossInputError(
      field,
      `${field} is 0-D, but an input of shape ${formatShape(inputShape)} takes a target of ` +
        `shape ${formatShape(expected)}: one class index per sample${hint}`,
    );
  }
  if (targetShape[0] !== batch) {
    throw new LossInputError(
      field,
      `${field} has shape ${target}, but its batch size must match the input's: expected ` +
        `input batch_size (${batch}) to match target batch_size (${targetShape[0]})${hint}`,
    );
  }
  if (!sameShape(targetShape, expected)) {
    const what = inputShape.length === 2
      ? "a 1-D target of class indices (multi-target not supported)"
      : `a target of shape ${formatShape(expected)}`;
    throw new LossInputError(
      field,
      `${field} has shape ${target}, but an input of shape ${formatShape(inputShape)} ` +
        `takes ${what}${hint}`,
    );
  }
}

/**
 * Checks the `weight` option: a 1-D tensor of one rescaling weight per class.
 *
 * @returns The weights' values, or `null` when no weight was given.
 */
export function checkClassWeight(weight: FloatDense | null, classes: number): FloatArray | null {
  if (weight === null) return null;
  if (weight.shape.length !== 1 || weight.data.length !== classes) {
    throw new LossInputError(
      "options.weight",
      `options.weight has shape ${formatShape(weight.shape)}, but it must hold one weight ` +
        `for each of the input's ${classes} classes: shape [${classes}]`,
    );
  }
  return weight.data;
}

/**
 * Checks that every target is a class index in [0, C), or equals `ignoreIndex` (which may lie
 * outside that range, as in PyTorch).
 *
 * @throws LossInputError naming the element: `inputs.target[3] is 4, but input has 4 classes`.
 */
export function checkClassIndices(
  target: Dense,
  classes: number,
  ignoreIndex: number | null = null,
): void {
  const values = target.data;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value >= 0 && value < classes && Number.isInteger(value)) continue;
    if (value === ignoreIndex) continue;
    const field = elementField("inputs.target", target.shape, i);
    throw new LossInputError(
      field,
      Number.isInteger(value)
        ? `${field} is ${value}, but input has ${classes} classes`
        : `${field} is ${value}, but class indices must be integers`,
    );
  }
}

/** Whether a tensor's values are floating point (as a float target is after conversion). */
export function isFloatArray(data: NumericArray): data is FloatArray {
  return data instanceof Float32Array || data instanceof Float64Array;
}

/** The `weight` option of the losses over classes: one rescaling weight per class, shape (C). */
export function classWeightOption(): TensorOption {
  return {
    name: "weight",
    type: "tensor",
    default: null,
    shape: "(C)",
    description: "A manual rescaling weight given to each class; if given, one per class",
  };
}

/** The `ignore_index` option: a target value that counts for nothing (-100 by default). */
export function ignoreIndexOption(note = ""): IntegerOption {
  return {
    name: "ignore_index",
    type: "integer",
    default: -100,
    description: "A target value that is ignored and does not contribute to the input " +
      "gradient; `mean` averages over the targets not ignored" + note,
  };
}

/**
 * The two sums of nll_loss's reduction, Σ −x_{y_n}·w_{y_n} and Σ w_{y_n} over the targets not
 * ignored, are added as PyTorch's `nll_loss_out_frame` (and `nll_loss2d_forward_out_frame`) add
 * them: in the dtype, through 8 levels of partial sums, the first level carried up whenever the
 * low 4 bits of the position's index are 0, the next whenever the low 8 are, and so on (the first
 * term goes straight to the top).  Which terms meet first decides what a huge term absorbs, so
 * that the result is PyTorch's to the last bit.
 *
 * The caller adds each term into its own first level (two numbers, in its loop) and calls this
 * after a term whose position is a multiple of 16: it moves the first level into `levels` (the
 * other 7 levels of the loss, then of the weight) and carries on up; the caller then zeroes its
 * first level.
 */
export function carryNllLevels(
  levels: Float64Array,
  index: number,
  loss: number,
  weight: number,
  f32: boolean,
): void {
  // levels[0..6] are the loss's levels 1 to 7, levels[7..13] the weight's.
  levels[0] = f32 ? Math.fround(levels[0] + loss) : levels[0] + loss;
  levels[7] = f32 ? Math.fround(levels[7] + weight) : levels[7] + weight;
  for (let j = 1; j < 7 && (index & (15 << (4 * j))) === 0; j++) {
    levels[j] = f32 ? Math.fround(levels[j] + levels[j - 1]) : levels[j] + levels[j - 1];
    levels[j + 7] = f32
      ? Math.fround(levels[j + 7] + levels[j + 6])
      : levels[j + 7] + levels[j + 6];
    levels[j - 1] = 0;
    levels[j + 6] = 0;
  }
}

/** The 7 upper levels of the loss and of the weight, and the two totals: 16 zeros. */
export function nllLevels(): Float64Array {
  return new Float64Array(16);
}

/**
 * The totals of nll_loss's partial sums: the first level (the caller's) and the 7 of `levels`,
 * added from the lowest, into `levels[14]` (the loss) and `levels[15]` (the weight).
 */
export function totalNllLevels(levels: Float64Array, loss: number, weight: number, f32: boolean) {
  let totalLoss = loss, totalWeight = weight;
  for (let j = 0; j < 7; j++) {
    totalLoss = f32 ? Math.fround(totalLoss + levels[j]) : totalLoss + levels[j];
    totalWeight = f32 ? Math.fround(totalWeight + levels[j + 7]) : totalWeight + levels[j + 7];
  }
  levels[14] = totalLoss;
  levels[15] = totalWeight;
}

/**
 * The scores of the C classes at one position of the layout (`position` indexes the loss's
 * per-position output, (N, d1, …, dK) row-major): x[n, :, k].
 */
export function classRow(
  x: ArrayLike<number>,
  { classes, inner }: ClassLayout,
  position: number,
): number[] {
  const n = Math.floor(position / inner);
  const k = position % inner;
  const start = n * classes * inner + k;
  return Array.from({ length: classes }, (_, c) => Number(x[start + c * inner]));
}
