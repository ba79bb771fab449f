/**
 * Measures the first `npx -y deno@2.9.6 task start` of a new user: a fresh clone of this
 * repository, an empty Deno cache and an empty npm cache and prefix (so that npx fetches Deno
 * itself), every download counted by a local HTTPS proxy that relays them and adds up their
 * bytes.  Then, in the same caches, what the other tasks fetch besides: the tests' and
 * benchmarks' packages (`deno.dev.lock`) and wrangler with workerd (`deno.wrangler.lock`).
 *
 *     deno run -A tools/first_start.ts           # prints the figures as a Markdown table
 *     deno run -A tools/first_start.ts <commit>  # the same for an earlier commit
 *
 * Needs Node (npx) and git; the clone is of the committed HEAD (or `<commit>`).  Figures go to
 * BENCHMARKS.md.
 *
 * @module
 */

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const DENO = "deno@2.9.6";

/** A CONNECT proxy on 127.0.0.1 that counts the bytes the servers send through it. */
function countingProxy(): { port: number; received: () => number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let received = 0;
  const connections = new Set<Deno.Conn>();
  (async () => {
    for await (const client of listener) {
      connections.add(client);
      relay(client).catch(() => {}).finally(() => {
        connections.delete(client);
        try {
          client.close();
        } catch {
          // closed already
        }
      });
    }
  })().catch(() => {});
  async function relay(client: Deno.Conn): Promise<void> {
    const reader = client.readable.getReader();
    let head = "";
    const decoder = new TextDecoder();
    while (!head.includes("\r\n\r\n")) {
      const { value, done } = await reader.read();
      if (done) return;
      head += decoder.decode(value, { stream: true });
    }
    reader.releaseLock();
    const [method, target] = head.split(" ");
    if (method !== "CONNECT") return;
    const [hostname, port] = target.split(":");
    const server = await Deno.connect({ hostname, port: Number(port) });
    await client.write(new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
    const counted = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.length;
        controller.enqueue(chunk);
      },
    });
    await Promise.allSettled([
      client.readable.pipeTo(server.writable),
      server.readable.pipeThrough(counted).pipeTo(client.writable),
    ]);
  }
  return {
    port: listener.addr.port,
    received: () => received,
    close: () => {
      listener.close();
      for (const connection of connections) {
        try {
          connection.close();
        } catch {
          // closed already
        }
      }
    },
  };
}

