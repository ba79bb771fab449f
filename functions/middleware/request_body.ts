/**
 * A middleware that reads a request body within the limit of its media type, for the codecs
 * (`api/codecs/`): JSON within `MAX_BODY_BYTES`, multipart/form-data within
 * `MAX_BINARY_BODY_BYTES`; 415 for any other media type (or multipart without a boundary), 413
 * past the limit (thrown as problems).  The route reads it as `c.var.body`; its type parameter
 * is the JSON body, for Hono's RPC client.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { boundaryOf } from "../api/codecs/multipart.ts";
import type { RawBody } from "../api/codecs/mod.ts";
import { LIMIT_VARIABLES, type Limits } from "../api/limits.ts";
import { ProblemError } from "../api/problem.ts";
import { REQUEST_BYTES } from "./access_log.ts";

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const MULTIPART_MEDIA_TYPE = /^multipart\/form-data\s*(?:;|$)/i;

/** The variable the body is in: `c.var.body`. */
export type BodyVariables = { body: RawBody; requestBytes?: number };

/**
 * Reads the body as JSON or multipart within `limits`, answering a problem for another media
 * type or a body too large; the handler reads it from `c.var.body`.
 */
export function requestBody<Body>(
  limits: Limits,
): MiddlewareHandler<
  { Variables: BodyVariables },
  string,
  { in: { json: Body } }
> {
  return async (c, next) => {
    const contentType = c.req.header("Content-Type") ?? "";
    const multipart = MULTIPART_MEDIA_TYPE.test(contentType);
    const boundary = multipart ? boundaryOf(contentType) : undefined;
    if (!(multipart ? boundary : JSON_MEDIA_TYPE.test(contentType))) {
      throw new ProblemError(
        "unsupported-media-type",
        `Content-Type must be application/json or multipart/form-data with a boundary, got ${
          contentType ? JSON.stringify(contentType) : "none"
        }`,
        "Content-Type",
      );
    }
    const [limit, variable] = multipart
      ? [limits.maxBinaryBodyBytes, LIMIT_VARIABLES.maxBinaryBodyBytes]
      : [limits.maxBodyBytes, LIMIT_VARIABLES.maxBodyBytes];
    const tooLarge = () =>
      new ProblemError(
        "too-large",
        `The body is larger than the limit of ${limit} bytes (${variable})`,
        "body",
      );
    const declared = Number(c.req.header("Content-Length") ?? NaN);
    if (declared > limit) throw tooLarge();
    // With a Content-Length within the limit, the runtime reads no more than it declares.
    const bytes = Number.isSafeInteger(declared)
      ? new Uint8Array(await c.req.raw.arrayBuffer())
      : await readAtMost(c.req.raw, limit);
    if (bytes === undefined) throw tooLarge();
    c.set(REQUEST_BYTES, bytes.byteLength);
    c.set("body", { media: multipart ? "multipart" : "json", bytes, boundary });
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
