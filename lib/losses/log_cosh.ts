/**
 * `optax.losses.log_cosh`: the logarithm of the hyperbolic cosine of the error, which is
 * quadratic near 0 and linear far from it, like `HuberLoss`, but smooth everywhere.
 *
 * As optax computes it (`optax/losses/_regression.py`): with e = x − y,
 * l = logaddexp(e, −e) − log 2 = |e| + log1p(exp(−2|e|)) − log 2, which is stable for any |e|
 * (|e| = 1e4 gives 1e4 − log 2; for a tiny |e| it cancels to about 0 instead of e²/2, within the
 * golden tolerance either way).  optax returns the elementwise losses; `reduction` reduces them
 * as the `torch.nn` losses do (`mean` of no elements is NaN).  The target must have the input's
 * shape (optax would broadcast).
 *
 * Gradient: ∂l/∂x = tanh(e) = sign(e) (1 − exp(−2|e|)) / (1 + exp(−2|e|)), 0 at e = 0 (where
 * logaddexp passes half of the gradient to each side); ∂l/∂y = −tanh(e).
 *
 * In float32, log1p(exp(−2|e|)) and σ(−2|e|) come from `lib/ops/softplus.ts`
 * (tanh |e| = 1 − 2σ(−2|e|)); float64 calls `Math.exp` and `Math.log1p`.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { signOf } from "../ops/branchless.ts";
import { around, elementExplainer, elementSweep } from "../ops/element.ts";
import { type Reduction, reductionOption } from "../ops/reduction.ts";
import { sigmoidOfNegative, softplusOfNegative } from "../ops/softplus.ts";
import { differenceLoss, type DifferenceSaved, eachOf, givenPair } from "./_pointwise.ts";

/** Options of {@link logCoshLoss}. */
export interface LogCoshOptions {
  reduction: Reduction;
}

/** log 2 in float32, as it meets a float32 tensor. */
const LN2_FLOAT32 = Math.fround(Math.LN2);

/**
 * The log-cosh loss, as `optax.losses.log_cosh` with a reduction.
 *
 * @example Near 0 it is e²/2, far from 0 it is |e| − log 2, and its slope is tanh(e)
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0.001, 100], [2]);
 * const target = ndarrayOf([0, 0], [2]);
 * const options = { reduction: "none" };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("LogCoshLoss", { input, target }, options, settings);
 * assert.ok(Math.abs(output.get(0) - 0.0000005) < 1e-12);
 * assert.ok(Math.abs(output.get(1) - (100 - Math.LN2)) < 1e-12);
 * assert.ok(Math.abs(grads.input.get(0) - Math.tanh(0.001)) < 1e-15);
 * assert.equal(grads.target.get(1), -1);
 * ```
 */
