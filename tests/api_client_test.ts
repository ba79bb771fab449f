/**
 * Hono's typed RPC client (`hc<AppType>`) against the Deno server: the README's client
 * example, type-checked here.
 */
import assert from "node:assert/strict";
import { hc } from "hono/client";
import type { AppType } from "../functions/app.ts";
import { notebookCrossEntropy } from "./api_http.ts";
import { startDenoServer } from "./api_servers.ts";

Deno.test("typed client (hc) over HTTP", async (t) => {
  const server = await startDenoServer();
  try {
    const client = hc<AppType>(server.url);

    await t.step("catalog and one entry", async () => {
      const catalog = await (await client.api.v1.losses.$get()).json();
      assert.ok(catalog.losses.some((entry) => entry.name === "CrossEntropyLoss"));
      const response = await client.api.v1.losses[":name"].$get({
        param: { name: "cross_entropy" },
      });
      assert.equal(response.status, 200);
      if (response.status === 200) {
        const entry = await response.json();
        assert.deepEqual(entry.aliases, ["cross_entropy", "cross_entropy_loss", "cross-entropy"]);
      }
    });

    await t.step("compute the notebook's cross-entropy with its gradient", async () => {
      const response = await client.api.v1.losses[":name"].$post({
        param: { name: "cross-entropy" },
        json: { inputs: notebookCrossEntropy(), grad: true },
      });
      assert.equal(response.status, 200);
      if (response.status === 200) {
        const { output, grads } = await response.json();
        assert.equal(Number(output.data[0]).toFixed(4), "1.6360");
        assert.deepEqual(grads.input.shape, [10, 3]);
      }
    });

    await t.step("a problem is typed too", async () => {
      const response = await client.api.v1.losses[":name"].$post({
        param: { name: "mse" },
        json: { inputs: { input: [1, 2], target: [1, 2, 3] } },
      });
      assert.equal(response.status, 400);
      if (response.status === 400) {
        const problem = await response.json();
        assert.equal(problem.field, "inputs.target");
      }
    });
  } finally {
    await server.stop();
  }
});
