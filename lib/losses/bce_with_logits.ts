/**
 * `torch.nn.BCEWithLogitsLoss`: a sigmoid and the binary cross entropy in one, computed stably
 * from the logits.
 *
 * Computed as PyTorch 2.11 does, with its `log_sigmoid`, log σ(x) = min(x, 0) − log1p(exp(−|x|)):
 * l_n = w_n [(1 − y_n) x_n − (1 + (p_n − 1) y_n) log σ(x_n)], without `pos_weight`
 * w_n [(1 − y_n) x_n − log σ(x_n)], in that order: finite for any finite logit, with no clamp;
 * (1 − y) x and log σ(x) cancel exactly at huge |x| (x = −1e27, y = 1e-30 gives 0), and x = +∞
 * gives +∞ (x = −∞ NaN, ∞ − ∞), as in PyTorch.  float32 rounds each step as PyTorch's float32
 * kernels do.
 *
 * Gradient, as `binary_cross_entropy_with_logits_backward`: w [(p y + 1 − y) σ(x) − p y] · grad
 * (σ(x) − y without `pos_weight`), divided by n for `mean` last; σ(x) = 1 / (1 + exp(−x)), 0
 * where exp(−x) overflows.  No gradient with respect to the target.
 *
 * In float32, log1p(exp(−|x|)) comes from `lib/ops/softplus.ts` (within 3e-11, far below
 * float32's resolution) and exp from `lib/ops/exp_log.ts`; float64 uses the float64 functions of
 * `lib/ops/exp_log.ts`.
 *
 * @module
 */
import { clampMaxZero } from "../ops/branchless.ts";
import { torchSize } from "../ops/broadcast.ts";
import { defineLoss } from "../core/definition.ts";
import { LossInputError } from "../core/errors.ts";
import { elementWeightOption, expandOntoInput } from "../ops/expand_onto_input.ts";
import { exp32, exp64, softplusOfNegative64 } from "../ops/exp_log.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  type ScaledGrad,
  scaledGradOf,
} from "../ops/reduction.ts";
import { softplusOfNegative } from "../ops/softplus.ts";
import type { FloatArray, FloatDense } from "../core/tensor.ts";
import { sameShape } from "../core/tensor.ts";

/** Options of {@link bceWithLogitsLoss}. */
export interface BCEWithLogitsOptions {
  weight: FloatDense | null;
  reduction: Reduction;
  pos_weight: FloatDense | null;
}

interface BCEWithLogitsSaved {
  y: FloatArray;
  /** The weight over the input's shape, or null. */
  w: FloatArray | null;
  /** The positive weight over the input's shape, or null. */
  pw: FloatArray | null;
  x: FloatArray;
  shape: number[];
  reduction: Reduction;
}

/**
 * The binary cross entropy of logits, as `torch.nn.BCEWithLogitsLoss`.
 *
 * @example pos_weight, one per class along the last dimension, weighs the positive term
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0, 0], [1, 2]);
 * const target = ndarrayOf([1, 0], [1, 2]);
 * const options = { pos_weight: ndarrayOf([3, 1], [2]) };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("BCEWithLogitsLoss", { input, target }, options, settings);
 * assert.ok(Math.abs(output.get() - 2 * Math.LN2) < 1e-12); // (3 log 2 + log 2) / 2
 * assert.deepEqual([...grads.input.data], [-0.75, 0.25]); // ((3 · 0.5 − 3) / 2, 0.5 / 2)
 * ```
 */
