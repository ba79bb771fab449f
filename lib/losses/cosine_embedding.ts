/**
 * `torch.nn.CosineEmbeddingLoss`: whether two vectors are similar (y = 1) or dissimilar
 * (y = −1), from their cosine similarity.
 *
 * As ATen computes it, cos = Σ x1·x2 / √((Σ x1² + ε)(Σ x2² + ε)) with ε = 1e−12 (PyTorch's
 * EPSILON), so a zero vector has cosine 0, not NaN.  A target that is neither 1 nor −1 costs 0.
 * input1 and input2 broadcast against each other, and the target with the N cosines.
 *
 * Gradient: ∂cos/∂x1 = x2 / √(m1·m2) − cos·x1 / m1 (m = Σ x² + ε), times −1 where y = 1 and
 * +1 where y = −1 and cos − margin ≥ 0 (0 elsewhere); symmetrically for x2.
 *
 * @module
 */
import { broadcastShape, broadcastShapes, expandTo, sumTo } from "../ops/broadcast.ts";
import { defineLoss } from "../core/definition.ts";
import { LossInputError } from "../core/errors.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGrad,
} from "../ops/reduction.ts";
import { type FloatArray, type FloatDense, formatShape, numel } from "../core/tensor.ts";

/** PyTorch's `EPSILON`, added to both squared norms in `cosine_embedding_loss`. */
const EPSILON = 1e-12;

/** Options of {@link cosineEmbeddingLoss}. */
export interface CosineEmbeddingOptions {
  margin: number;
  reduction: Reduction;
}

interface CosineEmbeddingSaved {
  reduction: Reduction;
  margin: number;
  /** Shapes: the inputs', their broadcast (rows of `size`), the cosines', the output's. */
  shape1: number[];
  shape2: number[];
  shape: number[];
  size: number;
  cosineShape: number[];
  outputShape: number[];
  /** The inputs' own values, and both broadcast to `shape`. */
  input1: FloatArray;
  input2: FloatArray;
  x1: FloatArray;
  x2: FloatArray;
  /** Squared norms plus ε, over the broadcast rows (each from its own input's rows). */
  squared1: Float64Array;
  squared2: Float64Array;
  cosines: Float64Array;
  /** The target over the output's shape. */
  y: FloatArray;
}

/** Σ x² + ε of each row of `tensor` (rows along its last dimension). */
function squaredNorms(tensor: FloatDense): FloatDense {
  const rank = tensor.shape.length;
  const size = rank === 0 ? 1 : tensor.shape[rank - 1];
  const rowShape = tensor.shape.slice(0, -1);
  const out = new Float64Array(numel(rowShape));
  const data = tensor.data;
  for (let row = 0, start = 0; row < out.length; row++, start += size) {
    let sum = 0;
    for (let i = start; i < start + size; i++) sum += data[i] * data[i];
    out[row] = sum + EPSILON;
  }
  return { shape: rowShape, data: out };
}

function checkRanks(input1: FloatDense, input2: FloatDense, target: FloatDense): void {
  const targetRank = target.shape.length;
  if (targetRank > 1) {
    throw new LossInputError(
      "inputs.target",
      `inputs.target has shape ${formatShape(target.shape)}, but must be 0-d or 1-d ` +
        "(multi-target not supported)",
    );
  }
  const want = targetRank + 1;
  for (const [name, tensor] of [["input1", input1], ["input2", input2]] as const) {
    if (tensor.shape.length !== want) {
      throw new LossInputError(
        `inputs.${name}`,
        `inputs.${name} has shape ${formatShape(tensor.shape)}, but a ${targetRank}-d target ` +
          `expects ${want}-d inputs (inputs ${formatShape(input1.shape)} and ` +
          `${formatShape(input2.shape)})`,
      );
    }
  }
}

/**
 * The cosine embedding loss, as `torch.nn.CosineEmbeddingLoss`.
 *
 * @example margin = 0.5: a similar pair at any scale costs 0, a dissimilar one cos − margin
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input1 = ndarrayOf([1, 0, 1, 0], [2, 2]);
 * const input2 = ndarrayOf([2, 0, 1, 1], [2, 2]);
 * const target = ndarrayOf([1, -1], [2]);
 * const { output, grads } = computeLoss(
 *   "CosineEmbeddingLoss",
 *   { input1, input2, target },
 *   { margin: 0.5 },
 *   { grad: true, dtype: "float64" },
 * );
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
 * assert.ok(near(output.get(), (0 + (Math.SQRT1_2 - 0.5)) / 2)); // 0.1035533...
 * // The dissimilar pair: ∂cos/∂x1 = x2 / (|x1| |x2|) − cos · x1 / |x1|², halved by the mean.
 * assert.ok(near(grads.input1.get(1, 0), 0) && near(grads.input1.get(1, 1), Math.SQRT1_2 / 2));
 * ```
 */
