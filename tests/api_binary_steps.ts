/**
 * The binary formats' steps that the API suites of both runtimes run alike: .npy tensors in
 * JSON and in multipart parts, .npz answers, and every error of the binary formats, each a
 * problem naming the part or field (a truncated .npy, a header that lies about its size, an
 * unsupported dtype, a shape that disagrees, an unknown part, a part too large...).
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeNpy, npyHeaderBytes } from "../functions/api/codecs/npy.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { toBase64 } from "../functions/api/wire.ts";
import { decodeNpzAnswer, npyNumbers } from "./api_formats.ts";
import { assertProblem, postJson } from "./api_http.ts";

const FIXTURES = new URL("./fixtures/npy/", import.meta.url);
const fixture = (file: string) => Deno.readFileSync(new URL(file, FIXTURES));
const f32 = (shape: number[], values: number[]) =>
  encodeNpy({ shape, data: Float32Array.from(values) });

/** A multipart body of `parts` (a string part is the JSON `request`). */
export function form(parts: Record<string, Uint8Array | string>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    body.append(
      name,
      typeof value === "string"
        ? new Blob([value], { type: "application/json" })
        : new Blob([value as Uint8Array<ArrayBuffer>]),
      typeof value === "string" ? undefined : `${name}.npy`,
    );
  }
  return body;
}

/** Posts a multipart body to `url`. */
export function postForm(
  url: string,
  parts: Record<string, Uint8Array | string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, { method: "POST", body: form(parts), headers });
}

