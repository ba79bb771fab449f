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
  classRow,
  classWeightOption,
  ignoreIndexOption,
  nllLevels,
  totalNllLevels,
} from "./_classes.ts";
import { logSoftmaxRows } from "../ops/log_softmax.ts";
import { exp32 } from "../ops/exp_log.ts";
import {
  defineLoss,
  type LossInputs,
  type SweepPlan,
  type WorkedStep,
} from "../core/definition.ts";
import {
  allocate,
  inDtypeOf,
  reducedOutput,
  type Reduction,
  reductionOption,
} from "../ops/reduction.ts";
import { plainReduction, tex, texTerm } from "../core/tex.ts";
import { elementField } from "../core/errors.ts";
import {
  firstAbove,
  indexRowsLike,
  logProbabilityRange,
  rowEntrySweep,
  rowsAlong,
  rowStart,
  sampledRow,
  texList,
  weightedMean,
} from "./_explain.ts";
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
  formula: String.raw`l_n = -x_{n,y_n} \quad (0 \text{ where } y_n = \text{ignore\_index})`,
  formulas: [{
    when: { weight: { not: null } },
    tex: String.raw`l_n = -w_{y_n} x_{n,y_n} \quad (0 \text{ where } y_n = \text{ignore\_index})`,
  }],
  teaching: {
    measures: "Minus the log-probability the model gives the target class, $-x_{n,y_n}$, read " +
      "straight from the input: nothing is normalized here, so the input must already hold " +
      "log-probabilities. After a `LogSoftmax` it is exactly `CrossEntropyLoss`. A class " +
      "weight scales each sample's loss, and `mean` divides by the sum of the weights of the " +
      "targets counted.",
    choose: "When the model ends in `LogSoftmax`, or produces log-probabilities some other " +
      "way (a mixture, an adaptive softmax). From raw scores, `CrossEntropyLoss` does the " +
      "same in one stable step. For segmentation, an input of shape (N, C, d1, …) gives one " +
      "loss per pixel, and `ignore_index` leaves unlabelled pixels out.",
    mistake: "Giving it logits or probabilities instead of log-probabilities. On logits it " +
      "returns minus the target's score, which it lowers without end by making every score " +
      "large; on probabilities it raises a probability linearly instead of its log. Put " +
      "`log_softmax` before it, or use `CrossEntropyLoss` on the logits. And its `mean` is " +
      "weighted: with `weight` it divides by $\\sum_n w_{y_n}$, not by N.",
    related: [
      { to: "CrossEntropyLoss", why: "log_softmax and NLLLoss in one, from logits" },
      {
        to: "KLDivLoss",
        why: "also takes log-probabilities; equal to NLLLoss for one-hot targets",
      },
      { to: "MultiMarginLoss", why: "a hinge on the same class scores" },
      { to: "/notebook#ce-title", why: "NLLLoss after log_softmax equals CrossEntropyLoss" },
      { to: "/notebook#two-title", why: "with two classes, it agrees with BCELoss" },
      { to: "/lessons/imbalance", why: "class weights and the weighted mean" },
      { to: "/lessons/stability", why: "the log of a softmax that rounds to 0 is -inf" },
    ],
  },
  keywords: [
    "classification",
    "multiclass",
    "negative log likelihood",
    "log-softmax",
    "log-probabilities",
    "imbalance",
    "segmentation",
  ],
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
  explain: {
    element({ input, target }, options, position) {
      const layout = classLayout(input.shape);
      const x = classRow(input.data, layout, position);
      const t = Number(target.data[position]);
      const where = layout.inner === 1 ? `sample ${position}` : `position ${position}`;
      if (t === options.ignore_index) {
        return {
          label: `${where}: target ${t}, the ignore_index`,
          steps: [{ label: "an ignored target: its loss is 0", tex: "l_n = 0", value: 0 }],
        };
      }
      const total = x.reduce((sum, v) => sum + Math.exp(v), 0);
      const steps: WorkedStep[] = [
        { label: "the log-probabilities of the sample", tex: `x_n = ${texList(x)}`, value: x[t] },
        {
          label: Math.abs(total - 1) <= 1e-3
            ? "their probabilities sum to 1, as log-probabilities' do"
            : "their probabilities do not sum to 1: these are not log-probabilities",
          tex: `\\sum_c e^{x_{n,c}} = ${tex(total)}`,
          value: total,
        },
      ];
      const nll = -x[t];
      if (!options.weight) {
        steps.push({
          label: `minus the log-probability of the target class ${t}: the sample's loss`,
          tex: `l_n = -x_{n,${t}} = -${texTerm(x[t])} = ${tex(nll)}`,
          value: nll,
        });
      } else {
        const w = Number(options.weight.data[t]);
        steps.push({
          label: `minus the log-probability of the target class ${t}`,
          tex: `-x_{n,${t}} = -${texTerm(x[t])} = ${tex(nll)}`,
          value: nll,
        }, {
          label: `times the weight of class ${t}: the sample's loss`,
          tex: `l_n = w_{${t}} \\cdot ${texTerm(nll)} = ${tex(w)} \\cdot ${texTerm(nll)} = ${
            tex(nll * w)
          }`,
          value: nll * w,
        });
      }
      return { label: `${where}, target class ${t}`, steps };
    },
    reduction({ target }, options, losses, output) {
      if (options.reduction !== "mean") return plainReduction(options.reduction, losses, output);
      return weightedMean(target, options.weight, options.ignore_index, losses, output);
    },
  },
  sweep({ input, target }, _options, position): SweepPlan {
    const layout = classLayout(input.shape);
    const row = classRow(input.data, layout, position);
    const classes = row.length;
    const given = Number(target.data[position]);
    const t = given >= 0 && given < classes ? given : 0;
    const n = Math.floor(position / layout.inner);
    const flat = (n * classes + t) * layout.inner + (position % layout.inner);
    const current = row[t];
    const [from, to] = logProbabilityRange(-6, current);
    return rowEntrySweep(
      {
        field: elementField("inputs.input", input.shape, flat),
        label: `the log-probability of class ${t}` +
          (t === given ? " (the target class)" : ` (the target ${given} is ignored)`),
        current,
        from,
        to,
      },
      { name: "input", like: input.data, row, column: t },
      (P) => ({ target: indexRowsLike(target.data, P, null, () => given) }),
    );
  },
  advise({ input }) {
    if (input.shape.length === 0) return [];
    const positive = firstAbove(input.data, 1e-4);
    if (positive !== undefined) {
      return [{
        code: "positive-log-probabilities",
        field: "inputs.input",
        message: `The input holds ${tex(positive)}, but log-probabilities are at most 0: ` +
          "NLLLoss takes the output of log_softmax. For logits, use CrossEntropyLoss; for " +
          "probabilities, take their log first.",
      }];
    }
    // The rows of classes (along dimension 1, or 0 for a (C) input), as many as advice reads.
    const rows = rowsAlong(input.shape, input.shape.length === 1 ? 0 : 1);
    const x = input.data;
    for (let k = 0; k < rows.read; k++) {
      const position = sampledRow(rows, k);
      const start = rowStart(rows, position);
      let total = 0;
      // exp32, not Math.exp (a call into the C library each): to 1e-3, float32's exp is exact.
      for (let c = 0; c < rows.width; c++) total += exp32(x[start + c * rows.inner]);
      if (Math.abs(total - 1) > 1e-3 && !Number.isNaN(total)) {
        return [{
          code: "not-log-probabilities",
          field: "inputs.input",
          message: `The probabilities of row ${position} of the input sum to ${tex(total)}, ` +
            "not 1: these are not log-probabilities, and NLLLoss does not normalize them. " +
            "Apply log_softmax over the classes first, or use CrossEntropyLoss on the scores.",
        }];
      }
    }
    return [];
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
