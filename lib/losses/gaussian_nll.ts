/**
 * `torch.nn.GaussianNLLLoss`: the negative log-likelihood of a target drawn from a Gaussian
 * whose mean is the input and whose variance is `var`.
 *
 * The constant of the registry's formula, ½·log(2π), is added only with `full`.  As in PyTorch,
 * a var with a negative entry is rejected.
 *
 * Gradient, with v = max(var, eps) and d = x − y: ∂l/∂x = d / v, ∂l/∂y = −d / v,
 * ∂l/∂var = ½·(1 / v − d² / v²), 0 where var = d².  PyTorch clamps var in place under
 * `no_grad`, so the gradient reaches var through the clamp as if it were the identity.
 *
 * @module
 */
import { broadcastShape, expandTo, sumTo } from "../ops/broadcast.ts";
import { defineLoss, type FloatInputs, type WorkedStep } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementSweep, valuesAt } from "../ops/element.ts";
import { centeredOn } from "./_explain.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import { type FloatArray, formatShape, sameShape } from "../core/tensor.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGrad,
} from "../ops/reduction.ts";

/** Options of {@link gaussianNLLLoss}. */
export interface GaussianNLLOptions {
  full: boolean;
  eps: number;
  reduction: Reduction;
}

interface GaussianNLLSaved {
  shape: number[];
  x: FloatArray;
  y: FloatArray;
  /** The variances over `shape`, clamped to eps. */
  v: Float64Array;
  inputShape: number[];
  targetShape: number[];
  /** var's shape as broadcast (a homoscedastic var gains a last size of 1). */
  varShape: number[];
  /** var's shape as given: its gradient's shape. */
  givenVarShape: number[];
  reduction: Reduction;
}

/**
 * The shape var takes in the computation, by PyTorch's rules: the input's shape, or that shape
 * with a last size of 1 (kept), or without its last dimension (a size of 1 is appended).
 *
 * @throws LossInputError when var has none of these shapes ("var is of incorrect size").
 */
export function gaussianVarShape(inputShape: number[], varShape: number[]): number[] {
  if (sameShape(varShape, inputShape)) return varShape;
  const inputLead = inputShape.slice(0, -1);
  if (sameShape(inputLead, varShape)) return [...varShape, 1];
  if (
    varShape.length > 0 && sameShape(inputLead, varShape.slice(0, -1)) &&
    varShape[varShape.length - 1] === 1
  ) {
    return varShape;
  }
  throw new LossInputError(
    "inputs.var",
    `inputs.var has shape ${formatShape(varShape)}, but var is of incorrect size: for an ` +
      `input of shape ${formatShape(inputShape)} it must have the input's shape, that shape ` +
      "with a last size of 1, or the input's shape without its last dimension",
  );
}

/**
 * The Gaussian negative log-likelihood loss, as `torch.nn.GaussianNLLLoss`.
 *
 * @example A variance equal to the squared error is the best one: its gradient is 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0, 0], [2]);
 * const target = ndarrayOf([1, 2], [2]);
 * const variance = ndarrayOf([1, 4], [2]);
 * const { output, grads } = computeLoss(
 *   "GaussianNLLLoss",
 *   { input, target, var: variance },
 *   {},
 *   { grad: true, dtype: "float64" },
 * );
 * assert.equal(output.get(), 0.5 + 0.5 * Math.LN2); // (½ (log 1 + 1) + ½ (log 4 + 1)) / 2
 * assert.deepEqual([...grads.input.data], [-0.5, -0.25]); // (x − y) / var / 2
 * assert.deepEqual([...grads.var.data], [0, 0]);
 * ```
 */