/** The size of a folder's files, in bytes (`du -sb`). */
async function folderBytes(path: string): Promise<number> {
  const { stdout } = await new Deno.Command("du", { args: ["-sb", path], stdout: "piped" })
    .output();
  return Number(new TextDecoder().decode(stdout).split("\t")[0]);
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

const work = await Deno.makeTempDir({ prefix: "first-start-" });
const clone = `${work}/clone`;
const proxy = countingProxy();
const proxyUrl = `http://127.0.0.1:${proxy.port}`;
// The environment is kept (its certificate settings among it); only the caches are new.
const env: Record<string, string> = {
  DENO_DIR: `${work}/deno`,
  npm_config_cache: `${work}/npm-cache`,
  npm_config_prefix: `${work}/npm-prefix`,
  npm_config_update_notifier: "false",
  HTTPS_PROXY: proxyUrl,
  HTTP_PROXY: proxyUrl,
  npm_config_https_proxy: proxyUrl,
  npm_config_proxy: proxyUrl,
};

/** Runs `npx -y deno@2.9.6 <args>` in the clone; returns its seconds and the bytes fetched. */
async function npxDeno(args: string[]): Promise<{ seconds: number; bytes: number }> {
  const before = proxy.received();
  const started = performance.now();
  const { success, stderr } = await new Deno.Command("npx", {
    args: ["-y", DENO, ...args],
    cwd: clone,
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`npx ${DENO} ${args.join(" ")}:\n${new TextDecoder().decode(stderr)}`);
  }
  return { seconds: (performance.now() - started) / 1000, bytes: proxy.received() - before };
}

/** Runs `npx -y deno@2.9.6 task start` until its health check answers, then stops it. */
async function firstStart(): Promise<{ seconds: number; bytes: number }> {
  const before = proxy.received();
  const started = performance.now();
  const child = new Deno.Command("npx", {
    args: ["-y", DENO, "task", "start"],
    cwd: clone,
    env: { ...env, HOST: "127.0.0.1", PORT: "0" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  let output = "";
  try {
    // Both streams, into one: earlier commits printed Deno's own "Listening on" line.
    const lines = new TransformStream<Uint8Array, Uint8Array>();
    const writer = lines.writable.getWriter();
    const pump = (stream: ReadableStream<Uint8Array>) =>
      stream.pipeTo(new WritableStream({ write: (chunk) => writer.write(chunk) }));
    Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => writer.close())
      .catch(() => {}); // the loop below stops reading once the server answers
    const decoder = new TextDecoder();
    for await (const chunk of lines.readable) {
      output += decoder.decode(chunk, { stream: true });
      const url = /Listening on (http:\/\/[^\s/]+)\//.exec(output)?.[1]
        ?.replace("0.0.0.0", "127.0.0.1");
      if (!url) continue;
      // /api/health: earlier commits had no /api/v1.
      for (const deadline = performance.now() + 300_000; performance.now() < deadline;) {
        for (const path of ["/api/v1/health", "/api/health"]) {
          const answer = await fetch(`${url}${path}`).catch(() => undefined);
          await answer?.body?.cancel();
          if (answer?.ok) {
            const seconds = (performance.now() - started) / 1000;
            return { seconds, bytes: proxy.received() - before };
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`task start listens on ${url} but its health check does not answer`);
    }
    throw new Error(`task start ended without answering:\n${output}`);
  } finally {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      try {
        Deno.kill(-child.pid, signal);
      } catch {
        // gone
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await child.status;
  }
}

try {
  const git = await new Deno.Command("git", { args: ["clone", "-q", ROOT, clone] }).output();
  if (!git.success) throw new Error(new TextDecoder().decode(git.stderr));
  if (Deno.args[0]) {
    const checkout = await new Deno.Command("git", {
      args: ["-C", clone, "checkout", "-q", Deno.args[0]],
    }).output();
    if (!checkout.success) throw new Error(new TextDecoder().decode(checkout.stderr));
  }
  const { stdout } = await new Deno.Command("git", {
    args: ["-C", clone, "log", "-1", "--format=%h %cs"],
    stdout: "piped",
  }).output();
  const commit = new TextDecoder().decode(stdout).trim();

  const deno = await npxDeno(["--version"]);
  const start = await firstStart();
  const startDisk = await folderBytes(`${work}/deno`) + await folderBytes(`${clone}/node_modules`);
  const exists = (path: string) => Deno.stat(`${clone}/${path}`).then(() => true, () => false);
  const none = { seconds: 0, bytes: 0 };
  const dev = await exists("deno.dev.json")
    ? await npxDeno(["install", "--config", "deno.dev.json"])
    : none;
  const worker = await exists("tools/wrangler.ts")
    ? await npxDeno(["run", "-A", "tools/wrangler.ts", "--version"])
    : none;
  const disk = await folderBytes(`${work}/deno`) + await folderBytes(`${clone}/node_modules`);

  console.log(
    `First start of commit ${commit}, ${new Date().toISOString().slice(0, 16)} UTC, ` +
      `${navigator.hardwareConcurrency} cores, load ${Deno.loadavg()[0].toFixed(1)}:\n`,
  );
  console.log("| step | fetched (MB) | seconds |");
  console.log("| --- | ---: | ---: |");
  console.log(
    `| \`npx -y ${DENO}\`: Deno itself, once per machine | ${mb(deno.bytes)} | ${
      deno.seconds.toFixed(1)
    } |`,
  );
  console.log(
    `| \`task start\`, to the first answer of /api/v1/health | ${mb(start.bytes)} | ${
      start.seconds.toFixed(1)
    } |`,
  );
  console.log(
    `| both (a new machine) | ${mb(deno.bytes + start.bytes)} | ${
      (deno.seconds + start.seconds).toFixed(1)
    } |`,
  );
  console.log(
    `| then the tests' and benchmarks' packages (\`deno.dev.lock\`) | ${mb(dev.bytes)} | ${
      dev.seconds.toFixed(1)
    } |`,
  );
  console.log(
    `| then wrangler and workerd (\`deno.wrangler.lock\`) | ${mb(worker.bytes)} | ${
      worker.seconds.toFixed(1)
    } |`,
  );
  console.log(
    `\nOn disk after task start: ${mb(startDisk)} MB (Deno's cache and node_modules/); ` +
      `after all: ${mb(disk)} MB.`,
  );
} finally {
  proxy.close();
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
