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
import { type Advice, defineLoss, type WorkedStep } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { around, elementExplainer, elementSweep } from "../ops/element.ts";
import { firstNotInUnitInterval } from "./_explain.ts";
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
