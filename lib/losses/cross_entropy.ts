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
 * log-softmax is computed stably (log-sum-exp) in the dtype; the forward keeps each position's
 * max and log-sum only, and the backward computes softmax from them, as PyTorch's
 * log_softmax backward does from its output.
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
  isFloatArray,
  nllLevels,
  totalNllLevels,
} from "./_classes.ts";
import {
  type Advice,
  defineLoss,
  holdsIndices,
  type LossInputs,
  type SweepPlan,
  type WorkedStep,
} from "../core/definition.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import { exp32, exp64 } from "../ops/exp_log.ts";
import { logSoftmaxStatistics } from "../ops/log_softmax.ts";
import { plainReduction, tex, texTerm } from "../core/tex.ts";
import { filled } from "../ops/element.ts";
import { allocate, type Reduction, reductionOption } from "../ops/reduction.ts";
import type { Dense, DType, FloatArray, FloatDense, NumericArray } from "../core/tensor.ts";
import { formatShape, scalar } from "../core/tensor.ts";
import { readNote, rowEntrySweep, rowsAlong, rowsLike, rowStart, sampledRow } from "./_explain.ts";

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
  /** log Σ_c exp(x_c − max) of each position: log softmax(x)_c = (x_c − max) − logSum. */
  logSum: Float64Array;
  target: NumericArray;
  /** Whether the target holds class probabilities (else class indices). */
  probabilities: boolean;
  weight: FloatArray | null;
  ignoreIndex: number;
  smoothing: number;
  reduction: Reduction;
  dtype: DType;
  /** nll's divisor for `mean`: Σ_n w_{y_n} over the targets not ignored, in the dtype. */
  totalWeight: number;
  /**
   * The divisor of the other `mean`: label smoothing's Σ_n w_{y_n} (or count) over the targets
   * not ignored, computed apart as PyTorch does; for probabilities, the number of positions.
   */
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
  formula: String.raw`l_n = \begin{cases}
-\log \operatorname{softmax}(x_n)_{y_n} & y_n \text{ a class index} \\
-\sum_{c=1}^{C} y_{n,c} \log \operatorname{softmax}(x_n)_c & y_n \text{ probabilities}
\end{cases}`,
  formulas: [
    {
      when: { label_smoothing: 0, weight: { not: null } },
      tex: String.raw`l_n = \begin{cases}
-w_{y_n} \log \operatorname{softmax}(x_n)_{y_n} & y_n \text{ a class index} \\
-\sum_{c=1}^{C} w_c\, y_{n,c} \log \operatorname{softmax}(x_n)_c & y_n \text{ probabilities}
\end{cases}`,
    },
    {
      when: { label_smoothing: { not: 0 }, weight: null },
      tex: String.raw`l_n = -\sum_{c=1}^{C} q_{n,c} \log \operatorname{softmax}(x_n)_c,\quad
q_{n,c} = \begin{cases}
(1 - \varepsilon)\,[c = y_n] + \varepsilon / C & y_n \text{ a class index} \\
(1 - \varepsilon)\, y_{n,c} + \varepsilon / C & y_n \text{ probabilities}
\end{cases}`,
    },
    {
      when: { label_smoothing: { not: 0 }, weight: { not: null } },
      tex: String.raw`l_n = -\sum_{c=1}^{C} w_c\, q_{n,c} \log \operatorname{softmax}(x_n)_c,\quad
q_{n,c} = \begin{cases}
(1 - \varepsilon)\,[c = y_n] + \varepsilon / C & y_n \text{ a class index} \\
(1 - \varepsilon)\, y_{n,c} + \varepsilon / C & y_n \text{ probabilities}
\end{cases}`,
    },
  ],
  teaching: {
    measures: "How surprised the model is by the right answer: the negative log of the " +
      "probability that the softmax of the scores gives the target class. A confident right " +
      "answer costs almost nothing, a confident wrong one costs a lot, and the gradient with " +
      "respect to the scores is simply $\\operatorname{softmax}(x_n) - \\text{one-hot}(y_n)$.",
    choose: "The default for classification with exactly one right class among C. It takes " +
      "raw scores (logits) and applies log-softmax itself, stably; use `NLLLoss` only when " +
      "the model already outputs log-probabilities, and `BCEWithLogitsLoss` when several " +
      "classes can be right at once. Class weights counter imbalance; label smoothing " +
      "keeps the model from becoming over-confident.",
    mistake: "Passing probabilities (the output of a softmax) instead of logits: the loss then " +
      "applies a second softmax, the gradients shrink and training stalls. A second one: " +
      "label smoothing with `ignore_index` still divides by the weights of the targets kept, " +
      "and a probability target cannot use `ignore_index` at all.",
    related: [
      {
        to: "NLLLoss",
        why: "the same loss on log-probabilities: CrossEntropyLoss is " +
          "log-softmax followed by NLLLoss",
      },
      { to: "BCEWithLogitsLoss", why: "for labels that are not mutually exclusive (multi-label)" },
      { to: "KLDivLoss", why: "against a target distribution, it differs by the target's entropy" },
      { to: "MultiMarginLoss", why: "a margin (hinge) loss over the same class scores" },
      { to: "/notebook#ce-title", why: "CrossEntropyLoss equals NLLLoss after log_softmax" },
      { to: "/lessons/calibration", why: "what label smoothing does to over-confidence" },
      { to: "/lessons/stability", why: "why from logits, and not the log of a softmax" },
    ],
  },
  keywords: [
    "classification",
    "multiclass",
    "softmax",
    "log loss",
    "logits",
    "label smoothing",
    "imbalance",
    "segmentation",
  ],
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
      symbol: String.raw`\varepsilon`,
      description: "The amount of smoothing: the target becomes a mixture of the original " +
        "ground truth, weighted 1 − ε, and a uniform distribution, weighted ε",
    },
  ],
  meanDivisor: "for class indices, the sum of the weights of the targets not ignored (their " +
    "number without weight); for class probabilities, the number of losses",
  legacyReduction: true,
  sample: (random) => ({ input: random.randn([10, 3]), target: random.randint(0, 3, [10]) }),
  explain: {
    element({ input, target }, options, position) {
      const layout = classLayout(input.shape);
      const x = classRow(input.data, layout, position);
      const probabilities = !holdsIndices(target.shape, input.shape);
      const { weight, label_smoothing: smoothing, ignore_index: ignoreIndex } = options;
      const w = (c: number) => weight ? weight.data[c] : 1;
      const classes = x.length;
      const t = probabilities ? -1 : Number(target.data[position]);
      const where = layout.inner === 1 ? `sample ${position}` : `position ${position}`;
      if (!probabilities && t === ignoreIndex) {
        return {
          label: `${where}: target ${t}, the ignore_index`,
          steps: [{ label: "an ignored target: its loss is 0", tex: "l_n = 0", value: 0 }],
        };
      }
      const max = Math.max(...x);
      const exps = x.map((v) => Math.exp(v - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      const logSum = max + Math.log(sum);
      const logp = x.map((v) => v - logSum);
      const steps: WorkedStep[] = [
        {
          label: "the logits of the sample",
          tex: `x_n = (${x.map(tex).join(",\\ ")})`,
          value: x[Math.max(t, 0)],
        },
        {
          label: "their maximum, subtracted first so that no exponential overflows",
          tex: `m = \\max_c x_{n,c} = ${tex(max)}`,
          value: max,
        },
        {
          label: "the exponentials of the shifted logits",
          tex: `e^{x_{n,c} - m} = (${exps.map(tex).join(",\\ ")})`,
          value: exps[Math.max(t, 0)],
        },
        { label: "their sum", tex: `\\sum_c e^{x_{n,c} - m} = ${tex(sum)}`, value: sum },
        {
          label: "the log-sum-exp of the logits",
          tex: `m + \\log ${texTerm(sum)} = ${tex(logSum)}`,
          value: logSum,
        },
      ];
      const given = probabilities ? classRow(target.data, layout, position) : [];
      const q = Array.from(
        { length: classes },
        (_, c) => (probabilities ? given[c] : +(c === t)) * (1 - smoothing) + smoothing / classes,
      );
      if (!probabilities && smoothing === 0) {
        const nll = logSum - x[t];
        steps.push({
          label: `minus the logit of the target class ${t}: −log softmax`,
          tex: `-\\log \\operatorname{softmax}(x_n)_{${t}} = ${tex(logSum)} - ${texTerm(x[t])} = ${
            tex(nll)
          }`,
          value: nll,
        });
        if (weight) {
          steps.push({
            label: `times the weight of class ${t}: the sample's loss`,
            tex: `l_n = w_{${t}} \\cdot ${texTerm(nll)} = ${tex(w(t))} \\cdot ${texTerm(nll)} = ${
              tex(w(t) * nll)
            }`,
            value: w(t) * nll,
          });
        } else {
          steps.push({ label: "the sample's loss", tex: `l_n = ${tex(nll)}`, value: nll });
        }
        return { label: `${where}, target class ${t}`, steps };
      }
      steps.push({
        label: probabilities
          ? smoothing > 0
            ? "the target probabilities, smoothed: (1 − ε) y + ε / C"
            : "the target probabilities"
          : `the target as probabilities: (1 − ε) one-hot(${t}) + ε / C`,
        tex: `q_n = (${q.map(tex).join(",\\ ")})`,
        value: q[Math.max(t, 0)],
      });
      const loss = -q.reduce((total, qc, c) => total + w(c) * qc * logp[c], 0);
      steps.push({
        label: weight
          ? "the weighted cross entropy with the log-softmax: the sample's loss"
          : "the cross entropy with the log-softmax: the sample's loss",
        tex: `l_n = -\\sum_c ${weight ? "w_c\\, " : ""}q_{n,c} (x_{n,c} - ${texTerm(logSum)}) = ${
          tex(loss)
        }`,
        value: loss,
      });
      return { label: probabilities ? where : `${where}, target class ${t}`, steps };
    },
    reduction({ input, target }, options, losses, output) {
      const probabilities = !holdsIndices(target.shape, input.shape);
      if (options.reduction !== "mean" || probabilities) {
        return plainReduction(options.reduction, losses, output);
      }
      let sum = 0;
      let divisor = 0;
      for (let i = 0; i < target.data.length; i++) {
        const t = Number(target.data[i]);
        if (t === options.ignore_index) continue;
        sum += losses.data[i];
        divisor += options.weight ? options.weight.data[t] : 1;
      }
      const kept = options.weight
        ? "the sum of the weights of the targets not ignored"
        : "the number of targets not ignored";
      if (divisor === 0) {
        return [{
          label: `the mean divides by ${kept}, which is 0 here: 0 / 0 is NaN, as in PyTorch`,
          tex: String.raw`\frac{0}{0} = \text{NaN}`,
          value: output,
        }];
      }
      return [
        { label: "the sum of the samples' losses", tex: `\\sum_n l_n = ${tex(sum)}`, value: sum },
        {
          label: `divided by ${kept}, ${tex(divisor)}`,
          tex: `\\frac{${tex(sum)}}{${tex(divisor)}} = ${tex(output)}`,
          value: output,
        },
      ];
    },
  },
  sweep({ input, target }, _options, position): SweepPlan {
    const layout = classLayout(input.shape);
    const row = classRow(input.data, layout, position);
    const classes = row.length;
    const probabilities = !holdsIndices(target.shape, input.shape);
    const targetRow = probabilities ? classRow(target.data, layout, position) : [];
    const t = probabilities
      ? targetRow.indexOf(Math.max(...targetRow))
      : Math.max(0, Math.min(classes - 1, Number(target.data[position])));
    const n = Math.floor(position / layout.inner);
    const flat = (n * classes + t) * layout.inner + (position % layout.inner);
    const current = row[t];
    const span = Math.max(6, Math.abs(current) + 2);
    return rowEntrySweep(
      {
        field: elementField("inputs.input", input.shape, flat),
        label: `the logit of class ${t}` +
          (probabilities ? " (the most probable in the target)" : " (the target class)"),
        current,
        from: -span,
        to: span,
      },
      { name: "input", like: input.data, row, column: t },
      (P) => ({
        target: probabilities
          ? rowsLike(input.data, P, classes, (_, c) => targetRow[c])
          : { shape: [P], data: filled(target.data, P, Number(target.data[position])) },
      }),
    );
  },
  advise({ input, target }) {
    const advice: Advice[] = [];
    if (input.shape.length === 0) return advice;
    // The rows of classes (along dimension 1, or 0 for a (C) input), as many as advice reads.
    const rows = rowsAlong(input.shape, input.shape.length === 1 ? 0 : 1);
    const rowSum = (data: ArrayLike<number>, r: number, probabilities: boolean) => {
      const start = rowStart(rows, r);
      let sum = 0;
      for (let c = 0; c < rows.width; c++) {
        const v = Number(data[start + c * rows.inner]);
        if (probabilities && !(v >= 0 && v <= 1)) return NaN;
        sum += v;
      }
      return sum;
    };
    let probabilities = rows.read > 0 && rows.width > 1;
    for (let k = 0; k < rows.read && probabilities; k++) {
      // NaN (a value outside [0, 1]) fails too.
      if (!(Math.abs(rowSum(input.data, sampledRow(rows, k), true) - 1) <= 1e-3)) {
        probabilities = false;
      }
    }
    if (probabilities) {
      advice.push({
        code: "probabilities-as-logits",
        field: "inputs.input",
        message:
          `Every row of input${readNote(rows.count, "rows", rows.read)} lies in [0, 1] and sums ` +
          "to 1, as probabilities do, but " +
          "CrossEntropyLoss takes logits (unnormalized scores) and applies log-softmax " +
          "itself: pass the scores from before the softmax.",
      });
    }
    if (!holdsIndices(target.shape, input.shape)) {
      for (let k = 0; k < rows.read; k++) {
        const position = sampledRow(rows, k);
        const sum = rowSum(target.data, position, false);
        if (Math.abs(sum - 1) > 1e-3) {
          advice.push({
            code: "target-not-a-distribution",
            field: "inputs.target",
            message: `The target holds class probabilities (it has the input's shape), but ` +
              `its row ${position} sums to ${tex(sum)}, not 1: ` +
              "the loss is then not a cross entropy between distributions.",
          });
          break;
        }
      }
    }
    return advice;
  },
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
    const { max, logSum } = logSoftmaxStatistics(x, layout, context.dtype);
    const saved: CrossEntropySaved = {
      x,
      inputShape: input.shape,
      layout,
      max,
      logSum,
      target: target.data,
      probabilities,
      weight,
      ignoreIndex,
      smoothing: options.label_smoothing,
      reduction: options.reduction,
      dtype: context.dtype,
      totalWeight: 0,
      denominator: 0,
    };
    let output: FloatDense;
    if (probabilities) output = probabilityForward(saved);
    else if (saved.smoothing > 0) output = smoothedForward(saved);
    else output = nllOfLogSoftmax(saved);
    return { output, saved };
  },
  backward(saved, gradOutput, { dtype }) {
    const grad = allocate(dtype, saved.x.length);
    const g = gradOutput.data;
    if (!saved.probabilities && saved.smoothing === 0) {
      if (dtype === "float32") indexBackward32(saved, g, grad as Float32Array);
      else indexBackward64(saved, g, grad as Float64Array);
    } else {
      generalBackward(saved, g, grad);
    }
    return { input: { shape: saved.inputShape, data: grad } };
  },
});

