/**
 * `torch.nn.MultiLabelSoftMarginLoss`: a multi-label one-versus-all loss, the mean over the
 * classes of each class's logistic loss.
 *
 * log σ is computed as PyTorch's `log_sigmoid`, min(x, 0) − log1p(e^(−|x|)), finite for any
 * logit; the per-sample losses (each a mean over the classes) are then reduced over the samples.
 * The target broadcasts with the input.
 *
 * Gradient: ∂loss/∂x[i] = w_i ((1 − y[i])·σ(x[i]) − y[i]·σ(−x[i])) / C, computed as autograd takes
 * PyTorch's steps back through its composition (and `log_sigmoid_backward`), so that a weight
 * of ∞ or a logit of −∞ meets 0 where PyTorch's does (NaN).  float32 rounds each step as PyTorch's
 * float32 kernels do.
 *
 * @module
 */
import { clampMaxZero } from "../ops/branchless.ts";
import { broadcastIndex, broadcastShape, expandTo, sumTo } from "../ops/broadcast.ts";
import {
  defineLoss,
  type FloatInputs,
  type SweepPlan,
  type WorkedStep,
} from "../core/definition.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import { exp64, softplusOfNegative64 } from "../ops/exp_log.ts";
import { tex } from "../core/tex.ts";
import { firstNotInUnitInterval, including, rowsLike, texList } from "./_explain.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGradOf,
} from "../ops/reduction.ts";
import { sigmoidOfNegative, softplusOfNegative } from "../ops/softplus.ts";
import { type FloatArray, type FloatDense, numel } from "../core/tensor.ts";

/** Options of {@link multiLabelSoftMarginLoss}. */
export interface MultiLabelSoftMarginOptions {
  weight: FloatDense | null;
  reduction: Reduction;
}

interface MultiLabelSoftMarginSaved {
  reduction: Reduction;
  /** The shape the terms broadcast to, and the input's own shape. */
  shape: number[];
  inputShape: number[];
  x: FloatArray;
  y: FloatArray;
  w: FloatArray | null;
  /** The broadcast shape around the summed class dimension: outer × classes × inner. */
  outer: number;
  span: number;
  inner: number;
  /** The input's number of classes C, the divisor. */
  classes: number;
}

/**
 * The multi-label soft margin loss, as `torch.nn.MultiLabelSoftMarginLoss`.
 *
 * @example A weight per class scales that class's logistic loss and gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0, 0], [1, 2]);
 * const target = ndarrayOf([1, 0], [1, 2]);
 * const options = { weight: ndarrayOf([1, 3], [2]) };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss(
 *   "MultiLabelSoftMarginLoss",
 *   { input, target },
 *   options,
 *   settings,
 * );
 * assert.ok(Math.abs(output.get() - 2 * Math.LN2) < 1e-12); // (1 · log 2 + 3 · log 2) / 2
 * assert.deepEqual([...grads.input.data], [-0.25, 0.75]); // (1 · (−0.5), 3 · 0.5) / 2
 * ```
 */
export const multiLabelSoftMarginLoss = defineLoss<
  MultiLabelSoftMarginOptions,
  MultiLabelSoftMarginSaved
