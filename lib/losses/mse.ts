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
import { type Reduction, reductionOption } from "../ops/reduction.ts";
import {
  differenceLoss,
  type DifferenceSaved,
  pointwiseInputs,
  REGRESSION_CURVE,
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
  formula: String.raw`\ell(x, y) = \{l_1,\dots,l_N\}^\top,\quad l_n = \left( x_n - y_n \right)^2`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: REGRESSION_CURVE,
  inputs: pointwiseInputs(),
  options: [reductionOption()],
  legacyReduction: true,
  sample: (random) => ({ input: random.randn([3, 5]), target: random.randn([3, 5]) }),
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
