/**
 * The Deno server's front door: a TCP listener on the public address that passes each client's
 * bytes, both ways, to `Deno.serve` on a port of the loopback, and cuts off connections whose
 * headers trickle in.  `Deno.serve` has no header timeout (Deno 2.9.6: a connection sending one
 * header byte a second stays open past 70 s, and holds a file descriptor all that time).
 *
 * `Deno.serve` (hyper) still parses all of HTTP; the front door learns where requests begin
 * from the handler, which it wraps: a request from the loopback port P belongs to the connection
 * whose socket to the internal server has the local port P.  For each connection:
 *
 * - while one of its requests is in the handler (from its call until it returns), no timer
 *   runs: `BODY_TIMEOUT_SECONDS` bounds a slow body;
 * - otherwise it is closed once `HEADER_TIMEOUT_MS` pass without a byte either way: one that
 *   never sends a request, one idle between two, and one whose client stopped reading its answer;
 * - and once its client has sent a byte while no handler runs, the next request must reach the
 *   handler within `HEADER_TIMEOUT_MS` of that byte, or of the server's last byte if that came
 *   later, however many bytes trickle in meanwhile.
 *
 * The server's last byte counts as hyper reads a pipelined request only once it has written the
 * answer before: a client reading a long answer slowly keeps the request it sent meanwhile.  The
 * handler's return, not `info.completed`, ends a request's exemption: `completed` resolves as soon
 * as a body held in one buffer is handed over, before it is written.  A connection cut off is
 * closed without an answer.  The handler sees the client's address as `info.remoteAddr`, not the
 * loopback's; a request that reaches the internal port without the front door (only a process of
 * this machine can) is served as it came.
 *
 * Each client's connection holds three descriptors (its socket, the front door's socket to the
 * internal server, and that server's), against one without the front door.
 *
 * @module
 */
import {
  isOutOfDescriptors,
  origin,
  OUT_OF_DESCRIPTORS,
  RELISTEN_MS,
  spareDescriptorsFree,
} from "./listening.ts";

/** The environment variable of the header timeout. */
export const HEADER_TIMEOUT_VARIABLE = "HEADER_TIMEOUT_MS";

/** How long headers may take when `HEADER_TIMEOUT_MS` is unset, in ms. */
export const DEFAULT_HEADER_TIMEOUT_MS = 20_000;

/**
 * Reads `HEADER_TIMEOUT_MS`, the default when it is unset; 0 means no front door at all.
 *
 * @throws RangeError when it is set but is not an integer >= 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerTimeoutFromEnv } from "./front_door.ts";
 * assert.equal(headerTimeoutFromEnv({ HEADER_TIMEOUT_MS: "1500" }), 1500);
 * assert.equal(headerTimeoutFromEnv({}), 20_000);
 * ```
 */
