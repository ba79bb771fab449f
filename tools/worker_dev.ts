/**
 * `deno task worker`: runs the Worker (`wrangler.toml`) under wrangler's local workerd on
 * `PORT` (default 8787), with the wrangler version pinned in `deno.json`.  The tests start
 * it through {@link wranglerDev} too.
 *
 * @module
 */
import config from "../deno.json" with { type: "json" };

/** The project's root folder, where `wrangler.toml` is. */
export const PROJECT_ROOT = new URL("..", import.meta.url);

/**
 * Starts `wrangler dev` on `127.0.0.1:port` in its own process group, with `vars` overriding
 * `wrangler.toml`'s `[vars]`.  Stop it with `child.kill("SIGINT")`, as Ctrl-C: wrangler then
 * stops workerd.
 */
export function wranglerDev(
  port: number,
  options: { vars?: Record<string, string>; stdout?: "inherit" | "piped" | "null" } = {},
): Deno.ChildProcess {
  const vars = Object.entries(options.vars ?? {}).flatMap(([key, value]) => [
    "--var",
    `${key}:${value}`,
  ]);
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      config.imports.wrangler,
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--show-interactive-dev-session=false",
      ...vars,
    ],
    cwd: PROJECT_ROOT,
    env: { WRANGLER_SEND_METRICS: "false" },
    stdin: "null",
    stdout: options.stdout ?? "inherit",
    stderr: options.stdout ?? "inherit",
    detached: true,
  }).spawn();
}

if (import.meta.main) {
  const child = wranglerDev(Number(Deno.env.get("PORT") ?? 8787));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => child.kill("SIGINT"));
  }
  const status = await child.status;
  Deno.exit(status.code);
}
