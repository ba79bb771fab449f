/**
 * `torch.nn.CosineEmbeddingLoss`: whether two vectors are similar (y = 1) or dissimilar
 * (y = −1), from their cosine similarity.
 *
 * As ATen computes it, cos = Σ x1·x2 / √((Σ x1² + ε)(Σ x2² + ε)) with ε = 1e−12 (PyTorch's
 * EPSILON), so a zero vector has cosine 0, not NaN.  A target that is neither 1 nor −1 costs 0.
 * input1 and input2 broadcast against each other, and the target with the N cosines.
 *
 * Gradient: ∂cos/∂x1 = x2 / √(m1·m2) − cos·x1 / m1 (m = Σ x² + ε), times −1 where y = 1 and
 * +1 where y = −1 and cos − margin ≥ 0 (0 elsewhere); symmetrically for x2.  Computed as autograd
 * takes PyTorch's steps back through that composition, each in the dtype: in float32 a squared
 * norm above 3.4e38 is +∞, so that cos is 0 and the other input's gradient ∞ · 0, NaN, as in
 * PyTorch.
 *
 * @module
 */
import {
  broadcastIndex,
  broadcastShape,
  broadcastShapes,
  expandTo,
  sumTo,
} from "../ops/broadcast.ts";
import {
  defineLoss,
  type FloatInputs,
  type SweepPlan,
  type WorkedStep,
} from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import { filled } from "../ops/element.ts";
import {
  firstNotIn,
  including,
  notPlusMinusOne,
  rowEntrySweep,
  rowsLike,
  texList,
} from "./_explain.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGrad,
} from "../ops/reduction.ts";
import { type FloatArray, type FloatDense, formatShape, numel, sameShape } from "../core/tensor.ts";

/**
 * PyTorch's `EPSILON`, added to both squared norms in `cosine_embedding_loss`: a float, so
 * 1e-12 rounded to float32 in float64 too.
 */
const EPSILON = Math.fround(1e-12);

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
  /** Squared norms plus ε, of each input's own rows, in the dtype. */
  squared1: FloatArray;
  squared2: FloatArray;
  /** √(m1·m2) and the cosines, over the broadcast rows, in the dtype. */
  denominators: FloatArray;
  cosines: FloatArray;
  /** The target over the output's shape. */
  y: FloatArray;
}

/**
 * Σ x² + ε of each row of `tensor` (rows along its last dimension), in its dtype: each square
 * and the sum rounded to float32 for float32 (so that a square above 3.4e38 is +∞).
 */
function squaredNorms(tensor: FloatDense): FloatDense {
  const rank = tensor.shape.length;
  const size = rank === 0 ? 1 : tensor.shape[rank - 1];
  const rowShape = tensor.shape.slice(0, -1);
  const data = tensor.data;
  if (data instanceof Float32Array) {
    const out = new Float32Array(numel(rowShape));
    squaredNorms32(data, size, out);
    return { shape: rowShape, data: out };
  }
  const out = new Float64Array(numel(rowShape));
  squaredNorms64(data as Float64Array, size, out);
  return { shape: rowShape, data: out };
}

function squaredNorms32(data: Float32Array, size: number, out: Float32Array): void {
  for (let row = 0, start = 0; row < out.length; row++, start += size) {
    let sum = 0;
    for (let i = start; i < start + size; i++) sum += Math.fround(data[i] * data[i]);
    out[row] = Math.fround(Math.fround(sum) + EPSILON);
  }
}

function squaredNorms64(data: Float64Array, size: number, out: Float64Array): void {
  for (let row = 0, start = 0; row < out.length; row++, start += size) {
    let sum = 0;
    for (let i = start; i < start + size; i++) sum += data[i] * data[i];
    out[row] = sum + EPSILON;
  }
}

/**
 * Each row's cos = Σ x1·x2 / √(m1·m2) and its denominator, each step in the dtype, as PyTorch
 * composes them (float32: each product, the sum and m1·m2 rounded).
 */
function cosines32(
  x1: Float32Array,
  x2: Float32Array,
  size: number,
  m1: FloatArray,
  m2: FloatArray,
  denominators: FloatArray,
  cosines: FloatArray,
): void {
  for (let row = 0, start = 0; row < cosines.length; row++, start += size) {
    let product = 0;
    for (let i = start; i < start + size; i++) product += Math.fround(x1[i] * x2[i]);
    const d = Math.sqrt(Math.fround(m1[row] * m2[row]));
    denominators[row] = d;
    cosines[row] = Math.fround(product) / d;
  }
}

