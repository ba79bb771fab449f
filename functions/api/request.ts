/**
 * The body of `POST /api/losses/{name}`: its decoding into `computeLoss` arguments, and the
 * encoding of the result.
 *
 * @module
 */
import {
  type AnyLoss,
  type ComputeSettings,
  type DType,
  LossInputError,
  type LossResult,
  type NdArray,
  type NumericArray,
  optionsOf,
} from "../../lib/mod.ts";
import { checkCost } from "./cost.ts";
import { ElementBudget, type Limits } from "./limits.ts";
import {
  decodeTensor,
  describe,
  type EncodedTensor,
  encodeTensor,
  OVERFLOWS,
  type WireTensor,
} from "./wire.ts";

/** What `POST /api/losses/{name}` takes. */
export interface ComputeRequest {
  /** The arguments of the loss's `forward`, by PyTorch's names. */
  inputs: Record<string, WireTensor>;
  /** The loss's constructor options, by PyTorch's keyword names. */
  options?: Record<string, unknown>;
  /** The dtype to compute in: `float32` (default, as PyTorch) or `float64`. */
  dtype?: DType;
  /** Whether to return the gradient of each differentiable input. */
  grad?: boolean;
  /** The gradient of the output, of its shape (with `grad`); ones by default. */
  grad_output?: WireTensor;
}

/** What `POST /api/losses/{name}` answers. */
export interface ComputeResponse {
  /** The loss's class name. */
  loss: string;
  dtype: DType;
  output: EncodedTensor;
  /** The gradient of each differentiable input; empty unless `grad` was set. */
  grads: Record<string, EncodedTensor>;
  /** PyTorch's warnings for these inputs. */
  warnings: string[];
}

/** A request decoded into the arguments of `computeLoss`. */
export interface DecodedRequest {
  inputs: Record<string, NdArray<NumericArray>>;
  options: Record<string, unknown>;
  settings: ComputeSettings;
}

const REQUEST_KEYS = ["inputs", "options", "dtype", "grad", "grad_output"];
const NON_FINITE = new Map([["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity]]);

/**
 * Decodes a parsed JSON body for `loss`: its tensors into `ndarray`s (within `limits`), its
 * number options' non-finite strings into numbers; the library checks the rest.
 *
 * @throws LossInputError naming the field that is wrong, of kind `too-large` past the limits.
 */
export function decodeComputeRequest(
  loss: AnyLoss,
  body: unknown,
  limits: Limits,
): DecodedRequest {
  if (!isObject(body)) {
    throw new LossInputError("body", `The body must be a JSON object, got ${describe(body)}`);
  }
  for (const key of Object.keys(body)) {
    if (!REQUEST_KEYS.includes(key)) {
      throw new LossInputError(
        key,
        `${key} is not part of a request; a request has ${REQUEST_KEYS.join(", ")}`,
      );
    }
  }
  const dtype = body.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") {
    throw new LossInputError(
      "dtype",
      `dtype must be "float32" or "float64", got ${describe(dtype)}`,
    );
  }
  const grad = body.grad ?? false;
  if (typeof grad !== "boolean") {
    throw new LossInputError("grad", `grad must be true or false, got ${describe(grad)}`);
  }
  const budget = new ElementBudget(limits.maxElements);
  const inputs = decodeInputs(loss, body.inputs, dtype, budget);
  const options = decodeOptions(loss, body.options ?? {}, dtype, budget);
  const settings: ComputeSettings = { dtype, grad };
  if (body.grad_output !== undefined && body.grad_output !== null) {
    if (!grad) {
      throw new LossInputError("grad_output", "grad_output is only used with grad: true");
    }
    settings.gradOutput = decodeTensor(body.grad_output, "grad_output", {
      kind: "float",
      dtype,
    }, budget);
  }
  const tensors = [
    ...Object.entries(inputs).map(([name, tensor]) => ({ field: `inputs.${name}`, tensor })),
    ...Object.entries(options).flatMap(([name, value]) =>
      isNdArray(value) ? [{ field: `options.${name}`, tensor: value }] : []
    ),
  ];
  checkCost(loss, tensors, limits);
  return { inputs, options, settings };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNdArray(value: unknown): value is NdArray<NumericArray> {
  return isObject(value) && Array.isArray(value.shape) && "stride" in value;
}

function decodeInputs(
  loss: AnyLoss,
  given: unknown,
  dtype: DType,
  budget: ElementBudget,
): Record<string, NdArray<NumericArray>> {
  const names = loss.inputs.map((spec) => spec.name);
  if (!isObject(given)) {
    throw new LossInputError(
      "inputs",
      `inputs must be an object of tensors by name (${names.join(", ")}), got ${describe(given)}`,
    );
  }
  for (const key of Object.keys(given)) {
    if (!names.includes(key)) {
      throw new LossInputError(
        `inputs.${key}`,
        `inputs.${key} is not an input of ${loss.name}; its inputs are ${names.join(", ")}`,
      );
    }
  }
  const inputs: Record<string, NdArray<NumericArray>> = {};
  for (const spec of loss.inputs) {
    const field = `inputs.${spec.name}`;
    if (given[spec.name] === undefined || given[spec.name] === null) {
      throw new LossInputError(
        field,
        `${field} is missing; ${loss.name} takes ${names.join(", ")}`,
      );
    }
    inputs[spec.name] = decodeTensor(given[spec.name], field, { kind: spec.kind, dtype }, budget);
  }
  return inputs;
}

function decodeOptions(
  loss: AnyLoss,
  given: unknown,
  dtype: DType,
  budget: ElementBudget,
): Record<string, unknown> {
  if (!isObject(given)) {
    throw new LossInputError(
      "options",
      `options must be an object of options by name, got ${describe(given)}`,
    );
  }
  const specs = optionsOf(loss);
  // No prototype: a `__proto__` key stays a key, which the library reports as unknown.
  const options: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(given)) {
    const spec = specs.find((option) => option.name === name);
    const field = `options.${name}`;
    if (spec?.type === "tensor" && value !== null) {
      options[name] = decodeTensor(value, field, { kind: "float", dtype }, budget);
    } else if (spec?.type === "number" && typeof value === "string" && NON_FINITE.has(value)) {
      options[name] = NON_FINITE.get(value);
    } else if (typeof value === "number" && !Number.isFinite(value)) {
      throw new LossInputError(field, `${field} ${OVERFLOWS}`);
    } else {
      options[name] = value;
    }
  }
  return options;
}

/** Encodes a result of `computeLoss` as the response body. */
export function encodeResult(result: LossResult): ComputeResponse {
  const encode = encodeTensor;
  const grads: Record<string, EncodedTensor> = {};
  for (const [name, grad] of Object.entries(result.grads)) grads[name] = encode(grad);
  return {
    loss: result.loss,
    dtype: result.dtype,
    output: encode(result.output),
    grads,
    warnings: result.warnings,
  };
}