export function headerTimeoutFromEnv(env: Record<string, unknown>): number {
  const value = env[HEADER_TIMEOUT_VARIABLE];
  if (value === undefined || value === "") return DEFAULT_HEADER_TIMEOUT_MS;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new RangeError(
      `${HEADER_TIMEOUT_VARIABLE} must be an integer >= 0 (milliseconds; 0: no header timeout), ` +
        `got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/** The bytes read at once in each direction of a connection, and while a large body passes. */
const CHUNK_BYTES = 16 * 1024;
const LARGE_CHUNK_BYTES = 64 * 1024;

/** The loopback address the internal server listens on. */
const INTERNAL_HOST = "127.0.0.1";

/**
 * A connection's key: the internal server's port and the port of the front door's socket to it,
 * which the handler sees as the request's remote port.
 */
const keyOf = (internalPort: number, localPort: number) => internalPort * 65536 + localPort;

/** A client's connection and the front door's socket to the internal server for it. */
class Passage {
  /** The requests of this connection in the handler. */
  #inHandler = 0;
  /** When the client's first byte since a request last reached the handler came, if any. */
  #headersSince: number | undefined;
  /** When a byte last passed either way, or a handler returned (ms since the epoch). */
  #lastActive = Date.now();
  /** When the server last sent a byte. */
  #lastFromServer = 0;
  #closed = false;

  constructor(
    readonly client: Deno.TcpConn,
    readonly upstream: Deno.TcpConn,
  ) {}

  /** Passes bytes both ways until both sides have closed, or either fails; then closes both. */
  async run(): Promise<void> {
    await Promise.all([
      this.#pipe(this.client, this.upstream, this.#fromClient),
      this.#pipe(this.upstream, this.client, this.#fromServer),
    ]);
    this.close();
  }

  /**
   * Copies `from` to `to`, then half-closes `to`; on an error closes both sides.  A read that
   * fills its buffer is followed by reads into a larger one until a read comes short: a 4 MiB
   * body then takes a quarter of the reads and writes, and an idle connection holds the small
   * buffers only.
   */
  async #pipe(from: Deno.TcpConn, to: Deno.TcpConn, passed: () => void): Promise<void> {
    const small = new Uint8Array(CHUNK_BYTES);
    let buffer = small;
    try {
      for (let read = await from.read(buffer); read !== null; read = await from.read(buffer)) {
        passed();
        for (let written = 0; written < read;) {
          written += await to.write(buffer.subarray(written, read));
        }
        if (read < buffer.length) buffer = small;
        else if (buffer === small) buffer = new Uint8Array(LARGE_CHUNK_BYTES);
      }
      await to.closeWrite();
    } catch {
      this.close();
    }
  }

  #fromClient = () => {
    this.#lastActive = Date.now();
    if (this.#inHandler === 0) this.#headersSince ??= this.#lastActive;
  };

  #fromServer = () => {
    this.#lastActive = this.#lastFromServer = Date.now();
  };

  /** A request of this connection reached the handler. */
  requestStarted(): void {
    this.#inHandler++;
    this.#headersSince = undefined;
  }

  /** The handler of a request of this connection returned (or threw). */
  handlerReturned = () => {
    this.#inHandler--;
    this.#lastActive = Date.now();
  };

  /** Whether the connection has waited `timeoutMs` for a request, or been silent that long. */
  expired(now: number, timeoutMs: number): boolean {
    if (this.#inHandler > 0) return false;
    if (now - this.#lastActive >= timeoutMs) return true;
    const since = this.#headersSince;
    return since !== undefined && now - Math.max(since, this.#lastFromServer) >= timeoutMs;
  }

  /** Closes both sockets (once). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const conn of [this.client, this.upstream]) {
      try {
        conn.close();
      } catch {
        // Closed already by the other side's failure.
      }
    }
  }
}

/** The internal server and the port it listens on. */
interface Internal {
  server: Deno.HttpServer<Deno.NetAddr>;
  port: number;
}

/**
 * Serves `handler` on `hostname:port` (0 picks a free port; `addr` says which) through the
 * front door, with the header timeout `headerTimeoutMs` (see the module's rules).
 *
 * @throws the errors of `Deno.listen` (`AddrInUse`, `AddrNotAvailable`, `PermissionDenied`).
 */
export class FrontDoor {
  /** The public address. */
  readonly addr: Deno.NetAddr;
  readonly #handler: Deno.ServeHandler<Deno.NetAddr>;
  readonly #headerTimeoutMs: number;
  /** The public listener; undefined while out of descriptors, or once shut down. */
  #listener: Deno.TcpListener | undefined;
  /** The internal server; undefined while it is out of descriptors, or once shut down. */
  #internal: Internal | undefined;
  readonly #passages = new Map<number, Passage>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #paused = false;
  #shutDown = false;

  constructor(
    options: { hostname: string; port: number; headerTimeoutMs: number },
    handler: Deno.ServeHandler<Deno.NetAddr>,
  ) {
    this.#handler = handler;
    this.#headerTimeoutMs = options.headerTimeoutMs;
    this.#listener = Deno.listen({ hostname: options.hostname, port: options.port });
    this.addr = this.#listener.addr;
    this.#internal = this.#serveInternal();
    this.#accept(this.#listener);
  }

  /** Stops listening, closes every connection and stops the internal server. */
  async shutdown(): Promise<void> {
    this.#shutDown = true;
    this.#listener?.close();
    this.#listener = undefined;
    for (const passage of this.#passages.values()) passage.close();
    clearInterval(this.#sweeper);
    await this.#internal?.server.shutdown();
    this.#internal = undefined;
  }

  /** Serves the wrapped handler on a free port of the loopback. */
  #serveInternal(): Internal {
    const server = Deno.serve(
      { hostname: INTERNAL_HOST, port: 0, onListen: () => {} },
      (request, info) => {
        const passage = this.#passages.get(keyOf(port, info.remoteAddr.port));
        if (passage === undefined) return this.#handler(request, info);
        passage.requestStarted();
        let answer: Response | Promise<Response>;
        try {
          answer = this.#handler(request, {
            remoteAddr: passage.client.remoteAddr,
            completed: info.completed,
          });
        } catch (error) {
          passage.handlerReturned();
          throw error;
        }
        Promise.resolve(answer).then(passage.handlerReturned, passage.handlerReturned);
        return answer;
      },
    );
    const port = server.addr.port;
    server.finished.catch((error) => {
      if (!isOutOfDescriptors(error)) throw error;
      if (this.#internal?.server === server) this.#internal = undefined;
      this.#pause();
    });
    return { server, port };
  }

  /** Accepts connections on `listener` until it is closed. */
  async #accept(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let client: Deno.TcpConn;
      try {
        client = await listener.accept();
      } catch (error) {
        if (listener !== this.#listener) return; // closed: out of descriptors, or shut down
        if (isOutOfDescriptors(error)) return this.#pause();
        continue; // a connection that failed before it was accepted
      }
      this.#pass(client);
    }
  }

  /** Connects `client` to the internal server and passes its bytes until either side closes. */
  async #pass(client: Deno.TcpConn): Promise<void> {
    const internal = this.#internal;
    if (internal === undefined) {
      // It stopped, out of descriptors, since this connection was accepted: the port closes too.
      client.close();
      return;
    }
    let upstream: Deno.TcpConn | undefined;
    try {
      upstream = await Deno.connect({ hostname: INTERNAL_HOST, port: internal.port });
      // Each side's bytes go on as they come: Nagle's wait would delay an answer's last part.
      client.setNoDelay();
      upstream.setNoDelay();
    } catch (error) {
      client.close();
      upstream?.close();
      if (isOutOfDescriptors(error)) this.#pause();
      return;
    }
    const passage = new Passage(client, upstream);
    const key = keyOf(internal.port, upstream.localAddr.port);
    this.#passages.set(key, passage);
    this.#sweeper ??= setInterval(this.#sweep, sweepInterval(this.#headerTimeoutMs));
    if (this.#shutDown) passage.close();
    await passage.run();
    if (this.#passages.get(key) === passage) this.#passages.delete(key);
    if (this.#passages.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /** Closes the connections past their header deadline or idle too long. */
  #sweep = () => {
    const now = Date.now();
    for (const passage of this.#passages.values()) {
      if (passage.expired(now, this.#headerTimeoutMs)) passage.close();
    }
  };

  /** Out of descriptors: refuses connections until {@link spareDescriptorsFree}. */
  #pause(): void {
    if (this.#paused || this.#shutDown) return;
    this.#paused = true;
    console.error(OUT_OF_DESCRIPTORS);
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.close();
    setTimeout(this.#resume, RELISTEN_MS);
  }

  /** Listens again, the internal server too if it stopped; or tries again later. */
  #resume = () => {
    if (this.#shutDown) return;
    if (spareDescriptorsFree()) {
      try {
        this.#internal ??= this.#serveInternal();
        this.#listener = Deno.listen({ hostname: this.addr.hostname, port: this.addr.port });
      } catch {
        // Out of descriptors again, or the port taken meanwhile: the next attempt may do.
      }
    }
    if (this.#listener === undefined) {
      setTimeout(this.#resume, RELISTEN_MS);
      return;
    }
    this.#paused = false;
    console.error(`Listening again on ${origin(this.addr.hostname, this.addr.port)}`);
    this.#accept(this.#listener);
  };
}

/** How often the connections' deadlines are checked: a tenth of the timeout, 10 ms to 1 s. */
function sweepInterval(timeoutMs: number): number {
  return Math.min(1000, Math.max(10, Math.ceil(timeoutMs / 10)));
}
