/**
 * The steps the API suites of both runtimes run alike (`api_deno_test.ts`, `api_worker_test.ts`):
 * the same app answers the same on Deno and on Workers.
 *
 * @module
 */
import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { losses } from "../lib/mod.ts";
import { batchApiSteps } from "./api_batch_steps.ts";
import { notebookCrossEntropy, postJson } from "./api_http.ts";

/**
 * Registers the steps on `api` (a server's `/api/v1`): health, the catalog, one computation, the
 * alias, and batches (`api_batch_steps.ts`).
 */
export async function sharedApiSteps(t: Deno.TestContext, api: string): Promise<void> {
  await t.step("GET /api/v1/health", async () => {
    const response = await fetch(`${api}/health`);
    assert.deepEqual(await response.json(), {
      status: "ok",
      version: config.version,
      losses: losses.length,
    });
  });

  await t.step(
    "GET /api/v1/losses lists the registry, with ETag, Cache-Control, CORS",
    async () => {
      const response = await fetch(`${api}/losses`, { headers: { Origin: "https://example.org" } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("Access-Control-Allow-Origin"), "*");
      assert.match(response.headers.get("Cache-Control") ?? "", /max-age=\d+/);
      const tag = response.headers.get("ETag");
      assert.ok(tag);
      const catalog = await response.json();
      assert.equal(catalog.count, losses.length);
      assert.deepEqual(
        catalog.losses.map((entry: { name: string }) => entry.name),
        losses.map((loss) => loss.name),
      );
      for (const entry of catalog.losses) {
        assert.ok(entry.summary && entry.formula, entry.name);
        assert.ok(
          entry.inputs.every((input: { shape: string; differentiable: boolean }) =>
            input.shape && typeof input.differentiable === "boolean"
          ),
        );
        assert.ok(
          entry.options.every((option: { type: string }) => option.type && "default" in option),
        );
      }
      const again = await fetch(`${api}/losses`, { headers: { "If-None-Match": tag } });
      await again.body?.cancel();
      assert.equal(again.status, 304);
    },
  );

  await t.step("the notebook's cross-entropy example answers 1.6360", async () => {
    const response = await postJson(`${api}/losses/cross-entropy`, {
      inputs: notebookCrossEntropy(),
    });
    const body = await response.json();
    assert.equal(body.loss, "CrossEntropyLoss");
    assert.equal(body.dtype, "float32");
    assert.equal(body.output.data[0].toFixed(4), "1.6360");
  });

  await t.step("the alias /api answers as /api/v1", async () => {
    const alias = api.replace(/\/api\/v1$/, "/api");
    const body = { inputs: notebookCrossEntropy(), grad: true };
    for (const path of ["/health", "/losses/l1"]) {
      const [stable, aliased] = await Promise.all([
        fetch(`${api}${path}`).then((r) => r.json()),
        fetch(`${alias}${path}`).then((r) => r.json()),
      ]);
      assert.deepEqual(aliased, stable, path);
    }
    const [stable, aliased] = await Promise.all([
      postJson(`${api}/losses/cross-entropy`, body).then((r) => r.json()),
      postJson(`${alias}/losses/cross-entropy`, body).then((r) => r.json()),
    ]);
    assert.deepEqual(aliased, stable);
  });

  await batchApiSteps(t, api);
}

/**
 * What each kind of page URL answers, the same on Deno and on Workers (whose static assets
 * have `html_handling = "drop-trailing-slash"`): a page without a trailing slash, a redirect
 * (307) to it from the other spellings, a 404 problem for no page.
 */
export const PAGE_URLS: Record<string, { status: number; location?: string }> = {
  "/": { status: 200 },
  "/index.html": { status: 307, location: "/" },
  "/losses/mse": { status: 200 },
  "/losses/mse/": { status: 307, location: "/losses/mse" },
  "/losses/mse/index.html": { status: 307, location: "/losses/mse" },
  "/notebook": { status: 200 },
  "/notebook/": { status: 307, location: "/notebook" },
  "/losses/no-such-loss": { status: 404 },
  "/assets/site.css": { status: 200 },
};

/** Registers the step that checks {@link PAGE_URLS} on the server at `origin`. */
export async function pageUrlSteps(t: Deno.TestContext, origin: string): Promise<void> {
  await t.step("page URLs answer as on the other runtime (no trailing slash)", async () => {
    for (const [path, expected] of Object.entries(PAGE_URLS)) {
      const response = await fetch(`${origin}${path}`, { redirect: "manual" });
      await response.body?.cancel();
      assert.equal(response.status, expected.status, path);
      const location = response.headers.get("Location");
      assert.equal(location && new URL(location, origin).pathname, expected.location ?? null, path);
    }
  });
}
