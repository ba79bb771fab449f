/**
 * `torch.nn.MultiLabelMarginLoss`: a multi-class multi-label hinge loss; every target class
 * should score at least 1 more than every non-target class.
 *
 * In the registry's formula, x.size(0) is C, the number of classes; j runs over the target
 * classes, which end at the first −1 (the entries after it are ignored), and i over the classes
 * that are not targets.  The per-sample losses are then reduced over the batch.  A 0-D input is
 * one sample of one class.
 *
 * Each hinge 1 − x[y[j]] + x[i] is rounded as ATen computes it in the input's dtype, so that the
 * kink falls where PyTorch's does in float32.
 *
 * Gradient: each active hinge adds −1/C to x[y[j]] and +1/C to x[i] (divided also by N for
 * `mean`), times grad_output.
 *
 * @module
 */
import { defineLoss, type SweepPlan } from "../core/definition.ts";
import { tex } from "../core/tex.ts";
import {
  firstNotIn,
  hingeRange,
  indexRowsLike,
  readNote,
  rowEntrySweep,
  texList,
} from "./_explain.ts";
import type { PlainTensor } from "../core/tensor.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import type { Random } from "../core/random.ts";
import {
  allocate,
  inDtypeOf,
  reducedOutput,
  type Reduction,
  reductionOption,
} from "../ops/reduction.ts";
import { type Dense, type FloatArray, type FloatDense, formatShape } from "../core/tensor.ts";

/** Options of {@link multiLabelMarginLoss}. */
export interface MultiLabelMarginOptions {
  reduction: Reduction;
}

interface MultiLabelMarginSaved {
  reduction: Reduction;
  inputShape: number[];
  frames: number;
  classes: number;
  x: FloatArray;
  y: Dense["data"];
  /** Whether each (frame, class) is among the frame's targets. */
  isTarget: Uint8Array;
  float32: boolean;
}

/**
 * 1 − x[y[j]] + x[i], rounded as ATen computes it in the input's dtype, so that the hinge's
 * kink falls where PyTorch's does in float32.
 */
function hinge(targetScore: number, score: number, float32: boolean): number {
  return float32 ? Math.fround(Math.fround(1 - targetScore) + score) : 1 - targetScore + score;
}

/** The frames (N) and classes (C) of an input, checking the target against it as ATen does. */
function framesOf(input: FloatDense, target: Dense): { frames: number; classes: number } {
  const rank = input.shape.length;
  if (rank > 2 || (rank >= 1 && input.shape[rank - 1] === 0)) {
    throw new LossInputError(
      "inputs.input",
      `inputs.input has shape ${formatShape(input.shape)}, but must be a non-empty vector (C) ` +
        "or a matrix (N, C) with C > 0",
    );
  }
  const classes = rank === 0 ? 1 : input.shape[rank - 1];
  const frames = rank === 2 ? input.shape[0] : 1;
  const fits = rank <= 1
    ? target.shape.length <= 1 && target.data.length === classes
    : target.shape.length === 2 && target.shape[0] === frames && target.shape[1] === classes;
  if (!fits) {
    throw new LossInputError(
      "inputs.target",
      `inputs.target has shape ${formatShape(target.shape)}, inconsistent with the input's ` +
        `${formatShape(input.shape)}: the target must have the input's shape`,
    );
  }
  return { frames, classes };
}

