/**
 * `torch.nn.KLDivLoss`: the Kullback-Leibler divergence of the target from the input, where
 * the input holds log-probabilities.
 *
 * Computed as PyTorch does, `xlogy(y, y) − y·x`, so an element whose target is 0 adds 0; with
 * `log_target`, the target holds log-probabilities too and l_n = e^{y_n} · (y_n − x_n).
 * `batchmean` sums and divides by the input's first size (the KL divergence per sample);
 * `mean` divides by the number of elements, with PyTorch's warning.  The target broadcasts with
 * the input without the pointwise losses' warning.
 *
 * Gradient: ∂l/∂x = −y (−e^y with `log_target`); ∂l/∂y = log y + 1 − x (NaN where y = 0, as
 * PyTorch's `xlogy` gives), or e^y · (y − x + 1) with `log_target`.  Computed as autograd takes
 * PyTorch's steps back, so that NaN and infinities fall where PyTorch's do: with `log_target`,
 * e^y·(y − x) + e^y for y = 1000, x = 2000 is −∞ + ∞, NaN.  float32 rounds each step as
 * PyTorch's float32 kernels do.
 *
 * @module
 */
import { broadcastShape, expandTo, sumTo } from "../ops/broadcast.ts";
import { logSoftmaxRows } from "../ops/log_softmax.ts";
import { type Advice, defineLoss, type WorkedStep } from "../core/definition.ts";
import type { FloatArray, FloatDense } from "../core/tensor.ts";
import { exp32, exp64, log32 } from "../ops/exp_log.ts";
import { allocate, reducedOutput, reductionOption, upstreamGradOf } from "../ops/reduction.ts";
import { plainReduction, tex, texTerm } from "../core/tex.ts";
import { elementExplainer, elementSweep } from "../ops/element.ts";
import { firstAbove, logProbabilityRange, rowsSumToOne } from "./_explain.ts";

/** Options of {@link klDivLoss}. */
export interface KLDivOptions {
  reduction: "none" | "mean" | "sum" | "batchmean";
  log_target: boolean;
  size_average: boolean | null;
  reduce: boolean | null;
}

interface KLDivSaved {
  shape: number[];
  x: FloatArray;
  y: FloatArray;
  /** The target's own values, of `targetShape`. */
  target: FloatArray;
  inputShape: number[];
  targetShape: number[];
  logTarget: boolean;
  /** `none`, `sum` or `mean`; `batchmean` is a `mean` over {@link count}. */
  reduction: string;
  count: number;
}

/** PyTorch's warning for `reduction: "mean"` (without the legacy options). */
export const KL_DIV_MEAN_WARNING =
  "reduction: 'mean' divides the total loss by both the batch size and the support size." +
  "'batchmean' divides only by the batch size, and aligns with the KL div math definition." +
  "'mean' will be changed to behave the same as 'batchmean' in the next major release.";

/**
 * The KL divergence loss, as `torch.nn.KLDivLoss`.
 *
 * @example batchmean divides by the batch size; a target of 0 adds 0, but its gradient is NaN
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf(new Array(4).fill(Math.log(0.5)), [2, 2]); // two samples, log(1/2) each
 * const target = ndarrayOf([0.5, 0.5, 1, 0], [2, 2]);
 * const options = { reduction: "batchmean" };
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("KLDivLoss", { input, target }, options, settings);
 * assert.equal(output.get(), Math.LN2 / 2); // (0 + 1 · (log 1 − log 0.5) + 0) / 2
 * assert.equal(grads.input.get(1, 0), -0.5); // −y / 2
 * assert.ok(Number.isNaN(grads.target.get(1, 1))); // log 0 + 1 − x
 * ```
 */
