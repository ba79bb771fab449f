/**
 * JSON against binary tensors (`deno task bench:http`): MSELoss with gradients, float32, at
 * 90,000, 262,144 and 1,048,576 elements per tensor; the server's time to answer a JSON request
 * (flat `{shape, data}` tensors of 7 significant digits, JSON answer) and a multipart .npy
 * request with an .npz answer, each against the loss's own compute time (`computeDense` on the
 * same dense float32 tensors).  Goals: binary at least 8x faster than JSON at 262,144 and at
 * 90,000 elements; binary within 3x the compute time at 1,048,576.
 *
 * On Deno the app runs in-process (`app.fetch`, the answer read in full), medians of
 * `BENCH_RUNS` (default 7) alternating runs.  On the Worker (`BENCH_WORKER=0` skips it), under
 * wrangler's local workerd, the server's time is the CPU time of its two workerd processes (its
 * proxy and the Worker, from /proc), medians of 3; the compute time is Deno's, the same V8.
 * The limits are raised for the JSON sizes (the defaults refuse JSON past 262,144 elements).
 *
 * @module
 */
import { computeDense, findLoss } from "../lib/mod.ts";
import { encodeNpy } from "../functions/api/codecs/npy.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { createApp } from "../functions/app.ts";
import { form } from "../tests/api_binary_steps.ts";
import { cpuMs, memoryMiB, processesNamed } from "../tests/api_process.ts";
import { startWorker, withServer } from "../tests/api_servers.ts";

const runs = Number(Deno.env.get("BENCH_RUNS") ?? 7);
const SIZES = [90_000, 262_144, 1_048_576];
const RAISED = {
  ...DEFAULT_LIMITS,
  maxBodyBytes: 64 * 1024 * 1024,
  maxElements: 4 * 1_048_576,
  maxWork: 4 * 1_048_576,
};
const app = createApp({ limits: RAISED, log: () => {} });
const mse = findLoss("MSELoss")!;
const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[samples.length >> 1];

interface Case {
  size: number;
  input: Float32Array;
  target: Float32Array;
  json: string;
  parts: Record<string, Uint8Array | string>;
}

function makeCase(size: number): Case {
  const random = (seed: number) => {
    const out = new Float32Array(size);
    let state = seed;
    for (let i = 0; i < size; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      out[i] = Number(((state / 2 ** 32) * 4 - 2).toPrecision(7));
    }
    return out;
  };
  const input = random(1), target = random(2);
  const json = JSON.stringify({
    inputs: {
      input: { shape: [size], data: [...input] },
      target: { shape: [size], data: [...target] },
    },
    grad: true,
  });
  const parts = {
    request: JSON.stringify({ grad: true }),
    "inputs.input": encodeNpy({ shape: [size], data: input }),
    "inputs.target": encodeNpy({ shape: [size], data: target }),
  };
  return { size, input, target, json, parts };
}

async function jsonTime(c: Case): Promise<number> {
  const start = performance.now();
  const response = await app.fetch(
    new Request("http://localhost/api/losses/MSELoss", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": String(c.json.length) },
      body: c.json,
    }),
  );
  await response.text();
  const elapsed = performance.now() - start;
  if (response.status !== 200) throw new Error(`JSON: status ${response.status}`);
  return elapsed;
}

/** The multipart body as bytes, and its Content-Type, made once outside the timing. */
async function multipartBytes(c: Case): Promise<{ bytes: Uint8Array<ArrayBuffer>; type: string }> {
  const request = new Request("http://localhost/", { method: "POST", body: form(c.parts) });
  return {
    bytes: new Uint8Array(await request.arrayBuffer()),
    type: request.headers.get("Content-Type")!,
  };
}

async function binaryTime(body: { bytes: Uint8Array<ArrayBuffer>; type: string }) {
  const start = performance.now();
  const response = await app.fetch(
    new Request("http://localhost/api/losses/MSELoss", {
      method: "POST",
      headers: {
        "Content-Type": body.type,
        "Content-Length": String(body.bytes.length),
        Accept: "application/x-npz",
      },
      body: body.bytes,
    }),
  );
  await response.arrayBuffer();
  const elapsed = performance.now() - start;
  if (response.status !== 200) throw new Error(`binary: status ${response.status}`);
  return elapsed;
}

