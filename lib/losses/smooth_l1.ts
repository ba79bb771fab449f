/**
 * `torch.nn.SmoothL1Loss`: squared error (divided by `beta`) near the target, absolute error
 * away from it; the L1 loss when `beta` is 0.
 *
 * For beta > 0 it is HuberLoss with `delta = beta`, divided by beta.  With beta = 0,
 * |x − y| < beta never holds, so the absolute piece is always picked (the quadratic one, a
 * division by 0, is computed and discarded by `select`): exactly L1Loss, as PyTorch computes it
 * then.
 *
 * Gradient: ∂l/∂x = clamp((x − y) / beta, −1, 1), ∂l/∂y = −∂l/∂x; when beta is 0, sign(x − y),
 * 0 where x = y, as L1Loss.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { select, signOf } from "../ops/branchless.ts";
import { elementExplainer } from "../ops/element.ts";

import { type Reduction, reductionOption } from "../ops/reduction.ts";
import {
  differenceLoss,
  type DifferenceSaved,
  differenceSteps,
  sweepAroundTarget,
} from "./_pointwise.ts";

/** Options of {@link smoothL1Loss}. */
export interface SmoothL1Options {
  reduction: Reduction;
  /** Where the loss turns from quadratic to linear; >= 0 (0: the L1 loss). */
  beta: number;
}

/**
 * The smooth L1 loss, as `torch.nn.SmoothL1Loss`.
 *
 * @example beta = 2: half of HuberLoss with delta = 2 on the same elements
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0.5, 3], [2]);
 * const target = ndarrayOf([0, 0], [2]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("SmoothL1Loss", { input, target }, { beta: 2 }, settings);
 * assert.equal(output.get(), 1.03125); // (0.5 · 0.5² / 2 + (3 − 0.5 · 2)) / 2
 * assert.deepEqual([...grads.input.data], [0.125, 0.5]); // clamp((x − y) / 2, −1, 1) / 2
 * ```
 */
