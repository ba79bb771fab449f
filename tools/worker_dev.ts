/**
 * `deno task worker`: runs the Worker (`wrangler.toml`) under wrangler's local workerd on
 * `PORT` (default 8787; 0 picks a free port), with the wrangler of `tools/wrangler.ts`.  Its
 * debugger listens on a free port (`INSPECTOR_PORT` to choose one), never on a fixed one.  The
 * tests start it through {@link wranglerDev}, on port 0, and read the port from its
 * `Ready on http://…` line.
 *
 * @module
 */
import { PROJECT_ROOT, wrangler } from "./wrangler.ts";

export { PROJECT_ROOT };

/** What `wrangler dev` prints once it serves, a whole line: `Ready on http://127.0.0.1:8787`. */
export const READY_LINE = /Ready on (http:\/\/[^\s/]+)\/?\r?\n/;

/**
 * Starts `wrangler dev` on `127.0.0.1:port` (0: a free port, reported in its {@link READY_LINE})
 * in its own process group, its debugger on `inspectorPort` (0: a free one), with `vars`
 * overriding `wrangler.toml`'s `[vars]`.  Stop it with `child.kill("SIGINT")`, as Ctrl-C:
 * wrangler then stops workerd.
 */
export function wranglerDev(
  port: number,
  options: {
    vars?: Record<string, string>;
    inspectorPort?: number;
    stdout?: "inherit" | "piped" | "null";
  } = {},
): Deno.ChildProcess {
  const vars = Object.entries(options.vars ?? {}).flatMap(([key, value]) => [
    "--var",
    `${key}:${value}`,
  ]);
  return wrangler([
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(options.inspectorPort ?? 0),
    "--show-interactive-dev-session=false",
    ...vars,
  ], { stdout: options.stdout });
}

if (import.meta.main) {
  const child = wranglerDev(Number(Deno.env.get("PORT") ?? 8787), {
    inspectorPort: Number(Deno.env.get("INSPECTOR_PORT") ?? 0),
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => child.kill("SIGINT"));
  }
  const status = await child.status;
  Deno.exit(status.code);
}
