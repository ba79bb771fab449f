/**
 * The Deno server's header timeout (`HEADER_TIMEOUT_MS`, `functions/adapters/front_door.ts`):
 * headers trickled in, on a new connection or a kept-alive one, are cut off once the timeout has
 * passed since their first byte, and so is a connection silent that long, or a client that
 * stopped reading its answer; meanwhile other requests are answered, a body slower than the
 * timeout is still read (or answered 408 past `BODY_TIMEOUT_SECONDS`), pipelined requests are
 * answered in order, and the rate limit keys on the client's address, not the front door's.  `HEADER_TIMEOUT_MS=0` serves without the front
 * door.  Every wait is bounded.
 */
import assert from "node:assert/strict";
import { FrontDoor } from "../functions/adapters/front_door.ts";
import { assertProblem } from "./api_http.ts";
import { type RunningServer, startDenoServer, withServer } from "./api_servers.ts";

/** The header timeout the server is started with, in ms. */
const TIMEOUT_MS = 1000;

/** How long a test waits for the server to close a connection, in ms: far past the timeout. */
const CLOSE_WITHIN_MS = 10_000;

/** How often a slow client sends its next byte, in ms. */
const TRICKLE_MS = 200;

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection of our own to a server: what it read, and when the server closed it. */
class RawClient {
  /** What the server sent. */
  text = "";
  /** When the server closed the connection (ms since the epoch), once it has. */
  closedAt: number | undefined;
  #reading: Promise<void> | undefined;

  private constructor(readonly conn: Deno.TcpConn) {}

  /** Connects to `url` (`http://host:port`); reads what comes unless `reading` is false. */
  static async open(url: string, reading = true): Promise<RawClient> {
    const { hostname, port } = new URL(url);
    const client = new RawClient(await Deno.connect({ hostname, port: Number(port) }));
    if (reading) client.startReading();
    return client;
  }

  /** Reads what the server sends, until it closes the connection. */
  startReading(): void {
    this.#reading ??= (async () => {
      const buffer = new Uint8Array(65536);
      const decoder = new TextDecoder();
      try {
        for (
          let read = await this.conn.read(buffer);
          read !== null;
          read = await this.conn.read(buffer)
        ) {
          this.text += decoder.decode(buffer.subarray(0, read), { stream: true });
        }
      } catch {
        // Reset by the server: closed as well.
      }
      this.closedAt ??= Date.now();
    })();
  }

  /** Sends `text`; false when the server has closed the connection. */
  async send(text: string): Promise<boolean> {
    const bytes = encoder.encode(text);
    try {
      for (let written = 0; written < bytes.length;) {
        written += await this.conn.write(bytes.subarray(written));
      }
      return this.closedAt === undefined;
    } catch {
      this.closedAt ??= Date.now();
      return false;
    }
  }

  /** Sends a byte every {@link TRICKLE_MS} until the server closes or `ms` have passed. */
  async trickle(ms: number): Promise<number> {
    const until = Date.now() + ms;
    let sent = 0;
    while (Date.now() < until && await this.send("a")) {
      sent++;
      await sleep(TRICKLE_MS);
    }
    return sent;
  }

  /** Waits until `done` holds of what was read, or the connection closed, or `ms` passed. */
  async until(done: (text: string) => boolean, ms = CLOSE_WITHIN_MS): Promise<string> {
    const until = Date.now() + ms;
    while (!done(this.text) && this.closedAt === undefined && Date.now() < until) await sleep(20);
    return this.text;
  }

  /** Closes our side and waits for the reader to end. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
    await this.#reading;
  }
}

/** The statuses of the answers in `text`, in order. */
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => +m[1]);

/**
 * Checks that `client`, whose headers began at `started`, was closed by the server after the
 * timeout and well before {@link CLOSE_WITHIN_MS}.
 */
function assertCutOff(client: RawClient, started: number): void {
  assert.ok(client.closedAt !== undefined, `still open after ${CLOSE_WITHIN_MS} ms`);
  const after = client.closedAt - started;
  // Date.now() counts whole milliseconds on both sides: a little slack for the rounding.
  assert.ok(after >= TIMEOUT_MS - 20, `closed after ${after} ms, before the timeout`);
}

