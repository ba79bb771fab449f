/**
 * NumPy's .npy format, both ways: a file's header read (versions 1.0 to 3.0, little- or
 * big-endian, C or Fortran order) before its data, so that its shape is known and checked
 * against the limits first; its data decoded into a dense row-major typed array; and dense
 * float tensors written as version 1.0 files.
 *
 * A file is the magic `\x93NUMPY`, a major and minor version byte, the header's length (two
 * bytes little-endian in 1.0, four in 2.0 and 3.0), the header, a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces to a multiple
 * of 64 bytes and ended by a newline (latin-1; UTF-8 in 3.0), then the raw elements.
 *
 * @module
 */
import {
  type Dense,
  type FloatArray,
  fromNdArray,
  LossInputError,
  MAX_RANK,
} from "../../../lib/mod.ts";
import type { DecodedTensor } from "../decoded.ts";
import type { ElementBudget } from "../limits.ts";
import { ProblemError } from "../problem.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** The longest header read: NumPy writes about 128 bytes; 3.0 headers may hold long names. */
const MAX_HEADER_BYTES = 65_536;

/** The element types read, by NumPy's type character and size: NumPy's name of each. */
const SUPPORTED: Record<string, string> = {
  f2: "float16",
  f4: "float32",
  f8: "float64",
  i1: "int8",
  i2: "int16",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
  u2: "uint16",
  u4: "uint32",
  u8: "uint64",
  b1: "bool",
};

/** What NumPy's type characters that are not read stand for, for messages. */
const UNSUPPORTED_KINDS: Record<string, string> = {
  c: "complex",
  O: "object",
  U: "unicode string",
  S: "byte string",
  a: "byte string",
  V: "void (raw or structured)",
  M: "datetime",
  m: "timedelta",
};

/** The names of the dtypes read, for messages. */
export const NPY_DTYPES = "float32, float64, float16, int64, int32, int16, int8, uint8 (and " +
  "uint16, uint32, uint64) and bool";

/** An .npy file's header, read and checked. */
export interface NpyHeader {
  version: string;
  /** The header's `descr`, as written (`<f4`). */
  descr: string;
  /** NumPy's name of the element type (`float32`). */
  dtype: string;
  /** The type character and size (`f4`). */
  code: string;
  itemSize: number;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Where the data starts in the file. */
  dataOffset: number;
}

const invalid = (field: string, message: string) =>
  new LossInputError(field, `${field} is not a valid .npy file: ${message}`);

/**
 * Reads and checks the header of the .npy file `bytes` at `field` (`inputs.input`).
 *
 * @throws LossInputError (400) naming `field` for a file that is not .npy, is truncated or whose
 *   header is malformed; ProblemError `unsupported-media-type` (415) for a dtype not read
 *   (complex, object, structured, strings...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpy, readNpyHeader } from "./npy.ts";
 * const file = encodeNpy({ shape: [2, 3], data: new Float32Array(6) });
 * const header = readNpyHeader(file, "inputs.input");
 * assert.deepEqual([header.descr, header.shape, header.dataOffset], ["<f4", [2, 3], 128]);
 * ```
 */
