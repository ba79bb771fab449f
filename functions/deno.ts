/**
 * The Deno entry (`deno task start`) and the Deno Deploy entrypoint: serves the API and the
 * built site (`site/dist/`) with `Deno.serve` on `PORT` (default 8000).  Limits come from the
 * environment (see `limits.ts`).
 *
 * @module
 */
import { serveStatic } from "hono/deno";
import { createApp } from "./app.ts";
import { limitsFromEnv } from "./limits.ts";

/** The built site (`deno task build`), as a path: the server may start from any folder. */
const SITE_ROOT = decodeURIComponent(new URL("../site/dist", import.meta.url).pathname);

/** The API and the site as one Hono app, with limits from `env`. */
export function createDenoApp(env: Record<string, string> = Deno.env.toObject()) {
  const app = createApp({ limits: limitsFromEnv(env) });
  app.use("/*", serveStatic({ root: SITE_ROOT }));
  return app;
}

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") ?? 8000);
  Deno.serve({ port }, createDenoApp().fetch);
}
