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
 * The defaults keep the largest accepted request well inside a Cloudflare Worker's 128 MB of
 * memory and a fraction of a second of CPU time (measured in BENCHMARKS.md, "Hardening").
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
}

/** The limits when the environment sets none. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxElements: 262_144,
  maxWork: 2_097_152,
};

/** The environment variable of each limit. */
export const LIMIT_VARIABLES: Readonly<Record<keyof Limits, string>> = {
  maxBodyBytes: "MAX_BODY_BYTES",
  maxElements: "MAX_ELEMENTS",
  maxWork: "MAX_WORK",
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

/** What is left of a request's element allowance as its tensors are decoded. */
export class ElementBudget {
  #remaining: number;

  constructor(readonly limit: number) {
    this.#remaining = limit;
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
