/**
 * `deno task worker`: runs the Worker (`wrangler.toml`) under wrangler's local workerd on
 * `PORT` (default 8787; 0 picks a free port), with the wrangler of `tools/wrangler.ts`, and
 * the limit variables of its environment (`MAX_ELEMENTS=1000 deno task worker`, see
 * {@link limitVarsFrom}) as the Worker's vars.  Its
 * debugger listens on a free port (`INSPECTOR_PORT` to choose one), never on a fixed one.  The
 * tests start it through {@link wranglerDev}, on port 0, and read the port from its
 * `Ready on http://…` line.
 *
 * @module
 */
import { LIMIT_VARIABLES } from "../functions/api/limits.ts";
import { PROJECT_ROOT, wrangler } from "./wrangler.ts";

export { PROJECT_ROOT };

/** The variable of the rate limit, which runs here only when asked for. */
const RATE_VARIABLE = LIMIT_VARIABLES.rateLimitPerMinute;

/**
 * The limit variables (`functions/api/limits.ts`: `MAX_BODY_BYTES`, `MAX_ELEMENTS`, …,
 * `RATE_LIMIT_PER_MINUTE`) that `env` sets, as Worker vars: `deno task worker` configures the
 * Worker from the shell as `deno task start` configures the Deno server.
 */
export function limitVarsFrom(env: Record<string, string | undefined>): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of Object.values(LIMIT_VARIABLES)) {
    const value = env[name];
    if (value !== undefined && value !== "") vars[name] = value;
  }
  return vars;
}

/**
 * The wrangler config to run with a rate limit of `perMinute`: `wrangler.toml` itself when its
 * Rate Limiting binding says that limit, else a copy under `.wrangler/` that does (the binding's
 * settings are read from the config, not from a var), its paths made relative to where it is.
 */
export async function configForRateLimit(perMinute: number): Promise<string> {
  const toml = await Deno.readTextFile(new URL("wrangler.toml", PROJECT_ROOT));
  const limit = /\[ratelimits\.simple\]\s*limit = (\d+)/.exec(toml);
  if (!limit) throw new Error("wrangler.toml has no [ratelimits.simple] limit");
  if (Number(limit[1]) === perMinute) return "wrangler.toml";
  const folder = new URL(".wrangler/rate-limit/", PROJECT_ROOT);
  await Deno.mkdir(folder, { recursive: true });
  const copy = toml
    .replace(/^main = "/m, 'main = "../../')
    .replace(/^directory = "/m, 'directory = "../../')
    .replace(limit[0], limit[0].replace(/\d+$/, String(perMinute)));
  const name = `wrangler-${perMinute}.toml`;
  await Deno.writeTextFile(new URL(name, folder), copy);
  return `.wrangler/rate-limit/${name}`;
}

/** What `wrangler dev` prints once it serves, a whole line: `Ready on http://127.0.0.1:8787`. */
export const READY_LINE = /Ready on (http:\/\/[^\s/]+)\/?\r?\n/;

/**
 * Starts `wrangler dev` on `127.0.0.1:port` (0: a free port, reported in its {@link READY_LINE})
 * in its own process group, its debugger on `inspectorPort` (0: a free one), with `vars`
 * overriding `wrangler.toml`'s `[vars]`.  The rate limit is off (`RATE_LIMIT_PER_MINUTE` 0)
 * unless `vars` sets it, with the binding's limit to match ({@link configForRateLimit}).  Stop
 * it with `child.kill("SIGINT")`, as Ctrl-C: wrangler then stops workerd.
 */
export async function wranglerDev(
  port: number,
  options: {
    vars?: Record<string, string>;
    inspectorPort?: number;
    stdout?: "inherit" | "piped" | "null";
  } = {},
): Promise<Deno.ChildProcess> {
  const given = { [RATE_VARIABLE]: "0", ...options.vars };
  const perMinute = Number(given[RATE_VARIABLE]);
  const config = perMinute > 0 ? await configForRateLimit(perMinute) : "wrangler.toml";
  const vars = Object.entries(given).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  return wrangler([
    "dev",
    "--config",
    config,
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
  const child = await wranglerDev(Number(Deno.env.get("PORT") ?? 8787), {
    inspectorPort: Number(Deno.env.get("INSPECTOR_PORT") ?? 0),
    vars: limitVarsFrom(Deno.env.toObject()),
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => child.kill("SIGINT"));
  }
  const status = await child.status;
  Deno.exit(status.code);
}
