/**
 * `torch.nn.MarginRankingLoss`: ranks two inputs, the target telling which should be larger.
 *
 * As in PyTorch, the three inputs must have as many dimensions; their sizes broadcast.
 *
 * Gradient, where −y·(x1 − x2) + margin ≥ 0 (0 elsewhere): ∂l/∂x1 = −y, ∂l/∂x2 = y.  At the
 * kink, where the loss is just 0, the gradient still flows, as PyTorch's `clamp_min` passes it.
 * float32 rounds the margin and each step to float32, as PyTorch's float32 kernels do.
 *
 * @module
 */
import { broadcastShape, expandTo, sumTo } from "../ops/broadcast.ts";
import { defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementExplainer, elementSweep, valuesAt } from "../ops/element.ts";
import { centeredOn, firstNotIn, notPlusMinusOne } from "./_explain.ts";
import { LossInputError } from "../core/errors.ts";
import { clampMinZero, maskedGrad } from "../ops/branchless.ts";
import { type FloatArray, formatShape } from "../core/tensor.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGrad,
} from "../ops/reduction.ts";

/** Options of {@link marginRankingLoss}. */
export interface MarginRankingOptions {
  margin: number;
  reduction: Reduction;
}

interface MarginRankingSaved {
  shape: number[];
  x1: FloatArray;
  x2: FloatArray;
  y: FloatArray;
  input1Shape: number[];
  input2Shape: number[];
  margin: number;
  reduction: Reduction;
}

/**
 * The margin ranking loss, as `torch.nn.MarginRankingLoss`.
 *
 * @example margin = 1: ranked far enough, ranked wrong, and exactly at the margin
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input1 = ndarrayOf([3, 2, 2], [3]);
 * const input2 = ndarrayOf([1, 2, 1], [3]);
 * const target = ndarrayOf([1, -1, 1], [3]);
 * const { output, grads } = computeLoss(
 *   "MarginRankingLoss",
 *   { input1, input2, target },
 *   { margin: 1, reduction: "sum" },
 *   { grad: true, dtype: "float64" },
 * );
 * assert.equal(output.get(), 1); // max(0, −2 + 1) + max(0, 0 + 1) + max(0, −1 + 1)
 * assert.deepEqual([grads.input1.get(1), grads.input1.get(2)], [1, -1]); // −y, at the kink too
 * assert.deepEqual([grads.input2.get(1), grads.input2.get(2)], [-1, 1]);
 * ```
 */
