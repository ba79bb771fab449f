/**
 * `POST /api/losses/{name}` returns `advice` for the classic misuses of each loss, beside
 * PyTorch's warnings: every rule fires, with its code and field, on the misuse it is about; the
 * numbers are those of the loss computed without any advice; and ordinary inputs (every loss's
 * sample, from several seeds and in both dtypes) get `advice: []`.
 */
import assert from "node:assert/strict";
import { createApp } from "../functions/app.ts";
import {
  type AnyLoss,
  createRandom,
  type DType,
  DTYPES,
  findLoss,
  indexNdArrayOf,
  losses,
  ndarrayOf,
  type PlainTensor,
} from "../lib/mod.ts";
import { checkInputs, checkOptions, evaluate } from "../lib/core/compute.ts";
import { wireNumber } from "./golden.ts";

const app = createApp({ log: () => {} });

interface Answer {
  output: { shape: number[]; data: (number | string)[] };
  grads: Record<string, { shape: number[]; data: (number | string)[] }>;
  warnings: string[];
  advice: { code: string; field: string; message: string }[];
}

async function compute(
  loss: AnyLoss,
  inputs: Record<string, PlainTensor>,
  options: Record<string, unknown>,
  dtype: DType,
): Promise<Answer> {
  const response = await app.request(`/api/losses/${loss.slug}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputs: wire(inputs), options, dtype, grad: true }),
  });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  return answer;
}

/** Tensors as the wire writes them: non-finite numbers as `"NaN"`, `"Infinity"`, `"-Infinity"`. */
function wire(inputs: Record<string, PlainTensor>): Record<string, PlainTensor<number | string>> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, tensor]) => [
      name,
      { ...tensor, data: tensor.data.map((v) => (Number.isFinite(v) ? v : String(v))) },
    ]),
  );
}

/** A flat tensor of `shape`, of integers with `int`. */
function t(shape: number[], data: number[], int = false): PlainTensor {
  return int ? { shape, data, dtype: "int" } : { shape, data };
}

/** The loss computed by the library from a loss definition without `advise`. */
function withoutAdvice(
  loss: AnyLoss,
  inputs: Record<string, PlainTensor>,
  options: Record<string, unknown>,
  dtype: DType,
) {
  const arrays = Object.fromEntries(
    Object.entries(inputs).map(([name, tensor]) => [
      name,
      tensor.dtype === "int"
        ? indexNdArrayOf(tensor.data, tensor.shape)
        : ndarrayOf(tensor.data, tensor.shape, dtype),
    ]),
  );
  const plain: AnyLoss = { ...loss, advise: undefined };
  const tensors = checkInputs(plain, arrays, dtype);
  const values = checkOptions(plain, options, dtype);
  return evaluate(plain, tensors, values, { dtype, grad: true });
}

/** Asserts that an answer's numbers are exactly those of a dense result. */
function assertSameNumbers(
  answer: Answer,
  expected: ReturnType<typeof withoutAdvice>,
  label: string,
): void {
  const same = (wire: Answer["output"], dense: { shape: number[]; data: ArrayLike<number> }) => {
    assert.deepEqual(wire.shape, dense.shape, `${label}: shape`);
    // JSON has no −0: compare zeros without their sign.
    const values = (data: ArrayLike<number>) => Array.from(data, (v) => (v === 0 ? 0 : v));
    assert.deepEqual(values(wire.data.map(wireNumber)), values(dense.data), `${label}: values`);
  };
  same(answer.output, expected.output);
  assert.deepEqual(Object.keys(answer.grads).sort(), Object.keys(expected.grads).sort());
  for (const [name, grad] of Object.entries(expected.grads)) same(answer.grads[name], grad);
  assert.deepEqual(answer.warnings, expected.warnings, `${label}: warnings`);
}

/** A misuse, and the advice it gets. */
interface Misuse {
  loss: string;
  code: string;
  field: string;
  inputs: Record<string, PlainTensor>;
  options?: Record<string, unknown>;
  /** What the message must say. */
  says?: RegExp;
}

const log = Math.log;
const MISUSES: Misuse[] = [
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

for (const misuse of MISUSES) {
  Deno.test(`advice: ${misuse.loss} ${misuse.code} on ${misuse.field}`, async () => {
    const loss = findLoss(misuse.loss)!;
    for (const dtype of DTYPES) {
      const answer = await compute(loss, misuse.inputs, misuse.options ?? {}, dtype);
      assert.deepEqual(
        answer.advice.map(({ code, field }) => ({ code, field })),
        [{ code: misuse.code, field: misuse.field }],
      );
      const [{ message }] = answer.advice;
      assert.ok(message.length > 40 && !message.includes("undefined"), message);
      if (misuse.says) assert.match(message, misuse.says);
      const label = `${misuse.loss} ${misuse.code} ${dtype}`;
      assertSameNumbers(
        answer,
        withoutAdvice(loss, misuse.inputs, misuse.options ?? {}, dtype),
        label,
      );
    }
  });
}

Deno.test("advice: every loss that gives advice has its misuses tested above", () => {
  const sources = losses.filter((loss) => loss.advise).map((loss) => loss.name);
  for (const name of sources) {
    assert.ok(
      MISUSES.some((misuse) => misuse.loss === name),
      `${name} gives advice, but no misuse of it is tested`,
    );
  }
});

Deno.test("advice: none for every loss's sample, from several seeds, in both dtypes", async () => {
  for (const loss of losses) {
    for (const seed of [1, 2, 3, 4, 5, 42, 2024]) {
      const inputs = loss.sample(createRandom(seed));
      for (const dtype of DTYPES) {
        const answer = await compute(loss, inputs, {}, dtype);
        assert.deepEqual(answer.advice, [], `${loss.name}, seed ${seed}, ${dtype}`);
      }
    }
  }
});

Deno.test("advice: none for ordinary requests that stand near a rule", async () => {
  const ordinary: { loss: string; inputs: Record<string, PlainTensor>; options?: object }[] = [
    // Logits that happen to lie in [0, 1], but too few to look like probabilities; all zero.
    { loss: "BCEWithLogitsLoss", inputs: { input: t([2], [0.2, 0.7]), target: t([2], [1, 0]) } },
    {
      loss: "BCEWithLogitsLoss",
      inputs: { input: t([4], [0, 0, 0, 0]), target: t([4], [1, 0, 1, 1]) },
    },
    // Soft targets in [0, 1].
    { loss: "BCEWithLogitsLoss", inputs: { input: t([2], [2, -3]), target: t([2], [0.9, 0.1]) } },
    // A confident, right probability: the clamp is not reached.
    { loss: "BCELoss", inputs: { input: t([2], [1, 0]), target: t([2], [1, 0]) } },
    // Index targets with −1 padding, and two classes, where 0/1 are indices.
    {
      loss: "MultiLabelMarginLoss",
      inputs: { input: t([1, 2], [0.1, 0.2]), target: t([1, 2], [1, 0], true) },
    },
    // log(0) is a log-probability.
    {
      loss: "NLLLoss",
      inputs: { input: t([1, 2], [0, -Infinity]), target: t([1], [0], true) },
    },
    // A KL target with a 0, and log_target with log-probabilities.
    {
      loss: "KLDivLoss",
      inputs: { input: t([1, 2], [log(0.5), log(0.5)]), target: t([1, 2], [1, 0]) },
    },
    {
      loss: "KLDivLoss",
      inputs: { input: t([1, 2], [log(0.5), log(0.5)]), target: t([1, 2], [log(0.2), log(0.8)]) },
      options: { log_target: true },
    },
    // A segmentation-shaped KL target, a distribution along dimension 1.
    {
      loss: "KLDivLoss",
      inputs: {
        input: t([1, 2, 2], [log(0.5), log(0.5), log(0.5), log(0.5)]),
        target: t([1, 2, 2], [0.3, 0.6, 0.7, 0.4]),
      },
    },
    // A Poisson rate of 0 is guarded by eps; log_input accepts any real.
    {
      loss: "PoissonNLLLoss",
      inputs: { input: t([2], [0, 2]), target: t([2], [0, 3]) },
      options: { log_input: false },
    },
    { loss: "PoissonNLLLoss", inputs: { input: t([2], [-3, 2]), target: t([2], [0, 3]) } },
    // One logit in [0, 1] is not a row of probabilities; nor are two among negative logits.
    { loss: "SigmoidFocalLoss", inputs: { input: t([1], [0.5]), target: t([1], [1]) } },
    {
      loss: "SigmoidFocalLoss",
      inputs: { input: t([3], [0.5, 0.2, -1]), target: t([3], [1, 0, 0]) },
    },
    // One image with axis null; a batch with one loss per sample; masks at 0 and 1 exactly.
    {
      loss: "DiceLoss",
      inputs: { input: t([2, 2], [0, 1, 1, 0]), target: t([2, 2], [0, 1, 1, 1]) },
    },
    {
      loss: "TverskyLoss",
      inputs: { input: t([2, 1, 2], [0, 1, 0.5, 0.5]), target: t([2, 1, 2], [0, 1, 1, 0]) },
      options: { axis: [1, 2] },
    },
    // Hinge labels in {0, 1} and in {-1, 1}, one-hot rows, and one row of ±1 with one 1.
    { loss: "HingeLoss", inputs: { input: t([2], [0.5, -2]), target: t([2], [1, 0]) } },
    { loss: "SquaredHingeLoss", inputs: { input: t([2], [0.5, -2]), target: t([2], [1, -1]) } },
    {
      loss: "CategoricalHingeLoss",
      inputs: { input: t([1, 3], [1, 2, 0.5]), target: t([1, 3], [0, 1, 0]) },
    },
    {
      loss: "CategoricalHingeLoss",
      inputs: { input: t([1, 3], [1, 2, 0.5]), target: t([1, 3], [-1, 1, -1]) },
    },
    // Short but not zero vectors.
    {
      loss: "CosineSimilarityLoss",
      inputs: { input: t([1, 2], [1e-3, 0]), target: t([1, 2], [0, 1e-4]) },
    },
    // Two views per label; small targets, all of one size; values down to just above −1.
    {
      loss: "NTXentLoss",
      inputs: {
        embeddings: t([4, 2], [1, 0, 0, 1, 1, 0.1, 0.1, 1]),
        labels: t([4], [0, 1, 0, 1], true),
      },
    },
    {
      loss: "MeanAbsolutePercentageError",
      inputs: { input: t([2], [0.0011, 0.0019]), target: t([2], [0.001, 0.002]) },
    },
    { loss: "MeanSquaredLogError", inputs: { input: t([2], [-0.5, 0]), target: t([2], [0, 3]) } },
  ];
  for (const { loss: name, inputs, options } of ordinary) {
    const answer = await compute(findLoss(name)!, inputs, { ...options }, "float32");
    assert.deepEqual(answer.advice, [], `${name} ${JSON.stringify(inputs)}`);
  }
});
