/**
 * Tensors on the wire: decoding them into `ndarray`s and encoding results.
 *
 * A wire tensor is either the golden files' flat form, `{"shape": [2, 3], "data": [...],
 * "dtype": "float" | "int" | "bool"}` (row-major, `dtype` optional), or nested arrays as
 * `torch.tensor` takes them (`[[1, 2, 3], [4, 5, 6]]`, or a bare number for a scalar).
 * Non-finite numbers are the strings `"NaN"`, `"Infinity"` and `"-Infinity"`, both ways.  A
 * tensor may also be `{"npy": "<base64 of an .npy file>"}` (with an optional `shape` that must
 * agree with the file's), read by `codecs/npy.ts` under the binary limits.
 *
 * @module
 */
import {
  type Dense,
  elementField,
  type FloatArray,
  holdsIndices,
  LossInputError,
  MAX_RANK,
  type PlainTensor,
} from "../../lib/mod.ts";
import { npyTensor } from "./codecs/npy.ts";
import { decodedOf, type DecodedTensor } from "./decoded.ts";
import { type ElementBudget, LIMIT_VARIABLES } from "./limits.ts";

/** A number as the wire writes it: non-finite numbers are strings. */
export type WireNumber = number | "NaN" | "Infinity" | "-Infinity";

/** A tensor in the flat form: a shape and its row-major values, non-finite ones as strings. */
export type FlatTensor = PlainTensor<WireNumber>;

/** Nested arrays of numbers, as `torch.tensor` takes them; a bare number is a scalar. */
export type NestedTensor = WireNumber | NestedTensor[];

/** A tensor as an .npy file, base64-encoded; a `shape` beside it must be the file's. */
export interface NpyWireTensor {
  npy: string;
  shape?: number[];
}

/** A tensor as a request may give it. */
export type WireTensor = FlatTensor | NestedTensor | NpyWireTensor;

/** A tensor of an answer with `"encoding": "npy"`: its shape, NumPy's dtype, the .npy file. */
export interface NpyEncodedTensor {
  shape: number[];
  dtype: "float32" | "float64";
  npy: string;
}

/** A tensor as responses give it: the flat form, `data` row-major. */
export type EncodedTensor = Omit<FlatTensor, "dtype">;

/**
 * How to read a tensor: as real numbers (`float`), as integers (`index`), or, for
 * `float-or-index`, as integers when marked `"dtype": "int"` (or `"bool"`), as real numbers when
 * marked `"float"`, and, unmarked, as integers when its shape says it holds indices (it is not
 * the shape of the loss's first input, given to {@link decodeTensor}) and every value is one, as
 * real numbers otherwise: so nested integers are class indices wherever an input takes them.
 * A `float` tensor marked `"int"` or `"bool"` is read as integers too: the library converts it,
 * or refuses it where a loss takes only floating-point tensors.  The library converts real
 * numbers to the request's dtype.
 */
export type TensorReading = "float" | "index" | "float-or-index";