function computeTime(c: Case): number {
  const start = performance.now();
  computeDense(
    mse,
    {
      input: { shape: [c.size], data: c.input },
      target: { shape: [c.size], data: c.target },
    },
    {},
    { grad: true },
  );
  return performance.now() - start;
}

const cases = SIZES.map(makeCase);
const computeMs = new Map<number, number>();
console.log(
  `Deno ${Deno.version.deno}, in-process, medians of ${runs} runs, ${new Date().toISOString()}`,
);
for (const c of cases) {
  const body = await multipartBytes(c);
  const json: number[] = [], binary: number[] = [], compute: number[] = [];
  await jsonTime(c);
  await binaryTime(body);
  computeTime(c);
  for (let i = 0; i < runs; i++) {
    json.push(await jsonTime(c));
    binary.push(await binaryTime(body));
    compute.push(computeTime(c));
  }
  const [j, b, k] = [median(json), median(binary), median(compute)];
  computeMs.set(c.size, k);
  console.log(
    `Deno ${c.size} elements: JSON ${j.toFixed(1)} ms (body ${
      (c.json.length / 2 ** 20).toFixed(1)
    } MiB), ` +
      `binary ${b.toFixed(1)} ms (body ${(body.bytes.length / 2 ** 20).toFixed(1)} MiB), compute ${
        k.toFixed(2)
      } ms: ` +
      `JSON / binary ${(j / b).toFixed(1)}, JSON / compute ${
        (j / k).toFixed(0)
      }, binary / compute ${(b / k).toFixed(2)}`,
  );
}

if (Deno.env.get("BENCH_WORKER") !== "0") {
  const vars = {
    MAX_BODY_BYTES: String(RAISED.maxBodyBytes),
    MAX_ELEMENTS: String(RAISED.maxElements),
    MAX_WORK: String(RAISED.maxWork),
  };
  await withServer(startWorker(vars), async (server) => {
    // wrangler dev runs two workerd processes: its proxy, and the Worker (the larger one).
    const workerd = await processesNamed(server.pid, "workerd");
    const sizes = await Promise.all(workerd.map((pid) => memoryMiB(pid, "VmRSS")));
    const worker = workerd[sizes.indexOf(Math.max(...sizes))];
    const proxy = workerd.filter((pid) => pid !== worker);
    const cpu = async () => {
      const own = await cpuMs(worker);
      const others = (await Promise.all(proxy.map(cpuMs))).reduce((a, b) => a + b, 0);
      return [own, others];
    };
    const url = `${server.url}/api/losses/MSELoss`;
    const measure = async (send: () => Promise<Response>) => {
      const own: number[] = [], all: number[] = [];
      for (let run = 0; run < 4; run++) {
        const [ownStart, otherStart] = await cpu();
        const response = await send();
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`Worker: status ${response.status}`);
        const [ownEnd, otherEnd] = await cpu();
        if (run === 0) continue;
        own.push(ownEnd - ownStart);
        all.push(ownEnd - ownStart + otherEnd - otherStart);
      }
      return { own: median(own), all: median(all) };
    };
    const tiny = await measure(() =>
      fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: '{"inputs": {"input": [1], "target": [0]}, "grad": true}',
      })
    );
    console.log(
      "Worker (local workerd), CPU of the Worker's workerd process (and with wrangler's proxy), " +
        `medians of 3; a one-element request: ${tiny.own.toFixed(1)} ms (${tiny.all.toFixed(1)})`,
    );
    for (const c of cases) {
      const body = await multipartBytes(c);
      const json = await measure(() =>
        fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: c.json,
        })
      );
      const binary = await measure(() =>
        fetch(url, {
          method: "POST",
          headers: { "Content-Type": body.type, Accept: "application/x-npz" },
          body: body.bytes,
        })
      );
      const k = computeMs.get(c.size)!;
      console.log(
        `Worker ${c.size} elements: JSON ${json.own.toFixed(0)} ms (${json.all.toFixed(0)}), ` +
          `binary ${binary.own.toFixed(1)} ms (${binary.all.toFixed(0)}): JSON / binary ` +
          `${(json.own / binary.own).toFixed(1)} (${(json.all / binary.all).toFixed(1)}), ` +
          `binary / Deno's compute ${(binary.own / k).toFixed(1)}`,
      );
    }
  });
}
