/**
 * `torchmetrics.functional.mean_squared_log_error`: the mean squared error of log(1 + x)
 * against log(1 + y), a relative error for non-negative values.
 *
 * As torchmetrics computes it (`src/torchmetrics/functional/regression/log_mse.py`):
 * Σ (log1p(x) − log1p(y))² / numel(y).  Values should be > −1; they are not checked (−1 and
 * below give ±∞ and NaN, as `log1p` does).  The output is always one number: there is no
 * `reduction`; empty inputs give NaN.  The target must have the input's shape.
 *
 * Gradient: with d = log1p(x) − log1p(y), ∂ℓ/∂x = 2d / ((1 + x) N), ∂ℓ/∂y = −2d / ((1 + y) N).
 * When a backward follows (`context.grad`), the forward saves d.
 *
 * @module
 */
import { type Advice, defineLoss } from "../core/definition.ts";
import { elementField } from "../core/errors.ts";
import { tex, texTerm } from "../core/tex.ts";
import { allocate } from "../ops/reduction.ts";
import { type FloatArray, scalar } from "../core/tensor.ts";
import {
  checkSameShape,
  givenPair,
  meanOfTermsExplainer,
  sameShapeInputs,
  wholeLossSweep,
} from "./_pointwise.ts";
import { indexAtOrBelow } from "./_explain.ts";

interface MSLESaved {
  x: FloatArray;
  y: FloatArray;
  shape: number[];
  /** log1p(x) − log1p(y) of each element, saved for a backward. */
  d: FloatArray | null;
}

/**
 * The mean squared log error, as torchmetrics computes it.
 *
 * @example Predicting 9 for 99 costs what predicting 99 for 999 does, about (log 10)²
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const settings = { grad: true, dtype: "float64" } as const;
 * const loss = (x: number, y: number) =>
 *   computeLoss("MeanSquaredLogError", {
 *     input: ndarrayOf([x], [1]),
 *     target: ndarrayOf([y], [1]),
 *   }, {}, settings);
 * const small = loss(9, 99), large = loss(99, 999);
 * assert.ok(Math.abs(small.output.get() - Math.LN10 ** 2) < 1e-12);
 * assert.ok(Math.abs(large.output.get() - Math.LN10 ** 2) < 1e-12);
 * assert.ok(Math.abs(small.grads.input.get(0) - -2 * Math.LN10 / 10) < 1e-12);
 * ```
 */
export const meanSquaredLogError = defineLoss<Record<never, never>, MSLESaved>({
  name: "MeanSquaredLogError",
  functional: "mean_squared_log_error",
  slug: "mean-squared-log-error",
  category: "regression",
  source: {
    library: "torchmetrics",
    call: "torchmetrics.functional.mean_squared_log_error",
    docs: "https://lightning.ai/docs/torchmetrics/stable/regression/mean_squared_log_error.html",
    code: `import torch
from torchmetrics.functional import mean_squared_log_error

input = torch.tensor({input}, dtype=torch.{dtype}, requires_grad=True)
target = torch.tensor({target}, dtype=torch.{dtype}, requires_grad=True)
loss = mean_squared_log_error(input, target)
print(loss)
loss.backward()
print(input.grad, target.grad)`,
  },
  summary: "The mean squared error of log(1 + x) against log(1 + y): a relative error",
  formula: String.raw`\ell = \frac{1}{N} \sum_n \big(\log(1 + x_n) - \log(1 + y_n)\big)^2`,
  teaching: {
    measures: "The squared difference of the logarithms of $1 + x$ and $1 + y$, averaged: it " +
      "compares ratios rather than differences, so predicting 9 for 99 costs what predicting " +
      "99 for 999 does. The $+1$ keeps zero targets finite and makes small values count " +
      "almost like a plain squared error.",
    choose: "For non-negative targets that span orders of magnitude (counts, prices, " +
      "durations) when relative errors matter and big values should not dominate. It is " +
      "`MSELoss` on `log1p` of both sides, so it fits the geometric mean of $1 + y$.",
    mistake: "Negative values: $\\log(1 + x)$ is NaN below −1 and $-\\infty$ at −1, and a " +
      "model with an unbounded output will get there. Make the output non-negative (a " +
      "softplus or an exponential), or predict $\\log(1 + y)$ directly with `MSELoss`.",
    related: [
      { to: "MSELoss", why: "the same loss without the logarithms" },
      { to: "MeanAbsolutePercentageError", why: "another relative error" },
      { to: "PoissonNLLLoss", why: "for counts, a likelihood instead of a log error" },
    ],
  },
  keywords: ["regression", "MSLE", "log error", "relative error", "counts", "torchmetrics"],
  outputShape: "scalar",
  inputs: sameShapeInputs(),
  options: [],
  sample: (random) => ({
    input: { shape: [3, 5], data: random.rand([3, 5]).data.map((u) => 4 * u) },
    target: { shape: [3, 5], data: random.rand([3, 5]).data.map((u) => 4 * u) },
  }),
  explain: meanOfTermsExplainer(({ input: x, target: y }) => {
    const lx = Math.log1p(x), ly = Math.log1p(y);
    const d = lx - ly;
    return [
      givenPair(x, y),
      {
        label: "the logarithms of 1 + x and 1 + y",
        tex: `\\log(1 + x_n) = ${tex(lx)},\\ \\log(1 + y_n) = ${tex(ly)}`,
        value: lx,
      },
      {
        label: "their difference, squared: the element's term",
        tex: `l_n = (${tex(lx)} - ${texTerm(ly)})^2 = ${tex(d * d)}`,
        value: d * d,
      },
    ];
  }),
  sweep: wholeLossSweep((current) => [Math.min(-0.9, current), Math.max(5, 2 * current + 1)]),
  advise({ input, target }) {
    const advice: Advice[] = [];
    for (const [name, tensor] of [["input", input], ["target", target]] as const) {
      const at = indexAtOrBelow(tensor.data, -1);
      if (at >= 0) {
        advice.push({
          code: "log-of-non-positive",
          field: elementField(`inputs.${name}`, tensor.shape, at),
          message: `The ${name} holds ${tensor.data[at]}, at or below −1, where log(1 + v) is ` +
            "−∞ or NaN: the loss is not finite. MeanSquaredLogError is for values > −1 " +
            "(normally ≥ 0); make the model's output non-negative.",
        });
      }
    }
    return advice;
  },
  forward({ input, target }, _options, context) {
    checkSameShape(input, target);
    const x = input.data;
    const y = target.data;
    const n = x.length;
    const d = context.grad ? allocate(context.dtype, n) : null;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const diff = Math.log1p(x[i]) - Math.log1p(y[i]);
      total += diff * diff;
      if (d) d[i] = diff;
    }
    return { output: scalar(context.dtype, total / n), saved: { x, y, shape: input.shape, d } };
  },
  backward({ x, y, shape, d }, gradOutput, { dtype }) {
    if (!d) throw new Error("MeanSquaredLogError: backward needs a forward with context.grad");
    const n = x.length;
    const each = 2 * gradOutput.data[0] / n;
    const gradInput = allocate(dtype, n);
    const gradTarget = allocate(dtype, n);
    for (let i = 0; i < n; i++) {
      const g = d[i] * each;
      gradInput[i] = g / (1 + x[i]);
      gradTarget[i] = -g / (1 + y[i]);
    }
    return { input: { shape, data: gradInput }, target: { shape, data: gradTarget } };
  },
});
