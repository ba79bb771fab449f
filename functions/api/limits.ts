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
 * How many requests are served at once, and how fast their bodies must come:
 *
 * - `MAX_IN_FLIGHT_BYTES`: the most bytes of request bodies being read, decoded or computed at
 *   once by one server (a Deno process, a Worker isolate), counted as they arrive; a body whose
 *   declared length would take it past the limit is answered `503` with `Retry-After` at once,
 *   unread (default 32 MiB; a request is always taken when none is in flight, so the largest is
 *   never refused for its size alone);
 * - `BODY_TIMEOUT_SECONDS`: how long a body may take to arrive, from the request's headers to
 *   its last byte (default 20 s); a slower one is answered `408` and its connection closed (how
 *   long the headers may take is the Deno server's own `HEADER_TIMEOUT_MS`, in
 *   `adapters/front_door.ts`);
 * - `RATE_LIMIT_PER_MINUTE`: the most requests a minute per client (see `rate_limit.ts`;
 *   default 0, no limit).
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
  /** The most bytes of bodies being read, decoded or computed at once. */
  maxInFlightBytes: number;
  /** How long a body may take to arrive, in seconds. */
  bodyTimeoutSeconds: number;
  /** The most requests a minute per client; 0 for no limit. */
  rateLimitPerMinute: number;
}

/** The limits when the environment sets none. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxElements: 262_144,
  maxWork: 2_097_152,
  maxBinaryElements: 1_048_576,
  maxBinaryBodyBytes: 8 * 1024 * 1024 + 65_536,
  maxBatchItems: 64,
  maxInFlightBytes: 32 * 1024 * 1024,
  bodyTimeoutSeconds: 20,
  rateLimitPerMinute: 0,
};

/** The environment variable of each limit. */
export const LIMIT_VARIABLES: Readonly<Record<keyof Limits, string>> = {
  maxBodyBytes: "MAX_BODY_BYTES",
  maxElements: "MAX_ELEMENTS",
  maxWork: "MAX_WORK",
  maxBinaryElements: "MAX_BINARY_ELEMENTS",
  maxBinaryBodyBytes: "MAX_BINARY_BODY_BYTES",
  maxBatchItems: "MAX_BATCH_ITEMS",
  maxInFlightBytes: "MAX_IN_FLIGHT_BYTES",
  bodyTimeoutSeconds: "BODY_TIMEOUT_SECONDS",
  rateLimitPerMinute: "RATE_LIMIT_PER_MINUTE",
};

/**
 * Reads the limits from environment variables, keeping the default for any that is unset.
 *
 * @throws RangeError when a variable is set but is not a positive integer (or 0, for
 * `RATE_LIMIT_PER_MINUTE`: no limit).
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
    const least = key === "rateLimitPerMinute" ? 0 : 1;
    if (!Number.isSafeInteger(number) || number < least) {
      const what = least === 0 ? "an integer >= 0 (0: no limit)" : "a positive integer";
      throw new RangeError(`${name} must be ${what}, got ${JSON.stringify(value)}`);
    }
    limits[key] = number;
  }
  return limits;
}

/**
 * The bytes of request bodies in flight in one server, under `MAX_IN_FLIGHT_BYTES`: a request
 * takes its body's bytes as they arrive and gives them back once answered.
 */
export class InFlight {
  #bytes = 0;

  constructor(readonly limit: number) {}

  /** The bytes in flight now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether `bytes` more fit under the limit (always when nothing is in flight). */
  fits(bytes: number): boolean {
    return this.#bytes === 0 || this.#bytes + bytes <= this.limit;
  }

  /** Takes `bytes` if they {@link fits}; returns whether it did. */
  take(bytes: number): boolean {
    if (!this.fits(bytes)) return false;
    this.#bytes += bytes;
    return true;
  }

  /** Gives back `bytes` taken before. */
  give(bytes: number): void {
    this.#bytes -= bytes;
  }
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
