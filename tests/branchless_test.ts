/**
 * The branch-free selections of lib/ops/branchless.ts give exactly what the branches they replace
 * give, at signed zeros, subnormals, infinities and NaN.
 */
import assert from "node:assert/strict";
import { select, signOf } from "../lib/ops/branchless.ts";

const SPECIAL = [
  0,
  -0,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308,
  1e-300,
  0.5,
  1,
  -1,
  1.5,
  3,
  1e300,
  -1e300,
  Number.MAX_VALUE,
  Infinity,
  -Infinity,
  NaN,
];

/** Equal as numbers, NaN equal to NaN; the sign of zero is not compared. */
function same(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

Deno.test("signOf: 1, −1, and 0 for ±0 and NaN, as PyTorch's sign", () => {
  for (const d of SPECIAL) {
    const want = d > 0 ? 1 : d < 0 ? -1 : 0;
    assert.ok(same(signOf(d), want), `signOf(${d}) = ${signOf(d)}`);
  }
});

Deno.test("select: exactly the ternary, infinities and NaN included", () => {
  for (const a of SPECIAL) {
    for (const b of SPECIAL) {
      for (const condition of [true, false]) {
        const got = select(condition, a, b);
        const want = condition ? a : b;
        assert.ok(Object.is(got, want), `select(${condition}, ${a}, ${b}) = ${got}`);
      }
    }
  }
});