/** Registers the binary steps on `api` (a server's `/api`). */
export async function binaryApiSteps(t: Deno.TestContext, api: string): Promise<void> {
  const mse = `${api}/losses/mse`;
  const input = fixture("float32_le_C.npy"); // [[0, 1, 2], [3, 4, 5]]
  const target = f32([2, 3], [0, 0, 0, 0, 0, 0]);

  await t.step(
    "multipart .npy in, .npz or JSON out; the request part may be left out",
    async () => {
      const npz = await postForm(mse, {
        request: JSON.stringify({ grad: true, options: { reduction: "sum" } }),
        "inputs.input": input,
        "inputs.target": fixture("int16_be_F.npy"),
      }, { Accept: "application/x-npz" });
      assert.equal(npz.status, 200);
      assert.equal(npz.headers.get("Content-Type"), "application/x-npz");
      const answer = decodeNpzAnswer(new Uint8Array(await npz.arrayBuffer()));
      assert.deepEqual(answer.output, { shape: [], data: [0] });
      assert.deepEqual(answer.grads.input.data, [0, 0, 0, 0, 0, 0]);
      assert.equal(answer.loss, "MSELoss");
      const json = await postForm(mse, { "inputs.input": input, "inputs.target": target });
      const body = await json.json();
      assert.equal(json.status, 200, JSON.stringify(body));
      assert.deepEqual(body.output, { shape: [], data: [55 / 6].map(Math.fround) });
    },
  );

  await t.step(
    "every NumPy fixture (dtype, byte order, C/Fortran, version) over HTTP",
    async () => {
      const manifest = JSON.parse(
        Deno.readTextFileSync(new URL("manifest.json", FIXTURES)),
      ) as { files: { file: string; dtype: string }[]; values: number[][]; bool: boolean[][] };
      for (const { file, dtype } of manifest.files) {
        const values = (dtype === "bool" ? manifest.bool : manifest.values).map((row) =>
          row.map(Number)
        );
        const [binary, numbers] = await Promise.all([
          postForm(mse, { "inputs.input": fixture(file), "inputs.target": target }),
          postJson(mse, { inputs: { input: values, target: [[0, 0, 0], [0, 0, 0]] } }),
        ]);
        const got = await binary.json();
        assert.equal(binary.status, 200, `${file}: ${JSON.stringify(got)}`);
        assert.deepEqual(got, await numbers.json(), file);
      }
    },
  );

  await t.step('{"npy": base64} in JSON, and "encoding": "npy" answers bit for bit', async () => {
    const response = await postJson(mse, {
      inputs: { input: { npy: toBase64(input), shape: [2, 3] }, target: [[0, 0, 0], [0, 0, 0]] },
      grad: true,
      encoding: "npy",
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.output.dtype, "float32");
    const numbers = await (await postJson(mse, {
      inputs: { input: [[0, 1, 2], [3, 4, 5]], target: [[0, 0, 0], [0, 0, 0]] },
      grad: true,
    })).json();
    const grad = npyNumbers(Uint8Array.from(atob(body.grads.input.npy), (c) => c.charCodeAt(0)));
    assert.deepEqual(grad, numbers.grads.input);
  });

  await t.step("400: a truncated .npy, a header that lies about its size", async () => {
    await assertProblem(
      await postForm(mse, {
        "inputs.input": input.subarray(0, input.length - 2),
        "inputs.target": target,
      }),
      400,
      "inputs.input",
    );
    const lying = input.slice();
    new DataView(lying.buffer).setUint16(8, 4000, true);
    const problem = await assertProblem(
      await postForm(mse, { "inputs.input": target, "inputs.target": lying }),
      400,
      "inputs.target",
    );
    assert.match(String(problem.detail), /lies about its size/);
    await assertProblem(
      await postJson(mse, {
        inputs: { input: { npy: toBase64(input.subarray(0, 130)) }, target: [1] },
      }),
      400,
      "inputs.input.npy",
    );
    await assertProblem(
      await postJson(mse, { inputs: { input: { npy: "not base64!" }, target: [1] } }),
      400,
      "inputs.input.npy",
    );
  });

  await t.step("415: complex, object and structured dtypes, saying which", async () => {
    for (const [file, kind] of [["complex64.npy", "complex"], ["object.npy", "object"]]) {
      const problem = await assertProblem(
        await postForm(mse, { "inputs.input": fixture(file), "inputs.target": target }),
        415,
        "inputs.input",
      );
      assert.match(String(problem.detail), new RegExp(kind));
    }
    const problem = await assertProblem(
      await postJson(mse, {
        inputs: { input: [1], target: { npy: toBase64(fixture("structured.npy")) } },
      }),
      415,
      "inputs.target.npy",
    );
    assert.match(String(problem.detail), /structured/);
  });

  await t.step("400: a shape beside an .npy that disagrees; a float .npy for indices", async () => {
    await assertProblem(
      await postJson(mse, { inputs: { input: { npy: toBase64(input), shape: [6] }, target: [1] } }),
      400,
      "inputs.input.shape",
    );
    await assertProblem(
      await postForm(`${api}/losses/nll`, {
        "inputs.input": f32([1, 2], [-1, -2]),
        "inputs.target": f32([1], [0]),
      }),
      400,
      // As a JSON tensor of "dtype": "float" is named, in every format.
      "inputs.target.dtype",
    );
  });

  await t.step(
    "400: an unknown part, a part given twice, a non-tensor option as a part",
    async () => {
      await assertProblem(
        await postForm(mse, { "inputs.input": input, "inputs.target": target, weights: target }),
        400,
        "weights",
      );
      await assertProblem(
        await postForm(mse, {
          "inputs.input": input,
          "inputs.target": target,
          "inputs.extra": target,
        }),
        400,
        "inputs.extra",
      );
      await assertProblem(
        await postForm(mse, {
          request: JSON.stringify({ inputs: { input: [1] } }),
          "inputs.input": input,
          "inputs.target": target,
        }),
        400,
        "inputs.input",
      );
      await assertProblem(
        await postForm(mse, {
          "inputs.input": input,
          "inputs.target": target,
          "options.reduction": target,
        }),
        400,
        "options.reduction",
      );
      await assertProblem(
        await postForm(mse, { request: "{", "inputs.input": input, "inputs.target": target }),
        400,
        "request",
      );
    },
  );

  await t.step(
    "413: a part of more elements than MAX_BINARY_ELEMENTS, read from its header",
    async () => {
      // The header alone: the limit is checked before the data, so no megabytes are sent.
      const header = npyHeaderBytes([1024, DEFAULT_LIMITS.maxBinaryElements / 1024 + 1], "<f4");
      const problem = await assertProblem(
        await postForm(mse, { "inputs.input": header, "inputs.target": target }),
        413,
        "inputs.input",
      );
      assert.match(String(problem.detail), /MAX_BINARY_ELEMENTS/);
    },
  );

  await t.step("415: multipart without a boundary; 400: a body that is not multipart", async () => {
    await assertProblem(await postJson(mse, "{}", "multipart/form-data"), 415, "Content-Type");
    await assertProblem(
      await postJson(mse, '{"inputs": {}}', "multipart/form-data; boundary=abc"),
      400,
      "body",
    );
  });
}
