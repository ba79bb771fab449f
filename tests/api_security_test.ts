/**
 * Security headers, CSP, CORS, request ids and the request log, on both runtimes: every kind
 * of answer carries Hono's secure headers and its own Content-Security-Policy (the API's, the
 * site's, the reference page's with a nonce), CORS is on the API only, every answer and every
 * problem has the request's id, and the Deno server logs one JSON line per request without
 * tensors.  The reference page renders in Chromium under its policy (ignored without Chromium,
 * an error under `CI`: see `chromium.ts`).
 */
import assert from "node:assert/strict";
import { siteSecureHeaders } from "../functions/middleware/security.ts";
import { Hono } from "hono";
import { CONTENT_SECURITY_POLICY } from "../functions/middleware/csp.ts";
import { API_CSP } from "../functions/middleware/security.ts";
import { notebookCrossEntropy, postJson } from "./api_http.ts";
import { type RunningServer, startDenoServer, startWorker, withServer } from "./api_servers.ts";
import { hasChromium, launchChromium } from "./chromium.ts";
import { ensureBuiltSite } from "./built_site.ts";

// The Deno server serves the built site: build it first if it is missing or stale.
await ensureBuiltSite();

/** A server-made request id. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Headers Hono's `secureHeaders` sets on every answer. */
const SECURE = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "SAMEORIGIN",
  "Referrer-Policy": "no-referrer",
  "Strict-Transport-Security": "max-age=15552000; includeSubDomains",
  "Cross-Origin-Opener-Policy": "same-origin",
};

function assertSecure(response: Response, what: string, csp?: string | RegExp): void {
  for (const [name, value] of Object.entries(SECURE)) {
    assert.equal(response.headers.get(name), value, `${what}: ${name}`);
  }
  const policy = response.headers.get("Content-Security-Policy") ?? "";
  if (typeof csp === "string") assert.equal(policy, csp, `${what}: CSP`);
  else if (csp) assert.match(policy, csp, `${what}: CSP`);
  assert.match(response.headers.get("X-Request-Id") ?? "", /^[\w-]+$/, `${what}: X-Request-Id`);
}

async function checkApiAnswers(server: RunningServer): Promise<void> {
  const api = `${server.url}/api/v1`;
  const answers: [string, Promise<Response>][] = [
    ["GET /api/v1/health", fetch(`${api}/health`)],
    ["POST 200", postJson(`${api}/losses/mse`, { inputs: { input: [1], target: [2] } })],
    ["POST 400", postJson(`${api}/losses/mse`, "{")],
    ["404", fetch(`${api}/nothing`)],
    ["405", fetch(`${api}/health`, { method: "PUT" })],
  ];
  for (const [what, pending] of answers) {
    const response = await pending;
    await response.body?.cancel();
    assertSecure(response, what, API_CSP);
    assert.equal(response.headers.get("Cross-Origin-Resource-Policy"), "cross-origin", what);
    assert.equal(response.headers.get("Access-Control-Allow-Origin"), "*", `${what}: CORS`);
  }
  const preflight = await fetch(`${api}/losses/mse`, {
    method: "OPTIONS",
    headers: { Origin: "https://example.org", "Access-Control-Request-Method": "POST" },
  });
  await preflight.body?.cancel();
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("Access-Control-Allow-Methods"), "GET,POST,OPTIONS");
  assert.equal(preflight.headers.get("Access-Control-Allow-Origin"), "*");
  assertSecure(preflight, "preflight", API_CSP);
}

async function checkRequestIds(server: RunningServer): Promise<void> {
  const given = await fetch(`${server.url}/api/v1/health`, {
    headers: { "X-Request-Id": "abc-123" },
  });
  await given.body?.cancel();
  // The server makes the id; a caller's own is logged beside it (client_request_id).
  assert.match(given.headers.get("X-Request-Id") ?? "", UUID, "the server's id, not the caller's");
  const problem = await postJson(`${server.url}/api/v1/losses/mse`, { inputs: [] });
  const body = await problem.json();
  assert.equal(body.request_id, problem.headers.get("X-Request-Id"), "the problem has the id");
}

