/**
 * The HTTP API as a Cloudflare Worker under wrangler's local workerd (what `deno task worker`
 * runs): the routes, the errors, the static site, and all the golden cases over HTTP, which
 * also proves that ndarray generates no code while serving (workerd forbids it).  Two Workers
 * start side by side, each on the free ports it picked itself, none on wrangler's fixed
 * debugger port (9229).
 */
import assert from "node:assert/strict";
import { SWAGGER_UI_PATH } from "../functions/api/docs.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { buildOpenApi } from "../functions/api/openapi.ts";
import { createApp } from "../functions/app.ts";
import { binaryApiSteps } from "./api_binary_steps.ts";
import { replayEdgeSteps, replayGoldenSteps } from "./api_golden.ts";
import { assertProblem, postJson } from "./api_http.ts";
import { listeningPorts } from "./api_process.ts";
import { type RunningServer, startWorker, withServer } from "./api_servers.ts";
import { pageUrlSteps, sharedApiSteps } from "./api_shared_steps.ts";

/** Wrangler's default debugger port, which it used to take whenever it was free. */
const WRANGLER_INSPECTOR_PORT = 9229;

async function startTwoWorkers(): Promise<RunningServer> {
  const started = await Promise.allSettled([startWorker(), startWorker()]);
  const servers = started.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  const failure = started.find((s) => s.status === "rejected");
  if (failure) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failure.reason;
  }
  const [first, second] = servers;
  try {
    assert.notEqual(first.url, second.url);
    const health = await fetch(`${second.url}/api/v1/health`);
    assert.equal(health.status, 200, await health.text());
    for (const server of servers) {
      const ports = await listeningPorts(server.pid);
      const served = Number(new URL(server.url).port);
      assert.ok(ports.includes(served), `${server.url}: listening on ${ports}`);
      assert.ok(!ports.includes(WRANGLER_INSPECTOR_PORT), `a fixed debugger port: ${ports}`);
    }
  } finally {
    await second.stop();
  }
  return first;
}

Deno.test("HTTP API on Cloudflare Workers (local workerd)", (t) =>
  withServer(startTwoWorkers(), async (server) => {
    const api = `${server.url}/api/v1`;
    await sharedApiSteps(t, api);
    await pageUrlSteps(t, server.url);

    await t.step(
      "GET /api/v1/openapi.json and /api/v1/docs, its assets from the site",
      async () => {
        const document = await (await fetch(`${api}/openapi.json`)).json();
        assert.equal(document.openapi, "3.1.0");
        // As JSON carries it: a −0 of an example (PyTorch's gradients and the hinges' have
        // them) is written 0.
        const paths = JSON.parse(JSON.stringify(buildOpenApi(createApp().routes).paths));
        assert.deepEqual(document.paths, paths);
        const html = await (await fetch(`${api}/docs`)).text();
        assert.ok(html.includes(`${SWAGGER_UI_PATH}/swagger-ui-bundle.js`));
        const asset = await fetch(`${server.url}${SWAGGER_UI_PATH}/swagger-ui-bundle.js`);
        await asset.body?.cancel();
        assert.equal(asset.status, 200);
      },
    );

    await t.step("the site's home page is a static asset", async () => {
      const response = await fetch(`${server.url}/`);
      assert.match(response.headers.get("Content-Type") ?? "", /text\/html/);
      assert.equal(response.status, 200, await response.text());
    });

    await t.step("errors are problem details", async () => {
      const mse = `${api}/losses/mse`;
      await assertProblem(await postJson(mse, "{"), 400, "body");
      await assertProblem(
        await postJson(mse, { inputs: { input: [[1, 2], [3]], target: [1] } }),
        400,
        "inputs.input[1]",
      );
      await assertProblem(await postJson(`${api}/losses/nope`, {}), 404, "name");
      await assertProblem(await fetch(mse, { method: "PUT" }), 405, "method");
      await assertProblem(await postJson(mse, "{}", "text/plain"), 415, "Content-Type");
      await assertProblem(
        await postJson(mse, " ".repeat(DEFAULT_LIMITS.maxBodyBytes + 1)),
        413,
        "body",
      );
      const big = new Array(DEFAULT_LIMITS.maxElements + 1).fill(0);
      await assertProblem(
        await postJson(mse, { inputs: { input: big, target: [0] } }),
        413,
        "inputs.input",
      );
    });

    await binaryApiSteps(t, api);
    await replayGoldenSteps(t, server.url);
    await replayEdgeSteps(t, server.url);
  }));
