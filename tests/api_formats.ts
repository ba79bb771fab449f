/**
 * The wire formats from the test side: requests built in each format (JSON numbers, JSON with
 * `{"npy": base64}` tensors and `"encoding": "npy"`, multipart with .npy parts, `Accept:
 * application/x-npz`), and answers in each decoded into numbers.  The .npz archives are opened
 * with npm `fflate`, not with the server's writer.
 *
 * @module
 */
import { unzipSync } from "fflate";
import { decodeNpyData, npyHeaderBytes, readNpyHeader } from "../functions/api/codecs/npy.ts";
import { fromBase64, toBase64 } from "../functions/api/wire.ts";

/** A request format. */
export type Format = "json" | "json-npy" | "multipart" | "npz";

/** Every format, the JSON numbers first (the answer the others must equal). */
export const FORMATS: readonly Format[] = ["json", "json-npy", "multipart", "npz"];

/** A tensor as the golden file and the JSON API write it. */
export interface PlainWire {
  shape: number[];
  data: (number | string | boolean)[];
  dtype?: "float" | "int" | "bool";
}

const number = (value: number | string | boolean) => Number(value);

/**
 * An .npy file of a plain tensor: `<f4` or `<f8` for floats (by `dtype`), `<i8` for integers,
 * `|b1` for booleans, as NumPy writes them.
 */
export function npyOf(tensor: PlainWire, dtype: "float32" | "float64"): Uint8Array<ArrayBuffer> {
  const values = tensor.data.map(number);
  let descr: string, data: ArrayBufferView;
  if (tensor.dtype === "int") {
    descr = "<i8";
    data = BigInt64Array.from(values, (v) => BigInt(v));
  } else if (tensor.dtype === "bool") {
    descr = "|b1";
    data = Uint8Array.from(values);
  } else if (dtype === "float32") {
    descr = "<f4";
    data = Float32Array.from(values);
  } else {
    descr = "<f8";
    data = Float64Array.from(values);
  }
  const header = npyHeaderBytes(tensor.shape, descr);
  const file = new Uint8Array(header.length + data.byteLength);
  file.set(header);
  file.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return file;
}

/** A tensor decoded into numbers. */
export interface Numbers {
  shape: number[];
  data: number[];
}

/** An answer decoded into numbers: output, gradients, warnings (and the rest of meta). */
export interface DecodedAnswer {
  loss: string;
  dtype: string;
  output: Numbers;
  grads: Record<string, Numbers>;
  warnings: string[];
  advice: unknown[];
}

/** The numbers of an .npy file. */
export function npyNumbers(file: Uint8Array): Numbers {
  const header = readNpyHeader(file, "answer");
  return { shape: header.shape, data: [...decodeNpyData(file, header)].map(Number) };
}

/** The tensors of an .npz archive, by member name without `.npy`, and its other members. */
export function openNpz(bytes: Uint8Array): {
  arrays: Record<string, Numbers>;
  files: Record<string, Uint8Array>;
} {
  const arrays: Record<string, Numbers> = {};
  const files: Record<string, Uint8Array> = {};
  for (const [name, member] of Object.entries(unzipSync(bytes))) {
    if (name.endsWith(".npy")) arrays[name.slice(0, -4)] = npyNumbers(member);
    else files[name] = member;
  }
  return { arrays, files };
}

/** An .npz answer decoded as the JSON answer reads. */
export function decodeNpzAnswer(bytes: Uint8Array): DecodedAnswer {
  const { arrays, files } = openNpz(bytes);
  const meta = JSON.parse(new TextDecoder().decode(files["meta.json"]));
  const grads: Record<string, Numbers> = {};
  for (const [name, array] of Object.entries(arrays)) {
    if (name.startsWith("grad_")) grads[name.slice(5)] = array;
  }
  return { ...meta, output: arrays.output, grads };
}

interface JsonTensor {
  shape: number[];
  data?: (number | string)[];
  npy?: string;
  dtype?: string;
}

/** A JSON answer (numbers or `"encoding": "npy"`) decoded into numbers. */
export function decodeJsonAnswer(body: {
  loss: string;
  dtype: string;
  output: JsonTensor;
  grads: Record<string, JsonTensor>;
  warnings: string[];
  advice: unknown[];
}): DecodedAnswer {
  const decode = (tensor: JsonTensor): Numbers => {
    if (tensor.npy !== undefined) {
      const numbers = npyNumbers(fromBase64(tensor.npy));
      if (JSON.stringify(numbers.shape) !== JSON.stringify(tensor.shape)) {
        throw new Error(`shape ${tensor.shape} beside an .npy of shape ${numbers.shape}`);
      }
      return numbers;
    }
    return { shape: tensor.shape, data: tensor.data!.map(number) };
  };
  const grads: Record<string, Numbers> = {};
  for (const [name, grad] of Object.entries(body.grads)) grads[name] = decode(grad);
  return { ...body, output: decode(body.output), grads };
}

