/**
 * The one registry of losses: every view (routes, catalog, OpenAPI, site, tests) reads it.
 *
 * @module
 */
import { type AnyLoss, CATEGORIES, type Category } from "./definition.ts";
import * as modules from "../losses/mod.ts";

const categoryOrder = Object.keys(CATEGORIES) as Category[];

/**
 * Every loss of `lib/losses/`, grouped by category in the order of {@link CATEGORIES}, by name
 * within a category.
 */
export const losses: readonly AnyLoss[] = Object.values(modules).sort((a, b) =>
  categoryOrder.indexOf(a.category) - categoryOrder.indexOf(b.category) ||
  a.name.localeCompare(b.name)
);

const byName = new Map<string, AnyLoss>();
for (const loss of losses) {
  for (const key of [loss.name, loss.functional, loss.slug]) byName.set(key.toLowerCase(), loss);
}

/**
 * The loss called `name`: its class name (`CrossEntropyLoss`), functional name
 * (`cross_entropy`) or slug (`cross-entropy`), in any letter case.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLoss } from "./registry.ts";
 * assert.equal(findLoss("cross-entropy")?.name, "CrossEntropyLoss");
 * assert.equal(findLoss("CrossEntropyLoss"), findLoss("cross_entropy"));
 * ```
 */
export function findLoss(name: string): AnyLoss | undefined {
  return byName.get(String(name).toLowerCase());
}

/** The class names of all losses, joined for messages. */
export function lossNames(): string {
  return losses.map((loss) => loss.name).join(", ");
}
