/**
 * `torch.nn.BCEWithLogitsLoss`: a sigmoid and the binary cross entropy in one, computed stably
 * from the logits.
 *
 * Computed as PyTorch does, with log σ(x) = min(x, 0) − log1p(exp(−|x|)):
 * l_n = w_n [(1 − y_n) x_n − (1 + (p_n − 1) y_n) log σ(x_n)], which without `pos_weight` is
 * w_n [max(x_n, 0) − x_n y_n + log1p(exp(−|x_n|))]: finite for any logit, with no clamp.
 *
 * Gradient: ∂l/∂x = w [(p y + 1 − y) σ(x) − p y] (σ(x) − y without `pos_weight`); no gradient
 * with respect to the target.  When a backward follows (`context.grad`), the forward saves σ(x)
 * in the dtype, from the same exp(−|x|) as the loss, so that the backward computes no exp.
 *
 * In float32, log1p(exp(−|x|)) and σ(−|x|) come from `lib/ops/softplus.ts` (within 3e-11, far
 * below float32's resolution, and several times faster); float64 calls `Math.log1p` and
 * `Math.exp`.
 *
 * @module
 */
import { torchSize } from "../ops/broadcast.ts";
import { defineLoss } from "../core/definition.ts";
import { LossInputError } from "../core/errors.ts";
import { elementWeightOption, expandOntoInput } from "../ops/expand_onto_input.ts";
import { select } from "../ops/branchless.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGradOf,
} from "../ops/reduction.ts";
import { sigmoidOfNegative, softplusOfNegative } from "../ops/softplus.ts";
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
  /** σ(x) of each element, saved when a backward follows (`context.grad`). */
  sigmoid: FloatArray | null;
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
    const sigmoid = context.grad ? allocate(context.dtype, n) : null;
    const tabulated = context.dtype === "float32";
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i], t = y[i];
      const a = Math.abs(v);
      const e = tabulated ? 0 : Math.exp(-a);
      const softplus = tabulated ? softplusOfNegative(a) : Math.log1p(e); // log1p(exp(−|v|))
      let loss: number;
      if (w || pw) {
        const logSigmoid = select(v < 0, v, 0) - softplus;
        const logWeight = pw ? 1 + (pw[i] - 1) * t : 1;
        loss = (1 - t) * v - logWeight * logSigmoid;
        if (w) loss *= w[i];
      } else {
        loss = select(v > 0, v, 0) - v * t + softplus;
      }
      total += loss;
      if (losses) losses[i] = loss;
      if (sigmoid) {
        if (tabulated) {
          const tail = sigmoidOfNegative(a); // σ(−|v|)
          sigmoid[i] = select(v < 0, tail, 1 - tail);
        } else {
          sigmoid[i] = select(v < 0, e, 1) / (1 + e);
        }
      }
    }
    return {
      output: reducedOutput(reduction, context.dtype, input.shape, total, losses, n),
      saved: { y, w, pw, sigmoid, shape: input.shape, reduction },
    };
  },
  backward({ y, w, pw, sigmoid, shape, reduction }, gradOutput, { dtype }) {
    if (!sigmoid) throw new Error("BCEWithLogitsLoss: backward needs a forward with context.grad");
    const n = y.length;
    const { perElement, each } = upstreamGradOf(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    for (let i = 0; i < n; i++) {
      const t = y[i];
      let grad: number;
      if (pw) {
        const positive = pw[i] * t;
        grad = (positive + 1 - t) * sigmoid[i] - positive;
      } else {
        grad = sigmoid[i] - t;
      }
      grad *= perElement ? perElement[i] : each;
      gradInput[i] = w ? grad * w[i] : grad;
    }
    return { input: { shape, data: gradInput } };
  },
});
