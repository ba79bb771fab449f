/**
 * Computing a loss from the registry: input and option checks shared by every loss, then the
 * loss's forward and, when asked, its backward.
 *
 * @module
 */
import type { AnyLoss, Context, OptionSpec, OptionValues } from "./definition.ts";
import { LossInputError } from "./errors.ts";
import { legacyReduction } from "../ops/reduction.ts";
import { findLoss, unknownLossMessage } from "./registry.ts";
import type { Dense, DType, FloatArray, FloatDense, NdArray, NumericArray } from "./tensor.ts";
import { DTYPES, formatShape, fromNdArray, isDType, sameShape, toFloat } from "./tensor.ts";
import { toNdArray } from "./tensor.ts";

/** How to compute: the dtype, and whether to return gradients. */
export interface ComputeSettings {
  /** The dtype to compute in, as PyTorch would: `float32` (default) or `float64`. */
  dtype?: DType;
  /** Whether to compute the gradient of every differentiable input. */
  grad?: boolean;
  /**
   * The gradient of the output (`grad_output`), of the output's shape; the gradients returned
   * are those of `sum(output * grad_output)`.  Defaults to ones (the gradient of `sum(output)`).
   */
  gradOutput?: NdArray<NumericArray>;
}

/** The result of {@link computeLoss}. */
export interface LossResult {
  /** The loss's class name. */
  loss: string;
  /** The dtype it was computed in. */
  dtype: DType;
  /** The loss: a scalar, or one value per element for `reduction: "none"`. */
  output: NdArray<FloatArray>;
  /** The gradient of each differentiable input, when `grad` was set. */
  grads: Record<string, NdArray<FloatArray>>;
  /** PyTorch's warnings for these inputs, as PyTorch words them. */
  warnings: string[];
}

/** The deprecated `size_average` and `reduce` options of many losses. */
export const LEGACY_REDUCTION_OPTIONS: OptionSpec[] = [
  {
    name: "size_average",
    type: "boolean",
    default: null,
    deprecated: true,
    description: "Deprecated (see `reduction`): when given, `false` sums instead of averaging",
  },
  {
    name: "reduce",
    type: "boolean",
    default: null,
    deprecated: true,
    description: "Deprecated (see `reduction`): when given, `false` returns per-element losses",
  },
];

/** Every option of a loss, the deprecated ones included. */
export function optionsOf(loss: AnyLoss): OptionSpec[] {
  return loss.legacyReduction ? [...loss.options, ...LEGACY_REDUCTION_OPTIONS] : loss.options;
}

/**
 * Computes the loss `name` (class name, functional name or slug) of `inputs` as PyTorch does,
 * and with `settings.grad`, the gradient of each differentiable input.
 *
 * @param inputs The arguments of PyTorch's `forward`, by name, as `ndarray`s (any strides).
 * @param options The loss's constructor options, by PyTorch's keyword names.
 * @throws LossInputError for anything PyTorch would reject, naming the field.
 *
 * @example The notebook's L1 loss
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([1, 2, 3], [3]);
 * const target = ndarrayOf([1, 0, 5], [3]);
 * const { output } = computeLoss("L1Loss", { input, target });
 * assert.ok(Math.abs(output.get() - 4 / 3) < 1e-6);
 * ```
 */
export function computeLoss(
  name: string,
  inputs: Record<string, unknown>,
  options: Record<string, unknown> = {},
  settings: ComputeSettings = {},
): LossResult {
  const loss = findLoss(name);
  if (!loss) {
    throw new LossInputError("loss", unknownLossMessage(name));
  }
  const dtype = settings.dtype ?? "float32";
  if (!isDType(dtype)) {
    throw new LossInputError("dtype", `dtype must be ${dtypeChoices()}, got ${dtype}`);
  }
  const warnings: string[] = [];
  const grad = Boolean(settings.grad);
  const context: Context = { dtype, grad, warn: (message) => warnings.push(message) };
  const tensors = readInputs(loss, inputs, dtype);
  const values = readOptions(loss, options, dtype);
  const { output, saved } = loss.forward(tensors, values, context);
  const grads: Record<string, NdArray<FloatArray>> = {};
  if (grad) {
    const gradOutput = readGradOutput(settings.gradOutput, output, dtype);
    for (const [key, gradient] of Object.entries(loss.backward(saved, gradOutput, context))) {
      grads[key] = toNdArray(gradient);
    }
  }
  return { loss: loss.name, dtype, output: toNdArray(output), grads, warnings };
}

/** The dtypes, quoted and joined for messages: `"float32" or "float64"`. */
export function dtypeChoices(): string {
  return DTYPES.map((dtype) => `"${dtype}"`).join(" or ");
}

