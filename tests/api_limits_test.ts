/**
 * The cost limits on both runtimes: with small limits from the environment (Deno) and from
 * wrangler vars (Workers), a request just at each limit answers 200 and one just over answers
 * 413 naming the field, and a batch likewise, its items together; with the default limits, the
 * worst accepted requests answer 200 under local workerd, whose CPU time and memory for each are
 * measured and printed (BENCHMARKS.md, "Hardening", records them).
 */
import assert from "node:assert/strict";
import { findLoss, ndarrayOf } from "../lib/mod.ts";
import { checkCost } from "../functions/api/cost.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { encodeNpy, npyHeaderBytes } from "../functions/api/codecs/npy.ts";
import { assertProblem, postJson } from "./api_http.ts";
import { postForm } from "./api_binary_steps.ts";
import { cpuMs, memoryMiB, processesNamed, resetPeakMemory } from "./api_process.ts";
import { type RunningServer, startDenoServer, startWorker, withServer } from "./api_servers.ts";

const SMALL = {
  MAX_BODY_BYTES: "20000",
  MAX_ELEMENTS: "1000",
  MAX_WORK: "5000",
  MAX_BINARY_ELEMENTS: "2000",
  MAX_BINARY_BODY_BYTES: "24000",
  MAX_BATCH_ITEMS: "4",
};

const zeros = (n: number) => new Array(n).fill(0);
const flat = (shape: number[], data: number[], dtype?: "int") => ({ shape, data, dtype });

/** CTCLoss with T frames, one sequence of S labels over C = 3 classes: T x (2S + 1) work. */
function ctcRequest(frames: number, labels: number, grad = false) {
  const logProbs = new Array(frames * 3).fill(Math.log(1 / 3));
  return {
    inputs: {
      log_probs: flat([frames, 1, 3], logProbs),
      targets: flat([1, labels], Array.from({ length: labels }, (_, i) => 1 + (i % 2)), "int"),
      input_lengths: flat([1], [frames], "int"),
      target_lengths: flat([1], [labels], "int"),
    },
    grad,
  };
}

/** MultiLabelMarginLoss on one row of C classes, every class a target: C x C work. */
function multiLabelRequest(classes: number, grad = false) {
  return {
    inputs: {
      input: flat([1, classes], Array.from({ length: classes }, (_, i) => Math.sin(i))),
      target: flat([1, classes], Array.from({ length: classes }, (_, i) => i), "int"),
    },
    grad,
  };
}

