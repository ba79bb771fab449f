/**
 * `torch.nn.MultiMarginLoss`: the multi-class hinge (margin) loss.
 *
 * In the registry's formula, the sum leaves out i = y, x.size(0) is C (the number of classes),
 * and w = 1 without `weight`; p ∈ {1, 2}.  As in PyTorch, a NaN difference counts as not above 0
 * (it adds nothing), a 0-D input is one sample of one class, and N may be 0.
 *
 * Gradient: for each i ≠ y with z = margin − x[y] + x[i] > 0, ∂/∂x[i] = w[y] · (p = 1 ? 1 : 2z) / C
 * and ∂/∂x[y] is minus their sum (divided again by N for `mean`); no gradient with respect to
 * the target.
 *
 * @module
 */
import { checkClassIndices, checkClassWeight, classWeightOption } from "./_classes.ts";
import {
  defineLoss,
  type LossInputs,
  type SweepPlan,
  type WorkedStep,
} from "../core/definition.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import {
  allocate,
  inDtypeOf,
  reducedOutput,
  type Reduction,
  reductionOption,
} from "../ops/reduction.ts";
import { tex, texTerm } from "../core/tex.ts";
import { hingeRange, indexRowsLike, rowEntrySweep, texList } from "./_explain.ts";
import type { Dense, FloatArray, FloatDense, NumericArray } from "../core/tensor.ts";
import { formatShape } from "../core/tensor.ts";

/** Options of {@link multiMarginLoss}. */
export interface MultiMarginOptions {
  p: number;
  margin: number;
  weight: FloatDense | null;
  reduction: Reduction;
}

interface MultiMarginSaved {
  x: FloatArray;
  inputShape: number[];
  target: NumericArray;
  samples: number;
  classes: number;
  p: number;
  margin: number;
  weight: FloatArray | null;
  reduction: Reduction;
}

interface MultiMarginInputs extends LossInputs {
  input: FloatDense;
  target: Dense;
}

/**
 * The multi-class margin loss, as `torch.nn.MultiMarginLoss`.
 *
 * @example PyTorch's documentation example, with squared hinges (p = 2)
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, indexNdArrayOf, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0.1, 0.2, 0.4, 0.8], [1, 4]);
 * const target = indexNdArrayOf([3], [1]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("MultiMarginLoss", { input, target }, { p: 2 }, settings);
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(), 0.1525)); // (0.3² + 0.4² + 0.6²) / 4
 * // 2 z / 4 for each other class; minus their sum for the target class.
 * const expected = [0.15, 0.2, 0.3, -0.65];
 * assert.ok(expected.every((g, c) => near(grads.input.get(0, c), g)));
 * ```
 */
