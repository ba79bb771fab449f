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
import { select, signOf } from "../ops/branchless.ts";
import { type Reduction, reductionOption } from "../ops/reduction.ts";
import {
  differenceLoss,
  type DifferenceSaved,
  pointwiseInputs,
  REGRESSION_CURVE,
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
  formula: String.raw`\ell(x, y) = \{l_1,\dots,l_N\}^\top,\quad l_n = \begin{cases}
0.5 (x_n - y_n)^2 / beta, & \text{if } |x_n - y_n| < beta \\
|x_n - y_n| - 0.5 * beta, & \text{otherwise }
\end{cases}`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: REGRESSION_CURVE,
  inputs: pointwiseInputs(),
  options: [
    reductionOption(),
    {
      name: "beta",
      type: "number",
      default: 1,
      minimum: 0,
      description: "The threshold at which to change between L1 and L2 loss; >= 0",
    },
  ],
  legacyReduction: true,
  sample: (random) => ({ input: random.randn([3, 5]), target: random.randn([3, 5]) }),
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
