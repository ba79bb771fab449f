/**
 * Small helpers for the API tests: requests and the checks of problem details.
 *
 * @module
 */
import assert from "node:assert/strict";
import { goldenCases } from "./golden.ts";

/** Posts `body` (JSON-encoded unless a string) to `url` as JSON, or with `contentType`. */
export function postJson(
  url: string,
  body: unknown,
  contentType = "application/json",
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A poster of JSON bodies to `app` in process (Hono's `app.request`), by path. */
export function inProcessPoster(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
): (path: string, body: unknown) => Promise<Response> {
  return async (path, body) =>
    await app.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
}

/**
 * Checks that `response` is an RFC 9457 problem of `status` whose `field` is `field` and whose
 * `detail` names it, without a stack trace; returns the problem.
 */
export async function assertProblem(
  response: Response,
  status: number,
  field: string,
): Promise<Record<string, unknown>> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.equal(response.headers.get("Content-Type"), "application/problem+json");
  const problem = JSON.parse(text);
  assert.equal(problem.status, status);
  assert.equal(typeof problem.type, "string");
  assert.equal(typeof problem.title, "string");
  assert.equal(problem.field, field, text);
  assert.ok(String(problem.detail).includes(field), `detail names ${field}: ${problem.detail}`);
  assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
  return problem;
}

/** The seed notebook's cross-entropy example: its 10x3 logits and targets, as nested arrays. */
export function notebookCrossEntropy(): { input: number[][]; target: number[] } {
  const golden = goldenCases.find((c) => c.id === "seed-notebook/05-CrossEntropyLoss")!;
  const values = golden.inputs.input.data.map(Number);
  const input = Array.from({ length: 10 }, (_, i) => values.slice(3 * i, 3 * i + 3));
  return { input, target: golden.inputs.target.data.map(Number) };
}
