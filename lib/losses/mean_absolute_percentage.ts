/**
 * `torchmetrics.functional.mean_absolute_percentage_error`: the mean of the absolute errors
 * relative to the targets, as a fraction (0.1 for 10%, no ×100).
 *
 * As torchmetrics computes it (`src/torchmetrics/functional/regression/mape.py`):
 * Σ |x − y| / max(|y|, 1.17e-06) / numel(y), where 1.17e-06 (torchmetrics's `epsilon`, from
 * scikit-learn, rounded to the dtype) bounds |y| from below, so a target of exactly 0 divides
 * by it.  The output is always one number: there is no `reduction`; empty inputs give 0/0, NaN.
 * The target must have the input's shape.
 *
 * Gradient: ∂ℓ/∂x = sign(x − y) / max(|y|, 1.17e-06) / N, 0 at a tie; no gradient with respect
 * to the target.
 *
 * @module
 */
import { type Advice, defineLoss } from "../core/definition.ts";
import { tex } from "../core/tex.ts";
import { elementField } from "../core/errors.ts";
import { signOf } from "../ops/branchless.ts";
import { allocate } from "../ops/reduction.ts";
import { type FloatArray, scalar } from "../core/tensor.ts";
import {
  checkSameShape,
  givenPair,
  meanOfTermsExplainer,
  sameShapeInputs,
  wholeLossSweep,
} from "./_pointwise.ts";
import { sampleCount, sampleIndex } from "./_explain.ts";

/** torchmetrics's `epsilon` (scikit-learn's), the smallest |y| divided by. */
const EPSILON = 1.17e-6;

interface MAPESaved {
  x: FloatArray;
  y: FloatArray;
  shape: number[];
  epsilon: number;
}

/**
 * The mean absolute percentage error, as torchmetrics computes it.
 *
 * @example A 10% and a 30% error: 0.2, a fraction; a target of 0 divides by 1.17e-6
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const settings = { grad: true, dtype: "float64" } as const;
 * const input = ndarrayOf([110, 70], [2]);
 * const target = ndarrayOf([100, 100], [2]);
 * const { output, grads } = computeLoss("MeanAbsolutePercentageError", { input, target }, {}, settings);
 * assert.ok(Math.abs(output.get() - 0.2) < 1e-12);
 * assert.ok(Math.abs(grads.input.get(0) - 0.005) < 1e-15); // 1 / 100 / 2
 * const zero = { input: ndarrayOf([1e-6], [1]), target: ndarrayOf([0], [1]) };
 * const exploded = computeLoss("MeanAbsolutePercentageError", zero, {}, settings);
 * assert.ok(Math.abs(exploded.output.get() - 1e-6 / 1.17e-6) < 1e-12);
 * ```
 */