/** `value` rounded to float32 when `f32`: the steps of the less common paths, in either dtype. */
function inDtype(f32: boolean, value: number): number {
  return f32 ? Math.fround(value) : value;
}

/** log softmax(x) at index i of position `position`, in the dtype. */
function logProbability(saved: CrossEntropySaved, i: number, position: number): number {
  const f32 = saved.dtype === "float32";
  return inDtype(f32, inDtype(f32, saved.x[i] - saved.max[position]) - saved.logSum[position]);
}

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

/**
 * nll_loss of the log-softmax, for class-index targets: −w_{y_n} log softmax(x_n)_{y_n}, summed
 * and, for `mean`, divided by Σ w_{y_n}, as `nll_loss_out_frame` does in the dtype.
 */
function nllOfLogSoftmax(saved: CrossEntropySaved): FloatDense {
  const { target, weight, ignoreIndex, reduction, dtype } = saved;
  const { batch, classes, inner, lossShape } = saved.layout;
  const f32 = dtype === "float32";
  const losses = reduction === "none" ? allocate(dtype, batch * inner) : null;
  // nll_loss's first level of partial sums (the upper ones in `levels`, see carryNllLevels).
  const levels = nllLevels();
  let loss = 0, sum = 0, count = 0;
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const t = target[position];
      if (t === ignoreIndex) continue;
      const w = weight ? weight[t] : 1;
      const logP = logProbability(saved, sample + t * inner + k, position);
      const term = weight ? inDtype(f32, logP * w) : logP;
      loss = inDtype(f32, loss - term);
      sum = inDtype(f32, sum + w);
      count++;
      if ((position & 15) === 0) {
        carryNllLevels(levels, position, loss, sum, f32);
        loss = sum = 0;
      }
      if (losses) losses[position] = -term;
    }
  }
  totalNllLevels(levels, loss, sum, f32);
  // Without weights PyTorch counts the targets not ignored instead of summing 1s.
  saved.totalWeight = weight ? levels[15] : count;
  if (losses) return { shape: lossShape, data: losses };
  const total = levels[14];
  return scalar(dtype, reduction === "mean" ? total / saved.totalWeight : total);
}

