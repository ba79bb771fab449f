/**
 * The servers the API tests run against, started and stopped by the tests: the Deno entry
 * (`functions/adapters/deno.ts`) and the Worker under wrangler's local workerd.  Each runs in its own
 * process group, stopped as a whole.
 *
 * @module
 */
import { PROJECT_ROOT, wranglerDev } from "../tools/worker_dev.ts";

/** A running server. */
export interface RunningServer {
  /** Its base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** The process it was started as, the leader of its process group. */
  pid: number;
  /** The last 20,000 characters it printed on stdout. */
  stdout(): string;
  /** Stops the server and every process it started. */
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Keeps the last `limit` characters a process printed, for failure messages. */
class OutputTail {
  #text = "";
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, readonly limit = 20_000) {
    this.done = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        this.#text = (this.#text + decoder.decode(chunk, { stream: true })).slice(-this.limit);
      }
    })();
  }

  get text(): string {
    return this.#text;
  }
}

/** Sends `signal` to every process of a process group that is still there. */
function signalGroup(leader: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-leader, signal);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function serve(
  child: Deno.ChildProcess,
  url: string,
  startupSeconds: number,
): Promise<RunningServer> {
  const stdout = new OutputTail(child.stdout);
  const stderr = new OutputTail(child.stderr);
  let exited = false;
  const status = child.status.then((status) => {
    exited = true;
    return status;
  });
  // SIGINT, as Ctrl-C: wrangler then stops and reaps workerd. What is
  // left of its process group after it exited is then killed.
  const stop = async () => {
    if (!exited) {
      child.kill("SIGINT");
      const timer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), 15_000);
      await status;
      clearTimeout(timer);
    }
    signalGroup(child.pid, "SIGKILL");
    await Promise.all([stdout.done, stderr.done]);
  };
  const deadline = Date.now() + startupSeconds * 1000;
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`${url}/api/v1/health`);
      await response.body?.cancel();
      if (response.ok) return { url, pid: child.pid, stdout: () => stdout.text, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(
    `The server at ${url} did not answer /api/v1/health within ${startupSeconds} s.\n` +
      `stdout:\n${stdout.text}\nstderr:\n${stderr.text}`,
  );
}

/** Starts `functions/adapters/deno.ts` (what `deno task start` runs) on a free port. */
export function startDenoServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-env", "functions/adapters/deno.ts"],
    cwd: PROJECT_ROOT,
    env: { ...env, PORT: String(port) },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  return serve(child, `http://127.0.0.1:${port}`, 60);
}

/** Starts the Worker under wrangler's local workerd (what `deno task worker` runs). */
export function startWorker(vars: Record<string, string> = {}): Promise<RunningServer> {
  const port = freePort();
  const child = wranglerDev(port, { vars, stdout: "piped" });
  return serve(child, `http://127.0.0.1:${port}`, 180);
}

/** Runs `body` against a server being started, and stops the server however `body` ends. */
export async function withServer<T>(
  starting: Promise<RunningServer>,
  body: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const server = await starting;
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}
