/**
 * `torch.nn.SoftMarginLoss`: the two-class logistic loss, for targets 1 or −1.
 *
 * PyTorch multiplies the target into the input in place, so a target that broadcasts to the
 * input's shape is accepted, without the pointwise losses' warning.
 *
 * Gradient: ∂l/∂x = −y · z / (1 + z), z = exp(−y x); no gradient with respect to the target.
 * As PyTorch, computed naively: exp(−y x) overflows for y x < −709 (float64), < −88.7 (float32),
 * where the loss is +∞ and its gradient NaN (∞ / ∞); float32 rounds each step as PyTorch's float32
 * kernels do.
 *
 * @module
 */
import { clampMinZero, select } from "../ops/branchless.ts";
import { defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { around, elementExplainer, elementSweep } from "../ops/element.ts";
import { firstNotIn, notPlusMinusOne } from "./_explain.ts";
import { expandOntoInput } from "../ops/expand_onto_input.ts";
import { exp32, exp64, softplusOfNegative64 } from "../ops/exp_log.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  type ScaledGrad,
  scaledGradOf,
} from "../ops/reduction.ts";
import { softplusOfNegative } from "../ops/softplus.ts";
import type { FloatArray } from "../core/tensor.ts";

/** Options of {@link softMarginLoss}. */
export interface SoftMarginOptions {
  reduction: Reduction;
}

interface SoftMarginSaved {
  x: FloatArray;
  y: FloatArray;
  shape: number[];
  reduction: Reduction;
}

/**
 * The soft margin loss, as `torch.nn.SoftMarginLoss`.
 *
 * @example A score of 0 costs log 2; the target flips the sign of the gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0, 1], [2]);
 * const target = ndarrayOf([1, -1], [2]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("SoftMarginLoss", { input, target }, {}, settings);
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(), (Math.LN2 + Math.log(1 + Math.E)) / 2)); // 1.0032044...
 * assert.ok(near(grads.input.get(0), -0.25)); // −1 · 1 / (1 + 1) / 2
 * assert.ok(near(grads.input.get(1), Math.E / (1 + Math.E) / 2)); // 0.3655292...
 * ```
 */
