/**
 * e^x, log x and log(1 + x) computed in JavaScript, for the losses' inner loops: `Math.exp`,
 * `Math.log` and `Math.log1p` are calls into V8's C library (11–16 ns each here), where PyTorch's
 * vectorized kernels spend about 1 ns.  Each is a table lookup and a short polynomial:
 *
 * - {@link exp32}: e^x rounded to float32, as PyTorch's float32 `exp` gives it, overflowing to
 *   +∞ above 88.72 and flushing to 0 below −103.97 exactly where float32 does (the unrounded value
 *   is within 2e-12 relative of e^x);
 * - {@link exp64}: e^x in float64, within 1 ulp;
 * - {@link log32} and {@link log1p32}: log x and log(1 + x) of float32 values rounded to float32,
 *   correctly rounded but within 1e-9 of a halfway point;
 * - {@link softplusOfNegative64}: log(1 + e^−a) in float64.
 *
 * tests/exp_log_test.ts bounds each on dense grids.  NaN gives NaN, and the infinities and the
 * ends of each domain give what the C library gives.  float64 logs stay with `Math.log`: a
 * table log of full double precision costs as much here as the call.
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
// log, float32: x = c · (1 + r), c = x with the low 16 bits of its float32 mantissa cleared (the
// top interval of each binade taken from the binade above, so that r < 0 there and log x just
// below 1 keeps its relative precision): log x = log c + log(1 + r), |r| < 2^-7.

const FLOAT32 = new Float32Array(1);
const FLOAT32_BITS = new Int32Array(FLOAT32.buffer);
/** log c for each value of the float32's top 16 bits (sign, exponent, 7 mantissa bits). */
const LOG32_BASE = new Float64Array(65536);
/** The low 16 bits' offset from c and their weight relative to c, by the 7 mantissa bits. */
const LOG32_OFFSET = new Float64Array(128);
const LOG32_STEP = new Float64Array(128);
for (let h = 0; h < 65536; h++) {
  FLOAT32_BITS[0] = h << 16;
  const start = FLOAT32[0];
  const exponent = (h >> 7) & 255;
  const top = (h & 127) === 127;
  if (start === 0) LOG32_BASE[h] = -Infinity; // ±0 (subnormals are scaled up first)
  else if (h >= 32768) LOG32_BASE[h] = NaN; // negative
  else if (exponent === 255) LOG32_BASE[h] = (h & 127) === 0 ? Infinity : NaN;
  else LOG32_BASE[h] = Math.log(top ? 2 ** (exponent - 126) : start);
}
for (let i = 0; i < 128; i++) {
  LOG32_OFFSET[i] = i === 127 ? 65536 : 0;
  LOG32_STEP[i] = i === 127 ? 2 ** -24 : 2 ** -23 / (1 + i / 128);
}
/** Subnormal float32 values are scaled by 2^64 first, and 64 ln 2 taken off their log. */
const SUBNORMAL_SCALE = new Float64Array([1, 2 ** 64]);
const SUBNORMAL_SHIFT = new Float64Array([0, 64 * Math.LN2]);

/**
 * log x of a float32 value x, in float64 to within 1e-9 relative (4e-14 absolute near x = 1):
 * the table and the polynomial without rounding, for {@link log32} and {@link log1p32}.
 */
function logOfFloat32(x: number): number {
  const small = +(x < 1.1754943508222875e-38);
  FLOAT32[0] = x * SUBNORMAL_SCALE[small];
  const bits = FLOAT32_BITS[0];
  const h = bits >>> 16;
  const i = h & 127;
  const r = ((bits & 0xffff) - LOG32_OFFSET[i]) * LOG32_STEP[i];
  return (LOG32_BASE[h] - SUBNORMAL_SHIFT[small]) +
    r * (1 + r * (-0.5 + r * (0.3333333333333333 - r * 0.25)));
}

/**
 * log x of a float32 value x, rounded to float32, as PyTorch's float32 `log`: correctly rounded
 * but where log x lies within 1e-9 of a halfway point; −∞ at ±0, NaN below 0 and for NaN, +∞ at
 * +∞.  Branch-free (each special value comes out of the table), unlike `Math.log`, a call into
 * the C library.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { log32 } from "./exp_log.ts";
 * assert.equal(log32(1), 0);
 * assert.equal(log32(Math.fround(Math.E)), Math.fround(Math.log(Math.fround(Math.E))));
 * assert.equal(log32(0), -Infinity);
 * ```
 */
export function log32(x: number): number {
  return Math.fround(logOfFloat32(x));
}

/**
 * log(1 + u) of a finite float32 value u, rounded to float32, as PyTorch's float32 `log1p`: log
 * of w = 1 + u rounded to float32, plus what that rounding lost over w.  −∞ at −1, NaN below −1
 * and for NaN (+∞ is outside its domain).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { log1p32 } from "./exp_log.ts";
 * assert.equal(log1p32(1e-30), Math.fround(1e-30));
 * assert.equal(log1p32(-1), -Infinity);
 * ```
 */
