/**
 * The error bounds that lib/ops/exp_log.ts states, on dense grids: against `Math.fround` of the C
 * library's value for the float32 functions (equal but where the exact value lies within 2e-12
 * (exp) or 1e-9 (log) of a float32 halfway point, and never more than one float32 step away),
 * and in ulps of the C library's value for the float64 functions (whose own error is below 1
 * ulp, so that a bound of n ulps here is n + 1 from the exact value at worst); and the special
 * values of each.
 */
import assert from "node:assert/strict";
import { exp32, exp64, log1p32, log32, softplusOfNegative64 } from "../lib/ops/exp_log.ts";

/** The spacing of doubles at `v` (the smallest subnormal at 0). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -1021) return Number.MIN_VALUE;
  return 2 ** (Math.floor(Math.log2(a)) - 52);
}

/** The spacing of float32 values at `v`. */
function ulp32(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -125) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Equal as numbers, NaN equal to NaN, and the sign of zero compared. */
function same(a: number, b: number): boolean {
  return Object.is(a, b) || a === b && a !== 0;
}

/** `count` points from `from` to `to`, each nudged off the regular grid by a few ulps. */
function grid(from: number, to: number, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, i) => {
    const x = from + ((to - from) * i) / count;
    return x + (i % 7) * ulp(x);
  });
}

Deno.test("exp32: Math.fround(Math.exp(x)) on every 2^-12 of float32 x in [-104, 89]", () => {
  let different = 0, total = 0;
  for (let i = -104 * 4096; i <= 89 * 4096; i++) {
    const x = Math.fround(i / 4096 + (i % 5) * 1.2e-7);
    const want = Math.fround(Math.exp(x));
    const got = exp32(x);
    total++;
    if (got === want) continue;
    different++;
    assert.ok(Math.abs(got - want) <= ulp32(want), `exp32(${x}) = ${got}, want ${want}`);
  }
  assert.ok(different <= total * 1e-4, `${different} of ${total} differ by one float32 step`);
});

Deno.test("exp32: overflows and underflows where float32 does; NaN and infinities", () => {
  // The largest float32 whose exp is finite, and the next one up.
  const last = 88.72283172607422;
  const next = 88.72283935546875;
  assert.equal(exp32(last), Math.fround(Math.exp(last)));
  assert.ok(Number.isFinite(exp32(last)));
  assert.equal(exp32(next), Infinity);
  assert.equal(exp32(1e10), Infinity);
  assert.equal(exp32(Infinity), Infinity);
  // Subnormal results, and the first argument whose exp rounds to 0.
  for (const x of [-87.5, -95, -100, -103, -103.97, -103.98, -104, -110, -1e10]) {
    assert.equal(exp32(Math.fround(x)), Math.fround(Math.exp(Math.fround(x))), `exp32(${x})`);
  }
  assert.ok(same(exp32(-Infinity), 0));
  assert.ok(Number.isNaN(exp32(NaN)));
  assert.equal(exp32(0), 1);
  assert.equal(exp32(-0), 1);
});

Deno.test("exp64: within 1 ulp of Math.exp on a grid of 2^21 points over [-745, 709.78]", () => {
  let worst = 0;
  for (const x of grid(-745.1, 709.78, 2 ** 21)) {
    const want = Math.exp(x);
    const error = Math.abs(exp64(x) - want) / ulp(want);
    assert.ok(error <= 1, `exp64(${x}) is ${error} ulp from Math.exp`);
    worst = Math.max(worst, error);
  }
  assert.ok(worst > 0, "the grid reaches values that differ in their last bit");
});

