/**
 * Property-based fuzzing of `POST /api/v1/losses/{name}` (fast-check), derived from the registry:
 * every loss's `sample` gives valid inputs and `optionsOf` its options, so a new loss is
 * fuzzed with no change here.
 *
 * - Valid requests (random seeds, dtypes, wire forms, options, `grad_output`, non-finite
 *   values) must answer exactly what `computeLoss` answers when called directly; when the
 *   library itself rejects a random option, the server must answer 4xx naming the same field.
 * - Invalid requests (each a mutation of a valid one) must answer a 4xx problem whose `field`
 *   is the mutated field and whose `detail` names it.
 * - Every answer: no 5xx, a request id, no stack trace, file path or internal name.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type AnyLoss,
  computeLoss,
  createRandom,
  indexNdArrayOf,
  losses,
  LossInputError,
  type NdArray,
  ndarrayOf,
  type NumericArray,
  optionsOf,
  type OptionSpec,
  type PlainTensor,
} from "../lib/mod.ts";
import { encodeResult } from "../functions/api/request.ts";
import { toBase64 } from "../functions/api/wire.ts";
import { npyOf } from "./api_formats.ts";

/** One generated request and what its answer must be. */
export interface FuzzCase {
  loss: string;
  /** What the case is, for a failure message. */
  kind: string;
  body: string | Uint8Array<ArrayBuffer>;
  contentType?: string;
  /** The answer a valid request must give, as JSON. */
  expected?: unknown;
  /**
   * The status and field an invalid one must give: the field exactly, or as a prefix; with
   * `lenient` (a corrupted .npy that may still be valid), a 200 passes too.
   */
  problem?: { status?: number; field: string; prefix?: boolean; lenient?: boolean };
}

type Dtype = "float32" | "float64";
type Json = unknown;

/** `[[1, 2], [3, 4]]` from a flat tensor (a bare number for a scalar). */
function nested(shape: readonly number[], data: readonly Json[]): Json {
  if (shape.length === 0) return data[0];
  const build = (depth: number, offset: number): Json[] => {
    const stride = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from(
      { length: shape[depth] },
      (_, i) =>
        depth === shape.length - 1 ? data[offset + i] : build(depth + 1, offset + i * stride),
    );
  };
  return build(0, 0);
}

/** A number as the wire writes it. */
const wire = (value: number): Json => Number.isFinite(value) ? value : String(value);

function wireTensor(tensor: PlainTensor, flat: boolean): Json {
  const data = tensor.data.map(wire);
  if (flat) {
    return tensor.dtype
      ? { shape: tensor.shape, data, dtype: tensor.dtype }
      : { shape: tensor.shape, data };
  }
  return nested(tensor.shape, data);
}

function ndarrayFor(tensor: PlainTensor, dtype: Dtype): NdArray<NumericArray> {
  return tensor.dtype === "int"
    ? indexNdArrayOf(tensor.data, tensor.shape)
    : ndarrayOf(tensor.data, tensor.shape, dtype);
}

/** The direct call: `computeLoss`'s answer encoded as the server encodes it, or its error. */
function direct(
  loss: AnyLoss,
  inputs: Record<string, PlainTensor>,
  options: Record<string, unknown>,
  dtype: Dtype,
  grad: boolean,
  gradOutput?: PlainTensor,
): { answer: Json } | { error: LossInputError } {
  const arrays: Record<string, NdArray<NumericArray>> = {};
  for (const [name, tensor] of Object.entries(inputs)) arrays[name] = ndarrayFor(tensor, dtype);
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    values[name] = isPlain(value) ? ndarrayFor(value, dtype) : value;
  }
  try {
    const settings = { dtype, grad, gradOutput: gradOutput && ndarrayFor(gradOutput, dtype) };
    const result = computeLoss(loss.name, arrays, values, settings);
    return { answer: JSON.parse(JSON.stringify(encodeResult(result))) };
  } catch (error) {
    if (error instanceof LossInputError) return { error };
    throw error;
  }
}

function isPlain(value: unknown): value is PlainTensor {
  return typeof value === "object" && value !== null && "shape" in value && "data" in value;
}

const lastDimension = (loss: AnyLoss, inputs: Record<string, PlainTensor>) => {
  const shape = inputs[loss.inputs[0].name].shape;
  return shape[shape.length - 1] ?? 1;
};