export const marginRankingLoss = defineLoss<MarginRankingOptions, MarginRankingSaved>({
  name: "MarginRankingLoss",
  functional: "margin_ranking_loss",
  slug: "margin-ranking",
  category: "ranking",
  summary: "Hinge loss on the difference of two inputs, the target saying which should be larger",
  formula: String
    .raw`l_n = \max\left(0,\ -y_n \left(x^{(1)}_n - x^{(2)}_n\right) + \text{margin}\right)`,
  teaching: {
    measures: "Whether two scores are in the right order by at least a margin: with " +
      "$y_n = 1$ the first, $x^{(1)}_n$, should be the higher, with $y_n = -1$ the second, " +
      "and a pair that is not costs $-y_n(x^{(1)}_n - x^{(2)}_n) + \\text{margin}$. Only the " +
      "difference of the two scores matters.",
    choose: "For learning to rank from pairs (search results, recommendations, preferences), " +
      "or any ordering of two items. `SoftMarginLoss` on the difference of the scores is a " +
      "smooth, logistic version (as in RankNet); `TripletMarginLoss` orders distances between " +
      "embeddings instead of scores.",
    mistake: "The default margin of 0: two equal scores already cost nothing, so a model can " +
      "satisfy every pair by scoring everything the same. Set a positive margin. And the " +
      "target must be ±1: with $y_n = 0$ the loss is the margin whatever the scores, with no " +
      "gradient.",
    related: [
      { to: "SoftMarginLoss", why: "a logistic loss, smooth where this one has a kink" },
      { to: "TripletMarginLoss", why: "orders distances of embeddings" },
      { to: "MultiLabelMarginLoss", why: "the same hinge between every right and wrong class" },
    ],
  },
  keywords: ["ranking", "pairwise", "learning to rank", "preference", "hinge", "margin"],
  outputShape: "scalar; (N), as the inputs, for reduction none",
  inputs: [
    {
      name: "input1",
      description: "The scores of the first items",
      shape: "(N) or ()",
      kind: "float",
      differentiable: true,
    },
    {
      name: "input2",
      description: "The scores of the second items",
      shape: "(N) or (), as input1",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "1 where input1 should rank higher, -1 where input2 should",
      shape: "(N) or (), as input1",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "margin",
      type: "number",
      default: 0,
      symbol: String.raw`\text{margin}`,
      description: "How far the higher-ranked input must exceed the other before the loss is 0",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => {
    const signs = random.randint(0, 2, [6]).data.map((bit) => 2 * bit - 1);
    return {
      input1: random.randn([6]),
      input2: random.randn([6]),
      target: { shape: [6], data: signs },
    };
  },
  explain: elementExplainer<MarginRankingOptions>(
    ({ input1: a, input2: b, target: y }, { margin }) => {
      const difference = a - b;
      const unclamped = -y * difference + margin;
      const loss = unclamped < 0 ? 0 : unclamped;
      return [
        {
          label: "the two scores and the target",
          tex: `x^{(1)}_n = ${tex(a)},\\ x^{(2)}_n = ${tex(b)},\\ y_n = ${tex(y)}`,
          value: a,
        },
        {
          label: "their difference",
          tex: `x^{(1)}_n - x^{(2)}_n = ${tex(difference)}`,
          value: difference,
        },
        {
          label: "how far the pair falls short of the margin, in the target's order",
          tex: `-y_n (x^{(1)}_n - x^{(2)}_n) + \\text{margin} = -${texTerm(y)} \\cdot ${
            texTerm(difference)
          } + ${texTerm(margin)} = ${tex(unclamped)}`,
          value: unclamped,
        },
        {
          label: unclamped < 0
            ? "ranked by more than the margin: 0"
            : "at least 0: the element's loss",
          tex: `l_n = \\max(0,\\ ${tex(unclamped)}) = ${tex(loss)}`,
          value: loss,
        },
      ];
    },
  ),
  sweep(inputs, options, element) {
    const { input2 } = valuesAt(inputs, {}, element).values;
    const range = centeredOn(input2, Math.max(3, 2 * Math.abs(options.margin)));
    return elementSweep({ input: "input1", range })(inputs, options, element);
  },
  advise({ target }) {
    const value = firstNotIn(target.data, [1, -1]);
    if (value === undefined) return [];
    return [
      notPlusMinusOne(
        "MarginRankingLoss",
        value,
        "a target of 0 costs the margin whatever the scores, with no gradient",
      ),
    ];
  },
  forward({ input1, input2, target }, { margin, reduction }, context) {
    const rank = input1.shape.length;
    for (const [name, tensor] of [["input2", input2], ["target", target]] as const) {
      if (tensor.shape.length !== rank) {
        throw new LossInputError(
          `inputs.${name}`,
          `inputs.${name} has shape ${formatShape(tensor.shape)}, but all inputs must have as ` +
            `many dimensions as input1, of shape ${formatShape(input1.shape)}`,
        );
      }
    }
    const shape = broadcastShape(
      { field: "inputs.input1", tensor: input1 },
      { field: "inputs.input2", tensor: input2 },
      { field: "inputs.target", tensor: target },
    );
    const x1 = expandTo(input1, shape).data;
    const x2 = expandTo(input2, shape).data;
    const y = expandTo(target, shape).data;
    const n = x1.length;
    const f32 = context.dtype === "float32";
    const m = f32 ? Math.fround(margin) : margin;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const total = f32
      ? losses32(x1 as Float32Array, x2 as Float32Array, y as Float32Array, m, losses)
      : losses64(x1 as Float64Array, x2 as Float64Array, y as Float64Array, m, losses);
    return {
      output: reducedOutput(reduction, context.dtype, shape, total, losses, n),
      saved: {
        shape,
        x1,
        x2,
        y,
        input1Shape: input1.shape,
        input2Shape: input2.shape,
        margin: m,
        reduction,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { shape, x1, x2, y, margin } = saved;
    const n = x1.length;
    const g = upstreamGrad(saved.reduction, gradOutput, n);
    const grad1 = allocate(dtype, n);
    const grad2 = allocate(dtype, n);
    if (dtype === "float32") {
      gradient32(
        x1 as Float32Array,
        x2 as Float32Array,
        y as Float32Array,
        margin,
        g,
        grad1,
        grad2,
      );
    } else {
      gradient64(
        x1 as Float64Array,
        x2 as Float64Array,
        y as Float64Array,
        margin,
        g,
        grad1,
        grad2,
      );
    }
    return {
      input1: sumTo({ shape, data: grad1 }, saved.input1Shape),
      input2: sumTo({ shape, data: grad2 }, saved.input2Shape),
    };
  },
});

/** −y·(x1 − x2) + margin, each step rounded to float32. */
function hinge32(x1: number, x2: number, y: number, margin: number): number {
  return Math.fround(Math.fround(-y * Math.fround(x1 - x2)) + margin);
}

/** max(−y·(x1 − x2) + margin, 0) of each element (NaN passes), in float32. */
function losses32(
  x1: Float32Array,
  x2: Float32Array,
  y: Float32Array,
  margin: number,
  losses: FloatArray | null,
): number {
  let total = 0;
  for (let i = 0; i < x1.length; i++) {
    const loss = clampMinZero(hinge32(x1[i], x2[i], y[i], margin));
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

function losses64(
  x1: Float64Array,
  x2: Float64Array,
  y: Float64Array,
  margin: number,
  losses: FloatArray | null,
): number {
  let total = 0;
  for (let i = 0; i < x1.length; i++) {
    const loss = clampMinZero(-y[i] * (x1[i] - x2[i]) + margin);
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

/**
 * where(hinge ≥ 0, g, 0) · −y into input1's gradient and its opposite into input2's: clamp_min
 * passes the gradient where its argument is >= the bound (at the kink too); the product with −y is
 * taken either way, so that a target of ±∞ or NaN makes it NaN, as in PyTorch.
 */
function gradient32(
  x1: Float32Array,
  x2: Float32Array,
  y: Float32Array,
  margin: number,
  g: ArrayLike<number>,
  grad1: FloatArray,
  grad2: FloatArray,
): void {
  for (let i = 0; i < x1.length; i++) {
    const grad = maskedGrad(hinge32(x1[i], x2[i], y[i], margin) >= 0, g[i]) * -y[i];
    grad1[i] = grad;
    grad2[i] = -grad;
  }
}

function gradient64(
  x1: Float64Array,
  x2: Float64Array,
  y: Float64Array,
  margin: number,
  g: ArrayLike<number>,
  grad1: FloatArray,
  grad2: FloatArray,
): void {
  for (let i = 0; i < x1.length; i++) {
    const grad = maskedGrad(-y[i] * (x1[i] - x2[i]) + margin >= 0, g[i]) * -y[i];
    grad1[i] = grad;
    grad2[i] = -grad;
  }
}
