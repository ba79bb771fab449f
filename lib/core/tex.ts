/**
 * Numbers and reductions in TeX, for the worked steps of the losses' explanations: what a loss
 * module needs to explain itself, without the registry (which imports every loss module) that
 * `explain.ts` computes with.
 *
 * @module
 */
import type { WorkedStep } from "./definition.ts";
import type { FloatDense } from "./tensor.ts";

/**
 * A number in TeX, to 4 significant digits: `0.3133`, `1.2 \times 10^{-5}`, `\infty`,
 * `\text{NaN}`; for the steps of a worked element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tex } from "./tex.ts";
 * assert.equal(tex(0.31334), "0.3133");
 * assert.equal(tex(-Infinity), "-\\infty");
 * assert.equal(tex(0.0000123), "1.23 \\times 10^{-5}");
 * ```
 */
export function tex(value: number): string {
  if (Number.isNaN(value)) return String.raw`\text{NaN}`;
  if (!Number.isFinite(value)) return value > 0 ? String.raw`\infty` : String.raw`-\infty`;
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e5) return String(Number(value.toPrecision(4)));
  const [mantissa, exponent] = value.toExponential(3).split("e");
  return `${Number(mantissa)} \\times 10^{${Number(exponent)}}`;
}

/** A number in TeX as a term of a sum or product: negative ones in parentheses. */
export function texTerm(value: number): string {
  const text = tex(value);
  return value < 0 || text.startsWith("-") ? `(${text})` : text;
}

/**
 * The first step of a reduction: the sum of the `n` per-element `losses`, worked (its value is
 * `output` for `sum`, where the output is that sum in the loss's dtype).
 */
export function summedLosses(
  reduction: unknown,
  losses: FloatDense,
  output: number,
): { n: number; sum: number; sumStep: WorkedStep } {
  const n = losses.data.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += losses.data[i];
  const sumStep: WorkedStep = {
    label: n === 1 ? "the one loss" : `the sum of the ${n} losses`,
    tex: String.raw`\sum_n l_n = ${tex(sum)}`,
    value: reduction === "sum" ? output : sum,
  };
  return { n, sum, sumStep };
}

/**
 * The reduction of per-element `losses` to `output` that most losses do: their sum, or their
 * sum over their number for `mean`, said in words when there are none or the sum is not
 * finite.  Losses with another divisor declare their own (`explain.reduction`).
 */
export function plainReduction(
  reduction: unknown,
  losses: FloatDense,
  output: number,
): WorkedStep[] {
  if (reduction === "none") return [];
  const { n, sum, sumStep } = summedLosses(reduction, losses, output);
  if (reduction === "sum") return [sumStep];
  if (n === 0) {
    return [{
      label: "the mean of no losses: 0 / 0, which is NaN, as in PyTorch",
      tex: String.raw`\frac{0}{0} = \text{NaN}`,
      value: output,
    }];
  }
  return [sumStep, {
    label: Number.isFinite(sum)
      ? `divided by their number, ${n}`
      : `divided by their number, ${n}: a sum that is not finite stays so`,
    tex: String.raw`\frac{${tex(sum)}}{${n}} = ${tex(output)}`,
    value: output,
  }];
}
