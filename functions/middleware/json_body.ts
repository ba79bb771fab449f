/**
 * A middleware that reads a JSON request body within a size limit: 415 when it is not JSON,
 * 413 when it is too large, 400 when it does not parse (thrown as problems).  Its result is the route's validated
 * `json` input, typed for Hono's RPC client.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { LIMIT_VARIABLES } from "../api/limits.ts";
import { REQUEST_BYTES } from "./access_log.ts";
import { ProblemError } from "../api/problem.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Parses the body as JSON of (unchecked) type `Body`, answering a problem for a body that is
 * not JSON, too large, or malformed.  The handler reads it with `c.req.valid("json")`.
 */
export function jsonBody<Body>(
  maxBodyBytes: number,
): MiddlewareHandler<
  // deno-lint-ignore no-explicit-any
  any,
  string,
  { in: { json: Body }; out: { json: Body } }
> {
  return async (c, next) => {
    const contentType = c.req.header("Content-Type") ?? "";
    if (!JSON_MEDIA_TYPE.test(contentType)) {
      throw new ProblemError(
        "unsupported-media-type",
        `Content-Type must be application/json, got ${
          contentType ? JSON.stringify(contentType) : "none"
        }`,
        "Content-Type",
      );
    }
    const tooLarge = () =>
      new ProblemError(
        "too-large",
        `The body is larger than the limit of ${maxBodyBytes} bytes (${LIMIT_VARIABLES.maxBodyBytes})`,
        "body",
      );
    const declared = Number(c.req.header("Content-Length") ?? NaN);
    if (declared > maxBodyBytes) throw tooLarge();
    // With a Content-Length within the limit, the runtime reads no more than it declares.
    const bytes = Number.isSafeInteger(declared)
      ? new Uint8Array(await c.req.raw.arrayBuffer())
      : await readAtMost(c.req.raw, maxBodyBytes);
    if (bytes === undefined) throw tooLarge();
    c.set(REQUEST_BYTES, bytes.byteLength);
    let body: unknown;
    try {
      body = JSON.parse(UTF8.decode(bytes));
    } catch (error) {
      const reason = error instanceof SyntaxError ? error.message : "it is not UTF-8 text";
      throw new ProblemError("invalid-json", `The body is not valid JSON: ${reason}`, "body");
    }
    c.req.addValidatedData("json", body as object);
    await next();
  };
}

/** The body's bytes, or undefined as soon as there are more than `limit`. */
async function readAtMost(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = request.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
