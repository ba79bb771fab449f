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
import { type Advice, defineLoss, type WorkedStep } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { around, elementExplainer, elementSweep } from "../ops/element.ts";
import { firstNotInUnitInterval } from "./_explain.ts";
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
  formula: String
    .raw`l_n = -\left[ y_n \log \sigma(x_n) + (1 - y_n) \log (1 - \sigma(x_n)) \right]`,
  formulas: [
    {
      when: { weight: { not: null }, pos_weight: null },
      tex: String
        .raw`l_n = -w_n \left[ y_n \log \sigma(x_n) + (1 - y_n) \log (1 - \sigma(x_n)) \right]`,
    },
    {
      when: { weight: null, pos_weight: { not: null } },
      tex: String
        .raw`l_n = -\left[ p_n y_n \log \sigma(x_n) + (1 - y_n) \log (1 - \sigma(x_n)) \right]`,
    },
    {
      when: { weight: { not: null }, pos_weight: { not: null } },
      tex: String
        .raw`l_n = -w_n \left[ p_n y_n \log \sigma(x_n) + (1 - y_n) \log (1 - \sigma(x_n)) \right]`,
    },
  ],
  teaching: {
    measures: "`BCELoss` of the probability $\\sigma(x_n)$, computed from the logit $x_n$ in " +
      "one stable expression, $\\max(x_n, 0) - x_n y_n + \\log(1 + e^{-|x_n|})$, which is " +
      "finite for any logit and needs no clamp. Its gradient is $\\sigma(x_n) - y_n$: the " +
      "predicted probability minus the label. `pos_weight` multiplies the term of the " +
      "positive labels, trading precision for recall.",
    choose: "The default for binary and multi-label classification: one independent yes/no " +
      "per element, so several classes may be right at once. Prefer it to a sigmoid followed " +
      "by `BCELoss`. For exactly one right class among C, `CrossEntropyLoss`. For imbalance, " +
      "a `pos_weight` of (negatives / positives) per class is the usual start.",
    mistake: "Taking the sigmoid first and passing probabilities: the loss applies its own " +
      "sigmoid, so it sees $\\sigma(\\sigma(z))$, which stays within [0.5, 0.73]: the loss " +
      "of a 0 label cannot fall below $\\log 2$, that of a 1 below 0.31, and the gradients " +
      "shrink. Pass the raw scores. Another: labels of −1 and 1, as `SoftMarginLoss` takes; " +
      "here targets lie in [0, 1].",
    related: [
      { to: "BCELoss", why: "the same loss from probabilities, with its logs clamped" },
      { to: "CrossEntropyLoss", why: "when exactly one of C classes is right" },
      { to: "MultiLabelSoftMarginLoss", why: "the same per-class loss, averaged per sample" },
      { to: "SoftMarginLoss", why: "the same loss for labels of ±1" },
      { to: "/notebook#bce-title", why: "BCEWithLogitsLoss equals BCELoss on sigmoid(logits)" },
      { to: "/notebook#two-title", why: "with two classes, it agrees with CrossEntropyLoss" },
      { to: "/lessons/imbalance", why: "what pos_weight does to rare positives" },
      { to: "/lessons/stability", why: "why log(1 + e^{-|x|}) and not log(sigmoid(x))" },
    ],
  },
  keywords: [
    "classification",
    "binary",
    "multi-label",
    "logits",
    "sigmoid",
    "log loss",
    "cross entropy",
    "imbalance",
    "segmentation",
  ],
  outputShape: "scalar; (*), as the input, for reduction none",
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
      symbol: "p_n",
      description: "A weight of the positive labels' term, one per class along the last " +
        "dimension (broadcast to the input's shape): above 1 favours recall",
    },
  ],
  legacyReduction: true,
  sample(random) {
    const logits = random.randn([10]);
    const labels = random.randint(0, 2, [10]).data;
    return { input: logits, target: { shape: [10], data: labels } };
  },
  explain: elementExplainer<BCEWithLogitsOptions>(
    ({ input: x, target: y, "options.weight": w, "options.pos_weight": pw }) => {
      const a = Math.abs(x);
      const e = Math.exp(-a);
      const softplus = Math.log1p(e);
      const steps: WorkedStep[] = [
        { label: "the logit and the target", tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)}`, value: x },
        {
          label: "e to the minus its magnitude: never overflows",
          tex: `e^{-|x_n|} = ${tex(e)}`,
          value: e,
        },
        {
          label: "log(1 + that), with log1p so that a tiny term is not lost",
          tex: `\\log(1 + e^{-|x_n|}) = ${tex(softplus)}`,
          value: softplus,
        },
      ];
      if (w === undefined && pw === undefined) {
        const loss = Math.max(x, 0) - x * y + softplus;
        steps.push({
          label: "max(x, 0) − x y + log(1 + e^{−|x|}): the element's loss",
          tex: `l_n = ${tex(Math.max(x, 0))} - ${texTerm(x)} \\cdot ${texTerm(y)} + ${
            tex(softplus)
          } = ${tex(loss)}`,
          value: loss,
        });
        return steps;
      }
      const logSigmoid = Math.min(x, 0) - softplus;
      steps.push({
        label: "log σ(x) = min(x, 0) − log(1 + e^{−|x|})",
        tex: `\\log \\sigma(x_n) = ${tex(Math.min(x, 0))} - ${tex(softplus)} = ${tex(logSigmoid)}`,
        value: logSigmoid,
      });
      const logWeight = pw === undefined ? 1 : 1 + (pw - 1) * y;
      if (pw !== undefined) {
        steps.push({
          label: "the weight of log σ(x): 1 + (p − 1) y, p the pos_weight",
          tex: `1 + (p_n - 1)\\, y_n = 1 + ${texTerm(pw - 1)} \\cdot ${texTerm(y)} = ${
            tex(logWeight)
          }`,
          value: logWeight,
        });
      }
      let loss = (1 - y) * x - logWeight * logSigmoid;
      steps.push({
        label: w === undefined
          ? "(1 − y) x minus that times log σ(x): the element's loss"
          : "(1 − y) x minus that times log σ(x)",
        tex: `${w === undefined ? "l_n = " : ""}${texTerm(1 - y)} \\cdot ${texTerm(x)} - ${
          texTerm(logWeight)
        } \\cdot ${texTerm(logSigmoid)} = ${tex(loss)}`,
        value: loss,
      });
      if (w !== undefined) {
        const unweighted = loss;
        loss *= w;
        steps.push({
          label: "times the element's weight: its loss",
          tex: `l_n = w_n \\cdot ${texTerm(unweighted)} = ${tex(w)} \\cdot ${
            texTerm(unweighted)
          } = ${tex(loss)}`,
          value: loss,
        });
      }
      return steps;
    },
    ["weight", "pos_weight"],
  ),
  sweep: elementSweep({
    input: "input",
    range: around(6),
    elementOptions: ["weight", "pos_weight"],
  }),
  advise({ input, target }) {
    const advice: Advice[] = [];
    const x = input.data;
    let allProbabilities = x.length >= 4;
    let allZero = true;
    for (let i = 0; i < x.length && allProbabilities; i++) {
      if (!(x[i] >= 0 && x[i] <= 1)) allProbabilities = false;
      if (x[i] !== 0) allZero = false;
    }
    if (allProbabilities && !allZero) {
      advice.push({
        code: "probabilities-as-logits",
        field: "inputs.input",
        message: "Every element of input lies in [0, 1], as probabilities do, but " +
          "BCEWithLogitsLoss takes logits and applies the sigmoid itself: pass the scores " +
          "from before the sigmoid (or use BCELoss on probabilities).",
      });
    }
    const outside = firstNotInUnitInterval(target.data);
    if (outside !== undefined) {
      advice.push({
        code: "target-outside-0-1",
        field: "inputs.target",
        message: `The target holds ${tex(outside)}, but BCEWithLogitsLoss takes targets in ` +
          "[0, 1] (1 for the positive label, 0 for the negative): map labels of −1 and 1 " +
          "with (y + 1) / 2, or use SoftMarginLoss.",
      });
    }
    return advice;
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