export function log1p32(u: number): number {
  const rounded = Math.fround(1 + u);
  // What rounding lost, u − (rounded − 1), exact (unlike (1 + u) − rounded for tiny u); + 1e-300
  // keeps 0 / 0 out at u = −1 and changes no other quotient.
  return Math.fround(logOfFloat32(rounded) + (u - (rounded - 1)) / (rounded + 1e-300));
}

// ---------------------------------------------------------------------------------------------
// log, float64: x = 2^e · c · (1 + r), c = 1 + i/128 from the top 7 bits of the mantissa (c = 2,
// r < 0, for the top interval, so that log x just below 1 keeps its relative precision).

const FLOAT64 = new Float64Array(1);
const FLOAT64_WORDS = new Int32Array(FLOAT64.buffer);
/** Which word of a double holds its sign and exponent (1 on little-endian machines). */
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LOW = 1 - HIGH;
/** For each interval i: the mantissa's offset to subtract, 1/c, the exponent's step, log c. */
const LOG64_OFFSET = new Float64Array(128);
const LOG64_STEP = new Float64Array(128);
const LOG64_EXPONENT = new Float64Array(128);
const LOG64_HIGHS = new Float64Array(128);
const LOG64_LOWS = new Float64Array(128);
for (let i = 0; i < 128; i++) {
  const top = i === 127;
  LOG64_OFFSET[i] = top ? 2 ** -7 : 0;
  LOG64_STEP[i] = top ? 0.5 : 128 / (128 + i);
  LOG64_EXPONENT[i] = top ? 1 : 0;
  if (top) continue;
  // log c = 2 atanh(s), s = (c − 1) / (c + 1) = i / (256 + i), summed in double-double.
  const [sh, sl] = ddDivide(i, 256 + i);
  const [s2h, s2l] = ddMultiply(sh, sl, sh, sl);
  let [th, tl] = [sh, sl];
  let [sumH, sumL] = [0, 0];
  for (let n = 0; n < 40 && th !== 0; n++) {
    const [qh, ql] = ddDivide(th, 2 * n + 1, tl);
    [sumH, sumL] = ddAdd(sumH, sumL, qh, ql);
    [th, tl] = ddMultiply(th, tl, s2h, s2l);
  }
  LOG64_HIGHS[i] = 2 * sumH;
  LOG64_LOWS[i] = 2 * sumL;
}
/**
 * What the sign-and-exponent field (the top 12 bits) adds, by kind: 0 for a positive normal
 * number; −∞ for ±0; NaN for a negative number; and for +∞ and NaN, x itself (through
 * {@link LOG64_PASS}), so that no branch sorts them out.
 */
const LOG64_KIND = new Uint8Array(4096);
for (let k = 0; k < 4096; k++) {
  LOG64_KIND[k] = k === 0 || k === 2048 ? 1 : k >= 2048 ? 2 : k === 2047 ? 3 : 0;
}
const LOG64_SPECIAL = new Float64Array([0, -Infinity, NaN, 0]);
const LOG64_PASS = new Float64Array([0, 0, 0, 1]);
const SUBNORMAL64_SCALE = new Float64Array([1, 2 ** 64]);
const SUBNORMAL64_SHIFT = new Float64Array([0, 64]);

/**
 * log x in float64, within 2 ulp; −∞ at ±0, NaN below 0 and for NaN, +∞ at +∞, subnormals
 * scaled up first.  Branch-free, unlike `Math.log`, whose call into the C library also makes the
 * loop around it save and restore every floating-point register.
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
  const small = +(x < 2.2250738585072014e-308);
  FLOAT64[0] = x * SUBNORMAL64_SCALE[small];
  const high = FLOAT64_WORDS[HIGH];
  const kind = LOG64_KIND[high >>> 20];
  const i = (high >>> 13) & 127;
  const e = ((high >>> 20) & 2047) - 1023 - SUBNORMAL64_SHIFT[small] + LOG64_EXPONENT[i];
  const rest = (high & 0x1fff) * 4294967296 + (FLOAT64_WORDS[LOW] >>> 0);
  const r = (rest * 2.220446049250313e-16 - LOG64_OFFSET[i]) * LOG64_STEP[i];
  // log(1 + r) to degree 8 (Estrin's scheme): the first term left out, r^9 / 9, is below
  // 2^-64 relative.
  const r2 = r * r;
  const r4 = r2 * r2;
  const tail = r2 * ((-0.5 + r * 0.3333333333333333) + r2 * (-0.25 + r * 0.2) +
    r4 * ((-0.16666666666666666 + r * 0.14285714285714285) - r2 * 0.125));
  return (e * LN2_HIGH + LOG64_HIGHS[i]) +
    ((e * LN2_LOW + LOG64_LOWS[i]) + (r + tail) + LOG64_SPECIAL[kind] + LOG64_PASS[kind] * x);
}

/**
 * log(1 + e^−a) for a ≥ 0 (the softplus of −a) in float64, within 2 ulp; NaN for NaN.
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
  // log(1 + u) as log m plus what rounding m lost over m.
  return log64(m) + (u - (m - 1)) / m;
}
