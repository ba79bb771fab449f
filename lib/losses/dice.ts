/**
 * `keras.losses.Dice`: one minus the Dice coefficient, the overlap of a predicted mask with the
 * true one, twice their intersection over the sum of their sizes.
 *
 * As Keras 3 computes it (`keras/src/losses/losses.py`, `dice`): over the `axis` dimensions,
 * I = Σ y x and v = 1 − 2I / ((Σ y + Σ x) + 1e-7), the epsilon (`keras.config.epsilon()`,
 * rounded to the dtype) in the denominator only, so that all-zero masks give v = 1.  `axis`
 * null sums over every axis (one loss for the whole input, 0-d whatever the reduction); `[1, 2,
 * 3]` on (B, H, W, C) gives one loss per sample.  The per-group losses v are then reduced as
 * Keras's `reduce_values` does (`lib/losses/_keras.ts`).  Values are not checked (any reals).
 * The target must have the input's shape.
 *
 * Gradient: with D = Σ y + Σ x + 1e-7 over the element's group, ∂v/∂x_i = −2y_i / D + 2I / D²
 * and ∂v/∂y_i = −2x_i / D + 2I / D².
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

/** Options of {@link diceLoss}. */
export interface DiceOptions {
  axis: number | number[] | null;
  reduction: Reduction;
}

interface DiceSaved {
  x: FloatArray;
  y: FloatArray;
  shape: number[];
  groups: AxisGroups;
  /** Σ y x and the denominator Σ y + Σ x + ε of each group. */
  intersection: Float64Array;
  denominator: Float64Array;
  reduction: Reduction;
}

/**
 * The Dice loss, as `keras.losses.Dice`.
 *
 * @example One loss per sample (axis 1): a perfect match, and no overlap at all
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 0, 1, 0], [2, 2]);
 * const target = ndarrayOf([1, 0, 0, 1], [2, 2]);
 * const options = { axis: 1, reduction: "none" };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("DiceLoss", { input, target }, options, settings);
 * assert.ok(Math.abs(output.get(0) - (1 - 2 / (2 + 1e-7))) < 1e-15); // ≈ 0
 * assert.equal(output.get(1), 1);
 * assert.ok(Math.abs(grads.input.get(1, 1) - -2 / (2 + 1e-7)) < 1e-12); // −2y / D
 * ```
 */
