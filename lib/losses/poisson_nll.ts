/**
 * `torch.nn.PoissonNLLLoss`: the negative log-likelihood of a Poisson-distributed target.
 *
 * Without `full`, the log(y_n!) of the registry's formula is left out.  With it, PyTorch adds
 * Stirling's approximation, y_n·log y_n − y_n + ½·log(2π·y_n), where y_n > 1 only (0 elsewhere).
 * The target broadcasts with the input, without the pointwise losses' warning.
 *
 * Gradient: ∂l/∂x = e^x − y with `log_input`, 1 − y / (x + eps) without; the Stirling term
 * depends on the target alone, so `full` leaves the gradient as it is.
 *
 * @module
 */
import { broadcastShape, expandTo, sumTo } from "../ops/broadcast.ts";
import { defineLoss } from "../core/definition.ts";
import type { FloatArray } from "../core/tensor.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGrad,
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
  formula: String
    .raw`\text{target} \sim \mathrm{Poisson}(\text{input}) \quad \text{loss}(\text{input}, \text{target}) = \text{input} - \text{target} * \log(\text{input}) + \log(\text{target!})`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: {
    x: { input: "input", from: -3, to: 3, label: "input x (the log of the rate)" },
    lines: [
      { label: "y = 0", values: { target: 0 } },
      { label: "y = 1", values: { target: 1 } },
      { label: "y = 3", values: { target: 3 } },
    ],
  },
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
      description: "`true`: the input is log λ and the loss is exp(input) − target·input; " +
        "`false`: the input is λ and the loss is input − target·log(input + eps)",
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
      description: "Added to the input inside the log when log_input is false, to avoid log(0)",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => {
    const counts = random.randint(0, 6, [3, 4]);
    return { input: random.randn([3, 4]), target: { shape: counts.shape, data: counts.data } };
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
    let total = 0;
    for (let i = 0; i < n; i++) {
      const t = y[i];
      let loss = logInput ? Math.exp(x[i]) - t * x[i] : x[i] - t * Math.log(x[i] + eps);
      // PyTorch masks the term where target <= 1, so a NaN target keeps its NaN.
      if (full && !(t <= 1)) loss += t * Math.log(t) - t + 0.5 * Math.log(2 * Math.PI * t);
      total += loss;
      if (losses) losses[i] = loss;
    }
    return {
      output: reducedOutput(reduction, context.dtype, shape, total, losses, n),
      saved: { shape, x, y, inputShape: input.shape, logInput, eps, reduction },
    };
  },
  backward({ shape, x, y, inputShape, logInput, eps, reduction }, gradOutput, { dtype }) {
    const n = x.length;
    const g = upstreamGrad(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    for (let i = 0; i < n; i++) {
      gradInput[i] = (logInput ? Math.exp(x[i]) - y[i] : 1 - y[i] / (x[i] + eps)) * g[i];
    }
    return { input: sumTo({ shape, data: gradInput }, inputShape) };
  },
});
