/**
 * `torch.nn.CrossEntropyLoss`: the cross entropy between the softmax of unnormalized class
 * scores (logits) and a target, given as class indices or as class probabilities.
 *
 * The registry's formula is PyTorch's for class indices; for class probabilities,
 * l_n = −Σ_c w_c y_{n,c} log softmax(x_n)_c.
 *
 * Label smoothing ε, as PyTorch 2.11 computes it: for probabilities, the target becomes
 * y (1 − ε) + ε / C.  For class indices, the loss is (1 − ε) · nll + (ε / C) · smooth, with
 * smooth_n = −Σ_c w_c log softmax(x_n)_c (0 for an ignored target), reduced like nll: for
 * `mean`, divided by the same Σ_n w_{y_n}.
 *
 * Which kind of target: a target of the input's shape holds probabilities (it must be floating
 * point, and `ignore_index` must be negative); any other shape holds class indices.  An integer
 * array is indices; a floating-point target whose shape is not the input's is read as class
 * indices when every value is an integer, so an HTTP caller who sends `[1, 0, 2]` without a
 * dtype gets class indices.
 *
 * Gradient: with p = softmax(x) along the class dimension and q the target distribution
 * (the one-hot of y_n, smoothed, or the probabilities) weighted per class,
 * ∂l_n/∂x_{n,c} = p_c Σ_k w_k q_k − w_c q_c; no gradient with respect to the target.
 * log-softmax is computed stably (log-sum-exp); when a backward follows (`context.grad`), the
 * forward saves the softmax, from the same exponentials, so that the backward computes none.
 *
 * @module
 */
import {
  checkClassIndices,
  checkClassWeight,
  checkIndexTargetShape,
  type ClassLayout,
  classLayout,
  classWeightOption,
  ignoreIndexOption,
  isFloatArray,
} from "./_classes.ts";
import { defineLoss, holdsIndices, type LossInputs } from "../core/definition.ts";
import { LossInputError } from "../core/errors.ts";
import { logSumExp } from "../ops/log_softmax.ts";
import { allocate, type Reduction, reductionOption } from "../ops/reduction.ts";
import type { Dense, DType, FloatArray, FloatDense, NumericArray } from "../core/tensor.ts";
import { formatShape, scalar } from "../core/tensor.ts";

/** Options of {@link crossEntropyLoss}. */
export interface CrossEntropyOptions {
  weight: FloatDense | null;
  ignore_index: number;
  reduction: Reduction;
  label_smoothing: number;
}

interface CrossEntropySaved {
  x: FloatArray;
  inputShape: number[];
  layout: ClassLayout;
  /** The maximum of each position's scores. */
  max: Float64Array;
  /** log Σ_c exp(x_c − max) of each position: log softmax(x)_c = x_c − max − logSum. */
  logSum: Float64Array;
  /** softmax(x) along the class dimension, in the input's layout and dtype, for a backward. */
  softmax: FloatArray | null;
  target: NumericArray;
  /** Whether the target holds class probabilities (else class indices). */
  probabilities: boolean;
  weight: FloatArray | null;
  ignoreIndex: number;
  smoothing: number;
  reduction: Reduction;
  /** The divisor of `mean`. */
  denominator: number;
}

interface CrossEntropyInputs extends LossInputs {
  input: FloatDense;
  target: Dense;
}

/**
 * The cross entropy loss, as `torch.nn.CrossEntropyLoss`.
 *
 * @example label_smoothing: the gradient is softmax(x) minus the smoothed one-hot target
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, indexNdArrayOf, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0, 0, 0, 0], [1, 4]);
 * const target = indexNdArrayOf([2], [1]);
 * const options = { label_smoothing: 0.2 };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("CrossEntropyLoss", { input, target }, options, settings);
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(), Math.log(4))); // every class has log-probability −log 4
 * // softmax = 1/4 each; the target becomes 0.8 · one-hot + 0.2 / 4.
 * const expected = [0.2, 0.2, -0.6, 0.2];
 * assert.ok(expected.every((g, c) => near(grads.input.get(0, c), g)));
 * ```
 */
export const crossEntropyLoss = defineLoss<
  CrossEntropyOptions,
  CrossEntropySaved,
  CrossEntropyInputs
