/**
 * A scan of a JSON body's raw bytes before `JSON.parse`: how deep it nests and how many values it
 * holds, so that a body too deep or with too many values is refused for its shape without being
 * parsed (a 2e6-deep array, or a million empty arrays, would take far more memory parsed than
 * their bytes).  The scan keeps no copy: it counts, one byte at a time, outside strings.
 *
 * @module
 */
import { MAX_RANK } from "../../../lib/mod.ts";
import { LIMIT_VARIABLES, type Limits } from "../limits.ts";
import { ProblemError } from "../problem.ts";

/**
 * How deep a request nests at most: the body, `inputs` or `options`, a tensor, and its arrays
 * (at most `MAX_RANK` of them, the most dimensions supported), with room for `{"npy": …}` and
 * a route's own keys.
 */
export const MAX_JSON_DEPTH = MAX_RANK + 4;

/**
 * The values beyond the tensor elements a request may hold: shapes, options, keys and the
 * arrays of nested tensors (each counted as a value of its own).
 */
export const JSON_VALUE_ALLOWANCE = 4096;

const QUOTE = 0x22, BACKSLASH = 0x5c, OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, COMMA = 0x2c, COLON = 0x3a;
// An object's keys count as values too: a body of many keys is refused as one of many values.
const SPACE = 0x20, TAB = 0x09, NEWLINE = 0x0a, RETURN = 0x0d;

/**
 * Each byte's part in the scan: 0 for the bytes inside a number or a literal (most of a tensor's
 * body), 1 for white space, 2 for the others.  One table load decides the common bytes, where a
 * chain of comparisons per byte made the scan cost more than `JSON.parse`.
 */
const BYTE_CLASS = (() => {
  const classes = new Uint8Array(256);
  for (const blank of [SPACE, TAB, NEWLINE, RETURN]) classes[blank] = 1;
  for (const mark of [QUOTE, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT, COMMA, COLON]) {
    classes[mark] = 2;
  }
  return classes;
})();

/**
 * Checks the shape of a JSON text before it is parsed: at most {@link MAX_JSON_DEPTH} levels
 * of arrays and objects, and at most twice `MAX_ELEMENTS` plus {@link JSON_VALUE_ALLOWANCE}
 * values (every number, string, literal, array and object counts: a nested tensor of `n`
 * elements in rows of one holds `2n` values).  `field` names the text in the problem.  Malformed
 * JSON passes: `JSON.parse` reports it.
 *
 * @throws ProblemError `invalid-json` (400) past the depth, `too-large` (413) past the count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LIMITS } from "../limits.ts";
 * import { checkJsonShape } from "./json_shape.ts";
 * const deep = new TextEncoder().encode("[".repeat(100) + "]".repeat(100));
 * assert.throws(() => checkJsonShape(deep, DEFAULT_LIMITS, "body"), /nested more than 12/);
 * ```
 */
export function checkJsonShape(bytes: Uint8Array, limits: Limits, field: string): void {
  const maxValues = 2 * limits.maxElements + JSON_VALUE_ALLOWANCE;
  const what = field === "body" ? "The body" : field;
  let depth = 0, values = 0;
  // Whether the next non-blank byte starts a value or a key (after `[`, `{`, `,`, `:`, or at
  // the start).
  let expectValue = true;
  // At each depth: whether it is an object, and where its current key is in `bytes` (read only
  // to name the field of a body nested too deep).
  const isObject: boolean[] = [false];
  const keyStart: number[] = [-1], keyEnd: number[] = [-1];
  let expectKey = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    const kind = BYTE_CLASS[byte];
    if (kind === 1) continue;
    if (kind === 0) {
      // A number or a literal: counted at its first byte.
      if (expectValue) {
        if (++values > maxValues) tooManyValues(what, maxValues, limits, field);
        expectValue = false;
      }
      continue;
    }
    if (expectValue && byte !== CLOSE_ARRAY && byte !== CLOSE_OBJECT) {
      if (++values > maxValues) tooManyValues(what, maxValues, limits, field);
    }
    expectValue = false;
    if (byte === QUOTE) {
      const start = i;
      for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
      if (expectKey) {
        keyStart[depth] = start;
        keyEnd[depth] = i + 1;
        expectKey = false;
      }
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > MAX_JSON_DEPTH) {
        const path = fieldAt(bytes, isObject, keyStart, keyEnd, depth - 1) || field;
        throw new ProblemError(
          "invalid-json",
          `${path === "body" ? "The body" : path} is nested more than ${MAX_JSON_DEPTH} deep ` +
            `(a tensor has at most ${MAX_RANK} dimensions)`,
          path,
        );
      }
      isObject[depth] = byte === OPEN_OBJECT;
      keyStart[depth] = -1;
      expectKey = byte === OPEN_OBJECT;
      expectValue = true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
    else if (byte === COMMA) {
      expectValue = true;
      expectKey = isObject[depth];
    } else if (byte === COLON) expectValue = true;
  }
}

/** Throws the problem of a body of more than `maxValues` JSON values. */
function tooManyValues(what: string, maxValues: number, limits: Limits, field: string): never {
  throw new ProblemError(
    "too-large",
    `${what} holds more than ${maxValues} JSON values (twice the limit of ` +
      `${limits.maxElements} elements, ${LIMIT_VARIABLES.maxElements}, and ` +
      `${JSON_VALUE_ALLOWANCE} more)`,
    field,
  );
}

/** The keys of the objects enclosing depth `depth`, joined by dots (`inputs.anchor`). */
function fieldAt(
  bytes: Uint8Array,
  isObject: boolean[],
  keyStart: number[],
  keyEnd: number[],
  depth: number,
): string {
  const keys: string[] = [];
  for (let level = 1; level <= depth; level++) {
    if (!isObject[level] || keyStart[level] < 0) continue;
    try {
      keys.push(
        JSON.parse(new TextDecoder().decode(bytes.subarray(keyStart[level], keyEnd[level]))),
      );
    } catch {
      break;
    }
  }
  return keys.join(".");
}
