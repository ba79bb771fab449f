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
import { MISUSES, t } from "./advice_misuses.ts";
import { wireNumber } from "./golden.ts";

const log = Math.log;

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
