/**
 * `torch.nn.TripletMarginWithDistanceLoss`: the triplet margin loss with a chosen distance.
 *
 * PyTorch takes any callable as `distance_function`; here it is one of three names, computed as
 * PyTorch's callable would:
 * - `euclidean` (PyTorch's default, `torch.pairwise_distance`): ‖x − y + 1e−6‖₂;
 * - `cosine`: 1 − cosine_similarity(x, y, dim=−1), each vector divided by max(‖x‖, 1e−8);
 * - `manhattan`: `pairwise_distance(x, y, p=1)`, ‖x − y + 1e−6‖₁.
 * As in PyTorch, the three inputs have as many dimensions; their sizes broadcast.
 *
 * Gradient, where the hinge is active (its argument ≥ 0): ∂L/∂a = ∇d(a, p) − ∇d(a, n), and so
 * on for p and n; the swap's minimum passes the gradient to the smaller distance.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { tripletExplainer, tripletSweep } from "./_triplet_explain.ts";
import { cosineDistance, type DistanceFunction, pairwiseDistance } from "./_distance.ts";
import { type Reduction, reductionOption } from "../ops/reduction.ts";
import {
  tripletBackward,
  tripletForward,
  type TripletInputs,
  tripletInputs,
  type TripletSaved,
} from "./_triplet.ts";

/** The distances `distance_function` can name. */
export type DistanceName = "euclidean" | "cosine" | "manhattan";

/** Options of {@link tripletMarginWithDistanceLoss}. */
export interface TripletMarginWithDistanceOptions {
  distance_function: DistanceName;
  margin: number;
  swap: boolean;
  reduction: Reduction;
}

/** The named distance, as PyTorch's callable would compute it. */
export function distanceNamed(name: DistanceName): DistanceFunction {
  switch (name) {
    case "cosine":
      return cosineDistance(1e-8);
    case "manhattan":
      return pairwiseDistance(1, 1e-6, "inputs.anchor");
    default:
      return pairwiseDistance(2, 1e-6, "inputs.anchor");
  }
}

/** Each distance in words, for the worked triplet. */
const DISTANCE_WORDS: Record<DistanceName, string> = {
  euclidean: "Euclidean: the 2-norm of the difference plus 10⁻⁶",
  cosine: "cosine: 1 − the cosine similarity",
  manhattan: "Manhattan: the 1-norm of the difference plus 10⁻⁶",
};

/** Each distance in TeX. */
const DISTANCE_TEX: Record<DistanceName, string> = {
  euclidean: String.raw`d(u, v) = \lVert u - v + 10^{-6} \rVert_2`,
  cosine: String
    .raw`d(u, v) = 1 - \frac{u \cdot v}{\max(\lVert u \rVert, 10^{-8}) \max(\lVert v \rVert, 10^{-8})}`,
  manhattan: String.raw`d(u, v) = \lVert u - v + 10^{-6} \rVert_1`,
};

/** The formula for a distance, with or without the swap. */
function tripletFormula(name: DistanceName, swap: boolean): string {
  const negative = swap ? String.raw`\min(d(a_n, n_n), d(p_n, n_n))` : "d(a_n, n_n)";
  return String.raw`\begin{gathered}
l_n = \max\left(d(a_n, p_n) - ${negative} + \text{margin},\ 0\right) \\
${DISTANCE_TEX[name]}
\end{gathered}`;
}

/**
 * The triplet margin loss with a named distance, as `torch.nn.TripletMarginWithDistanceLoss`.
 *
 * @example The cosine distance: a positive twice as long as the anchor is at distance 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const inputs = {
 *   anchor: ndarrayOf([1, 0], [1, 2]),
 *   positive: ndarrayOf([2, 0], [1, 2]),
 *   negative: ndarrayOf([1, 1], [1, 2]),
 * };
 * const { output, grads } = computeLoss(
 *   "TripletMarginWithDistanceLoss",
 *   inputs,
 *   { distance_function: "cosine" },
 *   { grad: true, dtype: "float64" },
 * );
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(), Math.SQRT1_2)); // 0 − (1 − cos 45°) + 1
 * assert.ok(near(grads.anchor.get(0, 1), Math.SQRT1_2)); // −∇d(a, n); ∇d(a, p) = 0
 * assert.ok(near(grads.negative.get(0, 0), Math.SQRT1_2 / 2));
 * assert.ok(near(grads.negative.get(0, 1), -Math.SQRT1_2 / 2));
 * ```
 */
