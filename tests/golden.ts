/**
 * The reference cases (the project's golden files, copied into `tests/fixtures/`: PyTorch's for
 * the `torch.nn` losses, `torch-losses.json`, and its cases at the extremes, `torch-edges.json`;
 * the source libraries' for the losses beyond it, `beyond-torch-nn.json`) and the checks that
 * compare a result with them.
 *
 * @module
 */
import assert from "node:assert/strict";
import { computeLoss, indexNdArrayOf, LossInputError, ndarrayOf } from "../lib/mod.ts";
import type { DType, LossResult, NdArray, NumericArray } from "../lib/mod.ts";
import { assertRejectedField } from "./golden_rejections.ts";

/** A tensor as the golden file (and the HTTP API) writes it. */
export interface WireTensor {
  shape: number[];
  dtype?: "float" | "int" | "bool";
  data: (number | string | boolean)[];
}

/** One reference case, computed by PyTorch (or the library a loss beyond `torch.nn` follows). */
export interface GoldenCase {
  id: string;
  loss: string;
  dtype: DType;
  options: Record<string, unknown>;
  inputs: Record<string, WireTensor>;
  grad_output?: WireTensor;
  expected?: { output: WireTensor; grads?: Record<string, WireTensor> };
  error?: { type: string; message: string };
  warnings?: string[];
  /** What an edge case probes (torch-edges.json). */
  note?: string;
}

/** The golden files in `tests/fixtures/`, each `{meta, cases}` in the same format. */
export const GOLDEN_FILES = ["torch-losses.json", "beyond-torch-nn.json"] as const;

/** The reference cases of one golden file. */
export function casesOf(file: string): GoldenCase[] {
  const path = new URL(`./fixtures/${file}`, import.meta.url);
  return JSON.parse(Deno.readTextFileSync(path)).cases;
}

/** All the reference cases, of every golden file. */
export const goldenCases: GoldenCase[] = GOLDEN_FILES.flatMap(casesOf);

/**
 * PyTorch's answers at the extremes (float32 overflow, NaN and infinity propagation, PyTorch's
 * own formulas at huge values, GaussianNLLLoss's 2.11 var rule), in the same format.
 */
export const edgeCases: GoldenCase[] = casesOf("torch-edges.json");

/** A wire number (`"NaN"`, `"Infinity"`, `"-Infinity"` or a number) as a number. */
export function wireNumber(value: number | string | boolean): number {
  return typeof value === "string" ? Number(value) : Number(value);
}

/** A wire tensor as an `ndarray`: int32 for `"int"` and `"bool"`, else of `dtype`. */
export function toNdArray(tensor: WireTensor, dtype: DType): NdArray<NumericArray> {
  const values = tensor.data.map(wireNumber);
  return tensor.dtype === "int" || tensor.dtype === "bool"
    ? indexNdArrayOf(values, tensor.shape)
    : ndarrayOf(values, tensor.shape, dtype);
}

/** A case's options with its tensor options (`weight`, `pos_weight`) as `ndarray`s. */
export function optionsOf(golden: GoldenCase): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(golden.options)) {
    const isTensor = typeof value === "object" && value !== null && "shape" in value;
    options[key] = isTensor ? toNdArray(value as WireTensor, golden.dtype) : value;
  }
  return options;
}

/** A case's inputs as `ndarray`s. */
export function inputsOf(golden: GoldenCase): Record<string, NdArray<NumericArray>> {
  const inputs: Record<string, NdArray<NumericArray>> = {};
  for (const [key, value] of Object.entries(golden.inputs)) {
    inputs[key] = toNdArray(value, golden.dtype);
  }
  return inputs;
}

/** The golden file's tolerances: `|got - want| <= atol + rtol * |want|`. */
export const TOLERANCE = {
  float64: { atol: 1e-9, rtol: 1e-6 },
  float32: { atol: 2e-5, rtol: 2e-4 },
} as const;

/** Whether `got` matches `want` within the dtype's tolerance (NaN matches NaN). */
export function close(got: number, want: number, dtype: DType): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  const { atol, rtol } = TOLERANCE[dtype];
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

/** Asserts that a flat array of `shape` matches a wire tensor, naming the first mismatch. */
export function assertTensorClose(
  got: DecodedTensor,
  want: WireTensor,
  dtype: DType,
  label: string,
): void {
  assert.deepEqual(got.shape, want.shape, `${label}: shape`);
  assert.equal(got.data.length, want.data.length, `${label}: number of elements`);
  for (let i = 0; i < want.data.length; i++) {
    const expected = wireNumber(want.data[i]);
    if (!close(got.data[i], expected, dtype)) {
      assert.fail(`${label}[${i}]: got ${got.data[i]}, the reference has ${expected} (${dtype})`);
    }
  }
}

