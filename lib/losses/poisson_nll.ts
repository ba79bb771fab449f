/**
 * `torch.nn.PoissonNLLLoss`: the negative log-likelihood of a Poisson-distributed target.
 *
 * Without `full`, the log(y_n!) of the registry's formula is left out.  With it, PyTorch adds
 * Stirling's approximation, y_n·log y_n − y_n + ½·log(2π·y_n), where y_n > 1 only (0 elsewhere).
 * The target broadcasts with the input, without the pointwise losses' warning.
 *
 * Gradient: ∂l/∂x = e^x − y with `log_input`, 1 − y / (x + eps) without; the Stirling term
 * depends on the target alone, so `full` leaves the gradient as it is.  Computed as autograd
 * takes PyTorch's steps back: with a target that broadcasts the input, each term's gradient is
 * summed onto the input's shape before it meets e^x (or 1 / (x + eps)), so that e^1000 times a
 * sum of 0.5 is +∞ where a sum of +∞ − ∞ would be NaN.  float32 rounds each step as PyTorch's
 * float32 kernels do.
 *
 * @module
 */
import { broadcastShape, expandTo, sumTo } from "../ops/broadcast.ts";
import { defineLoss, type WorkedStep } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementExplainer, elementSweep, valuesAt } from "../ops/element.ts";
import { centeredOn, including } from "./_explain.ts";
import type { FloatArray } from "../core/tensor.ts";
import { exp32, exp64, log32 } from "../ops/exp_log.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGradOf,
} from "../ops/reduction.ts";

/** Options of {@link poissonNLLLoss}. */
export interface PoissonNLLOptions {
  log_input: boolean;
  full: boolean;
  eps: number;
  reduction: Reduction;
}

interface PoissonNLLSaved {
  shape: number[];
  x: FloatArray;
  y: FloatArray;
  /** The input's own values, of `inputShape`. */
  input: FloatArray;
  inputShape: number[];
  logInput: boolean;
  eps: number;
  reduction: Reduction;
}

/**
 * The Poisson negative log-likelihood loss, as `torch.nn.PoissonNLLLoss`.
 *
 * @example full: Stirling's term is added where the target is above 1, and not to the gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0, 0], [2]); // log-rates: λ = 1
 * const target = ndarrayOf([1, 3], [2]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const options = { full: true };
 * const { output, grads } = computeLoss("PoissonNLLLoss", { input, target }, options, settings);
 * const stirling = 3 * Math.log(3) - 3 + 0.5 * Math.log(2 * Math.PI * 3);
 * assert.ok(Math.abs(output.get() - (1 + (1 + stirling)) / 2) < 1e-12); // 1.8820407...
 * assert.deepEqual([...grads.input.data], [0, -1]); // (e^x − y) / 2
 * ```
 */
