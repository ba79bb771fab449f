/**
 * A short soak of the Deno server (`bench/http_soak.ts` for 6 s; `deno task bench:soak` runs
 * it for 60 s): valid, invalid and largest-allowed requests on 10 connections must meet no
 * 5xx and no connection error, the server must still answer, and its resident memory must
 * come back near where it was after the warm-up.  No assertion on speed.
 *
 * The warm-up lasts as long as the run: V8 keeps the heap it grew to at the peak of concurrent
 * large requests, and a busy machine makes that peak higher (requests queue up), so a warm-up
 * shorter than the run measured a smaller heap than the run's and failed without any leak.  A
 * leak grows with every request; equal rounds tell it from the heap's high-water mark.
 */
import assert from "node:assert/strict";
import { formatSoak, soak } from "../bench/http_soak.ts";

/** How far above its warmed-up size the server's memory may stay after the run. */
const MEMORY_MARGIN = { ratio: 1.5, plusMiB: 64 };

Deno.test("soak: a mix of requests for 6 s on Deno", async () => {
  const seconds = Number(Deno.env.get("SOAK_SECONDS") ?? 6);
  const result = await soak(seconds, seconds);
  console.log(formatSoak(result));
  assert.ok(result.requests > 0);
  assert.equal(result.statuses["5xx"], 0, "no 5xx");
  assert.equal(result.errors, 0, "no connection errors or timeouts");
  assert.ok(result.statuses["4xx"] > 0 && result.statuses["2xx"] > 0, "the mix was sent");
  assert.ok(result.healthy, "the server still answers");
  const allowed = result.memoryBeforeMiB * MEMORY_MARGIN.ratio + MEMORY_MARGIN.plusMiB;
  assert.ok(result.memoryAfterMiB <= allowed, `memory ${result.memoryAfterMiB} > ${allowed} MiB`);
});
