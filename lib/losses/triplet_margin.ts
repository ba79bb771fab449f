/**
 * `torch.nn.TripletMarginLoss`: an anchor should be nearer to a positive example than to a
 * negative one by at least `margin`, in the p-norm distance.
 *
 * The distance is `torch.pairwise_distance`, ‖x − y + eps‖_p: eps is added to each difference,
 * not to the norm.  As in PyTorch, the three inputs have as many dimensions; their sizes
 * broadcast.
 *
 * Gradient, where the hinge is active (its argument ≥ 0): ∂L/∂a = ∇d(a, p) − ∇d(a, n), with
 * ∇‖v‖_p = sgn(v)·|v|^(p−1) / ‖v‖_p^(p−1) (0 where ‖v‖ = 0); the swap's minimum passes the
 * gradient to the smaller distance.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { tripletExplainer, tripletSweep } from "./_triplet_explain.ts";
import { pairwiseDistance } from "./_distance.ts";
import { type Reduction, reductionOption } from "../ops/reduction.ts";
import {
  tripletBackward,
  tripletForward,
  type TripletInputs,
  tripletInputs,
  type TripletSaved,
} from "./_triplet.ts";

/** Options of {@link tripletMarginLoss}. */
export interface TripletMarginOptions {
  margin: number;
  p: number;
  eps: number;
  swap: boolean;
  reduction: Reduction;
}

/**
 * The triplet margin loss, as `torch.nn.TripletMarginLoss`.
 *
 * @example swap: the positive is nearer the negative than the anchor is, so that distance counts
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const inputs = {
 *   anchor: ndarrayOf([0, 0], [1, 2]),
 *   positive: ndarrayOf([0, 1], [1, 2]),
 *   negative: ndarrayOf([0, 2], [1, 2]),
 * };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-5; // eps shifts each distance
 * // d(a, p) = 1, d(a, n) = 2: the negative is far enough, max(1 − 2 + 0.5, 0) = 0.
 * const plain = computeLoss("TripletMarginLoss", inputs, { margin: 0.5 }, settings);
 * assert.ok(near(plain.output.get(), 0));
 * // With swap, d(p, n) = 1 replaces d(a, n): 1 − 1 + 0.5.
 * const swapped = computeLoss("TripletMarginLoss", inputs, { margin: 0.5, swap: true }, settings);
 * assert.ok(near(swapped.output.get(), 0.5));
 * assert.ok(near(swapped.grads.anchor.get(0, 1), -1)); // ∇d(a, p)
 * assert.ok(near(swapped.grads.positive.get(0, 1), 2)); // −∇d(a, p) − ∇d(p, n)
 * assert.ok(near(swapped.grads.negative.get(0, 1), -1));
 * ```
 */
export const tripletMarginLoss = defineLoss<TripletMarginOptions, TripletSaved, TripletInputs>({
  name: "TripletMarginLoss",
  functional: "triplet_margin_loss",
  slug: "triplet-margin",
  category: "ranking",
  summary: "Hinge on how much nearer an anchor is to a positive than to a negative, in p-norm",
  formula: String.raw`\begin{gathered}
l_n = \max\left(d(a_n, p_n) - d(a_n, n_n) + \text{margin},\ 0\right) \\
d(u, v) = \lVert u - v + \varepsilon \rVert_p
\end{gathered}`,
  formulas: [{
    when: { swap: true },
    tex: String.raw`\begin{gathered}
l_n = \max\left(d(a_n, p_n) - \min(d(a_n, n_n), d(p_n, n_n)) + \text{margin},\ 0\right) \\
d(u, v) = \lVert u - v + \varepsilon \rVert_p
\end{gathered}`,
  }],
  teaching: {
    measures: "Whether an anchor $a_n$ is nearer its positive $p_n$ (same class) than its " +
      "negative $n_n$ (another class) by at least the margin, in the p-norm distance: " +
      "$\\max(d(a_n, p_n) - d(a_n, n_n) + \\text{margin}, 0)$. Triplets that already keep the " +
      "margin cost nothing, so the loss concentrates on the hard ones.",
    choose: "For metric learning (face recognition, person re-identification, image " +
      "retrieval), where distances in the embedding must order similar and dissimilar items. " +
      "`TripletMarginWithDistanceLoss` takes another distance, such as the cosine; " +
      "`CosineEmbeddingLoss` and `HingeEmbeddingLoss` learn from pairs. `swap=True` also uses " +
      "the positive's distance to the negative when it is smaller (Balntas et al.).",
    mistake: "Random triplets: most soon keep the margin and give zero loss and zero " +
      "gradient, so training stalls. Mine hard or semi-hard negatives within the batch. And " +
      "$\\varepsilon$ is added to each coordinate of the difference before the norm, so a " +
      "vector's distance to itself is $\\varepsilon \\sqrt{D}$ for p = 2, not 0.",
    related: [
      { to: "TripletMarginWithDistanceLoss", why: "the same hinge, with a distance you choose" },
      { to: "CosineEmbeddingLoss", why: "pairs compared by cosine" },
      { to: "HingeEmbeddingLoss", why: "pairs, on a distance you compute" },
      { to: "MarginRankingLoss", why: "the same hinge on two scores" },
    ],
  },
  keywords: [
    "embedding",
    "metric learning",
    "triplet",
    "ranking",
    "similarity",
    "face recognition",
    "retrieval",
    "margin",
  ],
  outputShape: "scalar; (N), or () for unbatched inputs, for reduction none",
  inputs: tripletInputs(),
  options: [
    {
      name: "margin",
      type: "number",
      default: 1,
      exclusiveMinimum: 0,
      symbol: String.raw`\text{margin}`,
      description: "How much farther the negative must be than the positive before the loss is 0",
    },
    {
      name: "p",
      type: "number",
      default: 2,
      symbol: "p",
      description: "The norm degree of the pairwise distance",
    },
    {
      name: "eps",
      type: "number",
      default: 1e-6,
      symbol: String.raw`\varepsilon`,
      description: "Added to each difference before the norm, for numerical stability",
    },
    {
      name: "swap",
      type: "boolean",
      default: false,
      description: "Use the smaller of d(a, n) and d(p, n) as the negative distance " +
        "(Balntas et al., distance swap)",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => ({
    anchor: random.randn([3, 5]),
    positive: random.randn([3, 5]),
    negative: random.randn([3, 5]),
  }),
  explain: tripletExplainer<TripletMarginOptions>(({ p, eps, margin, swap }) => ({
    distance: pairwiseDistance(p, eps, "inputs.anchor"),
    name: `the ${p}-norm of the difference plus ε = ${eps}`,
    margin,
    swap,
  })),
  sweep: (inputs, _options, element) => tripletSweep(inputs, element),
  forward(inputs, { margin, p, eps, swap, reduction }, { dtype }) {
    const distance = pairwiseDistance(p, eps, "inputs.anchor");
    return tripletForward(inputs, distance, margin, swap, reduction, dtype);
  },
  backward(saved, gradOutput, { dtype }) {
    return tripletBackward(saved, gradOutput, dtype);
  },
});
