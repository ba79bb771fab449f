/**
 * A 1M-element MSELoss request (`deno task bench:http`): the server's time to answer it,
 * against `JSON.parse` of the same body, in the same process.  The goal is at most 2.5x.
 *
 * The request carries `input` and `target` of 1,000,000 float32 elements each ([1000, 1000],
 * flat form, 6 significant digits); the app runs in-process (`app.fetch`, no network), its
 * limits raised for the size.  Reported: medians of `BENCH_RUNS` (default 7) alternating runs,
 * with and without gradients.
 *
 * @module
 */
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { createApp } from "../functions/app.ts";
import { createRandom } from "../lib/mod.ts";

const runs = Number(Deno.env.get("BENCH_RUNS") ?? 7);
const size = 1_000_000;
const random = createRandom(1);
const values = () =>
  Array.from({ length: size }, () => Number(random.randn([1]).data[0].toPrecision(6)));
const inputs = {
  input: { shape: [1000, 1000], data: values() },
  target: { shape: [1000, 1000], data: values() },
};
const app = createApp({
  limits: {
    ...DEFAULT_LIMITS,
    maxBodyBytes: 64 * 1024 * 1024,
    maxElements: 4 * size,
    maxWork: 4 * size,
  },
  log: () => {},
});

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[samples.length >> 1];

async function serverTime(body: string): Promise<number> {
  const start = performance.now();
  const response = await app.fetch(
    new Request("http://localhost/api/v1/losses/MSELoss", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": String(body.length) },
      body,
    }),
  );
  const text = await response.text();
  const elapsed = performance.now() - start;
  if (response.status !== 200) throw new Error(`status ${response.status}: ${text.slice(0, 200)}`);
  return elapsed;
}

function parseTime(body: string): number {
  const start = performance.now();
  JSON.parse(body);
  return performance.now() - start;
}

for (const grad of [false, true]) {
  const body = JSON.stringify({ inputs, grad });
  const server: number[] = [];
  const parse: number[] = [];
  await serverTime(body);
  parseTime(body);
  for (let i = 0; i < runs; i++) {
    parse.push(parseTime(body));
    server.push(await serverTime(body));
  }
  const ratio = median(server) / median(parse);
  console.log(
    `MSELoss 2 x 1M float32, grad: ${grad}, body ${(body.length / 2 ** 20).toFixed(1)} MiB: ` +
      `server ${median(server).toFixed(0)} ms, JSON.parse ${median(parse).toFixed(0)} ms, ` +
      `ratio ${ratio.toFixed(2)}${
        grad ? " (the answer carries 2M gradient values)" : " (goal <= 2.5)"
      }`,
  );
}
console.log(`Deno ${Deno.version.deno}, ${runs} runs, ${new Date().toISOString().slice(0, 10)}`);
