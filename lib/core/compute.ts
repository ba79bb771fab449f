/**
 * Computing a loss: the library's core entry ({@link computeDense}) on a loss definition and
 * dense tensors, its input and option checks shared by every loss, then the loss's forward and,
 * when asked, its backward.  The lookup by name is `by_name.ts`'s (`computeLoss`).
 *
 * @module
 */
import type { Advice, AnyLoss, Context, OptionSpec, OptionValues } from "./definition.ts";
import { LossInputError } from "./errors.ts";
import { legacyReduction } from "../ops/reduction.ts";
import type { Dense, DType, FloatArray, FloatDense, NdArray, NumericArray } from "./tensor.ts";
import {
  DTYPES,
  formatShape,
  fromNdArray,
  isDType,
  readDense,
  sameShape,
  toFloat,
} from "./tensor.ts";

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

/** The result of `computeLoss`: the evaluation with its tensors as `ndarray`s. */
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
  /** Our hints about likely misuse of the loss with these inputs (see `advise`). */
  advice: Advice[];
}

/** A loss's forward (and backward) on checked dense tensors: {@link evaluate}'s result. */
export interface Evaluation {
  /** The loss: a scalar, or one value per element for `reduction: "none"`. */
  output: FloatDense;
  /** The gradient of each differentiable input, when asked. */
  grads: Record<string, FloatDense>;
  /** PyTorch's warnings, word for word. */
  warnings: string[];
  /** Hints of classic misuse (see `LossDefinition.advise`). */
  advice: Advice[];
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

/** How to compute on dense tensors: {@link ComputeSettings} with a dense `gradOutput`. */
export interface DenseSettings {
  /** `float32` (default) or `float64`; anything else is refused, naming `dtype`. */
  dtype?: unknown;
  /** Whether to compute the gradient of every differentiable input. */
  grad?: boolean;
  /** The gradient of the output, of its shape (ones by default). */
  gradOutput?: Dense;
}

/** What {@link computeDense} returns: the evaluation, with the loss's name and the dtype. */
export interface DenseResult extends Evaluation {
  /** The loss's class name. */
  loss: string;
  /** The dtype it computed in. */
  dtype: DType;
}

/**
 * The library's core entry: computes `loss` (a registry entry, already found) on dense
 * row-major tensors, as a server's codecs decode them: checks the dtype, the inputs
 * ({@link checkInputs}) and the options ({@link checkOptions}), each rule once, then
 * {@link evaluate}s.  Float tensors of the dtype are used in place; integer tensors are index
 * inputs as they are, or converted for float inputs.
 *
 * @throws LossInputError for anything PyTorch would reject, naming the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeDense, findLoss } from "../mod.ts";
 * const input = { shape: [2], data: new Float32Array([1, 3]) };
 * const target = { shape: [2], data: new Int8Array([0, 1]) };
 * const result = computeDense(findLoss("mse")!, { input, target }, {}, { grad: true });
 * assert.equal(result.output.data[0], 2.5);
 * assert.deepEqual([...result.grads.input.data], [1, 2]);
 * ```
 */
export function computeDense(
  loss: AnyLoss,
  inputs: Record<string, unknown>,
  options: Record<string, unknown> = {},
  settings: DenseSettings = {},
): DenseResult {
  return computeWith(loss, inputs, options, settings, readDense);
}

/** Checks and reads every tensor of a request with `read`, then evaluates: one rule, once. */
export function checkRequest(
  loss: AnyLoss,
  inputs: Record<string, unknown>,
  options: Record<string, unknown>,
  settings: { dtype?: unknown; gradOutput?: unknown },
  read: (value: unknown, field: string) => Dense,
): { dtype: DType; tensors: Record<string, Dense>; values: OptionValues; gradOutput?: FloatDense } {
  const dtype = settings.dtype ?? DTYPES[0];
  if (!isDType(dtype)) {
    throw new LossInputError("dtype", `dtype must be ${dtypeChoices()}, got ${describe(dtype)}`);
  }
  const tensors = checkInputs(loss, inputs, dtype, read);
  const values = checkOptions(loss, options, dtype, read);
  const gradOutput = settings.gradOutput === undefined || settings.gradOutput === null
    ? undefined
    : toFloat(read(settings.gradOutput, "grad_output"), dtype);
  return { dtype, tensors, values, gradOutput };
}

/** {@link computeDense} with tensors read by `read` (`ndarray`s for `computeLoss`). */
export function computeWith(
  loss: AnyLoss,
  inputs: Record<string, unknown>,
  options: Record<string, unknown>,
  settings: { dtype?: unknown; grad?: boolean; gradOutput?: unknown },
  read: (value: unknown, field: string) => Dense,
): DenseResult {
  const { request, result } = checkAndEvaluate(loss, inputs, options, settings, read);
  return { ...result, loss: loss.name, dtype: request.dtype };
}

/**
 * Checks a request ({@link checkRequest}) and evaluates it ({@link evaluate}): the checked
 * request beside the result, for callers that go on with it (explanations).
 */
export function checkAndEvaluate(
  loss: AnyLoss,
  inputs: Record<string, unknown>,
  options: Record<string, unknown>,
  settings: { dtype?: unknown; grad?: boolean; gradOutput?: unknown },
  read: (value: unknown, field: string) => Dense,
): { request: ReturnType<typeof checkRequest>; result: Evaluation } {
  const request = checkRequest(loss, inputs, options, settings, read);
  const { dtype, tensors, values, gradOutput } = request;
  const result = evaluate(loss, tensors, values, { dtype, grad: settings.grad, gradOutput });
  return { request, result };
}

/**
 * Computes `loss` on inputs and options that the library has checked ({@link checkInputs},
 * {@link checkOptions}): its forward, its backward when `grad` is set (for `gradOutput`, ones by
 * default), PyTorch's warnings, and the loss's advice on the inputs.
 */
export function evaluate(
  loss: AnyLoss,
  tensors: Record<string, Dense>,
  values: OptionValues,
  settings: { dtype: DType; grad?: boolean; gradOutput?: FloatDense },
): Evaluation {
  const { dtype } = settings;
  const warnings: string[] = [];
  const grad = Boolean(settings.grad);
  const context: Context = { dtype, grad, warn: (message) => warnings.push(message) };
  const { output, saved } = loss.forward(tensors, values, context);
  const advice = loss.advise?.(tensors, values) ?? [];
  const grads: Record<string, FloatDense> = {};
  if (grad) {
    const gradOutput = readGradOutput(settings.gradOutput, output, dtype);
    for (const [key, gradient] of Object.entries(loss.backward(saved, gradOutput, context))) {
      grads[key] = gradient;
    }
  }
  return { output, grads, warnings, advice };
}

/** The dtypes, quoted and joined for messages: `"float32" or "float64"`. */
export function dtypeChoices(): string {
  return DTYPES.map((dtype) => `"${dtype}"`).join(" or ");
}

/**
 * The inputs of `loss` as it computes on them: each read as a dense tensor (`read`: an
 * `ndarray` by default), float
 * inputs in `dtype`, index inputs checked to hold integers.
 *
 * @throws LossInputError naming an unknown, missing or malformed input.
 */
export function checkInputs(
  loss: AnyLoss,
  inputs: Record<string, unknown>,
  dtype: DType,
  read: (value: unknown, field: string) => Dense = fromNdArray,
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
    const tensor = read(inputs[spec.name], field);
    if (spec.kind === "float" && loss.source && isIndexArray(tensor.data)) {
      // BEYOND.md: a float input of a loss beyond torch.nn must be a floating-point tensor.
      throw new LossInputError(
        `${field}.dtype`,
        `${field}.dtype is an integer type, but ${field} must be a floating-point tensor`,
      );
    }
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

/**
 * The options of `loss` as it computes with them: every option, its default where not given,
 * each given value checked against its spec, tensors in `dtype`, and the deprecated
 * `size_average`/`reduce` folded into `reduction`.
 *
 * @throws LossInputError naming an unknown option or a value out of its range.
 */
export function checkOptions(
  loss: AnyLoss,
  options: Record<string, unknown>,
  dtype: DType,
  read: (value: unknown, field: string) => Dense = fromNdArray,
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
  // `null` stands for "not given" in torch.nn's options (as Python's None for a tensor or the
  // legacy booleans); a loss beyond torch.nn takes it only where it is the default (Keras's
  // `axis`), and otherwise refuses it as any other wrong value (BEYOND.md).
  const nullIsDefault = (spec: OptionSpec) => !loss.source || spec.default === null;
  const values: OptionValues = {};
  for (const spec of specs) {
    const given = Object.hasOwn(options, spec.name) ? options[spec.name] : undefined;
    values[spec.name] = given === undefined || (given === null && nullIsDefault(spec))
      ? spec.default
      : readOption(spec, given, dtype, read);
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

function readOption(
  spec: OptionSpec,
  value: unknown,
  dtype: DType,
  read: (value: unknown, field: string) => Dense,
): OptionValues[string] {
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
      return toFloat(read(value, field), dtype);
    case "axes":
      return readAxes(value, field);
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
    const what = spec.finite ? "a finite number" : "a number";
    throw new LossInputError(field, `${field} must be ${what}, got ${describe(value)}`);
  }
  if (spec.finite && !Number.isFinite(value)) {
    throw new LossInputError(field, `${field} must be a finite number, got ${value}`);
  }
  if (spec.orOneOf?.includes(value)) return value;
  if (spec.oneOf && !spec.oneOf.includes(value)) {
    throw new LossInputError(
      field,
      `${field} must be one of ${spec.oneOf.join(", ")}, got ${value}`,
    );
  }
  if (spec.minimum !== undefined && value < spec.minimum) {
    throw new LossInputError(
      field,
      `${field} must be >= ${spec.minimum}${orAlso(spec)}, got ${value}`,
    );
  }
  if (spec.exclusiveMinimum !== undefined && value <= spec.exclusiveMinimum) {
    throw new LossInputError(field, `${field} must be > ${spec.exclusiveMinimum}, got ${value}`);
  }
  if (spec.maximum !== undefined && value > spec.maximum) {
    throw new LossInputError(
      field,
      `${field} must be <= ${spec.maximum}${orAlso(spec)}, got ${value}`,
    );
  }
  if (spec.exclusiveMaximum !== undefined && value >= spec.exclusiveMaximum) {
    throw new LossInputError(field, `${field} must be < ${spec.exclusiveMaximum}, got ${value}`);
  }
  return value;
}

/** `, or exactly -1` for a number option that also takes values outside its bounds. */
function orAlso(spec: { orOneOf?: number[] }): string {
  return spec.orOneOf?.length ? `, or exactly ${spec.orOneOf.join(" or ")}` : "";
}

/**
 * An `axes` option's value: one integer, or a non-empty list of integers (their range and
 * repeats depend on the input's rank, which the loss checks).
 */
function readAxes(value: unknown, field: string): number | number[] {
  const wrong = () =>
    new LossInputError(
      field,
      `${field} must be null, an integer or a non-empty list of integers, got ` +
        (Array.isArray(value) && value.length === 0 ? "[]" : describe(value)),
    );
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw wrong();
    return value;
  }
  if (!Array.isArray(value) || value.length === 0) throw wrong();
  return value.map((axis, i) => {
    if (typeof axis !== "number" || !Number.isSafeInteger(axis)) {
      throw new LossInputError(
        `${field}[${i}]`,
        `${field}[${i}] must be an integer (an axis), got ${describe(axis)}`,
      );
    }
    return axis;
  });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value;
}

function readGradOutput(
  given: FloatDense | undefined,
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
  const gradOutput = given;
  if (!sameShape(gradOutput.shape, output.shape)) {
    throw new LossInputError(
      "grad_output",
      `grad_output has shape ${formatShape(gradOutput.shape)}, but the output has shape ` +
        formatShape(output.shape),
    );
  }
  return gradOutput;
}
