/**
 * The Cloudflare Workers entry (`deno task worker`, `wrangler deploy`): the same app, with
 * limits from the Worker's vars (`wrangler.toml`).  The site's files are served by Workers'
 * static assets before a request reaches this code.
 *
 * @module
 */
import type { ExecutionContext } from "hono";
import { createApp } from "../app.ts";
import { limitsFromEnv } from "../api/limits.ts";

let app: ReturnType<typeof createApp> | undefined;

export default {
  /** Answers a request, creating the app with the Worker's vars on the first. */
  fetch(request: Request, env: Record<string, unknown>, context: ExecutionContext) {
    app ??= createApp({ limits: limitsFromEnv(env) });
    return app.fetch(request, env, context);
  },
};
