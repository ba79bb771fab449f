/**
 * The one error the library throws for bad input: the inputs or options of a loss that PyTorch
 * would reject, or that are not tensors and options at all.
 *
 * `field` names what is wrong as the HTTP API spells it: `inputs.target`, `inputs.target[3]`,
 * `options.delta`, `grad_output`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LossInputError } from "./errors.ts";
 * const error = new LossInputError("options.delta", "options.delta must be > 0, got -1");
 * assert.equal(error.field, "options.delta");
 * ```
 */
export class LossInputError extends Error {
  /** The field that is wrong, as a dotted path. */
  readonly field: string;
  /** What the error is about, for an HTTP status: a bad value, or too much work. */
  readonly kind: "invalid" | "too-large";

  /** An error about `field`, saying why in `message`. */
  constructor(field: string, message: string, kind: "invalid" | "too-large" = "invalid") {
    super(message);
    this.name = "LossInputError";
    this.field = field;
    this.kind = kind;
  }
}

/**
 * The field of one element of a tensor, by its row-major index: `inputs.target[1]` in a 1-D
 * tensor, `inputs.target[0][1]` in a 2-D one, the tensor's own field for a scalar.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { elementField } from "./errors.ts";
 * assert.equal(elementField("inputs.target", [2, 5], 6), "inputs.target[1][1]");
 * assert.equal(elementField("inputs.target", [3], 2), "inputs.target[2]");
 * ```
 */
export function elementField(field: string, shape: readonly number[], flat: number): string {
  const parts: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    parts.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return field + parts.map((i) => `[${i}]`).join("");
}