export const tripletMarginWithDistanceLoss = defineLoss<
  TripletMarginWithDistanceOptions,
  TripletSaved,
  TripletInputs
>({
  name: "TripletMarginWithDistanceLoss",
  functional: "triplet_margin_with_distance_loss",
  slug: "triplet-margin-with-distance",
  category: "ranking",
  summary: "Hinge on how much nearer an anchor is to a positive than to a negative, in a " +
    "chosen distance",
  formula: tripletFormula("euclidean", false),
  formulas: (["euclidean", "cosine", "manhattan"] as const).flatMap((name) =>
    [false, true].map((swap) => ({
      when: { distance_function: name, swap },
      tex: tripletFormula(name, swap),
    }))
  ),
  teaching: {
    measures: "Whether an anchor $a_n$ is nearer its positive $p_n$ than its negative $n_n$ " +
      "by at least the margin, in a distance you choose: " +
      "$\\max(d(a_n, p_n) - d(a_n, n_n) + \\text{margin}, 0)$. Here the distance is " +
      "Euclidean, cosine ($1 -$ the cosine similarity) or Manhattan; PyTorch also takes any " +
      "callable.",
    choose: "When embeddings are compared by another distance than a p-norm, notably the " +
      "cosine distance for normalized embeddings. With the default Euclidean distance it is " +
      "`TripletMarginLoss` with p = 2; `CosineEmbeddingLoss` learns from pairs instead.",
    mistake: "Keeping the default margin of 1 with the cosine distance, whose values lie in " +
      "[0, 2]: the negative must then be at a cosine distance 1 more than the positive (an " +
      "orthogonal negative for an identical positive), which few triplets reach, so almost " +
      "every triplet stays active. Choose the margin in the distance's scale.",
    related: [
      { to: "TripletMarginLoss", why: "the same hinge with a p-norm distance" },
      { to: "CosineEmbeddingLoss", why: "pairs compared by cosine" },
      { to: "HingeEmbeddingLoss", why: "pairs, on a distance you compute" },
    ],
  },
  keywords: [
    "embedding",
    "metric learning",
    "triplet",
    "ranking",
    "similarity",
    "cosine",
    "retrieval",
    "margin",
  ],
  outputShape: "scalar; (N), or () for unbatched inputs, for reduction none",
  inputs: tripletInputs(),
  options: [
    {
      name: "distance_function",
      type: "string",
      enum: ["euclidean", "cosine", "manhattan"],
      default: "euclidean",
      description: "Keyword-only.  The distance: `euclidean` (pairwise_distance, PyTorch's " +
        "default), `cosine` (1 - cosine_similarity) or `manhattan` (pairwise_distance, p=1)",
      code: {
        euclidean: "nn.PairwiseDistance()",
        manhattan: "nn.PairwiseDistance(p=1)",
        cosine: "lambda a, b: 1 - F.cosine_similarity(a, b)",
      },
    },
    {
      name: "margin",
      type: "number",
      default: 1,
      exclusiveMinimum: 0,
      symbol: String.raw`\text{margin}`,
      description: "Keyword-only.  How much farther the negative must be than the positive " +
        "before the loss is 0",
    },
    {
      name: "swap",
      type: "boolean",
      default: false,
      description: "Keyword-only.  Use the smaller of d(a, n) and d(p, n) as the negative " +
        "distance (Balntas et al., distance swap)",
    },
    reductionOption(),
  ],
  sample: (random) => ({
    anchor: random.randn([3, 5]),
    positive: random.randn([3, 5]),
    negative: random.randn([3, 5]),
  }),
  explain: tripletExplainer<TripletMarginWithDistanceOptions>((options) => ({
    distance: distanceNamed(options.distance_function),
    name: DISTANCE_WORDS[options.distance_function],
    margin: options.margin,
    swap: options.swap,
  })),
  sweep: (inputs, _options, element) => tripletSweep(inputs, element),
  forward(inputs, { distance_function, margin, swap, reduction }, { dtype }) {
    const distance = distanceNamed(distance_function);
    return tripletForward(inputs, distance, margin, swap, reduction, dtype);
  },
  backward(saved, gradOutput, { dtype }) {
    return tripletBackward(saved, gradOutput, dtype);
  },
});
