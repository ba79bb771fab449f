/**
 * The codecs of `POST /api/losses/{name}`, chosen by media type: a body (JSON, or multipart
 * with .npy parts) into one decoded request, and a result into the answer the request accepts
 * (JSON, or an .npz archive with `Accept: application/x-npz`).
 *
 * @module
 */
import type { Context } from "hono";
import type { AnyLoss, DenseResult } from "../../../lib/mod.ts";
import type { DecodedRequest } from "../decoded.ts";
import { type JsonAnswer, jsonAnswer } from "../json.ts";
import type { Limits } from "../limits.ts";
import { type ComputeResponse, encodeResult } from "../request.ts";
import { decodeJson } from "./json.ts";
import { decodeMultipart } from "./multipart.ts";
import { encodeNpz, NPZ_MEDIA_TYPE } from "./npz.ts";

export { NPZ_MEDIA_TYPE };

/** A request body as read within its limit: its media type, bytes and multipart boundary. */
export interface RawBody {
  media: "json" | "multipart";
  bytes: Uint8Array;
  /** The multipart boundary. */
  boundary?: string;
}

/** Decodes a body with the codec of its media type; `extra` names a route's other keys. */
export function decodeBody(
  body: RawBody,
  loss: AnyLoss,
  limits: Limits,
  extra: readonly string[] = [],
): DecodedRequest {
  return body.media === "multipart"
    ? decodeMultipart(body.bytes, body.boundary!, loss, limits, extra)
    : decodeJson(body.bytes, loss, limits, extra);
}

/** Whether an `Accept` header asks for an .npz archive. */
export function acceptsNpz(accept: string | undefined): boolean {
  return accept !== undefined && /(?:^|,)\s*application\/x-npz\s*(?:;|,|$)/i.test(accept);
}

/**
 * Answers a result: an .npz archive when the request accepts `application/x-npz`, else JSON,
 * its tensors written as the request's `encoding` says.  Typed as the JSON answer, the one
 * Hono's RPC client asks for.
 */
export function answerResult(
  c: Context,
  request: DecodedRequest,
  result: DenseResult,
): JsonAnswer<ComputeResponse> {
  if (acceptsNpz(c.req.header("Accept"))) {
    const { chunks, length } = encodeNpz(result);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
    });
    return c.body(stream, 200, {
      "Content-Type": NPZ_MEDIA_TYPE,
      "Content-Length": String(length),
      "Content-Disposition": `attachment; filename="${result.loss}.npz"`,
    }) as unknown as JsonAnswer<ComputeResponse>;
  }
  return jsonAnswer(c, encodeResult(result, request.encoding) as ComputeResponse);
}
