/**
 * The pinball (quantile) loss: the absolute error, tilted so that minimizing it fits the q-th
 * quantile of the target instead of its median.  No library has it as a loss (not PyTorch,
 * Keras, TF.js or optax); the definition is the project's own (BEYOND.md).
 *
 * With d = y − x: l = q d where d ≥ 0 (the prediction is below the target) and (q − 1) d where
 * d < 0, i.e. max(q d, (q − 1) d) for 0 < q < 1; `reduction` as the `torch.nn` losses.  The
 * target must have the input's shape.
 *
 * Gradient: ∂l/∂x = −q where d ≥ 0, 1 − q where d < 0; ∂l/∂y = −∂l/∂x.  At a tie (x = y) the
 * d ≥ 0 branch is taken: ∂l/∂x = −q (so for q = 0.5 the loss is |d|/2 but its gradient at a
 * tie is −0.5, not 0).  Both are computed without a branch, as (q − [not d ≥ 0]) d, which
 * takes the second branch for a NaN, as `torch.where(d >= 0, ...)` does.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { around, elementExplainer, elementSweep } from "../ops/element.ts";
import { type Reduction, reductionOption } from "../ops/reduction.ts";
import { differenceLoss, type DifferenceSaved, eachOf, givenPair } from "./_pointwise.ts";

/** Options of {@link quantileLoss}. */
export interface QuantileOptions {
  quantile: number;
  reduction: Reduction;
}

/**
 * The pinball loss of the `quantile` q.
 *
 * @example q = 0.9: an under-prediction costs 9 times as much as an over-prediction
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 3, 2], [3]);
 * const target = ndarrayOf([2, 2, 2], [3]);
 * const options = { quantile: 0.9, reduction: "none" };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("QuantileLoss", { input, target }, options, settings);
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(0), 0.9) && near(output.get(1), 0.1) && output.get(2) === 0);
 * assert.ok(near(grads.input.get(0), -0.9) && near(grads.input.get(1), 0.1));
 * assert.ok(near(grads.input.get(2), -0.9)); // a tie takes the d ≥ 0 branch
 * ```
 */
export const quantileLoss = defineLoss<QuantileOptions, DifferenceSaved<QuantileOptions>>({
  name: "QuantileLoss",
  functional: "quantile_loss",
  slug: "quantile",
  category: "regression",
  source: {
    library: "none (the pinball loss, as this project defines it)",
    call: "the pinball loss of quantile q",
    docs: "https://en.wikipedia.org/wiki/Quantile_regression",
    code: `import torch

# No library has the pinball loss as a loss; this is its definition, differentiated by autograd.
input = torch.tensor({input}, dtype=torch.{dtype}, requires_grad=True)
target = torch.tensor({target}, dtype=torch.{dtype}, requires_grad=True)
q = {quantile}
reduction = {reduction}
d = target - input
losses = torch.where(d >= 0, q * d, (q - 1) * d)
loss = losses if reduction == "none" else losses.mean() if reduction == "mean" else losses.sum()
print(loss)
loss.backward(torch.ones_like(loss))
print(input.grad, target.grad)`,
  },
  summary: "The pinball loss: the absolute error tilted by q, to fit the q-th quantile",
  formula: String.raw`l_n = \begin{cases}
q\,(y_n - x_n) & y_n \ge x_n \\
(1 - q)\,(x_n - y_n) & y_n < x_n
\end{cases}`,
  teaching: {
    measures: "How far the prediction is from the target, with the two directions priced " +
      "differently: an under-prediction costs $q$ per unit, an over-prediction $1 - q$. The " +
      "prediction that minimizes its expectation is the $q$-th quantile of the target's " +
      "distribution: $q = 0.9$ fits a value the target stays below 90% of the time.",
    choose: "To predict a range instead of a single value (a 10%–90% band from two models, or " +
      "two outputs, at $q = 0.1$ and $q = 0.9$), or when over- and under-prediction have " +
      "different costs (stock, capacity). At $q = 0.5$ it is half of `L1Loss` and fits the " +
      "median. scikit-learn's `mean_pinball_loss` metric gives the same mean.",
    mistake: "Reading $q$ the wrong way round: a large $q$ makes under-prediction expensive, so " +
      "the fitted values move up, toward the top of the distribution. And training several " +
      "quantiles separately can make them cross (the 90% line below the 50% one); fit them " +
      "together, or sort the outputs.",
    related: [
      { to: "L1Loss", why: "twice the pinball loss at q = 0.5: the median" },
      { to: "MSELoss", why: "fits the mean instead of a quantile" },
      { to: "HuberLoss", why: "a robust compromise between the mean and the median" },
    ],
  },
  keywords: [
    "regression",
    "quantile",
    "pinball",
    "quantile regression",
    "prediction interval",
    "asymmetric",
    "median",
  ],
  options: [
    {
      name: "quantile",
      type: "number",
      default: 0.5,
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      symbol: "q",
      description: "The quantile q to fit, in the open interval (0, 1): an under-prediction " +
        "costs q per unit, an over-prediction 1 − q",
    },
    reductionOption(),
  ],
  explain: elementExplainer<QuantileOptions>(({ input: x, target: y }, { quantile: q }) => {
    const d = y - x;
    const below = d >= 0;
    const loss = below ? q * d : (q - 1) * d;
    return [
      givenPair(x, y),
      { label: "the target minus the prediction", tex: `d_n = y_n - x_n = ${tex(d)}`, value: d },
      below
        ? {
          label: "d ≥ 0, an under-prediction (or a tie): q times d, the element's loss",
          tex: `l_n = q\\, d_n = ${tex(q)} \\cdot ${texTerm(d)} = ${tex(loss)}`,
          value: loss,
        }
        : {
          label: "d < 0, an over-prediction: (1 − q) times −d, the element's loss",
          tex: `l_n = (1 - q)(-d_n) = ${tex(1 - q)} \\cdot ${texTerm(-d)} = ${tex(loss)}`,
          value: loss,
        },
    ];
  }),
  sweep: elementSweep({ input: "input", range: around(3) }),
  ...differenceLoss<QuantileOptions>({
    float32: {
      losses(x, y, losses, { quantile: q }) {
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const d = y[i] - x[i];
          const loss = (q - +!(d >= 0)) * d;
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, upstream, gradInput, gradTarget, { quantile: q }) {
        const { perElement } = upstream;
        const each = eachOf(upstream, gradInput);
        for (let i = 0; i < x.length; i++) {
          const grad = (+!(y[i] - x[i] >= 0) - q) * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
    float64: {
      losses(x, y, losses, { quantile: q }) {
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const d = y[i] - x[i];
          const loss = (q - +!(d >= 0)) * d;
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, upstream, gradInput, gradTarget, { quantile: q }) {
        const { perElement } = upstream;
        const each = eachOf(upstream, gradInput);
        for (let i = 0; i < x.length; i++) {
          const grad = (+!(y[i] - x[i] >= 0) - q) * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
  }, "same"),
});
