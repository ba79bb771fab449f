/**
 * A loss's numbers explained: its output and gradients as `computeLoss` gives them, the
 * per-element losses, one element worked through step by step, the reduction naming its
 * divisor, the formula for the options in force, and the loss and its derivative swept along
 * one input value, computed by one batched forward.  What the site's loss pages show; each loss
 * declares its own `explain`, `sweep` and `advise` in its module.
 *
 * @module
 */
import {
  type AnyLoss,
  formulaFor,
  type OptionValues,
  type SweepPlan,
  type WorkedElement,
  type WorkedStep,
} from "./definition.ts";
import { checkAndEvaluate, type ComputeSettings, type DenseSettings, evaluate } from "./compute.ts";
import { LossInputError } from "./errors.ts";
import { plainReduction } from "./tex.ts";
import {
  type Dense,
  type DType,
  DTYPE_ARRAYS,
  type FloatDense,
  formatShape,
  numel,
  readDense,
} from "./tensor.ts";

export { plainReduction, tex, texTerm } from "./tex.ts";

/** The most points a sweep may have. */
export const MAX_SWEEP_POINTS = 1001;

/** What to explain, besides how to compute. */
export interface ExplainSettings extends ComputeSettings {
  /** The element (or sample) to work through and to sweep, as the loss numbers them; 0 by default. */
  element?: number;
  /** The number of points of the sweep, 2 to {@link MAX_SWEEP_POINTS}; 101 by default. */
  points?: number;
}

/** The loss and its derivative along one input value. */
export interface SweepResult {
  /** The entry that varies: `inputs.input[2][1]`. */
  field: string;
  /** The x axis in words. */
  label: string;
  /** The values swept. */
  x: number[];
  /** The loss at each value. */
  loss: number[];
  /** The loss's derivative with respect to the swept value, at each value. */
  slope: number[];
  /** The inputs as they are: the swept entry's current value, the loss and slope there. */
  current: { x: number; loss: number; slope: number };
}

/** What {@link explainLoss} returns. */
export interface Explanation {
  /** The loss's class name. */
  loss: string;
  /** The dtype it computed in. */
  dtype: DType;
  /** The output, as `computeLoss` gives it for these settings. */
  output: FloatDense;
  /** The gradients, when asked, as `computeLoss` gives them. */
  grads: Record<string, FloatDense>;
  /** PyTorch's warnings, word for word. */
  warnings: string[];
  /** Hints of classic misuse (see `LossDefinition.advise`). */
  advice: import("./definition.ts").Advice[];
  /** The formula (TeX) for the options in force. */
  formula: string;
  /** The per-element losses (`reduction: "none"`), or null for a loss without that reduction. */
  terms: FloatDense | null;
  /** How many elements can be worked through. */
  count: number;
  /** The one that is. */
  element: number;
  /** That element's computation, or null when there is none to show (no elements). */
  worked: WorkedElement | null;
  /** How the per-element losses reduce to the output, naming the divisor. */
  reduction: WorkedStep[];
  /** The loss swept along one input value of that element, or null without elements. */
  sweep: SweepResult | null;
}

/** `n` values evenly spaced from `from` to `to`, both included. */
export function linspace(from: number, to: number, n: number): number[] {
  if (n === 1) return [from];
  return Array.from({ length: n }, (_, i) => from + (to - from) * i / (n - 1));
}

/**
 * `explainLoss` for a loss already found, on dense row-major tensors (as a server's
 * codecs decode them): the core entry of explanations, as `computeDense` is of results.
 */
export function explainDense(
  loss: AnyLoss,
  inputs: Record<string, unknown>,
  options: Record<string, unknown> = {},
  settings: Omit<ExplainSettings, "gradOutput" | "dtype"> & DenseSettings = {},
): Explanation {
  return explainWith(loss, inputs, options, settings, readDense);
}

/** {@link explainDense} with tensors read by `read` (`ndarray`s for `explainLoss`). */
export function explainWith(
  loss: AnyLoss,
  inputs: Record<string, unknown>,
  options: Record<string, unknown>,
  settings: Omit<ExplainSettings, "gradOutput" | "dtype"> & {
    dtype?: unknown;
    gradOutput?: unknown;
  },
  read: (value: unknown, field: string) => Dense,
): Explanation {
  const { request, result } = checkAndEvaluate(loss, inputs, options, settings, read);
  const { dtype, tensors, values } = request;
  return {
    loss: loss.name,
    dtype,
    ...result,
    ...explainEvaluated(loss, tensors, values, dtype, settings, result.output),
  };
}

