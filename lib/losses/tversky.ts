/**
 * `keras.losses.Tversky` (Salehi et al., 2017): one minus the Tversky index, the overlap of a
 * predicted mask with the true one with false positives and false negatives weighed apart.
 *
 * As Keras 3 computes it on its main branch after keras-team/keras#23333 ("Fix alpha and beta
 * swap in Tversky loss"; Keras 3.15.1 and earlier multiply the false negatives by alpha): over
 * the `axis` dimensions, TP = Σ x y, FP = Σ x (1 − y), FN = Σ (1 − x) y and
 * v = 1 − TP / (((TP + α FP) + β FN) + 1e-7), the epsilon (`keras.config.epsilon()`, rounded
 * to the dtype) in the denominator only.  α = β = 0.5 gives Dice up to where the epsilon enters.
 * `axis`, the reduction (Keras's `reduce_values`), shapes and empties as DiceLoss.
 *
 * Gradient: with N = TP + α FP + β FN + 1e-7 over the element's group,
 * ∂v/∂x_i = −y_i / N + TP (y_i + α (1 − y_i) − β y_i) / N² and
 * ∂v/∂y_i = −x_i / N + TP (x_i − α x_i + β (1 − x_i)) / N².
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { allocate, type Reduction } from "../ops/reduction.ts";
import type { FloatArray } from "../core/tensor.ts";
import { checkSameShape, sameShapeInputs } from "./_pointwise.ts";
import {
  axesOption,
  type AxisGroups,
  groupLabel,
  groupMembers,
  groupSweep,
  groupView,
  kerasEpsilon,
  kerasReduce,
  kerasReductionOption,
  kerasReductionSteps,
  kerasSource,
  kerasUpstream,
  overlapAdvice,
} from "./_keras.ts";

/** Options of {@link tverskyLoss}. */
export interface TverskyOptions {
  alpha: number;
  beta: number;
  axis: number | number[] | null;
  reduction: Reduction;
}

interface TverskySaved {
  x: FloatArray;
  y: FloatArray;
  shape: number[];
  groups: AxisGroups;
  alpha: number;
  beta: number;
  /** TP and the denominator N of each group. */
  tp: Float64Array;
  denominator: Float64Array;
  reduction: Reduction;
}

/** The sums of one group: true positives, false positives, false negatives. */
function confusion(x: ArrayLike<number>, y: ArrayLike<number>, members: number[]) {
  let tp = 0, fp = 0, fn = 0;
  for (const i of members) {
    tp += x[i] * y[i];
    fp += x[i] * (1 - y[i]);
    fn += (1 - x[i]) * y[i];
  }
  return { tp, fp, fn };
}

/**
 * The Tversky loss, as `keras.losses.Tversky` on Keras's main branch.
 *
 * @example alpha weighs the false positives: predicting 1 where the target is 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 1], [2]);
 * const target = ndarrayOf([1, 0], [2]); // TP = 1, FP = 1, FN = 0
 * const loss = (alpha: number) =>
 *   computeLoss("TverskyLoss", { input, target }, { alpha, beta: 0.5 }, { dtype: "float64" })
 *     .output.get();
 * assert.ok(Math.abs(loss(0.8) - (1 - 1 / (1 + 0.8 + 1e-7))) < 1e-12);
 * assert.ok(loss(0.8) > loss(0.2));
 * ```
 */
