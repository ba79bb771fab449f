/**
 * `torch.nn.HingeEmbeddingLoss`: whether two inputs are similar (y = 1) or dissimilar
 * (y = −1), from a distance between them (the input).
 *
 * As in PyTorch, which computes where(y ≠ 1, max(0, margin − x), 0) + where(y ≠ −1, x, 0), a
 * target that is neither 1 nor −1 gets both terms.
 *
 * Gradient: ∂l/∂x = 1 where y ≠ −1, plus −1 where y ≠ 1 and margin − x ≥ 0 (at the kink too,
 * as PyTorch's `clamp_min` passes it).  float32 rounds the margin and each step to float32, as
 * PyTorch's float32 kernels do.
 *
 * @module
 */
import { broadcastShape, expandTo, sumTo } from "../ops/broadcast.ts";
import { defineLoss, type WorkedStep } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementExplainer, elementSweep } from "../ops/element.ts";
import { firstNotIn, including, notPlusMinusOne } from "./_explain.ts";
import type { FloatArray } from "../core/tensor.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGradOf,
} from "../ops/reduction.ts";
import { clampMinZero, select } from "../ops/branchless.ts";

/** Options of {@link hingeEmbeddingLoss}. */
export interface HingeEmbeddingOptions {
  margin: number;
  reduction: Reduction;
}

interface HingeEmbeddingSaved {
  shape: number[];
  x: FloatArray;
  y: FloatArray;
  inputShape: number[];
  margin: number;
  reduction: Reduction;
}

/**
 * The hinge embedding loss, as `torch.nn.HingeEmbeddingLoss`.
 *
 * @example Similar, dissimilar within and beyond the margin, and a target of 0 (both terms)
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0.25, 0.25, 2, 0.5], [4]);
 * const target = ndarrayOf([1, -1, -1, 0], [4]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("HingeEmbeddingLoss", { input, target }, {}, settings);
 * assert.equal(output.get(), 0.5); // (0.25 + (1 − 0.25) + 0 + (0.5 + (1 − 0.5))) / 4
 * assert.deepEqual([...grads.input.data], [0.25, -0.25, 0, 0]);
 * ```
 */
