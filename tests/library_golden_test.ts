/**
 * Replays every reference case (of every golden file) through the library: outputs, gradients, warnings and
 * rejections.  A failure names the case id.
 */
import assert from "node:assert/strict";
import { findLoss, losses } from "../lib/mod.ts";
import { checkCase, GOLDEN_WARNING_LENGTH, goldenCases } from "./golden.ts";
import { REJECTED_FIELDS } from "./golden_rejections.ts";

const byLoss = Map.groupBy(goldenCases, (golden) => golden.loss);

Deno.test("golden: every loss of the golden files is registered, and every registered loss is checked", () => {
  assert.deepEqual([...byLoss.keys()].filter((name) => findLoss(name)?.name !== name), []);
  assert.deepEqual(losses.map((loss) => loss.name).filter((name) => !byLoss.has(name)), []);
});

Deno.test("golden: REJECTED_FIELDS has a field for every rejected case, and for no other", () => {
  const rejected = goldenCases.filter((golden) => golden.error).map((golden) => golden.id);
  assert.ok(rejected.length > 0);
  assert.deepEqual(Object.keys(REJECTED_FIELDS).sort(), rejected.sort());
});

Deno.test("golden: no warning is empty or longer than the golden file keeps", () => {
  const warnings = goldenCases.flatMap((golden) => golden.warnings ?? []);
  assert.ok(warnings.length > 0);
  const bad = warnings.filter((text) => text.length === 0 || text.length > GOLDEN_WARNING_LENGTH);
  assert.deepEqual(bad, []);
});

for (const [loss, cases] of byLoss) {
  Deno.test({
    name: `golden: ${loss} (${cases.length} cases)`,
    fn() {
      const failures: string[] = [];
      for (const golden of cases) {
        try {
          checkCase(golden);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
      assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases fail`);
    },
  });
}
