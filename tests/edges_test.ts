/**
 * Replays PyTorch's cases at the extremes (`tests/fixtures/torch-edges.json`) through the
 * library: outputs and gradients within the golden tolerances, NaN where PyTorch has NaN and
 * the same infinities.  A failure names the case and what it probes.
 */
import assert from "node:assert/strict";
import { findLoss } from "../lib/mod.ts";
import { checkCase, edgeCases } from "./golden.ts";

Deno.test("edges: every case is of a registered loss, and none is a rejection", () => {
  assert.ok(edgeCases.length > 0);
  assert.deepEqual(edgeCases.filter((golden) => !findLoss(golden.loss)).map((c) => c.id), []);
  assert.deepEqual(edgeCases.filter((golden) => golden.error).map((c) => c.id), []);
});

for (const golden of edgeCases) {
  Deno.test(`edges: ${golden.id} (${golden.note})`, () => checkCase(golden));
}
