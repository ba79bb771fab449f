/**
 * `torch.nn.L1Loss`: the mean absolute error.
 *
 * Gradient: ∂l/∂x = sign(x − y), ∂l/∂y = −sign(x − y), each times the gradient reaching l (as
 * PyTorch's `grad · sgn(x − y)`, NaN where that gradient is not finite).  At the kink, x = y,
 * PyTorch's sign is 0, and so is the gradient.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { tex } from "../core/tex.ts";
import { signOf } from "../ops/branchless.ts";
import { type Reduction, reductionOption } from "../ops/reduction.ts";
import { elementExplainer } from "../ops/element.ts";

import {
  differenceLoss,
  type DifferenceSaved,
  differenceSteps,
  eachOf,
  sweepAroundTarget,
} from "./_pointwise.ts";

/** Options of {@link l1Loss}. */
export interface L1Options {
  reduction: Reduction;
}

/**
 * The L1 loss, as `torch.nn.L1Loss`.
 *
 * @example The gradient is sign(x − y) / N, and 0 where the input meets the target
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, -2, 3, 0.5], [4]);
 * const target = ndarrayOf([0, 0, 3, 0], [4]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("L1Loss", { input, target }, {}, settings);
 * assert.equal(output.get(), 0.875); // (1 + 2 + 0 + 0.5) / 4
 * assert.deepEqual([...grads.input.data], [0.25, -0.25, 0, 0.25]);
 * ```
 */
export const l1Loss = defineLoss<L1Options, DifferenceSaved<L1Options>>({
  name: "L1Loss",
  functional: "l1_loss",
  slug: "l1",
  category: "regression",
  summary: "Mean absolute error between each element of the input and the target",
  formula: String.raw`l_n = \left| x_n - y_n \right|`,
  teaching: {
    measures: "The absolute difference between each prediction and its target, averaged. " +
      "Every unit of error costs the same, so the gradient is only the sign of the error, " +
      "$\\pm 1$ (0 exactly at the target): a large error pulls no harder than a small one.",
    choose: "For regression with outliers or heavy-tailed noise: minimizing it fits the " +
      "conditional median rather than the mean, so a few wild targets barely move the fit. " +
      "`MSELoss` when large errors really are worse; `HuberLoss` and `SmoothL1Loss` when you " +
      "want its robustness far from the target and a gradient that fades near it.",
    mistake: "Expecting the prediction to settle: the gradient keeps its size up to the " +
      "target, so with a fixed learning rate the prediction hops back and forth across it. " +
      "Decay the learning rate, or use `HuberLoss`. And, as with every pointwise loss, a " +
      "target of shape (N) against an input of shape (N, 1) broadcasts to (N, N), with only " +
      "a warning.",
    related: [
      { to: "MSELoss", why: "the squared error: fits the mean, and outliers dominate it" },
      { to: "HuberLoss", why: "quadratic within delta of the target, linear beyond" },
      { to: "SmoothL1Loss", why: "the same shape as Huber, with slope 1 beyond beta" },
      { to: "/notebook#l1-title", why: "L1Loss and MSELoss computed by hand" },
      { to: "/lessons/outliers", why: "how far one outlier pulls a fit, with L1 and with MSE" },
    ],
  },
  keywords: ["regression", "robust", "outlier", "absolute error", "MAE", "L1", "median"],
  options: [reductionOption()],
  legacyReduction: true,
  explain: elementExplainer(({ input: x, target: y }) => {
    const d = x - y;
    return [
      ...differenceSteps(x, y),
      {
        label: "its absolute value: the element's loss",
        tex: `l_n = |${tex(d)}| = ${tex(Math.abs(d))}`,
        value: Math.abs(d),
      },
    ];
  }),
  sweep: sweepAroundTarget(() => 3),
  ...differenceLoss<L1Options>({
    float32: {
      losses(x, y, losses) {
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const loss = Math.abs(Math.fround(x[i] - y[i]));
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, upstream, gradInput, gradTarget) {
        const { perElement } = upstream;
        const each = eachOf(upstream, gradInput);
        for (let i = 0; i < x.length; i++) {
          const grad = signOf(x[i] - y[i]) * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
    float64: {
      losses(x, y, losses) {
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const loss = Math.abs(x[i] - y[i]);
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, upstream, gradInput, gradTarget) {
        const { perElement } = upstream;
        const each = eachOf(upstream, gradInput);
        for (let i = 0; i < x.length; i++) {
          const grad = signOf(x[i] - y[i]) * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
  }),
});
