/**
 * `torch.nn.TripletMarginLoss`: an anchor should be nearer to a positive example than to a
 * negative one by at least `margin`, in the p-norm distance.
 *
 * L(a, p, n) = max{d(a_i, p_i) − d(a_i, n_i) + margin, 0}, with
 * d(x_i, y_i) = ‖x_i − y_i + eps‖_p (`torch.pairwise_distance`: eps is added to each difference);
 * with `swap`, d(a_i, n_i) becomes min(d(a_i, n_i), d(p_i, n_i)).  Then reduced by `reduction`.
 *
 * Shape: anchor, positive, negative (N, D) or (D), D the vector dimension; all three have as
 * many dimensions, their sizes broadcast; output: scalar, or (N) (scalar for unbatched inputs)
 * for `reduction: "none"`.
 *
 * Gradient, where the hinge is active (its argument ≥ 0): ∂L/∂a = ∇d(a, p) − ∇d(a, n), with
 * ∇‖v‖_p = sgn(v)·|v|^(p−1) / ‖v‖_p^(p−1) (0 where ‖v‖ = 0); the swap's minimum passes the
 * gradient to the smaller distance.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
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

/** The triplet margin loss, as `torch.nn.TripletMarginLoss`. */
export const tripletMarginLoss = defineLoss<TripletMarginOptions, TripletSaved, TripletInputs>({
  name: "TripletMarginLoss",
  functional: "triplet_margin_loss",
  slug: "triplet-margin",
  category: "ranking",
  summary: "Hinge on how much nearer an anchor is to a positive than to a negative, in p-norm",
  formula: String
    .raw`L(a, p, n) = \max \{d(a_i, p_i) - d(a_i, n_i) + {\rm margin}, 0\},\quad d(x_i, y_i) = \left\lVert {\bf x}_i - {\bf y}_i \right\rVert_p`,
  outputShape: "scalar; (N), or () for unbatched inputs, for reduction none",
  inputs: tripletInputs(),
  options: [
    {
      name: "margin",
      type: "number",
      default: 1,
      exclusiveMinimum: 0,
      description: "How much farther the negative must be than the positive before the loss is 0",
    },
    {
      name: "p",
      type: "number",
      default: 2,
      description: "The norm degree of the pairwise distance",
    },
    {
      name: "eps",
      type: "number",
      default: 1e-6,
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
  forward(inputs, { margin, p, eps, swap, reduction }, { dtype }) {
    const distance = pairwiseDistance(p, eps, "inputs.anchor");
    return tripletForward(inputs, distance, margin, swap, reduction, dtype);
  },
  backward(saved, gradOutput, { dtype }) {
    return tripletBackward(saved, gradOutput, dtype);
  },
});