async function checkSmallLimits(t: Deno.TestContext, server: RunningServer) {
  const api = `${server.url}/api/v1/losses`;
  const ok = async (response: Response) => {
    const text = await response.text();
    assert.equal(response.status, 200, text);
  };

  await t.step("MAX_BODY_BYTES: at the limit 200, one byte over 413 (body)", async () => {
    const request = JSON.stringify({ inputs: { input: [1], target: [2] } });
    const padded = request.padEnd(Number(SMALL.MAX_BODY_BYTES), " ");
    await ok(await postJson(`${api}/mse`, padded));
    await assertProblem(await postJson(`${api}/mse`, `${padded} `), 413, "body");
  });

  await t.step("MAX_ELEMENTS: 500 + 500 elements 200, 501 + 500 413 (inputs.target)", async () => {
    await ok(await postJson(`${api}/mse`, { inputs: { input: zeros(500), target: zeros(500) } }));
    await assertProblem(
      await postJson(`${api}/mse`, { inputs: { input: zeros(501), target: zeros(500) } }),
      413,
      "inputs.target",
    );
  });

  await t.step("MAX_ELEMENTS: a broadcast of 40 x 25 200, of 40 x 26 413", async () => {
    const column = flat([40, 1], zeros(40));
    await ok(
      await postJson(`${api}/mse`, { inputs: { input: column, target: flat([1, 25], zeros(25)) } }),
    );
    await assertProblem(
      await postJson(`${api}/mse`, { inputs: { input: column, target: flat([1, 26], zeros(26)) } }),
      413,
      "inputs.target",
    );
  });

  await t.step("MAX_ELEMENTS: a dimension over the limit, even of no elements, 413", async () => {
    await assertProblem(
      await postJson(`${api}/mse`, { inputs: { input: flat([0, 1001], []), target: [1] } }),
      413,
      "inputs.input.shape[1]",
    );
  });

  await t.step("MAX_WORK: CTC's T x (2S + 1) of 50 x 99 200, 50 x 101 413", async () => {
    await ok(await postJson(`${api}/ctc`, ctcRequest(50, 49)));
    const problem = await assertProblem(
      await postJson(`${api}/ctc`, ctcRequest(50, 50)),
      413,
      "inputs.log_probs",
    );
    assert.match(String(problem.detail), /MAX_WORK/);
  });

  const npy = (shape: number[]) =>
    encodeNpy({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

  await t.step("MAX_BINARY_ELEMENTS: .npy parts of 2000 + 2000 200, 2001 413", async () => {
    // Binary tensors do not count against MAX_ELEMENTS (1000 here): each has its own 2000.
    await ok(
      await postForm(`${api}/mse`, { "inputs.input": npy([2000]), "inputs.target": npy([2000]) }),
    );
    await assertProblem(
      await postForm(`${api}/mse`, { "inputs.input": npy([2001]), "inputs.target": npy([1]) }),
      413,
      "inputs.input",
    );
    await assertProblem(
      await postForm(`${api}/mse`, { "inputs.input": npy([0, 2001]), "inputs.target": npy([1]) }),
      413,
      "inputs.input.shape[1]",
    );
  });

  await t.step("MAX_BINARY_ELEMENTS: a broadcast of 40 x 50 200, of 40 x 51 413", async () => {
    await ok(
      await postForm(`${api}/mse`, { "inputs.input": npy([40, 1]), "inputs.target": npy([1, 50]) }),
    );
    const problem = await assertProblem(
      await postForm(`${api}/mse`, { "inputs.input": npy([40, 1]), "inputs.target": npy([1, 51]) }),
      413,
      "inputs.target",
    );
    assert.match(String(problem.detail), /MAX_BINARY_ELEMENTS/);
  });

  await t.step(
    "MAX_BINARY_BODY_BYTES: a multipart body at the limit 200, a byte over 413",
    async () => {
      const limit = Number(SMALL.MAX_BINARY_BODY_BYTES);
      const body = (size: number) => {
        const text = (s: string) => new TextEncoder().encode(s);
        const part = (name: string) =>
          text(`--B\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`);
        const file = npy([1000]);
        const fixed = [
          part("inputs.input"),
          file,
          text("\r\n"),
          part("inputs.target"),
          file,
          text("\r\n"),
          part("request"),
          text("\r\n--B--\r\n"),
        ];
        const used = fixed.reduce((sum, b) => sum + b.length, 0);
        const request = text("{}".padEnd(size - used, " "));
        const all = [...fixed.slice(0, 7), request, fixed[7]];
        const bytes = new Uint8Array(size);
        let at = 0;
        for (const b of all) {
          bytes.set(b, at);
          at += b.length;
        }
        return bytes;
      };
      const post = (bytes: Uint8Array<ArrayBuffer>) =>
        fetch(`${api}/mse`, {
          method: "POST",
          headers: { "Content-Type": "multipart/form-data; boundary=B" },
          body: bytes,
        });
      await ok(await post(body(limit)));
      await assertProblem(await post(body(limit + 1)), 413, "body");
    },
  );

  await t.step(
    "a batch: MAX_BATCH_ITEMS, MAX_ELEMENTS, MAX_WORK, MAX_BODY_BYTES as a whole",
    async () => {
      const batch = `${server.url}/api/v1/batch`;
      const mse = (input: unknown, target: unknown) => ({ loss: "mse", inputs: { input, target } });
      const small = mse([1], [0]);
      const items = (n: number) => ({ requests: new Array(n).fill(small) });
      await ok(await postJson(batch, items(4)));
      const many = await assertProblem(await postJson(batch, items(5)), 413, "requests");
      assert.match(String(many.detail), /MAX_BATCH_ITEMS/);
      // 500 + 500 elements in two items fit MAX_ELEMENTS (1000); one more does not.
      const half = mse(zeros(250), zeros(250));
      await ok(await postJson(batch, { requests: [half, half] }));
      const elements = await assertProblem(
        await postJson(batch, { requests: [half, mse(zeros(251), zeros(250))] }),
        413,
        "requests[1].inputs.target",
      );
      assert.match(String(elements.detail), /MAX_ELEMENTS/);
      // CTC's 50 x 99 and 50 elements of MSE are 5000 steps of work in all (MAX_WORK); 51 not.
      const ctc = { loss: "ctc", ...ctcRequest(50, 49) };
      await ok(await postJson(batch, { requests: [ctc, mse(zeros(50), zeros(50))] }));
      const work = await assertProblem(
        await postJson(batch, { requests: [ctc, small, mse(zeros(50), zeros(50))] }),
        413,
        "requests[2]",
      );
      assert.match(String(work.detail), /5001 steps.*MAX_WORK/);
      await assertProblem(
        await postJson(batch, { requests: [small, { loss: "ctc", ...ctcRequest(50, 50) }] }),
        413,
        "requests[1].inputs.log_probs",
      );
      const body = JSON.stringify(items(2)).padEnd(Number(SMALL.MAX_BODY_BYTES), " ");
      await ok(await postJson(batch, body));
      await assertProblem(await postJson(batch, `${body} `), 413, "body");
    },
  );

  await t.step("MAX_WORK: MultiLabelMarginLoss's C x C of 70² 200, 71² 413", async () => {
    await ok(await postJson(`${api}/multilabel-margin`, multiLabelRequest(70)));
    await assertProblem(
      await postJson(`${api}/multilabel-margin`, multiLabelRequest(71)),
      413,
      "inputs.input",
    );
  });
}

Deno.test("cost estimate: three tensors that broadcast to n³, every pair to n²", () => {
  const loss = findLoss("GaussianNLLLoss")!;
  const axis = (at: number) => {
    const shape = [1, 1, 1];
    shape[at] = 70;
    return ndarrayOf(zeros(70), shape);
  };
  const tensors = ["input", "target", "var"].map((name, at) => ({
    field: `inputs.${name}`,
    tensor: axis(at),
  }));
  const limits = { ...DEFAULT_LIMITS, maxElements: 10_000 };
  assert.throws(
    () => checkCost(loss, tensors, limits),
    /inputs\.var broadcasts with inputs\.input and inputs\.target to 343000 elements/,
  );
});

const runtimes = [
  ["the environment on Deno", startDenoServer],
  ["wrangler vars on Workers (local workerd)", startWorker],
] as const;

for (const [where, start] of runtimes) {
  Deno.test(`limits from ${where}`, (t) =>
    withServer(start(SMALL), (server) => checkSmallLimits(t, server)));
}

/** Random numbers of 12 significant digits, as long as a body within the limit allows. */
const randoms = (n: number) =>
  Array.from({ length: n }, () => Number((Math.random() * 2 - 1).toPrecision(12)));

/** The largest requests the default limits accept, one per limit. */
function worstRequests(): { name: string; loss: string; body: unknown }[] {
  const half = DEFAULT_LIMITS.maxElements / 2;
  const rows = 256, classes = DEFAULT_LIMITS.maxElements / rows - 1;
  const frames = 1024, labels = Math.floor((DEFAULT_LIMITS.maxWork / frames - 1) / 2);
  const width = Math.floor(Math.sqrt(DEFAULT_LIMITS.maxWork));
  return [
    {
      name: `MSELoss, 2 x ${half} elements, reduction none, grad (MAX_ELEMENTS, MAX_BODY_BYTES)`,
      loss: "mse",
      body: {
        inputs: { input: flat([half], randoms(half)), target: flat([half], randoms(half)) },
        options: { reduction: "none" },
        grad: true,
      },
    },
    {
      name: `CrossEntropyLoss, [${rows}, ${classes}] logits, grad (MAX_ELEMENTS)`,
      loss: "cross-entropy",
      body: {
        inputs: {
          input: flat([rows, classes], randoms(rows * classes)),
          target: flat([rows], Array.from({ length: rows }, (_, i) => i % classes), "int"),
        },
        grad: true,
      },
    },
    {
      name: `CTCLoss, T ${frames} x (2S + 1) ${2 * labels + 1} x N 1, grad (MAX_WORK)`,
      loss: "ctc",
      body: ctcRequest(frames, labels, true),
    },
    {
      name: `MultiLabelMarginLoss, C x C = ${width}², grad (MAX_WORK)`,
      loss: "multilabel-margin",
      body: multiLabelRequest(width, true),
    },
  ];
}

/** Random float values for a binary request. */
const randomArray = <A extends Float32Array | Float64Array>(
  make: new (n: number) => A,
  n: number,
) => {
  const array = new make(n);
  for (let i = 0; i < n; i++) array[i] = Math.random() * 2 - 1;
  return array;
};

/** The largest binary requests the default limits accept (multipart in, .npz out). */
function worstBinaryRequests(): {
  name: string;
  loss: string;
  parts: Record<string, Uint8Array | string>;
}[] {
  const n = DEFAULT_LIMITS.maxBinaryElements;
  const rows = 1024, classes = n / rows;
  const f32 = (shape: number[]) => encodeNpy({ shape, data: randomArray(Float32Array, n) });
  const f64 = (shape: number[]) => encodeNpy({ shape, data: randomArray(Float64Array, n) });
  const none = JSON.stringify({ grad: true, options: { reduction: "none" } });
  return [
    {
      name: `binary MSELoss, 2 x ${n} float32, reduction none, grad, .npz (MAX_BINARY_ELEMENTS)`,
      loss: "mse",
      parts: { request: none, "inputs.input": f32([n]), "inputs.target": f32([n]) },
    },
    {
      name: `binary GaussianNLLLoss, 2 x ${n} float32 and a var of 1, reduction none, grad, .npz`,
      loss: "gaussian-nll",
      parts: {
        request: none,
        "inputs.input": f32([n]),
        "inputs.target": f32([n]),
        "inputs.var": encodeNpy({ shape: [1], data: new Float32Array([0.5]) }),
      },
    },
    {
      name: `binary CrossEntropyLoss, [${rows}, ${classes}] float64 logits, int64 targets, ` +
        "dtype float64, grad, .npz (MAX_BINARY_BODY_BYTES)",
      loss: "cross-entropy",
      parts: {
        request: JSON.stringify({ grad: true, dtype: "float64" }),
        "inputs.input": f64([rows, classes]),
        "inputs.target": encodeIndices(rows, classes),
      },
    },
  ];
}

/** An int64 .npy of `rows` class indices below `classes`. */
function encodeIndices(rows: number, classes: number): Uint8Array {
  const header = npyHeaderBytes([rows], "<i8");
  const data = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % classes));
  const file = new Uint8Array(header.length + data.byteLength);
  file.set(header);
  file.set(new Uint8Array(data.buffer), header.length);
  return file;
}

