/**
 * One element of an elementwise loss (one loss per element of its inputs' broadcast): its
 * values, its worked computation and its sweep, for the losses' `explain` and `sweep`
 * declarations.  A sweep is the batch of inputs that computes the loss, and its derivative along
 * the swept value, at many values in one forward pass.
 *
 * @module
 */
import type {
  Explainer,
  LossInputs,
  OptionValues,
  SweepPlan,
  WorkedStep,
} from "../core/definition.ts";
import { elementField } from "../core/errors.ts";
import type { Dense, FloatDense, NumericArray } from "../core/tensor.ts";
import { broadcastIndex, broadcastShapes } from "./broadcast.ts";

/** A range to sweep: fixed, or chosen from the swept entry's current value. */
export type SweepRange = readonly [number, number] | ((current: number) => [number, number]);

/**
 * A range of `halfWidth` on each side of 0 that also takes in `current`, with a margin: the
 * regression losses' sweep of a prediction.
 */
export function around(halfWidth: number): (current: number) => [number, number] {
  return (current) =>
    Number.isFinite(current)
      ? [Math.min(-halfWidth, current - 1), Math.max(halfWidth, current + 1)]
      : [-halfWidth, halfWidth];
}

/** `count` copies of one value, in an array of the same element type as `like`. */
export function filled<A extends NumericArray>(like: A, count: number, value: number): A {
  const out = Array.isArray(like)
    ? new Array<number>(count)
    : new (like.constructor as Float64ArrayConstructor)(count);
  out.fill(value);
  return out as A;
}

/** What {@link elementSweep} sweeps. */
export interface ElementSweep {
  /** The input whose element varies. */
  input: string;
  /** Its range. */
  range: SweepRange;
  /** Tensor options that broadcast element by element with the inputs (`weight`). */
  elementOptions?: string[];
}

/**
 * The sweep of an elementwise loss (one loss per element of the inputs' broadcast): for element
 * k, every input's (and element option's) value at k, repeated, with the swept input's value
 * running over the range; the loss at each value is the batch's per-element output, its slope
 * the gradient of the swept input.
 */
export function elementSweep(
  spec: ElementSweep,
): (inputs: LossInputs, options: object, element: number) => SweepPlan {
  return (inputs, options, element) => {
    const tensors: [string, Dense][] = Object.entries(inputs);
    for (const name of spec.elementOptions ?? []) {
      const value = (options as OptionValues)[name];
      if (value && typeof value === "object" && !Array.isArray(value)) {
        tensors.push([`options.${name}`, value]);
      }
    }
    let shape: number[] = [];
    for (const [, tensor] of tensors) shape = broadcastShapes(shape, tensor.shape) ?? shape;
    const at = (tensor: Dense) => Number(tensor.data[broadcastIndex(tensor.shape, shape, element)]);
    const swept = inputs[spec.input];
    const current = at(swept);
    const [from, to] = typeof spec.range === "function" ? spec.range(current) : spec.range;
    const field = elementField(
      `inputs.${spec.input}`,
      swept.shape,
      broadcastIndex(swept.shape, shape, element),
    );
    return {
      field,
      label: field.slice("inputs.".length),
      current,
      from,
      to,
      batch(values) {
        const batched: LossInputs = {};
        const batchedOptions: Record<string, FloatDense> = {};
        for (const [name, tensor] of tensors) {
          const data = name === spec.input
            ? Object.assign(filled(tensor.data, values.length, 0), values)
            : filled(tensor.data, values.length, at(tensor));
          const dense = { shape: [values.length], data } as FloatDense;
          if (name.startsWith("options.")) batchedOptions[name.slice("options.".length)] = dense;
          else batched[name] = dense;
        }
        return { inputs: batched, options: batchedOptions };
      },
      read(output, grads) {
        return { loss: Array.from(output.data), slope: Array.from(grads[spec.input].data) };
      },
    };
  };
}

/** The values of every input (and element option) at one element of the inputs' broadcast. */
export interface ElementValues {
  /** The element, as the API names it in the broadcast shape: `[1][2]`, or `` for a scalar. */
  position: string;
  /** Each input's value there, by name; each given element option's, by `options.name`. */
  values: Record<string, number>;
}

/**
 * The values at element `element` of the broadcast of `inputs` (and of the tensor options named
 * in `elementOptions`).
 */
export function valuesAt(
  inputs: LossInputs,
  options: OptionValues,
  element: number,
  elementOptions: string[] = [],
): ElementValues {
  const tensors: [string, Dense][] = Object.entries(inputs);
  for (const name of elementOptions) {
    const value = options[name];
    if (value && typeof value === "object" && !Array.isArray(value)) {
      tensors.push([`options.${name}`, value]);
    }
  }
  let shape: number[] = [];
  for (const [, tensor] of tensors) shape = broadcastShapes(shape, tensor.shape) ?? shape;
  const values: Record<string, number> = {};
  for (const [name, tensor] of tensors) {
    values[name] = Number(tensor.data[broadcastIndex(tensor.shape, shape, element)]);
  }
  return { position: elementField("", shape, element), values };
}

/**
 * The explainer of an elementwise loss: element k's values (`valuesAt`), and the steps that
 * `steps` computes from them; the reduction is the plain one.
 */
export function elementExplainer<Options>(
  steps: (values: Record<string, number>, options: Options) => WorkedStep[],
  elementOptions: string[] = [],
): Explainer<Options, LossInputs> {
  return {
    element(inputs, options, element) {
      const { position, values } = valuesAt(
        inputs,
        options as OptionValues,
        element,
        elementOptions,
      );
      return {
        label: position ? `element ${position}` : "the only element",
        steps: steps(values, options),
      };
    },
  };
}