export const smoothL1Loss = defineLoss<SmoothL1Options, DifferenceSaved<SmoothL1Options>>({
  name: "SmoothL1Loss",
  functional: "smooth_l1_loss",
  slug: "smooth-l1",
  category: "regression",
  summary: "Squared error divided by beta for small differences, absolute error for large ones",
  formula: String.raw`l_n = \begin{cases}
\frac{(x_n - y_n)^2}{2 \beta} & |x_n - y_n| < \beta \\
|x_n - y_n| - \frac{1}{2} \beta & \text{otherwise}
\end{cases}`,
  formulas: [{ when: { beta: 0 }, tex: String.raw`l_n = |x_n - y_n|` }],
  teaching: {
    measures: "Half the squared difference divided by $\\beta$ for errors smaller than " +
      "$\\beta$, and the absolute difference less $\\beta / 2$ beyond. Near the target it is a " +
      "scaled `MSELoss`, far from it `L1Loss`; its gradient is the error divided by $\\beta$, " +
      "clipped to $[-1, 1]$.",
    choose: "For regression with outliers, notably the box regression of object detectors " +
      "(Fast R-CNN), where it is the customary loss. Far from the target it costs what " +
      "`L1Loss` costs whatever $\\beta$; `HuberLoss` is the same shape times $\\delta$. With " +
      "$\\beta = 0$ it is exactly `L1Loss`.",
    mistake: "Raising $\\beta$ to make it 'more like MSE' near the target: the quadratic piece " +
      "is divided by $\\beta$, so a larger $\\beta$ makes small errors cost less and pull less. " +
      "`HuberLoss` with $\\delta$ is $\\delta$ times `SmoothL1Loss` with $\\beta = \\delta$; the " +
      "two agree only at 1.",
    related: [
      { to: "HuberLoss", why: "the same shape times delta" },
      { to: "L1Loss", why: "what it becomes beyond beta, and with beta = 0" },
      { to: "MSELoss", why: "what it resembles, scaled by 1 / beta, near the target" },
      { to: "/lessons/outliers", why: "how far one outlier pulls a fit, with each loss" },
    ],
  },
  keywords: ["regression", "robust", "outlier", "smooth L1", "Huber", "object detection", "box"],
  options: [
    reductionOption(),
    {
      name: "beta",
      type: "number",
      default: 1,
      minimum: 0,
      symbol: String.raw`\beta`,
      description: "Where the loss turns from quadratic to linear; 0 makes it `L1Loss`",
    },
  ],
  legacyReduction: true,
  explain: elementExplainer<SmoothL1Options>(({ input: x, target: y }, { beta }) => {
    const d = x - y;
    const a = Math.abs(d);
    const steps = differenceSteps(x, y);
    if (a < beta) {
      const loss = (0.5 * a * a) / beta;
      steps.push({
        label: `within β = ${tex(beta)} of the target: half the square over β, the element's loss`,
        tex: `l_n = \\frac{${texTerm(d)}^2}{2 \\cdot ${tex(beta)}} = ${tex(loss)}`,
        value: loss,
      });
    } else {
      const loss = a - 0.5 * beta;
      steps.push({
        label: beta === 0
          ? "β = 0: the absolute difference, the element's loss"
          : `at least β = ${tex(beta)} away: |d| − β/2, the element's loss`,
        tex: `l_n = ${tex(a)} - \\frac{1}{2} \\cdot ${tex(beta)} = ${tex(loss)}`,
        value: loss,
      });
    }
    return steps;
  }),
  sweep: sweepAroundTarget<SmoothL1Options>(({ beta }) => Math.max(3, 3 * beta)),
  ...differenceLoss<SmoothL1Options>({
    float32: {
      losses(x, y, losses, options) {
        const beta = Math.fround(options.beta);
        const halfBeta = Math.fround(0.5 * beta);
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const a = Math.abs(Math.fround(x[i] - y[i]));
          // With beta = 0, `a < beta` never holds: the L1 loss, as PyTorch computes it then.
          // (½a)·a is exact in float64 (a has 24 bits), so it is rounded once, as PyTorch's is.
          const small = Math.fround(Math.fround(0.5 * a * a) / beta);
          const loss = select(a < beta, small, Math.fround(a - halfBeta));
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, { perElement, each, norm }, gradInput, gradTarget, options) {
        const beta = Math.fround(options.beta);
        const scale = Math.fround(norm);
        if (beta === 0) {
          // PyTorch's L1 gradient for beta = 0: sgn(d) · grad · norm, 0 where d is 0 or NaN.
          for (let i = 0; i < x.length; i++) {
            const d = x[i] - y[i];
            const grad = Math.fround(signOf(d) * (perElement ? perElement[i] : each) * scale);
            gradInput[i] = grad;
            gradTarget[i] = -grad;
          }
          return;
        }
        for (let i = 0; i < x.length; i++) {
          const d = Math.fround(x[i] - y[i]);
          // ±1 where |d| ≥ beta (d is not 0 there), d / beta elsewhere (and for NaN).
          const slope = select(Math.abs(d) >= beta, signOf(d), Math.fround(d / beta));
          const grad = Math.fround(
            Math.fround(scale * slope) * (perElement ? perElement[i] : each),
          );
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
    float64: {
      losses(x, y, losses, { beta }) {
        const halfBeta = 0.5 * beta;
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const a = Math.abs(x[i] - y[i]);
          const loss = select(a < beta, (0.5 * a * a) / beta, a - halfBeta);
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, { perElement, each, norm }, gradInput, gradTarget, { beta }) {
        if (beta === 0) {
          for (let i = 0; i < x.length; i++) {
            const grad = signOf(x[i] - y[i]) * (perElement ? perElement[i] : each) * norm;
            gradInput[i] = grad;
            gradTarget[i] = -grad;
          }
          return;
        }
        for (let i = 0; i < x.length; i++) {
          const d = x[i] - y[i];
          const slope = select(Math.abs(d) >= beta, signOf(d), d / beta);
          const grad = norm * slope * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
  }),
});