export const gaussianNLLLoss = defineLoss<GaussianNLLOptions, GaussianNLLSaved>({
  name: "GaussianNLLLoss",
  functional: "gaussian_nll_loss",
  slug: "gaussian-nll",
  category: "probabilistic",
  summary: "Negative log-likelihood of the target under a Gaussian of mean input and variance var",
  formula: String.raw`l_n = \frac{1}{2} \left( \log v_n + \frac{(x_n - y_n)^2}{v_n} \right),
\quad v_n = \max(\text{var}_n, \varepsilon)`,
  formulas: [{
    when: { full: true },
    tex: String.raw`l_n = \frac{1}{2} \left( \log v_n + \frac{(x_n - y_n)^2}{v_n} \right)
+ \frac{1}{2} \log 2\pi, \quad v_n = \max(\text{var}_n, \varepsilon)`,
  }],
  teaching: {
    measures: "The negative log-likelihood of $y_n$ under a Gaussian of mean $x_n$ and " +
      "variance $\\text{var}_n$ (at least $\\varepsilon$): half the log-variance plus the " +
      "squared error over twice the variance. Predicting the variance lets a model say how " +
      "sure it is: a large variance makes an error cheap, but adds half its log.",
    choose: "For regression that predicts its own uncertainty, one variance per element or " +
      "one per sample. With a fixed variance it is `MSELoss` scaled and shifted. " +
      "`PoissonNLLLoss` for counts; `HuberLoss` for robustness without a variance.",
    mistake: "Passing a standard deviation, or a log-variance, as `var`: it must be the " +
      "variance itself, at least 0 (PyTorch rejects negative entries). Predict a " +
      "log-variance and pass its exponential, or pass a softplus. A variance that collapses " +
      "to $\\varepsilon$ makes the loss, and its gradients, explode on any remaining error.",
    related: [
      { to: "MSELoss", why: "what it becomes with a fixed variance" },
      { to: "PoissonNLLLoss", why: "the likelihood of counts, whose variance is their mean" },
      { to: "HuberLoss", why: "robust regression without a variance" },
      { to: "/lessons/calibration", why: "whether predicted uncertainties mean what they say" },
    ],
  },
  keywords: [
    "probabilistic",
    "regression",
    "Gaussian",
    "likelihood",
    "uncertainty",
    "variance",
    "heteroscedastic",
    "negative log likelihood",
  ],
  outputShape: "scalar; (N, *), as the input, for reduction none",
  curve: {
    x: { input: "input", from: -3, to: 3, label: "predicted mean x (target y = 0)" },
    lines: [
      { label: "var = 0.5", values: { target: 0, var: 0.5 } },
      { label: "var = 1", values: { target: 0, var: 1 } },
      { label: "var = 2", values: { target: 0, var: 2 } },
    ],
  },
  inputs: [
    {
      name: "input",
      description: "The expectation of the Gaussian distribution",
      shape: "(N, *) or (*)",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "A sample from the Gaussian distribution",
      shape: "(N, *) or (*): the input's shape, or one that broadcasts with it",
      kind: "float",
      differentiable: true,
    },
    {
      name: "var",
      description: "The variances (>= 0), one per element or one per sample (homoscedastic)",
      shape: "(N, *) or (*), the input's shape; or that shape with a last size of 1, or without " +
        "its last dimension (homoscedastic)",
      kind: "float",
      differentiable: true,
    },
  ],
  options: [
    {
      name: "full",
      type: "boolean",
      default: false,
      description: "Whether to add the constant ½·log(2π) to each element's loss",
    },
    {
      name: "eps",
      type: "number",
      default: 1e-6,
      symbol: String.raw`\varepsilon`,
      description: "The variances are clamped to at least eps, for stability",
    },
    reductionOption(),
  ],
  sample: (random) => ({
    input: random.randn([5, 3]),
    target: random.randn([5, 3]),
    var: random.rand([5, 3]),
  }),
  explain: {
    element(inputs, options, element) {
      const reshaped = withVarShape(inputs);
      const { position, values } = valuesAt(reshaped, {}, element);
      const { input: x, target: y, var: variance } = values;
      // var is clamped in the dtype, as the forward does.
      const eps = options.eps;
      const floor = inputs.input.data instanceof Float32Array ? Math.fround(eps) : eps;
      const v = variance < eps ? floor : variance;
      const d = x - y;
      const log = Math.log(v);
      const ratio = d * d / v;
      const half = 0.5 * (log + ratio);
      const steps: WorkedStep[] = [
        {
          label: "the predicted mean, the target and the variance",
          tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)},\\ \\text{var}_n = ${tex(variance)}`,
          value: x,
        },
        {
          label: variance < eps
            ? "the variance, raised to ε"
            : "the variance, at least ε: unchanged",
          tex: `v_n = \\max(${tex(variance)}, ${tex(floor)}) = ${tex(v)}`,
          value: v,
        },
        { label: "the error", tex: `x_n - y_n = ${tex(d)}`, value: d },
        {
          label: "the squared error over the variance",
          tex: `\\frac{${texTerm(d)}^2}{${tex(v)}} = ${tex(ratio)}`,
          value: ratio,
        },
        { label: "the log of the variance", tex: `\\log v_n = ${tex(log)}`, value: log },
        {
          label: options.full ? "half their sum" : "half their sum: the element's loss",
          tex: `${options.full ? "" : "l_n = "}\\frac{1}{2} (${tex(log)} + ${texTerm(ratio)}) = ${
            tex(half)
          }`,
          value: half,
        },
      ];
      if (options.full) {
        const loss = half + 0.5 * Math.log(2 * Math.PI);
        steps.push({
          label: "plus the constant ½ log 2π (full): the element's loss",
          tex: `l_n = ${tex(half)} + ${tex(0.5 * Math.log(2 * Math.PI))} = ${tex(loss)}`,
          value: loss,
        });
      }
      return { label: position ? `element ${position}` : "the only element", steps };
    },
  },
  sweep(inputs, options, element) {
    const reshaped = withVarShape(inputs);
    const { target, var: variance } = valuesAt(reshaped, {}, element).values;
    const spread = 3 * Math.sqrt(Math.max(variance, options.eps));
    const range = centeredOn(target, Number.isFinite(spread) ? Math.max(2, spread) : 2);
    return elementSweep({ input: "input", range })(reshaped, options, element);
  },
  forward({ input, target, var: variance }, { full, eps, reduction }, context) {
    const vars = variance.data;
    for (let i = 0; i < vars.length; i++) {
      if (vars[i] < 0) {
        const field = elementField("inputs.var", variance.shape, i);
        throw new LossInputError(
          field,
          `${field} is ${vars[i]}, but var has negative entry/entries: variances must be >= 0`,
        );
      }
    }
    const varShape = gaussianVarShape(input.shape, variance.shape);
    const reshapedVar = { shape: varShape, data: vars };
    const shape = broadcastShape(
      { field: "inputs.input", tensor: input },
      { field: "inputs.target", tensor: target },
      { field: "inputs.var", tensor: reshapedVar },
    );
    const x = expandTo(input, shape).data;
    const y = expandTo(target, shape).data;
    const expandedVar = expandTo(reshapedVar, shape).data;
    const n = x.length;
    // var is clamped in the dtype, as PyTorch's clamp_ writes into a tensor of that dtype.
    const clamped = allocate(context.dtype, n);
    for (let i = 0; i < n; i++) clamped[i] = expandedVar[i] < eps ? eps : expandedVar[i];
    const v = Float64Array.from(clamped);
    const constant = full ? 0.5 * Math.log(2 * Math.PI) : 0;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = x[i] - y[i];
      const loss = 0.5 * (Math.log(v[i]) + d * d / v[i]) + constant;
      total += loss;
      if (losses) losses[i] = loss;
    }
    return {
      output: reducedOutput(reduction, context.dtype, shape, total, losses, n),
      saved: {
        shape,
        x,
        y,
        v,
        inputShape: input.shape,
        targetShape: target.shape,
        varShape,
        givenVarShape: variance.shape,
        reduction,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { shape, x, y, v } = saved;
    const n = x.length;
    const g = upstreamGrad(saved.reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    const gradTarget = allocate(dtype, n);
    const gradVar = allocate(dtype, n);
    for (let i = 0; i < n; i++) {
      const d = x[i] - y[i];
      const scaled = d / v[i];
      gradInput[i] = scaled * g[i];
      gradTarget[i] = -scaled * g[i];
      gradVar[i] = 0.5 * (1 / v[i] - scaled * scaled) * g[i];
    }
    const varGrad = sumTo({ shape, data: gradVar }, saved.varShape);
    return {
      input: sumTo({ shape, data: gradInput }, saved.inputShape),
      target: sumTo({ shape, data: gradTarget }, saved.targetShape),
      var: { shape: [...saved.givenVarShape], data: varGrad.data },
    };
  },
});

/** The inputs with var in the shape it takes in the computation ({@link gaussianVarShape}). */
function withVarShape(inputs: FloatInputs): FloatInputs {
  const shape = gaussianVarShape(inputs.input.shape, inputs.var.shape);
  return { ...inputs, var: { shape, data: inputs.var.data } };
}
