/**
 * Fuzzing `POST /api/v1/losses/{name}` over HTTP on both runtimes (see `api_fuzz.ts`): 12,000
 * generated requests against the Deno server and 2,000 against the Worker under local workerd,
 * each half valid (answers equal to `computeLoss` called directly) and half invalid (a 4xx
 * problem naming the broken field); then the server must still answer.  `FUZZ_SEED` replays
 * another seed; `FUZZ_RUNS_DENO` and `FUZZ_RUNS_WORKER` change the counts.
 */
import assert from "node:assert/strict";
import { fuzzServer } from "./api_fuzz.ts";
import { type RunningServer, startDenoServer, startWorker } from "./api_servers.ts";

const runs = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);

async function fuzz(server: RunningServer, numRuns: number): Promise<void> {
  try {
    const started = performance.now();
    const tally = await fuzzServer(server.url, numRuns);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `${numRuns} requests in ${seconds} s: ${tally.valid} valid answers equal to computeLoss, ` +
        `${tally.rejectedByLibrary} rejected by the library as by the server, ${tally.invalid} ` +
        `invalid answered 4xx; slowest answer ${tally.slowestMs.toFixed(0)} ms`,
    );
    const health = await fetch(`${server.url}/api/v1/health`);
    assert.equal(health.status, 200, "the server still answers");
    await health.body?.cancel();
  } finally {
    await server.stop();
  }
}

Deno.test("fuzzing POST /api/v1/losses/{name} on Deno", async () => {
  await fuzz(await startDenoServer(), runs("FUZZ_RUNS_DENO", 12_000));
});

Deno.test("fuzzing POST /api/v1/losses/{name} on Workers (local workerd)", async () => {
  await fuzz(await startWorker(), runs("FUZZ_RUNS_WORKER", 2000));
});
