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
import type {
  Context,
  Explainer,
  InputSpec,
  LossDefinition,
  LossInputs,
  SweepPlan,
  WorkedStep,
} from "../core/definition.ts";
import { elementField } from "../core/errors.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementSweep, valuesAt } from "../ops/element.ts";
import { centeredOn } from "./_explain.ts";
import type { Dense, DType, FloatArray, FloatDense } from "../core/tensor.ts";
import { formatShape, sameShape } from "../core/tensor.ts";
import { LossInputError } from "../core/errors.ts";
import {
  allocate,
  inDtypeOf,
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

/**
 * Checks that `target` has exactly the input's shape, as the losses beyond `torch.nn` require
 * (no broadcasting, no squeeze or expand of a trailing 1).
 *
 * @throws LossInputError naming `inputs.target`.
 */
export function checkSameShape(input: Dense, target: Dense, field = "inputs.target"): void {
  if (sameShape(input.shape, target.shape)) return;
  throw new LossInputError(
    field,
    `${field} has shape ${formatShape(target.shape)}, but it must equal the input's shape ` +
      `${formatShape(input.shape)} (no broadcasting)`,
  );
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
 * The `input` and `target` of a pointwise loss beyond `torch.nn`: the target must have the
 * input's shape ({@link checkSameShape}).
 */
export function sameShapeInputs(targetDifferentiable = true): InputSpec[] {
  return pointwiseInputs(targetDifferentiable).map((spec) =>
    spec.name === "target"
      ? { ...spec, description: "The ground truth", shape: "(*): the input's shape" }
      : spec
  );
}

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
 * the loss's own element loops.  With `shapes` `"same"` (LogCoshLoss, QuantileLoss), the target
 * must have the input's shape instead.  The kernels see the dtype as their arrays' type.  With
 * them come the declarations these losses share: their inputs, output shape and sample.
 */
export function differenceLoss<Options extends { reduction: Reduction }>(
  kernels: DifferenceKernelsByDtype<Options>,
  shapes: "broadcast" | "same" = "broadcast",
): Pick<
  LossDefinition<Options, DifferenceSaved<Options>>,
  "outputShape" | "inputs" | "sample" | "forward" | "backward"
> {
  const kernelsOf = (dtype: DType) => kernels[dtype] as DifferenceKernels<Options>;
  return {
    outputShape: "scalar; (*), as the input, for reduction none",
    inputs: shapes === "same" ? sameShapeInputs() : pointwiseInputs(),
    sample: (random) => ({ input: random.randn([3, 5]), target: random.randn([3, 5]) }),
    forward({ input, target }, options, context) {
      if (shapes === "same") checkSameShape(input, target);
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

/** The first step of a pointwise loss's worked element: the prediction and the target. */
export function givenPair(x: number, y: number): WorkedStep {
  return {
    label: "the prediction and the target",
    tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)}`,
    value: x,
  };
}

/** The first steps of a loss of the difference: the prediction and the target, then x − y. */
export function differenceSteps(x: number, y: number): WorkedStep[] {
  const d = x - y;
  return [givenPair(x, y), {
    label: "their difference",
    tex: `x_n - y_n = ${tex(x)} - ${texTerm(y)} = ${tex(d)}`,
    value: d,
  }];
}

/**
 * The sweep of a regression loss: the input at element k runs `half(options)` either side of
 * the target, where the loss's kinks are.
 */
export function sweepAroundTarget<Options>(
  half: (options: Options) => number,
): (inputs: LossInputs, options: Options, element: number) => SweepPlan {
  return (inputs, options, element) => {
    const { target } = valuesAt(inputs, {}, element).values;
    const range = centeredOn(target, half(options));
    return elementSweep({ input: "input", range })(inputs, options as object, element);
  };
}

/**
 * The explainer of a loss that is the mean of per-element terms with no `reduction` option
 * (MeanAbsolutePercentageError, MeanSquaredLogError): element k's term worked through by
 * `steps` (whose last step is the term), then the mean of all the terms, which is the output.
 */
export function meanOfTermsExplainer(
  steps: (values: Record<string, number>) => WorkedStep[],
): Explainer<unknown, LossInputs> {
  const termsOf = (inputs: LossInputs) => {
    const n = inputs.input.data.length;
    let total = 0;
    for (let k = 0; k < n; k++) total += steps(valuesAt(inputs, {}, k).values).at(-1)!.value;
    return { n, total };
  };
  return {
    count: (inputs) => inputs.input.data.length,
    element(inputs, _options, element) {
      const { position, values } = valuesAt(inputs, {}, element);
      const { n, total } = termsOf(inputs);
      return {
        label: position ? `element ${position}` : "the only element",
        steps: [...steps(values), {
          label: `the mean of the ${n} elements' terms: the loss`,
          tex: String.raw`\ell = \frac{1}{${n}} \sum_n l_n = \frac{${tex(total)}}{${n}} = ${
            tex(total / n)
          }`,
          value: total / n,
        }],
      };
    },
  };
}

/**
 * The sweep of a loss whose output is one number (no `reduction: "none"`): one entry of an
 * input varies over `range`, the other entries stay; the caller runs one forward per value (see
 * {@link SweepPlan.batch}).  The entry is element k of `input` (`"input"` by default), or the
 * one `entry` picks for element k.
 */
export function wholeLossSweep(
  range: (current: number) => [number, number],
  input = "input",
  entry: (inputs: LossInputs, element: number) => number = (_, element) => element,
): (inputs: LossInputs, options: unknown, element: number) => SweepPlan {
  return (inputs, _options, element) => {
    const swept = inputs[input];
    const size = swept.data.length;
    const flat = entry(inputs, element);
    const current = Number(swept.data[flat]);
    const [from, to] = range(current);
    const field = elementField(`inputs.${input}`, swept.shape, flat);
    return {
      field,
      label: field.slice("inputs.".length),
      current,
      from,
      to,
      batch(values) {
        if (values.length !== 1) throw new RangeError("one value per forward");
        const data = swept.data.slice();
        data[flat] = values[0];
        return { inputs: { ...inputs, [input]: { shape: swept.shape, data } } };
      },
      read(output, grads) {
        const slope = grads[input].data;
        return {
          loss: Array.from(output.data),
          slope: Array.from(output.data, (_, p) => slope[p * size + flat]),
        };
      },
    };
  };
}

/**
 * The gradient every element receives for `sum` and `mean`, as autograd's `mean` passes it to
 * an element's loss: grad_output / n for `mean`, grad_output for `sum`, in the dtype.
 */
export function eachOf({ each, norm }: ScaledGrad, like: FloatArray): number {
  return inDtypeOf(like, each * norm);
}
