/**
 * Wrangler, the Cloudflare Workers CLI, run by Deno at the version pinned here with its own
 * lock file (`deno.wrangler.lock`, frozen), so that only the tasks that run the Worker fetch it
 * and its workerd binary: `deno task worker`, `deno task deploy:worker`, the Worker test suites
 * and `deno task bench:http`.
 *
 * Run any wrangler command with `deno run -A tools/wrangler.ts <command>` (`login`, `deploy`,
 * `tail`).  After changing {@link WRANGLER}, `deno run -A tools/wrangler.ts --update-lock`
 * rewrites the lock.  Wrangler bundles `functions/adapters/worker.ts` from `node_modules/`, which Deno
 * fills from `deno.json` when any task of the app runs (`deno task build` first).
 *
 * @module
 */

/** The pinned wrangler. */
export const WRANGLER = "npm:wrangler@4.164.0";

/** The project's root folder, where `wrangler.toml` is. */
export const PROJECT_ROOT = new URL("..", import.meta.url);

/** The lock file of wrangler and its dependencies. */
export const WRANGLER_LOCK = new URL("deno.wrangler.lock", PROJECT_ROOT);

/**
 * The arguments of `deno` that run wrangler with `args`: no project config (wrangler is not a
 * dependency of the app), its own lock, frozen.  Set `unfrozen` to update the lock after
 * changing {@link WRANGLER}.
 */
export function wranglerArgs(args: string[], { unfrozen = false } = {}): string[] {
  return [
    "run",
    "--no-config",
    `--lock=${decodeURIComponent(WRANGLER_LOCK.pathname)}`,
    `--frozen=${!unfrozen}`,
    "-A",
    WRANGLER,
    ...args,
  ];
}

/** Starts wrangler with `args` in the project's root, in its own process group. */
export function wrangler(
  args: string[],
  options: { stdout?: "inherit" | "piped" | "null"; stderr?: "inherit" | "piped" | "null" } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: wranglerArgs(args),
    cwd: PROJECT_ROOT,
    env: { WRANGLER_SEND_METRICS: "false" },
    stdin: "null",
    stdout: options.stdout ?? "inherit",
    stderr: options.stderr ?? options.stdout ?? "inherit",
    detached: true,
  }).spawn();
}

if (import.meta.main) {
  const unfrozen = Deno.args[0] === "--update-lock";
  const args = unfrozen ? ["--version"] : Deno.args;
  if (unfrozen) await Deno.remove(WRANGLER_LOCK).catch(() => {});
  const child = new Deno.Command(Deno.execPath(), {
    args: wranglerArgs(args, { unfrozen }),
    cwd: PROJECT_ROOT,
    env: { WRANGLER_SEND_METRICS: "false" },
  }).spawn();
  Deno.exit((await child.status).code);
}
