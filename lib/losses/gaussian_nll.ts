/**
 * `torch.nn.GaussianNLLLoss`: the negative log-likelihood of a target drawn from a Gaussian
 * whose mean is the input and whose variance is `var`.
 *
 * The constant of the registry's formula, ½·log(2π), is added only with `full`.  As in PyTorch
 * 2.11, a var with a negative entry is rejected before its shape is checked, and var may have the
 * input's shape, that shape without its last dimension, or a size of 1 in one of its dimensions,
 * along which it broadcasts ({@link gaussianVarShape}).
 *
 * Gradient, with v = max(var, eps) and d = x − y: ∂l/∂x = d / v, ∂l/∂y = −d / v,
 * ∂l/∂var = ½·(1 / v − d² / v²), 0 where var = d².  PyTorch clamps var in place under
 * `no_grad`, so the gradient reaches var through the clamp as if it were the identity.  Computed
 * as autograd takes PyTorch's steps back (½ (log v + (x − y)² / v)), each in the dtype: in float32
 * a square that overflows makes the loss +∞ and var's gradient −∞, as in PyTorch.
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
import { log32 } from "../ops/exp_log.ts";
import {
  allocate,
  inDtypeOf,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGradOf,
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
  v: FloatArray;
  /** The variances clamped to eps, in var's own (reshaped) shape. */
  clamped: FloatArray;
  inputShape: number[];
  targetShape: number[];
  /** var's shape as broadcast (a homoscedastic var gains a last size of 1). */
  varShape: number[];
  /** var's shape as given: its gradient's shape. */
  givenVarShape: number[];
  reduction: Reduction;
}

/**
 * The shape var takes in the computation, by PyTorch 2.11's rules: the input's shape; that shape
 * without its last dimension (a size of 1 is appended); or, with the input's number of
 * dimensions, a shape that differs from the input's in exactly one dimension, where var's size is
 * 1 (kept, and broadcast along it: the input's shape with a last size of 1 is one such).
 *
 * @throws LossInputError when var has none of these shapes ("var is of incorrect size").
 */