>({
  name: "MultiLabelSoftMarginLoss",
  functional: "multilabel_soft_margin_loss",
  slug: "multilabel-soft-margin",
  category: "multilabel",
  summary: "Mean over the classes of a per-class logistic loss, for multi-label targets",
  formula: String.raw`l_n = -\frac{1}{C} \sum_{c=1}^{C} \left[ y_{n,c} \log \sigma(x_{n,c})
+ (1 - y_{n,c}) \log \sigma(-x_{n,c}) \right]`,
  formulas: [{
    when: { weight: { not: null } },
    tex: String.raw`l_n = -\frac{1}{C} \sum_{c=1}^{C} w_c \left[ y_{n,c} \log \sigma(x_{n,c})
+ (1 - y_{n,c}) \log \sigma(-x_{n,c}) \right]`,
  }],
  teaching: {
    measures: "For each class, the logistic loss of its logit against a 0/1 label, " +
      "$-[y_{n,c} \\log \\sigma(x_{n,c}) + (1 - y_{n,c}) \\log \\sigma(-x_{n,c})]$, averaged over " +
      "the C classes of the sample. It is `BCEWithLogitsLoss` with the mean taken over the " +
      "classes of each sample first, then over the samples: the same `mean`, and a `sum` C " +
      "times smaller.",
    choose: "For multi-label classification, any number of the C classes being right, with " +
      "one 0/1 label per class. `BCEWithLogitsLoss` gives the same mean and adds `pos_weight` " +
      "for rare labels; `MultiLabelMarginLoss` instead ranks right classes above wrong ones " +
      "and takes index targets.",
    mistake: "Labels of −1 and 1: the targets are 0 and 1 (or probabilities in [0, 1]). With " +
      "$y_{n,c} = -1$ the class's term becomes $\\log \\sigma(x) - 2 \\log \\sigma(-x)$, which " +
      "falls without bound as the logit goes to −∞, so the loss can be driven below 0. Use 0 " +
      "for the absent classes.",
    related: [
      { to: "BCEWithLogitsLoss", why: "the same per-class loss, averaged over every element" },
      { to: "MultiLabelMarginLoss", why: "a ranking hinge for multi-label index targets" },
      { to: "SoftMarginLoss", why: "the same logistic loss for one ±1 label" },
      { to: "/lessons/imbalance", why: "rare labels, and weighting them" },
    ],
  },
  keywords: ["classification", "multi-label", "multilabel", "logistic", "sigmoid", "one-vs-all"],
  outputShape: "scalar; (N), or () for an unbatched input, for reduction none",
  inputs: [
    {
      name: "input",
      description: "The logit of each class",
      shape: "(N, C) or (C), C the number of classes",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "1 for each class the sample has, 0 for the others",
      shape: "(N, C) or (C), as the input",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "weight",
      type: "tensor",
      default: null,
      shape: "(C)",
      description: "A weight for each class, broadcast over the samples",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => ({
    input: random.randn([3, 5]),
    target: { shape: [3, 5], data: random.randint(0, 2, [3, 5]).data },
  }),
  explain: {
    element(inputs, options, e) {
      const { rows, terms, classes } = classTerms(inputs, options, e);
      const sum = terms.reduce((a, b) => a + b, 0);
      const loss = sum / classes;
      const steps: WorkedStep[] = [
        {
          label: "the logits of the sample's classes",
          tex: `x_n = ${texList(rows.x)}`,
          value: rows.x[0],
        },
        { label: "their labels", tex: `y_n = ${texList(rows.y)}`, value: rows.y[0] },
        {
          label: options.weight
            ? "each class's logistic loss h_c = −[y log σ(x) + (1 − y) log σ(−x)], times its weight"
            : "each class's logistic loss h_c = −[y log σ(x) + (1 − y) log σ(−x)]",
          tex: `(${options.weight ? "w_c " : ""}h_c)_c = ${texList(terms)}`,
          value: sum,
        },
        {
          label: "their sum",
          tex: `\\sum_c ${options.weight ? "w_c " : ""}h_c = ${tex(sum)}`,
          value: sum,
        },
        {
          label: `divided by the number of classes, C = ${classes}: the sample's loss`,
          tex: `l_n = \\frac{${tex(sum)}}{${classes}} = ${tex(loss)}`,
          value: loss,
        },
      ];
      return { label: `sample ${e}`, steps };
    },
  },
  sweep(inputs, options, e): SweepPlan {
    const { input, target } = inputs;
    const { rows, classes, span, swept, source } = classTerms(inputs, options, e);
    const c0 = swept[0];
    const current = rows.x[c0];
    const [from, to] = including(-6, 6, current, 1);
    const scale = span / classes;
    const weighted = options.weight !== null || scale !== 1;
    return {
      field: elementField("inputs.input", input.shape, source),
      label: rows.y[c0] === 1
        ? `the logit of class ${c0}, a label of the sample`
        : `the logit of class ${c0}`,
      current,
      from,
      to,
      batch(values) {
        const P = values.length;
        const x = rowsLike(
          input.data,
          P,
          span,
          (p, c) => swept.includes(c) ? values[p] : rows.x[c],
        );
        const y = rowsLike(target.data, P, span, (_, c) => rows.y[c]);
        if (!weighted) return { inputs: { input: x, target: y } };
        // The batch divides by its span: a weight of span / C restores the division by C.
        const weight = rowsLike(input.data, P, span, (_, c) => rows.w[c] * scale);
        return { inputs: { input: x, target: y }, options: { weight } };
      },
      read(output, grads) {
        const slope = Array.from(output.data, (_, p) => {
          let total = 0;
          for (const c of swept) total += grads.input.data[p * span + c];
          return total;
        });
        return { loss: Array.from(output.data), slope };
      },
    };
  },
  advise({ target }) {
    const outside = firstNotInUnitInterval(target.data);
    if (outside === undefined) return [];
    return [{
      code: "target-outside-0-1",
      field: "inputs.target",
      message: `The target holds ${tex(outside)}, but MultiLabelSoftMarginLoss takes labels ` +
        "of 0 and 1 (or probabilities in [0, 1]): a label of −1 makes the loss fall without " +
        "bound as the logit goes to −∞. Map labels of −1 and 1 with (y + 1) / 2.",
    }];
  },
  forward({ input, target }, { weight, reduction }, { dtype }) {
    const classDim = input.shape.length - 1;
    if (classDim < 0) {
      throw new LossInputError(
        "inputs.input",
        "inputs.input is a scalar, but must have a class dimension: (C) or (N, C)",
      );
    }
    const named = [
      { field: "inputs.input", tensor: input },
      { field: "inputs.target", tensor: target },
    ];
    if (weight) named.push({ field: "options.weight", tensor: weight });
    const shape = broadcastShape(...named);
    const x = expandTo(input, shape).data;
    const y = expandTo(target, shape).data;
    const w = weight && expandTo(weight, shape).data;
    // PyTorch sums dimension input.dim() - 1 of the broadcast terms, counted from the front.
    const span = shape[classDim];
    const outer = numel(shape.slice(0, classDim));
    const inner = numel(shape.slice(classDim + 1));
    const classes = input.shape[classDim];
    const outputShape = [...shape.slice(0, classDim), ...shape.slice(classDim + 1)];
    const n = outer * inner;
    const f32 = dtype === "float32";
    const sums = new Float64Array(n);
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < span; c++) {
        const base = (o * span + c) * inner;
        for (let k = 0; k < inner; k++) {
          const i = base + k;
          let term = f32 ? term32(x[i], y[i]) : term64(x[i], y[i]);
          if (w) term = f32 ? Math.fround(term * w[i]) : term * w[i];
          sums[o * inner + k] += term;
        }
      }
    }
    // Each sample's sum over the classes in the dtype, then divided by C.
    const losses = allocate(dtype, n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const loss = f32 ? Math.fround(Math.fround(sums[i]) / classes) : sums[i] / classes;
      losses[i] = loss;
      total += loss;
    }
    return {
      output: reducedOutput(
        reduction,
        dtype,
        outputShape,
        total,
        reduction === "none" ? losses : null,
        n,
      ),
      saved: { reduction, shape, inputShape: input.shape, x, y, w, outer, span, inner, classes },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { shape, x, y, w, outer, span, inner, classes } = saved;
    const f32 = dtype === "float32";
    const { perElement, each } = upstreamGradOf(saved.reduction, gradOutput, outer * inner);
    const grad = allocate(dtype, x.length);
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < span; c++) {
        const base = (o * span + c) * inner;
        for (let k = 0; k < inner; k++) {
          const i = base + k;
          // Back through / C, the sum, × w and the negation, in the dtype.
          const upstream = perElement ? perElement[o * inner + k] : each;
          let g = f32 ? Math.fround(upstream / classes) : upstream / classes;
          if (w) g = f32 ? Math.fround(g * w[i]) : g * w[i];
          grad[i] = f32 ? termGradient32(x[i], y[i], -g) : termGradient64(x[i], y[i], -g);
        }
      }
    }
    return { input: sumTo({ shape, data: grad }, saved.inputShape) };
  },
});