export function readNpyHeader(bytes: Uint8Array, field: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw invalid(
      field,
      `it does not start with the magic string \\x93NUMPY (${bytes.length} bytes)`,
    );
  }
  const major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) {
    throw invalid(field, `its version is ${major}.${minor}; versions 1.0, 2.0 and 3.0 are read`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw invalid(field, "it is truncated in its prefix");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (headerLength > bytes.length - start) {
    throw invalid(
      field,
      `its prefix says the header is ${headerLength} bytes, but only ${bytes.length - start} ` +
        "follow (truncated, or a header that lies about its size)",
    );
  }
  if (headerLength > MAX_HEADER_BYTES) {
    throw invalid(field, `its header is ${headerLength} bytes, more than ${MAX_HEADER_BYTES}`);
  }
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true })
      .decode(bytes.subarray(start, start + headerLength));
  } catch {
    throw invalid(field, "its header is not UTF-8 text");
  }
  const header = parseHeaderDict(text, field);
  const descr = header.descr;
  if (Array.isArray(descr)) {
    throw new ProblemError(
      "unsupported-media-type",
      `${field} is an .npy file of a structured dtype (fields ${
        descr.map((f) => (Array.isArray(f) ? JSON.stringify(f[0]) : "?")).join(", ")
      }), which is not read; a tensor is one of ${NPY_DTYPES}`,
      field,
    );
  }
  if (typeof descr !== "string") throw invalid(field, "its header's descr is not a string");
  const match = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  const code = match ? `${match[2] === "?" ? "b" : match[2]}${match[3] || "1"}` : "";
  const dtype = SUPPORTED[code];
  if (!match || !dtype) {
    const kind = match ? UNSUPPORTED_KINDS[match[2]] : undefined;
    throw new ProblemError(
      "unsupported-media-type",
      `${field} is an .npy file of dtype ${JSON.stringify(descr)}${
        kind ? ` (${kind})` : ""
      }, which is not read; a tensor is one of ${NPY_DTYPES}`,
      field,
    );
  }
  const itemSize = Number(code.slice(1));
  const order = match[1];
  if (order === "|" && itemSize > 1) {
    throw invalid(
      field,
      `its descr ${JSON.stringify(descr)} has no byte order for ${itemSize} bytes`,
    );
  }
  if (typeof header.fortran_order !== "boolean") {
    throw invalid(field, "its header's fortran_order is not True or False");
  }
  const shape = header.shape;
  if (!Array.isArray(shape) || shape.some((size) => typeof size !== "number")) {
    throw invalid(field, "its header's shape is not a tuple of integers");
  }
  if (shape.length > MAX_RANK) {
    throw new LossInputError(
      field,
      `${field} has ${shape.length} dimensions, more than the ${MAX_RANK} supported`,
    );
  }
  return {
    version: `${major}.${minor}`,
    descr,
    dtype,
    code,
    itemSize,
    littleEndian: order !== ">",
    fortranOrder: header.fortran_order,
    shape: shape as number[],
    dataOffset: start + headerLength,
  };
}

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/**
 * Parses the header, a Python dict literal of strings, integers, booleans, tuples and lists,
 * and checks that it has NumPy's three keys and no other.
 */
function parseHeaderDict(text: string, field: string): Record<string, PyValue> {
  let at = 0;
  const fail = (what: string): never => {
    throw invalid(field, `its header is not a dict literal (${what} at character ${at})`);
  };
  const space = () => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 8) fail("nested too deep");
    space();
    const char = text[at];
    if (char === "'" || char === '"') {
      const end = text.indexOf(char, at + 1);
      if (end < 0) fail("an unterminated string");
      const string = text.slice(at + 1, end);
      if (string.includes("\\")) fail("an escape in a string");
      at = end + 1;
      return string;
    }
    if (char === "(" || char === "[") {
      const close = char === "(" ? ")" : "]";
      at++;
      const items: PyValue[] = [];
      for (;;) {
        space();
        if (text[at] === close) {
          at++;
          return items;
        }
        items.push(value(depth + 1));
        space();
        if (text[at] === ",") at++;
        else if (text[at] !== close) fail(`a missing "," or "${close}"`);
      }
    }
    if (char === "{") {
      at++;
      const dict: Record<string, PyValue> = Object.create(null);
      for (;;) {
        space();
        if (text[at] === "}") {
          at++;
          return dict;
        }
        const key = value(depth + 1);
        if (typeof key !== "string") fail("a key that is not a string");
        space();
        if (text[at] !== ":") fail('a missing ":"');
        at++;
        if (Object.hasOwn(dict, key as string)) fail(`the key ${key} twice`);
        dict[key as string] = value(depth + 1);
        space();
        if (text[at] === ",") at++;
        else if (text[at] !== "}") fail('a missing "," or "}"');
      }
    }
    const word = /^(?:True|False|None|\d+L?)/.exec(text.slice(at, at + 24))?.[0];
    if (!word) return fail("an unexpected character");
    at += word.length;
    if (word === "True") return true;
    if (word === "False") return false;
    if (word === "None") return null;
    const number = Number(word.replace("L", ""));
    if (!Number.isSafeInteger(number)) fail("an integer too large");
    return number;
  };
  const dict = value(0);
  space();
  if (at !== text.length) fail("text after the dict");
  if (typeof dict !== "object" || dict === null || Array.isArray(dict)) return fail("not a dict");
  const keys = Object.keys(dict).sort().join(", ");
  if (keys !== "descr, fortran_order, shape") {
    throw invalid(field, `its header has the keys ${keys}, not descr, fortran_order and shape`);
  }
  return dict;
}

