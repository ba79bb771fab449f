/**
 * `torch.nn.BCELoss`: the binary cross entropy between probabilities and targets.
 *
 * As PyTorch, each log is clamped at −100, so the loss stays finite at x = 0 or 1, and
 * log(1 − x) is computed as log1p(−x).  `mean` divides by the number of elements, whatever the
 * weights.
 *
 * Gradient: ∂l/∂x = w (x − y) / max((1 − x) x, ε), ε = 1e-12 rounded to float32 (PyTorch's
 * `EPSILON` is a float, in float64 too), which keeps it finite where the log was clamped; no
 * gradient with respect to the target; computed as PyTorch's kernel does, grad_output times
 * (x − y) over the floor, times w, and only then divided by n for `mean`.  float32 rounds each
 * step as PyTorch's float32 kernels do.
 *
 * @module
 */
import { defineLoss, type WorkedStep } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementExplainer, elementSweep } from "../ops/element.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import { torchSize } from "../ops/broadcast.ts";
import { elementWeightOption, expandOntoInput } from "../ops/expand_onto_input.ts";
import { log1p32, log32 } from "../ops/exp_log.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  type ScaledGrad,
  scaledGradOf,
} from "../ops/reduction.ts";
import type { FloatArray, FloatDense } from "../core/tensor.ts";
import { sameShape } from "../core/tensor.ts";

/** Options of {@link bceLoss}. */
export interface BCEOptions {
  weight: FloatDense | null;
  reduction: Reduction;
}

interface BCESaved {
  x: FloatArray;
  y: FloatArray;
  /** The weight over the input's shape, or null. */
  w: FloatArray | null;
  shape: number[];
  reduction: Reduction;
}

/** PyTorch's floor on (1 − x) x in the gradient: 1e-12, rounded to float32 as PyTorch does. */
const EPSILON = Math.fround(1e-12);

/**
 * The binary cross entropy of probabilities, as `torch.nn.BCELoss`.
 *
 * @example A probability of 1 for a target of 0: the log clamped at −100, the divisor at ε
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 0.5], [2]);
 * const target = ndarrayOf([0, 1], [2]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("BCELoss", { input, target }, {}, settings);
 * assert.equal(output.get(), (100 + Math.LN2) / 2); // 50.3465735...
 * assert.equal(grads.input.get(0), 1 / Math.fround(1e-12) / 2); // 500000001997.9014
 * assert.equal(grads.input.get(1), -1); // (0.5 − 1) / (0.5 · 0.5) / 2
 * ```
 */
