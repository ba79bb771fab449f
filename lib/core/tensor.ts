/**
 * Tensors: `ndarray` at the library's boundary, dense row-major arrays inside.
 *
 * `ndarray` compiles one constructor per (dtype, rank) with `new Function` on first use, which
 * Cloudflare Workers forbid while serving a request.  Importing this module creates every
 * constructor the library can produce (each dtype in {@link DTYPE_ARRAYS} and the index dtype,
 * ranks 0 to {@link MAX_RANK}), so no code is generated after start-up.  The library never takes
 * views of caller arrays; it reads `data`, `shape`, `stride` and `offset` directly.
 *
 * @module
 */
// @ts-types="@types/ndarray"
import ndarray from "ndarray";
import { LossInputError } from "./errors.ts";

export type { NdArray } from "ndarray";
import type { NdArray } from "ndarray";

/** The floating dtypes a loss computes in, as in PyTorch: `float32` (the default) and `float64`. */
export const DTYPES = ["float32", "float64"] as const;

/** A floating dtype a loss computes in: one of {@link DTYPES}. */
export type DType = typeof DTYPES[number];

/** Whether `value` names one of the {@link DTYPES}. */
export function isDType(value: unknown): value is DType {
  return DTYPES.includes(value as DType);
}

/**
 * A tensor as plain data, the form of the golden files and of the HTTP API: flat row-major
 * values and a shape (`[]` for a scalar); `dtype` marks integer (`int`, `bool`) tensors.  `N` is
 * the type of a value: numbers here, or numbers and the strings of non-finite numbers on the
 * wire.
 */
export interface PlainTensor<N = number> {
  /** Its shape: `[]` for a scalar. */
  shape: number[];
  /** Its values, in row-major order. */
  data: N[];
  /** `int` or `bool` for integer tensors; floating by default. */
  dtype?: "float" | "int" | "bool";
}

/** A typed array of a floating dtype. */
export type FloatArray = Float32Array | Float64Array;

/** Any array whose elements read as numbers: what callers may hand the library. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Uint8ClampedArray
  | number[];

/** The typed-array constructor of each floating dtype. */
export const DTYPE_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** The largest rank the library accepts (PyTorch's losses never need more). */
export const MAX_RANK = 8;

/**
 * A dense, contiguous, row-major tensor: the form losses compute on.
 * `data.length` is the product of `shape` (1 for a scalar, `shape = []`).
 */
export interface Dense<A extends NumericArray = NumericArray> {
  /** Its shape: `[]` for a scalar. */
  shape: number[];
  /** Its values, in row-major order. */
  data: A;
}

/** A dense tensor of a floating dtype. */
export type FloatDense = Dense<FloatArray>;

function warmConstructors(): void {
  const shape = new Array(MAX_RANK).fill(1);
  for (const make of [Float32Array, Float64Array, Int32Array]) ndarray(new make(1), shape);
}
warmConstructors();

/** Number of elements of a shape: the product of its sizes (1 for `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const size of shape) n *= size;
  return n;
}

/** `[2, 3]` → `"[2, 3]"`, for messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major strides of a shape. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, step = 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
  return strides;
}

/** A zero-filled dense tensor of `dtype` and `shape`. */
export function zeros(dtype: DType, shape: readonly number[]): FloatDense {
  return { shape: [...shape], data: new DTYPE_ARRAYS[dtype](numel(shape)) };
}

/** A scalar (`shape = []`) dense tensor holding `value`. */
export function scalar(dtype: DType, value: number): FloatDense {
  const out = zeros(dtype, []);
  out.data[0] = value;
  return out;
}

function isRowMajor(array: NdArray<NumericArray>): boolean {
  const { shape, stride } = array;
  for (let i = shape.length - 1, step = 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== step) return false;
    step *= shape[i];
  }
  return true;
}

function isArrayLike(value: unknown): value is NumericArray {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/**
 * Reads an `ndarray` (any strides and offset) as a dense row-major tensor, checking that it is
 * one.  A row-major array is used in place (a `subarray` of its data): the fast path; a strided
 * view is gathered into a new array of the same element type.
 *
 * @param field The name of the argument, for errors (`inputs.target`).
 */
export function fromNdArray(array: unknown, field: string): Dense {
  const candidate = array as Partial<NdArray<NumericArray>> | null;
  if (
    typeof candidate !== "object" || candidate === null || !isArrayLike(candidate.data) ||
    !Array.isArray(candidate.shape) || !Array.isArray(candidate.stride) ||
    typeof candidate.offset !== "number"
  ) {
    throw new LossInputError(field, `${field} must be an ndarray`);
  }
  const nd = candidate as NdArray<NumericArray>;
  if (nd.shape.length > MAX_RANK) {
    throw new LossInputError(
      field,
      `${field} has ${nd.shape.length} dimensions, more than the ${MAX_RANK} supported`,
    );
  }
  for (const size of nd.shape) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new LossInputError(
        field,
        `${field} has shape ${formatShape(nd.shape)}; sizes must be integers >= 0`,
      );
    }
  }
  const shape = [...nd.shape];
  const size = numel(shape);
  if (size === 0) return { shape, data: emptyLike(nd.data) };
  checkBounds(nd, field);
  if (isRowMajor(nd)) {
    const data = nd.data;
    const end = nd.offset + size;
    return {
      shape,
      data: Array.isArray(data) ? data.slice(nd.offset, end) : data.subarray(nd.offset, end),
    };
  }
  return { shape, data: gather(nd, size) };
}

