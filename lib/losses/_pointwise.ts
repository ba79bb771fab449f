/**
 * What the pointwise losses share (L1, MSE, Huber, SmoothL1 and their kin): the input and the
 * target broadcast against each other, with PyTorch's warning when their shapes differ.
 *
 * @module
 */
import { broadcastShape, expandTo, warnIfTargetBroadcasts } from "../ops/broadcast.ts";
import type { Context, Curve, InputSpec } from "../core/definition.ts";
import type { FloatDense } from "../core/tensor.ts";

/** An input and a target broadcast to one shape, with their original shapes. */
export interface BroadcastPair {
  /** The broadcast shape: the shape of the per-element losses. */
  shape: number[];
  /** The input's values over `shape`. */
  x: FloatDense["data"];
  /** The target's values over `shape`. */
  y: FloatDense["data"];
  inputShape: number[];
  targetShape: number[];
}

/**
 * Broadcasts `input` and `target` as PyTorch's pointwise losses do, warning when the target's
 * shape differs from the input's.
 */
export function broadcastPair(
  input: FloatDense,
  target: FloatDense,
  context: Context,
): BroadcastPair {
  warnIfTargetBroadcasts(context, input.shape, target.shape);
  const shape = broadcastShape(
    { field: "inputs.input", tensor: input },
    { field: "inputs.target", tensor: target },
  );
  return {
    shape,
    x: expandTo(input, shape).data,
    y: expandTo(target, shape).data,
    inputShape: input.shape,
    targetShape: target.shape,
  };
}

/** The `input` and `target` of a pointwise loss, both differentiable unless told otherwise. */
export function pointwiseInputs(targetDifferentiable = true): InputSpec[] {
  return [
    {
      name: "input",
      description: "The prediction",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The ground truth; broadcast to the input's shape (with a warning)",
      shape: "(*): the input's shape, or one that broadcasts with it",
      kind: "float",
      differentiable: targetDifferentiable,
    },
  ];
}

/**
 * The chart of the regression losses: the loss of one prediction x against a target of 0.  The
 * losses that share it are drawn on one chart.
 */
export const REGRESSION_CURVE: Curve = {
  x: { input: "input", from: -3, to: 3, label: "input x (target y = 0)" },
  lines: [{ label: "y = 0", values: { target: 0 } }],
};
