/**
 * `keras.losses.CosineSimilarity`: minus the cosine similarity of each prediction with its
 * target along one axis, −1 for identical directions and +1 for opposite ones.
 *
 * As Keras 3 computes it (`keras/src/losses/losses.py`, `cosine_similarity`, with
 * `keras/src/ops/nn.py` `_normalize` as on Keras's main branch after keras-team/keras#23093):
 * n(a) = a · rsqrt(max(Σ_axis a², 1e-14)) (1e-14 = epsilon², rounded to the dtype: norms below
 * 1e-7 count as 1e-7) and v = −Σ_axis n(y) n(x), one loss per position of the other axes,
 * reduced as Keras's `reduce_values` does (`lib/losses/_keras.ts`).  A zero vector is scaled by
 * 1e7 instead of its inverse norm, so its loss is −0 and its gradient finite (Keras 3.15.1's
 * `min(rsqrt(Σa²), 1e7)` gives the same values but a NaN gradient there).  An empty `axis`
 * dimension gives v = 0.  The target must have the input's shape; the input must be at least
 * 1-D.
 *
 * Gradient: with r_a = 1 / √max(Σa², 1e-14) and c = Σ n(y) n(x), ∂v/∂x = −r_x (n(y) − c n(x))
 * when Σx² > 1e-14, else −r_x n(y); the same with x and y exchanged for ∂v/∂y.
 *
 * @module
 */
import { type Advice, defineLoss } from "../core/definition.ts";
import { LossInputError } from "../core/errors.ts";
import { tex, texTerm } from "../core/tex.ts";
import { allocate, type Reduction } from "../ops/reduction.ts";
import type { Dense, DType, FloatArray } from "../core/tensor.ts";
import { checkSameShape, sameShapeInputs } from "./_pointwise.ts";
import {
  type AxisGroups,
  axisGroups,
  groupLabel,
  groupMembers,
  groupSweep,
  kerasReduce,
  kerasReductionOption,
  kerasReductionSteps,
  kerasSource,
  kerasUpstream,
} from "./_keras.ts";
import { rowsAlong, rowStart, sampledRow } from "./_explain.ts";

/** Options of {@link cosineSimilarityLoss}. */
export interface CosineSimilarityOptions {
  axis: number;
  reduction: Reduction;
}

interface CosineSimilaritySaved {
  x: FloatArray;
  y: FloatArray;
  shape: number[];
  groups: AxisGroups;
  /** Per group: r_x, r_y, c = Σ n(y) n(x), and whether Σx², Σy² pass the clamp (1, ½ or 0). */
  rx: Float64Array;
  ry: Float64Array;
  c: Float64Array;
  openX: Float64Array;
  openY: Float64Array;
  reduction: Reduction;
}

/** epsilon² of `_normalize`, the floor of the squared norm, in the dtype. */
function floorOf(dtype: DType): number {
  return dtype === "float32" ? Math.fround(1e-14) : 1e-14;
}

/** The groups of the positions along `axis` of a tensor, checking the axis. */
function groupsAlong(input: Dense, axis: number): AxisGroups {
  const rank = input.shape.length;
  if (rank === 0) {
    throw new LossInputError(
      "inputs.input",
      "inputs.input is 0-d, but it must have at least 1 dimension: the axis of the vectors",
    );
  }
  if (axis < -rank || axis >= rank) {
    throw new LossInputError(
      "options.axis",
      `options.axis is ${axis}, out of range for an input with ${rank} dimensions: it must be ` +
        `in [${-rank}, ${rank})`,
    );
  }
  return axisGroups(input.shape, [axis < 0 ? axis + rank : axis]);
}

/** Whether the squared norm `sum` passes the floor: 1 above it, ½ at it (a tie), 0 below. */
function open(sum: number, floor: number): number {
  return sum > floor ? 1 : sum === floor ? 0.5 : 0;
}

/**
 * The cosine similarity loss, as `keras.losses.CosineSimilarity`.
 *
 * @example Opposite directions cost 1, whatever the lengths; a zero vector costs −0
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 2, 0, 0], [2, 2]);
 * const target = ndarrayOf([-3, -6, 1, 1], [2, 2]);
 * const options = { reduction: "none" };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("CosineSimilarityLoss", { input, target }, options, settings);
 * assert.ok(Math.abs(output.get(0) - 1) < 1e-15);
 * assert.ok(Object.is(output.get(1), -0));
 * assert.ok(grads.input.data.every(Number.isFinite)); // finite at the zero vector
 * ```
 */