function readInputs(
  loss: AnyLoss,
  inputs: Record<string, unknown>,
  dtype: DType,
): Record<string, Dense> {
  if (typeof inputs !== "object" || inputs === null) {
    throw new LossInputError("inputs", "inputs must be an object of tensors by name");
  }
  const names = loss.inputs.map((spec) => spec.name);
  for (const key of Object.keys(inputs)) {
    if (!names.includes(key)) {
      throw new LossInputError(
        `inputs.${key}`,
        `inputs.${key} is not an input of ${loss.name}; its inputs are ${names.join(", ")}`,
      );
    }
  }
  const tensors: Record<string, Dense> = {};
  for (const spec of loss.inputs) {
    const field = `inputs.${spec.name}`;
    if (!Object.hasOwn(inputs, spec.name) || inputs[spec.name] === undefined) {
      throw new LossInputError(
        field,
        `${field} is missing; ${loss.name} takes ${names.join(", ")}`,
      );
    }
    const tensor = fromNdArray(inputs[spec.name], field);
    if (spec.kind === "float") tensors[spec.name] = toFloat(tensor, dtype);
    else if (spec.kind === "index") tensors[spec.name] = checkIndices(tensor, field);
    else tensors[spec.name] = isIndexArray(tensor.data) ? tensor : toFloat(tensor, dtype);
  }
  return tensors;
}

/** Whether an array holds integers by its element type (an integer typed array). */
export function isIndexArray(data: NumericArray): boolean {
  return !(data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data));
}

/** Checks that every value of an index tensor is an integer. */
function checkIndices(tensor: Dense, field: string): Dense {
  if (isIndexArray(tensor.data)) return tensor;
  const data = tensor.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isInteger(data[i])) {
      throw new LossInputError(
        `${field}[${i}]`,
        `${field}[${i}] is ${data[i]}, but ${field} must hold integers`,
      );
    }
  }
  return tensor;
}

function readOptions(
  loss: AnyLoss,
  options: Record<string, unknown>,
  dtype: DType,
): OptionValues {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new LossInputError("options", "options must be an object of options by name");
  }
  const specs = optionsOf(loss);
  for (const key of Object.keys(options)) {
    if (!specs.some((spec) => spec.name === key)) {
      const known = specs.map((spec) => spec.name).join(", ") || "none";
      throw new LossInputError(
        `options.${key}`,
        `options.${key} is not an option of ${loss.name}; its options are ${known}`,
      );
    }
  }
  const values: OptionValues = {};
  for (const spec of specs) {
    const given = Object.hasOwn(options, spec.name) ? options[spec.name] : undefined;
    values[spec.name] = given === undefined || given === null
      ? spec.default
      : readOption(spec, given, dtype);
  }
  if (values.size_average !== null || values.reduce !== null) {
    if (loss.legacyReduction) {
      values.reduction = legacyReduction(
        values.size_average as boolean | null,
        values.reduce as boolean | null,
      );
    }
  }
  return values;
}

function readOption(spec: OptionSpec, value: unknown, dtype: DType): OptionValues[string] {
  const field = `options.${spec.name}`;
  switch (spec.type) {
    case "boolean":
      if (typeof value !== "boolean") {
        throw new LossInputError(field, `${field} must be true or false, got ${describe(value)}`);
      }
      return value;
    case "string":
      if (typeof value !== "string" || !spec.enum.includes(value)) {
        const choices = spec.enum.map((v) => `"${v}"`).join(", ");
        throw new LossInputError(
          field,
          `${field} must be one of ${choices}, got ${describe(value)}`,
        );
      }
      return value;
    case "tensor":
      return toFloat(fromNdArray(value, field), dtype);
    case "integer":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) {
        throw new LossInputError(field, `${field} must be an integer, got ${describe(value)}`);
      }
      if (spec.minimum !== undefined && value < spec.minimum) {
        throw new LossInputError(field, `${field} must be >= ${spec.minimum}, got ${value}`);
      }
      return value;
    case "number":
      return readNumber(spec, value, field);
  }
}

function readNumber(spec: OptionSpec & { type: "number" }, value: unknown, field: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new LossInputError(field, `${field} must be a number, got ${describe(value)}`);
  }
  if (spec.oneOf && !spec.oneOf.includes(value)) {
    throw new LossInputError(
      field,
      `${field} must be one of ${spec.oneOf.join(", ")}, got ${value}`,
    );
  }
  if (spec.minimum !== undefined && value < spec.minimum) {
    throw new LossInputError(field, `${field} must be >= ${spec.minimum}, got ${value}`);
  }
  if (spec.exclusiveMinimum !== undefined && value <= spec.exclusiveMinimum) {
    throw new LossInputError(field, `${field} must be > ${spec.exclusiveMinimum}, got ${value}`);
  }
  if (spec.maximum !== undefined && value > spec.maximum) {
    throw new LossInputError(field, `${field} must be <= ${spec.maximum}, got ${value}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value;
}

function readGradOutput(
  given: NdArray<NumericArray> | undefined,
  output: FloatDense,
  dtype: DType,
): FloatDense {
  if (given === undefined) {
    const ones = toFloat(
      { shape: output.shape, data: new Float64Array(output.data.length) },
      dtype,
    );
    ones.data.fill(1);
    return ones;
  }
  const gradOutput = toFloat(fromNdArray(given, "grad_output"), dtype);
  if (!sameShape(gradOutput.shape, output.shape)) {
    throw new LossInputError(
      "grad_output",
      `grad_output has shape ${formatShape(gradOutput.shape)}, but the output has shape ` +
        formatShape(output.shape),
    );
  }
  return gradOutput;
}
