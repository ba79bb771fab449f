/**
 * A middleware that reads a request body within the limit of its media type, for the codecs
 * (`api/codecs/`): JSON within `MAX_BODY_BYTES`, multipart/form-data within
 * `MAX_BINARY_BODY_BYTES`; 415 for any other media type (or multipart without a boundary), 413
 * past the limit (thrown as problems).  The route reads it as `c.var.body`; its type parameter
 * is the JSON body, for Hono's RPC client.
 *
 * The body's bytes count in the server's work in flight (`MAX_IN_FLIGHT_BYTES`,
 * {@link InFlight}) as they arrive, until the request is answered: a body whose declared length
 * does not fit is answered 503 with `Retry-After` at once, unread, and so is one that outgrows
 * the room left as it arrives.  A body compressed with gzip or
 * deflate (`Content-Encoding`) is decompressed, its decompressed size under the same limit (a
 * gzip bomb is a 413); another encoding is a 415 naming it.  A body that does not arrive within
 * `BODY_TIMEOUT_SECONDS` is a 408; one that cannot be read (a malformed chunked encoding, an
 * upload the client gave up) a 400, never a server error.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { boundaryOf } from "../api/codecs/multipart.ts";
import type { RawBody } from "../api/codecs/mod.ts";
import { type InFlight, LIMIT_VARIABLES, type Limits } from "../api/limits.ts";
import { ProblemError } from "../api/problem.ts";
import { REQUEST_BYTES } from "./access_log.ts";

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const MULTIPART_MEDIA_TYPE = /^multipart\/form-data\s*(?:;|$)/i;

/** The `Content-Encoding`s a body may have, and the `DecompressionStream` format of each. */
export const BODY_ENCODINGS: Readonly<Record<string, CompressionFormat | null>> = {
  identity: null,
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
};

/** The seconds a client refused for the work in flight is told to wait (`Retry-After`). */
export const OVERLOADED_RETRY_SECONDS = 1;

/** The variable the body is in: `c.var.body`. */
export type BodyVariables = { body: RawBody; requestBytes?: number };

/**
 * Reads the body as JSON or multipart within `limits`, answering a problem for another media
 * type or encoding, a body too large, too slow or unreadable, or too much work in flight
 * (`inFlight`); the handler reads it from `c.var.body`.
 */
export function requestBody<Body>(
  limits: Limits,
  inFlight: InFlight,
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
    const given = (c.req.header("Content-Encoding") ?? "identity").trim().toLowerCase();
    const format = BODY_ENCODINGS[given];
    if (format === undefined) {
      throw new ProblemError(
        "unsupported-media-type",
        `Content-Encoding must be gzip, deflate or identity, got ${JSON.stringify(given)}`,
        "Content-Encoding",
      );
    }
    const [limit, variable] = multipart
      ? [limits.maxBinaryBodyBytes, LIMIT_VARIABLES.maxBinaryBodyBytes]
      : [limits.maxBodyBytes, LIMIT_VARIABLES.maxBodyBytes];
    const tooLarge = (what: string) =>
      new ProblemError(
        "too-large",
        `The body is larger${what} than the limit of ${limit} bytes (${variable})`,
        "body",
      );
    const declared = Number(c.req.header("Content-Length") ?? NaN);
    if (declared > limit) throw tooLarge("");
    // Refused at once when its declared length does not fit beside the bodies in flight; then
    // each chunk takes its bytes as it arrives (a stalled upload holds only what it sent), and
    // all are given back once the request is answered.
    const overloaded = (bytes: number) =>
      new ProblemError(
        "overloaded",
        `The server is busy: ${inFlight.bytes} bytes of other requests are in flight, and the ` +
          `body of this one (${bytes} bytes) would take them past the limit of ${inFlight.limit} ` +
          `(${LIMIT_VARIABLES.maxInFlightBytes}); retry in ${OVERLOADED_RETRY_SECONDS} s`,
        "body",
        // Answered unread: the connection closes, so the client stops sending the body.
        { "Retry-After": String(OVERLOADED_RETRY_SECONDS), Connection: "close" },
      );
    const expected = Number.isSafeInteger(declared) ? declared : 0;
    if (!inFlight.fits(expected)) throw overloaded(expected);
    let taken = 0;
    const take = (bytes: number) => {
      if (!inFlight.take(bytes)) throw overloaded(taken + bytes);
      taken += bytes;
    };
    try {
      const bytes = await readBody(c.req.raw, limit, format, limits.bodyTimeoutSeconds, take);
      if (bytes === "too large") throw tooLarge(format ? " decompressed" : "");
      c.set(REQUEST_BYTES, bytes.byteLength);
      c.set("body", { media: multipart ? "multipart" : "json", bytes, boundary });
      await next();
    } finally {
      inFlight.give(taken);
    }
  };
}

/**
 * The body's bytes, decompressed from `format` if given; "too large" as soon as there are
 * more than `limit` (read or decompressed).
 *
 * @throws ProblemError `request-timeout` (408) when it has not all arrived within
 * `timeoutSeconds`, `invalid-body` (400) when it cannot be read or decompressed.
 */
async function readBody(
  request: Request,
  limit: number,
  format: CompressionFormat | null,
  timeoutSeconds: number,
  take: (bytes: number) => void,
): Promise<Uint8Array | "too large"> {
  if (request.body === null) return new Uint8Array(0);
  let stream: ReadableStream<Uint8Array> = request.body;
  if (format) {
    // The compressed bytes are under the limit too (a declared length is checked before).
    let compressed = 0;
    stream = stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          compressed += chunk.byteLength;
          if (compressed > limit) controller.error(new TooLarge());
          else controller.enqueue(chunk);
        },
      }),
    ).pipeThrough(new DecompressionStream(format) as ReadableWritablePair<Uint8Array, Uint8Array>);
  }
  const reader = stream.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut()), timeoutSeconds * 1000);
  });
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (true) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      take(value.byteLength);
      length += value.byteLength;
      if (length > limit) {
        reader.cancel().catch(() => {});
        return "too large";
      }
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    if (error instanceof ProblemError) throw error;
    if (error instanceof TooLarge) return "too large";
    if (error instanceof TimedOut) {
      throw new ProblemError(
        "request-timeout",
        `The body did not arrive within ${timeoutSeconds} s (${LIMIT_VARIABLES.bodyTimeoutSeconds})`,
        "body",
        { Connection: "close" },
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProblemError(
      "invalid-body",
      format
        ? `The body is not valid ${format} data: ${reason}`
        : `The body could not be read: ${reason}`,
      "body",
    );
  } finally {
    clearTimeout(timer);
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

/** The compressed bytes of a body passed its limit. */
class TooLarge extends Error {}

/** A body did not arrive in time. */
class TimedOut extends Error {}
