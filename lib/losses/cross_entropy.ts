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
  classRow,
  classWeightOption,
  ignoreIndexOption,
  isFloatArray,
} from "./_classes.ts";
import {
  type Advice,
  defineLoss,
  holdsIndices,
  type LossInputs,
  type SweepPlan,
  type WorkedStep,
} from "../core/definition.ts";
import { plainReduction, tex, texTerm } from "../core/tex.ts";
import { filled } from "../ops/element.ts";
import { elementField, LossInputError } from "../core/errors.ts";
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
    /** `count` rows of C values in the input's dtype, value(p, c) at row p and class c. */
    const rows = (count: number, value: (p: number, c: number) => number): FloatDense => {
      const data = new (input.data.constructor as Float64ArrayConstructor)(count * classes);
      for (let p = 0; p < count; p++) {
        for (let c = 0; c < classes; c++) data[p * classes + c] = value(p, c);
      }
      return { shape: [count, classes], data };
    };
    return {
      field: elementField("inputs.input", input.shape, flat),
      label: `the logit of class ${t}` +
        (probabilities ? " (the most probable in the target)" : " (the target class)"),
      current,
      from: -span,
      to: span,
      batch(values) {
        const P = values.length;
        const x = rows(P, (p, c) => c === t ? values[p] : row[c]);
        const batchTarget: Dense = probabilities
          ? rows(P, (_, c) => targetRow[c])
          : { shape: [P], data: filled(target.data, P, Number(target.data[position])) };
        return { inputs: { input: x, target: batchTarget } };
      },
      read(output, grads) {
        const slope = Array.from(
          { length: output.data.length },
          (_, p) => grads.input.data[p * classes + t],
        );
        return { loss: Array.from(output.data), slope };
      },
    };
  },
  advise({ input, target }) {
    const advice: Advice[] = [];
    if (input.shape.length === 0) return advice;
    const layout = classLayout(input.shape);
    const positions = layout.batch * layout.inner;
    const rowsSumToOne = (data: ArrayLike<number>) => {
      for (let position = 0; position < positions; position++) {
        const row = classRow(data, layout, position);
        if (row.some((v) => !(v >= 0 && v <= 1))) return false;
        if (Math.abs(row.reduce((a, b) => a + b, 0) - 1) > 1e-3) return false;
      }
      return positions > 0 && layout.classes > 1;
    };
    if (rowsSumToOne(input.data)) {
      advice.push({
        code: "probabilities-as-logits",
        field: "inputs.input",
        message: "Every row of input lies in [0, 1] and sums to 1, as probabilities do, but " +
          "CrossEntropyLoss takes logits (unnormalized scores) and applies log-softmax " +
          "itself: pass the scores from before the softmax.",
      });
    }
    if (!holdsIndices(target.shape, input.shape)) {
      for (let position = 0; position < positions; position++) {
        const row = classRow(target.data, layout, position);
        if (Math.abs(row.reduce((a, b) => a + b, 0) - 1) > 1e-3) {
          advice.push({
            code: "target-not-a-distribution",
            field: "inputs.target",
            message: `The target holds class probabilities (it has the input's shape), but ` +
              `its row ${position} sums to ${tex(row.reduce((a, b) => a + b, 0))}, not 1: ` +
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