export const diceLoss = defineLoss<DiceOptions, DiceSaved>({
  name: "DiceLoss",
  functional: "dice",
  slug: "dice",
  category: "binary",
  source: kerasSource({
    name: "Dice",
    section: "regression_losses",
    variable: "dice",
    args: "reduction={reduction}, axis={axis}",
    targetGrad: true,
  }),
  summary: "One minus the Dice coefficient: twice the overlap over the total size of two masks",
  formula: String.raw`l = 1 - \frac{2 \sum_i x_i y_i}{\sum_i y_i + \sum_i x_i + 10^{-7}}`,
  teaching: {
    measures: "How much a predicted mask (probabilities $x_i$) and the true one ($y_i$, 0 or " +
      "1) overlap: twice their intersection over the sum of their sizes, subtracted from 1. " +
      "A perfect match costs 0, no overlap 1. Each sum runs over the `axis` dimensions, so " +
      "one loss covers a whole image (or the whole batch, with `axis` null).",
    choose: "For segmentation where the object is small against the background: the ratio " +
      "does not care how many background pixels there are, where the per-pixel cross entropy " +
      "is dominated by them. Its gradient is noisy for tiny or empty masks, so it is often " +
      "added to `BCELoss` or `SigmoidFocalLoss` rather than used alone.",
    mistake: "Leaving `axis` null on a batch: the whole batch then makes one overlap, large " +
      "masks drown small ones and an empty mask in one image goes unseen. Sum over every " +
      "axis but the batch one (`[1, 2, 3]` for (B, H, W, C)) for one loss per image. And pass " +
      "probabilities (after a sigmoid), not logits.",
    related: [
      { to: "TverskyLoss", why: "Dice with false positives and false negatives weighed apart" },
      { to: "BCELoss", why: "the per-pixel loss Dice is usually combined with" },
      { to: "SigmoidFocalLoss", why: "the other answer to imbalanced segmentation" },
    ],
  },
  keywords: [
    "segmentation",
    "Dice",
    "overlap",
    "F1",
    "mask",
    "imbalance",
    "medical imaging",
    "Keras",
  ],
  outputShape: "the input's shape without the axis dimensions for reduction none (0-d for axis " +
    "null); scalar otherwise",
  inputs: sameShapeInputs().map((spec) =>
    spec.name === "input"
      ? { ...spec, description: "The predicted mask: probabilities, normally in [0, 1]" }
      : { ...spec, description: "The true mask: 0 or 1 (any reals are used as given)" }
  ),
  options: [axesOption(), kerasReductionOption()],
  sample(random) {
    const mask = random.randint(0, 2, [6, 6]).data;
    return { input: random.rand([6, 6]), target: { shape: [6, 6], data: mask } };
  },
  explain: {
    count: ({ input }, { axis }) => groupView(input, axis).groups.count,
    element({ input, target }, { axis }, group) {
      const view = groupView(input, axis);
      const members = groupMembers(view.groups, group);
      let intersection = 0, sumY = 0, sumX = 0;
      for (const i of members) {
        intersection += input.data[i] * target.data[i];
        sumY += target.data[i];
        sumX += input.data[i];
      }
      const denominator = sumY + sumX + 1e-7;
      const loss = 1 - 2 * intersection / denominator;
      return {
        label: `${groupLabel(view.groups, group)}, over ${members.length} elements`,
        steps: [
          {
            label: "the intersection: the sum of prediction times target",
            tex: `I = \\sum_i x_i y_i = ${tex(intersection)}`,
            value: intersection,
          },
          {
            label: "the sizes of the true and the predicted masks",
            tex: `\\sum_i y_i = ${tex(sumY)},\\ \\sum_i x_i = ${tex(sumX)}`,
            value: sumY,
          },
          {
            label: "their sum, plus Keras's epsilon 1e-7",
            tex: `D = ${tex(sumY)} + ${texTerm(sumX)} + 10^{-7} = ${tex(denominator)}`,
            value: denominator,
          },
          {
            label: "one minus twice the intersection over it: the loss",
            tex: `l = 1 - \\frac{2 \\cdot ${texTerm(intersection)}}{${tex(denominator)}} = ${
              tex(loss)
            }`,
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
  advise: ({ input }, { axis }) => overlapAdvice("DiceLoss", input, axis),
  forward({ input, target }, { axis, reduction }, { dtype }) {
    checkSameShape(input, target);
    const { groups } = groupView(input, axis);
    const x = input.data, y = target.data;
    const { count, groupOf } = groups;
    const intersection = new Float64Array(count);
    const sumY = new Float64Array(count);
    const sumX = new Float64Array(count);
    for (let i = 0; i < x.length; i++) {
      const g = groupOf[i];
      intersection[g] += y[i] * x[i];
      sumY[g] += y[i];
      sumX[g] += x[i];
    }
    const epsilon = kerasEpsilon(dtype);
    const denominator = new Float64Array(count);
    const v = allocate(dtype, count);
    for (let g = 0; g < count; g++) {
      denominator[g] = sumY[g] + sumX[g] + epsilon;
      v[g] = 1 - 2 * intersection[g] / denominator[g];
    }
    return {
      output: kerasReduce(reduction, dtype, { shape: groups.shape, data: v }),
      saved: { x, y, shape: input.shape, groups, intersection, denominator, reduction },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { x, y, shape, groups, intersection, denominator } = saved;
    const { perElement, each } = kerasUpstream(saved.reduction, groups.shape, gradOutput);
    const gradInput = allocate(dtype, x.length);
    const gradTarget = allocate(dtype, x.length);
    for (let i = 0; i < x.length; i++) {
      const g = groups.groupOf[i];
      const d = denominator[g];
      const upstream = perElement ? perElement[g] : each;
      const common = 2 * intersection[g] / (d * d);
      gradInput[i] = upstream * (common - 2 * y[i] / d);
      gradTarget[i] = upstream * (common - 2 * x[i] / d);
    }
    return { input: { shape, data: gradInput }, target: { shape, data: gradTarget } };
  },
});