const NON_FINITE = new Map([["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity]]);

/** What a message says of a JSON number too large for a double (`1e400` parses as Infinity). */
export const OVERFLOWS = 'is a number too large for a double; write "Infinity" for infinity';
const INT32_MAX = 2 ** 31 - 1;

/** Raw values read off the wire, before the choice of element type. */
interface RawTensor {
  shape: number[];
  values: Float64Array;
  declared?: "float" | "int" | "bool";
}

/**
 * Decodes a wire tensor: JSON numbers into a dense float64 tensor (int32 for indices), taking
 * its elements from `budget`; an `{"npy": ...}` tensor into an .npy tensor under the budget's
 * binary limit, its data decoded when first used.
 *
 * @param field Where the tensor is in the request (`inputs.target`), for errors.
 * @param firstShape For `float-or-index`: the shape of the loss's first input, if known.
 * @throws LossInputError naming the exact element or key that is wrong (`inputs.input[2][1]`,
 *   `inputs.target.shape`), of kind `too-large` when the request has too many elements.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ElementBudget } from "./limits.ts";
 * import { decodeTensor } from "./wire.ts";
 * const tensor = decodeTensor([[1, "NaN"], [3, 4]], "inputs.input", "float", new ElementBudget(10));
 * assert.deepEqual(tensor.shape, [2, 2]);
 * assert.ok(Number.isNaN(tensor.dense().data[1]));
 * ```
 */
export function decodeTensor(
  value: unknown,
  field: string,
  reading: TensorReading,
  budget: ElementBudget,
  firstShape?: readonly number[],
): DecodedTensor {
  if (isPlainObject(value) && "npy" in value) return readNpy(value, field, reading, budget);
  const raw = isPlainObject(value)
    ? readFlat(value, field, budget)
    : readNested(value, field, budget);
  if (isIndexTensor(raw, field, reading, firstShape)) {
    checkIntegers(raw, field, isPlainObject(value));
    return decodedOf({ shape: raw.shape, data: Int32Array.from(raw.values) });
  }
  return decodedOf({ shape: raw.shape, data: raw.values });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const NPY_KEYS = ["npy", "shape"];

function readNpy(
  tensor: Record<string, unknown>,
  field: string,
  reading: TensorReading,
  budget: ElementBudget,
): DecodedTensor {
  for (const key of Object.keys(tensor)) {
    if (!NPY_KEYS.includes(key)) {
      throw new LossInputError(
        `${field}.${key}`,
        `${field}.${key} is not part of an .npy tensor: it is {npy, shape} (shape optional)`,
      );
    }
  }
  const text = tensor.npy;
  if (typeof text !== "string") {
    throw new LossInputError(
      `${field}.npy`,
      `${field}.npy must be the base64 text of an .npy file, got ${describe(text)}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch {
    throw new LossInputError(`${field}.npy`, `${field}.npy is not base64 text`);
  }
  const decoded = npyTensor(bytes, `${field}.npy`, budget, reading === "index");
  if (tensor.shape !== undefined) {
    const shape = readShape(tensor.shape, `${field}.shape`);
    if (shape.length !== decoded.shape.length || shape.some((n, i) => n !== decoded.shape[i])) {
      throw new LossInputError(
        `${field}.shape`,
        `${field}.shape is [${shape.join(", ")}], but the .npy file's shape is ` +
          `[${decoded.shape.join(", ")}]`,
      );
    }
  }
  return decoded;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of base64 text (standard alphabet, padding optional, no line breaks). */
export function fromBase64(text: string): Uint8Array {
  const native = (Uint8Array as { fromBase64?: (text: string) => Uint8Array }).fromBase64;
  if (native) return native(text);
  if (!BASE64.test(text)) throw new SyntaxError("not base64");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Base64 text of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  const native = (bytes as { toBase64?: () => string }).toBase64;
  if (native) return native.call(bytes);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function isIndexTensor(
  raw: RawTensor,
  field: string,
  reading: TensorReading,
  firstShape: readonly number[] | undefined,
): boolean {
  switch (reading) {
    case "float":
      return raw.declared === "int" || raw.declared === "bool";
    case "index":
      if (raw.declared === "float") {
        throw new LossInputError(
          `${field}.dtype`,
          `${field}.dtype is "float", but ${field} must hold integers (class indices, labels ` +
            "or lengths)",
        );
      }
      return true;
    case "float-or-index":
      if (raw.declared !== undefined) return raw.declared !== "float";
      return firstShape !== undefined && holdsIndices(raw.shape, firstShape) &&
        raw.values.every((value) => Number.isInteger(value) && Math.abs(value) <= INT32_MAX);
  }
}

function checkIntegers(raw: RawTensor, field: string, flat: boolean): void {
  const { values } = raw;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isInteger(value) || Math.abs(value) > INT32_MAX) {
      const at = flat ? `${field}.data[${i}]` : elementField(field, raw.shape, i);
      const why = Number.isInteger(value) ? "is out of the int32 range" : "is not an integer";
      const what = raw.declared === "int" || raw.declared === "bool"
        ? `is declared "${raw.declared}"`
        : "holds indices";
      throw new LossInputError(at, `${at} is ${value}, which ${why}; ${field} ${what}`);
    }
  }
}

const FLAT_KEYS = ["shape", "data", "dtype"];

function readFlat(
  tensor: Record<string, unknown>,
  field: string,
  budget: ElementBudget,
): RawTensor {
  for (const key of Object.keys(tensor)) {
    if (!FLAT_KEYS.includes(key)) {
      throw new LossInputError(
        `${field}.${key}`,
        `${field}.${key} is not part of a tensor: a tensor is {shape, data, dtype} or nested arrays`,
      );
    }
  }
  const declared = tensor.dtype;
  if (declared !== undefined && declared !== "float" && declared !== "int" && declared !== "bool") {
    throw new LossInputError(
      `${field}.dtype`,
      `${field}.dtype must be "float", "int" or "bool", got ${describe(declared)}`,
    );
  }
  const shape = readShape(tensor.shape, `${field}.shape`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(size)) {
    throw new LossInputError(
      `${field}.shape`,
      `${field}.shape [${shape.join(", ")}] has more elements than a request can hold`,
      "too-large",
    );
  }
  checkDimensions(shape, `${field}.shape`, budget);
  const data = tensor.data;
  if (!Array.isArray(data)) {
    throw new LossInputError(
      `${field}.data`,
      `${field}.data must be an array of numbers, got ${describe(data)}`,
    );
  }
  if (data.length !== size) {
    throw new LossInputError(
      `${field}.data`,
      `${field}.data has ${data.length} values, but shape [${shape.join(", ")}] needs ${size}`,
    );
  }
  budget.take(field, size);
  const values = new Float64Array(size);
  const bool = declared === "bool";
  for (let i = 0; i < size; i++) {
    const value = data[i];
    // A finite number takes the fast path; the element's path is spelled only for an error.
    if (typeof value === "number" && value - value === 0) values[i] = value;
    else values[i] = readNumber(value, () => `${field}.data[${i}]`, bool);
  }
  return { shape, values, declared };
}

/**
 * Caps every dimension of a tensor of `shape` (its `place`: `inputs.x.shape`, or a nested
 * tensor's field) at the request's element limit: a shape with a zero has no elements, however
 * large its other sizes, and flat and nested tensors meet the same cap.
 */
function checkDimensions(shape: readonly number[], place: string, budget: ElementBudget): void {
  shape.forEach((dimension, i) => {
    if (dimension > budget.limit) {
      const flat = place.endsWith(".shape");
      throw new LossInputError(
        flat ? `${place}[${i}]` : place,
        `${
          flat ? `${place}[${i}] is ${dimension}` : `${place} has ${dimension} in dimension ${i}`
        }` +
          `, more than the limit of ${budget.limit} (${LIMIT_VARIABLES.maxElements})`,
        "too-large",
      );
    }
  });
}

function readShape(shape: unknown, field: string): number[] {
  if (!Array.isArray(shape)) {
    throw new LossInputError(field, `${field} must be an array of sizes, got ${describe(shape)}`);
  }
  if (shape.length > MAX_RANK) {
    throw new LossInputError(
      field,
      `${field} has ${shape.length} dimensions, more than the ${MAX_RANK} supported`,
    );
  }
  shape.forEach((size, i) => {
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      throw new LossInputError(
        `${field}[${i}]`,
        `${field}[${i}] must be an integer >= 0, got ${describe(size)}`,
      );
    }
  });
  return shape as number[];
}

function readNumber(value: unknown, at: () => string, allowBoolean = false): number {
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value;
    const field = at();
    throw new LossInputError(field, `${field} ${OVERFLOWS}`);
  }
  const nonFinite = typeof value === "string" ? NON_FINITE.get(value) : undefined;
  if (nonFinite !== undefined) return nonFinite;
  if (allowBoolean && typeof value === "boolean") return value ? 1 : 0;
  const field = at();
  throw new LossInputError(
    field,
    `${field} must be a number (or "NaN", "Infinity", "-Infinity"), got ${describe(value)}`,
  );
}

function readNested(value: unknown, field: string, budget: ElementBudget): RawTensor {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_RANK) {
      throw new LossInputError(
        field,
        `${field} is nested more than ${MAX_RANK} deep, the most dimensions supported`,
      );
    }
    shape.push(probe.length);
    probe = probe[0];
  }
  checkDimensions(shape, field, budget);
  const size = shape.reduce((a, b) => a * b, 1);
  budget.take(field, size);
  const values = new Float64Array(size);
  const rank = shape.length;
  // The index of the node being read at each depth; a field path is built only for an error.
  const index = new Array<number>(rank).fill(0);
  const pathTo = (depth: number) => field + index.slice(0, depth).map((i) => `[${i}]`).join("");
  let next = 0;
  const visit = (node: unknown, depth: number): void => {
    if (depth === rank - 1 && Array.isArray(node) && node.length === shape[depth]) {
      for (let i = 0; i < node.length; i++) {
        const leaf = node[i];
        if (typeof leaf === "number" && Number.isFinite(leaf)) values[next++] = leaf;
        else {
          index[depth] = i;
          visitLeaf(leaf, depth + 1);
        }
      }
      return;
    }
    if (depth === rank) return visitLeaf(node, depth);
    if (!Array.isArray(node)) {
      throw new LossInputError(
        pathTo(depth),
        `${pathTo(depth)} is ${describe(node)}, but ${field} needs an array of ${shape[depth]} ` +
          "here (ragged array)",
      );
    }
    if (node.length !== shape[depth]) {
      throw new LossInputError(
        pathTo(depth),
        `${pathTo(depth)} has ${node.length} elements, but the others at its depth have ` +
          `${shape[depth]} (ragged array)`,
      );
    }
    for (let i = 0; i < node.length; i++) {
      index[depth] = i;
      visit(node[i], depth + 1);
    }
  };
  const visitLeaf = (node: unknown, depth: number): void => {
    if (Array.isArray(node)) {
      throw new LossInputError(
        pathTo(depth),
        `${pathTo(depth)} is an array, but ${field} has ${rank} dimensions (ragged array)`,
      );
    }
    values[next++] = readNumber(node, () => pathTo(depth));
  };
  visit(value, 0);
  return { shape, values };
}

/** A short description of a JSON value, for messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

/**
 * Encodes a dense float tensor (or an `ndarray` of the library's results, which are row-major)
 * as a flat wire tensor, writing non-finite numbers as strings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeTensor } from "./wire.ts";
 * const encoded = encodeTensor({ shape: [3], data: new Float64Array([1, NaN, -Infinity]) });
 * assert.deepEqual(encoded, { shape: [3], data: [1, "NaN", "-Infinity"] });
 * ```
 */
export function encodeTensor(tensor: Dense<FloatArray>): EncodedTensor {
  const { data } = tensor;
  const out = new Array<WireNumber>(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    out[i] = value - value === 0 ? value : (String(value) as WireNumber);
  }
  return { shape: [...tensor.shape], data: out };
}
