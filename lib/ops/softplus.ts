/**
 * log1p(exp(−a)) and σ(−a) = exp(−a) / (1 + exp(−a)) for a ≥ 0, fast and accurate far below
 * float32's resolution: what float32 losses of logits (BCEWithLogitsLoss) need, at a fraction of
 * the cost of `Math.log1p(Math.exp(−a))` (two calls into V8's C library, ≈ 35 ns).
 *
 * Both are cubic Hermite interpolants (values and derivatives at the knots) on knots 1/64 apart
 * over [0, 32), evaluated from per-interval polynomial coefficients; beyond 32 (and for NaN)
 * they take e^−a from `lib/ops/exp_log.ts`.  The interpolation error is at most h⁴/384 · max|f⁗|
 * with h = 1/64 (max|f⁗| ≈ 1/8 for both): below 3e-11 absolute, and, as every derivative of
 * either approaches its value as a grows, below 3e-10 relative (tests/softplus_test.ts checks
 * both bounds on a dense grid; float32's resolution is 6e-8 relative).  float64 losses keep
 * `Math.log1p` and `Math.exp`.
 *
 * @module
 */

const KNOTS_PER_UNIT = 64;
/** Where the tables end: exp(−32) ≈ 1.3e-14, so the calls beyond are rare. */
const TABLE_END = 32;
const INTERVALS = TABLE_END * KNOTS_PER_UNIT;

/**
 * Coefficients c0…c3 of each interval's cubic in u ∈ [0, 1) (a = (k + u) / 64), four per
 * interval, for the Hermite interpolant of `f` with derivative `df`.
 */
function hermiteTable(f: (a: number) => number, df: (a: number) => number): Float64Array {
  const h = 1 / KNOTS_PER_UNIT;
  const table = new Float64Array(INTERVALS * 4);
  for (let k = 0; k < INTERVALS; k++) {
    const f0 = f(k * h), f1 = f((k + 1) * h);
    const m0 = h * df(k * h), m1 = h * df((k + 1) * h);
    table[4 * k] = f0;
    table[4 * k + 1] = m0;
    table[4 * k + 2] = 3 * (f1 - f0) - 2 * m0 - m1;
    table[4 * k + 3] = 2 * (f0 - f1) + m0 + m1;
  }
  return table;
}

import { exp64 } from "./exp_log.ts";

/** σ(−a), computed without overflow for a ≥ 0. */
function exactSigmoidOfNegative(a: number): number {
  const e = Math.exp(-a);
  return e / (1 + e);
}

const SOFTPLUS = hermiteTable(
  (a) => Math.log1p(Math.exp(-a)),
  (a) => -exactSigmoidOfNegative(a),
);
const SIGMOID = hermiteTable(exactSigmoidOfNegative, (a) => {
  const s = exactSigmoidOfNegative(a);
  return -s * (1 - s);
});

function interpolate(table: Float64Array, a: number): number {
  const t = a * KNOTS_PER_UNIT;
  const k = t | 0;
  const u = t - k;
  const j = 4 * k;
  return table[j] + u * (table[j + 1] + u * (table[j + 2] + u * table[j + 3]));
}

/**
 * log1p(exp(−a)) for a ≥ 0 (the softplus of −a), within 3e-11 absolute and 3e-10 relative;
 * NaN for NaN.  For float32 results only: float64 needs `Math.log1p(Math.exp(−a))`.
 */
export function softplusOfNegative(a: number): number {
  return a < TABLE_END ? interpolate(SOFTPLUS, a) : tailSoftplus(a);
}

/**
 * log1p(e^−a) beyond the table, a ≥ 32 (or NaN): e^−a · (1 − e^−a / 2), the rest of the series
 * below 2^-90 relative; from `exp64`, not the C library, whose call (even one never taken) makes
 * the loops around this function compile worse.
 */
function tailSoftplus(a: number): number {
  const e = exp64(-a);
  return e - 0.5 * e * e;
}

/**
 * σ(−a) = 1 / (1 + exp(a)) for a ≥ 0, within 3e-11 absolute and 3e-10 relative; NaN for NaN.
 * For float32 results only.
 */
export function sigmoidOfNegative(a: number): number {
  return a < TABLE_END ? interpolate(SIGMOID, a) : tailSigmoid(a);
}

/** σ(−a) beyond the table, a ≥ 32 (or NaN): e^−a / (1 + e^−a), with `exp64`. */
function tailSigmoid(a: number): number {
  const e = exp64(-a);
  return e / (1 + e);
}
