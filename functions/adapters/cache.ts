/**
 * How long the site's files may be cached, on both runtimes (the Deno server sets it, the
 * build writes it into `_headers` for Workers' static assets).
 *
 * @module
 */

/** The `Cache-Control` of a file whose name changes with its content. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/** The `Cache-Control` of every other file: kept, but revalidated (its `ETag`) on each use. */
export const REVALIDATE = "public, no-cache";

/**
 * The `Cache-Control` of the site's file at `path`: the content-hashed scripts and styles under
 * `/assets/` (`site.1a2b3c4d5e.css`, as `site/build.ts` names them) for a year, as immutable;
 * every other file (the pages, the vendored styles and fonts) revalidates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheControlOf, IMMUTABLE, REVALIDATE } from "./cache.ts";
 * assert.equal(cacheControlOf("/assets/loss.b972ac43c5.js"), IMMUTABLE);
 * assert.equal(cacheControlOf("/losses/mse"), REVALIDATE);
 * ```
 */
export function cacheControlOf(path: string): string {
  return /^\/assets\/[\w-]+\.[0-9a-f]{10}\.\w+$/.test(path) ? IMMUTABLE : REVALIDATE;
}