>({
  name: "CrossEntropyLoss",
  functional: "cross_entropy",
  slug: "cross-entropy",
  category: "multiclass",
  summary: "Cross entropy between the softmax of class scores and class indices or probabilities",
  formula: String
    .raw`\ell(x, y) = L = \{l_1,\dots,l_N\}^\top, \quad l_n = - w_{y_n} \log \frac{\exp(x_{n,y_n})}{\sum_{c=1}^C \exp(x_{n,c})} \cdot \mathbb{1}\{y_n \not= \text{ignore\_index}\}`,
  outputShape: "scalar; (N), () or (N, d1, ..., dK) for reduction none",
  inputs: [
    {
      name: "input",
      description: "Unnormalized scores (logits) of each class",
      shape: "(N, C), (C) or (N, C, d1, ..., dK)",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "Class indices in [0, C) (or ignore_index), or class probabilities of the " +
        "input's shape; a float target of another shape whose values are integers is indices",
      shape: "indices (N), () or (N, d1, ..., dK); probabilities the input's shape",
      kind: "float-or-index",
      differentiable: false,
    },
  ],
  options: [
    classWeightOption(),
    ignoreIndexOption(" (class-index targets only)"),
    reductionOption(),
    {
      name: "label_smoothing",
      type: "number",
      default: 0,
      minimum: 0,
      maximum: 1,
      description: "The amount of smoothing, in [0, 1]: the target becomes a mixture of the " +
        "original ground truth and a uniform distribution",
    },
  ],
  meanDivisor: "for class indices, the sum of the weights of the targets not ignored (their " +
    "number without weight); for class probabilities, the number of losses",
  legacyReduction: true,
  sample: (random) => ({ input: random.randn([10, 3]), target: random.randint(0, 3, [10]) }),
  forward({ input, target }, options, context) {
    const layout = classLayout(input.shape);
    const probabilities = !holdsIndices(target.shape, input.shape);
    const ignoreIndex = options.ignore_index;
    let weight: FloatArray | null;
    if (probabilities) {
      checkProbabilityTarget(target, ignoreIndex);
      weight = checkClassWeight(options.weight, layout.classes);
    } else {
      checkIndexTargetShape(
        input.shape,
        target.shape,
        `; a target of class probabilities has the input's shape ${formatShape(input.shape)}`,
      );
      weight = checkClassWeight(options.weight, layout.classes);
      checkClassIndices(target, layout.classes, ignoreIndex);
    }
    const x = input.data;
    const softmax = context.grad ? allocate(context.dtype, x.length) : null;
    const { max, logSum } = logSumExp(x, layout, softmax);
    const saved: CrossEntropySaved = {
      x,
      inputShape: input.shape,
      layout,
      max,
      logSum,
      softmax,
      target: target.data,
      probabilities,
      weight,
      ignoreIndex,
      smoothing: options.label_smoothing,
      reduction: options.reduction,
      denominator: 0,
    };
    const output = probabilities
      ? probabilityForward(saved, context.dtype)
      : indexForward(saved, context.dtype);
    return { output, saved };
  },
  backward(saved, gradOutput, { dtype }) {
    const { softmax } = saved;
    if (!softmax) throw new Error("CrossEntropyLoss: backward needs a forward with context.grad");
    const grad = allocate(dtype, saved.x.length);
    if (saved.probabilities) probabilityBackward(saved, softmax, gradOutput.data, grad);
    else indexBackward(saved, softmax, gradOutput.data, grad);
    return { input: { shape: saved.inputShape, data: grad } };
  },
});

function checkProbabilityTarget(target: Dense, ignoreIndex: number): void {
  if (!isFloatArray(target.data)) {
    throw new LossInputError(
      "inputs.target",
      `inputs.target has the input's shape ${formatShape(target.shape)}, so it holds class ` +
        "probabilities, which must be floating point, but it holds integers; class indices " +
        "have the input's shape without the class dimension",
    );
  }
  if (ignoreIndex >= 0) {
    throw new LossInputError(
      "options.ignore_index",
      `options.ignore_index is ${ignoreIndex}, but ignore_index is not supported for a target ` +
        "of class probabilities (floating point, the input's shape); leave it negative",
    );
  }
}

/** Class-index targets: (1 − ε) · nll + (ε / C) · smooth, as PyTorch composes them. */
function indexForward(saved: CrossEntropySaved, dtype: DType): FloatDense {
  const { x, max, logSum, target, weight, ignoreIndex, smoothing, reduction } = saved;
  const { batch, classes, inner, lossShape } = saved.layout;
  const losses = reduction === "none" ? allocate(dtype, batch * inner) : null;
  const smoothingPerClass = smoothing / classes;
  let nllTotal = 0;
  let smoothTotal = 0;
  let weightTotal = 0;
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const t = target[position];
      if (t === ignoreIndex) continue;
      const w = weight ? weight[t] : 1;
      const m = max[position];
      const ls = logSum[position];
      const nll = -(x[sample + t * inner + k] - m - ls) * w;
      nllTotal += nll;
      weightTotal += w;
      if (smoothing > 0) {
        let smooth = 0;
        const end = sample + classes * inner;
        for (let i = sample + k, c = 0; i < end; i += inner, c++) {
          smooth -= (x[i] - m - ls) * (weight ? weight[c] : 1);
        }
        smoothTotal += smooth;
        if (losses) losses[position] = (1 - smoothing) * nll + smooth * smoothingPerClass;
      } else if (losses) {
        losses[position] = nll;
      }
    }
  }
  saved.denominator = weightTotal;
  if (losses) return { shape: lossShape, data: losses };
  const divisor = reduction === "mean" ? weightTotal : 1;
  const nll = nllTotal / divisor;
  return scalar(
    dtype,
    smoothing > 0 ? (1 - smoothing) * nll + (smoothTotal / divisor) * smoothingPerClass : nll,
  );
}

