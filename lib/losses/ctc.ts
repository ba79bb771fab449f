/**
 * `torch.nn.CTCLoss`: the connectionist temporal classification loss.
 *
 * B, in the registry's formula, maps an alignment of the frames to its labels: it removes
 * repeats, then blanks.  The sum over the alignments is computed, as aten's CPU kernel does, by
 * the alpha recursion over the extended label sequence l′ = (blank, y_1, blank, y_2, …, blank)
 * in log space:
 * α_t(s) = log(e^{α_{t−1}(s)} + e^{α_{t−1}(s−1)} + [l′_s ≠ l′_{s−2}] e^{α_{t−1}(s−2)})
 * + log_probs[t, l′_s], and ℓ_n = −log(e^{α_{T−1}(2S)} + e^{α_{T−1}(2S−1)}).  An impossible
 * target (too long for its frames) gives ℓ_n = ∞, and `zero_infinity` zeroes it.
 *
 * Gradient (aten's `ctc_loss_backward_cpu`, with the beta recursion β): for t < T_n,
 * ∂ℓ_n/∂log_probs[t, n, c] = exp(log_probs[t, n, c]) − exp(log Σ_{s: l′_s = c} e^{α_t(s) + β_t(s)}
 * + ℓ_n − log_probs[t, n, c]), which is the gradient through a log_softmax folded in, as PyTorch
 * computes it; 0 for t ≥ T_n, and 0 for an infinite loss with `zero_infinity`.
 *
 * @module
 */
import { logSoftmaxRows } from "../ops/log_softmax.ts";
import {
  type Advice,
  defineLoss,
  type SweepPlan,
  type WorkedElement,
  type WorkedStep,
} from "../core/definition.ts";
import { plainReduction, tex } from "../core/tex.ts";
import { indexRowsLike, logProbabilityRange, rowsSumToOne, texList } from "./_explain.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import { exp32, exp64, log32 } from "../ops/exp_log.ts";
import {
  allocate,
  inDtypeOf,
  reducedOutput,
  type Reduction,
  reductionOption,
} from "../ops/reduction.ts";
import type { Dense, FloatArray, FloatDense, NumericArray } from "../core/tensor.ts";
import { formatShape } from "../core/tensor.ts";

/** Options of {@link ctcLoss}. */
export interface CTCOptions {
  blank: number;
  reduction: Reduction;
  zero_infinity: boolean;
}

/** The inputs of {@link ctcLoss}: log-probabilities in the dtype, the rest as indices. */
export type CTCInputs = {
  log_probs: FloatDense;
  targets: Dense;
  input_lengths: Dense;
  target_lengths: Dense;
};

/** One sequence of the batch, as the forward pass leaves it for the backward pass. */
interface Sequence {
  /** T_n: the frames it uses. */
  inputLength: number;
  /** S_n: its number of target labels. */
  targetLength: number;
  /** l′: blank, y_1, blank, …, y_S, blank (2S_n + 1 labels). */
  extended: Int32Array;
  /** α, row-major (T_n, 2S_n + 1). */
  logAlpha: Float64Array;
}

/** What the backward pass needs. */
interface CTCSaved {
  logProbs: FloatArray;
  shape: number[];
  frames: number;
  batch: number;
  classes: number;
  blank: number;
  sequences: Sequence[];
  /** ℓ_n before `zero_infinity`, rounded to the dtype as PyTorch keeps it. */
  nll: FloatArray;
  reduction: Reduction;
  zeroInfinity: boolean;
}

/**
 * The CTC loss, as `torch.nn.CTCLoss`.
 *
 * @example Two frames, one label: three alignments (1 1, – 1, 1 –) of probability 1/4 each
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, indexNdArrayOf, ndarrayOf } from "../mod.ts";
 * // T = 2 frames, N = 1 sequence, C = 2 classes (0, the blank, and 1), each of probability 1/2.
 * const log_probs = ndarrayOf(new Array(4).fill(Math.log(0.5)), [2, 1, 2]);
 * const targets = indexNdArrayOf([1], [1, 1]);
 * const input_lengths = indexNdArrayOf([2], [1]);
 * const target_lengths = indexNdArrayOf([1], [1]);
 * const { output, grads } = computeLoss(
 *   "CTCLoss",
 *   { log_probs, targets, input_lengths, target_lengths },
 *   {},
 *   { grad: true, dtype: "float64" },
 * );
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(), -Math.log(0.75)));
 * // At each frame, exp(log_probs) minus the share of the probability through each class:
 * // 1/2 − 1/3 for the blank, 1/2 − 2/3 for the label.
 * assert.ok([0, 1].every((t) => near(grads.log_probs.get(t, 0, 0), 1 / 6)));
 * assert.ok([0, 1].every((t) => near(grads.log_probs.get(t, 0, 1), -1 / 6)));
 * ```
 */