export const poissonNLLLoss = defineLoss<PoissonNLLOptions, PoissonNLLSaved>({
  name: "PoissonNLLLoss",
  functional: "poisson_nll_loss",
  slug: "poisson-nll",
  category: "probabilistic",
  summary: "Negative log-likelihood of a target drawn from a Poisson distribution of rate input",
  formula: String.raw`l_n = e^{x_n} - y_n x_n`,
  formulas: [
    {
      when: { log_input: false, full: false },
      tex: String.raw`l_n = x_n - y_n \log(x_n + \varepsilon)`,
    },
    {
      when: { log_input: true, full: true },
      tex: String
        .raw`l_n = e^{x_n} - y_n x_n + [y_n > 1] \left(y_n \log y_n - y_n + \tfrac{1}{2} \log(2 \pi y_n)\right)`,
    },
    {
      when: { log_input: false, full: true },
      tex: String
        .raw`l_n = x_n - y_n \log(x_n + \varepsilon) + [y_n > 1] \left(y_n \log y_n - y_n + \tfrac{1}{2} \log(2 \pi y_n)\right)`,
    },
  ],
  teaching: {
    measures: "The negative log-likelihood of a count $y_n$ under a Poisson distribution of " +
      "rate λ. By default the input is $\\log \\lambda$ and the loss is $e^{x_n} - y_n x_n$, " +
      "lowest where $e^{x_n} = y_n$; with `log_input=False` the input is the rate itself. The " +
      "constant $\\log(y_n!)$ is left out unless `full=True` adds Stirling's approximation of " +
      "it (for targets above 1).",
    choose: "For regression on counts (events per interval, photons, clicks, cases), whose " +
      "variance grows with their mean: missing a count of 100 by 5 costs less than missing a " +
      "count of 2 by 5. Keep `log_input=True`, so that the model's output can be any real " +
      "number. `GaussianNLLLoss` for real-valued targets with a variance, `MSELoss` when the " +
      "noise does not depend on the level.",
    mistake: "Getting `log_input` wrong: with the default `True`, a model that outputs the " +
      "rate itself (after a softplus, say) is read as its log, and the fit is to " +
      "$e^{\\text{rate}}$. With `False`, the input must be positive, $\\varepsilon$ only " +
      "guarding $\\log 0$. And `full=True` changes the value, never the gradient: it adds a " +
      "term of the target alone.",
    related: [
      { to: "GaussianNLLLoss", why: "the Gaussian likelihood, for real-valued targets" },
      { to: "MSELoss", why: "constant noise instead of noise that grows with the mean" },
      { to: "KLDivLoss", why: "another likelihood-based loss on log-space inputs" },
    ],
  },
  keywords: [
    "probabilistic",
    "regression",
    "counts",
    "Poisson",
    "likelihood",
    "rate",
    "negative log likelihood",
  ],
  outputShape: "scalar; (*), as the input, for reduction none",
  inputs: [
    {
      name: "input",
      description: "The expectation of the Poisson distribution (its log with log_input)",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "Counts drawn from the distribution; broadcast with the input",
      shape: "(*): the input's shape, or one that broadcasts with it",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "log_input",
      type: "boolean",
      default: true,
      description: "`true`: the input is $\\log \\lambda$ and the loss is $e^{x} - y x$; " +
        "`false`: the input is $\\lambda$ and the loss is $x - y \\log(x + \\varepsilon)$",
    },
    {
      name: "full",
      type: "boolean",
      default: false,
      description: "Whether to add Stirling's approximation of log(target!) (where target > 1)",
    },
    {
      name: "eps",
      type: "number",
      default: 1e-8,
      symbol: String.raw`\varepsilon`,
      description: "Added to the input inside the log when `log_input` is false, to avoid log(0)",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => {
    const counts = random.randint(0, 6, [3, 4]);
    return { input: random.randn([3, 4]), target: { shape: counts.shape, data: counts.data } };
  },
  explain: elementExplainer<PoissonNLLOptions>(({ input: x, target: y }, options) => {
    const steps: WorkedStep[] = [{
      label: options.log_input ? "the log-rate and the count" : "the rate and the count",
      tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)}`,
      value: x,
    }];
    let loss: number;
    if (options.log_input) {
      const rate = Math.exp(x);
      loss = rate - y * x;
      steps.push(
        { label: "the rate, e to the log-rate", tex: `e^{x_n} = ${tex(rate)}`, value: rate },
        { label: "the count times the log-rate", tex: `y_n x_n = ${tex(y * x)}`, value: y * x },
        {
          label: options.full ? "their difference" : "their difference: the element's loss",
          tex: `${options.full ? "" : "l_n = "}${tex(rate)} - ${texTerm(y * x)} = ${tex(loss)}`,
          value: loss,
        },
      );
    } else {
      const log = Math.log(x + options.eps);
      loss = x - y * log;
      steps.push(
        {
          label: "the log of the rate plus ε",
          tex: `\\log(x_n + \\varepsilon) = ${tex(log)}`,
          value: log,
        },
        {
          label: options.full
            ? "the rate minus the count times that"
            : "the rate minus the count times that: the element's loss",
          tex: `${options.full ? "" : "l_n = "}${tex(x)} - ${texTerm(y)} \\cdot ${texTerm(log)} = ${
            tex(loss)
          }`,
          value: loss,
        },
      );
    }
    if (options.full) {
      const stirling = y <= 1 ? 0 : y * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI * y);
      const total = loss + stirling;
      steps.push(
        {
          label: y <= 1
            ? "Stirling's term, 0 for a count of at most 1"
            : "Stirling's approximation of log(y!)",
          tex: `y_n \\log y_n - y_n + \\tfrac{1}{2} \\log(2 \\pi y_n) = ${tex(stirling)}`,
          value: stirling,
        },
        {
          label: "added: the element's loss",
          tex: `l_n = ${tex(loss)} + ${texTerm(stirling)} = ${tex(total)}`,
          value: total,
        },
      );
    }
    return steps;
  }),
  sweep(inputs, options, element) {
    const { target } = valuesAt(inputs, {}, element).values;
    const range = options.log_input
      ? centeredOn(target > 0 ? Math.log(target) : -1, 3)
      : (current: number) => including(0.05, Math.max(3, 2 * target + 1), current, 0.5);
    return elementSweep({ input: "input", range })(inputs, options, element);
  },
  advise({ input }, options) {
    if (options.log_input) return [];
    const negative = input.data.find((v) => v + options.eps <= 0);
    if (negative === undefined) return [];
    return [{
      code: "negative-rate",
      field: "inputs.input",
      message: `log_input is false, so the input is the rate itself, but it holds ` +
        `${tex(negative)}: the log of a rate of 0 or less is not finite. Keep the rate ` +
        "positive (a softplus, or exp), or set log_input to true and pass its log.",
    }];
  },
  forward({ input, target }, { log_input: logInput, full, eps, reduction }, context) {
    const shape = broadcastShape(
      { field: "inputs.input", tensor: input },
      { field: "inputs.target", tensor: target },
    );
    const x = expandTo(input, shape).data;
    const y = expandTo(target, shape).data;
    const n = x.length;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const total = context.dtype === "float32"
      ? losses32(x as Float32Array, y as Float32Array, logInput, full, eps, losses)
      : losses64(x as Float64Array, y as Float64Array, logInput, full, eps, losses);
    return {
      output: reducedOutput(reduction, context.dtype, shape, total, losses, n),
      saved: { shape, x, y, input: input.data, inputShape: input.shape, logInput, eps, reduction },
    };
  },
  backward({ shape, x, y, input, inputShape, logInput, eps, reduction }, gradOutput, { dtype }) {
    const n = x.length;
    const f32 = dtype === "float32";
    const { perElement, each } = upstreamGradOf(reduction, gradOutput, n);
    const gradInput = allocate(dtype, input.length);
    if (input.length === n) {
      if (f32) {
        gradient32(
          input as Float32Array,
          y as Float32Array,
          perElement,
          each,
          logInput,
          eps,
          gradInput as Float32Array,
        );
      } else {
        gradient64(
          input as Float64Array,
          y as Float64Array,
          perElement,
          each,
          logInput,
          eps,
          gradInput as Float64Array,
        );
      }
      return { input: { shape: [...inputShape], data: gradInput } };
    }
    // loss = a(x) − y·b(x), a = exp or the identity, b = the identity or log(x + ε).  With a
    // broadcast target, the gradient of each term is summed onto the input's shape before it
    // is multiplied by the term's derivative, as autograd does: exp(x) · Σ g, not Σ exp(x) g
    // (so that ∞ · 0 and ∞ − ∞ arise where PyTorch has them).
    const direct = allocate(dtype, n);
    const throughTarget = allocate(dtype, n);
    for (let i = 0; i < n; i++) {
      const g = perElement ? perElement[i] : each;
      direct[i] = g;
      throughTarget[i] = -g * y[i];
    }
    const a = sumTo({ shape, data: direct }, inputShape).data;
    const b = sumTo({ shape, data: throughTarget }, inputShape).data;
    for (let i = 0; i < gradInput.length; i++) {
      const v = input[i];
      if (logInput) {
        const e = f32 ? exp32(v) : exp64(v);
        gradInput[i] = (f32 ? Math.fround(a[i] * e) : a[i] * e) + b[i];
      } else {
        const shifted = f32 ? Math.fround(v + Math.fround(eps)) : v + eps;
        gradInput[i] = a[i] + (f32 ? Math.fround(b[i] / shifted) : b[i] / shifted);
      }
    }
    return { input: { shape: [...inputShape], data: gradInput } };
  },
});

/**
 * exp(x) − y·x, or x − y·log(x + ε), with `full` plus Stirling's y·log y − y + ½·log(2π·y)
 * where y > 1, each operation rounded to float32 as PyTorch's float32 kernels give it.
 */
function losses32(
  x: Float32Array,
  y: Float32Array,
  logInput: boolean,
  full: boolean,
  eps: number,
  losses: FloatArray | null,
): number {
  const shift = Math.fround(eps);
  const twoPi = Math.fround(2 * Math.PI);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i], t = y[i];
    let loss = logInput
      ? Math.fround(exp32(v) - Math.fround(t * v))
      : Math.fround(v - Math.fround(t * log32(Math.fround(v + shift))));
    // PyTorch masks the term where target <= 1, so a NaN target keeps its NaN.
    if (full && !(t <= 1)) {
      const stirling = Math.fround(
        Math.fround(Math.fround(t * log32(t)) - t) +
          Math.fround(0.5 * log32(Math.fround(twoPi * t))),
      );
      loss = Math.fround(loss + stirling);
    }
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

function losses64(
  x: Float64Array,
  y: Float64Array,
  logInput: boolean,
  full: boolean,
  eps: number,
  losses: FloatArray | null,
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i], t = y[i];
    let loss = logInput ? exp64(v) - t * v : v - t * Math.log(v + eps);
    if (full && !(t <= 1)) loss += t * Math.log(t) - t + 0.5 * Math.log(2 * Math.PI * t);
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

/**
 * The gradient where the target has the input's shape: g·exp(x) − g·y, or g − g·y / (x + ε),
 * in float32 as autograd takes PyTorch's steps back.
 */
function gradient32(
  x: Float32Array,
  y: Float32Array,
  perElement: FloatArray | null,
  each: number,
  logInput: boolean,
  eps: number,
  gradInput: Float32Array,
): void {
  const shift = Math.fround(eps);
  for (let i = 0; i < x.length; i++) {
    const g = perElement ? perElement[i] : each;
    const throughTarget = Math.fround(-g * y[i]);
    gradInput[i] = logInput
      ? Math.fround(g * exp32(x[i])) + throughTarget
      : g + Math.fround(throughTarget / Math.fround(x[i] + shift));
  }
}

function gradient64(
  x: Float64Array,
  y: Float64Array,
  perElement: FloatArray | null,
  each: number,
  logInput: boolean,
  eps: number,
  gradInput: Float64Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const g = perElement ? perElement[i] : each;
    gradInput[i] = logInput ? g * exp64(x[i]) - g * y[i] : g - (g * y[i]) / (x[i] + eps);
  }
}
