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

/** One round of autocannon against one URL. */
export interface Round {
  name: string;
  requests: number;
  requestsPerSecond: number;
  latencyMs: number;
  p99Ms: number;
  errors: number;
}

/** What a round sends: a URL, and the method, headers and body of its requests. */
export interface Target {
  url: string;
  method?: "GET" | "POST";
  body?: string;
  headers?: Record<string, string>;
}

/**
 * Loads `target` for `seconds` on `connections` connections; errors count timeouts and answers
 * other than 2xx.
 */
export async function load(
  name: string,
  target: Target,
  settings = { connections, seconds },
): Promise<Round> {
  const result = await autocannon({ ...target, ...settings });
  const failures = result.errors + result.timeouts + result.non2xx;
  return {
    name,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyMs: result.latency.average,
    p99Ms: result.latency.p99,
    errors: failures,
  };
}

/** The two routes the load compares: the health check, and a small loss with gradients. */
export function targets(url: string): { health: Target; crossEntropy: Target } {
  return {
    health: { url: `${url}/api/v1/health` },
    crossEntropy: {
      url: `${url}/api/v1/losses/CrossEntropyLoss`,
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ inputs: notebookCrossEntropy(), grad: true }),
    },
  };
}

if (import.meta.main) {
  const server = await startDenoServer();
  try {
    const { health, crossEntropy } = targets(server.url);
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
}
