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
import { defineLoss } from "../core/definition.ts";
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
  formula: String
    .raw`l_n = \begin{cases} x_n, & \text{if}\; y_n = 1,\\ \max \{0, margin - x_n\}, & \text{if}\; y_n = -1, \end{cases}`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: {
    x: { input: "input", from: 0, to: 3, label: "input x (a distance)" },
    lines: [{ label: "y = 1", values: { target: 1 } }, { label: "y = -1", values: { target: -1 } }],
  },
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
      description: "Dissimilar pairs cost nothing once their distance reaches the margin",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => {
    const signs = random.randint(0, 2, [3, 4]).data.map((bit) => 2 * bit - 1);
    return { input: random.rand([3, 4]), target: { shape: [3, 4], data: signs } };
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