/** A sample target: each row some distinct classes in random order, then −1 padding. */
function sampleTarget(random: Random, rows: number, classes: number): PlainTensor {
  const data: number[] = [];
  for (let row = 0; row < rows; row++) {
    const order = Array.from({ length: classes }, (_, c) => c);
    for (let i = classes - 1; i > 0; i--) {
      const j = random.int(0, i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const labels = random.int(1, classes);
    for (let c = 0; c < classes; c++) data.push(c < labels ? order[c] : -1);
  }
  return { shape: [rows, classes], data, dtype: "int" };
}

/**
 * The multi-label margin loss, as `torch.nn.MultiLabelMarginLoss`.
 *
 * @example PyTorch's documentation example: targets 3 and 0, and the 1 after −1 ignored
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, indexNdArrayOf, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0.1, 0.2, 0.4, 0.8], [1, 4]);
 * const target = indexNdArrayOf([3, 0, -1, 1], [1, 4]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("MultiLabelMarginLoss", { input, target }, {}, settings);
 * // Hinges of the targets 3 and 0 against the non-targets 1 and 2: (0.4 + 0.6 + 1.1 + 1.3) / 4.
 * assert.ok(Math.abs(output.get() - 0.85) < 1e-12);
 * assert.deepEqual([...grads.input.data], [-0.5, 0.5, 0.5, -0.5]); // ∓2 active hinges / 4
 * ```
 */
export const multiLabelMarginLoss = defineLoss<
  MultiLabelMarginOptions,
  MultiLabelMarginSaved,
  { input: FloatDense; target: Dense }
>({
  name: "MultiLabelMarginLoss",
  functional: "multilabel_margin_loss",
  slug: "multilabel-margin",
  category: "multilabel",
  summary: "Hinge loss between every target class and every non-target class of each sample",
  formula: String.raw`l_n = \frac{1}{C} \sum_{j \in Y_n} \sum_{i \notin Y_n}
\max(0,\ 1 - (x_{n,j} - x_{n,i}))`,
  teaching: {
    measures: "A hinge between every target class j and every non-target class i of a " +
      "sample: each pair whose scores are not at least 1 apart adds $1 - (x_{n,j} - x_{n,i})$, " +
      "and the sum is divided by C. The target classes $Y_n$ are listed by index, in any " +
      "order, and end at the first −1.",
    choose: "For multi-label classification with ranking behaviour: every right class above " +
      "every wrong one by a margin of 1. Its cost grows as C² per sample. " +
      "`MultiLabelSoftMarginLoss` or `BCEWithLogitsLoss` take a multi-hot target and treat " +
      "each class on its own, the usual choice.",
    mistake: "Passing a multi-hot target, [0, 1, 1, 0], as `MultiLabelSoftMarginLoss` takes: " +
      "here the target holds class indices, so [0, 1, 1, 0] means classes 0 and 1. Write the " +
      "indices of the right classes, then −1 padding: [1, 2, −1, −1]. Everything after the " +
      "first −1 is ignored.",
    related: [
      { to: "MultiLabelSoftMarginLoss", why: "multi-label with a multi-hot target, per class" },
      { to: "BCEWithLogitsLoss", why: "the usual multi-label loss, with pos_weight" },
      { to: "MultiMarginLoss", why: "the same hinge for one target class" },
      { to: "MarginRankingLoss", why: "the hinge on one pair of scores" },
    ],
  },
  keywords: ["classification", "multi-label", "hinge", "margin", "ranking", "multilabel"],
  outputShape: "scalar; (N), or () for an unbatched input, for reduction none",
  work({ input }) {
    if (!input) return undefined;
    const rank = input.shape.length;
    const classes = rank === 0 ? 1 : input.shape[rank - 1];
    const rows = rank === 2 ? input.shape[0] : 1;
    return {
      work: rows * classes * classes,
      field: "inputs.input",
      formula: `N x C x C = ${rows} x ${classes} x ${classes}`,
    };
  },
  inputs: [
    {
      name: "input",
      description: "The score of each class",
      shape: "(C) or (N, C), C the number of classes",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The target classes of each sample, as indices, padded with -1 after the last",
      shape: "(C) or (N, C), as the input; values in [-1, C)",
      kind: "index",
      differentiable: false,
    },
  ],
  options: [reductionOption()],
  legacyReduction: true,
  sample: (random) => ({ input: random.randn([3, 5]), target: sampleTarget(random, 3, 5) }),
  explain: {
    element({ input, target }, _options, n) {
      const { x, y, targets, classes } = labelRow(input, target, n);
      const float32 = input.data instanceof Float32Array;
      const isTarget = x.map((_, c) => targets.includes(c));
      let sum = 0;
      let active = 0;
      let pairs = 0;
      for (const j of targets) {
        for (let i = 0; i < classes; i++) {
          if (isTarget[i]) continue;
          pairs++;
          const z = hinge(x[j], x[i], float32);
          if (z > 0) {
            sum += z;
            active++;
          }
        }
      }
      const loss = sum / classes;
      const others = x.map((_, c) => c).filter((c) => !isTarget[c]);
      return {
        label: `sample ${n}`,
        steps: [
          { label: "the scores of the sample", tex: `x_n = ${texList(x)}`, value: x[0] },
          {
            label: y.includes(-1)
              ? "its target classes: the indices before the first −1"
              : "its target classes: every index (there is no −1)",
            tex: `Y_n = \\{${targets.join(", ")}\\}`,
            value: targets.length,
          },
          {
            label: `the classes that are not targets`,
            tex: `i \\notin Y_n: \\{${others.join(", ")}\\}`,
            value: others.length,
          },
          {
            label: `the hinges 1 − (x_j − x_i) of the ${pairs} pairs, ${active} of them above 0, ` +
              "summed",
            tex: `\\sum_{j \\in Y_n} \\sum_{i \\notin Y_n} \\max(0,\\ 1 - (x_{n,j} - x_{n,i})) = ${
              tex(sum)
            }`,
            value: sum,
          },
          {
            label: `divided by the number of classes, C = ${classes}: the sample's loss`,
            tex: `l_n = \\frac{${tex(sum)}}{${classes}} = ${tex(loss)}`,
            value: loss,
          },
        ],
      };
    },
  },
  sweep({ input, target }, _options, n): SweepPlan {
    const { x, y, targets, classes } = labelRow(input, target, n);
    const j = targets.length ? targets[0] : 0;
    const current = x[j];
    // Without a target class the loss is 0 everywhere: no kink to show.
    const kinks = targets.length ? x.filter((_, c) => !targets.includes(c)).map((v) => v + 1) : [];
    const [from, to] = hingeRange(kinks, current);
    return rowEntrySweep(
      {
        field: elementField(
          "inputs.input",
          input.shape,
          input.shape.length === 2 ? n * classes + j : j,
        ),
        label: targets.length
          ? `the score of class ${j}, the sample's first target`
          : `the score of class ${j} (the sample has no target class)`,
        current,
        from,
        to,
      },
      { name: "input", like: input.data, row: x, column: j },
      (P) => ({ target: indexRowsLike(target.data, P, classes, (_, c) => y[c]) }),
    );
  },
  advise({ input, target }) {
    const rank = input.shape.length;
    const classes = rank === 0 ? 1 : input.shape[rank - 1];
    if (classes < 3 || target.data.length === 0) return [];
    if (firstNotIn(target.data, [0, 1]) !== undefined) return [];
    return [{
      code: "multi-hot-target",
      field: "inputs.target",
      message: `The target holds only 0s and 1s${readNote(target.data.length)}, like a ` +
        "multi-hot vector, but " +
        "MultiLabelMarginLoss reads it as class indices: [0, 1, 1, 0] means classes 0 and 1. " +
        "List the indices of each sample's classes, then pad with −1 ([1, 2, −1, −1]), or use " +
        "MultiLabelSoftMarginLoss for a multi-hot target.",
    }];
  },
  forward({ input, target }, { reduction }, { dtype }) {
    const { frames, classes } = framesOf(input, target);
    const x = input.data;
    const y = target.data;
    for (let i = 0; i < y.length; i++) {
      if (y[i] < -1 || y[i] >= classes) {
        const field = elementField("inputs.target", target.shape, i);
        throw new LossInputError(
          field,
          `${field} is ${y[i]}, but input has ${classes} classes: targets must be ` +
            `class indices in [0, ${classes}), or -1 after the last label (argument #2 'target' ` +
            "is out of range)",
        );
      }
    }
    const float32 = dtype === "float32";
    const isTarget = new Uint8Array(x.length);
    const losses = reduction === "none" ? allocate(dtype, frames) : null;
    let total = 0;
    for (let frame = 0, start = 0; frame < frames; frame++, start += classes) {
      for (let j = start; j < start + classes && y[j] >= 0; j++) isTarget[start + y[j]] = 1;
      let sum = 0; // in double, as the kernel's acc_type accumulator
      for (let j = start; j < start + classes && y[j] >= 0; j++) {
        const targetScore = x[start + y[j]];
        for (let i = start; i < start + classes; i++) {
          if (isTarget[i]) continue;
          const z = hinge(targetScore, x[i], float32);
          if (z > 0) sum += z;
        }
      }
      // The row's sum is returned in the dtype (+∞ where a float32 sum overflows); `none`
      // divides it in the dtype, the reductions divide their double total.
      const rowSum = float32 ? Math.fround(sum) : sum;
      total += rowSum;
      if (losses) losses[frame] = rowSum / classes;
    }
    const shape = input.shape.length === 2 && reduction === "none" ? [frames] : [];
    if (reduction !== "none") total /= classes;
    return {
      output: reducedOutput(reduction, dtype, shape, total, losses, frames, "float64"),
      saved: { reduction, inputShape: input.shape, frames, classes, x, y, isTarget, float32 },
    };
  },
  backward(
    { reduction, inputShape, frames, classes, x, y, isTarget, float32 },
    gradOutput,
    { dtype },
  ) {
    const grad = allocate(dtype, x.length);
    // The kernel's g, 1 / (N·C) for `mean` and 1 / C otherwise, in the dtype, added up in the
    // gradient's own dtype; the gradient is then multiplied by grad_output.
    const g = inDtypeOf(grad, reduction === "mean" ? 1 / (frames * classes) : 1 / classes);
    for (let frame = 0, start = 0; frame < frames; frame++, start += classes) {
      for (let j = start; j < start + classes && y[j] >= 0; j++) {
        const targetIndex = start + y[j];
        const targetScore = x[targetIndex];
        for (let i = start; i < start + classes; i++) {
          if (isTarget[i]) continue;
          if (hinge(targetScore, x[i], float32) > 0) {
            grad[targetIndex] -= g;
            grad[i] += g;
          }
        }
      }
    }
    const upstream = gradOutput.data;
    const perFrame = reduction === "none" && upstream.length === frames && inputShape.length === 2;
    for (let frame = 0, start = 0; frame < frames; frame++, start += classes) {
      const scale = perFrame ? upstream[frame] : upstream[0];
      for (let i = start; i < start + classes; i++) grad[i] *= scale;
    }
    return { input: { shape: [...inputShape], data: grad } };
  },
});

/**
 * Sample `n` of a (N, C), (C) or 0-D input: its scores, its target row, the target classes
 * (the entries before the first −1, repeats kept, as the loss sums them) and C.
 */
function labelRow(
  input: FloatDense,
  target: Dense,
  n: number,
): { x: number[]; y: number[]; targets: number[]; classes: number } {
  const rank = input.shape.length;
  const classes = rank === 0 ? 1 : input.shape[rank - 1];
  const start = rank === 2 ? n * classes : 0;
  const x = Array.from({ length: classes }, (_, c) => Number(input.data[start + c]));
  const y = Array.from({ length: classes }, (_, c) => Number(target.data[start + c]));
  const end = y.indexOf(-1);
  return { x, y, targets: end < 0 ? y : y.slice(0, end), classes };
}
