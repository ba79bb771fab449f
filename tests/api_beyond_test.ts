/**
 * The losses beyond `torch.nn` through the API (`createApp().request`): the options they brought
 * (Keras's axes, bounds with an exception, finite numbers, null only where it is the default),
 * floating-point inputs, nested integer targets, NT-Xent without pairs; and the "reproduce it"
 * code each names, whose placeholders are its inputs, options and dtype.  Their advice is tested
 * with every loss's, in `api_advice_test.ts`.
 */
import assert from "node:assert/strict";
import { losses } from "../lib/mod.ts";
import { createApp } from "../functions/app.ts";
import { assertProblem, inProcessPoster } from "./api_http.ts";
import { casesOf } from "./golden.ts";

const app = createApp({ log: () => {} });
const post = inProcessPoster(app);

const beyond = losses.filter((loss) => loss.source);

Deno.test("beyond torch.nn: the losses of the beyond fixture, each naming its library, documentation and code", () => {
  const inFixture = new Set(casesOf("beyond-torch-nn.json").map((golden) => golden.loss));
  assert.deepEqual(beyond.map((loss) => loss.name).sort(), [...inFixture].sort());
  for (const loss of beyond) {
    const { library, call, docs, code } = loss.source!;
    assert.ok(library && call, loss.name);
    assert.match(docs, /^https:\/\//, loss.name);
    assert.ok(code, `${loss.name}: reproduce-it code`);
    const names = new Set([
      ...loss.inputs.map((input) => input.name),
      ...loss.options.map((option) => option.name),
      "dtype",
    ]);
    const placeholders = [...code.matchAll(/\{([a-z_]+)\}/g)].map((match) => match[1]);
    assert.deepEqual(placeholders.filter((name) => !names.has(name)), [], loss.name);
    for (const input of loss.inputs) {
      assert.ok(placeholders.includes(input.name), `${loss.name}: {${input.name}}`);
    }
    for (const option of loss.options) {
      assert.ok(placeholders.includes(option.name), `${loss.name}: {${option.name}}`);
    }
  }
});

Deno.test("NTXentLoss without a positive pair: 0 / 0 = NaN with an all-zero gradient", async () => {
  const embeddings = [[1, 0.2], [0.3, 1], [0.9, 0.1], [0.2, 0.8]];
  const response = await post("/api/losses/ntxent", {
    inputs: { embeddings, labels: [0, 1, 2, 3] },
    grad: true,
  });
  const answer = await response.json();
  assert.deepEqual(answer.output.data, ["NaN"]);
  assert.ok(answer.grads.embeddings.data.every((g: number) => g === 0), "an all-zero gradient");
});

Deno.test("options: Keras's axes, alpha in [0, 1] or -1, an open quantile, finite numbers", async () => {
  const inputs = { input: [[0.9, 0.1], [0.2, 0.8]], target: [[1, 0], [0, 1]] };
  const perRow = await (await post("/api/losses/dice", {
    inputs,
    options: { axis: [-1], reduction: "none" },
  })).json();
  assert.deepEqual(perRow.output.shape, [2]);
  await assertProblem(
    await post("/api/losses/dice", { inputs, options: { axis: [0, 2] } }),
    400,
    "options.axis[1]",
  );
  await assertProblem(
    await post("/api/losses/dice", { inputs, options: { axis: [] } }),
    400,
    "options.axis",
  );
  await assertProblem(
    await post("/api/losses/dice", { inputs, options: { axis: "1" } }),
    400,
    "options.axis",
  );
  const focal = { input: [0.3, -2], target: [1, 0] };
  const unweighted = await post("/api/losses/sigmoid-focal", {
    inputs: focal,
    options: { alpha: -1 },
  });
  assert.equal(unweighted.status, 200);
  await unweighted.body?.cancel();
  await assertProblem(
    await post("/api/losses/sigmoid-focal", { inputs: focal, options: { alpha: -0.5 } }),
    400,
    "options.alpha",
  );
  await assertProblem(
    await post("/api/losses/sigmoid-focal", { inputs: focal, options: { gamma: "Infinity" } }),
    400,
    "options.gamma",
  );
  await assertProblem(
    await post("/api/losses/quantile", { inputs: focal, options: { quantile: 1 } }),
    400,
    "options.quantile",
  );
  // null is a value, not an omission: only an option whose default is null takes it.
  for (const option of ["reduction", "alpha", "gamma"]) {
    await assertProblem(
      await post("/api/losses/sigmoid-focal", { inputs: focal, options: { [option]: null } }),
      400,
      `options.${option}`,
    );
  }
  const nullAxis = await post("/api/losses/dice", { inputs, options: { axis: null } });
  assert.equal(nullAxis.status, 200);
  await nullAxis.body?.cancel();
});

Deno.test("float inputs of the losses beyond torch.nn must be floating-point tensors", async () => {
  const input = { shape: [2], data: [1, 0], dtype: "int" };
  await assertProblem(
    await post("/api/losses/log-cosh", { inputs: { input, target: [0.5, 0.5] } }),
    400,
    "inputs.input.dtype",
  );
  const nested = await post("/api/losses/log-cosh", { inputs: { input: [1, 0], target: [0, 1] } });
  assert.equal(nested.status, 200, "nested integers are real numbers");
  await nested.body?.cancel();
  const { computeLoss, indexNdArrayOf, LossInputError, ndarrayOf } = await import("../lib/mod.ts");
  assert.throws(
    () =>
      computeLoss("DiceLoss", {
        input: indexNdArrayOf([1, 0], [2]),
        target: ndarrayOf([1, 0], [2]),
      }),
    (error: unknown) => error instanceof LossInputError && error.field === "inputs.input.dtype",
  );
});

Deno.test("PolyLoss: nested integers of the class indices' shape are indices, as CrossEntropyLoss's", async () => {
  const input = [[2, 0.5, -1], [0.1, 0.3, 0.2]];
  const nested = await (await post("/api/losses/poly", { inputs: { input, target: [0, 2] } }))
    .json();
  const flat = await (await post("/api/losses/poly", {
    inputs: { input, target: { shape: [2], data: [0, 2], dtype: "int" } },
  })).json();
  assert.deepEqual(nested.output, flat.output);
  await assertProblem(
    await post("/api/losses/poly", {
      inputs: { input, target: { shape: [2], data: [0, 2], dtype: "float" } },
    }),
    400,
    "inputs.target.dtype",
  );
  const probabilities = [[1, 0, 0], [0.2, 0.3, 0.5]];
  const soft = await post("/api/losses/poly", { inputs: { input, target: probabilities } });
  assert.equal(soft.status, 200);
  await soft.body?.cancel();
});