export const tverskyLoss = defineLoss<TverskyOptions, TverskySaved>({
  name: "TverskyLoss",
  functional: "tversky",
  slug: "tversky",
  category: "binary",
  source: kerasSource({
    name: "Tversky",
    section: "regression_losses",
    variable: "tversky",
    args: "alpha={alpha}, beta={beta}, reduction={reduction}, axis={axis}",
    targetGrad: true,
    revision: "main, keras-team/keras#23333",
    note: [
      "Keras's main branch (keras-team/keras#23333): alpha weighs the false positives. Keras 3.15.1",
      "and earlier swap the two: there, pass alpha={beta}, beta={alpha}.",
    ],
  }),
  summary: "One minus the Tversky index: an overlap weighing false positives and negatives apart",
  formula: String.raw`l = 1 - \frac{TP}{TP + \alpha\, FP + \beta\, FN + 10^{-7}},\quad
TP = \sum_i x_i y_i,\ FP = \sum_i x_i (1 - y_i),\ FN = \sum_i (1 - x_i)\, y_i`,
  teaching: {
    measures: "The overlap of a predicted mask with the true one, as the true positives over " +
      "themselves plus $\\alpha$ times the false positives and $\\beta$ times the false " +
      "negatives, subtracted from 1. With $\\alpha = \\beta = 0.5$ it is the Dice loss; " +
      "with $\\alpha = \\beta = 1$, one minus the intersection over union (Jaccard).",
    choose: "For segmentation where missing an object costs more than a false alarm (small " +
      "lesions): raise $\\beta$ above $\\alpha$ (0.3 and 0.7 in the paper) to push the " +
      "model toward recall. For a balanced overlap use `DiceLoss`.",
    mistake: "Keras's own order: on Keras 3.15.1 and earlier, `alpha` multiplies the false " +
      "negatives (a bug fixed on its main branch, which this follows), so settings copied " +
      "from old code may mean the opposite. As with Dice: leave `axis` null only for one " +
      "image, and pass probabilities, not logits.",
    related: [
      { to: "DiceLoss", why: "the Tversky loss at alpha = beta = 0.5" },
      { to: "SigmoidFocalLoss", why: "another loss for rare positives, per pixel" },
      { to: "BCELoss", why: "the per-pixel loss an overlap loss is often added to" },
    ],
  },
  keywords: [
    "segmentation",
    "Tversky",
    "overlap",
    "Jaccard",
    "IoU",
    "recall",
    "false negatives",
    "imbalance",
    "Keras",
  ],
  outputShape: "the input's shape without the axis dimensions for reduction none (0-d for axis " +
    "null); scalar otherwise",
  inputs: sameShapeInputs().map((spec) =>
    spec.name === "input"
      ? { ...spec, description: "The predicted mask: probabilities, normally in [0, 1]" }
      : { ...spec, description: "The true mask: 0 or 1 (any reals are used as given)" }
  ),
  options: [
    {
      name: "alpha",
      type: "number",
      default: 0.5,
      finite: true,
      symbol: "\\alpha",
      description: "The weight of the false positives (predicted where the target is 0)",
    },
    {
      name: "beta",
      type: "number",
      default: 0.5,
      finite: true,
      symbol: "\\beta",
      description: "The weight of the false negatives (target positives the prediction misses)",
    },
    axesOption(),
    kerasReductionOption(),
  ],
  sample(random) {
    const mask = random.randint(0, 2, [6, 6]).data;
    return { input: random.rand([6, 6]), target: { shape: [6, 6], data: mask } };
  },
  explain: {
    count: ({ input }, { axis }) => groupView(input, axis).groups.count,
    element({ input, target }, { alpha, beta, axis }, group) {
      const view = groupView(input, axis);
      const members = groupMembers(view.groups, group);
      const { tp, fp, fn } = confusion(input.data, target.data, members);
      const denominator = tp + alpha * fp + beta * fn + 1e-7;
      const loss = 1 - tp / denominator;
      return {
        label: `${groupLabel(view.groups, group)}, over ${members.length} elements`,
        steps: [
          {
            label: "the true positives: the sum of prediction times target",
            tex: `TP = \\sum_i x_i y_i = ${tex(tp)}`,
            value: tp,
          },
          {
            label: "the false positives and the false negatives",
            tex: `FP = \\sum_i x_i (1 - y_i) = ${tex(fp)},\\ FN = \\sum_i (1 - x_i) y_i = ${
              tex(fn)
            }`,
            value: fp,
          },
          {
            label: "the denominator: TP + α FP + β FN, plus Keras's epsilon 1e-7",
            tex: `N = ${tex(tp)} + ${tex(alpha)} \\cdot ${texTerm(fp)} + ${tex(beta)} \\cdot ${
              texTerm(fn)
            } + 10^{-7} = ${tex(denominator)}`,
            value: denominator,
          },
          {
            label: "one minus the true positives over it: the loss",
            tex: `l = 1 - \\frac{${tex(tp)}}{${tex(denominator)}} = ${tex(loss)}`,
            value: loss,
          },
        ],
      };
    },
    reduction: (_inputs, { reduction }, losses, output) =>
      kerasReductionSteps(reduction, losses, output),
  },
  sweep: (inputs, { axis }, group) =>
    groupSweep(inputs, groupView(inputs.input, axis).groups, group),
  advise: ({ input }, { axis }) => overlapAdvice("TverskyLoss", input, axis),
  forward({ input, target }, { alpha, beta, axis, reduction }, { dtype }) {
    checkSameShape(input, target);
    const { groups } = groupView(input, axis);
    const x = input.data, y = target.data;
    const { count, groupOf } = groups;
    const tp = new Float64Array(count);
    const fp = new Float64Array(count);
    const fn = new Float64Array(count);
    for (let i = 0; i < x.length; i++) {
      const g = groupOf[i];
      tp[g] += x[i] * y[i];
      fp[g] += x[i] * (1 - y[i]);
      fn[g] += (1 - x[i]) * y[i];
    }
    const epsilon = kerasEpsilon(dtype);
    const denominator = new Float64Array(count);
    const v = allocate(dtype, count);
    for (let g = 0; g < count; g++) {
      denominator[g] = tp[g] + alpha * fp[g] + beta * fn[g] + epsilon;
      v[g] = 1 - tp[g] / denominator[g];
    }
    return {
      output: kerasReduce(reduction, dtype, { shape: groups.shape, data: v }),
      saved: { x, y, shape: input.shape, groups, alpha, beta, tp, denominator, reduction },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { x, y, shape, groups, alpha, beta, tp, denominator } = saved;
    const { perElement, each } = kerasUpstream(saved.reduction, groups.shape, gradOutput);
    const gradInput = allocate(dtype, x.length);
    const gradTarget = allocate(dtype, x.length);
    for (let i = 0; i < x.length; i++) {
      const g = groups.groupOf[i];
      const n = denominator[g];
      const upstream = perElement ? perElement[g] : each;
      const ratio = tp[g] / (n * n);
      gradInput[i] = upstream *
        (ratio * (y[i] + alpha * (1 - y[i]) - beta * y[i]) - y[i] / n);
      gradTarget[i] = upstream *
        (ratio * (x[i] - alpha * x[i] + beta * (1 - x[i])) - x[i] / n);
    }
    return { input: { shape, data: gradInput }, target: { shape, data: gradTarget } };
  },
});
