/**
 * `torch.nn.MSELoss`: the mean squared error.
 *
 * Gradient: ∂l/∂x = 2(x − y), ∂l/∂y = −2(x − y), computed as `mse_loss_backward` does: the factor
 * 2 (2/n for `mean`) times x − y, then times grad_output, each product in the dtype.  A target that was broadcast to the input's
 * shape (with PyTorch's warning) gets its gradient summed over the broadcast dimensions, as
 * autograd sums it.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementExplainer } from "../ops/element.ts";

import { type Reduction, reductionOption } from "../ops/reduction.ts";
import {
  differenceLoss,
  type DifferenceSaved,
  differenceSteps,
  sweepAroundTarget,
} from "./_pointwise.ts";

/** Options of {@link mseLoss}. */
export interface MSEOptions {
  reduction: Reduction;
}

/**
 * The squared L2 loss, as `torch.nn.MSELoss`.
 *
 * @example A target of shape [1] broadcasts, with PyTorch's warning, and its gradient is summed
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 4], [2]);
 * const target = ndarrayOf([2], [1]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads, warnings } = computeLoss("MSELoss", { input, target }, {}, settings);
 * assert.equal(output.get(), 2.5); // ((1 − 2)² + (4 − 2)²) / 2
 * assert.deepEqual([...grads.input.data], [-1, 2]); // 2 (x − y) / 2
 * assert.deepEqual([...grads.target.data], [-1]); // −(−1 + 2)
 * assert.match(warnings[0], /different to the input size/);
 * ```
 */
export const mseLoss = defineLoss<MSEOptions, DifferenceSaved<MSEOptions>>({
  name: "MSELoss",
  functional: "mse_loss",
  slug: "mse",
  category: "regression",
  summary: "Mean squared error between each element of the input and the target",
  formula: String.raw`l_n = (x_n - y_n)^2`,
  teaching: {
    measures: "The square of each difference between the prediction and the target, " +
      "averaged. Squaring makes every error count, whatever its sign, and makes large errors " +
      "count far more: an error twice as large costs four times as much, and its gradient, " +
      "$2(x_n - y_n)$, grows with it.",
    choose: "For regression when large errors really are worse and the noise is roughly " +
      "Gaussian: minimizing it fits the conditional mean (it is the Gaussian negative " +
      "log-likelihood with a fixed variance). With outliers in the targets, `HuberLoss` or " +
      "`L1Loss` grow only linearly far from the target, so one bad point cannot dominate.",
    mistake: "A target that broadcasts: an input of shape (N, 1) against a target of shape " +
      "(N) gives an (N, N) loss, every prediction against every target, and PyTorch only " +
      "warns. Reshape one of them so that the shapes match.",
    related: [
      { to: "L1Loss", why: "the absolute error: linear, robust to outliers, fits the median" },
      { to: "HuberLoss", why: "squared near the target, linear beyond delta" },
      { to: "GaussianNLLLoss", why: "the squared error with a learned variance" },
      { to: "/lessons/outliers", why: "how far one outlier pulls a line fitted with MSE" },
    ],
  },
  keywords: ["regression", "squared error", "L2", "least squares", "mean squared error"],
  options: [reductionOption()],
  legacyReduction: true,
  explain: elementExplainer(({ input: x, target: y }) => {
    const d = x - y;
    return [
      ...differenceSteps(x, y),
      {
        label: "squared: the element's loss",
        tex: `l_n = ${texTerm(d)}^2 = ${tex(d * d)}`,
        value: d * d,
      },
    ];
  }),
  sweep: sweepAroundTarget(() => 3),
  ...differenceLoss<MSEOptions>({
    float32: {
      losses(x, y, losses) {
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const d = Math.fround(x[i] - y[i]);
          const loss = Math.fround(d * d);
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, { perElement, each, norm }, gradInput, gradTarget) {
        const twice = Math.fround(2 * norm);
        for (let i = 0; i < x.length; i++) {
          const scaled = Math.fround(twice * Math.fround(x[i] - y[i]));
          const grad = Math.fround(scaled * (perElement ? perElement[i] : each));
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
    float64: {
      losses(x, y, losses) {
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const d = x[i] - y[i];
          const loss = d * d;
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, { perElement, each, norm }, gradInput, gradTarget) {
        const twice = 2 * norm;
        for (let i = 0; i < x.length; i++) {
          const grad = twice * (x[i] - y[i]) * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
  }),
});
