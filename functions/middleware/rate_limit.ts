/**
 * Requests a minute per client (`RATE_LIMIT_PER_MINUTE`, off when 0): past the limit, a 429
 * problem with `Retry-After`.  Every answer that counts carries `RateLimit-Policy` and, where
 * the limiter knows what is left, `RateLimit` (the IETF httpapi draft, "RateLimit header fields
 * for HTTP": `"minute";q=100;w=60` and `"minute";r=42;t=30`).
 *
 * On Deno the limiter is in the process ({@link windowLimiter}, a fixed window of a minute per
 * client), keyed by the connection's address (or a proxy's header the operator trusts,
 * `TRUST_PROXY_HEADER`); on Workers it is Cloudflare's Rate Limiting binding
 * ({@link bindingLimiter}), keyed by `CF-Connecting-IP`.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { LIMIT_VARIABLES } from "../api/limits.ts";
import { ProblemError } from "../api/problem.ts";

/** What a limiter says of one more request from a client. */
export interface RateDecision {
  /** Whether the request is within the limit. */
  allowed: boolean;
  /** The requests left in the window, when the limiter knows them. */
  remaining?: number;
  /** Seconds until the window ends (and the client may retry). */
  resetSeconds: number;
}

/** A per-client limit of requests a minute. */
export interface RateLimiter {
  /** The requests a minute it allows each client. */
  readonly perMinute: number;
  /** Counts one request of the client `key`, and says whether it is allowed. */
  hit(key: string): RateDecision | Promise<RateDecision>;
}

/** A limiter that decides at once (the in-process one). */
export interface ImmediateRateLimiter extends RateLimiter {
  hit(key: string): RateDecision;
}

/** The name of the policy in the `RateLimit-Policy` and `RateLimit` headers. */
export const RATE_POLICY = "minute";

/**
 * An in-process limiter: `perMinute` requests per client in a window of a minute that starts at
 * the client's first request.  It forgets the windows that ended (checked at most once a
 * minute), so its memory is bounded by the clients of the last minute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { windowLimiter } from "./rate_limit.ts";
 * let now = 0;
 * const limiter = windowLimiter(2, () => now);
 * assert.equal(limiter.hit("a").allowed, true);
 * assert.equal(limiter.hit("a").allowed, true);
 * assert.equal(limiter.hit("a").allowed, false);
 * assert.equal(limiter.hit("b").allowed, true);
 * now = 60_000;
 * assert.equal(limiter.hit("a").remaining, 1);
 * ```
 */
export function windowLimiter(
  perMinute: number,
  now: () => number = Date.now,
): ImmediateRateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  let swept = now();
  return {
    perMinute,
    hit(key) {
      const time = now();
      if (time - swept >= 60_000) {
        for (const [client, window] of windows) {
          if (time - window.start >= 60_000) windows.delete(client);
        }
        swept = time;
      }
      let window = windows.get(key);
      if (!window || time - window.start >= 60_000) {
        window = { start: time, count: 0 };
        windows.set(key, window);
      }
      window.count++;
      const resetSeconds = Math.max(1, Math.ceil((window.start + 60_000 - time) / 1000));
      return {
        allowed: window.count <= perMinute,
        remaining: Math.max(0, perMinute - window.count),
        resetSeconds,
      };
    },
  };
}

/** Cloudflare's Rate Limiting binding (`[[ratelimits]]` in `wrangler.toml`). */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/**
 * A limiter on Cloudflare's Rate Limiting binding, whose settings (`simple = { limit, period =
 * 60 }`) must say `perMinute`; it does not tell what is left, so answers carry only the policy.
 */
export function bindingLimiter(binding: RateLimitBinding, perMinute: number): RateLimiter {
  return {
    perMinute,
    async hit(key) {
      const { success } = await binding.limit({ key });
      return { allowed: success, resetSeconds: 60 };
    },
  };
}

/**
 * Limits each client (`clientKey`) with `limiter`, on the requests below it that count (all but
 * CORS preflights and plain `OPTIONS`).
 */
export function rateLimit(
  limiter: RateLimiter,
  clientKey: (c: Context) => string,
): MiddlewareHandler {
  const policy = `"${RATE_POLICY}";q=${limiter.perMinute};w=60`;
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return await next();
    const decision = await limiter.hit(clientKey(c));
    const headers: Record<string, string> = { "RateLimit-Policy": policy };
    if (decision.remaining !== undefined || !decision.allowed) {
      headers.RateLimit = `"${RATE_POLICY}";r=${
        decision.remaining ?? 0
      };t=${decision.resetSeconds}`;
    }
    if (!decision.allowed) {
      throw new ProblemError(
        "rate-limited",
        `This client sent more than ${limiter.perMinute} requests in a minute ` +
          `(${LIMIT_VARIABLES.rateLimitPerMinute}); retry in ${decision.resetSeconds} s`,
        "client",
        { ...headers, "Retry-After": String(decision.resetSeconds) },
      );
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    await next();
  };
}
