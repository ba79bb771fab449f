/**
 * Request limits: how large a body, how many tensor elements and how much estimated work one
 * request may carry.
 *
 * They come from the environment (`Deno.env` on Deno, wrangler `[vars]` on Workers):
 *
 * - `MAX_BODY_BYTES`: the largest request body, in bytes (default 4 MiB);
 * - `MAX_ELEMENTS`: the most tensor elements in one request, inputs, tensor options and
 *   `grad_output` together, the most elements its tensors may broadcast to, and the largest
 *   size of any one dimension (default 262,144);
 * - `MAX_WORK`: the most work one request may ask for, as `cost.ts` estimates it in element
 *   steps before computing (CTC's T x (2S + 1) x N, MultiLabelMarginLoss's N x C x C, the
 *   broadcast size for the others; default 2,097,152).
 *
 * Binary tensors (.npy, in a multipart body or as `{"npy": base64}` in JSON) cost little to
 * decode, so they have limits of their own:
 *
 * - `MAX_BINARY_ELEMENTS`: the most elements of one .npy tensor, the largest size of any of its
 *   dimensions, and the most elements the tensors of a request holding one may broadcast to
 *   (default 1,048,576); .npy tensors do not count against `MAX_ELEMENTS`;
 * - `MAX_BINARY_BODY_BYTES`: the largest multipart body, in bytes (default 8 MiB and 64 KiB:
 *   two float32 tensors of 2^20 elements, or a float64 one, with small ones and their headers); a JSON body
 *   keeps `MAX_BODY_BYTES`, whatever it holds.
 *
 * A batch (`POST /api/v1/batch`) is one request under all of these, its items together, and:
 *
 * - `MAX_BATCH_ITEMS`: the most computations one batch may hold (default 64).
 *
 * The defaults keep the largest accepted request well inside a Cloudflare Worker's 128 MB of
 * memory and a fraction of a second of CPU time, the largest binary one within 100 ms (measured
 * in BENCHMARKS.md, "Hardening" and "Binary tensors").
 *
 * @module
 */
import { LossInputError } from "../../lib/mod.ts";

/** How much one request may carry. */
export interface Limits {
  /** The largest request body, in bytes. */
  maxBodyBytes: number;
  /** The most tensor elements in one request, in any broadcast of its tensors, in a dimension. */
  maxElements: number;
  /** The most estimated work of one request, in element steps (see `cost.ts`). */
  maxWork: number;
  /** The most elements of one binary (.npy) tensor, in a dimension, in a broadcast with one. */
  maxBinaryElements: number;
  /** The largest multipart body, in bytes. */
  maxBinaryBodyBytes: number;
  /** The most items of one batch (`POST /api/v1/batch`). */
  maxBatchItems: number;
}

/** The limits when the environment sets none. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxElements: 262_144,
  maxWork: 2_097_152,
  maxBinaryElements: 1_048_576,
  maxBinaryBodyBytes: 8 * 1024 * 1024 + 65_536,
  maxBatchItems: 64,
};

/** The environment variable of each limit. */
export const LIMIT_VARIABLES: Readonly<Record<keyof Limits, string>> = {
  maxBodyBytes: "MAX_BODY_BYTES",
  maxElements: "MAX_ELEMENTS",
  maxWork: "MAX_WORK",
  maxBinaryElements: "MAX_BINARY_ELEMENTS",
  maxBinaryBodyBytes: "MAX_BINARY_BODY_BYTES",
  maxBatchItems: "MAX_BATCH_ITEMS",
};

/**
 * Reads the limits from environment variables, keeping the default for any that is unset.
 *
 * @throws RangeError when a variable is set but is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitsFromEnv } from "./limits.ts";
 * assert.equal(limitsFromEnv({ MAX_ELEMENTS: "1000" }).maxElements, 1000);
 * ```
 */
export function limitsFromEnv(env: Record<string, unknown>): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_VARIABLES) as (keyof Limits)[]) {
    const name = LIMIT_VARIABLES[key];
    const value = env[name];
    if (value === undefined || value === "") continue;
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number <= 0) {
      throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
    }
    limits[key] = number;
  }
  return limits;
}

/**
 * What is left of a request's element allowance as its tensors are decoded: `limit` elements
 * of JSON numbers in all, and `binaryLimit` elements in each binary (.npy) tensor.
 */
export class ElementBudget {
  #remaining: number;
  /** Whether a binary tensor was taken: the request's broadcasts are then under `binaryLimit`. */
  binary = false;

  constructor(readonly limit: number, readonly binaryLimit = DEFAULT_LIMITS.maxBinaryElements) {
    this.#remaining = limit;
  }

  /**
   * Takes a binary tensor of `shape` at `field`: at most `binaryLimit` elements, and in each
   * dimension (a shape with a zero has no elements, however large its other sizes).
   *
   * @throws LossInputError of kind `too-large` naming the field, or the dimension.
   */
  takeBinary(field: string, shape: readonly number[]): void {
    const variable = LIMIT_VARIABLES.maxBinaryElements;
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > this.binaryLimit) {
      throw new LossInputError(
        field,
        `${field} has ${size} elements, more than the limit of ${this.binaryLimit} for a ` +
          `binary tensor (${variable})`,
        "too-large",
      );
    }
    shape.forEach((size, i) => {
      if (size > this.binaryLimit) {
        throw new LossInputError(
          `${field}.shape[${i}]`,
          `${field}.shape[${i}] is ${size}, more than the limit of ${this.binaryLimit} (${variable})`,
          "too-large",
        );
      }
    });
    this.binary = true;
  }

  /**
   * Takes `count` elements for the tensor at `field`.
   *
   * @throws LossInputError of kind `too-large` when the request would exceed the limit.
   */
  take(field: string, count: number): void {
    if (count > this.#remaining) {
      throw new LossInputError(
        field,
        `${field} has ${count} elements, more than the ${this.#remaining} left of this ` +
          `request's limit of ${this.limit} (${LIMIT_VARIABLES.maxElements})`,
        "too-large",
      );
    }
    this.#remaining -= count;
  }
}