export const bceLoss = defineLoss<BCEOptions, BCESaved>({
  name: "BCELoss",
  functional: "binary_cross_entropy",
  slug: "bce",
  category: "binary",
  summary: "Binary cross entropy between predicted probabilities and target probabilities",
  formula: String.raw`l_n = -\left[ y_n \log x_n + (1 - y_n) \log (1 - x_n) \right]`,
  formulas: [{
    when: { weight: { not: null } },
    tex: String.raw`l_n = -w_n \left[ y_n \log x_n + (1 - y_n) \log (1 - x_n) \right]`,
  }],
  teaching: {
    measures: "The negative log-likelihood of a label under a predicted probability: " +
      "$-\\log x_n$ when $y_n = 1$, $-\\log(1 - x_n)$ when $y_n = 0$, and the mix of the two " +
      "for a soft target. A confident wrong probability costs without bound, so PyTorch " +
      "clamps each log at $-100$: a probability of exactly 0 or 1 on the wrong side costs 100.",
    choose: "Only when the model's output already is a probability and the logit before it " +
      "is out of reach. Otherwise `BCEWithLogitsLoss` computes the same loss from the logit, " +
      "stably, with the gradient $\\sigma(x_n) - y_n$, and a `pos_weight` for imbalance. For " +
      "exactly one of C classes, `CrossEntropyLoss`.",
    mistake: "A sigmoid followed by `BCELoss`: past a logit of about 17 the float32 sigmoid " +
      "rounds to exactly 1, a label of 0 then costs the clamped 100, and the gradient " +
      "reaching the logit is exactly 0, so the model cannot learn its way back. Drop the " +
      "sigmoid and give the logits to `BCEWithLogitsLoss`. Also, `weight` rescales elements, " +
      "but `mean` still divides by their number, not by the weights' sum.",
    related: [
      { to: "BCEWithLogitsLoss", why: "the same loss from logits: stable, with pos_weight" },
      { to: "CrossEntropyLoss", why: "for one right class among C" },
      { to: "/notebook#bce-title", why: "BCELoss on sigmoid(logits) and BCEWithLogitsLoss agree" },
      { to: "/lessons/stability", why: "why the loss from the logit is the stable one" },
      { to: "/lessons/calibration", why: "what a predicted probability should mean" },
    ],
  },
  keywords: [
    "classification",
    "binary",
    "multi-label",
    "probability",
    "log loss",
    "cross entropy",
    "sigmoid",
  ],
  outputShape: "scalar; (*), as the input, for reduction none",
  inputs: [
    {
      name: "input",
      description: "The predicted probabilities, in [0, 1]",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The target probabilities (usually 0 or 1), in [0, 1]",
      shape: "(*): the input's shape",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [
    elementWeightOption(),
    reductionOption(),
  ],
  legacyReduction: true,
  sample(random) {
    const logits = random.randn([10]);
    const probs = logits.data.map((v) => 1 / (1 + Math.exp(-v)));
    const labels = random.randint(0, 2, [10]).data;
    return { input: { shape: [10], data: probs }, target: { shape: [10], data: labels } };
  },
  explain: elementExplainer<BCEOptions>(({ input: x, target: y, "options.weight": w }) => {
    const logX = Math.max(Math.log(x), -100);
    const log1mX = Math.max(Math.log1p(-x), -100);
    let loss = (y - 1) * log1mX - y * logX;
    const steps: WorkedStep[] = [
      {
        label: "the probability and the target",
        tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)}`,
        value: x,
      },
      {
        label: logX === -100 && Math.log(x) < -100
          ? "the log of the probability, clamped at −100"
          : "the log of the probability",
        tex: `\\log x_n = ${tex(logX)}`,
        value: logX,
      },
      {
        label: log1mX === -100 && Math.log1p(-x) < -100
          ? "the log of its complement, clamped at −100"
          : "the log of its complement",
        tex: `\\log(1 - x_n) = ${tex(log1mX)}`,
        value: log1mX,
      },
    ];
    const unweighted = loss;
    const mix = `-[${tex(y)} \\cdot ${texTerm(logX)} + ${texTerm(1 - y)} \\cdot ${
      texTerm(log1mX)
    }]`;
    steps.push({
      label: w === undefined
        ? "their mix by the target, negated: the element's loss"
        : "their mix by the target, negated",
      tex: `${w === undefined ? "l_n = " : ""}${mix} = ${tex(loss)}`,
      value: loss,
    });
    if (w !== undefined) {
      loss *= w;
      steps.push({
        label: "times the element's weight: its loss",
        tex: `l_n = w_n \\cdot ${texTerm(unweighted)} = ${tex(w)} \\cdot ${texTerm(unweighted)} = ${
          tex(loss)
        }`,
        value: loss,
      });
    }
    return steps;
  }, ["weight"]),
  sweep(inputs, options, element) {
    const range = (current: number): [number, number] => [
      Math.min(0.01, Number.isFinite(current) ? current : 0.01),
      Math.max(0.99, Number.isFinite(current) ? current : 0.99),
    ];
    return elementSweep({ input: "input", range, elementOptions: ["weight"] })(
      inputs,
      options,
      element,
    );
  },
  advise({ input, target }) {
    const x = input.data, y = target.data;
    for (let i = 0; i < x.length; i++) {
      if ((x[i] === 0 && y[i] > 0) || (x[i] === 1 && y[i] < 1)) {
        const field = elementField("inputs.input", input.shape, i);
        return [{
          code: "saturated-probabilities",
          field: "inputs.input",
          message: `${field} is exactly ${x[i]} against a target of ${tex(y[i])}: BCELoss ` +
            "clamps the log at −100 there, and a sigmoid that rounded to 0 or 1 passes no " +
            "gradient back to its logit. Give the logits to BCEWithLogitsLoss instead of " +
            "taking their sigmoid first.",
        }];
      }
    }
    return [];
  },
  forward({ input, target }, { weight, reduction }, context) {
    if (!sameShape(input.shape, target.shape)) {
      throw new LossInputError(
        "inputs.target",
        `inputs.target has size ${torchSize(target.shape)}, different to the input size ` +
          `${torchSize(input.shape)}; PyTorch requires the same size`,
      );
    }
    const x = input.data;
    const y = target.data;
    const shape = input.shape;
    const w = weight ? expandOntoInput(weight, "options.weight", input.shape) : null;
    const n = x.length;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const total = context.dtype === "float32"
      ? losses32(x as Float32Array, y as Float32Array, w, losses as Float32Array | null, shape)
      : losses64(x as Float64Array, y as Float64Array, w, losses as Float64Array | null, shape);
    return {
      output: reducedOutput(reduction, context.dtype, input.shape, total, losses, n),
      saved: { x, y, w, shape: input.shape, reduction },
    };
  },
  backward({ x, y, w, shape, reduction }, gradOutput, { dtype }) {
    const n = x.length;
    const upstream = scaledGradOf(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    if (dtype === "float32") {
      gradient32(x as Float32Array, y as Float32Array, w, upstream, gradInput as Float32Array);
    } else {
      gradient64(x as Float64Array, y as Float64Array, w, upstream, gradInput as Float64Array);
    }
    return { input: { shape, data: gradInput } };
  },
});

/**
 * Throws for the first element of x or y outside [0, 1] (NaN included), as PyTorch does, the
 * input's before the target's.
 */
function checkProbabilities(x: FloatArray, y: FloatArray, shape: number[]): void {
  for (let i = 0; i < x.length; i++) {
    const p = x[i], t = y[i];
    if (!(p >= 0 && p <= 1)) {
      const field = elementField("inputs.input", shape, i);
      throw new LossInputError(
        field,
        `${field} is ${p}, but all elements of input should be between 0 and 1`,
      );
    }
    if (!(t >= 0 && t <= 1)) {
      const field = elementField("inputs.target", shape, i);
      throw new LossInputError(
        field,
        `${field} is ${t}, but all elements of target should be between 0 and 1`,
      );
    }
  }
}

/**
 * (y − 1)·max(log1p(−x), −100) − y·max(log x, −100), times w, each step in float32.  The range
 * check rides along (p(1 − p) ≥ 0 holds exactly for p in [0, 1], and not for NaN): a loop of its
 * own over both dtypes' arrays cost as much as the loss.
 */
function losses32(
  x: Float32Array,
  y: Float32Array,
  w: FloatArray | null,
  losses: Float32Array | null,
  shape: number[],
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const p = x[i], t = y[i];
    if (!(p * (1 - p) >= 0 && t * (1 - t) >= 0)) checkProbabilities(x, y, shape);
    const logP = Math.max(log32(p), -100);
    const logQ = Math.max(log1p32(-p), -100);
    let loss = Math.fround(Math.fround(Math.fround(t - 1) * logQ) - Math.fround(t * logP));
    if (w) loss = Math.fround(loss * w[i]);
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

function losses64(
  x: Float64Array,
  y: Float64Array,
  w: FloatArray | null,
  losses: Float64Array | null,
  shape: number[],
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const p = x[i], t = y[i];
    if (!(p * (1 - p) >= 0 && t * (1 - t) >= 0)) checkProbabilities(x, y, shape);
    let loss = (t - 1) * Math.max(Math.log1p(-p), -100) - t * Math.max(Math.log(p), -100);
    if (w) loss *= w[i];
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

/** grad · (x − y) / max((1 − x) x, ε), times w, then / n for `mean`, each step in float32. */
function gradient32(
  x: Float32Array,
  y: Float32Array,
  w: FloatArray | null,
  { perElement, each, norm }: ScaledGrad,
  gradInput: Float32Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    const g = perElement ? perElement[i] : each;
    const floor = Math.max(Math.fround(Math.fround(1 - p) * p), EPSILON);
    let grad = Math.fround(Math.fround(g * Math.fround(p - y[i])) / floor);
    if (w) grad = Math.fround(grad * w[i]);
    gradInput[i] = norm === 1 ? grad : grad * norm;
  }
}

function gradient64(
  x: Float64Array,
  y: Float64Array,
  w: FloatArray | null,
  { perElement, each, norm }: ScaledGrad,
  gradInput: Float64Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    const g = perElement ? perElement[i] : each;
    let grad = (g * (p - y[i])) / Math.max((1 - p) * p, EPSILON);
    if (w) grad *= w[i];
    gradInput[i] = norm === 1 ? grad : grad * norm;
  }
}