/**
 * Class-index targets with label smoothing ε, as PyTorch 2.11 composes them:
 * (1 − ε) · nll + (ε / C) · smooth, smooth_n = −Σ_c w_c log softmax(x_n)_c (0 where the target
 * is ignored), each reduced apart: for `mean`, nll by its Σ w_{y_n}, smooth by its own.
 */
function smoothedForward(saved: CrossEntropySaved): FloatDense {
  const { target, weight, ignoreIndex, smoothing, reduction, dtype } = saved;
  const { batch, classes, inner, lossShape } = saved.layout;
  const f32 = dtype === "float32";
  const nll = nllOfLogSoftmax(saved);
  const smooth = allocate(dtype, batch * inner);
  let smoothTotal = 0;
  let divisor = 0;
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const t = target[position];
      if (t === ignoreIndex) continue;
      let sum = 0;
      for (let i = sample + k, c = 0; i < end; i += inner, c++) {
        const logP = logProbability(saved, i, position);
        sum += weight ? inDtype(f32, logP * weight[c]) : logP;
      }
      smooth[position] = -sum;
      smoothTotal += smooth[position];
      divisor += weight ? weight[t] : 1;
    }
  }
  saved.denominator = inDtype(f32, divisor);
  const keep = inDtype(f32, 1 - smoothing);
  const spread = inDtype(f32, smoothing / classes);
  const combine = (nllValue: number, smoothValue: number) =>
    inDtype(f32, inDtype(f32, keep * nllValue) + inDtype(f32, smoothValue * spread));
  if (reduction === "none") {
    const losses = allocate(dtype, batch * inner);
    for (let i = 0; i < losses.length; i++) losses[i] = combine(nll.data[i], smooth[i]);
    return { shape: lossShape, data: losses };
  }
  const sum = inDtype(f32, smoothTotal);
  const ret = reduction === "mean" ? inDtype(f32, sum / saved.denominator) : sum;
  return scalar(dtype, combine(nll.data[0], ret));
}

