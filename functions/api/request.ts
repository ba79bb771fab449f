/**
 * The body of `POST /api/losses/{name}`: its decoding into `computeLoss` arguments, and the
 * encoding of the result.
 *
 * @module
 */
import {
  type Advice,
  type AnyLoss,
  type ComputeSettings,
  type DType,
  dtypeChoices,
  DTYPES,
  type Explanation,
  type FloatDense,
  isDType,
  LossInputError,
  type LossResult,
  MAX_SWEEP_POINTS,
  type NdArray,
  type NumericArray,
  optionsOf,
  toNdArray,
  type WorkedStep,
} from "../../lib/mod.ts";
import { checkCost } from "./cost.ts";
import { ElementBudget, LIMIT_VARIABLES, type Limits } from "./limits.ts";
import {
  decodeTensor,
  describe,
  type EncodedTensor,
  encodeTensor,
  OVERFLOWS,
  type WireNumber,
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
  /** PyTorch's warnings for these inputs, word for word. */
  warnings: string[];
  /** Our hints about likely misuse (probabilities given as logits...); never change numbers. */
  advice: Advice[];
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
  const dtype = body.dtype ?? DTYPES[0];
  if (!isDType(dtype)) {
    throw new LossInputError("dtype", `dtype must be ${dtypeChoices()}, got ${describe(dtype)}`);
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
    advice: result.advice,
  };
}

/** What `POST /api/losses/{name}/explain` takes: a compute request and what to explain. */
export interface ExplainRequest extends ComputeRequest {
  /** The element (or sample) to work through and sweep; 0 by default. */
  element?: number;
  /** The points of the sweep, 2 to 1001; 101 by default. */
  points?: number;
}

/** A step of a worked computation, as the API answers it (non-finite values as strings). */
export interface EncodedStep {
  label: string;
  tex: string;
  value: WireNumber;
}

/** What `POST /api/losses/{name}/explain` answers. */
export interface ExplainResponse extends ComputeResponse {
  /** The formula (TeX) for the options in force. */
  formula: string;
  /** The per-element losses (`reduction: "none"`), or null for a loss without them. */
  terms: EncodedTensor | null;
  /** How many elements can be worked through, and the one that is. */
  count: number;
  element: number;
  worked: { label: string; steps: EncodedStep[] } | null;
  reduction: EncodedStep[];
  sweep: {
    field: string;
    label: string;
    x: WireNumber[];
    loss: WireNumber[];
    slope: WireNumber[];
    current: { x: WireNumber; loss: WireNumber; slope: WireNumber };
  } | null;
}

/** A decoded explain request: a compute request and what to explain. */
export interface DecodedExplainRequest extends DecodedRequest {
  element?: number;
  points?: number;
}

/**
 * Decodes the body of `POST /api/losses/{name}/explain`: a compute request whose estimated work,
 * times the sweep's points and the extra passes, must stay within `MAX_WORK`.
 */
export function decodeExplainRequest(
  loss: AnyLoss,
  body: unknown,
  limits: Limits,
): DecodedExplainRequest {
  if (!isObject(body)) {
    throw new LossInputError("body", `The body must be a JSON object, got ${describe(body)}`);
  }
  const { element, points, ...request } = body;
  for (const [key, value] of [["element", element], ["points", points]] as const) {
    if (value !== undefined && (typeof value !== "number" || !Number.isSafeInteger(value))) {
      throw new LossInputError(key, `${key} must be an integer, got ${describe(value)}`);
    }
  }
  if (typeof points === "number" && (points < 2 || points > MAX_SWEEP_POINTS)) {
    throw new LossInputError(
      "points",
      `points must be an integer from 2 to ${MAX_SWEEP_POINTS}, got ${points}`,
    );
  }
  const passes = (typeof points === "number" ? points : 101) + 2;
  const share = { ...limits, maxWork: Math.max(1, Math.floor(limits.maxWork / passes)) };
  try {
    const decoded = decodeComputeRequest(loss, request, share);
    return {
      ...decoded,
      element: element as number | undefined,
      points: points as number | undefined,
    };
  } catch (error) {
    if (error instanceof LossInputError && error.kind === "too-large") {
      throw new LossInputError(
        error.field,
        `${error.message}; an explanation computes the loss about ${passes} times (its sweep's ` +
          `points and two more passes), so its share is ${LIMIT_VARIABLES.maxWork} / ${passes}`,
        "too-large",
      );
    }
    throw error;
  }
}

const wireNumber = (value: number): WireNumber =>
  Number.isFinite(value) ? value : (String(value) as WireNumber);

/** Encodes an explanation as the answer of `POST /api/losses/{name}/explain`. */
export function encodeExplanation(explained: Explanation): ExplainResponse {
  const steps = (list: WorkedStep[]) =>
    list.map((step) => ({ ...step, value: wireNumber(step.value) }));
  const dense = (tensor: FloatDense) => encodeTensor(toNdArray(tensor));
  const grads: Record<string, EncodedTensor> = {};
  for (const [name, grad] of Object.entries(explained.grads)) grads[name] = dense(grad);
  const { sweep } = explained;
  return {
    loss: explained.loss,
    dtype: explained.dtype,
    output: dense(explained.output),
    grads,
    warnings: explained.warnings,
    advice: explained.advice,
    formula: explained.formula,
    terms: explained.terms && dense(explained.terms),
    count: explained.count,
    element: explained.element,
    worked: explained.worked &&
      { label: explained.worked.label, steps: steps(explained.worked.steps) },
    reduction: steps(explained.reduction),
    sweep: sweep && {
      field: sweep.field,
      label: sweep.label,
      x: sweep.x.map(wireNumber),
      loss: sweep.loss.map(wireNumber),
      slope: sweep.slope.map(wireNumber),
      current: {
        x: wireNumber(sweep.current.x),
        loss: wireNumber(sweep.current.loss),
        slope: wireNumber(sweep.current.slope),
      },
    },
  };
}