export const meanAbsolutePercentageError = defineLoss<Record<never, never>, MAPESaved>({
  name: "MeanAbsolutePercentageError",
  functional: "mean_absolute_percentage_error",
  slug: "mean-absolute-percentage-error",
  category: "regression",
  source: {
    library: "torchmetrics",
    call: "torchmetrics.functional.mean_absolute_percentage_error",
    docs: "https://lightning.ai/docs/torchmetrics/stable/regression/" +
      "mean_absolute_percentage_error.html",
    code: `import torch
from torchmetrics.functional import mean_absolute_percentage_error

input = torch.tensor({input}, dtype=torch.{dtype}, requires_grad=True)
target = torch.tensor({target}, dtype=torch.{dtype})
loss = mean_absolute_percentage_error(input, target)
print(loss)
loss.backward()
print(input.grad)`,
  },
  summary: "The mean absolute error relative to the target, as a fraction (not a percentage)",
  formula: String
    .raw`\ell = \frac{1}{N} \sum_n \frac{|x_n - y_n|}{\max(|y_n|,\ 1.17 \times 10^{-6})}`,
  teaching: {
    measures: "The average of the absolute errors, each divided by the size of its target: " +
      "an error of 10 on a target of 100 counts as 0.1, the same as an error of 1 on a target " +
      "of 10. It is a fraction; multiply by 100 for the percentage most reports quote.",
    choose: "For forecasts whose targets span several orders of magnitude and are all far " +
      "from zero (sales, demand, prices), where a relative error is what matters. Near zero " +
      "it explodes; with targets of both signs or many zeros, `L1Loss` on scaled data or " +
      "`MeanSquaredLogError` (for non-negative targets) behave better.",
    mistake: "Targets at or near zero: a target of 0 divides the error by $1.17 \\times " +
      "10^{-6}$, so one such element can outweigh all the others together. It is also " +
      "asymmetric: an over-prediction can cost any amount, an under-prediction of a positive " +
      "target at most 1, so minimizing it biases forecasts low.",
    related: [
      { to: "L1Loss", why: "the same absolute errors, not divided by the target" },
      { to: "MeanSquaredLogError", why: "another relative error, for non-negative values" },
      { to: "QuantileLoss", why: "an asymmetric absolute error, by design" },
    ],
  },
  keywords: [
    "regression",
    "MAPE",
    "percentage error",
    "relative error",
    "forecast",
    "torchmetrics",
  ],
  outputShape: "scalar",
  inputs: sameShapeInputs(false),
  options: [],
  sample(random) {
    // Targets away from 0, as MAPE needs: 1 to 3, with predictions within about 20% of them.
    const target = random.rand([3, 5]).data.map((u) => 1 + 2 * u);
    const noise = random.randn([3, 5]).data;
    return {
      input: { shape: [3, 5], data: target.map((y, i) => y * (1 + 0.2 * noise[i])) },
      target: { shape: [3, 5], data: target },
    };
  },
  explain: meanOfTermsExplainer(({ input: x, target: y }) => {
    const error = Math.abs(x - y);
    const scale = Math.max(Math.abs(y), EPSILON);
    return [
      givenPair(x, y),
      { label: "the absolute error", tex: `|x_n - y_n| = ${tex(error)}`, value: error },
      {
        label: Math.abs(y) < EPSILON
          ? "divided by 1.17e-6, as the target is smaller than that: the element's term"
          : "divided by the size of the target: the element's term",
        tex: `l_n = \\frac{${tex(error)}}{\\max(|${tex(y)}|,\\ 1.17 \\times 10^{-6})} = ${
          tex(error / scale)
        }`,
        value: error / scale,
      },
    ];
  }),
  sweep: wholeLossSweep((current) => {
    const span = Math.max(2, 2 * Math.abs(current));
    return [current - span, current + span];
  }),
  advise({ target }) {
    const advice: Advice[] = [];
    const y = target.data;
    // The targets' typical size, from the ones advice reads; then, among them, a target far
    // smaller, or 0.
    const n = y.length, m = sampleCount(n);
    let scale = 0;
    for (let k = 0; k < m; k++) scale += Math.abs(y[sampleIndex(k, m, n)]);
    scale /= Math.max(m, 1);
    const threshold = 1e-3 * scale;
    for (let k = 0; k < m; k++) {
      const i = sampleIndex(k, m, n);
      if (Math.abs(y[i]) <= threshold) {
        advice.push({
          code: "target-near-zero",
          field: elementField("inputs.target", target.shape, i),
          message: `A target of ${y[i]} is near 0 next to the others (their mean size is ` +
            `${Number(scale.toPrecision(3))}): its error is divided by it (or by 1.17e-6) and ` +
            "can outweigh every other element. MAPE suits targets far from 0; for the others " +
            "use an absolute error.",
        });
        break;
      }
    }
    return advice;
  },
  forward({ input, target }, _options, { dtype }) {
    checkSameShape(input, target);
    const x = input.data;
    const y = target.data;
    const epsilon = dtype === "float32" ? Math.fround(EPSILON) : EPSILON;
    let total = 0;
    for (let i = 0; i < x.length; i++) {
      total += Math.abs(x[i] - y[i]) / Math.max(Math.abs(y[i]), epsilon);
    }
    return {
      output: scalar(dtype, total / x.length),
      saved: { x, y, shape: input.shape, epsilon },
    };
  },
  backward({ x, y, shape, epsilon }, gradOutput, { dtype }) {
    const n = x.length;
    const each = gradOutput.data[0] / n;
    const gradInput = allocate(dtype, n);
    for (let i = 0; i < n; i++) {
      gradInput[i] = signOf(x[i] - y[i]) * each / Math.max(Math.abs(y[i]), epsilon);
    }
    return { input: { shape, data: gradInput } };
  },
});
