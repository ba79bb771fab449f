/**
 * `POST /api/v1/batch` with the default limits, the same on Deno and on Workers
 * (`sharedApiSteps` registers these steps for both): every result equals the single route's
 * answer to the last bit, a bad item gives its own problem and leaves the others computed, and
 * what is wrong with the batch itself is one problem for the whole (400, 405, 413, 415).
 * `tests/api_limits_test.ts` checks each limit at and over its value.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeNpy, npyHeaderBytes } from "../functions/api/codecs/npy.ts";
import { toBase64 } from "../functions/api/wire.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { assertProblem, notebookCrossEntropy, postJson } from "./api_http.ts";

/** The items of a batch in chunks of at most `size`. */
function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Posts a batch of `requests` and returns its results, checking the answer is a 200. */
export async function postBatch(api: string, requests: unknown[]): Promise<unknown[]> {
  const response = await postJson(`${api}/batch`, { requests });
  const text = await response.text();
  assert.equal(response.status, 200, text.slice(0, 500));
  assert.match(response.headers.get("Content-Type") ?? "", /^application\/json/);
  return JSON.parse(text).results;
}

/** Registers the batch steps on `api` (a server's `/api/v1`). */
export async function batchApiSteps(t: Deno.TestContext, api: string): Promise<void> {
  await t.step(
    "POST /api/v1/batch: every loss's example, each result the single route's",
    async () => {
      const catalog = await (await fetch(`${api}/losses`)).json();
      const items: { loss: string; [key: string]: unknown }[] = [];
      for (const entry of catalog.losses) {
        for (const dtype of ["float32", "float64"]) {
          items.push({ loss: entry.name, ...entry.example, dtype, grad: true });
        }
        // Another name of the loss, and the .npy encoding of the answer.
        items.push({ loss: entry.slug, ...entry.example, encoding: "npy" });
      }
      for (const batch of chunks(items, DEFAULT_LIMITS.maxBatchItems)) {
        const [results, singles] = await Promise.all([
          postBatch(api, batch),
          Promise.all(batch.map(async ({ loss, ...body }) => {
            const response = await postJson(`${api}/losses/${loss}`, body);
            assert.equal(response.status, 200, loss);
            return await response.text();
          })),
        ]);
        assert.equal(results.length, batch.length);
        // The same JSON text: every number the same double, so the same bits.
        results.forEach((result, i) => {
          assert.equal(JSON.stringify(result), singles[i], `${batch[i].loss} (${i})`);
        });
      }
    },
  );

  await t.step(
    "POST /api/v1/batch: a bad item gives its problem, the others their results",
    async () => {
      const good = { loss: "cross-entropy", inputs: notebookCrossEntropy(), grad: true };
      const complex = npyHeaderBytes([2], "<c8");
      const bytes = new Uint8Array(complex.length + 16);
      bytes.set(complex);
      const npy = { loss: "mse", inputs: { input: { npy: toBase64(bytes) }, target: [0, 0] } };
      const binary = {
        loss: "mse",
        inputs: {
          input: { npy: toBase64(encodeNpy({ shape: [2], data: new Float32Array([1, 2]) })) },
          target: [0, 0],
        },
      };
      const requests = [
        good,
        { loss: "NoSuchLoss", inputs: {} },
        { loss: "cross-entropy", inputs: { input: [[1, 2, 3]], target: [5] } },
        "MSELoss",
        { inputs: { input: [1], target: [1] } },
        { loss: "mse", inputs: { input: [1], target: [1] }, shape: [1] },
        npy,
        binary,
        good,
      ];
      const results = await postBatch(api, requests) as Record<string, unknown>[];
      const { loss: _, ...body } = good;
      const single = await (await postJson(`${api}/losses/cross-entropy`, body)).json();
      assert.deepEqual(results[0], single);
      assert.deepEqual(results[8], single);
      assert.equal((results[0].output as { data: number[] }).data[0].toFixed(4), "1.6360");
      const expected: [number, number, string][] = [
        [1, 404, "loss"],
        [2, 400, "inputs.target[0]"],
        [3, 400, "request"],
        [4, 400, "loss"],
        [5, 400, "shape"],
        [6, 415, "inputs.input.npy"],
      ];
      for (const [index, status, field] of expected) {
        const problem = results[index];
        assert.equal(problem.status, status, JSON.stringify(problem));
        assert.equal(problem.field, field, JSON.stringify(problem));
        assert.match(String(problem.type), /^urn:problem-type:losses:/);
        assert.equal(problem.instance, `/api/v1/batch#/requests/${index}`);
        assert.ok(String(problem.detail).includes(field), String(problem.detail));
      }
      assert.match(String(results[1].detail), /NoSuchLoss/);
      assert.deepEqual((results[7].output as { data: number[] }).data, [2.5]);
      assert.deepEqual(await postBatch(api, []), []);
      // The unversioned alias answers the same, each problem naming the path it was asked at.
      const alias = await postBatch(api.replace(/\/v1$/, ""), requests);
      assert.deepEqual(
        alias,
        results.map((result) =>
          "instance" in result
            ? { ...result, instance: String(result.instance).replace("/api/v1/", "/api/") }
            : result
        ),
      );
    },
  );

  await t.step("POST /api/v1/batch: what is wrong with the batch is one problem", async () => {
    const batch = `${api}/batch`;
    const item = { loss: "mse", inputs: { input: [1], target: [0] } };
    await assertProblem(await postJson(batch, "{"), 400, "body");
    await assertProblem(await postJson(batch, []), 400, "body");
    await assertProblem(await postJson(batch, {}), 400, "requests");
    await assertProblem(await postJson(batch, { requests: item }), 400, "requests");
    await assertProblem(await postJson(batch, { requests: [item], grad: true }), 400, "grad");
    await assertProblem(await postJson(batch, "{}", "text/plain"), 415, "Content-Type");
    const form = new FormData();
    form.set("request", "{}");
    await assertProblem(await fetch(batch, { method: "POST", body: form }), 415, "Content-Type");
    const get = await fetch(batch);
    assert.equal(get.headers.get("Allow"), "POST, OPTIONS");
    await assertProblem(get, 405, "method");
    const many = new Array(DEFAULT_LIMITS.maxBatchItems + 1).fill(item);
    const problem = await assertProblem(await postJson(batch, { requests: many }), 413, "requests");
    assert.match(String(problem.detail), /MAX_BATCH_ITEMS/);
    // Elements across the items: two halves fit, one more element does not, whoever holds it.
    const half = DEFAULT_LIMITS.maxElements / 4;
    const zeros = (n: number) => new Array(n).fill(0);
    const fits = { loss: "mse", inputs: { input: zeros(half), target: zeros(half) } };
    const results = await postBatch(api, [fits, fits]);
    assert.equal(results.length, 2);
    const over = { loss: "mse", inputs: { input: zeros(half), target: zeros(half + 1) } };
    const elements = await assertProblem(
      await postJson(batch, { requests: [fits, { loss: "no-such-loss" }, over] }),
      413,
      "requests[2].inputs.target",
    );
    assert.match(String(elements.detail), /MAX_ELEMENTS/);
  });
}
