/**
 * `keras.losses.CategoricalHinge`: the margin between the score of the right class and the
 * best score of the others, for one-hot targets (Crammer and Singer's multi-class hinge).
 *
 * As Keras 3 computes it (`keras/src/losses/losses.py`, `categorical_hinge`): along the last
 * axis, pos = Σ_c y_c x_c, neg = max_c (1 − y_c) x_c and v = max(neg − pos + 1, 0), one loss
 * per sample, reduced as Keras's `reduce_values` does (`lib/losses/_keras.ts`).  No label
 * conversion: targets are meant to be one-hot (or ±1); any floats are used as given.  The max
 * in `neg` runs over every class, the right one included, where (1 − 1) x = 0: with one-hot
 * targets, neg = max(0, the best other score), so when every other score is negative neg is 0,
 * not the best other score.  Shapes and errors as HingeLoss.
 *
 * Gradient: with z = (1 − y) x, the max shares its gradient equally among the classes equal
 * to it (share_c = [z_c = max z] / #ties), and max(·, 0) passes 1 above 0, ½ at 0, 0 below
 * (o): ∂v/∂x_c = o (share_c (1 − y_c) − y_c).  At a double kink (a tie inside the max and
 * neg − pos + 1 = 0) the two halvings multiply.  No gradient with respect to the target.
 *
 * @module
 */