/** A valid value of one option (the library may still reject a combination). */
function optionValue(
  spec: OptionSpec,
  classes: number,
): fc.Arbitrary<unknown> {
  switch (spec.type) {
    case "string":
      return fc.constantFrom(...spec.enum);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.oneof(
        { weight: 4, arbitrary: fc.constant(spec.default) },
        { weight: 1, arbitrary: fc.integer({ min: spec.minimum ?? -3, max: classes }) },
      );
    case "number": {
      if (spec.oneOf) return fc.constantFrom(...spec.oneOf);
      const low = spec.minimum ??
        (spec.exclusiveMinimum !== undefined ? spec.exclusiveMinimum + 1e-3 : -3);
      const high = spec.maximum ??
        (spec.exclusiveMaximum !== undefined ? spec.exclusiveMaximum - 1e-3 : low + 5);
      const inRange = fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true });
      return spec.orOneOf ? fc.oneof(inRange, fc.constantFrom(...spec.orOneOf)) : inRange;
    }
    case "axes":
      // In range or not for the sample's rank: the library rejects what is not, naming the field.
      return fc.oneof(
        fc.constant(null),
        fc.integer({ min: -3, max: 2 }),
        fc.uniqueArray(fc.integer({ min: -3, max: 2 }), { minLength: 1, maxLength: 3 }),
      );
    case "tensor":
      return fc.array(fc.double({ min: 0.1, max: 3, noNaN: true }), {
        minLength: classes,
        maxLength: classes,
      }).map((data): PlainTensor => ({ shape: [classes], data }));
  }
}

/** A valid request: a seeded sample, random options, dtype, wire forms and `grad_output`. */
export function validCase(): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...losses).chain((loss) => {
    const base = loss.sample(createRandom(0));
    const classes = lastDimension(loss, base);
    const optionArbitraries: Record<string, fc.Arbitrary<unknown>> = {};
    for (const spec of optionsOf(loss)) optionArbitraries[spec.name] = optionValue(spec, classes);
    return fc.record({
      seed: fc.nat(),
      dtype: fc.constantFrom<Dtype>("float32", "float64"),
      grad: fc.boolean(),
      flat: fc.array(fc.boolean(), {
        minLength: loss.inputs.length,
        maxLength: loss.inputs.length,
      }),
      options: fc.record(optionArbitraries, { requiredKeys: [] }),
      special: fc.option(
        fc.record({ at: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity, 1e30, 1e-30) }),
        { freq: 4 },
      ),
      gradOutputSeed: fc.option(fc.nat(), { freq: 2 }),
    }).map(({ seed, dtype, grad, flat, options, special, gradOutputSeed }): FuzzCase => {
      const inputs = loss.sample(createRandom(seed));
      if (special) {
        const floats = loss.inputs.filter((spec) => inputs[spec.name].dtype !== "int");
        const spec = floats[special.at % Math.max(floats.length, 1)];
        const data = spec && inputs[spec.name].data;
        if (data?.length) data[special.at % data.length] = special.value;
      }
      let gradOutput: PlainTensor | undefined;
      if (grad && gradOutputSeed !== null) {
        const forward = direct(loss, inputs, options, dtype, false);
        if ("answer" in forward) {
          const shape = (forward.answer as { output: PlainTensor }).output.shape;
          gradOutput = createRandom(gradOutputSeed).randn(shape);
        }
      }
      const body: Record<string, Json> = {
        inputs: Object.fromEntries(
          loss.inputs.map((spec, i) => [spec.name, wireTensor(inputs[spec.name], flat[i])]),
        ),
        options: Object.fromEntries(
          Object.entries(options).map(([name, value]) => [
            name,
            isPlain(value) ? wireTensor(value, true) : value,
          ]),
        ),
        dtype,
        grad,
      };
      if (gradOutput) body.grad_output = wireTensor(gradOutput, false);
      const result = direct(loss, inputs, options, dtype, grad, gradOutput);
      const kind = `valid ${loss.name} seed ${seed}`;
      return "answer" in result
        ? { loss: loss.slug, kind, body: JSON.stringify(body), expected: result.answer }
        : {
          loss: loss.slug,
          kind: `${kind}, rejected by the library: ${result.error.message}`,
          body: JSON.stringify(body),
          problem: { field: result.error.field },
        };
    });
  });
}

/** Splices raw JSON text in place of the string `"@RAW@"` (what `JSON.stringify` cannot write). */
const RAW = "@RAW@";
const splice = (body: Json, raw: string) => JSON.stringify(body).replace(`"${RAW}"`, raw);