export const klDivLoss = defineLoss<KLDivOptions, KLDivSaved>({
  name: "KLDivLoss",
  functional: "kl_div",
  slug: "kl-div",
  category: "probabilistic",
  summary:
    "Kullback-Leibler divergence of the target distribution from the input's log-probabilities",
  formula: String.raw`l_n = y_n \left(\log y_n - x_n\right) \quad (0 \text{ where } y_n = 0)`,
  formulas: [{
    when: { log_target: true },
    tex: String.raw`l_n = e^{y_n} \left(y_n - x_n\right)`,
  }],
  teaching: {
    measures: "How far the target distribution is from the model's, with the model's in log " +
      "space: the input is $x_n = \\log p_n$, and each element costs $y_n(\\log y_n - x_n)$, 0 " +
      "where $y_n = 0$. Summed over a distribution, that is the divergence " +
      "$D_{KL}(y \\parallel p) = \\sum y \\log(y / p)$, which is 0 exactly when the two agree.",
    choose: "For matching a whole target distribution: knowledge distillation (a teacher's " +
      "softened probabilities), label distributions, variational objectives. Against a fixed " +
      "target it differs from `CrossEntropyLoss` with probability targets only by the " +
      "target's entropy, a constant, so the gradients are the same; KL reaches 0 at a perfect " +
      "match, which makes it easier to read. `log_target=True` takes the target in log space.",
    mistake: "Three at once. The order is the reverse of the math: `kl_div(input, target)` is " +
      "$D_{KL}(\\text{target} \\parallel \\text{input})$. The input must be log-probabilities " +
      "(`log_softmax`), not probabilities; the target is probabilities unless " +
      "`log_target=True`. And `reduction='mean'` divides by every element, N·C: the " +
      "divergence per sample is `batchmean`.",
    related: [
      { to: "CrossEntropyLoss", why: "with probability targets: the same gradients" },
      { to: "NLLLoss", why: "KLDivLoss with a one-hot target, summed or batchmean" },
      { to: "/lessons/calibration", why: "soft targets, temperature and distillation" },
    ],
  },
  keywords: [
    "probabilistic",
    "distribution",
    "divergence",
    "KL",
    "Kullback-Leibler",
    "relative entropy",
    "distillation",
    "soft targets",
  ],
  outputShape: "scalar; (*), as the input, for reduction none",
  inputs: [
    {
      name: "input",
      description: "Log-probabilities (e.g. from log_softmax)",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "Probabilities (log-probabilities with log_target); broadcast with the input",
      shape: "(*): the input's shape, or one that broadcasts with it",
      kind: "float",
      differentiable: true,
    },
  ],
  options: [
    reductionOption(["batchmean"]),
    {
      name: "log_target",
      type: "boolean",
      default: false,
      description: "Whether the target holds log-probabilities rather than probabilities",
    },
  ],
  legacyReduction: true,
  sample: (random) => ({
    input: { shape: [3, 5], data: logSoftmaxRows(random.randn([3, 5]).data, 5) },
    target: { shape: [3, 5], data: softmaxRows(random.randn([3, 5]).data, 5) },
  }),
  explain: {
    ...elementExplainer<KLDivOptions>(({ input: x, target: y }, { log_target: logTarget }) => {
      const steps: WorkedStep[] = [{
        label: logTarget
          ? "the log-probabilities of the input and of the target"
          : "the input's log-probability and the target's probability",
        tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)}`,
        value: x,
      }];
      if (logTarget) {
        const p = Math.exp(y);
        const loss = p * (y - x);
        steps.push(
          { label: "the target's probability", tex: `e^{y_n} = ${tex(p)}`, value: p },
          {
            label: "the difference of the two logs",
            tex: `y_n - x_n = ${tex(y)} - ${texTerm(x)} = ${tex(y - x)}`,
            value: y - x,
          },
          {
            label: "weighed by the target's probability: the element's loss",
            tex: `l_n = ${texTerm(p)} \\cdot ${texTerm(y - x)} = ${tex(loss)}`,
            value: loss,
          },
        );
        return steps;
      }
      const entropyTerm = y === 0 ? 0 : y * Math.log(y);
      const loss = entropyTerm - y * x;
      steps.push(
        {
          label: y === 0 ? "y log y, which is 0 for a target of 0" : "y log y",
          tex: `y_n \\log y_n = ${tex(entropyTerm)}`,
          value: entropyTerm,
        },
        {
          label: "y times the input's log-probability",
          tex: `y_n x_n = ${tex(y * x)}`,
          value: y * x,
        },
        {
          label: "their difference: the element's loss",
          tex: `l_n = ${tex(entropyTerm)} - ${texTerm(y * x)} = ${tex(loss)}`,
          value: loss,
        },
      );
      return steps;
    }),
    reduction({ input }, options, losses, output) {
      if (options.reduction !== "batchmean" || input.shape.length === 0) {
        return plainReduction(
          options.reduction === "batchmean" ? "sum" : options.reduction,
          losses,
          output,
        );
      }
      const batch = input.shape[0];
      let sum = 0;
      for (let i = 0; i < losses.data.length; i++) sum += losses.data[i];
      if (batch === 0) {
        return [{
          label: "batchmean divides by the batch size, which is 0 here: 0 / 0 is NaN, as in " +
            "PyTorch",
          tex: String.raw`\frac{0}{0} = \text{NaN}`,
          value: output,
        }];
      }
      return [
        {
          label: `the sum of the ${losses.data.length} losses`,
          tex: `\\sum_n l_n = ${tex(sum)}`,
          value: sum,
        },
        {
          label: `divided by the batch size, the input's first size N = ${batch} (batchmean)`,
          tex: `\\frac{${tex(sum)}}{${batch}} = ${tex(output)}`,
          value: output,
        },
      ];
    },
  },
  sweep: elementSweep({ input: "input", range: (current) => logProbabilityRange(-6, current) }),
  advise({ input, target }, { log_target: logTarget }) {
    const advice: Advice[] = [];
    const positive = firstAbove(input.data, 1e-4);
    if (positive !== undefined) {
      advice.push({
        code: "positive-log-probabilities",
        field: "inputs.input",
        message: `The input holds ${tex(positive)}, but KLDivLoss takes log-probabilities, ` +
          "which are at most 0: pass log_softmax of the scores, not probabilities.",
      });
    }
    if (logTarget) {
      const above = firstAbove(target.data, 1e-4);
      if (above !== undefined) {
        advice.push({
          code: "target-not-log-probabilities",
          field: "inputs.target",
          message: `log_target is true, so the target should hold log-probabilities, but it ` +
            `holds ${tex(above)}: pass probabilities with log_target false, or their log.`,
        });
      }
    } else if (!targetIsDistribution(target)) {
      const negative = target.data.some((v) => v < 0);
      advice.push({
        code: "target-not-a-distribution",
        field: "inputs.target",
        message: negative
          ? "The target holds negative values, as log-probabilities do: set log_target to " +
            "true, or pass the probabilities themselves."
          : "The target's rows (along its last dimension) do not sum to 1: KLDivLoss " +
            "compares distributions, and the target is read as probabilities.",
      });
    }
    return advice;
  },
  forward({ input, target }, options, context) {
    const legacy = options.size_average !== null || options.reduce !== null;
    if (!legacy && options.reduction === "mean") context.warn(KL_DIV_MEAN_WARNING);
    const shape = broadcastShape(
      { field: "inputs.input", tensor: input },
      { field: "inputs.target", tensor: target },
    );
    const x = expandTo(input, shape).data;
    const y = expandTo(target, shape).data;
    const n = x.length;
    let reduction: string = options.reduction;
    let count = n;
    if (reduction === "batchmean") {
      // PyTorch sums, then divides by input.size(0) unless the input is a scalar.
      reduction = input.shape.length === 0 ? "sum" : "mean";
      count = input.shape[0] ?? 1;
    }
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const total = context.dtype === "float32"
      ? losses32(x as Float32Array, y as Float32Array, options.log_target, losses)
      : losses64(x as Float64Array, y as Float64Array, options.log_target, losses);
    return {
      output: reducedOutput(reduction, context.dtype, shape, total, losses, count),
      saved: {
        shape,
        x,
        y,
        target: target.data,
        inputShape: input.shape,
        targetShape: target.shape,
        logTarget: options.log_target,
        reduction,
        count,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { x, y, shape, logTarget } = saved;
    const n = x.length;
    const f32 = dtype === "float32";
    const { perElement, each } = upstreamGradOf(saved.reduction, gradOutput, saved.count);
    const gradInput = allocate(dtype, n);
    const gradTarget = allocate(dtype, n);
    // With log_target, the gradient reaching exp(y): g·(y − x), summed onto the target's shape
    // before it is multiplied by exp(y), as autograd does.
    const gradExp = logTarget ? allocate(dtype, n) : null;
    for (let i = 0; i < n; i++) {
      const g = perElement ? perElement[i] : each;
      const t = y[i];
      if (logTarget) {
        const e = f32 ? exp32(t) : exp64(t);
        const d = f32 ? Math.fround(t - x[i]) : t - x[i];
        const gradDifference = f32 ? Math.fround(g * e) : g * e;
        gradInput[i] = -gradDifference;
        gradTarget[i] = gradDifference;
        gradExp![i] = g * d;
      } else {
        gradInput[i] = -g * t;
        // xlogy(y, y)'s gradient: log y (0 where y = 0) through its first argument, g·y / y
        // through its second (NaN where y = 0); then −g·x from −y·x.
        const log = t === 0 ? 0 : f32 ? log32(t) : Math.log(t);
        const first = f32 ? Math.fround(g * log) : g * log;
        const second = f32 ? Math.fround(Math.fround(g * t) / t) : (g * t) / t;
        const sum = f32 ? Math.fround(first + second) : first + second;
        gradTarget[i] = sum + (f32 ? Math.fround(-g * x[i]) : -g * x[i]);
      }
    }
    const target = sumTo({ shape, data: gradTarget }, saved.targetShape);
    if (gradExp) {
      const summed = sumTo({ shape, data: gradExp }, saved.targetShape).data;
      for (let i = 0; i < summed.length; i++) {
        const e = f32 ? exp32(saved.target[i]) : exp64(saved.target[i]);
        target.data[i] += f32 ? Math.fround(summed[i] * e) : summed[i] * e;
      }
    }
    return { input: sumTo({ shape, data: gradInput }, saved.inputShape), target };
  },
});

/**
 * exp(y)·(y − x) with `log_target`, else xlogy(y, y) − y·x (0·log 0 = 0, NaN for a NaN y),
 * each operation rounded to float32 as PyTorch's float32 kernels give it.
 */
function losses32(
  x: Float32Array,
  y: Float32Array,
  logTarget: boolean,
  losses: FloatArray | null,
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const t = y[i];
    const loss = logTarget
      ? Math.fround(exp32(t) * Math.fround(t - x[i]))
      : Math.fround((t === 0 ? 0 : Math.fround(t * log32(t))) - Math.fround(t * x[i]));
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

function losses64(
  x: Float64Array,
  y: Float64Array,
  logTarget: boolean,
  losses: FloatArray | null,
): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const t = y[i];
    const loss = logTarget ? exp64(t) * (t - x[i]) : (t === 0 ? 0 : t * Math.log(t)) - t * x[i];
    total += loss;
    if (losses) losses[i] = loss;
  }
  return total;
}

/** Each row of `columns` values, softmaxed: probabilities for a sample. */
function softmaxRows(values: number[], columns: number): number[] {
  const out = logSoftmaxRows(values, columns);
  return out.map(Math.exp);
}

/**
 * Whether the target's rows are distributions: each sums to 1 along its last dimension, or,
 * for a target of 3 dimensions or more (N, C, d1, …), along its second.
 */
function targetIsDistribution({ shape, data }: FloatDense): boolean {
  if (shape.length === 0) return true;
  if (data.some((v) => v < 0)) return false;
  if (rowsSumToOne(data, shape[shape.length - 1])) return true;
  if (shape.length < 3) return false;
  const [batch, classes] = shape;
  const inner = data.length / (batch * classes);
  for (let n = 0; n < batch; n++) {
    for (let k = 0; k < inner; k++) {
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += data[(n * classes + c) * inner + k];
      if (Math.abs(sum - 1) > 1e-3) return false;
    }
  }
  return true;
}
