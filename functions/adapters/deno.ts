/**
 * The Deno entry (`deno task start`) and the Deno Deploy entrypoint: serves the API and the
 * built site (`site/dist/`, with the site's security headers and CSP) with `Deno.serve` on `PORT`
 * (default 8000).  Limits come from the environment (see `limits.ts`).
 *
 * @module
 */
import { serveStatic } from "hono/deno";
import { batchedLines } from "../middleware/access_log.ts";
import { createApp } from "../app.ts";
import { limitsFromEnv } from "../api/limits.ts";
import { exceptUnder, siteSecureHeaders } from "../middleware/security.ts";

/** The built site (`deno task build`), as a path: the server may start from any folder. */
const SITE_ROOT = decodeURIComponent(new URL("../../site/dist", import.meta.url).pathname);

const encoder = new TextEncoder();

/** Writes all of `text` to standard output (a pipe may take it in parts). */
function writeStdout(text: string): void {
  const bytes = encoder.encode(text);
  for (let written = 0; written < bytes.length;) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

/**
 * The API and the site as one Hono app, with limits from `env`; its request log goes to
 * standard output in batches (one write per 50 ms at most, not one per request).
 */
export function createDenoApp(env: Record<string, string> = Deno.env.toObject()) {
  const app = createApp({ limits: limitsFromEnv(env), log: batchedLines(writeStdout) });
  app.use("/*", exceptUnder("/api/", siteSecureHeaders()), serveStatic({ root: SITE_ROOT }));
  return app;
}

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") ?? 8000);
  Deno.serve({ port }, createDenoApp().fetch);
}