const WRONG_TYPES: Json[] = ["abc", true, { a: 1 }, [true]];
const wrongFor = (spec: OptionSpec): Json[] => {
  switch (spec.type) {
    case "number":
      return ["abc", true, [1], { a: 1 }, "toString"];
    case "integer":
      return [1.5, "abc", true, [1]];
    case "boolean":
      return [1, "true", [true], { a: 1 }];
    case "string":
      return [5, true, "no-such-value", ["mean"]];
    case "axes":
      return [1.5, "abc", true, [], [0.5], { a: 1 }];
    case "tensor":
      return ["abc", true, { shape: [-1], data: [] }, [[1], [1, 2]]];
  }
};
const DEEP = 20_000;
const deep = "[".repeat(DEEP) + "1" + "]".repeat(DEEP);

/** The mutations that make a valid request invalid, each naming the field it breaks. */
type Mutation = (
  loss: AnyLoss,
  inputs: Record<string, PlainTensor>,
  pick: number,
  body: Record<string, Json>,
) => Omit<FuzzCase, "loss">;

const inputAt = (loss: AnyLoss, pick: number) => loss.inputs[pick % loss.inputs.length].name;
const withInput = (body: Record<string, Json>, name: string, value: Json) => ({
  ...body,
  inputs: { ...(body.inputs as object), [name]: value },
});