/**
 * Reads the .npy file `bytes` at `field` as a tensor: its header now, checked against the
 * binary limits of `budget` and against the length of its data, and its data when first used.
 *
 * @param integers Whether the place takes integers only (class indices, lengths): a floating
 *   file there is refused, as a JSON tensor marked `"dtype": "float"` is.
 * @throws LossInputError naming `field`: 400 for a malformed or truncated file, or data that
 *   its header does not describe; 413 (`too-large`) past the binary limits.
 */
export function npyTensor(
  bytes: Uint8Array,
  field: string,
  budget: ElementBudget,
  integers = false,
): DecodedTensor {
  const header = readNpyHeader(bytes, field);
  const { shape, itemSize } = header;
  budget.takeBinary(field, shape);
  const size = shape.reduce((a, b) => a * b, 1);
  const need = size * itemSize;
  const have = bytes.length - header.dataOffset;
  if (have !== need) {
    const described = `shape (${shape.join(", ")}) of ${header.descr} needs ${need} bytes of data`;
    throw invalid(
      field,
      have < need
        ? `its header's ${described}, but only ${have} follow (truncated)`
        : `its header's ${described}, but ${have} follow (a header that does not describe its data)`,
    );
  }
  if (integers && header.code[0] === "f") {
    // Named as a JSON tensor's `"dtype": "float"` is, so that every format names one field.
    const dtypeField = `${field.replace(/\.npy$/, "")}.dtype`;
    throw new LossInputError(
      dtypeField,
      `${dtypeField} is the .npy dtype ${header.dtype}, but the tensor must hold integers ` +
        "(class indices, labels or lengths)",
    );
  }
  let dense: Dense | undefined;
  return {
    shape,
    binary: true,
    dense: () => dense ??= { shape, data: decodeNpyData(bytes, header) },
  };
}

/**
 * Where a file's data is, as an `ArrayBuffer` and an offset: the request's own bytes where they
 * are aligned for their element type and need no change, else a copy of their own.
 */
function dataBytes(bytes: Uint8Array, header: NpyHeader, size: number, copy: boolean) {
  const start = bytes.byteOffset + header.dataOffset;
  if (!copy && start % header.itemSize === 0) {
    return { buffer: bytes.buffer as ArrayBuffer, offset: start };
  }
  const own = bytes.slice(header.dataOffset, header.dataOffset + size * header.itemSize);
  return { buffer: own.buffer, offset: 0 };
}

/** Reverses the bytes of each `itemSize`-byte element, in place. */
function swapBytes(buffer: ArrayBuffer, itemSize: number): void {
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** The typed arrays that hold an .npy file's data as it is, by type code. */
const PLAIN_ARRAYS: Readonly<
  Record<string, new (buffer: ArrayBufferLike, offset: number, length: number) => Dense["data"]>
> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  i2: Int16Array,
  i4: Int32Array,
  u1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
};

/**
 * The data of an .npy file as a dense row-major typed array: float16 widened to float32,
 * bool as 0/1 bytes, 64-bit integers as int32 when every value fits and as float64 otherwise;
 * big-endian data swapped, Fortran order transposed.
 */