/** Whether `loss` has a per-element (`none`) reduction. */
function hasNoneReduction(loss: AnyLoss): boolean {
  return loss.options.some((option) =>
    option.name === "reduction" && option.type === "string" && option.enum.includes("none")
  );
}

function explainEvaluated(
  loss: AnyLoss,
  tensors: Record<string, Dense>,
  values: OptionValues,
  dtype: DType,
  settings: { element?: number; points?: number },
  output: FloatDense,
): Omit<Explanation, "loss" | "dtype" | "output" | "grads" | "warnings" | "advice"> {
  const terms = hasNoneReduction(loss)
    ? evaluate(loss, tensors, { ...values, reduction: "none" }, { dtype }).output
    : null;
  const count = loss.explain?.count?.(tensors, values) ?? (terms ? terms.data.length : 1);
  const element = settings.element ?? 0;
  if (!Number.isSafeInteger(element) || element < 0 || (count > 0 && element >= count)) {
    throw new LossInputError(
      "element",
      `element must be an integer from 0 to ${count - 1} (the elements of the per-element ` +
        `losses${terms ? `, of shape ${formatShape(terms.shape)}` : ""}), got ${element}`,
    );
  }
  const points = settings.points ?? 101;
  if (!Number.isSafeInteger(points) || points < 2 || points > MAX_SWEEP_POINTS) {
    throw new LossInputError(
      "points",
      `points must be an integer from 2 to ${MAX_SWEEP_POINTS}, got ${points}`,
    );
  }
  const scalarOutput = output.data.length === 1 ? output.data[0] : NaN;
  const reduction = terms
    ? (loss.explain?.reduction?.(tensors, values, terms, scalarOutput) ??
      plainReduction(values.reduction, terms, scalarOutput))
    : [];
  const formula = formulaFor(loss, values);
  if (count === 0) return { formula, terms, count, element, worked: null, reduction, sweep: null };
  const worked = loss.explain?.element(tensors, values, element) ?? null;
  const plan = loss.sweep?.(tensors, values, element);
  const sweep = plan ? runSweep(loss, values, dtype, plan, points) : null;
  return { formula, terms, count, element, worked, reduction, sweep };
}

/**
 * Computes a sweep: one batched forward and backward over the values and the current one, or,
 * for a loss without per-element losses (its output is one number), one of each per value,
 * stacked.
 */
function runSweep(
  loss: AnyLoss,
  values: OptionValues,
  dtype: DType,
  plan: SweepPlan,
  points: number,
): SweepResult {
  const x = linspace(plan.from, plan.to, points);
  const run = (swept: number[]) => {
    const batch = plan.batch(swept);
    const batchOptions: OptionValues = { ...values, ...batch.options };
    if (hasNoneReduction(loss)) batchOptions.reduction = "none";
    return evaluate(loss, batch.inputs, batchOptions, { dtype, grad: true });
  };
  const all = [...x, plan.current];
  const result = hasNoneReduction(loss) ? run(all) : stacked(all.map((value) => run([value])));
  const { loss: losses, slope } = plan.read(result.output, result.grads);
  return {
    field: plan.field,
    label: plan.label,
    x,
    loss: losses.slice(0, points),
    slope: slope.slice(0, points),
    current: { x: plan.current, loss: losses[points], slope: slope[points] },
  };
}

/** The outputs (one number each) and gradients of several forwards, stacked along a new axis. */
function stacked(
  results: { output: FloatDense; grads: Record<string, FloatDense> }[],
): { output: FloatDense; grads: Record<string, FloatDense> } {
  const stack = (tensors: FloatDense[]): FloatDense => {
    const size = tensors[0].data.length;
    const data = new (tensors[0].data.constructor as Float64ArrayConstructor)(
      size * tensors.length,
    );
    tensors.forEach((tensor, i) => data.set(tensor.data, i * size));
    return { shape: [tensors.length, ...tensors[0].shape], data };
  };
  const grads: Record<string, FloatDense> = {};
  for (const name of Object.keys(results[0].grads)) {
    grads[name] = stack(results.map((result) => result.grads[name]));
  }
  return { output: stack(results.map((result) => result.output)), grads };
}

/** A dense tensor of `dtype` holding `values` with `shape`. */
export function denseOf(dtype: DType, values: ArrayLike<number>, shape: number[]): FloatDense {
  if (values.length !== numel(shape)) {
    throw new RangeError(`${values.length} values do not fill shape ${formatShape(shape)}`);
  }
  return { shape, data: DTYPE_ARRAYS[dtype].from(values as ArrayLike<number>) };
}
