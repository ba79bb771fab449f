/**
 * What the front door of the Deno server (its header timeout, `functions/adapters/front_door.ts`)
 * costs: the load of `http_load.ts` (`GET /api/v1/health`, `POST CrossEntropyLoss` 10x3 with
 * gradients, npm `autocannon` on loopback), and the largest JSON request (`http_pressure.ts`,
 * 3.9 MiB) on one connection, against `Deno.serve` alone (`HEADER_TIMEOUT_MS=0`) and against the
 * front door (the default timeout).  Both servers run at once and the rounds
 * alternate between them, so that the load of a shared machine falls on both alike.  Reported:
 * the medians of the rounds' requests per second, latencies, and the server process's CPU time
 * per request (from `/proc`: the load of other work moves it much less than the rates), and the
 * front door's against `Deno.serve` alone.
 *
 * Settings: `BENCH_SECONDS` per round (default 3), `BENCH_ROUNDS` per route and server (default
 * 6), `BENCH_CONNECTIONS` (default 10).
 *
 * @module
 */
import { largestRequest } from "./http_pressure.ts";
import { load, type Round, type Target, targets } from "./http_load.ts";
import { cpuMs } from "../tests/api_process.ts";
import { type RunningServer, startDenoServer, withServer } from "../tests/api_servers.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 3);
const rounds = Number(Deno.env.get("BENCH_ROUNDS") ?? 6);
const connections = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 10);

/** A round, with the CPU time the server's process took per request, in µs. */
type Measured = Round & { cpuUs: number };

/** A round of `target` on `server`, with the CPU time it took the server. */
async function measured(
  server: RunningServer,
  name: string,
  target: Target,
  settings = { connections, seconds },
): Promise<Measured> {
  const before = await cpuMs(server.pid);
  const round = await load(name, target, settings);
  return { ...round, cpuUs: (await cpuMs(server.pid) - before) * 1000 / round.requests };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const VARIANTS = [
  ["Deno.serve alone (HEADER_TIMEOUT_MS=0)", { HEADER_TIMEOUT_MS: "0" }],
  ["front door (HEADER_TIMEOUT_MS default)", {}],
] as const;

const ROUTES = [
  "GET /api/v1/health",
  "POST CrossEntropyLoss 10x3, grad",
  "POST MSELoss 3.9 MiB, 1 connection",
] as const;

const largest = largestRequest();

/** The rounds on each of `servers`, alternating between them, which goes first too. */
async function alternate(servers: RunningServer[]): Promise<Measured[][]> {
  for (const server of servers) await measured(server, "warm-up", targets(server.url).health);
  const results: Measured[][] = servers.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const i of round % 2 ? [1, 0] : [0, 1]) {
      const { health, crossEntropy } = targets(servers[i].url);
      results[i].push(await measured(servers[i], ROUTES[0], health));
      results[i].push(await measured(servers[i], ROUTES[1], crossEntropy));
      const mse = { ...crossEntropy, url: `${servers[i].url}/api/v1/losses/mse`, body: largest };
      results[i].push(await measured(servers[i], ROUTES[2], mse, { connections: 1, seconds }));
    }
  }
  return results;
}

const results = await withServer(
  startDenoServer(VARIANTS[0][1]),
  (alone) => withServer(startDenoServer(VARIANTS[1][1]), (door) => alternate([alone, door])),
);
for (const route of ROUTES) {
  const [alone, door] = VARIANTS.map(([variant], i) => {
    const mine = results[i].filter((round) => round.name === route);
    const of = (value: (round: Measured) => number) => median(mine.map(value));
    const figures = { perSecond: of((r) => r.requestsPerSecond), cpuUs: of((r) => r.cpuUs) };
    console.log(
      `${route.padEnd(36)} ${variant.padEnd(40)} ${figures.perSecond.toFixed(0).padStart(6)} ` +
        `req/s  mean ${of((r) => r.latencyMs).toFixed(2)} ms  p99 ${of((r) => r.p99Ms)} ms  ` +
        `CPU ${figures.cpuUs.toFixed(0)} µs/request  ` +
        `${mine.reduce((sum, round) => sum + round.errors, 0)} errors`,
    );
    return figures;
  });
  console.log(
    `${"".padEnd(36)} front door / alone: requests per second ` +
      `${(door.perSecond / alone.perSecond).toFixed(2)}, CPU per request ` +
      `${(door.cpuUs / alone.cpuUs).toFixed(2)}`,
  );
}
console.log(
  `\nmedians of ${rounds} alternating rounds of ${seconds} s, ${connections} connections, ` +
    `Deno ${Deno.version.deno}, ${new Date().toISOString()}`,
);