/**
 * −(y log σ(x) + (1 − y) log σ(−x)) in float32, log σ as PyTorch's `log_sigmoid`:
 * min(x, 0) − log1p(exp(−|x|)) (from the softplus table).
 */
function term32(v: number, t: number): number {
  const a = Math.abs(v);
  const softplus = Math.fround(softplusOfNegative(a));
  const positive = Math.fround(clampMaxZero(v) - softplus);
  const negative = Math.fround(clampMaxZero(-v) - softplus);
  return -Math.fround(Math.fround(t * positive) + Math.fround(Math.fround(1 - t) * negative));
}

function term64(v: number, t: number): number {
  const a = Math.abs(v);
  const softplus = softplusOfNegative64(a);
  return -(t * (clampMaxZero(v) - softplus) + (1 - t) * (clampMaxZero(-v) - softplus));
}

/**
 * The gradient of the term with respect to x, given g, the gradient reaching y log σ(x) +
 * (1 − y) log σ(−x): `log_sigmoid_backward` of both, (1 − q or q) · g·y and (q or 1 − q) ·
 * g·(1 − y) with q = z / (1 + z), z = exp(−|x|) (σ(−|x|), from the table), the second negated
 * (it is of −x); each step in float32.
 */
function termGradient32(v: number, t: number, g: number): number {
  const q = Math.fround(sigmoidOfNegative(Math.abs(v)));
  const p = Math.fround(1 - q);
  const first = Math.fround((v < 0 ? p : q) * Math.fround(g * t));
  const second = Math.fround((v > 0 ? p : q) * Math.fround(g * Math.fround(1 - t)));
  return first - second;
}