export const ctcLoss = defineLoss<CTCOptions, CTCSaved, CTCInputs>({
  name: "CTCLoss",
  functional: "ctc_loss",
  slug: "ctc",
  category: "sequence",
  summary: "Negative log-likelihood of a target sequence summed over all its alignments to the " +
    "input frames (connectionist temporal classification)",
  formula: String
    .raw`l_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(y_n)} \prod_{t=1}^{T_n} e^{x_{t,n,\pi_t}}`,
  formulas: [{
    when: { zero_infinity: true },
    tex: String
      .raw`l_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(y_n)} \prod_{t=1}^{T_n} e^{x_{t,n,\pi_t}}
\quad (\infty \to 0)`,
  }],
  teaching: {
    measures: "Minus the log-probability of a target sequence $y_n$ given per-frame class " +
      "log-probabilities $x_{t,n,c}$, summed over every alignment π: every way of spelling " +
      "the $S_n$ labels over the $T_n$ frames, with blanks between them and repeats merged " +
      "($\\mathcal{B}$ removes repeats, then blanks). A recursion over the $2S_n + 1$ " +
      "extended labels sums them in $O(T_n S_n)$.",
    choose: "For sequence tasks whose input is longer than the target and not segmented: " +
      "speech and handwriting recognition, OCR of text lines. It assumes a monotonic " +
      "alignment and frames independent given the input; when outputs depend on earlier " +
      "outputs, an attention decoder trained with `CrossEntropyLoss` per token fits better.",
    mistake: "Raw scores as `log_probs`: it needs `log_softmax` over the classes, shaped " +
      "(T, N, C), time first. PyTorch's gradient assumes that log_softmax (it is computed " +
      "through it), so on other inputs it is not the loss's derivative. Also: a target " +
      "holding the blank (index 0 by default), and input lengths too short for the target " +
      "(it needs $S_n$ frames plus one per repeated neighbour), whose loss is ∞ unless " +
      "`zero_infinity=True`. `mean` divides each loss by its target length first.",
    related: [
      { to: "NLLLoss", why: "the per-frame loss when every frame has a label" },
      { to: "CrossEntropyLoss", why: "per-token training of an attention decoder" },
    ],
  },
  keywords: [
    "sequence",
    "speech",
    "speech recognition",
    "OCR",
    "handwriting",
    "alignment",
    "connectionist temporal classification",
    "unsegmented",
  ],
  outputShape: "scalar; (N), or () unbatched, for reduction none",
  work({ log_probs, targets, target_lengths }) {
    if (!log_probs || !targets) return undefined;
    const frames = log_probs.shape[0] ?? 1;
    const batch = log_probs.shape.length === 3 ? log_probs.shape[1] : 1;
    let longest = 0;
    const lengths = target_lengths?.data ?? [];
    for (let i = 0; i < lengths.length; i++) longest = Math.max(longest, lengths[i]);
    longest = Math.min(longest, targets.data.length);
    return {
      work: frames * (2 * longest + 1) * batch,
      field: "inputs.log_probs",
      formula: `T x (2S + 1) x N = ${frames} x ${2 * longest + 1} x ${batch}`,
    };
  },
  meanDivisor: "the number of sequences, after each sequence's loss is divided by its target " +
    "length (at least 1)",
  inputs: [
    {
      name: "log_probs",
      description: "Log-probabilities of the classes for each frame (e.g. log_softmax output)",
      shape: "(T, N, C) or (T, C)",
      kind: "float",
      differentiable: true,
    },
    {
      name: "targets",
      description:
        "Target class indices (by convention never the blank; PyTorch does not check): " +
        "padded per sequence, or concatenated",
      shape: "(N, S) or (sum(target_lengths)) or (S)",
      kind: "index",
      differentiable: false,
    },
    {
      name: "input_lengths",
      description: "Number of frames of each sequence (at most T)",
      shape: "(N) or ()",
      kind: "index",
      differentiable: false,
    },
    {
      name: "target_lengths",
      description: "Number of target labels of each sequence",
      shape: "(N) or ()",
      kind: "index",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "blank",
      type: "integer",
      default: 0,
      minimum: 0,
      description: "The class index of the blank label",
    },
    {
      ...reductionOption(),
      description: "`none`: the loss of each sequence; `mean`: each loss divided by its target " +
        "length, then averaged over the batch; `sum`: their sum",
    },
    {
      name: "zero_infinity",
      type: "boolean",
      default: false,
      description: "Whether to zero infinite losses (targets too long for their inputs) and " +
        "their gradients",
    },
  ],
  sample(random) {
    const [frames, batch, classes, maxTarget] = [10, 2, 5, 3];
    const logits = random.randn([frames, batch, classes]);
    return {
      log_probs: { shape: logits.shape, data: logSoftmaxRows(logits.data, classes) },
      targets: random.randint(1, classes, [batch, maxTarget]),
      input_lengths: { shape: [batch], data: new Array(batch).fill(frames), dtype: "int" },
      target_lengths: random.randint(1, maxTarget + 1, [batch]),
    };
  },
  explain: { element: ctcElement, reduction: ctcReduction },
  sweep: ctcSweep,
  advise: ctcAdvice,
  forward(inputs, { blank, reduction, zero_infinity }, context) {
    const problem = readProblem(inputs, blank);
    const { frames, batch, classes, batched } = problem;
    const logProbs = inputs.log_probs.data;
    const f32 = context.dtype === "float32";
    const nll = allocate(context.dtype, batch);
    const sequences: Sequence[] = [];
    for (let b = 0; b < batch; b++) {
      const sequence = forwardSequence(logProbs, b, batch, classes, blank, problem, f32);
      sequences.push(sequence.state);
      nll[b] = sequence.nll;
    }
    let output: FloatDense;
    const lossOf = (b: number) => zero_infinity && nll[b] === Infinity ? 0 : nll[b];
    if (reduction === "none") {
      const losses = allocate(context.dtype, batch);
      for (let b = 0; b < batch; b++) losses[b] = lossOf(b);
      output = { shape: batched ? [batch] : [], data: losses };
    } else {
      // `mean` is (loss / max(target length, 1)).mean(), each quotient in the dtype.
      const terms = allocate(context.dtype, batch);
      for (let b = 0; b < batch; b++) {
        terms[b] = reduction === "sum"
          ? lossOf(b)
          : lossOf(b) / Math.max(problem.targetLengths[b], 1);
      }
      let total = 0;
      for (let b = 0; b < batch; b++) total += terms[b];
      output = reducedOutput(reduction, context.dtype, [], total, null, batch);
    }
    return {
      output,
      saved: {
        logProbs,
        shape: inputs.log_probs.shape,
        frames,
        batch,
        classes,
        blank,
        sequences,
        nll,
        reduction,
        zeroInfinity: zero_infinity,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { logProbs, frames, batch, classes, blank, sequences, nll, reduction } = saved;
    const grad = allocate(dtype, frames * batch * classes);
    const f32 = dtype === "float32";
    for (let b = 0; b < batch; b++) {
      if (saved.zeroInfinity && nll[b] === Infinity) continue;
      const { targetLength } = sequences[b];
      // Back through the mean and the division by the target length, in the dtype.
      const upstream = reduction === "none"
        ? gradOutput.data[b]
        : reduction === "sum"
        ? gradOutput.data[0]
        : inDtypeOf(grad, inDtypeOf(grad, gradOutput.data[0] / batch) / Math.max(targetLength, 1));
      backwardSequence(
        logProbs,
        grad,
        b,
        batch,
        classes,
        blank,
        sequences[b],
        nll[b],
        upstream,
        f32,
      );
    }
    return { log_probs: { shape: [...saved.shape], data: grad } };
  },
});

/** The checked sizes and lengths of a CTC problem, with each sequence's labels located. */
interface Problem {
  frames: number;
  batch: number;
  classes: number;
  batched: boolean;
  inputLengths: number[];
  targetLengths: number[];
  /** Where sequence b's labels start in `targets.data`. */
  targetOffsets: number[];
  targets: NumericArray;
}

/** Checks the inputs as aten's `ctc_loss_allocate_outputs` does, naming the faulty field. */
function readProblem(inputs: CTCInputs, blank: number): Problem {
  const { log_probs, targets, input_lengths, target_lengths } = inputs;
  const rank = log_probs.shape.length;
  if (rank !== 2 && rank !== 3) {
    throw new LossInputError(
      "inputs.log_probs",
      `inputs.log_probs has shape ${formatShape(log_probs.shape)}, but must be (T, N, C) or, ` +
        `unbatched, (T, C)`,
    );
  }
  const batched = rank === 3;
  const frames = log_probs.shape[0];
  const batch = batched ? log_probs.shape[1] : 1;
  const classes = log_probs.shape[rank - 1];
  if (frames * batch * classes === 0) {
    throw new LossInputError(
      "inputs.log_probs",
      `inputs.log_probs has shape ${formatShape(log_probs.shape)}, but must not be empty`,
    );
  }
  const targetRank = targets.shape.length;
  if (targetRank !== 1 && targetRank !== 2) {
    throw new LossInputError(
      "inputs.targets",
      `inputs.targets has shape ${formatShape(targets.shape)}, but must be (N, S) padded or ` +
        `(sum(target_lengths)) concatenated`,
    );
  }
  if (blank >= classes) {
    throw new LossInputError(
      "options.blank",
      `options.blank is ${blank}, but log_probs has ${classes} classes (0 to ${classes - 1})`,
    );
  }
  const inputLengths = readLengths(input_lengths, "input_lengths", batch);
  const targetLengths = readLengths(target_lengths, "target_lengths", batch);
  const targetOffsets = new Array<number>(batch);
  if (targetRank === 1) {
    let position = 0;
    for (let b = 0; b < batch; b++) {
      targetOffsets[b] = position;
      position += targetLengths[b];
    }
    if (targets.shape[0] !== position) {
      throw new LossInputError(
        "inputs.targets",
        `inputs.targets has ${targets.shape[0]} labels, but concatenated targets must have ` +
          `sum(target_lengths) = ${position}`,
      );
    }
  } else {
    const [rows, width] = targets.shape;
    if (rows !== batch) {
      throw new LossInputError(
        "inputs.targets",
        `inputs.targets has shape ${formatShape(targets.shape)}, but log_probs has a batch of ` +
          `${batch}`,
      );
    }
    for (let b = 0; b < batch; b++) {
      targetOffsets[b] = b * width;
      if (targetLengths[b] > width) {
        throw new LossInputError(
          `inputs.target_lengths[${b}]`,
          `inputs.target_lengths[${b}] is ${targetLengths[b]}, but padded targets have only ` +
            `${width} labels per sequence`,
        );
      }
    }
  }
  for (let b = 0; b < batch; b++) {
    if (inputLengths[b] > frames) {
      throw new LossInputError(
        `inputs.input_lengths[${b}]`,
        `inputs.input_lengths[${b}] is ${inputLengths[b]}, but log_probs has only ${frames} ` +
          `frames`,
      );
    }
  }
  checkLabels(targets, targetOffsets, targetLengths, classes);
  return {
    frames,
    batch,
    classes,
    batched,
    inputLengths,
    targetLengths,
    targetOffsets,
    targets: targets.data,
  };
}

/** Reads one length per sequence, each at least 0 (PyTorch counts elements, not shape). */
function readLengths(lengths: Dense, name: string, batch: number): number[] {
  const field = `inputs.${name}`;
  if (lengths.data.length !== batch) {
    throw new LossInputError(
      field,
      `${field} has shape ${formatShape(lengths.shape)}, but must hold one length for each of ` +
        `the ${batch} sequence${batch === 1 ? "" : "s"}`,
    );
  }
  const values = new Array<number>(batch);
  for (let b = 0; b < batch; b++) {
    const value = Number(lengths.data[b]);
    if (value < 0) {
      throw new LossInputError(`${field}[${b}]`, `${field}[${b}] is ${value}, but must be >= 0`);
    }
    values[b] = value;
  }
  return values;
}

/**
 * Checks that every label the recursion reads is a class of log_probs (PyTorch reads out of
 * bounds there); padding past a sequence's target length is never read, so never checked.
 */
function checkLabels(
  targets: Dense,
  offsets: number[],
  lengths: number[],
  classes: number,
): void {
  for (let b = 0; b < offsets.length; b++) {
    for (let i = offsets[b], end = offsets[b] + lengths[b]; i < end; i++) {
      const label = Number(targets.data[i]);
      if (label < 0 || label >= classes) {
        const field = elementField("inputs.targets", targets.shape, i);
        throw new LossInputError(
          field,
          `${field} is ${label}, but log_probs has ${classes} classes (0 to ${classes - 1})`,
        );
      }
    }
  }
}

/**
 * `log(e^a + e^b + e^c)` as aten writes it: shifted by the largest of the three (a NaN among b
 * and c is never the largest), by 0 when that is −∞ (so that a NaN term still makes it NaN);
 * each step rounded to float32, as aten's float kernel computes it.  A −∞ term adds exactly 0:
 * its exp is 0, the shift being finite.  One function per dtype, each small enough for V8 to
 * inline into the recursions' loops (a call returning a double allocates it).
 */
function logSumExp3f32(a: number, b: number, c: number): number {
  let max = a;
  if (b > max) max = b;
  if (c > max) max = c;
  if (max === -Infinity) max = 0;
  const sum = Math.fround(
    Math.fround(exp32(Math.fround(a - max)) + exp32(Math.fround(b - max))) +
      exp32(Math.fround(c - max)),
  );
  return Math.fround(log32(sum) + max);
}

/** {@link logSumExp3f32} in float64. */
function logSumExp3f64(a: number, b: number, c: number): number {
  let max = a;
  if (b > max) max = b;
  if (c > max) max = c;
  if (max === -Infinity) max = 0;
  return Math.log(exp64(a - max) + exp64(b - max) + exp64(c - max)) + max;
}

/** log(e^a + e^b) shifted by the larger (std::max's choice: a unless a < b), in float32. */
function logSumExp2f32(a: number, b: number, max: number): number {
  const sum = Math.fround(exp32(Math.fround(a - max)) + exp32(Math.fround(b - max)));
  return Math.fround(log32(sum) + max);
}

/** {@link logSumExp2f32} in float64. */
function logSumExp2f64(a: number, b: number, max: number): number {
  return Math.log(exp64(a - max) + exp64(b - max)) + max;
}

/**
 * The alpha recursion of sequence `b`: α (T_n × (2S_n + 1), log space) and ℓ_n, as aten's
 * `ctc_loss_cpu_template` computes them in the dtype.  `log_probs[t, b, c]` is at
 * `(t·N + b)·C + c`.
 */
function forwardSequence(
  logProbs: FloatArray,
  b: number,
  batch: number,
  classes: number,
  blank: number,
  problem: Problem,
  f32: boolean,
): { state: Sequence; nll: number } {
  const inputLength = problem.inputLengths[b];
  const targetLength = problem.targetLengths[b];
  const width = 2 * targetLength + 1;
  const extended = new Int32Array(width).fill(blank);
  const offset = problem.targetOffsets[b];
  for (let k = 0; k < targetLength; k++) extended[2 * k + 1] = Number(problem.targets[offset + k]);
  const logAlpha = new Float64Array(inputLength * width).fill(-Infinity);
  const state: Sequence = { inputLength, targetLength, extended, logAlpha };
  if (inputLength === 0) return { state, nll: targetLength === 0 ? -0 : Infinity };

  const frameStride = batch * classes;
  const base = b * classes;
  logAlpha[0] = logProbs[base + blank];
  if (targetLength > 0) logAlpha[1] = logProbs[base + extended[1]];
  if (f32) {
    alphaRows32(logProbs as Float32Array, logAlpha, extended, inputLength, frameStride, base);
  } else alphaRows64(logProbs as Float64Array, logAlpha, extended, inputLength, frameStride, base);
  const last = (inputLength - 1) * width;
  if (targetLength === 0) return { state, nll: -logAlpha[last] };
  const l1 = logAlpha[last + 2 * targetLength];
  const l2 = logAlpha[last + 2 * targetLength - 1];
  let max = l1 < l2 ? l2 : l1;
  if (max === -Infinity) max = 0;
  return { state, nll: -(f32 ? logSumExp2f32(l1, l2, max) : logSumExp2f64(l1, l2, max)) };
}

/**
 * α's rows 1 to T_n − 1, in float32: α_t(s) = log(e^α_{t−1}(s) + e^α_{t−1}(s−1) [+
 * e^α_{t−1}(s−2) where l′_s ≠ l′_{s−2}]) + lp_t(l′_s).
 */
function alphaRows32(
  logProbs: Float32Array,
  logAlpha: Float64Array,
  extended: Int32Array,
  inputLength: number,
  frameStride: number,
  base: number,
): void {
  const width = extended.length;
  for (let t = 1; t < inputLength; t++) {
    const row = t * width, previous = row - width;
    const frame = t * frameStride + base;
    for (let s = 0; s < width; s++) {
      const label = extended[s];
      const stay = logAlpha[previous + s];
      const advance = s > 0 ? logAlpha[previous + s - 1] : -Infinity;
      const skip = s > 1 && extended[s - 2] !== label ? logAlpha[previous + s - 2] : -Infinity;
      logAlpha[row + s] = Math.fround(logSumExp3f32(stay, advance, skip) + logProbs[frame + label]);
    }
  }
}

function alphaRows64(
  logProbs: Float64Array,
  logAlpha: Float64Array,
  extended: Int32Array,
  inputLength: number,
  frameStride: number,
  base: number,
): void {
  const width = extended.length;
  for (let t = 1; t < inputLength; t++) {
    const row = t * width, previous = row - width;
    const frame = t * frameStride + base;
    for (let s = 0; s < width; s++) {
      const label = extended[s];
      const stay = logAlpha[previous + s];
      const advance = s > 0 ? logAlpha[previous + s - 1] : -Infinity;
      const skip = s > 1 && extended[s - 2] !== label ? logAlpha[previous + s - 2] : -Infinity;
      logAlpha[row + s] = logSumExp3f64(stay, advance, skip) + logProbs[frame + label];
    }
  }
}

/**
 * The beta recursion of sequence `b` and its gradient rows, as aten's
 * `ctc_loss_backward_cpu_template` computes them in the dtype: β is kept two rows at a time,
 * and for each frame t < T_n, `collected[c] = log Σ_{s: l′_s = c} e^{α_t(s) + β_t(s)}` gives
 * `grad[t, b, c] = (exp(lp) − exp(collected[c] + ℓ_n − lp)) · upstream`.  Rows t ≥ T_n stay 0.
 */
function backwardSequence(
  logProbs: FloatArray,
  grad: FloatArray,
  b: number,
  batch: number,
  classes: number,
  blank: number,
  sequence: Sequence,
  nll: number,
  upstream: number,
  f32: boolean,
): void {
  const { inputLength, targetLength, extended, logAlpha } = sequence;
  if (inputLength === 0) return;
  const round = (v: number) => f32 ? Math.fround(v) : v;
  const width = 2 * targetLength + 1;
  const end = 2 * targetLength;
  const frameStride = batch * classes;
  const base = b * classes;
  let betaNext = new Float64Array(width);
  let beta = new Float64Array(width).fill(-Infinity);
  const collected = new Float64Array(classes).fill(-Infinity);
  const writeRow = f32 ? writeGradRow32 : writeGradRow64;

  let t = inputLength - 1;
  let frame = t * frameStride + base;
  let row = t * width;
  beta[end] = logProbs[frame + blank];
  collected[blank] = round(logAlpha[row + end] + beta[end]);
  if (targetLength > 0) {
    const label = extended[end - 1];
    beta[end - 1] = logProbs[frame + label];
    // aten assigns here (no log-add): the two last labels differ unless a target is blank.
    collected[label] = round(logAlpha[row + end - 1] + beta[end - 1]);
  }
  writeRow(logProbs, grad, frame, classes, collected, nll, upstream);

  for (t = inputLength - 2; t >= 0; t--) {
    [betaNext, beta] = [beta, betaNext];
    frame = t * frameStride + base;
    row = t * width;
    collected.fill(-Infinity);
    if (f32) {
      betaRow32(
        logProbs as Float32Array,
        frame,
        logAlpha,
        row,
        extended,
        beta,
        betaNext,
        collected,
      );
    } else {
      betaRow64(
        logProbs as Float64Array,
        frame,
        logAlpha,
        row,
        extended,
        beta,
        betaNext,
        collected,
      );
    }
    writeRow(logProbs, grad, frame, classes, collected, nll, upstream);
  }
}

/**
 * β's row t from row t + 1 (`betaNext`), in float32, and each label's log Σ e^{α_t(s) + β_t(s)}
 * log-added into `collected` in aten's order (s from 2S_n down to 0).
 */
function betaRow32(
  logProbs: Float32Array,
  frame: number,
  logAlpha: Float64Array,
  row: number,
  extended: Int32Array,
  beta: Float64Array,
  betaNext: Float64Array,
  collected: Float64Array,
): void {
  const end = extended.length - 1;
  for (let s = end; s >= 0; s--) {
    const label = extended[s];
    const stay = betaNext[s];
    const advance = s < end ? betaNext[s + 1] : -Infinity;
    const skip = s < end - 1 && extended[s + 2] !== label ? betaNext[s + 2] : -Infinity;
    const value = Math.fround(logSumExp3f32(stay, advance, skip) + logProbs[frame + label]);
    beta[s] = value;
    const logAlphaBeta = Math.fround(logAlpha[row + s] + value);
    const current = collected[label];
    if (current === -Infinity) {
      collected[label] = logAlphaBeta;
    } else {
      const max = current < logAlphaBeta ? logAlphaBeta : current;
      collected[label] = logSumExp2f32(current, logAlphaBeta, max);
    }
  }
}

function betaRow64(
  logProbs: Float64Array,
  frame: number,
  logAlpha: Float64Array,
  row: number,
  extended: Int32Array,
  beta: Float64Array,
  betaNext: Float64Array,
  collected: Float64Array,
): void {
  const end = extended.length - 1;
  for (let s = end; s >= 0; s--) {
    const label = extended[s];
    const stay = betaNext[s];
    const advance = s < end ? betaNext[s + 1] : -Infinity;
    const skip = s < end - 1 && extended[s + 2] !== label ? betaNext[s + 2] : -Infinity;
    const value = logSumExp3f64(stay, advance, skip) + logProbs[frame + label];
    beta[s] = value;
    const logAlphaBeta = logAlpha[row + s] + value;
    const current = collected[label];
    if (current === -Infinity) {
      collected[label] = logAlphaBeta;
    } else {
      const max = current < logAlphaBeta ? logAlphaBeta : current;
      collected[label] = logSumExp2f64(current, logAlphaBeta, max);
    }
  }
}

/**
 * One frame's gradient, float32: `(exp(lp) − exp((collected + nll) − lp)) · upstream`, each step
 * rounded (so that an exp above 3.4e38 is +∞, as in PyTorch).
 */
function writeGradRow32(
  logProbs: FloatArray,
  grad: FloatArray,
  frame: number,
  classes: number,
  collected: Float64Array,
  nll: number,
  upstream: number,
): void {
  for (let c = 0; c < classes; c++) {
    const lp = logProbs[frame + c];
    const other = exp32(Math.fround(Math.fround(collected[c] + nll) - lp));
    grad[frame + c] = Math.fround(exp32(lp) - other) * upstream;
  }
}

function writeGradRow64(
  logProbs: FloatArray,
  grad: FloatArray,
  frame: number,
  classes: number,
  collected: Float64Array,
  nll: number,
  upstream: number,
): void {
  for (let c = 0; c < classes; c++) {
    const lp = logProbs[frame + c];
    grad[frame + c] = (exp64(lp) - exp64(collected[c] + nll - lp)) * upstream;
  }
}

/** One sequence of a CTC problem, read as the forward reads it: for the worked numbers. */
interface SequenceView {
  /** T_n and S_n. */
  inputLength: number;
  targetLength: number;
  /** y_n: its S_n labels. */
  labels: number[];
  frames: number;
  batch: number;
  classes: number;
  batched: boolean;
  /** log_probs[t, n, c] of this sequence. */
  logProb(t: number, c: number): number;
}

/** Sequence `b` of the (already checked) inputs. */
function sequenceView(inputs: CTCInputs, b: number): SequenceView {
  const { log_probs, targets, input_lengths, target_lengths } = inputs;
  const rank = log_probs.shape.length;
  const batched = rank === 3;
  const frames = log_probs.shape[0];
  const batch = batched ? log_probs.shape[1] : 1;
  const classes = log_probs.shape[rank - 1];
  const targetLength = Number(target_lengths.data[b]);
  let offset = b * (targets.shape[1] ?? 0);
  if (targets.shape.length === 1) {
    offset = 0;
    for (let i = 0; i < b; i++) offset += Number(target_lengths.data[i]);
  }
  const labels = Array.from({ length: targetLength }, (_, k) => Number(targets.data[offset + k]));
  return {
    inputLength: Number(input_lengths.data[b]),
    targetLength,
    labels,
    frames,
    batch,
    classes,
    batched,
    logProb: (t, c) => Number(log_probs.data[(t * batch + b) * classes + c]),
  };
}

/** The alpha recursion of one sequence, as the forward computes it, with what it shows. */
function alphaOf(view: SequenceView, blank: number) {
  const { inputLength, targetLength, labels } = view;
  const width = 2 * targetLength + 1;
  const extended = Array.from({ length: width }, (_, s) => (s % 2 ? labels[(s - 1) / 2] : blank));
  if (inputLength === 0) {
    return { extended, first: [], last: [], nll: targetLength === 0 ? -0 : Infinity };
  }
  let alpha = new Float64Array(width).fill(-Infinity);
  alpha[0] = view.logProb(0, blank);
  if (targetLength > 0) alpha[1] = view.logProb(0, extended[1]);
  const first = Array.from(alpha.subarray(0, Math.min(2, width)));
  for (let t = 1; t < inputLength; t++) {
    const next = new Float64Array(width);
    for (let s = 0; s < width; s++) {
      const label = extended[s];
      const advance = s > 0 ? alpha[s - 1] : -Infinity;
      const skip = s > 1 && extended[s - 2] !== label ? alpha[s - 2] : -Infinity;
      next[s] = logSumExp3f64(alpha[s], advance, skip) + view.logProb(t, label);
    }
    alpha = next;
  }
  if (targetLength === 0) return { extended, first, last: [alpha[0]], nll: -alpha[0] };
  const l1 = alpha[2 * targetLength];
  const l2 = alpha[2 * targetLength - 1];
  let max = l1 < l2 ? l2 : l1;
  if (max === -Infinity) max = 0;
  const nll = -(Math.log(Math.exp(l1 - max) + Math.exp(l2 - max)) + max);
  return { extended, first, last: [l2, l1], nll };
}

/** The labels of the sequences in TeX, elided past 12. */
function texLabels(labels: number[]): string {
  const shown = labels.length > 12 ? [...labels.slice(0, 10), "\\dots", labels.at(-1)] : labels;
  return `(${shown.join(",\\ ")})`;
}

/** Sequence b worked through: its frames and labels, the recursion's ends, the loss. */
function ctcElement(inputs: CTCInputs, options: CTCOptions, b: number): WorkedElement {
  const view = sequenceView(inputs, b);
  const { inputLength: T, targetLength: S } = view;
  const { extended, first, last, nll } = alphaOf(view, options.blank);
  const steps: WorkedStep[] = [
    {
      label: "the frames the sequence uses, and its target labels",
      tex: `T_n = ${T},\\ S_n = ${S},\\ y_n = ${texLabels(view.labels)}`,
      value: T,
    },
    {
      label: `the extended labels: the blank (${options.blank}) around and between the labels`,
      tex: `l' = ${texLabels(extended)}`,
      value: extended.length,
    },
  ];
  if (T > 0) {
    steps.push(
      {
        label: S > 0
          ? "frame 0: an alignment starts on the blank or on the first label"
          : "frame 0: an empty target can only start on the blank",
        tex: S > 0
          ? `\\alpha_0(0) = ${tex(first[0])},\\ \\alpha_0(1) = ${tex(first[1])}`
          : `\\alpha_0(0) = ${tex(first[0])}`,
        value: first[0],
      },
      {
        label: `${T - 1} more frames of the recursion: stay on l′_s, advance from s − 1, or ` +
          "skip a blank from s − 2 between different labels",
        tex: String.raw`\alpha_t(s) = \log \sum_{r} e^{\alpha_{t-1}(r)} + x_{t,n,l'_s}`,
        value: T * extended.length,
      },
      {
        label: S > 0
          ? "the last frame: end on the last label or on the blank after it"
          : "the last frame: every frame a blank",
        tex: S > 0
          ? `\\alpha_{${T - 1}}(${2 * S - 1}) = ${tex(last[0])},\\ \\alpha_{${T - 1}}(${2 * S}) = ${
            tex(last[1])
          }`
          : `\\alpha_{${T - 1}}(0) = ${tex(last[0])}`,
        value: last[last.length - 1],
      },
    );
  }
  const logLikelihood = -nll;
  steps.push({
    label: nll === Infinity
      ? "no alignment fits: the target needs more frames than the sequence has"
      : "the log-probability of the target, summed over its alignments",
    tex: `\\log p(y_n \\mid x) = ${tex(logLikelihood)}`,
    value: logLikelihood,
  });
  if (options.zero_infinity && nll === Infinity) {
    steps.push({
      label: "an infinite loss, which zero_infinity sets to 0: the sequence's loss",
      tex: "l_n = 0",
      value: 0,
    });
  } else {
    steps.push({ label: "negated: the sequence's loss", tex: `l_n = ${tex(nll)}`, value: nll });
  }
  return { label: `sequence ${b}, ${S} label${S === 1 ? "" : "s"} in ${T} frames`, steps };
}

/** The `mean` of CTCLoss: each loss over its target length (at least 1), then over N. */
function ctcReduction(
  inputs: CTCInputs,
  options: CTCOptions,
  losses: FloatDense,
  output: number,
): WorkedStep[] {
  if (options.reduction !== "mean") return plainReduction(options.reduction, losses, output);
  const batch = losses.data.length;
  const lengths = Array.from(
    { length: batch },
    (_, b) => Math.max(Number(inputs.target_lengths.data[b]), 1),
  );
  const shares = lengths.map((length, b) => losses.data[b] / length);
  const total = shares.reduce((a, b) => a + b, 0);
  return [
    {
      label: "each sequence's loss divided by its target length (at least 1)",
      tex: `\\frac{l_n}{\\max(S_n, 1)} = ${texList(shares)}`,
      value: total,
    },
    {
      label: Number.isFinite(total)
        ? `their mean over the ${batch} sequence${batch === 1 ? "" : "s"}`
        : `their mean over the ${batch} sequences: an infinite loss (a target too long for ` +
          "its frames) makes it infinite; zero_infinity sets such losses to 0",
      tex: `\\frac{1}{${batch}} \\sum_n \\frac{l_n}{\\max(S_n, 1)} = \\frac{${
        tex(total)
      }}{${batch}} = ${tex(output)}`,
      value: output,
    },
  ];
}

/**
 * The sweep of sequence b: the log-probability of its first label (the blank for an empty
 * target) at frame 0, the rest held.  PyTorch's gradient of log_probs is taken through a
 * log_softmax it assumes, so it is the curve's slope plus e^x.
 */
function ctcSweep(inputs: CTCInputs, _options: CTCOptions, b: number): SweepPlan {
  const view = sequenceView(inputs, b);
  const { frames, classes, targetLength: S } = view;
  const c = S > 0 ? view.labels[0] : _options.blank;
  const current = view.logProb(0, c);
  const [from, to] = logProbabilityRange(-8, current);
  const { log_probs, targets, input_lengths, target_lengths } = inputs;
  return {
    field: elementField("inputs.log_probs", log_probs.shape, view.batched ? b * classes + c : c),
    label: `the log-probability of class ${c} at frame 0` +
      (S > 0 ? " (the first label)" : " (the blank)") +
      "; PyTorch's gradient assumes a log_softmax before it, so it is this curve's slope plus e^x",
    current,
    from,
    to,
    batch(values) {
      const P = values.length;
      const data = log_probs.data instanceof Float32Array
        ? new Float32Array(frames * P * classes)
        : new Float64Array(frames * P * classes);
      for (let t = 0; t < frames; t++) {
        for (let p = 0; p < P; p++) {
          for (let k = 0; k < classes; k++) {
            data[(t * P + p) * classes + k] = t === 0 && k === c ? values[p] : view.logProb(t, k);
          }
        }
      }
      return {
        inputs: {
          log_probs: { shape: [frames, P, classes], data },
          targets: indexRowsLike(targets.data, P, S, (_, k) => view.labels[k]),
          input_lengths: indexRowsLike(input_lengths.data, P, null, () => view.inputLength),
          target_lengths: indexRowsLike(target_lengths.data, P, null, () => S),
        },
      };
    },
    read(output, grads) {
      const slope = Array.from(output.data, (_, p) => grads.log_probs.data[p * classes + c]);
      return { loss: Array.from(output.data), slope };
    },
  };
}

/** Advice: log_probs that are not log-probabilities, and targets holding the blank. */
function ctcAdvice(inputs: CTCInputs, options: CTCOptions): Advice[] {
  const advice: Advice[] = [];
  const { log_probs } = inputs;
  const classes = log_probs.shape[log_probs.shape.length - 1];
  if (!rowsSumToOne(log_probs.data, classes, Math.exp)) {
    advice.push({
      code: "not-log-probabilities",
      field: "inputs.log_probs",
      message: "Some frames of log_probs are not log-probabilities (their exponentials do not " +
        "sum to 1 over the classes): apply log_softmax over the classes first. PyTorch's CTC " +
        "gradient assumes it, and is not the loss's derivative without it.",
    });
  }
  const batch = log_probs.shape.length === 3 ? log_probs.shape[1] : 1;
  for (let b = 0; b < batch; b++) {
    const { labels } = sequenceView(inputs, b);
    const at = labels.indexOf(options.blank);
    if (at >= 0) {
      advice.push({
        code: "blank-in-targets",
        field: "inputs.targets",
        message: `Label ${at} of sequence ${b} is ${options.blank}, the blank: a target must ` +
          "not contain the blank (PyTorch does not check). Shift the labels to start at 1, " +
          "or choose another blank index.",
      });
      break;
    }
  }
  return advice;
}