export const bceWithLogitsLoss = defineLoss<BCEWithLogitsOptions, BCEWithLogitsSaved>({
  name: "BCEWithLogitsLoss",
  functional: "binary_cross_entropy_with_logits",
  slug: "bce-with-logits",
  category: "binary",
  summary: "Sigmoid then binary cross entropy, computed stably from logits",
  formula: String.raw`\ell_c(x, y) = L_c = \{l_{1,c},\dots,l_{N,c}\}^\top, \quad
l_{n,c} = - w_{n,c} \left[ p_c y_{n,c} \cdot \log \sigma(x_{n,c})
+ (1 - y_{n,c}) \cdot \log (1 - \sigma(x_{n,c})) \right]`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: {
    x: { input: "input", from: -6, to: 6, label: "logit x" },
    lines: [{ label: "y = 1", values: { target: 1 } }, { label: "y = 0", values: { target: 0 } }],
  },
  inputs: [
    {
      name: "input",
      description: "The logits (unnormalized scores)",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The target probabilities (usually 0 or 1)",
      shape: "(*): the input's shape",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [
    elementWeightOption(),
    reductionOption(),
    {
      name: "pos_weight",
      type: "tensor",
      default: null,
      shape: "(C): one per class, along the input's last dimension; broadcastable to the input",
      description: "A weight of positive examples, broadcast to the input's shape",
    },
  ],
  legacyReduction: true,
  sample(random) {
    const logits = random.randn([10]);
    const labels = random.randint(0, 2, [10]).data;
    return { input: logits, target: { shape: [10], data: labels } };
  },
  forward({ input, target }, { weight, reduction, pos_weight }, context) {
    if (!sameShape(input.shape, target.shape)) {
      throw new LossInputError(
        "inputs.target",
        `inputs.target has size ${torchSize(target.shape)}, but it must be the same as the ` +
          `input size ${torchSize(input.shape)}`,
      );
    }
    const x = input.data;
    const y = target.data;
    const w = weight ? expandOntoInput(weight, "options.weight", input.shape) : null;
    const pw = pos_weight ? expandOntoInput(pos_weight, "options.pos_weight", input.shape) : null;
    const n = x.length;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const total = context.dtype === "float32"
      ? losses32(x as Float32Array, y as Float32Array, w, pw, losses as Float32Array | null)
      : losses64(x as Float64Array, y as Float64Array, w, pw, losses as Float64Array | null);
    return {
      output: reducedOutput(reduction, context.dtype, input.shape, total, losses, n),
      saved: { x, y, w, pw, shape: input.shape, reduction },
    };
  },
  backward({ x, y, w, pw, shape, reduction }, gradOutput, { dtype }) {
    const n = y.length;
    const upstream = scaledGradOf(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    if (dtype === "float32") {
      gradient32(x as Float32Array, y as Float32Array, w, pw, upstream, gradInput as Float32Array);
    } else {
      gradient64(x as Float64Array, y as Float64Array, w, pw, upstream, gradInput as Float64Array);
    }
    return { input: { shape, data: gradInput } };
  },
});

/**
 * (1 − y) x − log σ(x) (times the log weight 1 + (p − 1) y with `pos_weight`, times w with
 * `weight`), each operation rounded to float32.
 */
function losses32(
  x: Float32Array,
  y: Float32Array,
  w: FloatArray | null,
  pw: FloatArray | null,
  losses: Float32Array | null,
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i], t = y[i];
    const a = Math.abs(v);
    const logSigmoid = Math.fround(clampMaxZero(v) - Math.fround(softplusOfNegative(a)));
    const linear = Math.fround(Math.fround(1 - t) * v);
    let loss: number;
    if (pw) {
      const logWeight = Math.fround(Math.fround(Math.fround(pw[i] - 1) * t) + 1);
      loss = Math.fround(linear - Math.fround(logWeight * logSigmoid));
    } else {
      loss = Math.fround(linear - logSigmoid);
    }
    if (w) loss = Math.fround(loss * w[i]);
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

function losses64(
  x: Float64Array,
  y: Float64Array,
  w: FloatArray | null,
  pw: FloatArray | null,
  losses: Float64Array | null,
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i], t = y[i];
    const a = Math.abs(v);
    const logSigmoid = clampMaxZero(v) - softplusOfNegative64(a);
    let loss = pw ? (1 - t) * v - (1 + (pw[i] - 1) * t) * logSigmoid : (1 - t) * v - logSigmoid;
    if (w) loss *= w[i];
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

/**
 * `binary_cross_entropy_with_logits_backward` in float32: σ(x) = 1 / (1 + exp(−x)), then
 * (σ(x) − y) · grad, or ((p y + 1) − y) σ(x) − p y, · grad; times w; / n for `mean`.
 */
function gradient32(
  x: Float32Array,
  y: Float32Array,
  w: FloatArray | null,
  pw: FloatArray | null,
  { perElement, each, norm }: ScaledGrad,
  gradInput: Float32Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const t = y[i];
    const sigmoid = Math.fround(1 / Math.fround(1 + exp32(-x[i])));
    let grad: number;
    if (pw) {
      const positive = Math.fround(pw[i] * t);
      grad = Math.fround(Math.fround(Math.fround(positive + 1) - t) * sigmoid) - positive;
    } else {
      grad = sigmoid - t;
    }
    grad = Math.fround(Math.fround(grad) * (perElement ? perElement[i] : each));
    if (w) grad = Math.fround(grad * w[i]);
    gradInput[i] = norm === 1 ? grad : grad * norm;
  }
}

function gradient64(
  x: Float64Array,
  y: Float64Array,
  w: FloatArray | null,
  pw: FloatArray | null,
  { perElement, each, norm }: ScaledGrad,
  gradInput: Float64Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const t = y[i];
    const sigmoid = 1 / (1 + exp64(-x[i]));
    let grad: number;
    if (pw) {
      const positive = pw[i] * t;
      grad = (positive + 1 - t) * sigmoid - positive;
    } else {
      grad = sigmoid - t;
    }
    grad *= perElement ? perElement[i] : each;
    if (w) grad *= w[i];
    gradInput[i] = norm === 1 ? grad : grad * norm;
  }
}
