/**
 * The servers the API tests run against, started and stopped by the tests: the Deno entry
 * (`functions/adapters/deno.ts`) and the Worker under wrangler's local workerd.  Each runs in
 * its own process group, stopped as a whole.
 *
 * Each server picks a free port itself (`PORT=0`, `wrangler dev --port 0`) and says which in
 * its output; nothing else can take the port between our choosing and its listening, as it
 * could when a port was found free, closed and handed over.  When a server does not come up,
 * the error says what happened: it exited (with its code), it never said where it listens, or
 * it did and then did not answer.
 *
 * @module
 */
import { PROJECT_ROOT, READY_LINE, wranglerDev } from "../tools/worker_dev.ts";
import { ensureBuiltSite } from "./built_site.ts";

/** A running server. */
export interface RunningServer {
  /** Its base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** The process it was started as, the leader of its process group. */
  pid: number;
  /** The last 20,000 characters it printed on stdout. */
  stdout(): string;
  /** The last 20,000 characters it printed on stderr. */
  stderr(): string;
  /** Stops the server and every process it started. */
  stop(): Promise<void>;
}

/** What the Deno entry prints once it listens (`functions/adapters/deno.ts`). */
export const LISTENING_LINE = /^Listening on (http:\/\/[^\s/]+)\/[: ]/m;

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Keeps the last `limit` characters a process printed, for failure messages. */
class OutputTail {
  #text = "";
  #changed = Promise.withResolvers<void>();
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, readonly limit = 20_000) {
    this.done = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        const text = decoder.decode(chunk, { stream: true }).replace(ANSI, "");
        this.#text = (this.#text + text).slice(-this.limit);
        this.#changed.resolve();
        this.#changed = Promise.withResolvers<void>();
      }
    })();
  }

  get text(): string {
    return this.#text;
  }

  /**
   * Resolves when more text arrives; never once the stream has ended (a promise that is
   * already settled would make a waiting loop spin without letting the process's exit in).
   */
  changed(): Promise<void> {
    return this.#changed.promise;
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

/** The last lines of a process's output, for an error message. */
function outputs(stdout: OutputTail, stderr: OutputTail): string {
  const tail = (text: string) => text.trim().split("\n").slice(-40).join("\n") || "(nothing)";
  return `stdout:\n${tail(stdout.text)}\nstderr:\n${tail(stderr.text)}`;
}

/**
 * Waits for `child` (named `what`, started in its own process group with piped output) to print
 * the URL it serves (`announce`'s first group) and to answer `GET /api/v1/health` there; stops
 * it and throws, saying what happened, otherwise.
 */
export async function serveChild(
  what: string,
  child: Deno.ChildProcess,
  announce: RegExp,
  startupSeconds: number,
): Promise<RunningServer> {
  const stdout = new OutputTail(child.stdout);
  const stderr = new OutputTail(child.stderr);
  let exit: Deno.CommandStatus | undefined;
  const status = child.status.then((status) => exit = status);
  // SIGINT, as Ctrl-C: wrangler then stops and reaps workerd. What is
  // left of its process group after it exited is then killed.
  const stop = async () => {
    if (!exit) {
      child.kill("SIGINT");
      const timer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), 15_000);
      await status;
      clearTimeout(timer);
    }
    signalGroup(child.pid, "SIGKILL");
    await Promise.all([stdout.done, stderr.done]);
  };
  const fail = async (problem: string): Promise<never> => {
    await stop();
    throw new Error(`${what} ${problem}\n${outputs(stdout, stderr)}`);
  };
  const exited = () => `exited with code ${exit!.code}${exit!.signal ? ` (${exit!.signal})` : ""}`;

  const started = Date.now();
  const deadline = started + startupSeconds * 1000;
  let url: string | undefined;
  while (!url) {
    url = (announce.exec(stderr.text) ?? announce.exec(stdout.text))?.[1];
    if (url) break;
    if (exit) return await fail(`${exited()} before it said where it listens.`);
    const left = deadline - Date.now();
    if (left <= 0) {
      return await fail(`did not say where it listens within ${startupSeconds} s.`);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      stdout.changed(),
      stderr.changed(),
      status,
      new Promise((resolve) => timer = setTimeout(resolve, Math.min(left, 1000))),
    ]);
    clearTimeout(timer);
  }
  url = url.replace(/\/$/, "");
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (exit) return await fail(`said it listens on ${url}, then ${exited()}.`);
    try {
      const response = await fetch(`${url}/api/v1/health`);
      await response.body?.cancel();
      if (response.ok) {
        return { url, pid: child.pid, stdout: () => stdout.text, stderr: () => stderr.text, stop };
      }
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  return await fail(
    `said it listens on ${url}, but GET /api/v1/health did not answer 200 within ${seconds} s ` +
      `(last: ${last}).`,
  );
}

/**
 * Starts `functions/adapters/deno.ts` (what `deno task start` runs) on a free port of
 * 127.0.0.1, with `env` added to the environment; with `descriptors`, under a shell's
 * `ulimit -n` of that many file descriptors.
 */
export function startDenoServer(
  env: Record<string, string> = {},
  { descriptors }: { descriptors?: number } = {},
): Promise<RunningServer> {
  const run = ["run", "--allow-net", "--allow-read", "--allow-env", "functions/adapters/deno.ts"];
  const [command, args] = descriptors === undefined
    ? [Deno.execPath(), run]
    : ["sh", ["-c", `ulimit -n ${descriptors} && exec "$0" "$@"`, Deno.execPath(), ...run]];
  const child = new Deno.Command(command, {
    args,
    cwd: PROJECT_ROOT,
    env: { HOST: "127.0.0.1", PORT: "0", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const name = descriptors === undefined ? "The Deno server" : "The Deno server (ulimit -n)";
  return serveChild(name, child, LISTENING_LINE, 60);
}

/**
 * Starts the Worker under wrangler's local workerd (what `deno task worker` runs), building the
 * site first if it is not up to date: wrangler serves it as the Worker's static assets.
 */
export async function startWorker(vars: Record<string, string> = {}): Promise<RunningServer> {
  await ensureBuiltSite();
  const child = await wranglerDev(0, { vars, stdout: "piped" });
  return serveChild("wrangler dev (the Worker)", child, READY_LINE, 180);
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
