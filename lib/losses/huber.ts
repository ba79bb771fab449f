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
import { type Reduction, reductionOption } from "../ops/reduction.ts";
import {
  differenceLoss,
  type DifferenceSaved,
  pointwiseInputs,
  REGRESSION_CURVE,
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
  formula: String.raw`\ell(x, y) = \{l_1,\dots,l_N\}^\top,\quad l_n = \begin{cases}
0.5 (x_n - y_n)^2, & \text{if } |x_n - y_n| < delta \\
delta \cdot (|x_n - y_n| - 0.5 \cdot delta), & \text{otherwise}
\end{cases}`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: REGRESSION_CURVE,
  inputs: pointwiseInputs(),
  options: [
    reductionOption(),
    {
      name: "delta",
      type: "number",
      default: 1,
      exclusiveMinimum: 0,
      description: "The threshold at which to change between delta-scaled L1 and L2 loss; > 0",
    },
  ],
  sample: (random) => ({ input: random.randn([3, 5]), target: random.randn([3, 5]) }),
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
