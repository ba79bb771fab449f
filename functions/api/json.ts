/**
 * JSON answers that carry their length: serialized once and sent as bytes with
 * `Content-Length`, so that the request log counts them without reading them again.  Typed as
 * Hono's `c.json` answers, for the RPC client.
 *
 * @module
 */
import type { Context, TypedResponse } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSONParsed } from "hono/utils/types";

const encoder = new TextEncoder();

/** `value` as UTF-8 JSON bytes. */
export function jsonBytes(value: unknown): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(value));
}

/** The type of a JSON answer of `T` with `Status`, as Hono's RPC client reads it. */
export type JsonAnswer<T, Status extends ContentfulStatusCode = 200> =
  & Response
  & TypedResponse<JSONParsed<T>, Status, "json">;

/**
 * Answers `value` as JSON (or as `mediaType`) with its `Content-Length`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { jsonAnswer } from "./json.ts";
 * const app = new Hono().get("/", (c) => jsonAnswer(c, { π: 3.14 }));
 * const response = await app.request("/");
 * assert.equal(response.headers.get("Content-Length"), "11"); // π is two bytes in UTF-8
 * assert.deepEqual(await response.json(), { π: 3.14 });
 * ```
 */
export function jsonAnswer<T, Status extends ContentfulStatusCode = 200>(
  c: Context,
  value: T,
  status: Status = 200 as Status,
  headers: Record<string, string> = {},
  mediaType = "application/json",
): JsonAnswer<T, Status> {
  const bytes = jsonBytes(value);
  return c.body(bytes, status, {
    ...headers,
    "Content-Type": mediaType,
    "Content-Length": String(bytes.byteLength),
  }) as unknown as JsonAnswer<T, Status>;
}