/**
 * Class-probability targets, as PyTorch's `cross_entropy_loss_prob_target`:
 * −Σ_c (log softmax(x)_c · q_c) · w_c, q = y (1 − ε) + ε / C; `mean` divides the total by the
 * number of positions.
 */
function probabilityForward(saved: CrossEntropySaved): FloatDense {
  const { weight, reduction, dtype } = saved;
  const { batch, classes, inner, lossShape } = saved.layout;
  const f32 = dtype === "float32";
  const positions = batch * inner;
  const losses = reduction === "none" ? allocate(dtype, positions) : null;
  let total = 0;
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      let sum = 0;
      for (let i = sample + k, c = 0; i < end; i += inner, c++) {
        const product = inDtype(f32, logProbability(saved, i, position) * smoothed(saved, i));
        sum += weight ? inDtype(f32, product * weight[c]) : product;
      }
      total += sum;
      if (losses) losses[position] = -sum;
    }
  }
  saved.denominator = positions;
  if (losses) return { shape: lossShape, data: losses };
  const sum = -inDtype(f32, total);
  if (reduction === "sum") return scalar(dtype, sum);
  return scalar(dtype, saved.x.length === 0 ? NaN : sum / positions);
}

/** The target probability q_c = y_c (1 − ε) + ε / C at index i, in the dtype. */
function smoothed(saved: CrossEntropySaved, i: number): number {
  const { smoothing, target } = saved;
  if (smoothing === 0) return target[i];
  const f32 = saved.dtype === "float32";
  const keep = inDtype(f32, 1 - smoothing);
  const spread = inDtype(f32, smoothing / saved.layout.classes);
  return inDtype(f32, inDtype(f32, target[i] * keep) + spread);
}