function termGradient64(v: number, t: number, g: number): number {
  const z = exp64(-Math.abs(v));
  const q = z / (1 + z);
  const p = 1 - q;
  return (v < 0 ? p : q) * (g * t) - (v > 0 ? p : q) * (g * (1 - t));
}

/** log σ(x) = min(x, 0) − log(1 + e^−|x|), in float64, for the worked element. */
function logSigmoid(x: number): number {
  return clampMaxZero(x) - softplusOfNegative64(Math.abs(x));
}

/**
 * Sample `e` of the per-sample output as the forward computes it: the broadcast values of its
 * classes (along dimension `input.dim() − 1` of the broadcast shape), each class's weighted
 * term, C (the input's size there, the divisor) and the span summed; and, for a sweep, the
 * input entry of its first labelled class (class 0 without a label) and every class it feeds.
 */
function classTerms(
  { input, target }: FloatInputs,
  { weight }: MultiLabelSoftMarginOptions,
  e: number,
) {
  const classDim = input.shape.length - 1;
  const named = [
    { field: "inputs.input", tensor: input },
    { field: "inputs.target", tensor: target },
  ];
  if (weight) named.push({ field: "options.weight", tensor: weight });
  const shape = broadcastShape(...named);
  const span = shape[classDim];
  let inner = 1;
  for (let d = classDim + 1; d < shape.length; d++) inner *= shape[d];
  const o = Math.floor(e / inner);
  const k = e % inner;
  const flat = (c: number) => (o * span + c) * inner + k;
  const at = (tensor: FloatDense, c: number) =>
    Number(tensor.data[broadcastIndex(tensor.shape, shape, flat(c))]);
  const classes = Array.from({ length: span }, (_, c) => c);
  const rows = {
    x: classes.map((c) => at(input, c)),
    y: classes.map((c) => at(target, c)),
    w: classes.map((c) => (weight ? at(weight, c) : 1)),
  };
  const terms = classes.map((c) => {
    const x = rows.x[c], y = rows.y[c];
    const term = -(y * logSigmoid(x) + (1 - y) * logSigmoid(-x));
    return weight ? term * rows.w[c] : term;
  });
  const labelled = rows.y.indexOf(1);
  const source = broadcastIndex(input.shape, shape, flat(labelled < 0 ? 0 : labelled));
  const swept = classes.filter((c) => broadcastIndex(input.shape, shape, flat(c)) === source);
  return { rows, terms, classes: input.shape[classDim], span, swept, source };
}