const MUTATIONS: Record<string, Mutation> = {
  "wrong type of a request field": (_loss, _inputs, pick, body) => {
    const fields: [string, Json[]][] = [
      ["inputs", [5, "abc", [1], true]],
      ["options", [5, "abc", [1], true]],
      ["dtype", [5, true, "float16", "int64", [], {}]],
      ["grad", ["yes", 1, [], {}]],
    ];
    const [field, values] = fields[pick % fields.length];
    return {
      kind: `${field} is ${JSON.stringify(values[pick % values.length])}`,
      body: JSON.stringify({ ...body, [field]: values[pick % values.length] }),
      problem: { status: 400, field },
    };
  },
  "wrong type of an input": (loss, _inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const value = [...WRONG_TYPES, { shape: "2", data: [] }, [["x"]], null][pick % 7];
    return {
      kind: `inputs.${name} is ${JSON.stringify(value)}`,
      body: JSON.stringify(withInput(body, name, value)),
      problem: { status: 400, field: `inputs.${name}`, prefix: true },
    };
  },
  "wrong type of an option": (loss, _inputs, pick, body) => {
    const specs = optionsOf(loss);
    if (specs.length === 0) return MUTATIONS["unknown key"](loss, _inputs, pick, body);
    const spec = specs[pick % specs.length];
    const values = wrongFor(spec);
    const value = values[Math.floor(pick / specs.length) % values.length];
    return {
      kind: `options.${spec.name} is ${JSON.stringify(value)}`,
      body: JSON.stringify({ ...body, options: { [spec.name]: value } }),
      problem: { status: 400, field: `options.${spec.name}`, prefix: true },
    };
  },
  "unknown key": (_loss, _inputs, pick, body) => {
    const key = ["__proto__", "constructor", "gradient", "toString", "hasOwnProperty"][pick % 5];
    const where = pick % 3;
    const raw = `{"${key}": 1, ${JSON.stringify(body).slice(1)}`;
    if (where === 0) return { kind: `key ${key}`, body: raw, problem: { status: 400, field: key } };
    const [member, prefix] = where === 1 ? ["inputs", "inputs"] : ["options", "options"];
    const inner = JSON.stringify(body[member] ?? {});
    const spliced = `{"${key}": [1], ${inner.slice(1)}`.replace(", }", "}");
    return {
      kind: `${member}.${key}`,
      body: JSON.stringify({ ...body, [member]: RAW }).replace(`"${RAW}"`, spliced),
      problem: { status: 400, field: `${prefix}.${key}` },
    };
  },
  "unknown dtype of a tensor": (loss, inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const dtype = ["complex", "int64", 5, "Float"][pick % 4];
    const tensor = { shape: inputs[name].shape, data: inputs[name].data.map(wire), dtype };
    return {
      kind: `inputs.${name}.dtype ${dtype}`,
      body: JSON.stringify(withInput(body, name, tensor)),
      problem: { status: 400, field: `inputs.${name}.dtype` },
    };
  },
  "ragged array": (loss, inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const { shape, data } = inputs[name];
    if (shape.length === 0 || data.length === 0) {
      return MUTATIONS["wrong type of an input"](loss, inputs, pick, body);
    }
    const tree = nested(shape, data.map(wire)) as Json[];
    if (shape.length === 1) {
      tree[pick % tree.length] = [1];
      return {
        kind: `inputs.${name} ragged`,
        body: JSON.stringify(withInput(body, name, tree)),
        problem: { status: 400, field: `inputs.${name}[`, prefix: true },
      };
    }
    (tree[pick % tree.length] as Json[]).push(0);
    return {
      kind: `inputs.${name} ragged`,
      body: JSON.stringify(withInput(body, name, tree)),
      problem: { status: 400, field: `inputs.${name}[`, prefix: true },
    };
  },
  "nested 20,000 deep": (loss, _inputs, pick, body) => {
    const where = pick % 3;
    if (where === 0) {
      const name = inputAt(loss, pick);
      return {
        kind: `inputs.${name} nested ${DEEP} deep`,
        body: splice(withInput(body, name, RAW), deep),
        problem: { status: 400, field: `inputs.${name}` },
      };
    }
    if (where === 1) {
      return {
        kind: `grad_output nested ${DEEP} deep`,
        body: splice({ ...body, grad: true, grad_output: RAW }, deep),
        problem: { status: 400, field: "grad_output" },
      };
    }
    return {
      kind: `dtype nested ${DEEP} deep`,
      body: splice({ ...body, dtype: RAW }, deep),
      problem: { status: 400, field: "dtype" },
    };
  },
  "shape whose product overflows": (loss, _inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const shape = [[2 ** 26, 2 ** 26, 2 ** 26], [2 ** 40, 2 ** 40], [1e15, 1e15]][pick % 3];
    return {
      kind: `inputs.${name}.shape ${shape}`,
      body: JSON.stringify(withInput(body, name, { shape, data: [1, 2] })),
      problem: { status: 413, field: `inputs.${name}.shape` },
    };
  },
  "a huge dimension of nothing": (loss, _inputs, pick, body) => {
    const name = inputAt(loss, pick);
    return {
      kind: `inputs.${name}.shape [0, 2^40]`,
      body: JSON.stringify(withInput(body, name, { shape: [0, 2 ** 40], data: [] })),
      problem: { status: 413, field: `inputs.${name}.shape[1]` },
    };
  },
  "negative or fractional dimension": (loss, inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const shape = [...inputs[name].shape, 1];
    const at = pick % shape.length;
    shape[at] = [-1, 1.5, -0.5, "2"][pick % 4] as number;
    return {
      kind: `inputs.${name}.shape[${at}] is ${shape[at]}`,
      body: JSON.stringify(withInput(body, name, { shape, data: inputs[name].data.map(wire) })),
      problem: { status: 400, field: `inputs.${name}.shape[${at}]` },
    };
  },
  "data that does not fit the shape": (loss, inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const data = inputs[name].data.map(wire);
    if (pick % 2 === 0 || data.length === 0) data.push(0);
    else data.pop();
    return {
      kind: `inputs.${name}.data of ${data.length}`,
      body: JSON.stringify(withInput(body, name, { shape: inputs[name].shape, data })),
      problem: { status: 400, field: `inputs.${name}.data` },
    };
  },
  "a number that overflows, or a string, where a number goes": (loss, inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const { shape, data } = inputs[name];
    if (data.length === 0) return MUTATIONS["wrong type of an input"](loss, inputs, pick, body);
    const at = pick % data.length;
    const raw = ["1e400", "-1e999", '"abc"', '"nan"', '"inf"', '"constructor"', '"__proto__"'][
      pick % 7
    ];
    const values: Json[] = data.map(wire);
    values[at] = RAW;
    const flat = pick % 2 === 0;
    const tensor = flat ? { shape, data: values } : nested(shape, values);
    const field = flat ? `inputs.${name}.data[${at}]` : `inputs.${name}`;
    return {
      kind: `${field} is ${raw}`,
      body: splice(withInput(body, name, tensor), raw),
      problem: { status: 400, field, prefix: !flat },
    };
  },
  "grad_output of the wrong shape": (loss, inputs, pick, body) => {
    const result = direct(loss, inputs, {}, "float32", false);
    const shape = "answer" in result
      ? [...(result.answer as { output: PlainTensor }).output.shape, 2 + (pick % 3)]
      : [7, 7];
    const gradOutput = createRandom(pick).randn(shape);
    return {
      kind: `grad_output of shape [${shape}]`,
      body: JSON.stringify({ ...body, grad: true, grad_output: gradOutput }),
      problem: { status: 400, field: "grad_output" },
    };
  },
  "class index out of range": (loss, inputs, pick, body) => {
    const indices = loss.inputs.filter((spec) => inputs[spec.name].dtype === "int");
    const spec = indices[pick % Math.max(indices.length, 1)];
    if (!spec || inputs[spec.name].data.length === 0) {
      return MUTATIONS["data that does not fit the shape"](loss, inputs, pick, body);
    }
    const tensor = { ...inputs[spec.name], data: [...inputs[spec.name].data] };
    tensor.data[pick % tensor.data.length] = pick % 2 === 0 ? 1_000_000 : -1_000_000;
    const result = direct(loss, { ...inputs, [spec.name]: tensor }, {}, "float32", false);
    const mutated = JSON.stringify(withInput(body, spec.name, wireTensor(tensor, pick % 3 === 0)));
    if ("answer" in result) {
      // An integer input that takes any value (NTXentLoss's labels, unlike class indices, whose
      // range the golden cases check) makes a valid request: its answer is computeLoss's.
      return { kind: `inputs.${spec.name} of any integer`, body: mutated, expected: result.answer };
    }
    return {
      kind: `inputs.${spec.name} out of range`,
      body: mutated,
      problem: { status: 400, field: result.error.field },
    };
  },
  "not a JSON object": (_loss, _inputs, pick, body) => {
    const text = JSON.stringify(body);
    const bodies: (string | Uint8Array<ArrayBuffer>)[] = [
      "",
      text.slice(0, pick % text.length),
      "null",
      "[]",
      "42",
      '"text"',
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      new Uint8Array([...new TextEncoder().encode(text.slice(0, -1)), 0xc3, 0x28, 0x7d]),
    ];
    const chosen = bodies[pick % bodies.length];
    return {
      kind: `body ${typeof chosen === "string" ? JSON.stringify(chosen.slice(0, 30)) : "bytes"}`,
      body: chosen,
      problem: { status: 400, field: "body" },
    };
  },
  "not JSON at all": (_loss, _inputs, pick, body) => ({
    kind: "Content-Type text/plain",
    body: JSON.stringify(body),
    contentType: ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"][
      pick % 3
    ],
    problem: { status: 415, field: "Content-Type" },
  }),
};

