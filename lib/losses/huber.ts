/**
 * `torch.nn.HuberLoss`: squared error near the target, absolute error (scaled by `delta`) away
 * from it.
 *
 * HuberLoss with `delta` is `delta` times SmoothL1Loss with `beta = delta`.  Both pieces are
 * computed for every element and one is picked without a branch (`select`), since which side of
 * delta an element falls on is as good as random.
 *
 * Gradient: ∂l/∂x = clamp(x − y, −delta, delta), ∂l/∂y = −∂l/∂x.  Both pieces have the slope
 * ±delta at |x − y| = delta, so the loss has no kink there.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { select, signOf } from "../ops/branchless.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementExplainer } from "../ops/element.ts";

import { type Reduction, reductionOption } from "../ops/reduction.ts";
import {
  differenceLoss,
  type DifferenceSaved,
  differenceSteps,
  sweepAroundTarget,
} from "./_pointwise.ts";

/** Options of {@link huberLoss}. */
export interface HuberOptions {
  reduction: Reduction;
  /** Where the loss turns from quadratic to linear; > 0. */
  delta: number;
}

/**
 * The Huber loss, as `torch.nn.HuberLoss`.
 *
 * @example delta = 2: one element on each side of delta; the gradient is clamped at delta
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0.5, 3], [2]);
 * const target = ndarrayOf([0, 0], [2]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("HuberLoss", { input, target }, { delta: 2 }, settings);
 * assert.equal(output.get(), 2.0625); // (0.5 · 0.5² + 2 · (3 − 0.5 · 2)) / 2
 * assert.deepEqual([...grads.input.data], [0.25, 1]); // clamp(x − y, −2, 2) / 2
 * assert.deepEqual([...grads.target.data], [-0.25, -1]);
 * ```
 */
export const huberLoss = defineLoss<HuberOptions, DifferenceSaved<HuberOptions>>({
  name: "HuberLoss",
  functional: "huber_loss",
  slug: "huber",
  category: "regression",
  summary: "Squared error for small differences, delta-scaled absolute error for large ones",
  formula: String.raw`l_n = \begin{cases}
\frac{1}{2} (x_n - y_n)^2 & |x_n - y_n| < \delta \\
\delta \left(|x_n - y_n| - \frac{1}{2} \delta\right) & \text{otherwise}
\end{cases}`,
  teaching: {
    measures: "Half the squared difference for errors smaller than $\\delta$, and $\\delta$ " +
      "times the absolute difference less $\\delta / 2$ beyond: a parabola that turns into two " +
      "straight lines with the same slope where they meet. Its gradient is the error clipped " +
      "to $[-\\delta, \\delta]$, so no element pulls harder than $\\delta$.",
    choose: "For regression with occasional outliers when you still want `MSELoss`'s smooth " +
      "approach to the target. $\\delta$ says, in the target's units, where an error starts " +
      "to count as an outlier. It is $\\delta$ times `SmoothL1Loss` with $\\beta = \\delta$: the " +
      "same shape, with slope $\\delta$ rather than 1 beyond the threshold.",
    mistake: "Taking `HuberLoss` and `SmoothL1Loss` for the same loss: they agree only at " +
      "$\\delta = \\beta = 1$. Otherwise `HuberLoss` and its gradients are $\\delta$ times " +
      "larger, which changes the effective learning rate. And choose $\\delta$ in the target's " +
      "scale: with targets in the thousands, $\\delta = 1$ makes it practically `L1Loss`.",
    related: [
      { to: "SmoothL1Loss", why: "the same shape divided by delta: slope 1 beyond beta" },
      { to: "MSELoss", why: "the quadratic part alone: outliers dominate it" },
      { to: "L1Loss", why: "the linear part alone: robust, but its gradient never fades" },
      { to: "/lessons/outliers", why: "how far one outlier pulls a fit, with each loss" },
    ],
  },
  keywords: ["regression", "robust", "outlier", "Huber", "smooth L1", "M-estimator"],
  options: [
    reductionOption(),
    {
      name: "delta",
      type: "number",
      default: 1,
      exclusiveMinimum: 0,
      symbol: String.raw`\delta`,
      description: "Where the loss turns from quadratic to linear, in the target's units",
    },
  ],
  explain: elementExplainer<HuberOptions>(({ input: x, target: y }, { delta }) => {
    const d = x - y;
    const a = Math.abs(d);
    const steps = differenceSteps(x, y);
    if (a < delta) {
      const loss = 0.5 * d * d;
      steps.push({
        label: `within δ = ${tex(delta)} of the target: half the square, the element's loss`,
        tex: `l_n = \\frac{1}{2} \\cdot ${texTerm(d)}^2 = ${tex(loss)}`,
        value: loss,
      });
    } else {
      const loss = delta * (a - 0.5 * delta);
      steps.push({
        label: `at least δ = ${tex(delta)} away: δ (|d| − δ/2), the element's loss`,
        tex: `l_n = ${tex(delta)} \\cdot (${tex(a)} - \\frac{1}{2} \\cdot ${tex(delta)}) = ${
          tex(loss)
        }`,
        value: loss,
      });
    }
    return steps;
  }),
  sweep: sweepAroundTarget<HuberOptions>(({ delta }) => Math.max(3, 3 * delta)),
  ...differenceLoss<HuberOptions>({
    float32: {
      losses(x, y, losses, options) {
        const delta = Math.fround(options.delta);
        const halfDelta = Math.fround(0.5 * delta);
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const a = Math.abs(Math.fround(x[i] - y[i]));
          // (½a)·a is exact in float64 (a has 24 bits), so it is rounded once, as PyTorch's is.
          const small = Math.fround(0.5 * a * a);
          const loss = select(a < delta, small, Math.fround(delta * Math.fround(a - halfDelta)));
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, { perElement, each, norm }, gradInput, gradTarget, options) {
        const delta = Math.fround(options.delta);
        const scale = Math.fround(norm);
        for (let i = 0; i < x.length; i++) {
          const d = Math.fround(x[i] - y[i]);
          const clamped = select(Math.abs(d) >= delta, select(d > 0, delta, -delta), d);
          const grad = Math.fround(
            Math.fround(scale * clamped) * (perElement ? perElement[i] : each),
          );
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
    float64: {
      losses(x, y, losses, { delta }) {
        const halfDelta = 0.5 * delta;
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const a = Math.abs(x[i] - y[i]);
          const loss = select(a < delta, 0.5 * a * a, delta * (a - halfDelta));
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, { perElement, each, norm }, gradInput, gradTarget, { delta }) {
        for (let i = 0; i < x.length; i++) {
          const d = x[i] - y[i];
          const clamped = select(Math.abs(d) >= delta, signOf(d) * delta, d);
          const grad = norm * clamped * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
  }),
});
