/**
 * The Deno server under pressure (`deno task bench:soak` runs it after the soak): slow clients
 * and the limit on the work in flight.  200 clients start 4 MiB uploads and stall after 64 KiB,
 * then 120 clients send the largest valid request (MSELoss on 2 x 131,072 elements, reduction
 * none, grad: a 4 MiB body) all at once.  It reports the answers by status (200, 503 at once
 * past `MAX_IN_FLIGHT_BYTES`, 408 for the stalled uploads after `BODY_TIMEOUT_SECONDS`), the p50
 * and p99 of the large requests, and the server's peak resident memory (`VmHWM`), with the
 * default limit and with the limit out of the way (`MAX_IN_FLIGHT_BYTES` of 1 TiB), as the
 * server was before it had one.  Then 200 clients send half a request's headers and one more
 * byte each second, with the default `HEADER_TIMEOUT_MS` and without the front door
 * (`HEADER_TIMEOUT_MS=0`, as the server was before): when the server closed them, and how long
 * `GET /api/v1/health` took meanwhile.  BENCHMARKS.md records the figures.
 *
 * @module
 */
import { DEFAULT_HEADER_TIMEOUT_MS } from "../functions/adapters/front_door.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import { memoryMiB, resetPeakMemory } from "../tests/api_process.ts";
import { startDenoServer } from "../tests/api_servers.ts";

/** What a pressure run measured. */
export interface PressureResult {
  /** The in-flight limit the server had, in bytes. */
  inFlightBytes: number;
  /** The large requests' answers by status. */
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** The stalled uploads' answers by status (or "closed" when none came). */
  stalled: Record<string, number>;
  /** The server's resident memory at its peak, and after the run, in MiB. */
  peakMiB: number;
  afterMiB: number;
}

/** The largest valid JSON request, as text. */
export function largestRequest(): string {
  const half = DEFAULT_LIMITS.maxElements / 2;
  const numbers = () =>
    Array.from({ length: half }, () => Number((Math.random() * 2 - 1).toPrecision(12)));
  return JSON.stringify({
    inputs: { input: numbers(), target: numbers() },
    options: { reduction: "none" },
    grad: true,
  });
}

const count = (counts: Record<string, number>, key: string) => counts[key] = (counts[key] ?? 0) + 1;

/** Reads the status of the answer on `conn`, or "closed"; at most `seconds`. */
async function statusOn(conn: Deno.Conn, seconds: number): Promise<string> {
  const buffer = new Uint8Array(256);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = await Promise.race([
    conn.read(buffer).catch(() => null),
    new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), seconds * 1000)),
  ]);
  clearTimeout(timer);
  if (read === null) return "closed";
  return new TextDecoder().decode(buffer.subarray(0, read)).match(/^HTTP\/1\.1 (\d+)/)?.[1] ??
    "closed";
}

/** One run: `slow` stalled uploads, then `clients` largest requests at once. */
export async function pressure(
  inFlightBytes: number,
  clients = 120,
  slow = 200,
): Promise<PressureResult> {
  const timeout = 10;
  const server = await startDenoServer({
    MAX_IN_FLIGHT_BYTES: String(inFlightBytes),
    BODY_TIMEOUT_SECONDS: String(timeout),
  });
  try {
    const { hostname, port } = new URL(server.url);
    const body = largestRequest();
    await resetPeakMemory(server.pid);
    const stalled: Deno.Conn[] = [];
    const head = `POST /api/v1/losses/mse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json` +
      `\r\nContent-Length: ${DEFAULT_LIMITS.maxBodyBytes}\r\n\r\n`;
    const part = new TextEncoder().encode(head + body.slice(0, 65_536));
    for (let i = 0; i < slow; i++) {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      await conn.write(part);
      stalled.push(conn);
    }
    const statuses: Record<string, number> = {};
    const latencies: number[] = [];
    await Promise.all(Array.from({ length: clients }, async () => {
      const start = performance.now();
      try {
        const response = await fetch(`${server.url}/api/v1/losses/mse`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body,
        });
        await response.arrayBuffer();
        count(statuses, String(response.status));
      } catch {
        count(statuses, "error");
      }
      latencies.push(performance.now() - start);
    }));
    const stalledStatuses: Record<string, number> = {};
    const answers = await Promise.all(stalled.map((conn) => statusOn(conn, timeout + 10)));
    for (const answer of answers) count(stalledStatuses, answer);
    for (const conn of stalled) conn.close();
    const peakMiB = await memoryMiB(server.pid, "VmHWM");
    const afterMiB = await memoryMiB(server.pid, "VmRSS");
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
    return {
      inFlightBytes,
      statuses,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      stalled: stalledStatuses,
      peakMiB,
      afterMiB,
    };
  } finally {
    await server.stop();
  }
}