export function decodeNpyData(bytes: Uint8Array, header: NpyHeader): Dense["data"] {
  const size = header.shape.reduce((a, b) => a * b, 1);
  // Copied where the bytes change (swapped, or made 0/1), so that the request's bytes stay.
  const swap = header.littleEndian !== LITTLE_ENDIAN_HOST && header.itemSize > 1;
  const { buffer, offset } = dataBytes(bytes, header, size, swap || header.code === "b1");
  if (swap) swapBytes(buffer, header.itemSize);
  let data: Dense["data"];
  const plain = PLAIN_ARRAYS[header.code];
  if (plain) data = new plain(buffer, offset, size);
  else if (header.code === "f2") data = halfToFloat(new Uint16Array(buffer, offset, size));
  else if (header.code === "i8" || header.code === "u8") {
    data = wideIntegers(new Uint32Array(buffer, offset, 2 * size), header.code === "i8");
  } else {
    const bits = new Uint8Array(buffer, offset, size);
    for (let i = 0; i < bits.length; i++) bits[i] = bits[i] === 0 ? 0 : 1;
    data = bits;
  }
  return header.fortranOrder && header.shape.length > 1
    ? fromColumnMajor(data, header.shape)
    : data;
}

/** 64-bit integers (as pairs of 32-bit words, low first) as int32, or float64 where one does not fit. */
function wideIntegers(words: Uint32Array, signed: boolean): Int32Array | Float64Array {
  const n = words.length / 2;
  let fits = true;
  for (let i = 0; i < n && fits; i++) {
    const low = words[2 * i], high = words[2 * i + 1];
    fits = signed
      ? (high === 0 && low < 2 ** 31) || (high === 0xffffffff && low >= 2 ** 31)
      : high === 0 && low < 2 ** 31;
  }
  if (fits) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = words[2 * i];
    return out;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const high = words[2 * i + 1];
    out[i] = (signed ? high | 0 : high) * 2 ** 32 + words[2 * i];
  }
  return out;
}

/** IEEE half-precision bits as float32 values (exact: every float16 is a float32). */
function halfToFloat(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    out[i] = exponent === 0
      ? sign * fraction * 2 ** -24
      : exponent === 31
      ? (fraction ? NaN : sign * Infinity)
      : sign * (1024 + fraction) * 2 ** (exponent - 25);
  }
  return out;
}

/** Column-major (Fortran order) values of `shape` gathered into row-major order. */
function fromColumnMajor(data: Dense["data"], shape: readonly number[]): Dense["data"] {
  const stride = new Array<number>(shape.length);
  for (let d = 0, step = 1; d < shape.length; step *= shape[d++]) stride[d] = step;
  return fromNdArray({ data, shape, stride, offset: 0 }, "data").data;
}

/** NumPy's `descr` of a float array: little-endian `<f4` or `<f8`. */
export function descrOf(data: FloatArray): "<f4" | "<f8" {
  return data instanceof Float32Array ? "<f4" : "<f8";
}

/**
 * The header of a version 1.0 .npy file (C order, little-endian) of `shape` and `descr`, padded
 * as NumPy pads it: magic, version and header together a multiple of 64 bytes.
 */
export function npyHeaderBytes(shape: readonly number[], descr: string): Uint8Array {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 10 - 1, " ") + "\n";
  const bytes = new Uint8Array(total);
  bytes.set(MAGIC);
  bytes[6] = 1;
  bytes[7] = 0;
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  return bytes;
}

/** The little-endian bytes of a float array: its own memory on a little-endian host. */
export function littleEndianBytes(data: FloatArray): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN_HOST) return bytes;
  const copy = bytes.slice();
  swapBytes(copy.buffer, data.BYTES_PER_ELEMENT);
  return copy;
}

/**
 * A dense float tensor as an .npy file (version 1.0, C order, little-endian, `<f4` or `<f8`):
 * the bytes of its values, bit for bit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpy } from "./npy.ts";
 * const file = encodeNpy({ shape: [], data: new Float64Array([0.5]) });
 * assert.equal(file.length, 128 + 8);
 * const header = new TextDecoder().decode(file.subarray(10, 128));
 * assert.equal(header.trim(), "{'descr': '<f8', 'fortran_order': False, 'shape': (), }");
 * ```
 */
export function encodeNpy(tensor: Dense<FloatArray>): Uint8Array<ArrayBuffer> {
  const header = npyHeaderBytes(tensor.shape, descrOf(tensor.data));
  const file = new Uint8Array(header.length + tensor.data.byteLength);
  file.set(header);
  file.set(littleEndianBytes(tensor.data), header.length);
  return file;
}
