/**
 * Which of a loss's formulas the options in force call for: the registry's `formulaFor`, on the
 * cases' conditions alone, so that a page can carry its formulas typeset at build time and show
 * the right one without TeX in its script.
 *
 * @module
 */
import { type FormulaCase, formulaFor } from "../../lib/core/definition.ts";

/**
 * The number of the formula `formulaFor` picks for `options` among a loss's default formula
 * (0) and its `formulas` (1, 2, …), from the cases' conditions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formulaCaseFor } from "./formula_case.ts";
 * const cases: { when: Record<string, boolean> }[] = [
 *   { when: { full: true } },
 *   { when: { log_input: false } },
 * ];
 * assert.equal(formulaCaseFor(cases, { full: false, log_input: true }), 0);
 * assert.equal(formulaCaseFor(cases, { full: true }), 1);
 * assert.equal(formulaCaseFor(cases, { full: false, log_input: false }), 2);
 * ```
 */
export function formulaCaseFor(
  cases: Pick<FormulaCase, "when">[],
  options: Record<string, unknown>,
): number {
  const numbered = { formula: "0", formulas: cases.map((c, i) => ({ ...c, tex: String(i + 1) })) };
  return Number(formulaFor(numbered, options));
}
