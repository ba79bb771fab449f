/**
 * One structured log line per request: a JSON object on stdout with the method, the route
 * pattern (`/api/losses/:name`, never the path with its values), the status, the duration,
 * the request's and the answer's sizes in bytes, the request id the server made and the
 * client's own `X-Request-Id` beside it.  Never a tensor: bodies
 * are counted, not logged.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** One request, as the log writes it. */
export interface AccessLogEntry {
  time: string;
  /** The id the server made for the request (its answer's `X-Request-Id`). */
  request_id: string | null;
  /** The client's own `X-Request-Id`, when it sent one (at most 200 characters, as sent). */
  client_request_id?: string;
  method: string;
  /** The pattern of the route that answered (`/api/losses/:name`), `*` for the site's files. */
  route: string;
  status: number;
  /** Milliseconds from the request to its answer (on Workers, only I/O moves the clock). */
  duration_ms: number;
  /** The body's bytes as read, or as declared by `Content-Length`; null when unknown. */
  request_bytes: number | null;
  /** The answer's `Content-Length` (0 without a body); null for a streamed answer. */
  response_bytes: number | null;
}

/** The most characters of a client's `X-Request-Id` the log keeps. */
export const MAX_CLIENT_ID = 200;

/** The context variable where the body reader records how many bytes it read. */
export const REQUEST_BYTES = "requestBytes";

/**
 * Logs each request below it with `write` (`console.log` of one JSON line by default).  The
 * answer's size is its `Content-Length` (the API's JSON answers and problems carry one, see
 * `json.ts`); an answer streamed without one is not read to count it, and logs `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { accessLog } from "./access_log.ts";
 * import { jsonAnswer } from "../api/json.ts";
 * const lines: string[] = [];
 * const app = new Hono().use(accessLog((line) => lines.push(line)))
 *   .get("/api/losses/:name", (c) => jsonAnswer(c, { name: c.req.param("name") }));
 * await app.request("/api/losses/mse");
 * const entry = JSON.parse(lines[0]);
 * assert.equal(entry.route, "/api/losses/:name");
 * assert.equal(entry.response_bytes, '{"name":"mse"}'.length);
 * ```
 */
export function accessLog(
  write: (line: string) => void = (line) => console.log(line),
): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const response = c.res;
    const length = Number(response.headers.get("Content-Length") ?? NaN);
    const declared = Number(c.req.header("Content-Length") ?? NaN);
    const read: unknown = c.get(REQUEST_BYTES);
    const entry: AccessLogEntry = {
      time: new Date().toISOString(),
      request_id: c.get("requestId") ?? null,
      method: c.req.method,
      route: c.req.routePath,
      status: response.status,
      duration_ms: Math.round((performance.now() - start) * 1000) / 1000,
      request_bytes: typeof read === "number"
        ? read
        : Number.isSafeInteger(declared)
        ? declared
        : null,
      response_bytes: Number.isSafeInteger(length) ? length : response.body === null ? 0 : null,
    };
    const client = c.req.header("X-Request-Id");
    if (client) entry.client_request_id = client.slice(0, MAX_CLIENT_ID);
    write(JSON.stringify(entry));
  };
}

/**
 * A `write` for {@link accessLog} that gathers lines and hands them to `flush` together, at most
 * `intervalMs` after the first of them (or at once past `maxBytes`): one write for many requests
 * instead of one each.  `flush` also runs when the process unloads.
 */
export function batchedLines(
  flush: (text: string) => void,
  intervalMs = 50,
  maxBytes = 1 << 16,
): (line: string) => void {
  let lines: string[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drain = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (lines.length === 0) return;
    const text = lines.join("\n") + "\n";
    lines = [];
    size = 0;
    flush(text);
  };
  globalThis.addEventListener?.("unload", drain);
  return (line) => {
    lines.push(line);
    size += line.length + 1;
    if (size >= maxBytes) drain();
    else timer ??= setTimeout(drain, intervalMs);
  };
}
