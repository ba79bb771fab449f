/**
 * What the pointwise losses share (L1, MSE, Huber, SmoothL1 and their kin): the input and the
 * target broadcast against each other, with PyTorch's warning when their shapes differ; and
 * per-element selections (a sign, a clamp, a piece of a piecewise loss) without branches.
 *
 * @module
 */
import { broadcastShape, expandTo, warnIfTargetBroadcasts } from "../ops/broadcast.ts";
import type { Context, InputSpec } from "../core/definition.ts";
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
 * sign(d) as PyTorch computes it: 1, −1, or 0 for ±0 and NaN.  Written with comparisons as
 * numbers, which compile without a branch: on random signs a branch mispredicts half the time
 * (`Math.sign` and `d > 0 ? 1 : d < 0 ? −1 : 0` cost 5–8 ns more per element than this).
 */
export function signOf(d: number): number {
  return +(d > 0) - +(d < 0);
}

const CHOICES = new Float64Array(2);

/**
 * `condition ? ifTrue : ifFalse`, without a branch: both values are computed, and the one chosen
 * is read back from a two-element array at index `condition`.  A branch on data that falls on
 * either side at random (|x − y| < delta) mispredicts about half the time, at some 15 cycles
 * each; `Math.min`, `Math.max` and the ternary all compile to such branches in V8, and
 * arithmetic selections (c · a + (1 − c) · b) turn 0 · ∞ into NaN.
 */
export function select(condition: boolean, ifTrue: number, ifFalse: number): number {
  CHOICES[0] = ifFalse;
  CHOICES[1] = ifTrue;
  return CHOICES[+condition];
}
