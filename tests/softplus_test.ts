/**
 * The error bounds that lib/softplus.ts states, against `Math.log1p(Math.exp(−a))` and
 * exp(−a) / (1 + exp(−a)), on a dense grid of a ≥ 0: at 0, across the tables (knots and points
 * between them) and their end at 32, and into the tail beyond it (from `exp64`).
 */
import assert from "node:assert/strict";
import { sigmoidOfNegative, softplusOfNegative } from "../lib/ops/softplus.ts";

const ABSOLUTE_BOUND = 3e-11;
const RELATIVE_BOUND = 3e-10;

/**
 * 0, then steps of 1/4096 (16 points per table interval) with small offsets, up to 40; then the
 * tail in steps of about 1/16 up to 700, where e^−a is still a normal double.
 */
function grid(): number[] {
  const points = [0, Number.MIN_VALUE, 1e-12, 32 - 1e-12, 32, 32 + 1e-12];
  for (let i = 0; i <= 40 * 4096; i++) points.push(i / 4096 + (i % 7) * 1e-7);
  for (let a = 40; a <= 700; a += 0.0625 + 1e-5) points.push(a);
  return points;
}

function exactSoftplus(a: number): number {
  return Math.log1p(Math.exp(-a));
}

function exactSigmoid(a: number): number {
  const e = Math.exp(-a);
  return e / (1 + e);
}

for (
  const [name, fast, exact] of [
    ["softplusOfNegative", softplusOfNegative, exactSoftplus],
    ["sigmoidOfNegative", sigmoidOfNegative, exactSigmoid],
  ] as const
) {
  Deno.test(`${name}: within ${ABSOLUTE_BOUND} absolute, ${RELATIVE_BOUND} relative`, () => {
    let worstAbsolute = 0, worstRelative = 0;
    for (const a of grid()) {
      const want = exact(a);
      const error = Math.abs(fast(a) - want);
      assert.ok(error <= ABSOLUTE_BOUND, `${name}(${a}): off by ${error}`);
      assert.ok(error <= RELATIVE_BOUND * want, `${name}(${a}): off by ${error / want} relative`);
      worstAbsolute = Math.max(worstAbsolute, error);
      worstRelative = Math.max(worstRelative, error / want);
    }
    // The bounds are not loose by orders of magnitude: the tables are as coarse as they may be.
    assert.ok(worstAbsolute > ABSOLUTE_BOUND / 10, `worst absolute error ${worstAbsolute}`);
    assert.ok(worstRelative > RELATIVE_BOUND / 10, `worst relative error ${worstRelative}`);
  });

  Deno.test(`${name}: exact at 0, 0 at Infinity, NaN for NaN`, () => {
    assert.ok(Math.abs(fast(0) - exact(0)) <= 1e-16);
    assert.equal(fast(Infinity), 0);
    assert.ok(Number.isNaN(fast(NaN)));
  });
}

Deno.test("softplusOfNegative and sigmoidOfNegative: NaN for NaN, 0 where e^−a is below every double", () => {
  for (const f of [softplusOfNegative, sigmoidOfNegative]) {
    assert.ok(Number.isNaN(f(NaN)));
    assert.equal(f(800), 0);
    assert.equal(f(Infinity), 0);
  }
});
