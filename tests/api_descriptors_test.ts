/**
 * The Deno server when clients take every file descriptor (issue 13): started with a limit of
 * 200 descriptors (`ulimit -n`), it is held by connections that send half their headers and
 * wait; it must not exit, it refuses new connections meanwhile, and it answers again once they
 * close, or, with a short `HEADER_TIMEOUT_MS`, once it has cut them off while their clients
 * still hold on.  Every wait is bounded.
 */
import assert from "node:assert/strict";
import { type RunningServer, startDenoServer, withServer } from "./api_servers.ts";
import { ensureBuiltSite } from "./built_site.ts";

/** The descriptors the server may open. */
const DESCRIPTORS = 200;

/** Starts the Deno server under a shell's `ulimit -n`, with `env` added to the environment. */
async function startLimitedServer(env: Record<string, string> = {}) {
  await ensureBuiltSite();
  return await startDenoServer(env, { descriptors: DESCRIPTORS });
}

/** Whether `GET /api/v1/health` answers 200 within 2 s, on a new connection. */
async function healthy(url: string): Promise<boolean> {
  // Not one of fetch's kept-alive connections, which the server may have held all along.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const response = await fetch(`${url}/api/v1/health`, {
      client,
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/**
 * Opens connections to `server` that send half their headers, until it stops accepting
 * them, and checks that it said it ran out of descriptors.
 */
async function holdEveryDescriptor(server: RunningServer): Promise<Deno.Conn[]> {
  const { hostname, port } = new URL(server.url);
  const held: Deno.Conn[] = [];
  // Five times the descriptors the server has: it runs out well before.
  for (let i = 0; i < 5 * DESCRIPTORS; i++) {
    try {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      held.push(conn);
      await conn.write(new TextEncoder().encode("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"));
    } catch {
      break; // refused, or reset: the server stopped accepting
    }
    // A loaded server accepts slower than we connect: the kernel's backlog would hold them all.
    if (i % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(held.length < 5 * DESCRIPTORS, `${held.length} connections were all accepted`);
  // The server noticed, and is still running.
  for (let wait = 0; wait < 50 && !/Out of file descriptors/.test(server.stderr()); wait++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.match(server.stderr(), /Out of file descriptors/);
  return held;
}

/** Checks that `server` answers `GET /api/v1/health` within about `seconds`. */
async function assertRecovers(server: RunningServer, seconds: number): Promise<void> {
  let recovered = false;
  for (const deadline = Date.now() + seconds * 1000; !recovered && Date.now() < deadline;) {
    recovered = await healthy(server.url);
    if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.ok(recovered, `no answer within ${seconds} s:\n${server.stderr()}`);
  assert.doesNotMatch(server.stderr(), /Uncaught/);
}

for (
  const [how, env] of [
    ["behind its front door", {}],
    ["with Deno.serve alone (HEADER_TIMEOUT_MS=0)", { HEADER_TIMEOUT_MS: "0" }],
  ] as const
) {
  Deno.test(`the Deno server ${how} survives running out of file descriptors, and recovers`, () =>
    withServer(startLimitedServer(env), async (server) => {
      const held = await holdEveryDescriptor(server);
      for (const conn of held) conn.close();
      await assertRecovers(server, 5);
    }));
}

Deno.test("with a header timeout it recovers while the clients still hold on", () =>
  withServer(startLimitedServer({ HEADER_TIMEOUT_MS: "1500" }), async (server) => {
    const held = await holdEveryDescriptor(server);
    try {
      // The half-sent headers are cut off 1.5 s after they came: each held connection ends.
      const buffer = new Uint8Array(1024);
      const ended = (conn: Deno.Conn): Promise<boolean> =>
        conn.read(buffer).then((read) => read === null || ended(conn), () => true);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const allEnded = await Promise.race([
        Promise.all(held.map(ended)).then(() => true),
        new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 10_000)),
      ]);
      clearTimeout(timer);
      assert.ok(allEnded, "every held connection was closed by the server within 10 s");
      await assertRecovers(server, 5);
    } finally {
      for (const conn of held) conn.close();
    }
  }));
