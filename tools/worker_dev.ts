/**
 * `deno task worker`: runs the Worker (`wrangler.toml`) under wrangler's local workerd on
 * `PORT` (default 8787), with the wrangler of `tools/wrangler.ts`.  The tests start it through
 * {@link wranglerDev} too.
 *
 * @module
 */
import { PROJECT_ROOT, wrangler } from "./wrangler.ts";

export { PROJECT_ROOT };

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
  return wrangler([
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    ...vars,
  ], { stdout: options.stdout });
}

if (import.meta.main) {
  const child = wranglerDev(Number(Deno.env.get("PORT") ?? 8787));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => child.kill("SIGINT"));
  }
  const status = await child.status;
  Deno.exit(status.code);
}
