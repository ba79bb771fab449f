/**
 * The body of `POST /api/losses/{name}` and of its explanation, whatever the codec: the fields
 * every format shares decoded into one {@link DecodedRequest} ({@link decodeFields}), its tensors
 * for the cost check ({@link costTensors}), its computation by the library's core entry on the
 * dense tensors ({@link computeRequest}), and the encoding of the result as JSON.
 *
 * The rules on inputs, options and the dtype are the library's (`computeDense` checks them,
 * once); this module checks only what is the API's own: the body's keys, `grad`, `encoding`,
 * `grad_output` only with `grad`.
 *
 * @module
 */
import {
  type Advice,
  type AnyLoss,
  computeDense,
  type Dense,
  type DenseResult,
  type DType,
  explainDense,
  type Explanation,
  type FloatDense,
  LossInputError,
  MAX_SWEEP_POINTS,
  optionsOf,
  type WorkedStep,
} from "../../lib/mod.ts";
import { encodeNpy } from "./codecs/npy.ts";
import { checkCost, type FieldTensor } from "./cost.ts";
import {
  type DecodedRequest,
  type DecodedTensor,
  type Encoding,
  isDecodedTensor,
} from "./decoded.ts";
import { type ElementBudget, LIMIT_VARIABLES, type Limits } from "./limits.ts";
import {
  decodeTensor,
  describe,
  type EncodedTensor,
  encodeTensor,
  type NpyEncodedTensor,
  OVERFLOWS,
  toBase64,
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
  /** How the answer writes its tensors: JSON numbers (default) or `{shape, dtype, npy}`. */
  encoding?: Encoding;
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

/** What `POST /api/losses/{name}` answers with `"encoding": "npy"`. */
export interface NpyComputeResponse extends Omit<ComputeResponse, "output" | "grads"> {
  output: NpyEncodedTensor;
  grads: Record<string, NpyEncodedTensor>;
}

const REQUEST_KEYS = ["inputs", "options", "dtype", "grad", "grad_output", "encoding"];
const ENCODINGS: Encoding[] = ["numbers", "npy"];
const NON_FINITE = new Map([["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity]]);

/** Binary tensors given apart from the JSON fields (multipart parts), by their place. */
export type Parts = Map<string, DecodedTensor>;

/**
 * Decodes the fields of a parsed JSON body for `loss` (a multipart body's `request` part, with
 * its tensor `parts` placed where they are named): its tensors (within `budget`), its number
 * options' non-finite strings into numbers; `extra` names the other keys a route takes.
 *
 * @throws LossInputError naming the field that is wrong, of kind `too-large` past the limits.
 */
export function decodeFields(
  loss: AnyLoss,
  body: unknown,
  budget: ElementBudget,
  parts: Parts = new Map(),
  extra: readonly string[] = [],
): DecodedRequest {
  if (!isObject(body)) {
    throw new LossInputError("body", `The body must be a JSON object, got ${describe(body)}`);
  }
  const unknown = firstUnknownKey(body, [...REQUEST_KEYS, ...extra]);
  if (unknown !== undefined) {
    throw new LossInputError(
      unknown,
      `${unknown} is not part of a request; a request has ${
        [...REQUEST_KEYS, ...extra].join(", ")
      }`,
    );
  }
  const rest: Record<string, unknown> = {};
  for (const key of extra) if (Object.hasOwn(body, key)) rest[key] = body[key];
  const grad = body.grad ?? false;
  if (typeof grad !== "boolean") {
    throw new LossInputError("grad", `grad must be true or false, got ${describe(grad)}`);
  }
  const encoding = body.encoding ?? "numbers";
  if (!ENCODINGS.includes(encoding as Encoding)) {
    throw new LossInputError(
      "encoding",
      `encoding must be "numbers" or "npy", got ${describe(encoding)}`,
    );
  }
  const inputs = decodeInputs(loss, body.inputs ?? (parts.size ? {} : undefined), budget, parts);
  const options = decodeOptions(loss, body.options ?? {}, budget, parts);
  let gradOutput = parts.get("grad_output");
  if (body.grad_output !== undefined && body.grad_output !== null) {
    if (gradOutput) throw givenTwice("grad_output");
    gradOutput = decodeTensor(body.grad_output, "grad_output", "float", budget);
  }
  if (gradOutput && !grad) {
    throw new LossInputError("grad_output", "grad_output is only used with grad: true");
  }
  return {
    inputs,
    options,
    dtype: body.dtype,
    grad,
    gradOutput,
    encoding: encoding as Encoding,
    extra: rest,
  };
}

/**
 * The first key of `object` that is not one of `known`, found before anything is copied: a body
 * of 300,000 unknown keys is refused at its first, without a list of them all.
 */
function firstUnknownKey(object: Record<string, unknown>, known: readonly string[]) {
  for (const key in object) {
    if (Object.hasOwn(object, key) && !known.includes(key)) return key;
  }
  return undefined;
}

function givenTwice(field: string): LossInputError {
  return new LossInputError(
    field,
    `${field} is given twice: in the request part and as a part of its own`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeInputs(
  loss: AnyLoss,
  given: unknown,
  budget: ElementBudget,
  parts: Parts,
): Record<string, DecodedTensor | null> {
  if (!isObject(given)) {
    const names = loss.inputs.map((spec) => spec.name).join(", ");
    throw new LossInputError(
      "inputs",
      `inputs must be an object of tensors by name (${names}), got ${describe(given)}`,
    );
  }
  const known = loss.inputs.map((spec) => spec.name);
  const unknown = firstUnknownKey(given, known);
  if (unknown !== undefined) {
    throw new LossInputError(
      `inputs.${unknown}`,
      `inputs.${unknown} is not an input of ${loss.name}; its inputs are ${known.join(", ")}`,
    );
  }
  // No prototype: a `__proto__` key stays a key (and is refused above as not an input).
  const inputs: Record<string, DecodedTensor | null> = Object.create(null);
  // The first input first: its shape tells whether a nested float-or-index input holds indices
  // (every key is an input by now: the list is short).
  const first = loss.inputs[0]?.name;
  const names = Object.keys(given).sort((a, b) => +(b === first) - +(a === first));
  let firstShape: readonly number[] | undefined = parts.get(`inputs.${first}`)?.shape;
  for (const name of names) {
    const value = given[name];
    const field = `inputs.${name}`;
    if (parts.has(field) && value !== null && value !== undefined) throw givenTwice(field);
    const kind = loss.inputs.find((spec) => spec.name === name)?.kind ?? "float-or-index";
    inputs[name] = value === null || value === undefined
      ? null
      : decodeTensor(value, field, kind, budget, firstShape);
    if (name === first) firstShape ??= inputs[name]?.shape;
  }
  for (const [field, tensor] of parts) {
    if (field.startsWith("inputs.")) inputs[field.slice("inputs.".length)] = tensor;
  }
  return inputs;
}

function decodeOptions(
  loss: AnyLoss,
  given: unknown,
  budget: ElementBudget,
  parts: Parts,
): Record<string, unknown> {
  if (!isObject(given)) {
    throw new LossInputError(
      "options",
      `options must be an object of options by name, got ${describe(given)}`,
    );
  }
  const specs = optionsOf(loss);
  const known = specs.map((spec) => spec.name);
  const unknown = firstUnknownKey(given, known);
  if (unknown !== undefined) {
    throw new LossInputError(
      `options.${unknown}`,
      `options.${unknown} is not an option of ${loss.name}; its options are ${
        known.join(", ") || "none"
      }`,
    );
  }
  // No prototype: a `__proto__` key stays a key (and is refused above as not an option).
  const options: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(given)) {
    const spec = specs.find((option) => option.name === name);
    const field = `options.${name}`;
    if (parts.has(field) && value !== null && value !== undefined) throw givenTwice(field);
    if (spec?.type === "tensor" && value !== null) {
      options[name] = decodeTensor(value, field, "float", budget);
    } else if (spec?.type === "number" && typeof value === "string" && NON_FINITE.has(value)) {
      options[name] = NON_FINITE.get(value);
    } else if (typeof value === "number" && !Number.isFinite(value)) {
      throw new LossInputError(field, `${field} ${OVERFLOWS}`);
    } else {
      options[name] = value;
    }
  }
  for (const [field, tensor] of parts) {
    if (!field.startsWith("options.")) continue;
    const name = field.slice("options.".length);
    const spec = specs.find((option) => option.name === name);
    if (spec && spec.type !== "tensor") {
      throw new LossInputError(
        field,
        `${field} is a ${spec.type} option of ${loss.name}, not a tensor: give it in the request part`,
      );
    }
    options[name] = tensor;
  }
  return options;
}

/**
 * The tensors of a decoded request by place, as the cost check reads them: their shapes, and
 * their values only if a loss's work estimate asks (CTC's target lengths).
 */
export function costTensors(request: DecodedRequest): FieldTensor[] {
  const tensors: FieldTensor[] = [];
  const add = (field: string, tensor: DecodedTensor) =>
    tensors.push({
      field,
      tensor: {
        shape: tensor.shape,
        get data() {
          return tensor.dense().data;
        },
      },
    });
  for (const [name, tensor] of Object.entries(request.inputs)) {
    if (tensor) add(`inputs.${name}`, tensor);
  }
  for (const [name, value] of Object.entries(request.options)) {
    if (isDecodedTensor(value)) add(`options.${name}`, value);
  }
  return tensors;
}

/** Whether a request holds a binary tensor: its broadcasts are then under the binary limit. */
export function isBinary(request: DecodedRequest): boolean {
  return [...Object.values(request.inputs), ...Object.values(request.options), request.gradOutput]
    .some((value) => isDecodedTensor(value) && value.binary);
}

/**
 * Checks a decoded request's cost against `limits` (`cost.ts`), before any of its binary data
 * is decoded; returns the estimated work.
 */
export function checkRequestCost(loss: AnyLoss, request: DecodedRequest, limits: Limits): number {
  return checkCost(loss, costTensors(request), limits, isBinary(request));
}

/** The dense tensors of a decoded request, by name, and its other options as they are. */
function denseFields(request: DecodedRequest) {
  const dense = (value: unknown) => isDecodedTensor(value) ? value.dense() : value;
  const inputs: Record<string, Dense | null> = Object.create(null);
  for (const [name, tensor] of Object.entries(request.inputs)) {
    inputs[name] = tensor && tensor.dense();
  }
  const options: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(request.options)) options[name] = dense(value);
  return { inputs, options, gradOutput: request.gradOutput?.dense() };
}

/** Computes a decoded request with the library's core entry, on its dense tensors. */
export function computeRequest(loss: AnyLoss, request: DecodedRequest): DenseResult {
  const { inputs, options, gradOutput } = denseFields(request);
  return computeDense(loss, inputs, options, {
    dtype: request.dtype,
    grad: request.grad,
    gradOutput,
  });
}

/**
 * Encodes a result as the JSON answer: tensors as JSON numbers, or, with `encoding` `npy`, as
 * `{shape, dtype, npy}`, the bytes of the result bit for bit.
 */
export function encodeResult(result: DenseResult, encoding: "npy"): NpyComputeResponse;
export function encodeResult(result: DenseResult, encoding?: Encoding): ComputeResponse;
export function encodeResult(
  result: DenseResult,
  encoding: Encoding = "numbers",
): ComputeResponse | NpyComputeResponse {
  const encode = encoding === "npy" ? encodeNpyTensor : encodeTensor;
  const grads: Record<string, EncodedTensor | NpyEncodedTensor> = {};
  for (const [name, grad] of Object.entries(result.grads)) grads[name] = encode(grad);
  return {
    loss: result.loss,
    dtype: result.dtype,
    output: encode(result.output),
    grads,
    warnings: result.warnings,
    advice: result.advice,
  } as ComputeResponse | NpyComputeResponse;
}

/** A tensor as `{shape, dtype, npy}`: its .npy file in base64. */
export function encodeNpyTensor(tensor: FloatDense): NpyEncodedTensor {
  return {
    shape: [...tensor.shape],
    dtype: tensor.data instanceof Float32Array ? "float32" : "float64",
    npy: toBase64(encodeNpy(tensor)),
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

/** The keys an explain request has besides a compute request's. */
export const EXPLAIN_KEYS = ["element", "points"];

/**
 * Explains a decoded request (its `element` and `points` among its extra keys): checks them and
 * the cost, whose work, times the sweep's points and the extra passes, must stay within
 * `MAX_WORK`, then explains with the library's core entry.
 */
export function explainRequest(
  loss: AnyLoss,
  request: DecodedRequest,
  limits: Limits,
): Explanation {
  const { element, points } = request.extra;
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
    checkRequestCost(loss, request, share);
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
  const { inputs, options, gradOutput } = denseFields(request);
  return explainDense(loss, inputs, options, {
    dtype: request.dtype,
    grad: request.grad,
    gradOutput,
    element: element as number | undefined,
    points: points as number | undefined,
  });
}

const wireNumber = (value: number): WireNumber =>
  Number.isFinite(value) ? value : (String(value) as WireNumber);

/** Encodes an explanation as the answer of `POST /api/losses/{name}/explain`. */
export function encodeExplanation(explained: Explanation): ExplainResponse {
  const steps = (list: WorkedStep[]) =>
    list.map((step) => ({ ...step, value: wireNumber(step.value) }));
  const dense = encodeTensor;
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
