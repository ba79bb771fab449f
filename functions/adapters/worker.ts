/**
 * The Cloudflare Workers entry (`deno task worker`, `wrangler deploy`): the same app, with
 * limits from the Worker's vars (`wrangler.toml`), and the rate limit of Cloudflare's Rate
 * Limiting binding keyed by the client's address (`CF-Connecting-IP`).  The site's files are served by Workers'
 * static assets before a request reaches this code.
 *
 * @module
 */
import type { ExecutionContext } from "hono";
import { createApp } from "../app.ts";
import { limitsFromEnv } from "../api/limits.ts";
import {
  bindingLimiter,
  type RateLimitBinding,
  type RateLimiter,
  windowLimiter,
} from "../middleware/rate_limit.ts";

/** The name of the Rate Limiting binding in `wrangler.toml` (`[[ratelimits]]`); not exported: workerd takes every export of the module for a handler. */
const RATE_LIMIT_BINDING = "RATE_LIMITER";

let app: ReturnType<typeof createApp> | undefined;

/**
 * The rate limit of the Worker's vars: off when `RATE_LIMIT_PER_MINUTE` is 0 or unset, else the
 * Rate Limiting binding (whose settings must say the same limit), or, without the binding, a
 * limiter in the isolate.
 */
function limiterOf(env: Record<string, unknown>, perMinute: number): RateLimiter | undefined {
  if (perMinute === 0) return undefined;
  const binding = env[RATE_LIMIT_BINDING] as RateLimitBinding | undefined;
  return typeof binding?.limit === "function"
    ? bindingLimiter(binding, perMinute)
    : windowLimiter(perMinute);
}

export default {
  /** Answers a request, creating the app with the Worker's vars on the first. */
  fetch(request: Request, env: Record<string, unknown>, context: ExecutionContext) {
    if (!app) {
      const limits = limitsFromEnv(env);
      const limiter = limiterOf(env, limits.rateLimitPerMinute);
      app = createApp({
        limits,
        rateLimit: limiter && {
          limiter,
          clientKey: (c) => c.req.header("CF-Connecting-IP") ?? "unknown",
        },
      });
    }
    return app.fetch(request, env, context);
  },
};