export const multiMarginLoss = defineLoss<MultiMarginOptions, MultiMarginSaved, MultiMarginInputs>({
  name: "MultiMarginLoss",
  functional: "multi_margin_loss",
  slug: "multi-margin",
  category: "multiclass",
  summary: "Multi-class hinge loss: how far each other class's score comes within a margin",
  formula: String
    .raw`l_n = \frac{1}{C} \sum_{c \ne y_n} \max(0,\ \text{margin} - x_{n,y_n} + x_{n,c})`,
  formulas: [
    {
      when: { p: 2, weight: null },
      tex: String
        .raw`l_n = \frac{1}{C} \sum_{c \ne y_n} \max(0,\ \text{margin} - x_{n,y_n} + x_{n,c})^2`,
    },
    {
      when: { p: 1, weight: { not: null } },
      tex: String
        .raw`l_n = \frac{w_{y_n}}{C} \sum_{c \ne y_n} \max(0,\ \text{margin} - x_{n,y_n} + x_{n,c})`,
    },
    {
      when: { p: 2, weight: { not: null } },
      tex: String
        .raw`l_n = \frac{w_{y_n}}{C} \sum_{c \ne y_n} \max(0,\ \text{margin} - x_{n,y_n} + x_{n,c})^2`,
    },
  ],
  teaching: {
    measures: "A multi-class hinge (SVM) loss: every other class c whose score comes within " +
      "$\\text{margin}$ of the target's adds $\\text{margin} - x_{n,y_n} + x_{n,c}$ (squared " +
      "with p = 2), and the sum is divided by C. Once the target's score beats every other " +
      "by the margin, the sample costs 0 and has no gradient.",
    choose: "When a classifier should stop caring about samples it already gets right by a " +
      "margin, as a multi-class SVM (Weston–Watkins) does. `CrossEntropyLoss` keeps pushing " +
      "correct samples towards certainty and gives probabilities; this loss gives neither. " +
      "`MultiLabelMarginLoss` for several right classes per sample.",
    mistake: "Reading the loss as a mean over the other classes: it divides by C, the target " +
      "class included. The weight is the target class's, $w_{y_n}$, on every term of the " +
      "sample, and `mean` still divides by N, not by the weights' sum as `NLLLoss` does. With " +
      "unscaled features, a margin of 1 may be tiny or huge: it is in the scores' units.",
    related: [
      { to: "CrossEntropyLoss", why: "the softmax loss on the same class scores" },
      { to: "MultiLabelMarginLoss", why: "the hinge for several target classes" },
      { to: "HingeEmbeddingLoss", why: "a hinge on a distance, for pairs" },
    ],
  },
  keywords: ["classification", "multiclass", "hinge", "margin", "SVM", "Weston-Watkins"],
  outputShape: "scalar; (N) for reduction none",
  inputs: [
    {
      name: "input",
      description: "The score of each class",
      shape: "(N, C) or (C)",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The class index of each sample, in [0, C)",
      shape: "(N) or ()",
      kind: "index",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "p",
      type: "number",
      default: 1,
      oneOf: [1, 2],
      description: "The exponent of each hinge term",
    },
    {
      name: "margin",
      type: "number",
      default: 1,
      symbol: String.raw`\text{margin}`,
      description: "The margin by which the target's score should exceed every other score",
    },
    classWeightOption(),
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => ({ input: random.randn([3, 5]), target: random.randint(0, 5, [3]) }),
  explain: {
    element({ input, target }, options, n) {
      const { classes, row: x } = marginRow(input, n);
      const t = Number(target.data[n]);
      const margin = input.data instanceof Float32Array
        ? Math.fround(options.margin)
        : options.margin;
      const w = options.weight ? Number(options.weight.data[t]) : 1;
      const hinges = x.map((v, c) => c === t ? 0 : Math.max(margin - x[t] + v, 0));
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        const z = margin - x[t] + x[c];
        if (c !== t && z > 0) sum += (options.p === 1 ? z : z * z) * w;
      }
      const loss = sum / classes;
      const others = hinges.filter((_, c) => c !== t);
      const steps: WorkedStep[] = [
        { label: "the scores of the sample", tex: `x_n = ${texList(x)}`, value: x[t] },
        {
          label:
            `the hinge h_c of each class c other than ${t}: max(0, margin − x_{n,${t}} + x_{n,c})`,
          tex: `\\max(0,\\ ${tex(margin)} - ${texTerm(x[t])} + x_{n,c})_{c \\ne ${t}} = ${
            texList(others)
          }`,
          value: others.reduce((a, b) => a + b, 0),
        },
        {
          label: [
            options.p === 2 ? "squared, summed" : "summed",
            options.weight ? ` and times the weight of class ${t}, ${tex(w)}` : "",
          ].join(""),
          tex: `${options.weight ? `w_{${t}}` : ""}\\sum_{c \\ne ${t}} ${
            options.p === 2 ? "h_c^2" : "h_c"
          } = ${tex(sum)}`,
          value: sum,
        },
        {
          label: `divided by the number of classes, C = ${classes}: the sample's loss`,
          tex: `l_n = \\frac{${tex(sum)}}{${classes}} = ${tex(loss)}`,
          value: loss,
        },
      ];
      return { label: `sample ${n}, target class ${t}`, steps };
    },
  },
  sweep({ input, target }, options, n): SweepPlan {
    const { classes, row } = marginRow(input, n);
    const t = Number(target.data[n]);
    const current = row[t];
    const [from, to] = hingeRange(
      row.filter((_, c) => c !== t).map((v) => v + options.margin),
      current,
    );
    return rowEntrySweep(
      {
        field: elementField(
          "inputs.input",
          input.shape,
          input.shape.length === 2 ? n * classes + t : t,
        ),
        label: `the score of the target class ${t}`,
        current,
        from,
        to,
      },
      { name: "input", like: input.data, row, column: t },
      (P) => ({ target: indexRowsLike(target.data, P, null, () => t) }),
    );
  },
  forward({ input, target }, options, context) {
    const rank = input.shape.length;
    if (rank > 2 || (rank >= 1 && input.shape[rank - 1] === 0)) {
      throw new LossInputError(
        "inputs.input",
        `inputs.input has shape ${formatShape(input.shape)}, but it must be a non-empty vector ` +
          "(C) or a matrix (N, C) with C > 0",
      );
    }
    const samples = rank === 2 ? input.shape[0] : 1;
    const classes = rank === 0 ? 1 : input.shape[rank - 1];
    if (target.shape.length > 1 || target.data.length !== samples) {
      throw new LossInputError(
        "inputs.target",
        `inputs.target has shape ${formatShape(target.shape)}, but it must hold one class ` +
          `index per sample: ${samples} (shape [${samples}]${samples === 1 ? " or []" : ""})`,
      );
    }
    const weight = checkClassWeight(options.weight, classes);
    checkClassIndices(target, classes);
    const { p, reduction } = options;
    const margin = context.dtype === "float32" ? Math.fround(options.margin) : options.margin;
    const x = input.data;
    const y = target.data;
    const f32 = context.dtype === "float32";
    const losses = reduction === "none" ? allocate(context.dtype, samples) : null;
    // Each row's sum in the dtype, as `multi_margin_inner_sum_cpu`; the rows' total in double,
    // as the kernel's `acc_type` accumulator (its result rounded once, by reducedOutput).
    let total = 0;
    for (let n = 0, row = 0; n < samples; n++, row += classes) {
      const loss = f32
        ? rowLoss32(x as Float32Array, row, classes, y[n], p, margin, weight)
        : rowLoss64(x as Float64Array, row, classes, y[n], p, margin, weight);
      total += loss;
      if (losses) losses[n] = loss;
    }
    const lossShape = target.shape.length === 0 ? [] : [samples];
    return {
      output: reducedOutput(reduction, context.dtype, lossShape, total, losses, samples, "float64"),
      saved: {
        x,
        inputShape: input.shape,
        target: y,
        samples,
        classes,
        p,
        margin,
        weight,
        reduction,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { x, target, samples, classes, p, margin, weight, reduction } = saved;
    const f32 = dtype === "float32";
    const grad = allocate(dtype, x.length);
    const g = gradOutput.data;
    const perSample = reduction === "none";
    // The kernel's g, 1 / (N·C) for `mean` and 1 / C otherwise, in the dtype; the gradient is
    // then multiplied by grad_output, as `grad_input.mul_(grad_output)`.
    const step = inDtypeOf(grad, reduction === "mean" ? 1 / (samples * classes) : 1 / classes);
    for (let n = 0, row = 0; n < samples; n++, row += classes) {
      const t = target[n];
      const xt = x[row + t];
      const w = weight ? weight[t] : 1;
      const upstream = perSample ? g[n] : g[0];
      let gradTarget = 0;
      for (let c = 0; c < classes; c++) {
        if (c === t) continue;
        const z = f32
          ? Math.fround(Math.fround(margin - xt) + x[row + c])
          : margin - xt + x[row + c];
        let h = 0;
        if (z > 0) {
          h = p === 1 ? step : f32 ? Math.fround(2 * step * z) : 2 * step * z;
          if (weight) h = f32 ? Math.fround(h * w) : h * w;
          gradTarget = f32 ? Math.fround(gradTarget - h) : gradTarget - h;
        }
        grad[row + c] = h * upstream;
      }
      grad[row + t] = gradTarget * upstream;
    }
    return { input: { shape: saved.inputShape, data: grad } };
  },
});

/**
 * One row's loss, Σ_{c ≠ y} w_y max(0, margin − x_y + x_c)^p / C, each step in float32 as
 * `multi_margin_inner_sum_cpu` computes it (a square that overflows is +∞).
 */
function rowLoss32(
  x: Float32Array,
  row: number,
  classes: number,
  t: number,
  p: number,
  margin: number,
  weight: FloatArray | null,
): number {
  const xt = x[row + t];
  const w = weight ? weight[t] : 1;
  const shifted = Math.fround(margin - xt);
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    if (c === t) continue;
    const z = Math.fround(shifted + x[row + c]);
    if (z > 0) {
      let h = p === 1 ? z : Math.fround(z * z);
      if (weight) h = Math.fround(h * w);
      sum = Math.fround(sum + h);
    }
  }
  return Math.fround(sum / classes);
}

function rowLoss64(
  x: Float64Array,
  row: number,
  classes: number,
  t: number,
  p: number,
  margin: number,
  weight: FloatArray | null,
): number {
  const xt = x[row + t];
  const w = weight ? weight[t] : 1;
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    if (c === t) continue;
    const z = margin - xt + x[row + c];
    if (z > 0) sum += (p === 1 ? z : z * z) * w;
  }
  return sum / classes;
}

/** The scores of sample `n` of a (N, C), (C) or 0-D input, and its number of classes. */
function marginRow(input: FloatDense, n: number): { classes: number; row: number[] } {
  const rank = input.shape.length;
  const classes = rank === 0 ? 1 : input.shape[rank - 1];
  const start = rank === 2 ? n * classes : 0;
  return { classes, row: Array.from(input.data.subarray(start, start + classes)) };
}
