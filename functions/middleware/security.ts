/**
 * Security headers, by Hono's `secureHeaders`, with one Content-Security-Policy per kind of
 * answer: the API's JSON (nothing may load), the reference page `/api/v1/docs` (Swagger UI from
 * the site's `vendor/`, its one inline script allowed by a nonce) and the site's pages (the
 * policy of `functions/middleware/csp.ts`, which `site/build.ts` also writes into `_headers` for Workers).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { CONTENT_SECURITY_POLICY } from "./csp.ts";

type Directives = Record<string, string[]>;

/** A policy string (`default-src 'self'; img-src 'self' data:`) as `secureHeaders` takes it. */
export function directivesOf(policy: string): Directives {
  const directives: Directives = {};
  for (const part of policy.split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (!name) continue;
    const key = name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    directives[key] = values;
  }
  return directives;
}

/** The API's JSON answers load nothing and may not be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Secure headers of the API's answers: a policy that loads nothing, and a
 * `Cross-Origin-Resource-Policy` of `cross-origin`, as any origin may call the API (CORS).
 */
export function apiSecureHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: directivesOf(API_CSP),
    crossOriginResourcePolicy: "cross-origin",
  });
}

/**
 * Secure headers of `/api/v1/docs` (and its alias `/api/docs`): Swagger UI's files from this origin, its inline start-up
 * script by nonce (read it with `c.get("secureHeadersNonce")`), the OpenAPI document fetched
 * from this origin, and the inline styles and `data:` images Swagger UI uses.
 */
export function docsSecureHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", NONCE],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
}

/**
 * Runs `middleware` except on the paths that start with `prefix`, or with one of the prefixes
 * (cheaper than Hono's `except`).
 */
export function exceptUnder(
  prefix: string | readonly string[],
  middleware: MiddlewareHandler,
): MiddlewareHandler {
  const prefixes = typeof prefix === "string" ? [prefix] : prefix;
  return (c, next) => prefixes.some((p) => c.req.path.startsWith(p)) ? next() : middleware(c, next);
}

/** Secure headers of the site's pages and files, with the site's policy (`functions/middleware/csp.ts`). */
export function siteSecureHeaders(): MiddlewareHandler {
  return secureHeaders({ contentSecurityPolicy: directivesOf(CONTENT_SECURITY_POLICY) });
}
