/**
 * The branch-free selections of lib/ops/branchless.ts give exactly what the branches they replace
 * give, at signed zeros, subnormals, infinities and NaN.
 */
import assert from "node:assert/strict";
import { clampMaxZero, clampMinZero, maskedGrad, select, signOf } from "../lib/ops/branchless.ts";

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

/** SPECIAL, negated too, and values on every binade's edges, of both signs. */
function dense(): number[] {
  const values = [...SPECIAL, ...SPECIAL.map((v) => -v), Number.MAX_VALUE / 2];
  for (let e = -1074; e <= 1023; e++) {
    const p = 2 ** e;
    for (const v of [p, p * (1 + Number.EPSILON), p * (2 - Number.EPSILON), p * 1.5]) {
      if (Number.isFinite(v)) values.push(v, -v);
    }
  }
  return values;
}

Deno.test("clampMinZero: max(u, 0) exactly, NaN passing, as clamp_min(u, 0)", () => {
  for (const u of dense()) {
    const want = Number.isNaN(u) ? NaN : u > 0 ? u : 0;
    assert.ok(same(clampMinZero(u), want), `clampMinZero(${u}) = ${clampMinZero(u)}`);
  }
});

Deno.test("clampMaxZero: min(u, 0) exactly, NaN passing", () => {
  for (const u of dense()) {
    const want = Number.isNaN(u) ? NaN : u < 0 ? u : 0;
    assert.ok(same(clampMaxZero(u), want), `clampMaxZero(${u}) = ${clampMaxZero(u)}`);
  }
});

Deno.test("maskedGrad: g where the condition holds, 0 elsewhere, for g = ±∞ and NaN too", () => {
  for (const g of SPECIAL) {
    assert.ok(Object.is(maskedGrad(true, g), g), `maskedGrad(true, ${g})`);
    assert.ok(Object.is(maskedGrad(false, g), 0), `maskedGrad(false, ${g})`);
  }
});
