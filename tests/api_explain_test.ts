/**
 * `POST /api/losses/{name}/explain`: the loss as the compute route gives it, with one element
 * worked through, the reduction and the sweep; its errors name their field.
 */
import assert from "node:assert/strict";
import { createApp } from "../functions/app.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { assertProblem, inProcessPoster, notebookCrossEntropy } from "./api_http.ts";

const app = createApp({ log: () => {} });
const post = inProcessPoster(app);

Deno.test("explain: the notebook's cross-entropy, sample 3, worked and swept", async () => {
  const request = { inputs: notebookCrossEntropy(), grad: true };
  const computed = await (await post("/api/losses/cross-entropy", request)).json();
  const response = await post("/api/losses/cross-entropy/explain", {
    ...request,
    element: 3,
    points: 21,
  });
  assert.equal(response.status, 200);
  const explained = await response.json();
  assert.deepEqual(explained.output, computed.output);
  assert.deepEqual(explained.grads, computed.grads);
  assert.deepEqual(explained.advice, []);
  assert.equal(explained.count, 10);
  assert.equal(explained.element, 3);
  const last = explained.worked.steps.at(-1).value;
  assert.ok(
    Math.abs(last - explained.terms.data[3]) < 1e-5,
    `${last} vs ${explained.terms.data[3]}`,
  );
  assert.ok(Math.abs(explained.reduction.at(-1).value - computed.output.data[0]) < 1e-6);
  assert.equal(explained.sweep.x.length, 21);
  assert.equal(explained.sweep.loss.length, 21);
  assert.match(explained.sweep.field, /^inputs\.input\[3\]\[\d\]$/);
  assert.ok(Math.abs(explained.sweep.current.loss - explained.terms.data[3]) < 1e-5);
  assert.match(explained.formula, /softmax/);
});

Deno.test("explain: advice for probabilities given as logits", async () => {
  const response = await post("/api/losses/CrossEntropyLoss/explain", {
    inputs: { input: [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], target: [0, 2] },
  });
  const explained = await response.json();
  assert.deepEqual(explained.advice.map((a: { code: string }) => a.code), [
    "probabilities-as-logits",
  ]);
});

Deno.test("explain: errors name element, points, or the work share", async () => {
  const inputs = notebookCrossEntropy();
  await assertProblem(
    await post("/api/losses/cross-entropy/explain", { inputs, element: 10 }),
    400,
    "element",
  );
  await assertProblem(
    await post("/api/losses/cross-entropy/explain", { inputs, element: 1.5 }),
    400,
    "element",
  );
  await assertProblem(
    await post("/api/losses/cross-entropy/explain", { inputs, points: 1 }),
    400,
    "points",
  );
  await assertProblem(
    await post("/api/losses/cross-entropy/explain", { inputs, points: 100_000 }),
    400,
    "points",
  );
  const side = Math.ceil(Math.sqrt(DEFAULT_LIMITS.maxWork / 103)) + 1;
  const big = Array.from({ length: side }, () => new Array(side).fill(0));
  const problem = await assertProblem(
    await post("/api/losses/mse/explain", { inputs: { input: big, target: big } }),
    413,
    "inputs.input",
  );
  assert.match(String(problem.detail), /explanation computes the loss about 103 times/);
});

Deno.test("the catalog and the OpenAPI document carry each loss's teaching text", async () => {
  const { losses, sourceOf } = await import("../lib/mod.ts");
  const document = await (await app.request("/api/openapi.json")).json();
  for (const loss of losses) {
    const entry = await (await app.request(`/api/losses/${loss.slug}`)).json();
    assert.deepEqual(entry.teaching, loss.teaching, loss.name);
    assert.deepEqual(entry.keywords, loss.keywords, loss.name);
    assert.deepEqual(entry.source, sourceOf(loss), loss.name);
    const path = Object.keys(document.paths).find((p) => p.endsWith(`/losses/${loss.name}`))!;
    const description: string = document.paths[path].get.description;
    assert.ok(description.includes(loss.teaching!.measures), `${loss.name}: OpenAPI description`);
    assert.ok(description.includes(sourceOf(loss).docs), `${loss.name}: documentation link`);
  }
});