/**
 * Class-index targets: ∂/∂x_c = g · (p_c · a − (ε / C) w_c − (1 − ε) w_t 𝟙{c = t}), with
 * a = (1 − ε) w_t + (ε / C) Σ_k w_k, and g the gradient reaching the position's loss.
 */
function indexBackward(
  saved: CrossEntropySaved,
  softmax: FloatArray,
  g: FloatArray,
  grad: FloatArray,
): void {
  const { target, weight, ignoreIndex, smoothing, reduction } = saved;
  const { batch, classes, inner } = saved.layout;
  const perPosition = reduction === "none";
  const scale = reduction === "mean" ? g[0] / saved.denominator : g[0];
  const smoothingPerClass = smoothing / classes;
  let weightSum = classes;
  if (weight) {
    weightSum = 0;
    for (let c = 0; c < classes; c++) weightSum += weight[c];
  }
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const t = target[position];
      if (t === ignoreIndex) continue;
      const gp = perPosition ? g[position] : scale;
      const wt = weight ? weight[t] : 1;
      if (smoothing > 0) {
        const a = gp * ((1 - smoothing) * wt + smoothingPerClass * weightSum);
        const b = gp * smoothingPerClass;
        for (let i = sample + k, c = 0; i < end; i += inner, c++) {
          grad[i] = a * softmax[i] - b * (weight ? weight[c] : 1);
        }
      } else {
        const a = gp * wt;
        for (let i = sample + k; i < end; i += inner) grad[i] = a * softmax[i];
      }
      grad[sample + t * inner + k] -= gp * (1 - smoothing) * wt;
    }
  }
}

/** Class-probability targets: −Σ_c w_c q_c log p_c, q = y (1 − ε) + ε / C. */
function probabilityForward(saved: CrossEntropySaved, dtype: DType): FloatDense {
  const { x, max, logSum, target, weight, smoothing, reduction } = saved;
  const { batch, classes, inner, lossShape } = saved.layout;
  const positions = batch * inner;
  const losses = reduction === "none" ? allocate(dtype, positions) : null;
  const keep = smoothing > 0 ? 1 - smoothing : 1;
  const spread = smoothing > 0 ? smoothing / classes : 0;
  let total = 0;
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const m = max[position];
      const ls = logSum[position];
      let loss = 0;
      for (let i = sample + k, c = 0; i < end; i += inner, c++) {
        const q = target[i] * keep + spread;
        loss -= (x[i] - m - ls) * q * (weight ? weight[c] : 1);
      }
      total += loss;
      if (losses) losses[position] = loss;
    }
  }
  saved.denominator = positions;
  if (losses) return { shape: lossShape, data: losses };
  if (reduction === "sum") return scalar(dtype, total);
  return scalar(dtype, x.length === 0 ? NaN : total / positions);
}

/** Class-probability targets: ∂/∂x_c = g · (p_c Σ_k w_k q_k − w_c q_c). */
function probabilityBackward(
  saved: CrossEntropySaved,
  softmax: FloatArray,
  g: FloatArray,
  grad: FloatArray,
): void {
  const { target, weight, smoothing, reduction } = saved;
  const { batch, classes, inner } = saved.layout;
  const perPosition = reduction === "none";
  const scale = reduction === "mean" ? g[0] / saved.denominator : g[0];
  const keep = smoothing > 0 ? 1 - smoothing : 1;
  const spread = smoothing > 0 ? smoothing / classes : 0;
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const gp = perPosition ? g[position] : scale;
      let mass = 0;
      for (let i = sample + k, c = 0; i < end; i += inner, c++) {
        mass += (target[i] * keep + spread) * (weight ? weight[c] : 1);
      }
      for (let i = sample + k, c = 0; i < end; i += inner, c++) {
        const wq = (target[i] * keep + spread) * (weight ? weight[c] : 1);
        grad[i] = gp * (softmax[i] * mass - wq);
      }
    }
  }
}