export const cosineSimilarityLoss = defineLoss<CosineSimilarityOptions, CosineSimilaritySaved>({
  name: "CosineSimilarityLoss",
  functional: "cosine_similarity",
  slug: "cosine-similarity",
  category: "ranking",
  source: kerasSource({
    name: "CosineSimilarity",
    section: "regression_losses",
    variable: "cosine",
    args: "axis={axis}, reduction={reduction}",
    targetGrad: true,
    revision: "main, keras-team/keras#23093",
    note: [
      "Keras's main branch (keras-team/keras#23093): a finite gradient at a zero vector, where",
      "Keras 3.15.1 gives NaN (the values are the same).",
    ],
  }),
  summary: "Minus the cosine similarity of prediction and target along an axis: −1 at best",
  formula: String.raw`l_n = -\frac{\sum_d x_{n,d}\, y_{n,d}}{\max(\|x_n\|,\ 10^{-7})\,
\max(\|y_n\|,\ 10^{-7})}`,
  teaching: {
    measures: "How well each predicted vector points in the direction of its target, ignoring " +
      "their lengths: minus their cosine, so −1 when they are aligned, 0 when orthogonal and " +
      "+1 when opposite. The vectors run along `axis` (the last by default); every other " +
      "position gets its own loss.",
    choose: "When only the direction of an output matters: embeddings compared by cosine, " +
      "normalized regression targets, matching a teacher's features. With pairs labelled " +
      "similar or dissimilar use `CosineEmbeddingLoss`; with many negatives at once, " +
      "`NTXentLoss`.",
    mistake: "Reading the sign as a distance: the loss is minus the similarity, best at −1, " +
      "and it is negative for any decent prediction, so a 'loss below zero' is expected. A " +
      "zero vector has no direction: its loss is 0 whatever the other vector, and its " +
      "gradient is scaled by 1e7.",
    related: [
      { to: "CosineEmbeddingLoss", why: "PyTorch's cosine loss for similar and dissimilar pairs" },
      { to: "NTXentLoss", why: "cosine similarities against many negatives, softmax-normalized" },
      { to: "MSELoss", why: "compares lengths too, not only directions" },
    ],
  },
  keywords: [
    "embeddings",
    "cosine similarity",
    "direction",
    "normalized",
    "distillation",
    "Keras",
  ],
  outputShape: "the input's shape without `axis` for reduction none (0-d for a 1-D input); " +
    "scalar otherwise",
  inputs: sameShapeInputs().map((spec) =>
    spec.name === "input"
      ? { ...spec, description: "The predicted vectors, along `axis`", shape: "(*), at least 1-D" }
      : spec
  ),
  options: [
    {
      name: "axis",
      type: "integer",
      default: -1,
      description: "The axis the vectors run along (one integer, negative from the end)",
    },
    kerasReductionOption(),
  ],
  sample: (random) => ({ input: random.randn([4, 3]), target: random.randn([4, 3]) }),
  explain: {
    count: ({ input }, { axis }) => groupsAlong(input, axis).count,
    element({ input, target }, { axis }, group) {
      const groups = groupsAlong(input, axis);
      const members = groupMembers(groups, group);
      const x = members.map((i) => Number(input.data[i]));
      const y = members.map((i) => Number(target.data[i]));
      const sx = x.reduce((sum, v) => sum + v * v, 0);
      const sy = y.reduce((sum, v) => sum + v * v, 0);
      const nx = Math.sqrt(Math.max(sx, 1e-14)), ny = Math.sqrt(Math.max(sy, 1e-14));
      const dot = x.reduce((sum, v, d) => sum + v * y[d], 0);
      const loss = -(dot / nx / ny);
      return {
        label: `${groupLabel(groups, group).replace("every axis summed", "one vector")}`,
        steps: [
          {
            label: "the predicted vector",
            tex: `x_n = (${x.map(tex).join(",\\ ")})`,
            value: x[0] ?? 0,
          },
          {
            label: "the target vector",
            tex: `y_n = (${y.map(tex).join(",\\ ")})`,
            value: y[0] ?? 0,
          },
          {
            label: "their lengths, each at least 1e-7",
            tex: `\\max(\\|x_n\\|, 10^{-7}) = ${tex(nx)},\\ \\max(\\|y_n\\|, 10^{-7}) = ${tex(ny)}`,
            value: nx,
          },
          { label: "their dot product", tex: `\\sum_d x_{n,d} y_{n,d} = ${tex(dot)}`, value: dot },
          {
            label: "minus the dot product over the lengths: minus the cosine, the loss",
            tex: `l_n = -\\frac{${tex(dot)}}{${tex(nx)} \\cdot ${texTerm(ny)}} = ${tex(loss)}`,
            value: loss,
          },
        ],
      };
    },
    reduction: (_inputs, { reduction }, losses, output) =>
      kerasReductionSteps(reduction, losses, output),
  },
  sweep: (inputs, { axis }, group) =>
    groupSweep(inputs, groupsAlong(inputs.input, axis), group, -1),
  advise({ input, target }, { axis }) {
    const advice: Advice[] = [];
    const rank = input.shape.length;
    if (rank === 0) return advice;
    const along = axis < 0 ? axis + rank : axis;
    const rows = rowsAlong(input.shape, along);
    if (rows.width === 0) return advice;
    // groupLabel names a vector by its place among them: the shape without the axis.
    const groups = { shape: input.shape.filter((_, d) => d !== along) };
    for (const [name, tensor] of [["input", input], ["target", target]] as const) {
      const x = tensor.data;
      let at = -1;
      for (let k = 0; k < rows.read && at < 0; k++) {
        const r = sampledRow(rows, k);
        const start = rowStart(rows, r);
        let sum = 0;
        for (let c = 0; c < rows.width; c++) sum += x[start + c * rows.inner] ** 2;
        if (sum <= 1e-14) at = r;
      }
      if (at >= 0) {
        advice.push({
          code: "zero-vector",
          field: `inputs.${name}`,
          message: `A vector of the ${name} (${groupLabel(groups, at)}) is zero: it has no ` +
            "direction, so its loss is 0 whatever the other vector, and its gradient is " +
            "scaled by 1e7. Check for empty or padded rows.",
        });
      }
    }
    return advice;
  },
  forward({ input, target }, { axis, reduction }, { dtype }) {
    checkSameShape(input, target);
    const groups = groupsAlong(input, axis);
    const { count, groupOf } = groups;
    const x = input.data, y = target.data;
    const sx = new Float64Array(count), sy = new Float64Array(count);
    for (let i = 0; i < x.length; i++) {
      sx[groupOf[i]] += x[i] * x[i];
      sy[groupOf[i]] += y[i] * y[i];
    }
    const floor = floorOf(dtype);
    const rx = new Float64Array(count), ry = new Float64Array(count);
    const openX = new Float64Array(count), openY = new Float64Array(count);
    for (let g = 0; g < count; g++) {
      rx[g] = 1 / Math.sqrt(Math.max(sx[g], floor));
      ry[g] = 1 / Math.sqrt(Math.max(sy[g], floor));
      openX[g] = open(sx[g], floor);
      openY[g] = open(sy[g], floor);
    }
    const c = new Float64Array(count);
    for (let i = 0; i < x.length; i++) {
      const g = groupOf[i];
      c[g] += (y[i] * ry[g]) * (x[i] * rx[g]);
    }
    const v = allocate(dtype, count);
    for (let g = 0; g < count; g++) v[g] = -c[g];
    return {
      output: kerasReduce(reduction, dtype, { shape: groups.shape, data: v }),
      saved: { x, y, shape: input.shape, groups, rx, ry, c, openX, openY, reduction },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { x, y, shape, groups, rx, ry, c, openX, openY } = saved;
    const { perElement, each } = kerasUpstream(saved.reduction, groups.shape, gradOutput);
    const gradInput = allocate(dtype, x.length);
    const gradTarget = allocate(dtype, x.length);
    for (let i = 0; i < x.length; i++) {
      const g = groups.groupOf[i];
      const upstream = perElement ? perElement[g] : each;
      const nx = x[i] * rx[g], ny = y[i] * ry[g];
      gradInput[i] = -upstream * rx[g] * (ny - openX[g] * c[g] * nx);
      gradTarget[i] = -upstream * ry[g] * (nx - openY[g] * c[g] * ny);
    }
    return { input: { shape, data: gradInput }, target: { shape, data: gradTarget } };
  },
});
