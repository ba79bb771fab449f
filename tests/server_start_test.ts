/**
 * How the Deno server starts (`functions/adapters/deno.ts`, what `deno task start` runs): on
 * `HOST` and `PORT`, saying where it listens; a taken port, a bad `PORT` or `HEADER_TIMEOUT_MS`
 * is one line and exit code 1, not a stack trace; and the tests' harness reports a server that
 * exits, with its code and output, instead of waiting for a health check that cannot come.
 */
import assert from "node:assert/strict";
import { LISTENING_LINE, startDenoServer, withServer } from "./api_servers.ts";

const ROOT = new URL("../", import.meta.url);

/** Runs the entry as `deno task start` does, with `env`; it must exit by itself. */
async function runEntry(env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-env", "functions/adapters/deno.ts"],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

Deno.test("by default it listens on every interface, and says where in one line", () =>
  withServer(startDenoServer({ HOST: "" }), async (server) => {
    const line = LISTENING_LINE.exec(server.stderr())?.[0] ?? "";
    assert.match(server.url, /^http:\/\/0\.0\.0\.0:\d+$/);
    const port = new URL(server.url).port;
    assert.match(
      server.stderr(),
      new RegExp(
        `^Listening on http://0\\.0\\.0\\.0:${port}/ \\(http://localhost:${port}/\\)`,
        "m",
      ),
      line,
    );
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  }));

Deno.test("HOST chooses the interface", () =>
  withServer(startDenoServer({ HOST: "127.0.0.1" }), (server) => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.stderr(), /^Listening on http:\/\/127\.0\.0\.1:\d+\/: the site at \//m);
    return Promise.resolve();
  }));

Deno.test("a port already in use is one line and exit code 1", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = taken.addr;
    const { code, stdout, stderr } = await runEntry({ HOST: "127.0.0.1", PORT: String(port) });
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `Cannot listen on 127.0.0.1:${port}: the port is already in use. Stop what uses it, or ` +
        "set PORT to another port (PORT=0 picks a free one).",
    );
  } finally {
    taken.close();
  }
});

Deno.test("a PORT that is not a port is one line and exit code 1", async () => {
  for (const port of ["http", "-1", "65536", "80.5"]) {
    const { code, stderr } = await runEntry({ PORT: port });
    assert.equal(code, 1, port);
    assert.equal(
      stderr,
      `PORT must be a TCP port from 0 to 65535 (0 picks a free one), not "${port}"`,
    );
  }
});

Deno.test("a HEADER_TIMEOUT_MS that is not an integer >= 0 is one line and exit code 1", async () => {
  for (const timeout of ["soon", "-1", "1.5"]) {
    const { code, stderr } = await runEntry({
      HOST: "127.0.0.1",
      PORT: "0",
      HEADER_TIMEOUT_MS: timeout,
    });
    assert.equal(code, 1, timeout);
    assert.equal(
      stderr,
      "HEADER_TIMEOUT_MS must be an integer >= 0 (milliseconds; 0: no header timeout), got " +
        `"${timeout}"`,
    );
  }
});

Deno.test("a server that exits is reported as exited, with its code and output", async () => {
  const started = Date.now();
  await assert.rejects(
    startDenoServer({ PORT: "http" }),
    (error: Error) => {
      assert.match(error.message, /^The Deno server exited with code 1 before it said where/);
      assert.match(error.message, /PORT must be a TCP port/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 30_000, "reported when it exited, not after a timeout");
});
