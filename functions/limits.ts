/**
 * Request limits: how large a body and how many tensor elements one request may carry.
 *
 * Both come from the environment (`Deno.env` on Deno, wrangler `[vars]` on Workers):
 *
 * - `MAX_BODY_BYTES`: the largest request body, in bytes (default 4 MiB);
 * - `MAX_ELEMENTS`: the most tensor elements in one request, inputs, tensor options and
 *   `grad_output` together, and the most elements any two of its tensors may broadcast to
 *   (default 262,144).
 *
 * The defaults keep the largest accepted request well inside a Cloudflare Worker's 128 MB of
 * memory and a fraction of a second of CPU time (see the README).
 *
 * @module
 */
import { LossInputError } from "../lib/mod.ts";

/** How much one request may carry. */
export interface Limits {
  /** The largest request body, in bytes. */
  maxBodyBytes: number;
  /** The most tensor elements in one request, and in any broadcast of two of its tensors. */
  maxElements: number;
}

/** The limits when the environment sets none. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxElements: 262_144,
};

/** The environment variable of each limit. */
export const LIMIT_VARIABLES: Readonly<Record<keyof Limits, string>> = {
  maxBodyBytes: "MAX_BODY_BYTES",
  maxElements: "MAX_ELEMENTS",
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

/**
 * Checks that no two of the request's tensors broadcast to more than `maxElements` elements, so
 * a loss that broadcasts its inputs (`[n, 1]` against `[1, n]`) cannot do quadratic work.
 *
 * @throws LossInputError of kind `too-large` naming the second tensor of the first such pair.
 */
export function checkBroadcastSize(
  tensors: { field: string; shape: readonly number[] }[],
  maxElements: number,
): void {
  for (let i = 0; i < tensors.length; i++) {
    for (let j = i + 1; j < tensors.length; j++) {
      const size = broadcastSize(tensors[i].shape, tensors[j].shape);
      if (size !== undefined && size > maxElements) {
        const { field } = tensors[j];
        throw new LossInputError(
          field,
          `${field} broadcasts with ${tensors[i].field} to ${size} elements, more than the ` +
            `limit of ${maxElements} (${LIMIT_VARIABLES.maxElements})`,
          "too-large",
        );
      }
    }
  }
}

/** The number of elements of the broadcast of two shapes, or undefined if they do not. */
function broadcastSize(a: readonly number[], b: readonly number[]): number | undefined {
  let size = 1;
  for (let i = 1; i <= Math.max(a.length, b.length); i++) {
    const x = a[a.length - i] ?? 1;
    const y = b[b.length - i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    size *= x === 1 ? y : x;
  }
  return size;
}
