/**
 * `tools/duplicates_by_kind.ts` tells the per-dtype loops, wrapped import lists, declarations
 * alike in shape and text written twice apart, on files made up for the test.
 *
 * @module
 */
import assert from "node:assert/strict";
import { kindOf } from "../tools/duplicates_by_kind.ts";

const FILES: Record<string, string[]> = {
  "a.ts": [
    "import {",
    "  alpha,",
    "  beta,",
    '} from "./x.ts";',
    "/** The losses, in float32. */",
    "function losses32(",
    "  x: Float32Array,",
    "  { rows, columns }: Layout,",
    "): number {",
    "  let total = 0;",
    "  for (let i = 0; i < x.length; i++) total += x[i];",
    "  return total;",
    "}",
    "export const table = [",
    '  { to: "MSELoss", why: "squared" },',
    "];",
  ],
};

const read = (path: string) => FILES[path];

Deno.test("a pair inside per-dtype loops is a kernel, even with braces in the parameters", () => {
  assert.equal(kindOf("D1 a.ts:6-13 ~ a.ts:6-13", read), "kernel");
  assert.equal(kindOf("D1 a.ts:5-12 ~ a.ts:6-13 shape", read), "kernel");
});

Deno.test("a pair inside import lists is an import", () => {
  assert.equal(kindOf("D2 a.ts:1-4 ~ a.ts:1-4", read), "import");
});

Deno.test("outside the loops: alike in shape, or the same text", () => {
  assert.equal(kindOf("D3 a.ts:12-16 ~ a.ts:12-16 shape boilerplate", read), "alike");
  assert.equal(kindOf("D4 a.ts:12-16 ~ a.ts:12-16 (+1 more run)", read), "same");
  assert.equal(kindOf("D5 a.ts:14-16 ~ a.ts:1-4", read), "same");
});

Deno.test("lines that are not rows have no kind", () => {
  assert.equal(kindOf("148 pairs of places (205 files read)", read), undefined);
  assert.equal(kindOf("left out: 8 runs of 6 lines", read), undefined);
});
