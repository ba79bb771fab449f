/**
 * Load benchmark of the Deno server (`deno task bench:http`): requests per second of
 * `POST /api/v1/losses/CrossEntropyLoss` with the notebook's 10x3 logits, against
 * `GET /api/v1/health`, in the same run, with npm `autocannon` on loopback.  The goal is a ratio
 * of at least 0.6.
 *
 * Settings: `BENCH_SECONDS` per round (default 10), `BENCH_CONNECTIONS` (default 10); the
 * rounds alternate, health first, twice each.
 *
 * @module
 */
import autocannon from "autocannon";
import { notebookCrossEntropy } from "../tests/api_http.ts";
import { startDenoServer } from "../tests/api_servers.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 10);
const connections = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 10);

interface Round {
  name: string;
  requestsPerSecond: number;
  latencyMs: number;
  errors: number;
}

async function load(
  name: string,
  options: {
    url: string;
    method?: "GET" | "POST";
    body?: string;
    headers?: Record<string, string>;
  },
): Promise<Round> {
  const result = await autocannon({ ...options, connections, duration: seconds });
  const failures = result.errors + result.timeouts + result.non2xx;
  return {
    name,
    requestsPerSecond: result.requests.average,
    latencyMs: result.latency.average,
    errors: failures,
  };
}

const server = await startDenoServer();
try {
  const health = { url: `${server.url}/api/v1/health` };
  const crossEntropy = {
    url: `${server.url}/api/v1/losses/CrossEntropyLoss`,
    method: "POST" as const,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputs: notebookCrossEntropy(), grad: true }),
  };
  await load("warm-up", { ...health });
  const rounds: Round[] = [];
  for (let i = 0; i < 2; i++) {
    rounds.push(await load("GET /api/v1/health", health));
    rounds.push(await load("POST CrossEntropyLoss 10x3, grad", crossEntropy));
  }
  const mean = (name: string) => {
    const mine = rounds.filter((round) => round.name === name);
    return mine.reduce((sum, round) => sum + round.requestsPerSecond, 0) / mine.length;
  };
  for (const round of rounds) {
    console.log(
      `${round.name.padEnd(36)} ${round.requestsPerSecond.toFixed(0).padStart(7)} req/s  ` +
        `${round.latencyMs.toFixed(2)} ms mean latency  ${round.errors} errors`,
    );
  }
  const ratio = mean("POST CrossEntropyLoss 10x3, grad") / mean("GET /api/v1/health");
  console.log(
    `\nratio POST CrossEntropyLoss / GET health: ${ratio.toFixed(2)} (goal >= 0.6); ` +
      `${connections} connections, ${seconds} s per round, Deno ${Deno.version.deno}, ` +
      new Date().toISOString().slice(0, 10),
  );
} finally {
  await server.stop();
}
