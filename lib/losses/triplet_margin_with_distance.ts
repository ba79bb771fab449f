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
function distanceNamed(name: DistanceName): DistanceFunction {
  switch (name) {
    case "cosine":
      return cosineDistance(1e-8);
    case "manhattan":
      return pairwiseDistance(1, 1e-6, "inputs.anchor");
    default:
      return pairwiseDistance(2, 1e-6, "inputs.anchor");
  }
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
  formula: String
    .raw`\ell(a, p, n) = L = \{l_1,\dots,l_N\}^\top, \quad l_i = \max \{d(a_i, p_i) - d(a_i, n_i) + {\rm margin}, 0\}`,
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
  forward(inputs, { distance_function, margin, swap, reduction }, { dtype }) {
    const distance = distanceNamed(distance_function);
    return tripletForward(inputs, distance, margin, swap, reduction, dtype);
  },
  backward(saved, gradOutput, { dtype }) {
    return tripletBackward(saved, gradOutput, dtype);
  },
});
