/**
 * What the pointwise losses share (L1, MSE, Huber, SmoothL1 and their kin): the input and the
 * target broadcast against each other, with PyTorch's warning when their shapes differ; and, for
 * the losses of the difference x − y, the whole forward and backward around their element loops.
 *
 * The element loops themselves stay in each loss, written out by hand (one fused pass that
 * computes the loss and its sum, one that computes the gradient): they are the hot paths, and a
 * per-element callback shared by all would cost more than the arithmetic.
 *
 * @module
 */
import { broadcastShape, expandTo, sumTo, warnIfTargetBroadcasts } from "../ops/broadcast.ts";
import type { Context, Curve, InputSpec, LossDefinition } from "../core/definition.ts";
import type { DType, FloatArray, FloatDense } from "../core/tensor.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  type ScaledGrad,
  scaledGradOf,
} from "../ops/reduction.ts";

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

/** What a loss of x − y saves for its backward: the broadcast pair and its options. */
export type DifferenceSaved<Options> = BroadcastPair & Options;

/**
 * The two element loops of a loss of the difference d = x − y, over whole arrays of one dtype
 * (`A`: the float32 loops round each step as PyTorch's float32 kernel does).
 */
export interface DifferenceKernels<Options, A extends FloatArray = FloatArray> {
  /**
   * Computes the loss of each element of x against y, into `losses` when it is given (reduction
   * `none`), and returns their sum.
   */
  losses(x: A, y: A, losses: A | null, options: Options): number;
  /**
   * Writes into `gradInput` the derivative of each element's loss with respect to x times the
   * gradient reaching that element (`upstream`: `grad_output` and the reduction's factor, as
   * PyTorch's backward kernel takes them), and its negation into `gradTarget` (in the same pass,
   * which is cheaper than a second one).
   */
  gradient(
    x: A,
    y: A,
    upstream: ScaledGrad,
    gradInput: A,
    gradTarget: A,
    options: Options,
  ): void;
}

/**
 * The element loops of a loss of x − y in each dtype: two functions each, so that each one only
 * ever sees arrays of its own type (V8 compiles a loop over both types at half the speed).
 */
export interface DifferenceKernelsByDtype<Options> {
  float32: DifferenceKernels<Options, Float32Array>;
  float64: DifferenceKernels<Options, Float64Array>;
}

/**
 * The forward and backward of a loss of x − y (L1, MSE, Huber, SmoothL1): broadcasting with
 * PyTorch's warning, the reduction, and the gradients summed back onto each input's shape, around
 * the loss's own element loops.
 */
export function differenceLoss<Options extends { reduction: Reduction }>(
  kernels: DifferenceKernelsByDtype<Options>,
): Pick<LossDefinition<Options, DifferenceSaved<Options>>, "forward" | "backward"> {
  const kernelsOf = (dtype: DType) => kernels[dtype] as DifferenceKernels<Options>;
  return {
    forward({ input, target }, options, context) {
      const pair = broadcastPair(input, target, context);
      const n = pair.x.length;
      const losses = options.reduction === "none" ? allocate(context.dtype, n) : null;
      const total = kernelsOf(context.dtype).losses(pair.x, pair.y, losses, options);
      return {
        output: reducedOutput(options.reduction, context.dtype, pair.shape, total, losses, n),
        saved: { ...options, ...pair },
      };
    },
    backward(saved, gradOutput, { dtype }) {
      const { x, y, shape } = saved;
      const n = x.length;
      const gradInput = allocate(dtype, n);
      const gradTarget = allocate(dtype, n);
      const upstream = scaledGradOf(saved.reduction, gradOutput, n);
      kernelsOf(dtype).gradient(x, y, upstream, gradInput, gradTarget, saved);
      return {
        input: sumTo({ shape, data: gradInput }, saved.inputShape),
        target: sumTo({ shape, data: gradTarget }, saved.targetShape),
      };
    },
  };
}