const head = (path: string, more = "") => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${more}`;

Deno.test("the header timeout on Deno", (t) =>
  withServer(
    startDenoServer({ HEADER_TIMEOUT_MS: String(TIMEOUT_MS), BODY_TIMEOUT_SECONDS: "3" }),
    async (server) => {
      const health = `${server.url}/api/v1/health`;

      await t.step(
        "headers trickled in are cut off after the timeout; others answered",
        async () => {
          const client = await RawClient.open(server.url);
          try {
            const started = Date.now();
            assert.ok(await client.send(head("/api/v1/health", "X-Slow: ")));
            const [sent, answer] = await Promise.all([
              client.trickle(CLOSE_WITHIN_MS),
              fetch(health),
            ]);
            assert.equal(answer.status, 200, "a request of another client meanwhile");
            await answer.body?.cancel();
            assertCutOff(client, started);
            assert.ok(sent >= 3, `${sent} bytes trickled before the cut`);
            assert.equal(client.text, "", "no answer");
          } finally {
            await client.close();
          }
        },
      );

      await t.step("a kept-alive connection trickling its next request is cut off", async () => {
        const client = await RawClient.open(server.url);
        try {
          assert.ok(await client.send(head("/api/v1/health", "\r\n")));
          await client.until((text) => text.includes('"status":"ok"'));
          assert.deepEqual(statuses(client.text), [200]);
          const started = Date.now();
          assert.ok(await client.send(head("/api/v1/health", "X-Slow: ")));
          await client.trickle(CLOSE_WITHIN_MS);
          assertCutOff(client, started);
          assert.deepEqual(statuses(client.text), [200], "the first answer only");
        } finally {
          await client.close();
        }
      });

      await t.step("a connection that sends nothing is closed after the timeout", async () => {
        const started = Date.now();
        const client = await RawClient.open(server.url);
        try {
          await client.until(() => false);
          assertCutOff(client, started);
        } finally {
          await client.close();
        }
      });

      await t.step(
        "a body slower than the header timeout is read, or a 408 past its own",
        async () => {
          const body = '{"inputs": {"input": [1], "target": [3]}}';
          const post = (length: number) =>
            "POST /api/v1/losses/mse HTTP/1.1\r\nHost: localhost\r\n" +
            `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
          const slow = await RawClient.open(server.url);
          try {
            const started = Date.now();
            assert.ok(await slow.send(post(body.length)));
            // 9 parts, 200 ms apart (1.8 s): past the header timeout, within the body timeout of 3 s.
            for (let at = 0; at < body.length; at += 5) {
              await sleep(TRICKLE_MS);
              assert.ok(await slow.send(body.slice(at, at + 5)), `open at ${Date.now() - started}`);
            }
            await slow.until((text) => text.includes('"output"'));
            assert.ok(Date.now() - started > TIMEOUT_MS, "the body took longer than the timeout");
            assert.deepEqual(statuses(slow.text), [200], slow.text);
            assert.match(slow.text, /"data":\[4\]/);
          } finally {
            await slow.close();
          }
          // Past the body timeout: a body trickled in, and one silent for the 3 s.
          for (const trickled of [true, false]) {
            const stalled = await RawClient.open(server.url);
            try {
              assert.ok(await stalled.send(`${post(1000)}{`));
              if (trickled) await stalled.trickle(CLOSE_WITHIN_MS);
              else await stalled.until((text) => text.includes("\r\n\r\n"));
              assert.match(
                stalled.text,
                /^HTTP\/1\.1 408 /,
                `the body timeout's answer, ${trickled ? "trickled" : "silent"}`,
              );
            } finally {
              await stalled.close();
            }
          }
        },
      );

      await t.step("pipelined requests, HEAD among them, are answered in order", async () => {
        const client = await RawClient.open(server.url);
        try {
          const body = '{"inputs": {"input": [1], "target": [2]}}';
          assert.ok(
            await client.send(
              head("/api/v1/health", "\r\n") +
                "HEAD /losses/mse HTTP/1.1\r\nHost: localhost\r\n\r\n" +
                "POST /api/v1/losses/mse HTTP/1.1\r\nHost: localhost\r\n" +
                "Content-Type: application/json\r\nConnection: close\r\n" +
                `Content-Length: ${body.length}\r\n\r\n${body}`,
            ),
          );
          await client.until(() => false);
          assert.ok(client.closedAt !== undefined, "closed after the last answer");
          assert.deepEqual(statuses(client.text), [200, 200, 200], client.text);
          assert.match(client.text, /"data":\[1\][^]*$/);
          assert.doesNotMatch(client.text, /<html/i, "no body for HEAD");
        } finally {
          await client.close();
        }
      });
    },
  ));