Deno.test("the worst accepted requests under local workerd: CPU time and memory", (t) =>
  withServer(startWorker(), async (server) => {
    // wrangler dev starts two workerd processes (its proxy and the Worker): count both.
    const workerd = await processesNamed(server.pid, "workerd");
    assert.ok(workerd.length > 0, "workerd runs in the wrangler process group");
    const sum = async (read: (pid: number) => Promise<number>) =>
      (await Promise.all(workerd.map(read))).reduce((a, b) => a + b, 0);
    const idle = await Promise.all(workerd.map((pid) => memoryMiB(pid, "VmRSS")));
    console.log(`workerd resident memory, idle: ${idle.map((m) => m.toFixed(0)).join(" + ")} MiB`);
    for (const { name, loss, body } of worstRequests()) {
      await t.step(name, async () => {
        const text = JSON.stringify(body);
        const cpu: number[] = [];
        let peakGrowth = 0;
        for (let run = 0; run < 3; run++) {
          const before = await Promise.all(workerd.map((pid) => memoryMiB(pid, "VmRSS")));
          await Promise.all(workerd.map(resetPeakMemory));
          const start = await sum(cpuMs);
          const response = await postJson(`${server.url}/api/v1/losses/${loss}`, text);
          const answer = await response.text();
          assert.equal(response.status, 200, answer.slice(0, 300));
          cpu.push(await sum(cpuMs) - start);
          const peaks = await Promise.all(workerd.map((pid) => memoryMiB(pid, "VmHWM")));
          peakGrowth = Math.max(peakGrowth, ...peaks.map((peak, i) => peak - before[i]));
        }
        cpu.sort((a, b) => a - b);
        console.log(
          `${name}: body ${(text.length / 2 ** 20).toFixed(2)} MiB, workerd CPU ${
            cpu[1].toFixed(0)
          } ms (median of 3), peak resident growth ${peakGrowth.toFixed(0)} MiB`,
        );
        assert.ok(peakGrowth < 128, `${name}: ${peakGrowth} MiB, more than a Worker's 128 MB`);
      });
    }
    for (const { name, loss, parts } of worstBinaryRequests()) {
      await t.step(name, async () => {
        const size = Object.values(parts).reduce((sum, p) => sum + p.length, 0);
        // CPU per workerd process: wrangler's proxy (copying the bytes) and the Worker.
        const cpu: number[][] = [];
        let peakGrowth = 0;
        for (let run = 0; run < 3; run++) {
          const before = await Promise.all(workerd.map((pid) => memoryMiB(pid, "VmRSS")));
          await Promise.all(workerd.map(resetPeakMemory));
          const start = await Promise.all(workerd.map(cpuMs));
          const response = await postForm(`${server.url}/api/losses/${loss}`, parts, {
            Accept: "application/x-npz",
          });
          const answer = new Uint8Array(await response.arrayBuffer());
          assert.equal(response.status, 200, new TextDecoder().decode(answer.subarray(0, 300)));
          const end = await Promise.all(workerd.map(cpuMs));
          cpu.push(end.map((ms, i) => ms - start[i]));
          const peaks = await Promise.all(workerd.map((pid) => memoryMiB(pid, "VmHWM")));
          peakGrowth = Math.max(peakGrowth, ...peaks.map((peak, i) => peak - before[i]));
        }
        const median = (values: number[]) => values.sort((a, b) => a - b)[1];
        const each = workerd.map((_, i) => median(cpu.map((run) => run[i])));
        const total = median(cpu.map((run) => run.reduce((a, b) => a + b, 0)));
        console.log(
          `${name}: body ${(size / 2 ** 20).toFixed(2)} MiB, workerd CPU ${total.toFixed(0)} ms (` +
            each.map((ms, i) => `${ms.toFixed(0)} ms in the one idle at ${idle[i].toFixed(0)} MiB`)
              .join(", ") +
            `; medians of 3), peak resident growth ${peakGrowth.toFixed(0)} MiB`,
        );
        assert.ok(peakGrowth < 128, `${name}: ${peakGrowth} MiB, more than a Worker's 128 MB`);
      });
    }
  }));