export function gaussianVarShape(inputShape: number[], varShape: number[]): number[] {
  if (sameShape(varShape, inputShape)) return varShape;
  const inputLead = inputShape.slice(0, -1);
  if (sameShape(inputLead, varShape)) return [...varShape, 1];
  if (varShape.length === inputShape.length) {
    const differing = varShape.flatMap((size, d) => size === inputShape[d] ? [] : [d]);
    if (differing.length === 1 && varShape[differing[0]] === 1) return varShape;
  }
  throw new LossInputError(
    "inputs.var",
    `inputs.var has shape ${formatShape(varShape)}, but var is of incorrect size: for an ` +
      `input of shape ${formatShape(inputShape)} it must have the input's shape, that shape ` +
      "without its last dimension, or that shape with a size of 1 in exactly one dimension",
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
    const f32 = context.dtype === "float32";
    // var is clamped in its own shape and dtype, as PyTorch's clamp_ on a clone of it.
    const floor = f32 ? Math.fround(eps) : eps;
    const clamped = allocate(context.dtype, vars.length);
    const negative = f32
      ? clampVariances32(vars as Float32Array, floor, clamped)
      : clampVariances64(vars as Float64Array, floor, clamped);
    if (negative >= 0) {
      const field = elementField("inputs.var", variance.shape, negative);
      throw new LossInputError(
        field,
        `${field} is ${vars[negative]}, but var has negative entry/entries: variances must be >= 0`,
      );
    }
    const varShape = gaussianVarShape(input.shape, variance.shape);
    const reshapedVar = { shape: varShape, data: clamped };
    const shape = broadcastShape(
      { field: "inputs.input", tensor: input },
      { field: "inputs.target", tensor: target },
      { field: "inputs.var", tensor: reshapedVar },
    );
    const x = expandTo(input, shape).data;
    const y = expandTo(target, shape).data;
    const v = expandTo(reshapedVar, shape).data;
    const n = x.length;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const constant = full ? 0.5 * Math.log(2 * Math.PI) : 0;
    const total = f32
      ? losses32(x as Float32Array, y as Float32Array, v as Float32Array, constant, losses)
      : losses64(x as Float64Array, y as Float64Array, v as Float64Array, constant, losses);
    return {
      output: reducedOutput(reduction, context.dtype, shape, total, losses, n),
      saved: {
        shape,
        x,
        y,
        v,
        clamped,
        inputShape: input.shape,
        targetShape: target.shape,
        varShape,
        givenVarShape: variance.shape,
        reduction,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { shape, x, y, v, clamped, varShape } = saved;
    const n = x.length;
    const { perElement, each } = upstreamGradOf(saved.reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    const gradTarget = allocate(dtype, n);
    const gradVar = allocate(dtype, clamped.length);
    // The gradient of ½ (log var + (x − y)² / var) reaching log var, and the one reaching var
    // through the quotient; var's gradient straight from them where var does not broadcast.
    const broadcast = clamped.length !== n;
    const grads: VarianceGrads = {
      input: gradInput,
      target: gradTarget,
      log: broadcast ? allocate(dtype, n) : null,
      quotient: broadcast ? allocate(dtype, n) : null,
      variance: broadcast ? null : gradVar,
    };
    if (dtype === "float32") {
      gradients32(x as Float32Array, y as Float32Array, v as Float32Array, perElement, each, grads);
    } else {
      gradients64(x as Float64Array, y as Float64Array, v as Float64Array, perElement, each, grads);
    }
    if (grads.log && grads.quotient) {
      // log var has var's shape: its gradient is summed over the broadcast dimensions before it
      // is divided by var, as autograd does (so that ∞ and −∞ from different rows meet in the
      // sum, not after it).
      const summedLog = sumTo({ shape, data: grads.log }, varShape).data;
      const summedQuotient = sumTo({ shape, data: grads.quotient }, varShape).data;
      for (let i = 0; i < gradVar.length; i++) {
        gradVar[i] = inDtypeOf(gradVar, summedLog[i] / clamped[i]) + summedQuotient[i];
      }
    }
    return {
      input: sumTo({ shape, data: gradInput }, saved.inputShape),
      target: sumTo({ shape, data: gradTarget }, saved.targetShape),
      var: { shape: [...saved.givenVarShape], data: gradVar },
    };
  },
});

/**
 * ½ (log v + (x − y)² / v) (+ ½ log 2π with `full`), each operation rounded to float32 as
 * PyTorch's `log`, `sub`, `pow`, `div`, `add` and `mul` give it.
 */
function losses32(
  x: Float32Array,
  y: Float32Array,
  v: Float32Array,
  constant: number,
  losses: FloatArray | null,
): number {
  const shift = Math.fround(constant);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.fround(x[i] - y[i]);
    const quotient = Math.fround(Math.fround(d * d) / v[i]);
    const half = Math.fround(0.5 * Math.fround(log32(v[i]) + quotient));
    const loss = constant === 0 ? half : Math.fround(half + shift);
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

function losses64(
  x: Float64Array,
  y: Float64Array,
  v: Float64Array,
  constant: number,
  losses: FloatArray | null,
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - y[i];
    const loss = 0.5 * (Math.log(v[i]) + (d * d) / v[i]) + constant;
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

/**
 * Clamps each variance to `floor` into `out` (NaN passes); returns the index of the first
 * negative one, or −1.
 */
function clampVariances32(vars: Float32Array, floor: number, out: FloatArray): number {
  let negative = -1;
  for (let i = 0; i < vars.length; i++) {
    const value = vars[i];
    if (value < 0 && negative < 0) negative = i;
    out[i] = value < floor ? floor : value;
  }
  return negative;
}

function clampVariances64(vars: Float64Array, floor: number, out: FloatArray): number {
  let negative = -1;
  for (let i = 0; i < vars.length; i++) {
    const value = vars[i];
    if (value < 0 && negative < 0) negative = i;
    out[i] = value < floor ? floor : value;
  }
  return negative;
}

/**
 * Where the gradients go: input's and target's always; var's either through `log` and
 * `quotient` (per element, for the caller to sum onto a broadcast var's shape) or, where var
 * does not broadcast, straight into `variance`.
 */
interface VarianceGrads {
  input: FloatArray;
  target: FloatArray;
  log: FloatArray | null;
  quotient: FloatArray | null;
  variance: FloatArray | null;
}

/**
 * Autograd's steps back through the loss, in float32: g/2 reaches log v and the quotient
 * (x − y)²/v; the quotient passes g/2/v to (x − y)², which passes it times 2(x − y) to x and −y;
 * and −g/2 · ((x − y)²/v)/v to v; log v passes g/2 / v to v.
 */
function gradients32(
  x: Float32Array,
  y: Float32Array,
  v: Float32Array,
  perElement: FloatArray | null,
  each: number,
  { input, target, log, quotient, variance }: VarianceGrads,
): void {
  for (let i = 0; i < x.length; i++) {
    const vi = v[i];
    const d = Math.fround(x[i] - y[i]);
    const half = Math.fround(0.5 * (perElement ? perElement[i] : each));
    const gradSquare = Math.fround(half / vi);
    const gradX = Math.fround(gradSquare * Math.fround(2 * d));
    input[i] = gradX;
    target[i] = -gradX;
    const throughQuotient = -half * Math.fround(Math.fround(Math.fround(d * d) / vi) / vi);
    if (variance) {
      variance[i] = gradSquare + Math.fround(throughQuotient);
    } else if (log && quotient) {
      log[i] = half;
      quotient[i] = throughQuotient;
    }
  }
}

function gradients64(
  x: Float64Array,
  y: Float64Array,
  v: Float64Array,
  perElement: FloatArray | null,
  each: number,
  { input, target, log, quotient, variance }: VarianceGrads,
): void {
  for (let i = 0; i < x.length; i++) {
    const vi = v[i];
    const d = x[i] - y[i];
    const half = 0.5 * (perElement ? perElement[i] : each);
    const gradSquare = half / vi;
    const gradX = gradSquare * (2 * d);
    input[i] = gradX;
    target[i] = -gradX;
    const throughQuotient = -half * (((d * d) / vi) / vi);
    if (variance) {
      variance[i] = gradSquare + throughQuotient;
    } else if (log && quotient) {
      log[i] = half;
      quotient[i] = throughQuotient;
    }
  }
}

/** The inputs with var in the shape it takes in the computation ({@link gaussianVarShape}). */
function withVarShape(inputs: FloatInputs): FloatInputs {
  const shape = gaussianVarShape(inputs.input.shape, inputs.var.shape);
  return { ...inputs, var: { shape, data: inputs.var.data } };
}