/**
 * The gradient of nll_loss reaching log softmax(x)_{y_n}: −w_{y_n} · grad_output (divided by
 * Σ w_{y_n} for `mean`), as `nll_loss_backward` computes it in the dtype; 0 where ignored.
 */
function nllGradient(
  saved: CrossEntropySaved,
  g: FloatArray,
  position: number,
  t: number,
  scale = 1,
): number {
  if (t === saved.ignoreIndex) return 0;
  const f32 = saved.dtype === "float32";
  const { weight, reduction } = saved;
  if (reduction === "none") {
    const upstream = scale === 1 ? g[position] : inDtype(f32, g[position] * scale);
    return weight ? inDtype(f32, -weight[t] * upstream) : -upstream;
  }
  const upstream = scale === 1 ? g[0] : inDtype(f32, g[0] * scale);
  const grad = -(reduction === "mean" ? inDtype(f32, upstream / saved.totalWeight) : upstream);
  return weight ? inDtype(f32, weight[t] * grad) : grad;
}

/**
 * Class-index targets without smoothing, float32: log_softmax's backward of nll's gradient,
 * g_c − softmax(x)_c · Σ_k g_k, where only g_{y_n} is not 0; softmax(x)_c is exp of the
 * log-softmax, as PyTorch takes it from its output.  Rows whose target is ignored get
 * 0 − softmax · 0: 0, or NaN where the row holds NaN or +∞, as in PyTorch.
 */