function cosines64(
  x1: Float64Array,
  x2: Float64Array,
  size: number,
  m1: FloatArray,
  m2: FloatArray,
  denominators: FloatArray,
  cosines: FloatArray,
): void {
  for (let row = 0, start = 0; row < cosines.length; row++, start += size) {
    let product = 0;
    for (let i = start; i < start + size; i++) product += x1[i] * x2[i];
    const d = Math.sqrt(m1[row] * m2[row]);
    denominators[row] = d;
    cosines[row] = product / d;
  }
}

/** Per row: Σ x1² + ε, Σ x2² + ε, √(m1·m2) and the cosine. */
interface CosineRows {
  squared1: FloatArray;
  squared2: FloatArray;
  denominators: FloatArray;
  cosines: FloatArray;
}

/** {@link squaredNorms} of both inputs and {@link cosines32} in one pass over the rows. */
function fusedCosines32(
  x1: Float32Array,
  x2: Float32Array,
  size: number,
  { squared1, squared2, denominators, cosines }: CosineRows,
): void {
  for (let row = 0, start = 0; row < cosines.length; row++, start += size) {
    let product = 0, sum1 = 0, sum2 = 0;
    for (let i = start; i < start + size; i++) {
      const a = x1[i], b = x2[i];
      product += Math.fround(a * b);
      sum1 += Math.fround(a * a);
      sum2 += Math.fround(b * b);
    }
    const m1 = Math.fround(Math.fround(sum1) + EPSILON);
    const m2 = Math.fround(Math.fround(sum2) + EPSILON);
    squared1[row] = m1;
    squared2[row] = m2;
    const d = Math.sqrt(Math.fround(m1 * m2));
    denominators[row] = d;
    cosines[row] = Math.fround(product) / d;
  }
}

function fusedCosines64(
  x1: Float64Array,
  x2: Float64Array,
  size: number,
  { squared1, squared2, denominators, cosines }: CosineRows,
): void {
  for (let row = 0, start = 0; row < cosines.length; row++, start += size) {
    let product = 0, sum1 = 0, sum2 = 0;
    for (let i = start; i < start + size; i++) {
      const a = x1[i], b = x2[i];
      product += a * b;
      sum1 += a * a;
      sum2 += b * b;
    }
    const m1 = sum1 + EPSILON, m2 = sum2 + EPSILON;
    squared1[row] = m1;
    squared2[row] = m2;
    const d = Math.sqrt(m1 * m2);
    denominators[row] = d;
    cosines[row] = product / d;
  }
}

/**
 * Both inputs' gradients where neither broadcasts: x1 gets 2·(g_m1·x1) + x2·g_p, x2 gets
 * 2·(g_m2·x2) + x1·g_p (g_p the gradient of the row's Σ x1·x2, g_m of its m), in float32.
 */
function inputGrads32(
  x1: Float32Array,
  x2: Float32Array,
  size: number,
  gradProduct: FloatArray,
  gradSquared1: FloatArray,
  gradSquared2: FloatArray,
  grad1: FloatArray,
  grad2: FloatArray,
): void {
  for (let row = 0, start = 0; row < gradProduct.length; row++, start += size) {
    const g = gradProduct[row], g1 = gradSquared1[row], g2 = gradSquared2[row];
    for (let i = start; i < start + size; i++) {
      const a = x1[i], b = x2[i];
      grad1[i] = 2 * Math.fround(g1 * a) + Math.fround(b * g);
      grad2[i] = 2 * Math.fround(g2 * b) + Math.fround(a * g);
    }
  }
}