const BOUNDARY = "fuzz-boundary";

/** A multipart body: the `request` part, then an .npy part per input, as bytes. */
function multipartOf(
  loss: AnyLoss,
  inputs: Record<string, PlainTensor>,
  files: Record<string, Uint8Array> = {},
): Uint8Array<ArrayBuffer> {
  const text = (value: string) => new TextEncoder().encode(value);
  const chunks: Uint8Array[] = [];
  const part = (name: string, bytes: Uint8Array) => {
    chunks.push(
      text(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="f"\r\n\r\n`),
    );
    chunks.push(bytes, text("\r\n"));
  };
  part("request", text('{"grad": true}'));
  for (const spec of loss.inputs) {
    part(`inputs.${spec.name}`, files[spec.name] ?? npyOf(inputs[spec.name], "float32"));
  }
  chunks.push(text(`--${BOUNDARY}--\r\n`));
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Binary mutations: .npy files with corrupted headers, multipart bodies cut short. */
const BINARY_MUTATIONS: Record<string, Mutation> = {
  "corrupted .npy header": (loss, inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const file = npyOf(inputs[name], "float32");
    // Overwrite one to three bytes of the magic, version, length or header text.
    const random = createRandom(pick);
    for (let k = 0; k <= pick % 3; k++) {
      const at = Math.floor(random.rand([1]).data[0] * 128);
      file[at] = Math.floor(random.rand([1]).data[0] * 256);
    }
    const inJson = pick % 2 === 0;
    return inJson
      ? {
        kind: `inputs.${name}.npy corrupted`,
        body: JSON.stringify(withInput(body, name, { npy: toBase64(file) })),
        problem: { field: `inputs.${name}`, prefix: true, lenient: true },
      }
      : {
        kind: `part inputs.${name} corrupted`,
        body: multipartOf(loss, inputs, { [name]: file }),
        contentType: `multipart/form-data; boundary=${BOUNDARY}`,
        problem: { field: `inputs.${name}`, prefix: true, lenient: true },
      };
  },
  "truncated .npy": (loss, inputs, pick, body) => {
    const name = inputAt(loss, pick);
    const file = npyOf(inputs[name], "float32");
    const cut = file.subarray(0, pick % file.length);
    return {
      kind: `inputs.${name}.npy cut to ${cut.length} bytes`,
      body: JSON.stringify(withInput(body, name, { npy: toBase64(cut) })),
      problem: { status: 400, field: `inputs.${name}.npy` },
    };
  },
  "truncated multipart body": (loss, inputs, pick) => {
    const whole = multipartOf(loss, inputs);
    const cut = whole.subarray(0, pick % (whole.length - 3));
    return {
      kind: `multipart body cut to ${cut.length} of ${whole.length} bytes`,
      body: cut.slice(),
      contentType: `multipart/form-data; boundary=${BOUNDARY}`,
      problem: { status: 400, field: "body" },
    };
  },
};
Object.assign(MUTATIONS, BINARY_MUTATIONS);

/** An invalid request: a valid sample, broken by one of {@link MUTATIONS}. */
export function invalidCase(): fc.Arbitrary<FuzzCase> {
  return fc.record({
    loss: fc.constantFrom(...losses),
    mutation: fc.constantFrom(...Object.keys(MUTATIONS)),
    seed: fc.nat(),
    pick: fc.nat(),
  }).map(({ loss, mutation, seed, pick }) => {
    const inputs = loss.sample(createRandom(seed));
    const body = {
      inputs: Object.fromEntries(
        loss.inputs.map((spec) => [spec.name, wireTensor(inputs[spec.name], true)]),
      ),
    };
    const made = MUTATIONS[mutation](loss, inputs, pick, body);
    return { loss: loss.slug, ...made, kind: `${mutation}: ${made.kind}` };
  });
}

/** Valid and invalid requests, half each. */
export const fuzzCase = (): fc.Arbitrary<FuzzCase> => fc.oneof(validCase(), invalidCase());

/** What must never appear in an answer: stack frames, file paths, internal names. */
const LEAKS =
  /\n\s+at |file:\/\/|\.ts:\d|node_modules|LossInputError|TypeError|RangeError|SyntaxError: |\/(?:home|usr|tmp)\//;

/** Tallies of a fuzz run. */
export interface FuzzTally {
  valid: number;
  rejectedByLibrary: number;
  invalid: number;
  slowestMs: number;
}

/** Sends one case to `baseUrl` and checks its answer; throws with the case's kind on a miss. */
export async function checkCase(baseUrl: string, c: FuzzCase, tally: FuzzTally): Promise<void> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/api/v1/losses/${c.loss}`, {
    method: "POST",
    headers: { "Content-Type": c.contentType ?? "application/json" },
    body: c.body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
  const context = `${c.kind}: ${response.status} ${text.slice(0, 400)}`;
  assert.ok(response.status < 500, context);
  assert.doesNotMatch(text, LEAKS, context);
  const id = response.headers.get("X-Request-Id");
  assert.ok(id, `${context}: X-Request-Id`);
  if (c.expected !== undefined) {
    assert.equal(response.status, 200, context);
    assert.deepEqual(JSON.parse(text), c.expected, context);
    tally.valid++;
    return;
  }
  const { status, field, prefix, lenient } = c.problem!;
  if (lenient && response.status === 200) {
    tally.invalid++;
    return;
  }
  if (status) assert.equal(response.status, status, context);
  else assert.ok(response.status >= 400, context);
  assert.equal(response.headers.get("Content-Type"), "application/problem+json", context);
  const problem = JSON.parse(text);
  assert.equal(problem.request_id, id, context);
  if (prefix) assert.ok(String(problem.field).startsWith(field), `${context}: field ${field}`);
  else assert.equal(problem.field, field, context);
  assert.ok(String(problem.detail).includes(problem.field), `${context}: detail names field`);
  if (status || lenient) tally.invalid++;
  else tally.rejectedByLibrary++;
}

/**
 * Runs `numRuns` generated cases against the server at `baseUrl`, with a fixed seed that
 * fast-check prints on failure (set `FUZZ_SEED` to replay another).
 */
export async function fuzzServer(baseUrl: string, numRuns: number): Promise<FuzzTally> {
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? 20261130);
  const tally: FuzzTally = { valid: 0, rejectedByLibrary: 0, invalid: 0, slowestMs: 0 };
  await fc.assert(
    fc.asyncProperty(fuzzCase(), (c) => checkCase(baseUrl, c, tally)),
    { seed, numRuns, endOnFailure: true },
  );
  return tally;
}