export const hingeEmbeddingLoss = defineLoss<HingeEmbeddingOptions, HingeEmbeddingSaved>({
  name: "HingeEmbeddingLoss",
  functional: "hinge_embedding_loss",
  slug: "hinge-embedding",
  category: "ranking",
  summary: "The distance for similar pairs (target 1), a hinge on it for dissimilar ones (-1)",
  formula: String.raw`l_n = \begin{cases}
x_n & y_n = 1 \\
\max(0,\ \text{margin} - x_n) & y_n = -1
\end{cases}`,
  teaching: {
    measures: "For a distance $x_n$ between two items and a label $y_n$: a similar pair " +
      "($y_n = 1$) costs its distance, a dissimilar one ($y_n = -1$) costs " +
      "$\\max(0, \\text{margin} - x_n)$, nothing once it is at least the margin apart. The " +
      "input is the distance already (an L1 distance of two embeddings, say): the loss does " +
      "not compute it.",
    choose: "For learning embeddings or a similarity from labelled pairs, on distances you " +
      "compute (a contrastive loss), or for semi-supervised embedding. `CosineEmbeddingLoss` " +
      "computes the cosine of two vectors itself; `TripletMarginLoss` compares a positive and " +
      "a negative for the same anchor.",
    mistake: "Passing a similarity, or the embeddings, instead of a distance: the loss treats " +
      "its input as a distance, pulling similar pairs towards 0. And 0/1 labels: a target of " +
      "0 is neither 1 nor −1, so PyTorch adds both terms, $x_n + \\max(0, \\text{margin} - x_n)$.",
    related: [
      { to: "CosineEmbeddingLoss", why: "the same idea on the cosine of two vectors" },
      { to: "TripletMarginLoss", why: "a positive and a negative for each anchor" },
      { to: "MarginRankingLoss", why: "a hinge on the order of two scores" },
    ],
  },
  keywords: [
    "embedding",
    "similarity",
    "contrastive",
    "metric learning",
    "pairs",
    "hinge",
    "margin",
  ],
  outputShape: "scalar; (*), as the input, for reduction none",
  inputs: [
    {
      name: "input",
      description: "A distance between two inputs (e.g. their L1 pairwise distance)",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "1 for similar pairs, -1 for dissimilar ones; broadcast with the input",
      shape: "(*): the input's shape, or one that broadcasts with it",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "margin",
      type: "number",
      default: 1,
      symbol: String.raw`\text{margin}`,
      description: "Dissimilar pairs cost nothing once their distance reaches the margin",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => {
    const signs = random.randint(0, 2, [3, 4]).data.map((bit) => 2 * bit - 1);
    return { input: random.rand([3, 4]), target: { shape: [3, 4], data: signs } };
  },
  explain: elementExplainer<HingeEmbeddingOptions>(({ input: x, target: y }, { margin }) => {
    const steps: WorkedStep[] = [
      { label: "the distance and the label", tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)}`, value: x },
    ];
    const gap = margin - x;
    const hinge = gap < 0 ? 0 : gap;
    if (y === 1) {
      steps.push({
        label: "a similar pair costs its distance",
        tex: `l_n = x_n = ${tex(x)}`,
        value: x,
      });
    } else if (y === -1) {
      steps.push({
        label: gap < 0
          ? "a dissimilar pair beyond the margin costs nothing"
          : "a dissimilar pair costs how far it falls short of the margin",
        tex: `l_n = \\max(0,\\ ${tex(margin)} - ${texTerm(x)}) = ${tex(hinge)}`,
        value: hinge,
      });
    } else {
      const loss = hinge + x;
      steps.push({
        label: "a label neither 1 nor −1 gets both terms, as in PyTorch",
        tex: `l_n = \\max(0,\\ ${tex(margin)} - ${texTerm(x)}) + ${texTerm(x)} = ${tex(loss)}`,
        value: loss,
      });
    }
    return steps;
  }),
  sweep(inputs, options, element) {
    const range = (current: number) =>
      including(Math.min(0, options.margin - 1), Math.max(3, 2 * options.margin), current, 0.5);
    return elementSweep({ input: "input", range })(inputs, options, element);
  },
  advise({ target }) {
    const value = firstNotIn(target.data, [1, -1]);
    if (value === undefined) return [];
    return [
      notPlusMinusOne(
        "HingeEmbeddingLoss",
        value,
        "PyTorch adds both terms for a label that is neither",
      ),
    ];
  },
  forward({ input, target }, { margin, reduction }, context) {
    const shape = broadcastShape(
      { field: "inputs.input", tensor: input },
      { field: "inputs.target", tensor: target },
    );
    const x = expandTo(input, shape).data;
    const y = expandTo(target, shape).data;
    const n = x.length;
    const f32 = context.dtype === "float32";
    const m = f32 ? Math.fround(margin) : margin;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const total = f32
      ? losses32(x as Float32Array, y as Float32Array, m, losses)
      : losses64(x as Float64Array, y as Float64Array, m, losses);
    return {
      output: reducedOutput(reduction, context.dtype, shape, total, losses, n),
      saved: { shape, x, y, inputShape: input.shape, margin: m, reduction },
    };
  },
  backward({ shape, x, y, inputShape, margin, reduction }, gradOutput, { dtype }) {
    const n = x.length;
    const { perElement, each } = upstreamGradOf(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    if (dtype === "float32") {
      gradient32(x as Float32Array, y as Float32Array, margin, perElement, each, gradInput);
    } else {
      gradient64(x as Float64Array, y as Float64Array, margin, perElement, each, gradInput);
    }
    return { input: sumTo({ shape, data: gradInput }, inputShape) };
  },
});

/**
 * where(y ≠ 1, max(margin − x, 0), 0) + where(y ≠ −1, x, 0) of each element, in float32; both
 * terms by selections, as y falls on either side at random.
 */
function losses32(x: Float32Array, y: Float32Array, m: number, losses: FloatArray | null): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i], t = y[i];
    const gap = select(t !== 1, clampMinZero(Math.fround(m - v)), 0);
    const loss = Math.fround(gap + select(t !== -1, v, 0));
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

function losses64(x: Float64Array, y: Float64Array, m: number, losses: FloatArray | null): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i], t = y[i];
    const loss = select(t !== 1, clampMinZero(m - v), 0) + select(t !== -1, v, 0);
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

/** g where y ≠ −1, minus g where y ≠ 1 and margin − x ≥ 0, in float32. */
function gradient32(
  x: Float32Array,
  y: Float32Array,
  margin: number,
  perElement: FloatArray | null,
  each: number,
  gradInput: FloatArray,
): void {
  for (let i = 0; i < x.length; i++) {
    const t = y[i], g = perElement ? perElement[i] : each;
    const clamped = -select(t !== 1, select(Math.fround(margin - x[i]) >= 0, g, 0), 0);
    gradInput[i] = clamped + select(t !== -1, g, 0);
  }
}

function gradient64(
  x: Float64Array,
  y: Float64Array,
  margin: number,
  perElement: FloatArray | null,
  each: number,
  gradInput: FloatArray,
): void {
  for (let i = 0; i < x.length; i++) {
    const t = y[i], g = perElement ? perElement[i] : each;
    const clamped = -select(t !== 1, select(margin - x[i] >= 0, g, 0), 0);
    gradInput[i] = clamped + select(t !== -1, g, 0);
  }
}
