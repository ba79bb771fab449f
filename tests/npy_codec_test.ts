/**
 * The .npy, .npz and multipart codecs on their own: NumPy's fixtures (`tests/fixtures/npy/`,
 * written by `tools/npy_fixtures.py`) in each dtype, byte order, memory order and version read
 * to the values NumPy wrote; the files not read refused as 415 saying which dtype; truncated
 * and lying files refused naming the field; our header byte for byte NumPy's; .npz archives
 * that npm `fflate` opens.
 */
import assert from "node:assert/strict";
import { LossInputError } from "../lib/mod.ts";
import { decodeNpyData, encodeNpy, npyTensor, readNpyHeader } from "../functions/api/codecs/npy.ts";
import { concat, crc32, encodeNpz } from "../functions/api/codecs/npz.ts";
import { boundaryOf, parseMultipart } from "../functions/api/codecs/multipart.ts";
import { ElementBudget } from "../functions/api/limits.ts";
import { ProblemError } from "../functions/api/problem.ts";
import { openNpz } from "./api_formats.ts";

const FOLDER = new URL("./fixtures/npy/", import.meta.url);
const manifest = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", FOLDER)));
const read = (file: string) => Deno.readFileSync(new URL(file, FOLDER));
const decode = (bytes: Uint8Array, field = "inputs.input") => {
  const tensor = npyTensor(bytes, field, new ElementBudget(100, 100));
  return { shape: tensor.shape, data: tensor.dense().data };
};

Deno.test("every fixture NumPy wrote reads as its values, in row-major order", () => {
  assert.ok(manifest.files.length >= 20, `${manifest.files.length} fixtures`);
  const versions = new Set<string>();
  for (const entry of manifest.files) {
    const bytes = read(entry.file);
    const header = readNpyHeader(bytes, "x");
    versions.add(header.version);
    assert.equal(header.version, entry.version, entry.file);
    assert.equal(header.descr, entry.descr, entry.file);
    assert.equal(header.fortranOrder, entry.order === "F", entry.file);
    const { shape, data } = decode(bytes);
    assert.deepEqual(shape, [2, 3], entry.file);
    const want = (entry.dtype === "bool" ? manifest.bool : manifest.values).flat().map(Number);
    assert.deepEqual([...data], want, entry.file);
  }
  assert.deepEqual([...versions].sort(), ["1.0", "2.0", "3.0"]);
  const orders = new Set(manifest.files.map((e: { file: string }) => e.file.split("_")[1]));
  assert.ok(orders.has("le") && orders.has("be"), "both byte orders");
});

Deno.test("float16 and int64 read exactly; bool as 0/1; the element types", () => {
  const types = (file: string) => decode(read(file)).data.constructor.name;
  assert.equal(types("float32_le_C.npy"), "Float32Array");
  assert.equal(types("float64_be_F.npy"), "Float64Array");
  assert.equal(types("float16_be_C.npy"), "Float32Array");
  assert.equal(types("int64_le_F.npy"), "Int32Array");
  assert.equal(types("bool_le_C.npy"), "Uint8Array");
  assert.equal(types("uint8_le_C.npy"), "Uint8Array");
});

Deno.test("a scalar and an empty array", () => {
  const scalar = decode(read(manifest.scalar.file));
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual([...scalar.data], [2.5]);
  const empty = decode(read(manifest.empty.file));
  assert.deepEqual(empty.shape, [0, 3]);
  assert.equal(empty.data.length, 0);
});

Deno.test("complex, object and structured files: 415, saying which", () => {
  for (const [file, kind] of Object.entries(manifest.unsupported as Record<string, string>)) {
    assert.throws(() => decode(read(file), "inputs.target"), (error: unknown) => {
      assert.ok(error instanceof ProblemError, `${file}: ${error}`);
      assert.equal(error.kind, "unsupported-media-type");
      assert.equal(error.field, "inputs.target");
      assert.ok(error.message.includes(kind), `${file}: ${error.message}`);
      return true;
    });
  }
});

Deno.test("our header is NumPy's, byte for byte; encoding round-trips bit for bit", () => {
  const numpy = read("float32_le_C.npy");
  const ours = encodeNpy({ shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) });
  assert.deepEqual(ours, numpy);
  const values = Float64Array.from([0.1, -0, NaN, Infinity, -Infinity, 5e-324]);
  const back = decode(encodeNpy({ shape: [6], data: values }));
  const bits = back.data as Float64Array;
  assert.deepEqual(new Uint8Array(bits.buffer, bits.byteOffset, 48), new Uint8Array(values.buffer));
});

