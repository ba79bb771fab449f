/**
 * The HTTP API on Deno: `functions/deno.ts` (what `deno task start` and Deno Deploy run) started
 * as a server, then every route, every error class, and the whole golden replay over HTTP.
 */
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { losses, namesOf } from "../lib/mod.ts";
import { SWAGGER_UI_PATH } from "../functions/api/docs.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { packagedFile } from "../site/vendor.ts";
import { binaryApiSteps } from "./api_binary_steps.ts";
import { replayEdgeSteps, replayGoldenSteps } from "./api_golden.ts";
import { assertProblem, postJson } from "./api_http.ts";
import { startDenoServer, withServer } from "./api_servers.ts";
import { pageUrlSteps, sharedApiSteps } from "./api_shared_steps.ts";
import { ensureBuiltSite } from "./built_site.ts";

// The Deno server serves the built site: build it first if it is missing or stale.
await ensureBuiltSite();

/** Whether two byte arrays are equal (`assert.deepEqual` is slow on megabytes). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

Deno.test("HTTP API on Deno", (t) =>
  withServer(startDenoServer(), async (server) => {
    const api = `${server.url}/api/v1`;
    await sharedApiSteps(t, api);
    await pageUrlSteps(t, server.url);

    await t.step("GET /api/v1/losses/{name} by every name of the loss", async () => {
      for (const loss of losses) {
        const names = namesOf(loss);
        const entries = await Promise.all(
          [...names, loss.name.toUpperCase()].map(async (name) => {
            const response = await fetch(`${api}/losses/${name}`);
            assert.equal(response.status, 200, name);
            assert.ok(response.headers.get("ETag"));
            return await response.json();
          }),
        );
        for (const entry of entries) assert.deepEqual(entry, entries[0]);
        assert.equal(entries[0].name, loss.name);
      }
    });

    await t.step("POST every loss's example (its seeded sample) answers 200", async () => {
      const catalog = await (await fetch(`${api}/losses`)).json();
      for (const entry of catalog.losses) {
        const response = await postJson(`${api}/losses/${entry.slug}`, entry.example);
        const body = await response.json();
        assert.equal(response.status, 200, `${entry.name}: ${JSON.stringify(body)}`);
        assert.equal(body.loss, entry.name);
        const differentiable = entry.inputs.filter((input: { differentiable: boolean }) =>
          input.differentiable
        );
        assert.deepEqual(
          Object.keys(body.grads).sort(),
          differentiable.map((input: { name: string }) => input.name).sort(),
        );
      }
    });

    await t.step("GET /api/v1/losses/{name}/sample draws valid, seeded inputs", async () => {
      for (const loss of losses) {
        const draw = (seed: number) =>
          fetch(`${api}/losses/${loss.slug}/sample?seed=${seed}`).then((r) => r.json());
        const [first, again, other] = await Promise.all([draw(7), draw(7), draw(8)]);
        assert.equal(first.loss, loss.name);
        assert.deepEqual(first, again, `${loss.name}: the same seed, the same inputs`);
        assert.notDeepEqual(first.inputs, other.inputs, `${loss.name}: another seed`);
        const response = await postJson(`${api}/losses/${loss.slug}`, {
          inputs: first.inputs,
          grad: true,
        });
        assert.equal(response.status, 200, `${loss.name}: ${await response.clone().text()}`);
        await response.body?.cancel();
      }
      for (const seed of ["-1", "1.5", "x", "4294967296"]) {
        const response = await fetch(`${api}/losses/mse/sample?seed=${seed}`);
        await assertProblem(response, 400, "seed");
      }
      await assertProblem(await fetch(`${api}/losses/nope/sample`), 404, "name");
      await assertProblem(
        await fetch(`${api}/losses/mse/sample`, { method: "POST" }),
        405,
        "method",
      );
    });

    await t.step("non-finite numbers are strings both ways; float64 on request", async () => {
      const response = await postJson(`${api}/losses/mse_loss`, {
        inputs: {
          input: [["NaN", 1], ["Infinity", 2]],
          target: { shape: [2, 2], data: [0, 0, 0, 0] },
        },
        options: { reduction: "none" },
        dtype: "float64",
        grad: true,
        grad_output: [[1, 1], [1, 0.5]],
      });
      const body = await response.json();
      assert.deepEqual(body.output, { shape: [2, 2], data: ["NaN", 1, "Infinity", 4] });
      assert.deepEqual(body.grads.input, { shape: [2, 2], data: ["NaN", 2, "Infinity", 2] });
      assert.equal(body.dtype, "float64");
    });

    await t.step("the library's warnings are returned", async () => {
      const response = await postJson(`${api}/losses/L1Loss`, {
        inputs: { input: [[1, 2], [3, 4]], target: [1, 2] },
      });
      const body = await response.json();
      assert.equal(response.status, 200);
      assert.equal(body.warnings.length, 1);
      assert.match(body.warnings[0], /target size/);
    });

    await t.step("CORS preflight for POST from any origin", async () => {
      const response = await fetch(`${api}/losses/mse`, {
        method: "OPTIONS",
        headers: {
          Origin: "https://example.org",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type",
        },
      });
      await response.body?.cancel();
      assert.equal(response.status, 204);
      assert.equal(response.headers.get("Access-Control-Allow-Origin"), "*");
      assert.match(response.headers.get("Access-Control-Allow-Methods") ?? "", /POST/);
    });

    await t.step(
      "GET /api/v1/openapi.json is valid OpenAPI 3.1, with an example per loss",
      async () => {
        const response = await fetch(`${api}/openapi.json`);
        assert.ok(response.headers.get("ETag"));
        assert.match(response.headers.get("Cache-Control") ?? "", /max-age/);
        const document = await response.json();
        const validator = new Validator();
        const result = await validator.validate(document);
        assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
        assert.equal(validator.version, "3.1");
        for (const loss of losses) {
          const post = document.paths[`/api/v1/losses/${loss.name}`].post;
          const json = post.requestBody.content["application/json"];
          assert.deepEqual(
            json.schema.properties.inputs.required,
            loss.inputs.map((input) => input.name),
          );
          assert.ok(json.examples.sample.value.inputs, loss.name);
          assert.equal(
            post.responses["200"].content["application/json"].examples.sample.value.loss,
            loss.name,
          );
        }
      },
    );

    await t.step("GET /api/v1/docs is a self-hosted reference page", async () => {
      const response = await fetch(`${api}/docs`);
      const html = await response.text();
      assert.match(response.headers.get("Content-Type") ?? "", /text\/html/);
      assert.match(html, /\/api\/v1\/openapi\.json/);
      assert.doesNotMatch(html, /https?:\/\//, "no CDN");
      for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
        assert.ok(html.includes(`${SWAGGER_UI_PATH}/${file}`));
        const asset = await fetch(`${server.url}${SWAGGER_UI_PATH}/${file}`);
        assert.equal(asset.status, 200, file);
        const served = new Uint8Array(await asset.arrayBuffer());
        assert.ok(
          sameBytes(served, await Deno.readFile(packagedFile(file))),
          `${file}: the npm package's`,
        );
      }
    });

    // One step per error class: status, media type and the field that `detail` names.
    const mse = `${api}/losses/mse`;
    const valid = { inputs: { input: [1, 2, 3], target: [1, 2, 2] } };

    await t.step("400: malformed JSON", async () => {
      await assertProblem(await postJson(mse, '{"inputs": {'), 400, "body");
    });

    await t.step("400: ragged arrays", async () => {
      const problem = await assertProblem(
        await postJson(mse, { inputs: { input: [[1, 2], [3]], target: [[1, 2], [3, 4]] } }),
        400,
        "inputs.input[1]",
      );
      assert.match(String(problem.detail), /ragged/);
      await assertProblem(
        await postJson(mse, { inputs: { input: [[1, 2], [3, [4]]], target: [1, 2] } }),
        400,
        "inputs.input[1][1]",
      );
    });

    await t.step("400: shape and data disagree", async () => {
      await assertProblem(
        await postJson(mse, { inputs: { input: { shape: [2, 2], data: [1, 2, 3] }, target: [1] } }),
        400,
        "inputs.input.data",
      );
    });

    await t.step("400: wrong types", async () => {
      await assertProblem(
        await postJson(mse, { ...valid, options: { reduction: 3 } }),
        400,
        "options.reduction",
      );
      await assertProblem(await postJson(mse, { ...valid, grad: "yes" }), 400, "grad");
      await assertProblem(await postJson(mse, { ...valid, dtype: "float16" }), 400, "dtype");
      await assertProblem(
        await postJson(mse, { inputs: { input: [1, "two", 3], target: [1, 2, 3] } }),
        400,
        "inputs.input[1]",
      );
      await assertProblem(
        await postJson(`${api}/losses/nll`, { inputs: { input: [[-1, -2]], target: [0.5] } }),
        400,
        "inputs.target[0]",
      );
      await assertProblem(await postJson(mse, [1, 2]), 400, "body");
      await assertProblem(await postJson(mse, { inputs: [1, 2] }), 400, "inputs");
    });

    await t.step("400: unknown options, inputs and fields", async () => {
      await assertProblem(
        await postJson(mse, { ...valid, options: { margin: 1 } }),
        400,
        "options.margin",
      );
      await assertProblem(
        await postJson(mse, { inputs: { ...valid.inputs, weight: [1, 2, 3] } }),
        400,
        "inputs.weight",
      );
      await assertProblem(await postJson(mse, { ...valid, gradient: true }), 400, "gradient");
      await assertProblem(await postJson(mse, { inputs: { input: [1] } }), 400, "inputs.target");
    });

    await t.step("400: inputs PyTorch rejects", async () => {
      await assertProblem(
        await postJson(mse, { inputs: { input: [1, 2, 3], target: [1, 2, 3, 4] } }),
        400,
        "inputs.target",
      );
    });

    await t.step("404: unknown loss, unknown route", async () => {
      await assertProblem(await postJson(`${api}/losses/no-such-loss`, valid), 404, "name");
      await assertProblem(await fetch(`${api}/losses/no-such-loss`), 404, "name");
      await assertProblem(await fetch(`${api}/nothing-here`), 404, "path");
    });

    await t.step(
      "PyTorch's functional names, with or without _loss; a 404 suggests names",
      async () => {
        for (
          const name of [
            "gaussian_nll",
            "gaussian_nll_loss",
            "triplet_margin",
            "mse_loss",
            "kl_div",
          ]
        ) {
          const response = await fetch(`${api}/losses/${name}`);
          assert.equal(response.status, 200, name);
          await response.body?.cancel();
        }
        const suggestions = {
          crossentropy: ["CrossEntropyLoss (cross_entropy)"],
          tripplet_margin: ["TripletMarginLoss (triplet_margin_loss)"],
          bce_logits: ["BCEWithLogitsLoss (binary_cross_entropy_with_logits)"],
          huberr: ["HuberLoss (huber_loss)"],
        };
        for (const [name, expected] of Object.entries(suggestions)) {
          const problem = await assertProblem(await fetch(`${api}/losses/${name}`), 404, "name");
          const hint = `did you mean ${expected.join(" or ")}?`;
          assert.ok(String(problem.detail).includes(hint), `${name}: ${problem.detail}`);
        }
        const none = await assertProblem(await postJson(`${api}/losses/zzz`, valid), 404, "name");
        assert.doesNotMatch(String(none.detail), /did you mean/);
        assert.match(String(none.detail), /; the losses are .*L1Loss/);
      },
    );

    await t.step("405: wrong method", async () => {
      const response = await fetch(`${api}/losses/mse`, { method: "DELETE" });
      assert.equal(response.headers.get("Allow"), "GET, HEAD, POST, OPTIONS");
      await assertProblem(response, 405, "method");
      await assertProblem(await postJson(`${api}/losses`, valid), 405, "method");
      await assertProblem(await fetch(`${api}/health`, { method: "PUT" }), 405, "method");
    });

    await t.step("415: not JSON", async () => {
      await assertProblem(
        await postJson(mse, JSON.stringify(valid), "text/plain"),
        415,
        "Content-Type",
      );
      await assertProblem(
        await postJson(mse, "input=1", "application/x-www-form-urlencoded"),
        415,
        "Content-Type",
      );
    });

    await t.step("413: body over the limit", async () => {
      const padding = " ".repeat(DEFAULT_LIMITS.maxBodyBytes);
      await assertProblem(await postJson(mse, `${padding}${JSON.stringify(valid)}`), 413, "body");
    });

    await t.step("413: element count over the limit", async () => {
      const big = new Array(DEFAULT_LIMITS.maxElements + 1).fill(0);
      await assertProblem(
        await postJson(mse, { inputs: { input: big, target: [0] } }),
        413,
        "inputs.input",
      );
      const half = new Array(DEFAULT_LIMITS.maxElements / 2).fill(0);
      await assertProblem(
        await postJson(mse, {
          inputs: { input: half, target: half },
          options: { reduction: "none" },
          grad: true,
          grad_output: [0],
        }),
        413,
        "grad_output",
      );
      // [n, 1] against [1, n]: few elements, but n² once broadcast.
      const column = Array.from({ length: 2048 }, () => [0]);
      await assertProblem(
        await postJson(mse, { inputs: { input: column, target: [new Array(2048).fill(0)] } }),
        413,
        "inputs.target",
      );
    });

    await t.step("never a 500 for malformed bodies", async () => {
      const deep = "[".repeat(100_000) + "]".repeat(100_000);
      const bodies: unknown[] = [
        "null",
        "[]",
        '"text"',
        "42",
        "{}",
        { inputs: null },
        { inputs: { input: {}, target: [] } },
        { inputs: { input: { shape: "2", data: [] }, target: [] } },
        { inputs: { input: { shape: [-1], data: [] }, target: [] } },
        { inputs: { input: { shape: [1.5], data: [] }, target: [] } },
        { inputs: { input: { shape: [2], data: [1, 2], dtype: "complex" }, target: [1, 2] } },
        { inputs: { input: { shape: [2], data: [1, 2], extra: 1 }, target: [1, 2] } },
        { inputs: { input: [[[[[[[[[1]]]]]]]]], target: [1] } },
        { inputs: { input: [1], target: [1] }, options: "none" },
        { inputs: { input: [1], target: [1] }, options: { reduction: null, size_average: 1 } },
        { inputs: { input: [1], target: [1] }, grad_output: [1] },
        { inputs: { input: [1], target: [1] }, grad: true, grad_output: [[1, 2]] },
        { inputs: { input: [], target: [] }, grad: true },
        { inputs: { input: [[]], target: [[]] }, options: { reduction: "none" } },
        `{"inputs": {"input": ${deep}}}`,
        "\u00ff\u00fe",
      ];
      for (const body of bodies) {
        const response = await postJson(mse, body);
        const text = await response.text();
        assert.ok(
          response.status < 500,
          `${JSON.stringify(body).slice(0, 80)}: ${response.status} ${text}`,
        );
        assert.doesNotMatch(text, /\n\s+at /);
        if (response.status >= 400) {
          assert.equal(response.headers.get("Content-Type"), "application/problem+json");
        }
      }
      const invalidUtf8 = await fetch(mse, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      });
      await assertProblem(invalidUtf8, 400, "body");
    });

    await binaryApiSteps(t, api);
    await replayGoldenSteps(t, server.url);
    await replayEdgeSteps(t, server.url);
  }));