import { type Advice, defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { allocate, type Reduction } from "../ops/reduction.ts";
import type { FloatArray } from "../core/tensor.ts";
import {
  hingeSweep,
  kerasReduce,
  kerasReductionOption,
  kerasReductionSteps,
  kerasSource,
  kerasUpstream,
  lastAxisRows,
} from "./_keras.ts";
import { rowsAlong, sampledRow } from "./_explain.ts";

/** Options of {@link categoricalHingeLoss}. */
export interface CategoricalHingeOptions {
  reduction: Reduction;
}

interface CategoricalHingeSaved {
  x: FloatArray;
  y: FloatArray;
  inputShape: number[];
  shape: number[];
  classes: number;
  /** neg and neg − pos + 1 of each sample. */
  neg: Float64Array;
  margin: Float64Array;
  reduction: Reduction;
}

/**
 * The categorical hinge loss, as `keras.losses.CategoricalHinge`.
 *
 * @example The right class must beat the best other score by 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([2, 1.5, -1, 3, 1, 0.5], [2, 3]);
 * const target = ndarrayOf([1, 0, 0, 1, 0, 0], [2, 3]);
 * const options = { reduction: "none" };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("CategoricalHingeLoss", { input, target }, options, settings);
 * assert.deepEqual([...output.data], [0.5, 0]); // 1.5 − 2 + 1; 1 − 3 + 1 < 0
 * assert.deepEqual(Array.from(grads.input.data, (g) => g + 0), [-1, 1, 0, 0, 0, 0]);
 * ```
 */
export const categoricalHingeLoss = defineLoss<CategoricalHingeOptions, CategoricalHingeSaved>({
  name: "CategoricalHingeLoss",
  functional: "categorical_hinge",
  slug: "categorical-hinge",
  category: "multiclass",
  source: kerasSource({
    name: "CategoricalHinge",
    section: "hinge_losses",
    variable: "categorical_hinge",
  }),
  summary: "The margin of the right class's score over the best other score (one-hot targets)",
  formula: String.raw`l_n = \max\Big(0,\ 1 + \max_{c} (1 - y_{n,c})\, x_{n,c}
- \sum_{c} y_{n,c}\, x_{n,c}\Big)`,
  teaching: {
    measures: "Whether the score of the right class beats the best score of the other " +
      "classes by a margin of 1: 0 when it does, and otherwise the shortfall. Only the " +
      "strongest wrong class counts, so the loss pushes on the one competitor that matters.",
    choose: "For multi-class margin classifiers (a multi-class SVM), when you want separated " +
      "scores and no probabilities. `MultiMarginLoss` sums the margins over every wrong " +
      "class instead of taking the largest; `CrossEntropyLoss` gives probabilities and " +
      "never stops pulling.",
    mistake: "Expecting the best other score when all of them are negative: the max runs over " +
      "every class, the right one included, where $(1 - 1) x = 0$, so the wrong classes count " +
      "as 0 at best, and a right score of 1 already gives a loss of 0. Targets must be " +
      "one-hot: class indices have to be converted first.",
    related: [
      { to: "MultiMarginLoss", why: "PyTorch's multi-class hinge, summed over wrong classes" },
      { to: "HingeLoss", why: "the binary margin, one per class" },
      { to: "CrossEntropyLoss", why: "the probabilistic loss over the same scores" },
    ],
  },
  keywords: [
    "classification",
    "multiclass",
    "hinge",
    "margin",
    "SVM",
    "Crammer-Singer",
    "one-hot",
    "Keras",
  ],
  outputShape: "the input's shape without its last dimension for reduction none (0-d for a 1-D " +
    "input); scalar otherwise",
  inputs: [
    {
      name: "input",
      description: "The scores of the classes, on the last axis",
      shape: "(..., C), at least 1-D, C ≥ 1",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "One-hot targets (1 for the right class, 0 elsewhere); used as given",
      shape: "(..., C): the input's shape",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [kerasReductionOption()],
  sample(random) {
    const classes = random.randint(0, 5, [4]).data;
    const oneHot = Array.from({ length: 20 }, (_, i) => +(i % 5 === classes[Math.floor(i / 5)]));
    return { input: random.randn([4, 5]), target: { shape: [4, 5], data: oneHot } };
  },
  explain: {
    element({ input, target }, _options, row) {
      const classes = input.shape[input.shape.length - 1];
      const at = (data: ArrayLike<number>) =>
        Array.from({ length: classes }, (_, c) => Number(data[row * classes + c]));
      const x = at(input.data), y = at(target.data);
      const pos = x.reduce((sum, v, c) => sum + y[c] * v, 0);
      const z = x.map((v, c) => (1 - y[c]) * v);
      const neg = Math.max(...z);
      const loss = Math.max(neg - pos + 1, 0);
      return {
        label: `sample ${row}`,
        steps: [
          { label: "the scores", tex: `x_n = (${x.map(tex).join(",\\ ")})`, value: x[0] },
          {
            label: "the score of the right class: the target-weighted sum",
            tex: `\\text{pos} = \\sum_c y_{n,c} x_{n,c} = ${tex(pos)}`,
            value: pos,
          },
          {
            label: "the scores with the right class's set to 0",
            tex: `(1 - y_{n,c})\\, x_{n,c} = (${z.map(tex).join(",\\ ")})`,
            value: z[0],
          },
          {
            label: "their maximum: the best wrong score, or 0 if every wrong score is negative",
            tex: `\\text{neg} = ${tex(neg)}`,
            value: neg,
          },
          {
            label: "the shortfall of the margin of 1, if any: the sample's loss",
            tex: `l_n = \\max(0,\\ ${tex(neg)} - ${texTerm(pos)} + 1) = ${tex(loss)}`,
            value: loss,
          },
        ],
      };
    },
    reduction: (_inputs, { reduction }, losses, output) =>
      kerasReductionSteps(reduction, losses, output),
  },
  sweep(inputs, _options, row) {
    const { input, target } = inputs;
    const classes = input.shape[input.shape.length - 1];
    const y = Array.from({ length: classes }, (_, c) => Number(target.data[row * classes + c]));
    const right = Math.max(0, y.indexOf(Math.max(...y)));
    return hingeSweep(inputs, row, right, y);
  },
  advise({ target }) {
    const advice: Advice[] = [];
    const classes = target.shape[target.shape.length - 1] ?? 0;
    if (classes === 0) return advice;
    const y = target.data;
    const rows = rowsAlong([y.length / classes, classes], 1);
    for (let r = 0; r < rows.read; r++) {
      const start = sampledRow(rows, r) * classes;
      let ones = 0, others = 0;
      for (let c = start; c < start + classes; c++) {
        if (y[c] === 1) ones++;
        else if (y[c] !== 0 && y[c] !== -1) others++;
      }
      if (others > 0 || ones !== 1) {
        advice.push({
          code: "target-not-one-hot",
          field: "inputs.target",
          message: `Row ${start / classes} of the target is not one-hot (one 1, the rest 0): ` +
            "CategoricalHingeLoss uses any values as given, so the margin no longer compares " +
            "the right class with the others. Convert class indices to one-hot rows.",
        });
        break;
      }
    }
    return advice;
  },
  forward({ input, target }, { reduction }, { dtype }) {
    const { rows, classes, shape } = lastAxisRows(input, target);
    const x = input.data, y = target.data;
    const v = allocate(dtype, rows);
    const neg = new Float64Array(rows);
    const margin = new Float64Array(rows);
    for (let r = 0, start = 0; r < rows; r++, start += classes) {
      let pos = 0, best = -Infinity;
      for (let i = start; i < start + classes; i++) {
        pos += y[i] * x[i];
        const z = (1 - y[i]) * x[i];
        best = z > best || Number.isNaN(z) ? z : best;
      }
      neg[r] = best;
      margin[r] = best - pos + 1;
      v[r] = Math.max(margin[r], 0);
    }
    return {
      output: kerasReduce(reduction, dtype, { shape, data: v }),
      saved: { x, y, inputShape: input.shape, shape, classes, neg, margin, reduction },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { x, y, inputShape, shape, classes, neg, margin, reduction } = saved;
    const { perElement, each } = kerasUpstream(reduction, shape, gradOutput);
    const grad = allocate(dtype, x.length);
    for (let r = 0, start = 0; r < neg.length; r++, start += classes) {
      const m = margin[r];
      const open = m > 0 ? 1 : m === 0 ? 0.5 : 0;
      const g = open * (perElement ? perElement[r] : each);
      let ties = 0;
      for (let i = start; i < start + classes; i++) if ((1 - y[i]) * x[i] === neg[r]) ties++;
      for (let i = start; i < start + classes; i++) {
        const share = ties && (1 - y[i]) * x[i] === neg[r] ? 1 / ties : 0;
        grad[i] = g * (share * (1 - y[i]) - y[i]);
      }
    }
    return { input: { shape: inputShape, data: grad } };
  },
});
