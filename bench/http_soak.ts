/**
 * Soak test of the Deno server (`deno task bench:soak`, 60 s; `SOAK_SECONDS` changes it):
 * npm `autocannon` sends a mix of valid, invalid and largest-allowed requests on 10
 * connections, each connection cycling through the mix; then it reports the status classes,
 * connection errors, p50 and p99 latency, and the server's resident memory (`VmRSS` of its
 * process, from `/proc`) after a warm-up, and again a few seconds after the run.
 * `tests/api_soak_test.ts` runs a short one.
 *
 * @module
 */
import autocannon from "autocannon";
import { DEFAULT_LIMITS, LIMIT_VARIABLES } from "../functions/api/limits.ts";
import { notebookCrossEntropy } from "../tests/api_http.ts";
import { memoryMiB } from "../tests/api_process.ts";
import { startDenoServer } from "../tests/api_servers.ts";

/** The connections the soak keeps busy, each cycling through the mix. */
const CONNECTIONS = 10;

/** What a soak run measured. */
export interface SoakResult {
  seconds: number;
  requests: number;
  /** Answers by status class. */
  statuses: Record<"2xx" | "4xx" | "5xx", number>;
  /** Connection errors and timeouts. */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** The server's resident memory after the warm-up, and after the run, in MiB. */
  memoryBeforeMiB: number;
  memoryAfterMiB: number;
  /** Whether the server still answers `/api/v1/health` after the run. */
  healthy: boolean;
}

const JSON_HEADERS = { "Content-Type": "application/json" };

/** The mix each connection cycles through: valid, invalid and the largest allowed. */
export function soakRequests(): autocannon.Request[] {
  const half = DEFAULT_LIMITS.maxElements / 2;
  const numbers = (n: number) =>
    Array.from({ length: n }, (_, i) => Number(Math.sin(i).toPrecision(12)));
  const post = (path: string, body: unknown, headers: Record<string, string> = JSON_HEADERS) => ({
    method: "POST" as const,
    path: `/api/v1/losses/${path}`,
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const valid = post("CrossEntropyLoss", { inputs: notebookCrossEntropy(), grad: true });
  return [
    valid,
    { method: "GET", path: "/api/v1/health" },
    post("mse", { inputs: { input: [[1, 2], [3]], target: [1, 2] } }),
    valid,
    post("mse", '{"inputs": {"input": [1e400], "target": [1]}}'),
    post("mse", "{}", { "Content-Type": "text/plain" }),
    post("no-such-loss", {}),
    valid,
    post("mse", {
      inputs: { input: numbers(half), target: numbers(half) },
      options: { reduction: "none" },
      grad: true,
    }),
    post("mse", {
      inputs: { input: { shape: [2 ** 26, 2 ** 26, 2 ** 26], data: [] }, target: [1] },
    }),
  ];
}

/** Runs the mix against a fresh Deno server for `seconds`, after a warm-up of `warmup`. */
export async function soak(seconds: number, warmup = 3): Promise<SoakResult> {
  // Room in flight for a largest body on every connection: the soak looks for server errors, and
  // shedding load past MAX_IN_FLIGHT_BYTES (503, by design) is `bench/http_pressure.ts`'s subject.
  const server = await startDenoServer({
    [LIMIT_VARIABLES.maxInFlightBytes]: String(CONNECTIONS * DEFAULT_LIMITS.maxBodyBytes),
  });
  try {
    const options = { url: server.url, connections: CONNECTIONS, requests: soakRequests() };
    await autocannon({ ...options, duration: warmup });
    const memoryBeforeMiB = await memoryMiB(server.pid, "VmRSS");
    const result = await autocannon({ ...options, duration: seconds });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const memoryAfterMiB = await memoryMiB(server.pid, "VmRSS");
    const health = await fetch(`${server.url}/api/v1/health`);
    await health.body?.cancel();
    return {
      seconds,
      requests: result.requests.total,
      statuses: { "2xx": result["2xx"], "4xx": result["4xx"], "5xx": result["5xx"] },
      errors: result.errors + result.timeouts,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      memoryBeforeMiB,
      memoryAfterMiB,
      healthy: health.ok,
    };
  } finally {
    await server.stop();
  }
}

/** One line per figure, as BENCHMARKS.md quotes them. */
export function formatSoak(result: SoakResult): string {
  const { statuses } = result;
  return [
    `${result.requests} requests in ${result.seconds} s on ${CONNECTIONS} connections: ` +
    `${statuses["2xx"]} 2xx, ${statuses["4xx"]} 4xx, ${statuses["5xx"]} 5xx, ` +
    `${result.errors} connection errors or timeouts`,
    `latency p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`,
    `server resident memory: ${result.memoryBeforeMiB.toFixed(0)} MiB after the warm-up, ` +
    `${result.memoryAfterMiB.toFixed(0)} MiB 3 s after the run`,
    `health after the run: ${result.healthy ? "ok" : "FAILED"}`,
  ].join("\n");
}

if (import.meta.main) {
  const seconds = Number(Deno.env.get("SOAK_SECONDS") ?? 60);
  console.log(formatSoak(await soak(seconds)));
  console.log(`Deno ${Deno.version.deno}, ${new Date().toISOString()}`);
}