export const softMarginLoss = defineLoss<SoftMarginOptions, SoftMarginSaved>({
  name: "SoftMarginLoss",
  functional: "soft_margin_loss",
  slug: "soft-margin",
  category: "binary",
  summary: "Two-class logistic loss log(1 + exp(-y x)) for targets 1 or -1",
  formula: String.raw`l_n = \log\left(1 + e^{-y_n x_n}\right)`,
  teaching: {
    measures: "The logistic loss of a score against a label of ±1: $\\log(1 + e^{-y_n x_n})$, " +
      "near 0 when the score has the label's sign by a wide margin, $\\log 2$ at a score of 0, " +
      "and growing linearly with a wrong-signed score. It is `BCEWithLogitsLoss` written for " +
      "±1 labels: with $t_n = (y_n + 1) / 2$ the two give the same numbers.",
    choose: "When the labels already are ±1 (SVM-style data) and you want a smooth, " +
      "everywhere-differentiable alternative to the hinge. Otherwise `BCEWithLogitsLoss` " +
      "computes the same loss stably and takes weights; `MarginRankingLoss` and " +
      "`HingeEmbeddingLoss` are hinge-shaped relatives.",
    mistake: "Labels of 0 and 1: a label of 0 costs $\\log 2$ whatever the score, with a zero " +
      "gradient, so the negatives teach nothing. Map them with $2y - 1$. Also PyTorch " +
      "computes $e^{-y_n x_n}$ as it is, which overflows to ∞ in float32 once $y_n x_n$ falls " +
      "below about −88.",
    related: [
      { to: "BCEWithLogitsLoss", why: "the same loss for 0/1 labels, computed stably" },
      { to: "MultiLabelSoftMarginLoss", why: "the logistic loss per class, for several labels" },
      { to: "HingeEmbeddingLoss", why: "a hinge instead of the logistic curve" },
    ],
  },
  keywords: ["classification", "binary", "logistic", "±1 labels", "margin", "SVM"],
  outputShape: "scalar; (*), as the input, for reduction none",
  inputs: [
    {
      name: "input",
      description: "The scores",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The labels, 1 or -1",
      shape: "(*): the input's shape, or one that broadcasts to it",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [reductionOption()],
  legacyReduction: true,
  sample(random) {
    const signs = random.randint(0, 2, [3, 5]).data.map((bit) => 2 * bit - 1);
    return { input: random.randn([3, 5]), target: { shape: [3, 5], data: signs } };
  },
  explain: elementExplainer<SoftMarginOptions>(({ input: x, target: y }) => {
    const z = Math.exp(-x * y);
    const loss = Math.log1p(z);
    return [
      { label: "the score and the label", tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)}`, value: x },
      {
        label: "their product: positive when the score has the label's sign",
        tex: `y_n x_n = ${tex(x * y)}`,
        value: x * y,
      },
      { label: "e to minus the product", tex: `e^{-y_n x_n} = ${tex(z)}`, value: z },
      {
        label: "log(1 + that): the element's loss",
        tex: `l_n = \\log(1 + ${texTerm(z)}) = ${tex(loss)}`,
        value: loss,
      },
    ];
  }),
  sweep: elementSweep({ input: "input", range: around(4) }),
  advise({ target }) {
    const value = firstNotIn(target.data, [1, -1]);
    if (value === undefined) return [];
    return [
      notPlusMinusOne("SoftMarginLoss", value, "a label of 0 costs log 2 whatever the score"),
    ];
  },
  forward({ input, target }, { reduction }, context) {
    const x = input.data;
    const y = expandOntoInput(target, "inputs.target", input.shape);
    const n = x.length;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const total = context.dtype === "float32"
      ? losses32(x as Float32Array, y as Float32Array, losses as Float32Array | null)
      : losses64(x as Float64Array, y as Float64Array, losses as Float64Array | null);
    return {
      output: reducedOutput(reduction, context.dtype, input.shape, total, losses, n),
      saved: { x, y, shape: input.shape, reduction },
    };
  },
  backward({ x, y, shape, reduction }, gradOutput, { dtype }) {
    const n = x.length;
    const upstream = scaledGradOf(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    if (dtype === "float32") {
      gradient32(x as Float32Array, y as Float32Array, upstream, gradInput as Float32Array);
    } else {
      gradient64(x as Float64Array, y as Float64Array, upstream, gradInput as Float64Array);
    }
    return { input: { shape, data: gradInput } };
  },
});

/** The largest float32 z whose exp is finite: log1p(exp(z)) is +∞ above it, as in PyTorch. */
const EXP_FINITE_32 = 88.72283172607422;
/** The largest double z whose exp is finite. */
const EXP_FINITE_64 = 709.782712893384;

/**
 * log1p(exp(z)), z = −x·y, as PyTorch's float32 `neg, mul, exp, log1p`: +∞ where exp(z)
 * overflows float32; elsewhere max(z, 0) + log1p(exp(−|z|)) from the softplus table, which
 * differs from log1p of the rounded exp by less than float32's resolution.
 */
function losses32(x: Float32Array, y: Float32Array, losses: Float32Array | null): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const z = Math.fround(-x[i] * y[i]);
    const a = Math.abs(z);
    // Below −104, log1p(exp(−|z|)) rounds to float32's 0, as exp(z) does.
    const loss = select(
      z > EXP_FINITE_32,
      Infinity,
      Math.fround(clampMinZero(z) + softplusOfNegative(a)),
    );
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

function losses64(x: Float64Array, y: Float64Array, losses: Float64Array | null): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const z = -x[i] * y[i];
    const a = Math.abs(z);
    const loss = select(z > EXP_FINITE_64, Infinity, clampMinZero(z) + softplusOfNegative64(a));
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

/**
 * PyTorch's `soft_margin_loss_backward`, step by step in float32: z = exp(−y·x),
 * ((y·z)·(−norm)) / (z + 1) · grad; NaN where z overflows (∞ / ∞).
 */
function gradient32(
  x: Float32Array,
  y: Float32Array,
  { perElement, each, norm }: ScaledGrad,
  gradInput: Float32Array,
): void {
  const negativeNorm = Math.fround(-norm);
  for (let i = 0; i < x.length; i++) {
    const t = y[i];
    const z = exp32(Math.fround(-t * x[i]));
    const scaled = Math.fround(Math.fround(t * z) * negativeNorm);
    const ratio = Math.fround(scaled / Math.fround(z + 1));
    gradInput[i] = ratio * (perElement ? perElement[i] : each);
  }
}

function gradient64(
  x: Float64Array,
  y: Float64Array,
  { perElement, each, norm }: ScaledGrad,
  gradInput: Float64Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const t = y[i];
    const z = exp64(-t * x[i]);
    gradInput[i] = ((t * z * -norm) / (z + 1)) * (perElement ? perElement[i] : each);
  }
}
