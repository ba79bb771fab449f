/**
 * Per-element selections without branches: a sign, a clamp, a piece of a piecewise loss.  The
 * losses' inner loops use them where the data falls on either side at random, so that a
 * mispredicted branch (about 15 cycles) does not cost more than the arithmetic.
 *
 * @module
 */

/**
 * sign(d) as PyTorch computes it: 1, −1, or 0 for ±0 and NaN.  Written with comparisons as
 * numbers, which compile without a branch: on random signs a branch mispredicts half the time
 * (`Math.sign` and `d > 0 ? 1 : d < 0 ? −1 : 0` cost 5–8 ns more per element than this).
 */
export function signOf(d: number): number {
  return +(d > 0) - +(d < 0);
}

const CHOICES = new Float64Array(2);

/**
 * `condition ? ifTrue : ifFalse`, without a branch: both values are computed, and the one chosen
 * is read back from a two-element array at index `condition`.  A branch on data that falls on
 * either side at random (|x − y| < delta) mispredicts about half the time, at some 15 cycles
 * each; `Math.min`, `Math.max` and the ternary all compile to such branches in V8, and
 * arithmetic selections (c · a + (1 − c) · b) turn 0 · ∞ into NaN.
 */
export function select(condition: boolean, ifTrue: number, ifFalse: number): number {
  CHOICES[0] = ifFalse;
  CHOICES[1] = ifTrue;
  return CHOICES[+condition];
}

const HALF_MAX = Number.MAX_VALUE / 2;

/**
 * max(u, 0) with NaN passing through, as PyTorch's `clamp_min(u, 0)`, without a branch on u's
 * sign: (w + |w|) / 2 is exact up to half the largest double, where w + |w| cannot overflow,
 * and u is first clamped into [−1e300, MAX / 2] by `Math.max`/`Math.min` (branches that the data
 * never takes, so they predict), the excess u − w added back exactly (Sterbenz: u ≤ 2w), +∞
 * giving +∞ and NaN NaN.
 */
export function clampMinZero(u: number): number {
  const v = Math.max(u, -1e300);
  const w = Math.min(v, HALF_MAX);
  return (w + Math.abs(w)) * 0.5 + (v - w);
}

/**
 * `where(condition, g, 0)`: g where the condition holds, exactly 0 elsewhere (even for g = ±∞ or
 * NaN), as PyTorch's backward of a clamp masks its gradient.
 */
export function maskedGrad(condition: boolean, g: number): number {
  return select(condition, g, 0);
}

/**
 * min(u, 0) with NaN passing through: {@link clampMinZero} mirrored, (w − |w|) / 2 for u clamped
 * into [−MAX / 2, 1e300], plus the excess u − w.
 */
export function clampMaxZero(u: number): number {
  const v = Math.min(u, 1e300);
  const w = Math.max(v, -HALF_MAX);
  return (w - Math.abs(w)) * 0.5 + (v - w);
}
