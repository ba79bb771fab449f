/**
 * e^x, log x and log(1 + x) computed in JavaScript, for the losses' inner loops: `Math.exp`,
 * `Math.log` and `Math.log1p` are calls into V8's C library (11–16 ns each here), where PyTorch's
 * vectorized kernels spend about 1 ns.  Each is a table lookup and a short polynomial:
 *
 * - {@link exp32}: e^x rounded to float32, as PyTorch's float32 `exp` gives it, overflowing to
 *   +∞ above 88.72 and flushing to 0 below −103.97 exactly where float32 does (the unrounded value
 *   is within 2e-12 relative of e^x);
 * - {@link exp64}: e^x in float64, within 1 ulp (tests/exp_log_test.ts bounds both on dense
 *   grids);
 * - {@link log64} and {@link log1p64}: within 2 ulp in float64; float32 losses round them with
 *   `Math.fround`, which gives float32's correctly rounded value but at the rare halfway case.
 *
 * NaN gives NaN, and the infinities and the ends of each domain give what the C library gives.
 *
 * @module
 */

/** 1.5 · 2^52: `(t + SHIFT) − SHIFT` is t rounded to an integer (ties to even), for |t| < 2^51. */
const SHIFT = 6755399441055744;

// ---------------------------------------------------------------------------------------------
// Double-double arithmetic, for building the tables to within a fraction of an ulp.