Deno.test("truncated, lying and malformed files: 400 naming the field", () => {
  const good = read("float32_le_C.npy");
  const bad = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decode(bytes, "inputs.input"), (error: unknown) => {
      assert.ok(error instanceof LossInputError, String(error));
      assert.equal(error.field, "inputs.input");
      assert.match(error.message, pattern);
      return true;
    });
  bad(good.subarray(0, good.length - 1), /only 23 follow \(truncated\)/);
  bad(Uint8Array.from([...good, 0, 0, 0, 0]), /does not describe its data/);
  const lying = good.slice();
  new DataView(lying.buffer).setUint16(8, 60_000, true);
  bad(lying, /lies about its size/);
  bad(good.subarray(0, 5), /magic/);
  const version = good.slice();
  version[6] = 4;
  bad(version, /version is 4\.0/);
  const text = new TextDecoder().decode(good.subarray(10, 128));
  const swap = (from: string, to: string) => {
    const copy = good.slice();
    copy.set(new TextEncoder().encode(text.replace(from, to.padEnd(from.length, " "))), 10);
    return copy;
  };
  bad(swap("'shape': (2, 3)", "'shape': (2, x)"), /not a dict literal/);
  bad(swap("'fortran_order'", "'fortran_ordex'"), /the keys/);
  bad(swap("(2, 3)", "(2, 4)"), /truncated/);
});

Deno.test("too many elements, or a dimension too large: 413 naming the field", () => {
  const big = encodeNpy({ shape: [11, 10], data: new Float32Array(110) });
  assert.throws(
    () => npyTensor(big, "inputs.input", new ElementBudget(1, 100)),
    (e: unknown) =>
      e instanceof LossInputError && e.kind === "too-large" && e.field === "inputs.input",
  );
  const wide = encodeNpy({ shape: [0, 101], data: new Float32Array(0) });
  assert.throws(
    () => npyTensor(wide, "inputs.input", new ElementBudget(1, 100)),
    (e: unknown) =>
      e instanceof LossInputError && e.kind === "too-large" && e.field === "inputs.input.shape[1]",
  );
});

Deno.test(".npz answers open with fflate: members, values bit for bit, meta.json", () => {
  const output = { shape: [], data: Float32Array.from([1.5]) };
  const grad = { shape: [2], data: Float32Array.from([0.1, -2]) };
  const npz = encodeNpz({
    loss: "MSELoss",
    dtype: "float32",
    output,
    grads: { input: grad },
    warnings: ["w"],
    advice: [],
  });
  const { arrays, files } = openNpz(concat(npz.chunks));
  assert.deepEqual(Object.keys(arrays).sort(), ["grad_input", "output"]);
  assert.deepEqual(arrays.grad_input.data, [...grad.data]);
  const meta = JSON.parse(new TextDecoder().decode(files["meta.json"]));
  assert.deepEqual(meta, { loss: "MSELoss", dtype: "float32", warnings: ["w"], advice: [] });
  assert.equal(crc32([new TextEncoder().encode("hello")]), 907060870);
});

Deno.test("multipart: parts by name, an .npy part found by its header, errors", () => {
  const boundary = boundaryOf("multipart/form-data; boundary=XyZ")!;
  const npy = encodeNpy({ shape: [3], data: Float32Array.from([1, 2, 3]) });
  const text = (s: string) => new TextEncoder().encode(s);
  // Data that holds the delimiter's first bytes must not end the part early.
  npy.set(text("\r\n--XyZ").subarray(0, 4), npy.length - 4);
  const body = new Uint8Array([
    ...text('--XyZ\r\nContent-Disposition: form-data; name="request"\r\n\r\n{}\r\n'),
    ...text('--XyZ\r\nContent-Disposition: form-data; name="inputs.input"; filename="x.npy"\r\n'),
    ...text("Content-Type: application/octet-stream\r\n\r\n"),
    ...npy,
    ...text("\r\n--XyZ--\r\n"),
  ]);
  const parts = parseMultipart(body, boundary);
  assert.deepEqual(parts.map((p) => p.name), ["request", "inputs.input"]);
  assert.deepEqual(parts[1].bytes, npy);
  assert.equal(parts[1].filename, "x.npy");
  for (const cut of [body.length - 12, 40, 3]) {
    assert.throws(() => parseMultipart(body.subarray(0, cut), boundary), /body|multipart/);
  }
});

Deno.test("decodeNpyData leaves the request's bytes as they were", () => {
  const file = read("float64_be_C.npy");
  const copy = file.slice();
  decodeNpyData(file, readNpyHeader(file, "x"));
  assert.deepEqual(file, copy);
});
