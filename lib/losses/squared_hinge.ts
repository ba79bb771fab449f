/**
 * `keras.losses.SquaredHinge`: the square of the hinge loss of a score against a ±1 label,
 * averaged over the last axis.
 *
 * As Keras 3 computes it (`keras/src/losses/losses.py`, `squared_hinge`): the targets converted
 * as HingeLoss's (2y − 1 when every element is exactly 0 or 1, as given otherwise), then
 * v = mean over the last axis of max(1 − y′x, 0)², reduced as Keras's `reduce_values` does.
 * Shapes, conversion and errors as HingeLoss.
 *
 * Gradient: ∂v/∂x = −2 y′ max(1 − y′x, 0) / C, 0 at the margin (where the square's slope is 0
 * whatever half of it reaches each side).  No gradient with respect to the target.
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import type { Reduction } from "../ops/reduction.ts";
import { hingeFamily, type HingeSaved, kerasSource } from "./_keras.ts";

/** Options of {@link squaredHingeLoss}. */
export interface SquaredHingeOptions {
  reduction: Reduction;
}

/**
 * The squared hinge loss, as `keras.losses.SquaredHinge`.
 *
 * @example A score of 0.5 for a positive is 0.5 short of the margin: (0.5)² / 2 classes
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0.5, -3], [2]);
 * const target = ndarrayOf([1, -1], [2]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("SquaredHingeLoss", { input, target }, {}, settings);
 * assert.equal(output.get(), 0.125); // one sample: a 0-d loss, returned as it is
 * assert.deepEqual([...grads.input.data], [-0.5, 0]); // −2 · 1 · 0.5 / 2
 * ```
 */
export const squaredHingeLoss = defineLoss<SquaredHingeOptions, HingeSaved>({
  name: "SquaredHingeLoss",
  functional: "squared_hinge",
  slug: "squared-hinge",
  category: "binary",
  source: kerasSource({ name: "SquaredHinge", section: "hinge_losses", variable: "squared_hinge" }),
  summary: "The squared hinge max(0, 1 − y·x)² against ±1 labels (0/1 converted), per sample",
  formula: String.raw`l_n = \frac{1}{C} \sum_{c=1}^{C} \max(0,\ 1 - y'_{n,c}\, x_{n,c})^2,\quad
y' = \begin{cases} 2y - 1 & \text{every } y \in \{0, 1\} \\ y & \text{otherwise} \end{cases}`,
  teaching: {
    measures: "The square of how far each score falls short of the margin $y' x \\ge 1$: 0 " +
      "beyond the margin, growing quadratically inside it. Averaged over the last axis: one " +
      "loss per sample.",
    choose: "Like `HingeLoss` when you want a margin classifier but a loss that is smooth at " +
      "the margin (its gradient goes to 0 there instead of jumping), as the L2-SVM does. It " +
      "punishes badly wrong scores more than the hinge, so it is less robust to mislabeled " +
      "examples.",
    mistake: "The same labels as HingeLoss: only a target of 0s and 1s is converted to ±1, so " +
      "a target mixing −1, 0 and 1 keeps its zeros (each costs 1). And pass raw scores: " +
      "squaring a margin in probability units makes the loss tiny and training slow.",
    related: [
      { to: "HingeLoss", why: "the margin without the square" },
      { to: "MSELoss", why: "what it is inside the margin, one-sided" },
      { to: "MultiMarginLoss", why: "PyTorch's multi-class hinge, with p = 2 for the square" },
    ],
  },
  keywords: ["classification", "squared hinge", "L2-SVM", "margin", "SVM", "Keras"],
  outputShape: "the input's shape without its last dimension for reduction none (0-d for a 1-D " +
    "input); scalar otherwise",
  ...hingeFamily("SquaredHingeLoss", true),
});