export const logCoshLoss = defineLoss<LogCoshOptions, DifferenceSaved<LogCoshOptions>>({
  name: "LogCoshLoss",
  functional: "log_cosh",
  slug: "log-cosh",
  category: "regression",
  source: {
    library: "optax",
    call: "optax.losses.log_cosh",
    docs: "https://optax.readthedocs.io/en/latest/api/losses.html#optax.losses.log_cosh",
    code: `import jax
jax.config.update("jax_enable_x64", True)  # for float64
import jax.numpy as jnp
import optax

input = jnp.array({input}, dtype=jnp.{dtype})
target = jnp.array({target}, dtype=jnp.{dtype})
reduction = {reduction}

def loss(x, t):
    losses = optax.losses.log_cosh(x, t)
    return losses if reduction == "none" else jnp.mean(losses) if reduction == "mean" else jnp.sum(losses)

print(loss(input, target))
print(jax.grad(lambda x, t: jnp.sum(loss(x, t)), argnums=(0, 1))(input, target))`,
  },
  summary: "The log of the hyperbolic cosine of each error: squared near 0, absolute far from it",
  formula: String
    .raw`l_n = \log\cosh(x_n - y_n) = |x_n - y_n| + \log\left(1 + e^{-2|x_n - y_n|}\right)
- \log 2`,
  teaching: {
    measures: "The log of the hyperbolic cosine of the error $x_n - y_n$: about half its " +
      "square for small errors and about its absolute value minus $\\log 2$ for large ones. " +
      "Its gradient, $\\tanh(x_n - y_n)$, grows like the error near 0 and saturates at ±1, " +
      "so one outlier pulls no harder than any other large error.",
    choose: "For regression with outliers when you want `HuberLoss`'s behaviour without " +
      "choosing a delta and without a kink: it is twice differentiable everywhere, which " +
      "second-order optimizers like. Its scale is fixed: errors much smaller than 1 are " +
      "treated quadratically, much larger ones linearly, so standardize the targets first.",
    mistake: "Computing it as `log(cosh(x - y))` directly: `cosh` overflows for errors past " +
      "about 710 (float64) or 89 (float32) and the loss becomes infinite. The form " +
      "$|e| + \\log(1 + e^{-2|e|}) - \\log 2$ used here stays finite for any error.",
    related: [
      { to: "HuberLoss", why: "the same quadratic-then-linear shape, with a kink at delta" },
      { to: "SmoothL1Loss", why: "Huber divided by beta" },
      { to: "MSELoss", why: "what it is near 0, up to a factor 1/2" },
      { to: "L1Loss", why: "what it approaches far from 0, up to log 2" },
      { to: "/lessons/outliers", why: "how much one outlier pulls each regression loss" },
    ],
  },
  keywords: ["regression", "robust", "outlier", "smooth", "log cosh", "huber", "optax"],
  options: [reductionOption()],
  explain: elementExplainer(({ input: x, target: y }) => {
    const e = x - y;
    const a = Math.abs(e);
    const soft = Math.log1p(Math.exp(-2 * a));
    const loss = a + soft - Math.LN2;
    return [
      givenPair(x, y),
      { label: "the error", tex: `e_n = x_n - y_n = ${tex(e)}`, value: e },
      {
        label: "the correction log(1 + exp(−2|e|)), which fades as |e| grows",
        tex: `\\log(1 + e^{-2 \\cdot ${texTerm(a)}}) = ${tex(soft)}`,
        value: soft,
      },
      {
        label: "|e| plus the correction minus log 2: log cosh e, the element's loss",
        tex: `l_n = ${tex(a)} + ${texTerm(soft)} - 0.6931 = ${tex(loss)}`,
        value: loss,
      },
    ];
  }),
  sweep: elementSweep({ input: "input", range: around(3) }),
  ...differenceLoss<LogCoshOptions>({
    float32: {
      losses(x, y, losses) {
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const a = Math.abs(x[i] - y[i]);
          const loss = a + softplusOfNegative(2 * a) - LN2_FLOAT32;
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, upstream, gradInput, gradTarget) {
        const { perElement } = upstream;
        const each = eachOf(upstream, gradInput);
        for (let i = 0; i < x.length; i++) {
          const d = x[i] - y[i];
          const tanh = 1 - 2 * sigmoidOfNegative(2 * Math.abs(d)); // tanh |d|
          const grad = signOf(d) * tanh * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
    float64: {
      losses(x, y, losses) {
        let total = 0;
        for (let i = 0; i < x.length; i++) {
          const a = Math.abs(x[i] - y[i]);
          const loss = a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
          total += loss;
          if (losses) losses[i] = loss;
        }
        return total;
      },
      gradient(x, y, upstream, gradInput, gradTarget) {
        const { perElement } = upstream;
        const each = eachOf(upstream, gradInput);
        for (let i = 0; i < x.length; i++) {
          const d = x[i] - y[i];
          const e = Math.exp(-2 * Math.abs(d));
          const tanh = (1 - e) / (1 + e); // tanh |d|
          const grad = signOf(d) * tanh * (perElement ? perElement[i] : each);
          gradInput[i] = grad;
          gradTarget[i] = -grad;
        }
      },
    },
  }, "same"),
});