function inputGrads64(
  x1: Float64Array,
  x2: Float64Array,
  size: number,
  gradProduct: FloatArray,
  gradSquared1: FloatArray,
  gradSquared2: FloatArray,
  grad1: FloatArray,
  grad2: FloatArray,
): void {
  for (let row = 0, start = 0; row < gradProduct.length; row++, start += size) {
    const g = gradProduct[row], g1 = gradSquared1[row], g2 = gradSquared2[row];
    for (let i = start; i < start + size; i++) {
      const a = x1[i], b = x2[i];
      grad1[i] = 2 * (g1 * a) + b * g;
      grad2[i] = 2 * (g2 * b) + a * g;
    }
  }
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
  formula: String.raw`l_n = \begin{cases}
1 - \cos(x^{(1)}_n, x^{(2)}_n) & y_n = 1 \\
\max(0,\ \cos(x^{(1)}_n, x^{(2)}_n) - \text{margin}) & y_n = -1
\end{cases}`,
  teaching: {
    measures: "Whether two vectors point the same way: a similar pair ($y_n = 1$) costs " +
      "$1 - \\cos(x^{(1)}_n, x^{(2)}_n)$, a dissimilar one ($y_n = -1$) the amount by which " +
      "its cosine exceeds the margin. Only directions matter: scaling a vector changes " +
      "nothing. PyTorch adds $10^{-12}$ to each squared norm, so a zero vector has cosine 0.",
    choose: "For learning embeddings compared by cosine similarity (text, faces, retrieval) " +
      "from labelled pairs. A margin of 0 to 0.5 is typical; 0 asks dissimilar pairs to be " +
      "orthogonal or opposed. `HingeEmbeddingLoss` takes a distance you compute; " +
      "`TripletMarginWithDistanceLoss` with the cosine distance compares a positive and a " +
      "negative for each anchor.",
    mistake: "Labels of 0 and 1: a target of 0 costs nothing and has no gradient, so those " +
      "pairs are silently ignored. Use 1 and −1. The target has one label per pair, shape " +
      "(N), for inputs of shape (N, D).",
    related: [
      { to: "HingeEmbeddingLoss", why: "the same idea on a distance you compute" },
      { to: "TripletMarginWithDistanceLoss", why: "triplets, with the cosine distance" },
      { to: "MarginRankingLoss", why: "pairs of scores instead of vectors" },
    ],
  },
  keywords: [
    "embedding",
    "similarity",
    "cosine",
    "contrastive",
    "metric learning",
    "pairs",
    "retrieval",
  ],
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
      symbol: String.raw`\text{margin}`,
      description: "The cosine below which dissimilar pairs cost nothing: between −1 and 1, " +
        "0 to 0.5 suggested",
    },
    reductionOption(),
  ],
  legacyReduction: true,
  sample: (random) => ({
    input1: random.randn([3, 5]),
    input2: random.randn([3, 5]),
    target: { shape: [3], data: [0, 1, 2].map(() => random.int(0, 2) * 2 - 1) },
  }),
  explain: {
    element(inputs, { margin }, e) {
      const { a, b, y, own1, own2 } = pairAt(inputs, e);
      let dot = 0;
      for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
      // The squared norms come from each input's own rows, before they broadcast.
      const m1 = own1.reduce((sum, v) => sum + v * v, 0) + EPSILON;
      const m2 = own2.reduce((sum, v) => sum + v * v, 0) + EPSILON;
      const cos = dot / Math.sqrt(m1 * m2);
      const steps: WorkedStep[] = [
        { label: "the first vector", tex: `x^{(1)}_n = ${texList(a)}`, value: a[0] ?? 0 },
        { label: "the second vector", tex: `x^{(2)}_n = ${texList(b)}`, value: b[0] ?? 0 },
        { label: "their dot product", tex: `x^{(1)}_n \\cdot x^{(2)}_n = ${tex(dot)}`, value: dot },
        {
          label: "their squared norms, each plus 10⁻¹²",
          tex: `\\lVert x^{(1)}_n \\rVert^2 + 10^{-12} = ${tex(m1)},\\ ` +
            `\\lVert x^{(2)}_n \\rVert^2 + 10^{-12} = ${tex(m2)}`,
          value: m1,
        },
        {
          label: "the cosine: the dot product over the product of the norms",
          tex: `\\cos = \\frac{${tex(dot)}}{\\sqrt{${tex(m1)} \\cdot ${tex(m2)}}} = ${tex(cos)}`,
          value: cos,
        },
      ];
      if (y === 1) {
        steps.push({
          label: "a similar pair (y = 1) costs 1 − cos",
          tex: `l_n = 1 - ${texTerm(cos)} = ${tex(1 - cos)}`,
          value: 1 - cos,
        });
      } else if (y === -1) {
        const loss = Math.max(cos - margin, 0);
        steps.push({
          label: "a dissimilar pair (y = −1) costs what its cosine has above the margin",
          tex: `l_n = \\max(0,\\ ${tex(cos)} - ${texTerm(margin)}) = ${tex(loss)}`,
          value: loss,
        });
      } else {
        steps.push({
          label: `a target of ${tex(y)}, neither 1 nor −1, costs 0, as in PyTorch`,
          tex: "l_n = 0",
          value: 0,
        });
      }
      return { label: `pair ${e}, target ${tex(y)}`, steps };
    },
  },
  sweep(inputs, _options, e): SweepPlan {
    const { a, b, y, row1, own1, own2 } = pairAt(inputs, e);
    const size = a.length;
    // Move the coordinate of input1 where input2 is largest: the one that turns the cosine most.
    let k = 0;
    for (let i = 1; i < size; i++) if (Math.abs(b[i]) > Math.abs(b[k])) k = i;
    let rest = 0;
    for (let i = 0; i < size; i++) if (i !== k) rest += a[i] * a[i];
    const half = Number.isFinite(rest) ? Math.max(3, 3 * Math.sqrt(rest)) : 3;
    const current = size ? a[k] : 0;
    const [from, to] = including(-half, half, current, 1);
    const input1 = inputs.input1;
    const own = own1.length;
    // Each batch input keeps its own size along the vectors (1 broadcasts, as given), so that
    // the squared norms are the forward's.
    const j = own === 1 ? 0 : k;
    return rowEntrySweep(
      {
        field: elementField("inputs.input1", input1.shape, row1 * own + j),
        label: own === 1
          ? "input1's one coordinate (broadcast along the vectors)"
          : `coordinate ${k} of input1 (where input2 is largest)`,
        current,
        from,
        to,
      },
      { name: "input1", like: input1.data, row: own1, column: j },
      (P) => ({
        input2: rowsLike(input1.data, P, own2.length, (_, c) => own2[c]),
        target: { shape: [P], data: filled(inputs.target.data, P, y) },
      }),
    );
  },
  advise({ target }) {
    const value = firstNotIn(target.data, [1, -1]);
    if (value === undefined) return [];
    return [
      notPlusMinusOne(
        "CosineEmbeddingLoss",
        value,
        "a target of 0 costs nothing and has no gradient, so that pair is ignored",
      ),
    ];
  },
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
    const f32 = dtype === "float32";
    const denominators = allocate(dtype, rows);
    const cosines = allocate(dtype, rows);
    let squared1: FloatArray, squared2: FloatArray;
    if (sameShape(input1.shape, shape) && sameShape(input2.shape, shape)) {
      // Neither broadcasts: the three sums of each row in one pass.
      squared1 = allocate(dtype, rows);
      squared2 = allocate(dtype, rows);
      const row = { squared1, squared2, denominators, cosines };
      if (f32) fusedCosines32(x1 as Float32Array, x2 as Float32Array, size, row);
      else fusedCosines64(x1 as Float64Array, x2 as Float64Array, size, row);
    } else {
      squared1 = squaredNorms(input1).data;
      squared2 = squaredNorms(input2).data;
      const m1 = expandTo({ shape: input1.shape.slice(0, -1), data: squared1 }, cosineShape).data;
      const m2 = expandTo({ shape: input2.shape.slice(0, -1), data: squared2 }, cosineShape).data;
      if (f32) {
        cosines32(x1 as Float32Array, x2 as Float32Array, size, m1, m2, denominators, cosines);
      } else {
        cosines64(x1 as Float64Array, x2 as Float64Array, size, m1, m2, denominators, cosines);
      }
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
    const m = f32 ? Math.fround(margin) : margin;
    const losses = reduction === "none" ? allocate(dtype, n) : null;
    let total = 0;
    for (let i = 0; i < n; i++) {
      // where(y = 1, 1 − cos, 0) + where(y = −1, max(cos − margin, 0), 0).
      const positive = y[i] === 1 ? 1 - cos[i] : 0;
      let negative = 0;
      if (y[i] === -1) {
        const shifted = f32 ? Math.fround(cos[i] - m) : cos[i] - m;
        negative = shifted < 0 ? 0 : shifted; // NaN passes, as through clamp_min
      }
      const sum = f32 ? Math.fround(positive) + Math.fround(negative) : positive + negative;
      const loss = f32 ? Math.fround(sum) : sum;
      total += loss;
      if (losses) losses[i] = loss;
    }
    return {
      output: reducedOutput(reduction, dtype, outputShape, total, losses, n),
      saved: {
        reduction,
        margin: m,
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
        denominators,
        cosines,
        y,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { shape, size, cosineShape, outputShape, x1, x2, denominators, cosines, y } = saved;
    const f32 = dtype === "float32";
    const round = (v: number) => f32 ? Math.fround(v) : v;
    const n = numel(outputShape);
    const upstream = upstreamGrad(saved.reduction, gradOutput, n);
    const cos = expandTo({ shape: cosineShape, data: cosines }, outputShape).data;
    // The gradients reaching 1 − cos and the clamp's argument cos − margin, where the target
    // picks them; each is summed onto the cosines' shape before it reaches cos.
    const gradPositive = new Float64Array(n);
    const gradNegative = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (y[i] === 1) gradPositive[i] = upstream[i];
      if (y[i] === -1 && round(cos[i] - saved.margin) >= 0) gradNegative[i] = upstream[i];
    }
    const positive = sumTo({ shape: outputShape, data: gradPositive }, cosineShape).data;
    const negative = sumTo({ shape: outputShape, data: gradNegative }, cosineShape).data;
    const rows = positive.length;
    const m1 = expandTo({ shape: saved.shape1.slice(0, -1), data: saved.squared1 }, cosineShape)
      .data;
    const m2 = expandTo({ shape: saved.shape2.slice(0, -1), data: saved.squared2 }, cosineShape)
      .data;
    // Back through cos = Σ x1·x2 / d, d = √(m1·m2), m = Σ x² + ε, as autograd takes the steps:
    // Σ x1·x2 gets g/d; d gets −g·(cos/d), the product m1·m2 that / (2d), and each m the product
    // times the other m.  (∞ · 0 and 0 / 0 give NaN there as in PyTorch.)
    const gradProduct = allocate(dtype, rows);
    const gradSquared1 = allocate(dtype, rows);
    const gradSquared2 = allocate(dtype, rows);
    for (let row = 0; row < rows; row++) {
      const gradCos = round(negative[row] - positive[row]);
      const d = denominators[row];
      gradProduct[row] = gradCos / d;
      const gradDenominator = round(-gradCos * round(cosines[row] / d));
      const gradSquares = round(gradDenominator / round(2 * d));
      gradSquared1[row] = gradSquares * m2[row];
      gradSquared2[row] = gradSquares * m1[row];
    }
    const grad1 = allocate(dtype, x1.length);
    const grad2 = allocate(dtype, x2.length);
    if (sameShape(saved.shape1, shape) && sameShape(saved.shape2, shape)) {
      if (f32) {
        inputGrads32(
          x1 as Float32Array,
          x2 as Float32Array,
          size,
          gradProduct,
          gradSquared1,
          gradSquared2,
          grad1,
          grad2,
        );
      } else {
        inputGrads64(
          x1 as Float64Array,
          x2 as Float64Array,
          size,
          gradProduct,
          gradSquared1,
          gradSquared2,
          grad1,
          grad2,
        );
      }
      return {
        input1: { shape: [...shape], data: grad1 },
        input2: { shape: [...shape], data: grad2 },
      };
    }
    for (let row = 0, start = 0; row < rows; row++, start += size) {
      const g = gradProduct[row];
      for (let i = start; i < start + size; i++) {
        grad1[i] = x2[i] * g;
        grad2[i] = x1[i] * g;
      }
    }
    const rowShape1 = saved.shape1.slice(0, -1);
    const rowShape2 = saved.shape2.slice(0, -1);
    // Each input's squares were summed over its own rows: the gradient of its m is summed over
    // the broadcast rows, then each x gets 2·(g·x) (x·x's two factors), added before the
    // gradient of Σ x1·x2, in the order autograd adds them.
    const toInput = (
      grad: FloatArray,
      gradSquared: FloatArray,
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
          out[i] = 2 * round(perRow[row] * x[i]) + direct[i];
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

/**
 * Pair `e` of the output: the two vectors as the forward pairs them (each input's own row,
 * broadcast), its target, and the row of input1 it comes from.
 */
function pairAt({ input1, input2, target }: FloatInputs, e: number) {
  const shape = broadcastShapes(input1.shape, input2.shape) ?? input1.shape;
  const cosineShape = shape.slice(0, -1);
  const outputShape = broadcastShapes(target.shape, cosineShape) ?? cosineShape;
  const size = shape.length === 0 ? 1 : shape[shape.length - 1];
  const row = broadcastIndex(cosineShape, outputShape, e);
  const ownRow = (tensor: FloatDense) => {
    const r = broadcastIndex(tensor.shape.slice(0, -1), cosineShape, row);
    const own = tensor.shape[tensor.shape.length - 1];
    return Array.from({ length: own }, (_, i) => Number(tensor.data[r * own + i]));
  };
  const own1 = ownRow(input1);
  const own2 = ownRow(input2);
  const broadcast = (own: number[]) =>
    Array.from({ length: size }, (_, i) => own[own.length === 1 ? 0 : i]);
  return {
    a: broadcast(own1),
    b: broadcast(own2),
    own1,
    own2,
    y: Number(target.data[broadcastIndex(target.shape, outputShape, e)]),
    row1: broadcastIndex(input1.shape.slice(0, -1), cosineShape, row),
  };
}