function indexBackward32(saved: CrossEntropySaved, g: FloatArray, grad: Float32Array): void {
  const x = saved.x as Float32Array;
  const { target, max, logSum } = saved;
  const { batch, classes, inner } = saved.layout;
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const t = target[position];
      const gt = nllGradient(saved, g, position, t);
      const m = max[position], ls = logSum[position];
      for (let i = sample + k; i < end; i += inner) {
        grad[i] = -Math.fround(exp32(Math.fround(Math.fround(x[i] - m) - ls)) * gt);
      }
      if (t !== saved.ignoreIndex) {
        const i = sample + t * inner + k;
        grad[i] = gt - Math.fround(exp32(Math.fround(Math.fround(x[i] - m) - ls)) * gt);
      }
    }
  }
}

function indexBackward64(saved: CrossEntropySaved, g: FloatArray, grad: Float64Array): void {
  const x = saved.x as Float64Array;
  const { target, max, logSum } = saved;
  const { batch, classes, inner } = saved.layout;
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    const end = sample + classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const t = target[position];
      const gt = nllGradient(saved, g, position, t);
      const m = max[position], ls = logSum[position];
      for (let i = sample + k; i < end; i += inner) grad[i] = -(exp64(x[i] - m - ls) * gt);
      if (t !== saved.ignoreIndex) {
        const i = sample + t * inner + k;
        grad[i] = gt - exp64(x[i] - m - ls) * gt;
      }
    }
  }
}

