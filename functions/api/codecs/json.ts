/**
 * The JSON codec: a body of `application/json` into a decoded request (its tensors JSON numbers,
 * nested or flat, or `{"npy": base64}`; `wire.ts` reads each), and a result into the JSON answer
 * (`encodeResult` in `request.ts`: numbers, or `{shape, dtype, npy}` with `"encoding": "npy"`).
 *
 * @module
 */
import type { AnyLoss } from "../../../lib/mod.ts";
import type { DecodedRequest } from "../decoded.ts";
import { ElementBudget, type Limits } from "../limits.ts";
import { ProblemError } from "../problem.ts";
import { decodeFields } from "../request.ts";
import { checkJsonShape } from "./json_shape.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses UTF-8 JSON text, once a scan of its bytes found it within the depth and the number of
 * values of `limits` (`json_shape.ts`); `field` names it in the problem (`body`, or a multipart
 * `request`).
 *
 * @throws ProblemError `invalid-json` (400) naming `field`, `too-large` (413) past the values.
 */
export function parseJsonText(bytes: Uint8Array, field: string, limits: Limits): unknown {
  checkJsonShape(bytes, limits, field);
  try {
    return JSON.parse(UTF8.decode(bytes));
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : "it is not UTF-8 text";
    const what = field === "body" ? "The body" : field;
    throw new ProblemError("invalid-json", `${what} is not valid JSON: ${reason}`, field);
  }
}

/**
 * Decodes a JSON body for `loss` within `limits` (JSON numbers under `MAX_ELEMENTS`, .npy
 * tensors under `MAX_BINARY_ELEMENTS` each); `extra` names the other keys a route takes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLoss } from "../../../lib/mod.ts";
 * import { DEFAULT_LIMITS } from "../limits.ts";
 * import { decodeJson } from "./json.ts";
 * const body = new TextEncoder().encode('{"inputs": {"input": [1, 2], "target": [0, 0]}}');
 * const request = decodeJson(body, findLoss("mse")!, DEFAULT_LIMITS);
 * assert.deepEqual(request.inputs.input?.shape, [2]);
 * ```
 */
export function decodeJson(
  bytes: Uint8Array,
  loss: AnyLoss,
  limits: Limits,
  extra: readonly string[] = [],
): DecodedRequest {
  const body = parseJsonText(bytes, "body", limits);
  const budget = new ElementBudget(limits.maxElements, limits.maxBinaryElements);
  return decodeFields(loss, body, budget, new Map(), extra);
}
