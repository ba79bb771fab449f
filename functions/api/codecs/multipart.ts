/**
 * The multipart/form-data codec: a part `request` holding the JSON fields (its tensors may be
 * left out; the part itself may be), and one .npy part per tensor named by its place in the
 * body: `inputs.input`, `inputs.target`, `options.weight`, `grad_output`.  What
 * `curl -F 'request={"grad":true};type=application/json' -F inputs.input=@x.npy ...` and
 * `requests.post(url, files={...})` send.
 *
 * Parts are found by their boundary; an .npy part's end is first looked for where its header
 * says its data ends, so that megabytes of data are not searched byte by byte.
 *
 * @module
 */
import { type AnyLoss, LossInputError } from "../../../lib/mod.ts";
import type { DecodedRequest, DecodedTensor } from "../decoded.ts";
import { ElementBudget, LIMIT_VARIABLES, type Limits } from "../limits.ts";
import { decodeFields, type Parts } from "../request.ts";
import { parseJsonText } from "./json.ts";
import { npyTensor, readNpyHeader } from "./npy.ts";

/** One part of a multipart body: its name and its bytes (a view of the body's). */
export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  bytes: Uint8Array;
}

/** The most parts a body may have: a request part and a tensor per place, with room to spare. */
export const MAX_PARTS = 32;
const MAX_PART_HEADERS = 8192;
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

const malformed = (message: string) =>
  new LossInputError("body", `The body is not valid multipart/form-data: ${message}`);

/**
 * The boundary of a `multipart/form-data` Content-Type, or undefined when it has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { boundaryOf } from "./multipart.ts";
 * assert.equal(boundaryOf('multipart/form-data; boundary="a b"'), "a b");
 * assert.equal(boundaryOf("multipart/form-data"), undefined);
 * ```
 */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Where `needle` is in `haystack` from `from`, or -1. */
function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (
    let at = haystack.indexOf(first, from);
    at >= 0 && at <= last;
    at = haystack.indexOf(first, at + 1)
  ) {
    let k = 1;
    while (k < needle.length && haystack[at + k] === needle[k]) k++;
    if (k === needle.length) return at;
  }
  return -1;
}

function startsWithAt(haystack: Uint8Array, needle: Uint8Array, at: number): boolean {
  if (at < 0 || at + needle.length > haystack.length) return false;
  for (let k = 0; k < needle.length; k++) if (haystack[at + k] !== needle[k]) return false;
  return true;
}

/** Where an .npy part's data ends by its header, if the body's next delimiter is there. */
function npyEnd(body: Uint8Array, start: number, delimiter: Uint8Array): number {
  try {
    const header = readNpyHeader(body.subarray(start, start + 65_600), "part");
    const end = start + header.dataOffset +
      header.shape.reduce((a, b) => a * b, 1) * header.itemSize;
    return startsWithAt(body, delimiter, end) ? end : -1;
  } catch {
    return -1;
  }
}

/**
 * Splits a multipart body into its parts.
 *
 * @throws LossInputError naming `body` for a body that is not multipart/form-data of this
 *   boundary, or names a part twice.
 */
export function parseMultipart(body: Uint8Array, boundary: string): Part[] {
  const dash = encoder.encode(`--${boundary}`);
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  let at = startsWithAt(body, dash, 0) ? 0 : indexOfBytes(body, delimiter, 0) + 2;
  if (at < 0 || !startsWithAt(body, dash, at)) throw malformed(`no boundary ${boundary}`);
  at += dash.length;
  const parts: Part[] = [];
  for (;;) {
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts; // the closing "--"
    while (body[at] === 0x20 || body[at] === 0x09) at++;
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) {
      throw malformed("a boundary not followed by a line break");
    }
    at += 2;
    const headersEnd = indexOfBytes(
      body.subarray(0, at + MAX_PART_HEADERS),
      encoder.encode("\r\n\r\n"),
      at - 2,
    );
    if (headersEnd < 0) throw malformed(`part ${parts.length + 1} has no end to its headers`);
    const headers = latin1.decode(body.subarray(at, headersEnd));
    const start = headersEnd + 4;
    let end = npyEnd(body, start, delimiter);
    if (end < 0) end = indexOfBytes(body, delimiter, start - 2);
    if (end < 0) throw malformed(`part ${parts.length + 1} has no closing boundary (truncated)`);
    parts.push({ ...readHeaders(headers, parts.length + 1), bytes: body.subarray(start, end) });
    if (parts.length > MAX_PARTS) throw malformed(`it has more than ${MAX_PARTS} parts`);
    at = end + delimiter.length;
  }
}

function readHeaders(text: string, index: number): Omit<Part, "bytes"> {
  let name: string | undefined, filename: string | undefined, contentType: string | undefined;
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-disposition") {
      name = parameter(value, "name");
      filename = parameter(value, "filename");
    } else if (key === "content-type") contentType = value;
  }
  if (name === undefined) throw malformed(`part ${index} has no Content-Disposition name`);
  return { name, filename, contentType };
}

function parameter(header: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i").exec(header);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1").replace(/%22/g, '"') : match[2];
}

const PLACE = /^(?:inputs\.[^.\s]+|options\.[^.\s]+|grad_output)$/;

/**
 * Decodes a multipart body for `loss`: the `request` part's JSON fields, and each tensor part as
 * an .npy tensor under the binary limits (its header read now, its data after the cost check).
 *
 * @throws LossInputError naming the part (or `body`): an unknown part name, a part given twice,
 *   a `request` part over `MAX_BODY_BYTES` or a tensor part over `MAX_BINARY_ELEMENTS` (413),
 *   and every error of the .npy and JSON codecs.
 */
export function decodeMultipart(
  body: Uint8Array,
  boundary: string,
  loss: AnyLoss,
  limits: Limits,
  extra: readonly string[] = [],
): DecodedRequest {
  const budget = new ElementBudget(limits.maxElements, limits.maxBinaryElements);
  const parts: Parts = new Map<string, DecodedTensor>();
  let request: unknown = {};
  const seen = new Set<string>();
  for (const part of parseMultipart(body, boundary)) {
    const { name } = part;
    if (seen.has(name)) {
      throw new LossInputError(name || "body", `${name || "a part"} is given twice as a part`);
    }
    seen.add(name);
    if (name === "request") {
      if (part.bytes.length > limits.maxBodyBytes) {
        throw new LossInputError(
          "request",
          `request is larger than the limit of ${limits.maxBodyBytes} bytes ` +
            `(${LIMIT_VARIABLES.maxBodyBytes})`,
          "too-large",
        );
      }
      request = parseJsonText(part.bytes, "request", limits);
      if (typeof request !== "object" || request === null || Array.isArray(request)) {
        throw new LossInputError(
          "request",
          "request must be a JSON object of the request's fields",
        );
      }
    } else if (PLACE.test(name)) {
      const spec = name.startsWith("inputs.")
        ? loss.inputs.find((input) => `inputs.${input.name}` === name)
        : undefined;
      parts.set(name, npyTensor(part.bytes, name, budget, spec?.kind === "index"));
    } else {
      const field = name || "body";
      throw new LossInputError(
        field,
        `${field} is not a part of a request: the parts are request (the JSON fields) and ` +
          ".npy files named inputs.<name>, options.<name> or grad_output",
      );
    }
  }
  return decodeFields(loss, request, budget, parts, extra);
}
