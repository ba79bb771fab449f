/**
 * `keras.losses.Hinge`: the hinge loss of a score against a ±1 label, averaged over the last
 * axis, the loss of support vector machines.
 *
 * As Keras 3 computes it (`keras/src/losses/losses.py`, `hinge` and
 * `convert_binary_labels_to_hinge`): the targets become y′ = 2y − 1 when every element is
 * exactly 0 or 1 (decided over the whole target tensor; an all-zero target becomes all −1),
 * and are used as given otherwise (a target mixing −1, 0 and 1 keeps its zeros, each costing
 * max(1 − 0, 0) = 1; soft targets are used as they are).  Then
 * v = mean over the last axis of max(1 − y′x, 0), one loss per sample, reduced as Keras's
 * `reduce_values` does (`lib/losses/_keras.ts`).  The target must have the input's shape; the
 * input must have a non-empty last dimension.
 *
 * Gradient: with u = 1 − y′x and C the last dimension, ∂v/∂x = −y′ h(u) / C, h = 1 for u > 0,
 * ½ at u = 0 (`torch.maximum` and `jax.numpy.maximum` pass half of the gradient to each side),
 * 0 for u < 0.  No gradient with respect to the target.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import type { Reduction } from "../ops/reduction.ts";
import { hingeFamily, type HingeSaved, kerasSource } from "./_keras.ts";

/** Options of {@link hingeLoss}. */
export interface HingeOptions {
  reduction: Reduction;
}

/**
 * The hinge loss, as `keras.losses.Hinge`.
 *
 * @example Labels {0, 1} are converted to ±1; a margin of exactly 1 is the kink (slope ½)
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 0.5, -2, 3], [2, 2]);
 * const target = ndarrayOf([1, 1, 0, 1], [2, 2]);
 * const options = { reduction: "none" };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("HingeLoss", { input, target }, options, settings);
 * assert.deepEqual([...output.data], [0.25, 0]); // (0 + 0.5) / 2, (0 + 0) / 2
 * assert.deepEqual(Array.from(grads.input.data, (g) => g + 0), [-0.25, -0.5, 0, 0]); // −y′ h(u) / 2
 * ```
 */
export const hingeLoss = defineLoss<HingeOptions, HingeSaved>({
  name: "HingeLoss",
  functional: "hinge",
  slug: "hinge",
  category: "binary",
  source: kerasSource({ name: "Hinge", section: "hinge_losses", variable: "hinge" }),
  summary: "The hinge max(0, 1 − y·x) against ±1 labels (0/1 converted), averaged per sample",
  formula: String.raw`l_n = \frac{1}{C} \sum_{c=1}^{C} \max(0,\ 1 - y'_{n,c}\, x_{n,c}),\quad
y' = \begin{cases} 2y - 1 & \text{every } y \in \{0, 1\} \\ y & \text{otherwise} \end{cases}`,
  teaching: {
    measures: "How far each score falls short of the right side of the margin: 0 once " +
      "$y' x \\ge 1$ (right, by a margin of at least 1), rising linearly as the score moves " +
      "toward or past the wrong side. Averaged over the last axis: one loss per sample.",
    choose: "To train a linear classifier as a support vector machine, or whenever you want " +
      "confident, margin-separated scores rather than probabilities: correct examples beyond " +
      "the margin cost nothing and stop pulling. For probabilities use `BCEWithLogitsLoss`; " +
      "for a smooth margin, `SoftMarginLoss`.",
    mistake: "Labels that are neither {0, 1} nor {−1, 1}: only a target of 0s and 1s is " +
      "converted, all at once, so a target mixing −1, 0 and 1 keeps its zeros (each costs 1 " +
      "whatever the score), and soft labels act as margins. And scores are raw, not " +
      "probabilities: a sigmoid output in (0, 1) can never reach the margin for y′ = −1.",
    related: [
      { to: "SquaredHingeLoss", why: "the same margin, squared: smooth at the margin" },
      { to: "HingeEmbeddingLoss", why: "PyTorch's hinge on distances, not on scores" },
      { to: "SoftMarginLoss", why: "a smooth (logistic) version of the margin" },
      {
        to: "CategoricalHingeLoss",
        why: "the multi-class margin between the right class and the rest",
      },
    ],
  },
  keywords: ["classification", "hinge", "SVM", "margin", "support vector machine", "Keras"],
  outputShape: "the input's shape without its last dimension for reduction none (0-d for a 1-D " +
    "input); scalar otherwise",
  ...hingeFamily("HingeLoss", false),
});
