/**
 * The classic misuses of each loss and the advice each gets (its code and field), with the
 * helper that writes their tensors: `tests/api_advice_test.ts` checks the advice over HTTP,
 * `tests/advice_cost_test.ts` that advice reads a bounded part of them made large.
 *
 * @module
 */
import type { PlainTensor } from "../lib/mod.ts";

/** A flat tensor of `shape`, of integers with `int`. */
export function t(shape: number[], data: number[], int = false): PlainTensor {
  return int ? { shape, data, dtype: "int" } : { shape, data };
}

/** A misuse, and the advice it gets. */
export interface Misuse {
  loss: string;
  code: string;
  field: string;
  inputs: Record<string, PlainTensor>;
  options?: Record<string, unknown>;
  /** What the message must say. */
  says?: RegExp;
}

const log = Math.log;
export const MISUSES: Misuse[] = [
  {
    loss: "CrossEntropyLoss",
    code: "probabilities-as-logits",
    field: "inputs.input",
    inputs: { input: t([2, 3], [0.7, 0.2, 0.1, 0.1, 0.1, 0.8]), target: t([2], [0, 2], true) },
    says: /logits/,
  },
  {
    loss: "CrossEntropyLoss",
    code: "target-not-a-distribution",
    field: "inputs.target",
    inputs: { input: t([2, 3], [1, 2, 3, 0, 1, 0]), target: t([2, 3], [0.5, 0.2, 0.1, 0, 1, 0]) },
    says: /row 0 sums to 0\.8/,
  },
  {
    loss: "NLLLoss",
    code: "positive-log-probabilities",
    field: "inputs.input",
    inputs: { input: t([2, 3], [0.7, 0.2, 0.1, 0.1, 0.1, 0.8]), target: t([2], [0, 2], true) },
    says: /log_softmax/,
  },
  {
    loss: "NLLLoss",
    code: "not-log-probabilities",
    field: "inputs.input",
    inputs: { input: t([2, 3], [-1, -2, -3, -0.5, -0.5, -4]), target: t([2], [0, 1], true) },
    says: /row 0 .* sum to 0\.55/,
  },
  {
    loss: "NLLLoss",
    code: "not-log-probabilities",
    field: "inputs.input",
    // (N, C, d): the rows are along the class dimension, at each position.
    inputs: {
      input: t([1, 2, 2], [log(0.3), log(0.5), log(0.7), log(0.2)]),
      target: t([1, 2], [0, 1], true),
    },
    says: /row 1 /,
  },
  {
    loss: "KLDivLoss",
    code: "positive-log-probabilities",
    field: "inputs.input",
    inputs: { input: t([2, 2], [0.2, 0.8, 0.5, 0.5]), target: t([2, 2], [0.3, 0.7, 0.5, 0.5]) },
    options: { reduction: "batchmean" },
    says: /log_softmax/,
  },
  {
    loss: "KLDivLoss",
    code: "target-not-a-distribution",
    field: "inputs.target",
    inputs: {
      input: t([2, 2], [log(0.3), log(0.7), log(0.5), log(0.5)]),
      target: t([2, 2], [0.3, 0.3, 0.5, 0.9]),
    },
    options: { reduction: "batchmean" },
    says: /do not sum to 1/,
  },
  {
    loss: "KLDivLoss",
    code: "target-not-a-distribution",
    field: "inputs.target",
    // Log-probabilities as the target without log_target.
    inputs: {
      input: t([2, 2], [log(0.3), log(0.7), log(0.5), log(0.5)]),
      target: t([2, 2], [log(0.4), log(0.6), log(0.5), log(0.5)]),
    },
    options: { reduction: "batchmean" },
    says: /log_target/,
  },
  {
    loss: "KLDivLoss",
    code: "target-not-log-probabilities",
    field: "inputs.target",
    inputs: {
      input: t([2, 2], [log(0.3), log(0.7), log(0.5), log(0.5)]),
      target: t([2, 2], [0.4, 0.6, 0.5, 0.5]),
    },
    options: { reduction: "batchmean", log_target: true },
  },
  {
    loss: "BCEWithLogitsLoss",
    code: "probabilities-as-logits",
    field: "inputs.input",
    inputs: { input: t([4], [0.9, 0.1, 0.8, 0.3]), target: t([4], [1, 0, 1, 0]) },
    says: /sigmoid/,
  },
  {
    loss: "BCEWithLogitsLoss",
    code: "target-outside-0-1",
    field: "inputs.target",
    inputs: { input: t([4], [1.5, -0.3, 2, -1]), target: t([4], [1, -1, 1, -1]) },
  },
  {
    loss: "BCELoss",
    code: "saturated-probabilities",
    field: "inputs.input",
    inputs: { input: t([2], [1, 0.3]), target: t([2], [0, 1]) },
    says: /input\[0\] is exactly 1/,
  },
  {
    loss: "MultiLabelMarginLoss",
    code: "multi-hot-target",
    field: "inputs.target",
    inputs: { input: t([1, 4], [0.1, 0.2, 0.4, 0.8]), target: t([1, 4], [0, 1, 1, 0], true) },
    says: /padded? with −1|pad with −1/,
  },
  {
    loss: "MultiLabelSoftMarginLoss",
    code: "target-outside-0-1",
    field: "inputs.target",
    inputs: { input: t([1, 3], [0.5, -1, 2]), target: t([1, 3], [1, -1, 1]) },
  },
  {
    loss: "HingeEmbeddingLoss",
    code: "target-not-plus-minus-one",
    field: "inputs.target",
    inputs: { input: t([2], [0.3, 1.2]), target: t([2], [1, 0]) },
  },
  {
    loss: "SoftMarginLoss",
    code: "target-not-plus-minus-one",
    field: "inputs.target",
    inputs: { input: t([2], [0.5, -1]), target: t([2], [1, 0]) },
  },
  {
    loss: "MarginRankingLoss",
    code: "target-not-plus-minus-one",
    field: "inputs.target",
    inputs: { input1: t([2], [1, 2]), input2: t([2], [0, 3]), target: t([2], [1, 0]) },
    options: { margin: 0.5 },
  },
  {
    loss: "CosineEmbeddingLoss",
    code: "target-not-plus-minus-one",
    field: "inputs.target",
    inputs: {
      input1: t([2, 2], [1, 0, 0, 1]),
      input2: t([2, 2], [1, 1, 1, 0]),
      target: t([2], [1, 0]),
    },
  },
  {
    loss: "CTCLoss",
    code: "not-log-probabilities",
    field: "inputs.log_probs",
    inputs: {
      log_probs: t([4, 1, 3], new Array(12).fill(0)),
      targets: t([1, 2], [1, 2], true),
      input_lengths: t([1], [4], true),
      target_lengths: t([1], [2], true),
    },
  },
  {
    loss: "CTCLoss",
    code: "blank-in-targets",
    field: "inputs.targets",
    inputs: {
      log_probs: t([4, 1, 3], new Array(12).fill(log(1 / 3))),
      targets: t([1, 2], [0, 1], true),
      input_lengths: t([1], [4], true),
      target_lengths: t([1], [2], true),
    },
    says: /sequence 0 is 0, the blank/,
  },
  {
    loss: "PoissonNLLLoss",
    code: "negative-rate",
    field: "inputs.input",
    inputs: { input: t([2], [-0.5, 2]), target: t([2], [1, 2]) },
    options: { log_input: false },
  },
  // The losses beyond torch.nn.
  {
    loss: "SigmoidFocalLoss",
    code: "probabilities-as-logits",
    field: "inputs.input",
    inputs: { input: t([4], [0.9, 0.2, 0.7, 0.05]), target: t([4], [1, 0, 1, 0]) },
    says: /logits/,
  },
  {
    loss: "PolyLoss",
    code: "probabilities-as-logits",
    field: "inputs.input",
    inputs: { input: t([2, 3], [0.7, 0.2, 0.1, 0.1, 0.1, 0.8]), target: t([2], [0, 2], true) },
    says: /softmax/,
  },
  {
    loss: "DiceLoss",
    code: "one-loss-for-the-batch",
    field: "options.axis",
    inputs: {
      input: t([2, 2, 2], [0.9, 0.1, 0.2, 0.8, 0.1, 0.3, 0.7, 0.9]),
      target: t([2, 2, 2], [1, 0, 0, 1, 0, 0, 1, 1]),
    },
    says: /axis \[1,2\]/,
  },
  {
    loss: "DiceLoss",
    code: "logits-as-probabilities",
    field: "inputs.input[0][1]",
    inputs: { input: t([2, 2], [0.5, 2.1, -0.4, 0.3]), target: t([2, 2], [1, 1, 0, 0]) },
  },
  {
    loss: "TverskyLoss",
    code: "one-loss-for-the-batch",
    field: "options.axis",
    inputs: {
      input: t([2, 2, 2], [0.9, 0.1, 0.2, 0.8, 0.1, 0.3, 0.7, 0.9]),
      target: t([2, 2, 2], [1, 0, 0, 1, 0, 0, 1, 1]),
    },
  },
  {
    loss: "TverskyLoss",
    code: "logits-as-probabilities",
    field: "inputs.input[1][0]",
    inputs: { input: t([2, 2], [0.5, 0.1, -0.4, 0.3]), target: t([2, 2], [1, 1, 0, 0]) },
  },
  {
    loss: "HingeLoss",
    code: "target-not-binary",
    field: "inputs.target",
    inputs: { input: t([2, 2], [0.3, -1.2, 2, 0.4]), target: t([2, 2], [1, 0, -1, 1]) },
    says: /mixes 0 with −1/,
  },
  {
    loss: "SquaredHingeLoss",
    code: "target-not-binary",
    field: "inputs.target",
    inputs: { input: t([2, 2], [0.3, -1.2, 2, 0.4]), target: t([2, 2], [0.5, 1, 1, 0]) },
    says: /other than −1, 0 and 1/,
  },
  {
    loss: "CategoricalHingeLoss",
    code: "target-not-one-hot",
    field: "inputs.target",
    inputs: { input: t([1, 3], [1, 2, 0.5]), target: t([1, 3], [2, 0, 0]) },
  },
  {
    loss: "CosineSimilarityLoss",
    code: "zero-vector",
    field: "inputs.target",
    inputs: { input: t([2, 2], [1, 2, 3, 4]), target: t([2, 2], [1, 1, 0, 0]) },
  },
  {
    loss: "NTXentLoss",
    code: "no-positive-pair",
    field: "inputs.labels",
    inputs: {
      embeddings: t([3, 2], [1, 0.2, 0.3, 1, 0.9, 0.1]),
      labels: t([3], [0, 1, 2], true),
    },
    says: /NaN/,
  },
  {
    loss: "NTXentLoss",
    code: "no-negatives",
    field: "inputs.labels",
    inputs: {
      embeddings: t([3, 2], [1, 0.2, 0.3, 1, 0.9, 0.1]),
      labels: t([3], [7, 7, 7], true),
    },
  },
  {
    loss: "MeanAbsolutePercentageError",
    code: "target-near-zero",
    field: "inputs.target[2]",
    inputs: { input: t([3], [10, 20, 0.5]), target: t([3], [11, 19, 0]) },
  },
  {
    loss: "MeanSquaredLogError",
    code: "log-of-non-positive",
    field: "inputs.input[1]",
    inputs: { input: t([2], [0.5, -1.5]), target: t([2], [1, 2]) },
  },
];