/** The exact product a·b as hi + lo (Dekker's split: no fused multiply-add in JavaScript). */
function twoProduct(a: number, b: number): [number, number] {
  const hi = a * b;
  const split = (v: number): [number, number] => {
    const c = 134217729 * v; // 2^27 + 1
    const high = c - (c - v);
    return [high, v - high];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [hi, ((ah * bh - hi) + ah * bl + al * bh) + al * bl];
}

/** (ah + al)·(bh + bl) in double-double. */
function ddMultiply(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [p, e] = twoProduct(ah, bh);
  const low = e + (ah * bl + al * bh);
  const hi = p + low;
  return [hi, low - (hi - p)];
}

// ---------------------------------------------------------------------------------------------
// exp, float32: e^x = 2^(k/32) · e^r, k = round(32 x / ln 2), |r| ≤ ln 2 / 64.

const EXP32_LOW = -104.5; // e^x < 2^-150 below: rounds to 0 in float32
const EXP32_HIGH = 89; // e^x > float32's largest finite value above: rounds to +∞
const EXP32_K_MIN = Math.floor((EXP32_LOW * 32) / Math.LN2) - 1;
const EXP32_K_MAX = Math.ceil((EXP32_HIGH * 32) / Math.LN2) + 1;
const EXP32_SCALE = new Float64Array(EXP32_K_MAX - EXP32_K_MIN + 1);
for (let k = EXP32_K_MIN; k <= EXP32_K_MAX; k++) EXP32_SCALE[k - EXP32_K_MIN] = 2 ** (k / 32);

/**
 * e^x rounded to float32, as PyTorch's float32 `exp` computes it: +∞ where float32 overflows, 0
 * where it underflows, subnormals between.  The value before rounding is within 2e-12 relative
 * of e^x, so that the float32 result is correctly rounded but where e^x lies within that of a
 * halfway point.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exp32 } from "./exp_log.ts";
 * assert.equal(exp32(0), 1);
 * assert.equal(exp32(1), Math.fround(Math.E));
 * assert.equal(exp32(100), Infinity); // 2.7e43 overflows float32
 * ```
 */
export function exp32(x: number): number {
  const c = x < EXP32_LOW ? EXP32_LOW : x > EXP32_HIGH ? EXP32_HIGH : x;
  const k = (c * 46.16624130844683 + SHIFT) - SHIFT; // 32 / ln 2
  const r = c - k * 0.02166084939249829; // ln 2 / 32
  const p = 1 + r * (1 + r * (0.5 + r * (0.16666666666666666 + r * 0.041666666666666664)));
  return Math.fround(EXP32_SCALE[(k | 0) - EXP32_K_MIN] * p);
}

// ---------------------------------------------------------------------------------------------
// exp, float64: e^x = 2^e · 2^(j/64) · e^r, 64 e + j = round(64 x / ln 2), |r| ≤ ln 2 / 128.

const EXP64_LOW = -760; // e^x < 2^-1075 below: 0
const EXP64_HIGH = 710; // e^x above the largest double: +∞
/** ln 2 in two parts (fdlibm's): the first has 32 significant bits, so that k times it is exact. */
const LN2_HIGH = 0.6931471803691238;
const LN2_LOW = 1.9082149292705877e-10;
const LN2_64_HIGH = LN2_HIGH / 64;
const LN2_64_LOW = LN2_LOW / 64;
/** 2^(j/64) for j = 0…63, each as a double-double (high, low), to 2^-100. */
const EXP64_HIGHS = new Float64Array(64);
const EXP64_LOWS = new Float64Array(64);
for (let j = 0; j < 64; j++) {
  // Newton's step on t^64 = 2^j from the libm value, in double-double.
  const t = 2 ** (j / 64);
  let [h, l] = [t, 0];
  for (let i = 0; i < 6; i++) [h, l] = ddMultiply(h, l, h, l);
  const residual = (2 ** j - h - l) / 2 ** j; // 1 − t^64 / 2^j, relative
  EXP64_HIGHS[j] = t;
  EXP64_LOWS[j] = (t * residual) / 64;
}
const EXP64_E_OFFSET = 1100;
/**
 * 2^⌊e/2⌋ and 2^(e − ⌊e/2⌋) for e = −1100…1100: the scale 2^e in two factors, each a normal
 * double, so that 2^1024 (reached just below the overflow threshold) and 2^-1075 multiply in
 * without overflowing or flushing to 0 before the last step.
 */
const HALF_POWERS = new Float64Array(2 * EXP64_E_OFFSET + 1);
const OTHER_HALF_POWERS = new Float64Array(2 * EXP64_E_OFFSET + 1);
for (let e = -EXP64_E_OFFSET; e <= EXP64_E_OFFSET; e++) {
  const half = Math.floor(e / 2);
  HALF_POWERS[e + EXP64_E_OFFSET] = 2 ** half;
  OTHER_HALF_POWERS[e + EXP64_E_OFFSET] = 2 ** (e - half);
}

/**
 * e^x in float64, within 1 ulp; +∞ above 709.78, 0 below −745.13, NaN for NaN.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exp64 } from "./exp_log.ts";
 * assert.equal(exp64(0), 1);
 * assert.ok(Math.abs(exp64(1) - Math.E) <= Number.EPSILON * Math.E);
 * assert.equal(exp64(-Infinity), 0);
 * ```
 */
export function exp64(x: number): number {
  const c = x < EXP64_LOW ? EXP64_LOW : x > EXP64_HIGH ? EXP64_HIGH : x;
  const kf = (c * 92.33248261689366 + SHIFT) - SHIFT; // 64 / ln 2
  const r = (c - kf * LN2_64_HIGH) - kf * LN2_64_LOW;
  const k = kf | 0;
  const j = k & 63;
  // e^r − 1 to degree 6 (Estrin's scheme, for a short dependency chain): the first term left
  // out, r^7 / 7!, is below 2^-70.
  const r2 = r * r;
  const q = r + r2 * ((0.5 + r * 0.16666666666666666) +
        r2 * ((0.041666666666666664 + r * 0.008333333333333333) + r2 * 0.001388888888888889));
  const high = EXP64_HIGHS[j];
  const e = (k >> 6) + EXP64_E_OFFSET;
  return (high + (EXP64_LOWS[j] + high * q)) * HALF_POWERS[e] * OTHER_HALF_POWERS[e];
}

// ---------------------------------------------------------------------------------------------
// log, float64: x = 2^e · m, m ∈ [0.75, 1.5), c = round(128 m) / 128, r = (m − c) / c:
// log x = e ln 2 + log c + log(1 + r), |r| ≤ 1/192.

const BITS = new Float64Array(1);
const BITS_WORDS = new Int32Array(BITS.buffer);
/** Which word of a double holds its sign and exponent (1 on little-endian machines). */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** 2^-e for e = −1023…1024: m = x · 2^-e. */
const INVERSE_POWERS = new Float64Array(2048);
for (let e = -1023; e <= 1024; e++) INVERSE_POWERS[e + 1023] = 2 ** -e;
/** 1 and ½: m ≥ 1.5 is halved (and e incremented) without a branch. */
const HALVING = new Float64Array([1, 0.5]);
/** For c = i / 128, i = 96…192: 1 / c, and log c as a double-double. */
const INVERSES = new Float64Array(193);
const LOG_HIGHS = new Float64Array(193);
const LOG_LOWS = new Float64Array(193);
for (let i = 96; i <= 192; i++) {
  const c = i / 128;
  INVERSES[i] = 1 / c;
  // log c = 2 atanh(s), s = (c − 1) / (c + 1) = (i − 128) / (i + 128), summed in double-double.
  const [sh, sl] = ddDivide(i - 128, i + 128);
  const [s2h, s2l] = ddMultiply(sh, sl, sh, sl);
  let [th, tl] = [sh, sl]; // s^(2n + 1)
  let [sumH, sumL] = [0, 0];
  for (let n = 0; n < 40 && th !== 0; n++) {
    const [qh, ql] = ddDivide(th, 2 * n + 1, tl);
    [sumH, sumL] = ddAdd(sumH, sumL, qh, ql);
    [th, tl] = ddMultiply(th, tl, s2h, s2l);
  }
  LOG_HIGHS[i] = 2 * sumH;
  LOG_LOWS[i] = 2 * sumL;
}

/** (ah + al) + (bh + bl) in double-double. */
function ddAdd(ah: number, al: number, bh: number, bl: number): [number, number] {
  const s = ah + bh;
  const v = s - ah;
  const e = (ah - (s - v)) + (bh - v) + al + bl;
  const hi = s + e;
  return [hi, e - (hi - s)];
}

/** (ah + al) / b in double-double, for a double b. */
function ddDivide(ah: number, b: number, al = 0): [number, number] {
  const q = ah / b;
  const [p, e] = twoProduct(q, b);
  const correction = (ah - p - e + al) / b;
  const hi = q + correction;
  return [hi, correction - (hi - q)];
}

/**
 * log x in float64, within 2 ulp; −∞ at 0, NaN below 0 and for NaN, +∞ at +∞ (those and
 * subnormal x go to `Math.log`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { log64 } from "./exp_log.ts";
 * assert.equal(log64(1), 0);
 * assert.ok(Math.abs(log64(Math.E) - 1) <= 2 * Number.EPSILON);
 * assert.equal(log64(0), -Infinity);
 * ```
 */
export function log64(x: number): number {
  BITS[0] = x;
  const high = BITS_WORDS[HIGH_WORD];
  if (high < 0x00100000 || high >= 0x7ff00000) return Math.log(x);
  const e0 = (high >> 20) - 1023;
  const m0 = x * INVERSE_POWERS[e0 + 1023]; // [1, 2)
  const big = +(m0 >= 1.5);
  const m = m0 * HALVING[big];
  const e = e0 + big;
  const i = (m * 128 + 0.5) | 0;
  const r = (m - i * 0.0078125) * INVERSES[i];
  // log(1 + r) to degree 8 (Estrin's scheme): the first term left out, r^9 / 9, is below 2^-70
  // relative.
  const r2 = r * r;
  const r4 = r2 * r2;
  const tail = r2 * ((-0.5 + r * 0.3333333333333333) + r2 * (-0.25 + r * 0.2) +
    r4 * ((-0.16666666666666666 + r * 0.14285714285714285) - r2 * 0.125));
  return (e * LN2_HIGH + LOG_HIGHS[i]) + ((e * LN2_LOW + LOG_LOWS[i]) + (r + tail));
}

/**
 * log(1 + x) in float64, within 2 ulp, accurate for tiny x; −∞ at −1, NaN below −1 and for NaN
 * (those and +∞ go to `Math.log1p`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { log1p64 } from "./exp_log.ts";
 * assert.equal(log1p64(1e-300), 1e-300);
 * assert.equal(log1p64(-1), -Infinity);
 * assert.ok(Math.abs(log1p64(1) - Math.LN2) <= 2 * Number.EPSILON * Math.LN2);
 * ```
 */
export function log1p64(x: number): number {
  if (!(x > -1 && x < Infinity)) return Math.log1p(x);
  const u = 1 + x;
  if (u === 1) return x;
  // log(1 + x) = log u + (x − (u − 1)) / u: the second term puts back what rounding u lost.
  return log64(u) + (x - (u - 1)) / u;
}

/**
 * log(1 + e^−a) for a ≥ 0 (the softplus of −a) in float64, within 2 ulp; NaN for NaN.  log64's
 * table without reading the bits of 1 + e^−a, which lies in [1, 2].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softplusOfNegative64 } from "./exp_log.ts";
 * assert.equal(softplusOfNegative64(0), Math.LN2);
 * assert.equal(softplusOfNegative64(800), 0); // e^-800 is 0 in float64
 * ```
 */
export function softplusOfNegative64(a: number): number {
  const u = exp64(-a);
  const m = 1 + u;
  const big = +(m >= 1.5);
  const w = m * HALVING[big];
  const i = (w * 128 + 0.5) | 0;
  const r = (w - i * 0.0078125) * INVERSES[i];
  const r2 = r * r;
  const r4 = r2 * r2;
  const tail = r2 * ((-0.5 + r * 0.3333333333333333) + r2 * (-0.25 + r * 0.2) +
    r4 * ((-0.16666666666666666 + r * 0.14285714285714285) - r2 * 0.125));
  // What rounding 1 + u lost, divided by m (1/m to 1%, plenty for a term below 2^-53).
  const lost = (u - (m - 1)) * INVERSES[i] * HALVING[big];
  return (big * LN2_HIGH + LOG_HIGHS[i]) + ((big * LN2_LOW + LOG_LOWS[i]) + (r + tail) + lost);
}
