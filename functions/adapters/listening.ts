/**
 * The Deno server's listening socket: the URL it names, and listening again when clients take
 * every file descriptor.  Accepting a connection then fails with `Too many open files`:
 * `Deno.serve` stops for good (its `finished` rejects, which would end the process) and a
 * `Deno.listen` listener cannot accept.  Instead the server logs {@link OUT_OF_DESCRIPTORS},
 * closes the port (new connections are refused, not left waiting in its backlog), keeps serving
 * the connections it holds, and listens again on the same address every {@link RELISTEN_MS}
 * once some have closed ({@link setUpSignalsNow} must have run before).
 *
 * @module
 */

/** `http://host:port/`, with an IPv6 host in brackets. */
export function origin(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}/`;
}

/** Whether `error` says the process has no file descriptor left (EMFILE, or ENFILE). */
export function isOutOfDescriptors(error: unknown): boolean {
  return /Too many open files|os error 2[34]\b/.test(String(error));
}

/** How long the server waits before listening again once descriptors ran out, in ms. */
export const RELISTEN_MS = 500;

/** What the server logs, once, when descriptors run out. */
export const OUT_OF_DESCRIPTORS =
  "Out of file descriptors (too many open connections): refusing new connections until some close";

/**
 * Sets up Deno's handling of signals at once, while descriptors are free.  Deno does it when the
 * first signal listener is added, and it needs a socket pair for that: Deno 2.9.6 panics when it
 * gets none, as it did when its runtime added one after the server had run out (about half the
 * runs of `tests/api_descriptors_test.ts`).  The listener is removed at once: SIGINT and SIGTERM
 * still end the process.
 */
export function setUpSignalsNow(): void {
  const none = () => {};
  Deno.addSignalListener("SIGINT", none);
  Deno.removeSignalListener("SIGINT", none);
}

/** The descriptors that must be free before the server listens again. */
const SPARE_DESCRIPTORS = 16;

/**
 * Whether a few descriptors are free: with none to spare, the server would run out again at its
 * first connection.  Opens and closes them to find out.
 */
export function spareDescriptorsFree(): boolean {
  const files: Deno.FsFile[] = [];
  try {
    while (files.length < SPARE_DESCRIPTORS) files.push(Deno.openSync("/dev/null"));
    return true;
  } catch {
    return false;
  } finally {
    for (const file of files) file.close();
  }
}

/**
 * Keeps a `Deno.serve` server on `listen` up when descriptors run out: logs one line, and serves
 * `handler` again on the same address as soon as {@link spareDescriptorsFree}, as often as it
 * runs out.  Other errors that stop the server are thrown as before.
 */
export function relistenOnDescriptorExhaustion(
  server: Deno.HttpServer<Deno.NetAddr>,
  listen: { hostname: string; port: number },
  handler: Deno.ServeHandler<Deno.NetAddr>,
): void {
  server.finished.catch((error) => {
    if (!isOutOfDescriptors(error)) throw error;
    console.error(OUT_OF_DESCRIPTORS);
    const relisten = () => {
      let again: Deno.HttpServer<Deno.NetAddr> | undefined;
      if (spareDescriptorsFree()) {
        try {
          again = Deno.serve({ ...listen, onListen: () => {} }, handler);
        } catch {
          // Out of descriptors again, or the port taken meanwhile: the next attempt may do.
        }
      }
      if (again === undefined) {
        setTimeout(relisten, RELISTEN_MS);
        return;
      }
      console.error(`Listening again on ${origin(listen.hostname, listen.port)}`);
      relistenOnDescriptorExhaustion(again, listen, handler);
    };
    setTimeout(relisten, RELISTEN_MS);
  });
}