export const cosineEmbeddingLoss = defineLoss<CosineEmbeddingOptions, CosineEmbeddingSaved>({
  name: "CosineEmbeddingLoss",
  functional: "cosine_embedding_loss",
  slug: "cosine-embedding",
  category: "ranking",
  summary: "1 - cosine similarity for similar pairs (target 1), a hinge on it for dissimilar (-1)",
  formula: String
    .raw`\text{loss}(x, y) = \begin{cases} 1 - \cos(x_1, x_2), & \text{if } y = 1 \\ \max(0, \cos(x_1, x_2) - \text{margin}), & \text{if } y = -1 \end{cases}`,
  outputShape: "scalar; (N), or () for unbatched inputs, for reduction none",
  inputs: [
    {
      name: "input1",
      description: "The first vectors",
      shape: "(N, D) or (D), D the vector dimension",
      kind: "float",
      differentiable: true,
    },
    {
      name: "input2",
      description: "The second vectors",
      shape: "(N, D) or (D), as input1",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "1 where the pair should be similar, -1 where it should be dissimilar",
      shape: "(N) or ()",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "margin",
      type: "number",
      default: 0,
      description: "The cosine below which dissimilar pairs cost nothing (-1 to 1; 0 to 0.5 " +
        "suggested)",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => ({
    input1: random.randn([3, 5]),
    input2: random.randn([3, 5]),
    target: { shape: [3], data: [0, 1, 2].map(() => random.int(0, 2) * 2 - 1) },
  }),
  forward({ input1, input2, target }, { margin, reduction }, { dtype }) {
    checkRanks(input1, input2, target);
    const shape = broadcastShape(
      { field: "inputs.input1", tensor: input1 },
      { field: "inputs.input2", tensor: input2 },
    );
    const size = shape.length === 0 ? 1 : shape[shape.length - 1];
    const cosineShape = shape.slice(0, -1);
    const rows = numel(cosineShape);
    const x1 = expandTo(input1, shape).data;
    const x2 = expandTo(input2, shape).data;
    const squared1 = expandTo(squaredNorms(input1), cosineShape).data as Float64Array;
    const squared2 = expandTo(squaredNorms(input2), cosineShape).data as Float64Array;
    const cosines = new Float64Array(rows);
    for (let row = 0, start = 0; row < rows; row++, start += size) {
      let product = 0;
      for (let i = start; i < start + size; i++) product += x1[i] * x2[i];
      cosines[row] = product / Math.sqrt(squared1[row] * squared2[row]);
    }
    const outputShape = broadcastShapes(target.shape, cosineShape);
    if (!outputShape) {
      throw new LossInputError(
        "inputs.target",
        `inputs.target has shape ${formatShape(target.shape)}, but input1 and input2 ` +
          `(${formatShape(shape)}) hold ${formatShape(cosineShape)} pairs: one target per pair`,
      );
    }
    const n = numel(outputShape);
    const cos = expandTo({ shape: cosineShape, data: cosines }, outputShape).data;
    const y = expandTo(target, outputShape).data;
    const losses = reduction === "none" ? allocate(dtype, n) : null;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const loss = y[i] === 1 ? 1 - cos[i] : y[i] === -1 ? Math.max(cos[i] - margin, 0) : 0;
      total += loss;
      if (losses) losses[i] = loss;
    }
    return {
      output: reducedOutput(reduction, dtype, outputShape, total, losses, n),
      saved: {
        reduction,
        margin,
        shape1: input1.shape,
        shape2: input2.shape,
        shape,
        size,
        cosineShape,
        outputShape,
        input1: input1.data,
        input2: input2.data,
        x1,
        x2,
        squared1,
        squared2,
        cosines,
        y,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { shape, size, cosineShape, outputShape, x1, x2, squared1, squared2, cosines, y } = saved;
    const n = numel(outputShape);
    const upstream = upstreamGrad(saved.reduction, gradOutput, n);
    const cos = expandTo({ shape: cosineShape, data: cosines }, outputShape).data;
    const gradCosOut = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const hinge = y[i] === -1 && cos[i] - saved.margin >= 0 ? upstream[i] : 0;
      gradCosOut[i] = y[i] === 1 ? -upstream[i] : hinge;
    }
    const gradCos = sumTo({ shape: outputShape, data: gradCosOut }, cosineShape).data;
    const rows = gradCos.length;
    const grad1 = new Float64Array(x1.length);
    const grad2 = new Float64Array(x2.length);
    // The squared norms come from each input's own rows: their gradients are summed over the
    // broadcast rows before reaching the input.
    const gradSquared1 = new Float64Array(rows);
    const gradSquared2 = new Float64Array(rows);
    for (let row = 0, start = 0; row < rows; row++, start += size) {
      const g = gradCos[row];
      const scale = g / Math.sqrt(squared1[row] * squared2[row]);
      for (let i = start; i < start + size; i++) {
        grad1[i] = x2[i] * scale;
        grad2[i] = x1[i] * scale;
      }
      gradSquared1[row] = (-g * cosines[row]) / (2 * squared1[row]);
      gradSquared2[row] = (-g * cosines[row]) / (2 * squared2[row]);
    }
    const rowShape1 = saved.shape1.slice(0, -1);
    const rowShape2 = saved.shape2.slice(0, -1);
    const toInput = (
      grad: Float64Array,
      gradSquared: Float64Array,
      rowShape: number[],
      inputShape: number[],
      x: FloatArray,
    ): FloatDense => {
      const direct = sumTo({ shape, data: grad }, inputShape).data;
      const perRow = sumTo({ shape: cosineShape, data: gradSquared }, rowShape).data;
      const inputSize = inputShape.length === 0 ? 1 : inputShape[inputShape.length - 1];
      const out = allocate(dtype, direct.length);
      for (let row = 0, start = 0; row < perRow.length; row++, start += inputSize) {
        for (let i = start; i < start + inputSize; i++) {
          out[i] = direct[i] + 2 * perRow[row] * x[i];
        }
      }
      return { shape: [...inputShape], data: out };
    };
    return {
      input1: toInput(grad1, gradSquared1, rowShape1, saved.shape1, saved.input1),
      input2: toInput(grad2, gradSquared2, rowShape2, saved.shape2, saved.input2),
    };
  },
});