/** Row-major values of an `ndarray` (any strides). */
export function flatValues(array: NdArray<NumericArray>): number[] {
  const values: number[] = [];
  const index = new Array<number>(array.shape.length).fill(0);
  const size = array.shape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < size; k++) {
    values.push(array.get(...index) as number);
    for (let d = array.shape.length - 1; d >= 0; d--) {
      if (++index[d] < array.shape[d]) break;
      index[d] = 0;
    }
  }
  return values;
}

/** Computes a case through the library, with gradients unless the reference rejects it. */
export function replay(golden: GoldenCase): LossResult {
  return computeLoss(golden.loss, inputsOf(golden), optionsOf(golden), {
    dtype: golden.dtype,
    grad: golden.error === undefined,
    gradOutput: golden.grad_output && toNdArray(golden.grad_output, golden.dtype),
  });
}

/** A tensor as decoded numbers: the library's `ndarray`s flattened, or the API's wire form. */
export interface DecodedTensor {
  shape: number[];
  data: ArrayLike<number>;
}

/** What a loss computed, as decoded numbers, whether by the library or over HTTP. */
export interface DecodedResult {
  output: DecodedTensor;
  grads: Record<string, DecodedTensor>;
  warnings: string[];
}

/** A result of tensors of any form (`ndarray`s, wire tensors) as decoded numbers. */
export function decodeResult<T>(
  result: { output: T; grads: Record<string, T>; warnings: string[] },
  decode: (tensor: T) => DecodedTensor,
): DecodedResult {
  const grads = Object.entries(result.grads).map(([name, grad]) => [name, decode(grad)]);
  return {
    output: decode(result.output),
    grads: Object.fromEntries(grads),
    warnings: result.warnings,
  };
}

/**
 * Asserts that a result matches the reference's for a case it does not reject: the output and the
 * gradients within the dtype's tolerance, and the warnings.  `source` (the library, the API)
 * goes into the failure messages.
 */
export function assertMatchesCase(
  golden: GoldenCase,
  result: DecodedResult,
  source: string,
): void {
  const expected = golden.expected!;
  assertTensorClose(result.output, expected.output, golden.dtype, `${golden.id} output`);
  const wantGrads = expected.grads ?? {};
  assert.deepEqual(
    Object.keys(result.grads).sort(),
    Object.keys(wantGrads).sort(),
    `${golden.id}: gradients ${source} returned`,
  );
  for (const [name, want] of Object.entries(wantGrads)) {
    assertTensorClose(result.grads[name], want, golden.dtype, `${golden.id} grad ${name}`);
  }
  assertWarnings(golden, result.warnings, source);
}

/**
 * How long the golden file's warnings are at most: it keeps the first 200 characters of
 * PyTorch's text, so that one of this length may be cut short (KLDivLoss's is).
 */
export const GOLDEN_WARNING_LENGTH = 200;

/**
 * Asserts that `ours` are PyTorch's warnings for a case: each of PyTorch's is one of ours, the
 * same text, or the start of it where the golden file cut PyTorch's; and there is no other.
 */
export function assertWarnings(golden: GoldenCase, ours: string[], source: string): void {
  const unmatched = [...ours];
  for (const warning of golden.warnings ?? []) {
    assert.ok(warning.length > 0, `${golden.id}: the golden file has an empty warning`);
    const cut = warning.length >= GOLDEN_WARNING_LENGTH;
    const at = unmatched.findIndex((text) => text === warning || cut && text.startsWith(warning));
    assert.ok(
      at >= 0,
      `${golden.id}: PyTorch warns "${warning}"; ${source} said ${JSON.stringify(ours)}`,
    );
    unmatched.splice(at, 1);
  }
  assert.deepEqual(unmatched, [], `${golden.id}: ${source} warns what PyTorch does not`);
}

/**
 * Checks one case against the library: its output, gradients and warnings, or its rejection
 * and the field it names.
 * Shared by the golden replay and the no-code-generation test.
 */
export function checkCase(golden: GoldenCase): void {
  if (golden.error) {
    assert.throws(() => replay(golden), (error: unknown) => {
      assert.ok(error instanceof LossInputError, `${golden.id}: threw ${error}`);
      assertRejectedField(golden, error.field, "the library");
      assert.ok(error.message.includes(error.field), `${golden.id}: ${error.message}`);
      return true;
    }, `${golden.id}: the reference rejects this (${golden.error.message})`);
    return;
  }
  const decode = (array: NdArray<NumericArray>) => ({
    shape: array.shape,
    data: flatValues(array),
  });
  assertMatchesCase(golden, decodeResult(replay(golden), decode), "the library");
}