/**
 * Label smoothing and class probabilities: the gradient g_c reaching each log softmax(x)_c
 * through PyTorch's composition of the loss, then log_softmax's backward,
 * g_c − softmax(x)_c · Σ_k g_k, each step in the dtype.
 */
function generalBackward(saved: CrossEntropySaved, g: FloatArray, grad: FloatArray): void {
  const { target, weight, ignoreIndex, smoothing, reduction, dtype, probabilities } = saved;
  const { batch, classes, inner } = saved.layout;
  const f32 = dtype === "float32";
  const keep = inDtype(f32, 1 - smoothing);
  const spread = inDtype(f32, smoothing / classes);
  const row = new Float64Array(classes);
  for (let n = 0, position = 0; n < batch; n++) {
    const sample = n * classes * inner;
    for (let k = 0; k < inner; k++, position++) {
      const upstream = reduction === "none" ? g[position] : g[0];
      if (probabilities) {
        // −(Σ (log p · q) · w) / positions for `mean`: back through the division and the sum.
        const scaled = reduction === "mean" ? inDtype(f32, upstream / saved.denominator) : upstream;
        for (let c = 0, i = sample + k; c < classes; c++, i += inner) {
          const q = inDtype(f32, weight ? inDtype(f32, -scaled * weight[c]) : -scaled);
          row[c] = inDtype(f32, q * smoothed(saved, i));
        }
      } else {
        const t = target[position];
        // (1 − ε) · nll: nll's gradient of (1 − ε)·grad_output; (ε / C) · smooth: the gradient of
        // (ε / C)·grad_output, divided for `mean`, reaching −log p_c · w_c (0 where ignored).
        const nll = nllGradient(saved, g, position, t, keep);
        let smooth = 0;
        if (t !== ignoreIndex) {
          const share = inDtype(f32, upstream * spread);
          smooth = reduction === "mean" ? inDtype(f32, share / saved.denominator) : share;
        }
        for (let c = 0; c < classes; c++) {
          const fromSmooth = weight ? inDtype(f32, -smooth * weight[c]) : -smooth;
          row[c] = c === t ? inDtype(f32, fromSmooth + nll) : fromSmooth;
        }
      }
      // Σ_k g_k one term after another in the dtype, as PyTorch's reduction adds a short row.
      let sum = 0;
      for (let c = 0; c < classes; c++) sum = inDtype(f32, sum + row[c]);
      for (let c = 0, i = sample + k; c < classes; c++, i += inner) {
        const logP = logProbability(saved, i, position);
        const softmax = f32 ? exp32(logP) : exp64(logP);
        grad[i] = row[c] - inDtype(f32, softmax * sum);
      }
    }
  }
}
