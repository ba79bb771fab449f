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
import { signOf } from "../ops/branchless.ts";
import type { FloatArray } from "../core/tensor.ts";
import { inDtypeOf, type Reduction, reductionOption, type ScaledGrad } from "../ops/reduction.ts";
import {
  differenceLoss,
  type DifferenceSaved,
  pointwiseInputs,
  REGRESSION_CURVE,
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
  formula: String.raw`\ell(x, y) = \{l_1,\dots,l_N\}^\top,\quad l_n = \left| x_n - y_n \right|`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: REGRESSION_CURVE,
  inputs: pointwiseInputs(),
  options: [reductionOption()],
  legacyReduction: true,
  sample: (random) => ({ input: random.randn([3, 5]), target: random.randn([3, 5]) }),
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
        const each = meanOf(upstream, gradInput);
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
        const each = meanOf(upstream, gradInput);
        for (let i = 0; i < x.length; i++) {
          const grad = signOf(x[i] - y[i]) * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
  }),
});

/**
 * The gradient every element receives for `sum` and `mean`, as autograd's `mean` passes it to
 * `abs`: grad_output / n, in the dtype.  The gradient is then sgn(x − y) times it (exact).
 */
function meanOf({ each, norm }: ScaledGrad, like: FloatArray): number {
  return inDtypeOf(like, each * norm);
}