async function checkDocs(server: RunningServer): Promise<void> {
  const response = await fetch(`${server.url}/api/v1/docs`);
  const html = await response.text();
  assertSecure(response, "/api/v1/docs", /script-src 'self' 'nonce-[\w+/=]+'/);
  const policy = response.headers.get("Content-Security-Policy")!;
  const nonce = policy.match(/'nonce-([\w+/=]+)'/)![1];
  assert.ok(html.includes(`<script nonce="${nonce}">`), "the inline script has the nonce");
  const again = await fetch(`${server.url}/api/v1/docs`);
  await again.body?.cancel();
  assert.ok(!again.headers.get("Content-Security-Policy")!.includes(nonce), "a nonce per answer");
}

/** The steps both runtimes pass alike: the API's answers, request ids, the reference page. */
async function sharedSteps(t: Deno.TestContext, server: RunningServer): Promise<void> {
  await t.step("the API's answers", () => checkApiAnswers(server));
  await t.step("request ids", () => checkRequestIds(server));
  await t.step("/api/v1/docs has its own CSP with a nonce", () => checkDocs(server));
}

Deno.test("security headers, CORS, request ids and the log on Deno", (t) =>
  withServer(startDenoServer(), async (server) => {
    await sharedSteps(t, server);

    await t.step("the site's pages and files have the site's CSP, no CORS", async () => {
      for (const path of ["/", "/losses/mse", "/assets/site.css"]) {
        const response = await fetch(`${server.url}${path}`);
        await response.body?.cancel();
        assert.equal(response.status, 200, path);
        assertSecure(response, path, CONTENT_SECURITY_POLICY);
        assert.equal(response.headers.get("Access-Control-Allow-Origin"), null, path);
      }
    });

    await t.step("one JSON log line per request, with its fields and no tensor", async () => {
      const id = `log-test-${Date.now()}`;
      const body = JSON.stringify({ inputs: notebookCrossEntropy(), grad: true });
      const response = await fetch(`${server.url}/api/v1/losses/cross-entropy`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Request-Id": id },
        body,
      });
      const answer = new Uint8Array(await response.arrayBuffer());
      const serverId = response.headers.get("X-Request-Id");
      let lines: string[] = [];
      for (let wait = 0; wait < 50 && lines.length === 0; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        lines = server.stdout().split("\n").filter((line) => line.includes(id));
      }
      assert.equal(lines.length, 1, "one line for the request");
      const entry = JSON.parse(lines[0]);
      assert.deepEqual(Object.keys(entry).sort(), [
        "client_request_id",
        "duration_ms",
        "method",
        "request_bytes",
        "request_id",
        "response_bytes",
        "route",
        "status",
        "time",
      ]);
      assert.equal(entry.client_request_id, id, "the client's id, as its own field");
      assert.equal(entry.request_id, serverId, "beside the server's");
      assert.match(entry.request_id, UUID);
      assert.equal(entry.method, "POST");
      assert.equal(entry.route, "/api/v1/losses/:name");
      assert.equal(entry.status, 200);
      assert.equal(entry.request_bytes, new TextEncoder().encode(body).length);
      assert.equal(entry.response_bytes, answer.length);
      assert.equal(typeof entry.duration_ms, "number");
      assert.doesNotMatch(lines[0], /0\.4278|inputs|grads/, "no tensor in the log");
    });

    await t.step({
      name: "the reference page renders under its CSP in Chromium",
      ignore: !hasChromium,
      fn: async () => {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on("console", (message) => {
            if (message.type() === "error") {
              errors.push(`${message.text()} (${message.location().url})`);
            }
          });
          page.on("pageerror", (error) => errors.push(error.message));
          await page.goto(`${server.url}/api/v1/docs`, { waitUntil: "load" });
          await page.waitForSelector(".swagger-ui .info .title", { timeout: 20_000 });
          await page.waitForSelector(".opblock", { timeout: 20_000 });
          assert.deepEqual(errors, [], "no CSP violation or script error");
        } finally {
          await browser.close();
        }
      },
    });
  }));

Deno.test("security headers, CORS and request ids on Workers (local workerd)", (t) =>
  withServer(startWorker(), async (server) => {
    await sharedSteps(t, server);
    await t.step(
      "a page, a static asset, has the site's secure headers from _headers",
      async () => {
        const response = await fetch(`${server.url}/`);
        await response.body?.cancel();
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("Content-Security-Policy"), CONTENT_SECURITY_POLICY);
        const expected = await new Hono().use(siteSecureHeaders()).get(
          "/",
          (c) => c.body(null, 204),
        )
          .request("/");
        for (const [name, value] of expected.headers) {
          assert.equal(response.headers.get(name), value, name);
        }
      },
    );
  }));
