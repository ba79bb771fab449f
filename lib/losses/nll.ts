/**
 * `torch.nn.NLLLoss`: the negative log likelihood loss, for log-probabilities of C classes.
 *
 * `mean` divides by the weights of the targets not ignored, so it is NaN (0 / 0) when every
 * target is ignored, as in PyTorch.  `ignore_index` may lie outside [0, C).  The K-dimensional
 * case computes one loss per position.
 *
 * Gradient: ∂l_n/∂x_{n, y_n} = −w_{y_n} (divided by Σ_n w_{y_n} for `mean`), 0 for the other
 * classes and for ignored targets; no gradient with respect to the target.
 *
 * @module
 */
import {
  carryNllLevels,
  checkClassIndices,
  checkClassWeight,
  checkIndexTargetShape,
  type ClassLayout,
  classLayout,
  classWeightOption,
  ignoreIndexOption,
  nllLevels,
  totalNllLevels,
} from "./_classes.ts";
import { logSoftmaxRows } from "../ops/log_softmax.ts";
import { defineLoss, type LossInputs } from "../core/definition.ts";
import {
  allocate,
  inDtypeOf,
  reducedOutput,
  type Reduction,
  reductionOption,
} from "../ops/reduction.ts";
import type { Dense, FloatArray, FloatDense, NumericArray } from "../core/tensor.ts";

/** Options of {@link nllLoss}. */
export interface NLLOptions {
  weight: FloatDense | null;
  ignore_index: number;
  reduction: Reduction;
}

interface NLLSaved {
  layout: ClassLayout;
  inputShape: number[];
  target: NumericArray;
  weight: FloatArray | null;
  ignoreIndex: number;
  reduction: Reduction;
  /** Σ w_{y_n} over the targets not ignored: the divisor of `mean`. */
  totalWeight: number;
}

interface NLLInputs extends LossInputs {
  input: FloatDense;
  target: Dense;
}

/**
 * The negative log likelihood loss, as `torch.nn.NLLLoss`.
 *
 * @example Class weights and an ignored target: mean divides by the weights counted
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, indexNdArrayOf, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([-1, -2, -0.5, -3, -4, -0.25], [3, 2]); // log-probabilities
 * const target = indexNdArrayOf([0, 1, -100], [3]); // -100: the default ignore_index
 * const options = { weight: ndarrayOf([1, 3], [2]) };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("NLLLoss", { input, target }, options, settings);
 * assert.equal(output.get(), 2.5); // (1 · 1 + 3 · 3) / (1 + 3)
 * assert.deepEqual([...grads.input.data], [-0.25, 0, 0, -0.75, 0, 0]);
 * ```
 */
export const nllLoss = defineLoss<NLLOptions, NLLSaved, NLLInputs>({
  name: "NLLLoss",
  functional: "nll_loss",
  slug: "nll",
  category: "multiclass",
  summary: "Negative log likelihood of the target class, from log-probabilities of C classes",
  formula: String
    .raw`\ell(x, y) = L = \{l_1,\dots,l_N\}^\top, \quad l_n = - w_{y_n} x_{n,y_n}, \quad w_{c} = \text{weight}[c] \cdot \mathbb{1}\{c \not= \text{ignore\_index}\}`,
  outputShape: "scalar; (N), () or (N, d1, ..., dK), as the target, for reduction none",
  inputs: [
    {
      name: "input",
      description: "Log-probabilities of each class (a LogSoftmax output)",
      shape: "(N, C), (C) or (N, C, d1, ..., dK)",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The class index of each sample (or position), in [0, C), or ignore_index",
      shape: "(N), () or (N, d1, ..., dK)",
      kind: "index",
      differentiable: false,
    },
  ],
  options: [
    classWeightOption(),
    ignoreIndexOption(),
    reductionOption(),
  ],
  meanDivisor: "the sum of the weights of the targets not ignored (their number without weight)",
  legacyReduction: true,
  sample(random) {
    const logits = random.randn([10, 3]);
    return {
      input: { shape: [10, 3], data: logSoftmaxRows(logits.data, 3) },
      target: random.randint(0, 3, [10]),
    };
  },
  forward({ input, target }, options, context) {
    const layout = classLayout(input.shape);
    checkIndexTargetShape(input.shape, target.shape);
    const weight = checkClassWeight(options.weight, layout.classes);
    const ignoreIndex = options.ignore_index;
    checkClassIndices(target, layout.classes, ignoreIndex);
    const { batch, classes, inner } = layout;
    const x = input.data;
    const y = target.data;
    const losses = options.reduction === "none" ? allocate(context.dtype, batch * inner) : null;
    const f32 = context.dtype === "float32";
    // nll_loss's first level of partial sums (the upper ones in `levels`, see carryNllLevels).
    const levels = nllLevels();
    let loss = 0, sum = 0, count = 0;
    for (let n = 0, position = 0; n < batch; n++) {
      const sample = n * classes * inner;
      for (let k = 0; k < inner; k++, position++) {
        const t = y[position];
        if (t === ignoreIndex) continue;
        const w = weight ? weight[t] : 1;
        const term = f32
          ? Math.fround(x[sample + t * inner + k] * w)
          : x[sample + t * inner + k] * w;
        loss = f32 ? Math.fround(loss - term) : loss - term;
        sum = f32 ? Math.fround(sum + w) : sum + w;
        count++;
        if ((position & 15) === 0) {
          carryNllLevels(levels, position, loss, sum, f32);
          loss = sum = 0;
        }
        if (losses) losses[position] = -term;
      }
    }
    totalNllLevels(levels, loss, sum, f32);
    const total = levels[14];
    // Without weights PyTorch counts the targets not ignored instead of summing 1s.
    const totalWeight = weight ? levels[15] : count;
    return {
      output: reducedOutput(
        options.reduction,
        context.dtype,
        layout.lossShape,
        total,
        losses,
        totalWeight,
      ),
      saved: {
        layout,
        inputShape: input.shape,
        target: y,
        weight,
        ignoreIndex,
        reduction: options.reduction,
        totalWeight,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { layout: { batch, classes, inner }, target, weight, ignoreIndex, reduction } = saved;
    const grad = allocate(dtype, batch * classes * inner);
    const perPosition = reduction === "none";
    const g = gradOutput.data;
    // −grad_output (divided by Σ w for `mean`), times w, as nll_loss_backward computes it.
    const scale = -(reduction === "mean" ? inDtypeOf(grad, g[0] / saved.totalWeight) : g[0]);
    for (let n = 0, position = 0; n < batch; n++) {
      const sample = n * classes * inner;
      for (let k = 0; k < inner; k++, position++) {
        const t = target[position];
        if (t === ignoreIndex) continue;
        const w = weight ? weight[t] : 1;
        grad[sample + t * inner + k] = perPosition ? -w * g[position] : w * scale;
      }
    }
    return { input: { shape: saved.inputShape, data: grad } };
  },
});
