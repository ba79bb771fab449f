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

  constructor(field: string, message: string, kind: "invalid" | "too-large" = "invalid") {
    super(message);
    this.name = "LossInputError";
    this.field = field;
    this.kind = kind;
  }
}