Deno.test("exp64: +∞ above 709.78, 0 below −745.13, subnormals between, NaN", () => {
  for (
    const x of [709.78, 709.79, 710, 1e300, Infinity, -708, -720, -740, -745.1, -745.2, -1e300]
  ) {
    const want = Math.exp(x);
    const got = exp64(x);
    assert.ok(same(got, want) || Math.abs(got - want) <= ulp(want), `exp64(${x}) = ${got}`);
  }
  assert.ok(same(exp64(-Infinity), 0));
  assert.ok(Number.isNaN(exp64(NaN)));
  assert.equal(exp64(0), 1);
});

/** Asserts that `fast` is `Math.fround(exact)` on `points` but at rare halfway cases, 1 step off. */
function assertRoundedLike(
  name: string,
  fast: (x: number) => number,
  exact: (x: number) => number,
  points: number[],
): void {
  let different = 0;
  for (const x of points) {
    const want = Math.fround(exact(x));
    const got = fast(x);
    if (Object.is(got, want)) continue;
    different++;
    assert.ok(Math.abs(got - want) <= ulp32(want), `${name}(${x}) = ${got}, want ${want}`);
  }
  assert.ok(different <= points.length * 1e-4, `${different} of ${points.length} differ`);
}

Deno.test("log32: Math.fround(Math.log(x)) on 2^22 float32 values across every binade", () => {
  const points: number[] = [];
  // Every float32 exponent, 2^14 mantissas each (the top and bottom of each binade included).
  const bits = new Int32Array(1);
  const value = new Float32Array(bits.buffer);
  for (let exponent = 0; exponent < 255; exponent++) {
    for (let k = 0; k < 2 ** 14; k++) {
      const mantissa = k < 16
        ? k
        : k > 2 ** 14 - 16
        ? 0x7fffff - (2 ** 14 - k)
        : k * 512 + (k % 509);
      bits[0] = (exponent << 23) | mantissa;
      points.push(value[0]);
    }
  }
  assertRoundedLike("log32", log32, Math.log, points);
});

Deno.test("log32: 1 ± a few float32 steps keep their relative precision; special values", () => {
  for (let k = 1; k <= 64; k++) {
    for (const x of [Math.fround(1 + k * 2 ** -23), Math.fround(1 - k * 2 ** -24)]) {
      assert.equal(log32(x), Math.fround(Math.log(x)), `log32(${x})`);
    }
  }
  assert.ok(Object.is(log32(0), -Infinity) && Object.is(log32(-0), -Infinity));
  assert.ok(Number.isNaN(log32(-1)) && Number.isNaN(log32(-1e-45)) && Number.isNaN(log32(NaN)));
  assert.equal(log32(Infinity), Infinity);
  assert.equal(log32(1), 0);
});

Deno.test("log1p32: Math.fround(Math.log1p(u)) on float32 u over [−1, 100] and tiny ±u", () => {
  const points: number[] = [];
  for (let i = 0; i <= 2 ** 21; i++) points.push(Math.fround(-1 + (101 * i) / 2 ** 21));
  for (let e = -149; e < 0; e += 0.01) points.push(Math.fround(2 ** e), Math.fround(-(2 ** e)));
  assertRoundedLike("log1p32", log1p32, Math.log1p, points);
  assert.equal(log1p32(-1), -Infinity);
  assert.ok(Number.isNaN(log1p32(-1.5)) && Number.isNaN(log1p32(NaN)));
  assert.ok(Object.is(log1p32(-0), -0) || log1p32(-0) === 0);
});

Deno.test("softplusOfNegative64: within 2 ulp of Math.log1p(Math.exp(−a)) over [0, 800]", () => {
  for (const a of [...grid(0, 40, 2 ** 20), ...grid(40, 800, 2 ** 14)]) {
    const want = Math.log1p(Math.exp(-a));
    const error = Math.abs(softplusOfNegative64(a) - want) / ulp(want);
    assert.ok(error <= 2, `softplusOfNegative64(${a}) is ${error} ulp from the C library`);
  }
  assert.equal(softplusOfNegative64(Infinity), 0);
  assert.ok(Number.isNaN(softplusOfNegative64(NaN)));
});
