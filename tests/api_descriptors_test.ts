/**
 * The Deno server when clients take every file descriptor (issue 13): started with a limit of
 * 200 descriptors (`ulimit -n`), it is held by connections that send half their headers and
 * wait; it must not exit, it refuses new connections meanwhile, and it answers again once they
 * close.  Every wait is bounded.
 */
import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../tools/worker_dev.ts";
import { LISTENING_LINE, serveChild, withServer } from "./api_servers.ts";
import { ensureBuiltSite } from "./built_site.ts";

/** The descriptors the server may open. */
const DESCRIPTORS = 200;

/** Starts the Deno server under a shell's `ulimit -n`. */
async function startLimitedServer() {
  await ensureBuiltSite();
  const deno = Deno.execPath();
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `ulimit -n ${DESCRIPTORS} && exec "$0" run --allow-net --allow-read --allow-env ` +
      "functions/adapters/deno.ts",
      deno,
    ],
    cwd: PROJECT_ROOT,
    env: { HOST: "127.0.0.1", PORT: "0" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  return serveChild("The Deno server (ulimit -n)", child, LISTENING_LINE, 60);
}

/** Whether `GET /api/v1/health` answers 200 within 2 s. */
async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

Deno.test("the Deno server survives running out of file descriptors, and recovers", () =>
  withServer(startLimitedServer(), async (server) => {
    const { hostname, port } = new URL(server.url);
    const held: Deno.Conn[] = [];
    try {
      // Twice the descriptors the server has: it runs out well before.
      for (let i = 0; i < 2 * DESCRIPTORS; i++) {
        try {
          const conn = await Deno.connect({ hostname, port: Number(port) });
          held.push(conn);
          await conn.write(new TextEncoder().encode("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"));
        } catch {
          break; // refused, or reset: the server stopped accepting
        }
      }
      assert.ok(held.length < 2 * DESCRIPTORS, `${held.length} connections were all accepted`);
      // The server noticed, and is still running.
      for (let wait = 0; wait < 50 && !/Out of file descriptors/.test(server.stderr()); wait++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.match(server.stderr(), /Out of file descriptors/);
    } finally {
      for (const conn of held) conn.close();
    }
    let recovered = false;
    for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
      recovered = await healthy(server.url);
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(recovered, `no answer once the connections closed:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /Uncaught/);
  }));