Deno.test("long answers: a client that stops reading is cut off, a slow one is not", (t) => {
  // MSELoss of a million elements, with its gradient: an answer of 59 MB, more than the sockets
  // between the server and the client hold.
  const n = 1_000_000;
  const tensor = (value: string) => `[${new Array(n).fill(value).join(",")}]`;
  const body = `{"inputs": {"input": ${tensor("0.1")}, "target": ${tensor("0.7")}}, ` +
    `"options": {"reduction": "none"}, "grad": true}`;
  const post = "POST /api/v1/losses/mse HTTP/1.1\r\nHost: localhost\r\n" +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  return withServer(
    startDenoServer({
      HEADER_TIMEOUT_MS: String(TIMEOUT_MS),
      MAX_ELEMENTS: String(2 * n),
      MAX_BODY_BYTES: String(2 * body.length),
    }),
    async (server) => {
      const logged = () =>
        server.stdout().split('"route":"/api/v1/losses/:name","status":200').length - 1;
      /** Waits until the server logged `count` answers of the loss (their handler returned). */
      const answered = async (count: number) => {
        for (const until = Date.now() + 20_000; logged() < count && Date.now() < until;) {
          await sleep(100);
        }
        assert.equal(logged(), count, "the answer was logged within 20 s");
      };

      await t.step("a client that stops reading its answer is cut off", async () => {
        const client = await RawClient.open(server.url, false);
        try {
          assert.ok(await client.send(post));
          await answered(1);
          // The answer stops moving; 3 timeouts later, what the sockets held, then the close.
          await sleep(3 * TIMEOUT_MS);
          client.startReading();
          await client.until(() => false);
          assert.ok(client.closedAt !== undefined, "cut off");
          assert.ok(client.text.length < 50_000_000, `${client.text.length} characters: all`);
        } finally {
          await client.close();
        }
      });

      await t.step("a slow reader keeps the request it pipelined during the answer", async () => {
        const client = await RawClient.open(server.url, false);
        try {
          assert.ok(await client.send(post));
          await answered(2);
          // Sent once the handler has returned: hyper reads it after the 59 MB, 2.4 s or more.
          assert.ok(await client.send(head("/api/v1/health", "Connection: close\r\n\r\n")));
          const buffer = new Uint8Array(256 * 1024);
          let tail = "";
          let bytes = 0;
          for (const until = Date.now() + 30_000; Date.now() < until;) {
            const read = await client.conn.read(buffer).catch(() => null);
            if (read === null) break;
            bytes += read;
            tail = (tail + new TextDecoder().decode(buffer.subarray(0, read))).slice(-2000);
            await sleep(10);
          }
          assert.ok(bytes > 50_000_000, `${bytes} bytes read`);
          assert.match(tail, /HTTP\/1\.1 200 [^]*"status":"ok"/, "the pipelined request's answer");
        } finally {
          await client.close();
        }
      });
    },
  );
});

Deno.test("the rate limit behind the front door keys on the client's address", () =>
  withServer(
    startDenoServer({ HOST: "::", RATE_LIMIT_PER_MINUTE: "3" }),
    async (server) => {
      const port = new URL(server.url).port;
      // From ::1 (as the start's health checks came) until refused; the front door's own
      // connections all come from 127.0.0.1, so a limit keyed on them would refuse the next too.
      let refused: Response | undefined;
      for (let i = 0; i < 4 && !refused; i++) {
        const response = await fetch(`http://[::1]:${port}/api/v1/health`);
        if (response.status === 429) refused = response;
        else await response.body?.cancel();
      }
      assert.ok(refused, "a 429 within 4 requests from ::1");
      await assertProblem(refused, 429, "client");
      const other = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      await other.body?.cancel();
      assert.equal(other.status, 200, "another address has its own limit");
    },
  ));

Deno.test("HEADER_TIMEOUT_MS=0: no front door, headers may take their time", () =>
  withServer(startDenoServer({ HEADER_TIMEOUT_MS: "0" }), async (server: RunningServer) => {
    const client = await RawClient.open(server.url);
    try {
      assert.ok(await client.send(head("/api/v1/health", "X-Slow: ")));
      await client.trickle(3 * TIMEOUT_MS);
      assert.equal(client.closedAt, undefined, "still open");
      assert.ok(await client.send("\r\n\r\n"));
      await client.until((text) => text.includes('"status":"ok"'));
      assert.deepEqual(statuses(client.text), [200]);
    } finally {
      await client.close();
    }
  }));

Deno.test("the front door passes the client's own address to the handler", async () => {
  const door = new FrontDoor(
    { hostname: "127.0.0.1", port: 0, headerTimeoutMs: TIMEOUT_MS },
    (_request, info) => Response.json(info.remoteAddr),
  );
  const client = await RawClient.open(`http://127.0.0.1:${door.addr.port}`);
  try {
    assert.ok(await client.send(head("/", "\r\n")));
    await client.until((text) => text.endsWith("}"));
    const seen = JSON.parse(client.text.slice(client.text.indexOf("\r\n\r\n") + 4));
    assert.deepEqual(seen, { ...client.conn.localAddr });
  } finally {
    await client.close();
    await door.shutdown();
  }
});