/** A request body in the wire form, its tensors found by place. */
export interface WireRequest {
  inputs: Record<string, PlainWire>;
  options?: Record<string, unknown>;
  dtype?: "float32" | "float64";
  grad?: boolean;
  grad_output?: PlainWire;
}

const isTensor = (value: unknown): value is PlainWire =>
  typeof value === "object" && value !== null && "shape" in value && "data" in value;

/**
 * The `fetch` options that post `request` in `format`: `accept` (JSON, or .npz) for the
 * multipart format; the .npz format sends JSON numbers and accepts .npz.
 */
export function requestIn(
  request: WireRequest,
  format: Format,
  accept: "json" | "npz" = "json",
): RequestInit {
  const dtype = request.dtype ?? "float32";
  const headers: Record<string, string> = {};
  if (format === "npz" || (format === "multipart" && accept === "npz")) {
    headers.Accept = "application/x-npz";
  }
  if (format === "json" || format === "npz") {
    return {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(request),
    };
  }
  const options = Object.entries(request.options ?? {});
  if (format === "json-npy") {
    const npy = (tensor: PlainWire) => ({
      npy: toBase64(npyOf(tensor, dtype)),
      shape: tensor.shape,
    });
    const body: Record<string, unknown> = {
      ...request,
      inputs: Object.fromEntries(Object.entries(request.inputs).map(([k, v]) => [k, npy(v)])),
      options: Object.fromEntries(options.map(([k, v]) => [k, isTensor(v) ? npy(v) : v])),
      encoding: "npy",
    };
    if (request.grad_output) body.grad_output = npy(request.grad_output);
    return {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
  }
  const form = new FormData();
  const fields = {
    dtype: request.dtype,
    grad: request.grad,
    options: Object.fromEntries(options.filter(([, v]) => !isTensor(v))),
  };
  form.append("request", new Blob([JSON.stringify(fields)], { type: "application/json" }));
  const file = (tensor: PlainWire) => new Blob([npyOf(tensor, dtype)]);
  for (const [name, tensor] of Object.entries(request.inputs)) {
    form.append(`inputs.${name}`, file(tensor), `${name}.npy`);
  }
  for (const [name, value] of options) {
    if (isTensor(value)) form.append(`options.${name}`, file(value), `${name}.npy`);
  }
  if (request.grad_output) form.append("grad_output", file(request.grad_output), "g.npy");
  return { method: "POST", headers, body: form };
}

/** Decodes a 200 answer of any format. */
export async function decodeAnswer(response: Response): Promise<DecodedAnswer> {
  if (response.headers.get("Content-Type") === "application/x-npz") {
    return decodeNpzAnswer(new Uint8Array(await response.arrayBuffer()));
  }
  return decodeJsonAnswer(await response.json());
}

/** Two decoded answers' numbers and words are the same (NaN equal to NaN, -0 to 0, as JSON). */
export function sameAnswer(a: DecodedAnswer, b: DecodedAnswer): string | undefined {
  const tensor = (x: Numbers, y: Numbers, what: string) => {
    if (JSON.stringify(x.shape) !== JSON.stringify(y.shape)) {
      return `${what}: shape ${x.shape} against ${y.shape}`;
    }
    for (let i = 0; i < x.data.length; i++) {
      const p = x.data[i], q = y.data[i];
      if (!(p === q || (Number.isNaN(p) && Number.isNaN(q)))) {
        return `${what}[${i}]: ${p} against ${q}`;
      }
    }
  };
  if (a.loss !== b.loss || a.dtype !== b.dtype) {
    return `loss ${a.loss} ${a.dtype}, ${b.loss} ${b.dtype}`;
  }
  const out = tensor(a.output, b.output, "output");
  if (out) return out;
  const names = Object.keys(a.grads).sort().join();
  if (names !== Object.keys(b.grads).sort().join()) return `grads ${names}`;
  for (const name of Object.keys(a.grads)) {
    const wrong = tensor(a.grads[name], b.grads[name], `grad ${name}`);
    if (wrong) return wrong;
  }
  if (JSON.stringify([a.warnings, a.advice]) !== JSON.stringify([b.warnings, b.advice])) {
    return "warnings or advice";
  }
}
