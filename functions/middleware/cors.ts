/**
 * CORS for any origin: `Access-Control-Allow-Origin: *` on every answer, and preflight
 * requests (`OPTIONS` with `Access-Control-Request-Method`) answered with the methods and
 * headers the API takes.
 *
 * The headers are set on the final response after the handler ran, so that a response is
 * never rebuilt to merge headers set in advance (Hono's `cors()` does that, at several
 * microseconds a request).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** What the preflight answer allows. */
export interface CorsOptions {
  /** The methods a preflight allows, or a function that reads them (from the app's routes). */
  allowMethods: string[] | (() => string[]);
  allowHeaders: string[];
  exposeHeaders: string[];
  /** How long browsers may cache a preflight answer, in seconds. */
  maxAge: number;
}

/**
 * A middleware that allows any origin to call the routes below it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { corsForAnyOrigin } from "./cors.ts";
 * const app = new Hono().use(corsForAnyOrigin()).get("/", (c) => c.text("hi"));
 * const response = await app.request("/", { headers: { Origin: "https://example.org" } });
 * assert.equal(response.headers.get("Access-Control-Allow-Origin"), "*");
 * ```
 */
export function corsForAnyOrigin(options: Partial<CorsOptions> = {}): MiddlewareHandler {
  const methods = options.allowMethods ?? ["GET", "POST", "OPTIONS"];
  let preflight: Record<string, string> | undefined;
  const preflightHeaders = () =>
    preflight ??= {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": (typeof methods === "function" ? methods() : methods)
        .join(","),
      "Access-Control-Allow-Headers": (options.allowHeaders ?? ["Content-Type"]).join(","),
      "Access-Control-Max-Age": String(options.maxAge ?? 86400),
    };
  const expose = (options.exposeHeaders ?? []).join(",");
  return async (c, next) => {
    if (c.req.method === "OPTIONS" && c.req.header("Access-Control-Request-Method")) {
      return c.body(null, 204, preflightHeaders());
    }
    await next();
    try {
      c.res.headers.set("Access-Control-Allow-Origin", "*");
      if (expose) c.res.headers.set("Access-Control-Expose-Headers", expose);
    } catch {
      // Immutable headers (a response passed through from fetch): copy it once.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set("Access-Control-Allow-Origin", "*");
      if (expose) c.res.headers.set("Access-Control-Expose-Headers", expose);
    }
  };
}