/**
 * Checks that `value` is a dense row-major tensor (`{shape, data}`, as a server's codecs
 * decode one) and returns it: the reader of {@link computeDense}, which uses it in place.
 *
 * @param field The name of the argument, for errors (`inputs.target`).
 */
export function readDense(value: unknown, field: string): Dense {
  const candidate = value as Partial<Dense> | null;
  if (
    typeof candidate !== "object" || candidate === null || !isArrayLike(candidate.data) ||
    !Array.isArray(candidate.shape)
  ) {
    throw new LossInputError(field, `${field} must be a tensor`);
  }
  const { shape, data } = candidate as Dense;
  if (shape.length > MAX_RANK) {
    throw new LossInputError(
      field,
      `${field} has ${shape.length} dimensions, more than the ${MAX_RANK} supported`,
    );
  }
  if (
    shape.some((size) => !Number.isSafeInteger(size) || size < 0) || numel(shape) !== data.length
  ) {
    throw new LossInputError(
      field,
      `${field} has shape ${formatShape(shape)} and ${data.length} values, which do not fit`,
    );
  }
  return { shape, data };
}

function emptyLike(data: NumericArray): NumericArray {
  return Array.isArray(data) ? [] : new (data.constructor as Float64ArrayConstructor)(0);
}

function checkBounds(nd: NdArray<NumericArray>, field: string): void {
  let low = nd.offset, high = nd.offset;
  for (let i = 0; i < nd.shape.length; i++) {
    const reach = (nd.shape[i] - 1) * nd.stride[i];
    if (reach < 0) low += reach;
    else high += reach;
  }
  if (low < 0 || high >= nd.data.length || !Number.isInteger(low) || !Number.isInteger(high)) {
    throw new LossInputError(field, `${field} reads outside its data (shape, stride and offset)`);
  }
}

function gather(nd: NdArray<NumericArray>, size: number): NumericArray {
  const { data } = nd;
  const out = Array.isArray(data)
    ? new Array<number>(size)
    : new (data.constructor as Float64ArrayConstructor)(size);
  const source = stridedIndices(nd.shape, nd.stride, nd.offset);
  for (let k = 0; k < size; k++) out[k] = data[source[k]];
  return out;
}

/**
 * The position in its data of each element of a strided array, in row-major order: `offset`
 * plus the sum of each index times its stride.  A stride of 0 repeats an element (broadcasting).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stridedIndices } from "./tensor.ts";
 * assert.deepEqual([...stridedIndices([2, 3], [1, 2], 0)], [0, 2, 4, 1, 3, 5]); // a transpose
 * assert.deepEqual([...stridedIndices([2, 2], [0, 1], 5)], [5, 6, 5, 6]); // a broadcast row
 * ```
 */
export function stridedIndices(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Int32Array | Float64Array {
  const size = numel(shape);
  const indices = offset + size < 2 ** 31 ? new Int32Array(size) : new Float64Array(size);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let k = 0; k < size; k++) {
    indices[k] = at;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) {
        at += strides[d];
        break;
      }
      at -= (shape[d] - 1) * strides[d];
      index[d] = 0;
    }
  }
  return indices;
}

/**
 * Converts a dense tensor to the floating `dtype`, rounding as PyTorch's `.to(dtype)` does.
 * Returns the same tensor when it already has that dtype.
 */
export function toFloat(tensor: Dense, dtype: DType): FloatDense {
  const make = DTYPE_ARRAYS[dtype];
  if (tensor.data instanceof make) return tensor as FloatDense;
  return { shape: tensor.shape, data: make.from(tensor.data as ArrayLike<number>) };
}

/** Wraps a dense tensor as an `ndarray` (its constructor was created at start-up). */
export function toNdArray<A extends NumericArray>(tensor: Dense<A>): NdArray<A> {
  return ndarray(tensor.data, tensor.shape);
}

/** Creates an `ndarray` of `dtype` from flat row-major `values` and a `shape`. */
export function ndarrayOf(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType = "float64",
): NdArray<FloatArray> {
  if (values.length !== numel(shape)) {
    throw new RangeError(`${values.length} values do not fill shape ${formatShape(shape)}`);
  }
  return ndarray(DTYPE_ARRAYS[dtype].from(values), [...shape]);
}

/** Creates an `ndarray` of int32 class indices (or lengths) from flat values and a shape. */
export function indexNdArrayOf(
  values: ArrayLike<number>,
  shape: readonly number[],
): NdArray<Int32Array> {
  if (values.length !== numel(shape)) {
    throw new RangeError(`${values.length} values do not fill shape ${formatShape(shape)}`);
  }
  return ndarray(Int32Array.from(values), [...shape]);
}