/** One line per run, as BENCHMARKS.md quotes them. */
export function formatPressure(result: PressureResult): string {
  const list = (counts: Record<string, number>) =>
    Object.entries(counts).map(([status, n]) => `${n} × ${status}`).join(", ");
  return `MAX_IN_FLIGHT_BYTES ${result.inFlightBytes}: 120 largest requests at once → ` +
    `${list(result.statuses)} (p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms); 200 stalled ` +
    `uploads → ${list(result.stalled)}; peak memory ${result.peakMiB.toFixed(0)} MiB, ` +
    `${result.afterMiB.toFixed(0)} MiB after`;
}

/** What a run of clients trickling their headers measured. */
export interface TrickleResult {
  /** The header timeout the server had, in ms (0: none). */
  headerTimeoutMs: number;
  /** The seconds after which the server closed each connection it closed. */
  closedAfter: number[];
  /** The connections still open when the run ended, after `watchSeconds`. */
  open: number;
  watchSeconds: number;
  /** The latency of `GET /api/v1/health`, one after another meanwhile, in ms. */
  healthP50Ms: number;
  healthP99Ms: number;
  healthErrors: number;
}

/**
 * `clients` connections that send half a request's headers, then a byte each second, for at
 * most `watchSeconds` or until the server closed them all, against a server with
 * `headerTimeoutMs`.
 */
export async function trickledHeaders(
  headerTimeoutMs: number,
  clients = 200,
  watchSeconds = 30,
): Promise<TrickleResult> {
  const server = await startDenoServer({ HEADER_TIMEOUT_MS: String(headerTimeoutMs) });
  try {
    const { hostname, port } = new URL(server.url);
    const start = performance.now();
    const closedAfter: number[] = [];
    const conns: Deno.Conn[] = [];
    const ended: Promise<void>[] = [];
    for (let i = 0; i < clients; i++) {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      await conn.write(
        new TextEncoder().encode("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: "),
      );
      conns.push(conn);
      ended.push((async () => {
        const buffer = new Uint8Array(256);
        while (await conn.read(buffer).catch(() => null) !== null);
        closedAfter.push((performance.now() - start) / 1000);
      })());
    }
    const deadline = start + watchSeconds * 1000;
    const allEnded = Promise.all(ended);
    let done = false;
    allEnded.then(() => done = true);
    const trickle = (async () => {
      const byte = new TextEncoder().encode("a");
      while (!done && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await Promise.all(conns.map((conn) => conn.write(byte).catch(() => 0)));
      }
    })();
    const latencies: number[] = [];
    let healthErrors = 0;
    while (!done && performance.now() < deadline) {
      const sent = performance.now();
      try {
        const response = await fetch(`${server.url}/api/v1/health`);
        await response.body?.cancel();
        if (!response.ok) healthErrors++;
      } catch {
        healthErrors++;
      }
      latencies.push(performance.now() - sent);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await trickle;
    const byServer = [...closedAfter].sort((a, b) => a - b);
    for (const conn of conns) conn.close();
    await allEnded;
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    return {
      headerTimeoutMs,
      closedAfter: byServer,
      open: clients - byServer.length,
      watchSeconds,
      healthP50Ms: at(0.5),
      healthP99Ms: at(0.99),
      healthErrors,
    };
  } finally {
    await server.stop();
  }
}

/** One line per trickle run, as BENCHMARKS.md quotes them. */
export function formatTrickle(result: TrickleResult): string {
  const { closedAfter } = result;
  const closed = closedAfter.length
    ? `${closedAfter.length} closed by the server after ${closedAfter[0].toFixed(1)}–` +
      `${closedAfter[closedAfter.length - 1].toFixed(1)} s`
    : "none closed by the server";
  return `HEADER_TIMEOUT_MS ${result.headerTimeoutMs}: ${closedAfter.length + result.open} ` +
    `connections trickling headers a byte a second → ${closed}, ${result.open} open after ` +
    `${result.watchSeconds} s; GET /api/v1/health meanwhile p50 ${result.healthP50Ms.toFixed(1)} ` +
    `ms, p99 ${result.healthP99Ms.toFixed(1)} ms, ${result.healthErrors} errors`;
}

if (import.meta.main) {
  console.log(formatPressure(await pressure(DEFAULT_LIMITS.maxInFlightBytes)));
  console.log(formatPressure(await pressure(2 ** 40)));
  console.log(formatTrickle(await trickledHeaders(DEFAULT_HEADER_TIMEOUT_MS)));
  console.log(formatTrickle(await trickledHeaders(0)));
  console.log(`Deno ${Deno.version.deno}, ${new Date().toISOString()}`);
}
