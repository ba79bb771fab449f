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

/**
 * Every name `loss` answers to, its class name first: the class name (`GaussianNLLLoss`),
 * PyTorch's functional name (`gaussian_nll_loss`) with and without `_loss` (`gaussian_nll`),
 * and the slug (`gaussian-nll`).  {@link findLoss} takes each of them in any letter case.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLoss, namesOf } from "./registry.ts";
 * assert.deepEqual(namesOf(findLoss("kl_div")!), ["KLDivLoss", "kl_div", "kl_div_loss", "kl-div"]);
 * ```
 */
export function namesOf(loss: AnyLoss): string[] {
  const { functional } = loss;
  const other = functional.endsWith("_loss")
    ? functional.slice(0, -"_loss".length)
    : `${functional}_loss`;
  return [loss.name, functional, other, loss.slug];
}

const byName = new Map<string, AnyLoss>();
for (const loss of losses) {
  for (const key of namesOf(loss).map((name) => name.toLowerCase())) {
    const taken = byName.get(key);
    if (taken && taken !== loss) {
      throw new Error(`${key} names both ${taken.name} and ${loss.name}`);
    }
    byName.set(key, loss);
  }
}

/**
 * The loss called `name`: its class name (`CrossEntropyLoss`), functional name
 * (`cross_entropy`, with or without `_loss`) or slug (`cross-entropy`), in any letter case.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLoss } from "./registry.ts";
 * assert.equal(findLoss("cross-entropy")?.name, "CrossEntropyLoss");
 * assert.equal(findLoss("CrossEntropyLoss"), findLoss("cross_entropy"));
 * assert.equal(findLoss("gaussian_nll")?.name, "GaussianNLLLoss");
 * ```
 */
export function findLoss(name: string): AnyLoss | undefined {
  return byName.get(String(name).toLowerCase());
}

/** The class names of all losses, joined for messages. */
export function lossNames(): string {
  return losses.map((loss) => loss.name).join(", ");
}

/** A name as the suggestions compare it: lower case, without `-`, `_` and spaces. */
function flat(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

/** The words of a name: `bce_logits` → `bce`, `logits`; `BCEWithLogits` → `bce`, `with`, `logits`. */
function words(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase().split(/[-_\s]+/).filter((word) => word.length >= 2);
}

/** The edit distance of `a` and `b` (insertions, deletions, substitutions, transpositions). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** How far `name` is from `candidate` (one of a loss's names): 0 when they are the same. */
function distance(name: string, candidate: string): number {
  const [a, b] = [flat(name), flat(candidate)];
  const stripped = (text: string) => text.replace(/loss$/, "");
  const edits = Math.min(editDistance(a, b), editDistance(stripped(a), stripped(b)));
  const parts = words(name).filter((word) => word !== "loss");
  const contained = parts.length > 0 && parts.every((word) => b.includes(word));
  // Words all found in the name: close, the more so as little else is in it.
  return contained ? Math.min(edits, 0.5 + (b.length - a.length) / 100) : edits;
}

/**
 * The losses whose names come closest to `name`, closest first (at most `count`): those within
 * a few edits of one of their names, ignoring case, `-`, `_` and a final "loss", or whose names
 * hold every word of it.  Empty when no name is close.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closestLosses } from "./registry.ts";
 * assert.deepEqual(closestLosses("crossentropy").map((loss) => loss.name), ["CrossEntropyLoss"]);
 * assert.equal(closestLosses("tripplet_margin")[0].name, "TripletMarginLoss");
 * assert.equal(closestLosses("bce_logits")[0].name, "BCEWithLogitsLoss");
 * assert.deepEqual(closestLosses("nope"), []);
 * ```
 */
export function closestLosses(name: string, count = 3): AnyLoss[] {
  const given = String(name);
  const length = flat(given).replace(/loss$/, "").length;
  if (length === 0) return [];
  const allowed = Math.max(1, Math.floor(length * 0.3));
  const scored = losses.map((loss) => ({
    loss,
    distance: Math.min(...namesOf(loss).map((candidate) => distance(given, candidate))),
  })).filter((entry) => entry.distance <= allowed).sort((a, b) => a.distance - b.distance);
  const best = scored[0]?.distance ?? 0;
  // A name equal to one of a loss's, but for case, separators and "loss", is the one meant.
  return scored.filter((entry) => best === 0 ? entry.distance === 0 : entry.distance <= best + 1)
    .slice(0, count).map(({ loss }) => loss);
}

/**
 * What to say of an unknown loss name: that it is not one, the closest names if any (class
 * name and functional name), and every loss.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unknownLossMessage } from "./registry.ts";
 * assert.match(unknownLossMessage("crossentropy"), /did you mean CrossEntropyLoss \(cross_entropy\)\?/);
 * ```
 */
export function unknownLossMessage(name: string): string {
  const close = closestLosses(name).map((loss) => `${loss.name} (${loss.functional})`);
  const hint = close.length ? `did you mean ${close.join(" or ")}? The` : "the";
  return `${JSON.stringify(String(name))} is not a loss; ${hint} losses are ${lossNames()}`;
}
