/**
 * The Deno entry (`deno task start`) and the Deno Deploy entrypoint: serves the API and the
 * built site (`site/dist/`, with the site's security headers and CSP) on `HOST` (default
 * `0.0.0.0`, every interface, as Deno Deploy and containers need) and `PORT` (default 8000; 0
 * picks a free port).  It says where it listens on standard error, in one line that starts
 * `Listening on http://HOST:PORT/`.  Limits come from the environment (see `limits.ts`), the
 * rate limit's (`RATE_LIMIT_PER_MINUTE`) too, with `TRUST_PROXY_HEADER` naming the header of a
 * trusted proxy that gives the client's address ({@link clientKeyOf}).
 *
 * `Deno.serve` serves the app behind a front door (`front_door.ts`) that closes connections
 * whose headers have not arrived within `HEADER_TIMEOUT_MS` of their first byte, or that stay
 * silent that long between requests (default 20,000 ms; 0: no front door, `Deno.serve` alone).
 * On Deno Deploy, `DENO_SERVE_ADDRESS` sets the address instead, and `Deno.serve` serves alone:
 * Deploy manages the connections.  Running out of file descriptors, the server refuses new
 * connections until some close (`listening.ts`).
 *
 * Page URLs answer as Cloudflare Workers' static assets answer them (`html_handling =
 * "drop-trailing-slash"` in `wrangler.toml`): `/losses/mse` is the page, `/losses/mse/` and
 * `/losses/mse/index.html` redirect to it with a 307.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { serveStatic } from "hono/deno";
import { etag } from "hono/etag";
import { cacheControlOf } from "./cache.ts";
import { batchedLines } from "../middleware/access_log.ts";
import { windowLimiter } from "../middleware/rate_limit.ts";
import { createApp } from "../app.ts";
import { limitsFromEnv } from "../api/limits.ts";
import { exceptUnder, siteSecureHeaders } from "../middleware/security.ts";
import { FrontDoor, headerTimeoutFromEnv } from "./front_door.ts";
import { origin, relistenOnDescriptorExhaustion, setUpSignalsNow } from "./listening.ts";

/** The built site (`deno task build`), as a path: the server may start from any folder. */
const SITE_ROOT = decodeURIComponent(new URL("../../site/dist", import.meta.url).pathname);

/** Where the server listens unless `HOST` says otherwise: every interface. */
export const DEFAULT_HOST = "0.0.0.0";

/** Where the server listens unless `PORT` says otherwise. */
export const DEFAULT_PORT = 8000;

const encoder = new TextEncoder();

/** Writes all of `text` to standard output (a pipe may take it in parts). */
function writeStdout(text: string): void {
  const bytes = encoder.encode(text);
  for (let written = 0; written < bytes.length;) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

/** Whether `path` is a file or folder. */
function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether the built site has `path` as a file. */
function isFile(path: string): boolean {
  try {
    return Deno.statSync(`${SITE_ROOT}${path}`).isFile;
  } catch {
    return false;
  }
}

/**
 * Redirects page URLs to their canonical form, as Workers' static assets do with
 * `html_handling = "drop-trailing-slash"`: a folder's `index.html` and a path with a trailing
 * slash go to the path without it, when the page exists.
 */
function dropTrailingSlash(): MiddlewareHandler {
  return async (c, next) => {
    const { pathname, search } = new URL(c.req.url);
    if (c.req.method === "GET" || c.req.method === "HEAD") {
      let page: string | undefined;
      if (pathname.endsWith("/index.html")) page = pathname.slice(0, -"index.html".length);
      else if (pathname.endsWith("/") && pathname !== "/") page = pathname;
      if (page !== undefined && isFile(`${page}index.html`)) {
        const target = page === "/" ? "/" : page.slice(0, -1);
        return c.redirect(`${target}${search}`, 307);
      }
    }
    await next();
  };
}

/**
 * The files of the build that configure a host and are not part of the site: Workers' static
 * assets read them and never serve them, and neither does this server.
 */
export const HOST_FILES: ReadonlySet<string> = new Set(["/_headers", "/.assetsignore"]);

/** The precompressed copies `site/build.ts` writes beside a text file, by `Content-Encoding`. */
const PRECOMPRESSED: Readonly<Record<string, string>> = { br: ".br", gzip: ".gz" };

/**
 * The built site's files: their precompressed copy (brotli or gzip) when the client accepts it,
 * an `ETag` (answering `If-None-Match` with 304), `Cache-Control` by {@link cacheControlOf}, and
 * the file's size as `Content-Length` (a `HEAD` reports it too); never a {@link HOST_FILES} file.
 */
function staticFiles(): MiddlewareHandler {
  const tag = etag();
  const files = serveStatic({ root: SITE_ROOT, precompressed: true });
  return async (c, next) => {
    // No file has a name over 255 bytes: such a path is not looked up (nor logged) at all.
    if (HOST_FILES.has(c.req.path) || c.req.path.split("/").some((part) => part.length > 255)) {
      return await next();
    }
    await tag(c, async () => {
      const answer = await files(c, next);
      if (answer instanceof Response) c.res = answer;
      const served = c.res;
      if (!served.ok || c.req.path.startsWith("/api/")) return;
      const file = servedFile(c.req.path, served.headers.get("Content-Encoding"));
      if (file === undefined) return;
      served.headers.set("Content-Length", String(Deno.statSync(file).size));
      served.headers.set("Cache-Control", cacheControlOf(c.req.path));
      if (existsSync(`${file.replace(/\.(?:br|gz)$/, "")}.gz`)) {
        served.headers.set("Vary", "Accept-Encoding");
      }
    });
  };
}

/** The file of the site that answers `path` in `encoding`, or undefined when there is none. */
function servedFile(path: string, encoding: string | null): string | undefined {
  let file = `${SITE_ROOT}${decodeURIComponent(path)}`;
  try {
    if (Deno.statSync(file).isDirectory) file = `${file.replace(/\/$/, "")}/index.html`;
  } catch {
    return undefined;
  }
  return file + (encoding ? PRECOMPRESSED[encoding] ?? "" : "");
}

/**
 * The API and the site as one Hono app, with limits from `env`; its request log goes to
 * standard output in batches (one write per 50 ms at most, not one per request).
 */
export function createDenoApp(env: Record<string, string> = Deno.env.toObject()) {
  const limits = limitsFromEnv(env);
  const app = createApp({
    limits,
    log: batchedLines(writeStdout),
    rateLimit: limits.rateLimitPerMinute > 0
      ? { limiter: windowLimiter(limits.rateLimitPerMinute), clientKey: clientKeyOf(env) }
      : undefined,
  });
  app.use(
    "/*",
    exceptUnder("/api/", siteSecureHeaders()),
    exceptUnder("/api/", dropTrailingSlash()),
    staticFiles(),
  );
  return app;
}

/**
 * How the rate limit tells clients apart: by the connection's address, or, behind a proxy the
 * operator trusts, by the header it sets (`TRUST_PROXY_HEADER=X-Forwarded-For`: its first
 * address; `CF-Connecting-IP`, `X-Real-IP`: its value).  Never trust the header without such a
 * proxy: any client can send it.
 */
export function clientKeyOf(env: Record<string, string | undefined>): (c: Context) => string {
  const header = env.TRUST_PROXY_HEADER?.trim();
  return (c) => {
    if (header) {
      const value = c.req.header(header)?.split(",")[0].trim();
      if (value) return value;
    }
    const info = c.env as Deno.ServeHandlerInfo<Deno.NetAddr> | undefined;
    return info?.remoteAddr?.hostname ?? "unknown";
  };
}

/** Where to listen, from `HOST` and `PORT`; a message instead when `PORT` is not a port. */
export function listenOptions(
  env: Record<string, string | undefined>,
): { hostname: string; port: number } | { error: string } {
  const hostname = env.HOST || DEFAULT_HOST;
  const given = env.PORT ?? String(DEFAULT_PORT);
  const port = Number(given);
  if (!/^\d+$/.test(given) || port > 65535) {
    return {
      error: `PORT must be a TCP port from 0 to 65535 (0 picks a free one), not "${given}"`,
    };
  }
  return { hostname, port };
}

/**
 * Starts the server as `deno task start` and Deno Deploy do: behind the {@link FrontDoor} and its
 * header timeout (`HEADER_TIMEOUT_MS`), or with `Deno.serve` alone when that is 0 or on Deno
 * Deploy (`DENO_SERVE_ADDRESS` set), which manages connections itself.  On a bad `PORT` or
 * `HEADER_TIMEOUT_MS`, or an address that is taken or unavailable, prints one line saying so and
 * exits with 1 instead of a stack trace.
 */
export function serve(
  env: Record<string, string> = Deno.env.toObject(),
): FrontDoor | Deno.HttpServer<Deno.NetAddr> | never {
  const listen = listenOptions(env);
  const fail = (message: string): never => {
    console.error(message);
    Deno.exit(1);
  };
  if ("error" in listen) return fail(listen.error);
  let headerTimeoutMs: number;
  try {
    headerTimeoutMs = headerTimeoutFromEnv(env);
  } catch (error) {
    return fail((error as RangeError).message);
  }
  const app = createDenoApp(env);
  const announce = ({ hostname, port }: Deno.NetAddr) => {
    const local = hostname === DEFAULT_HOST || hostname === "::"
      ? ` (${origin("localhost", port)})`
      : "";
    console.error(
      `Listening on ${origin(hostname, port)}${local}: the site at /, the API at /api/v1, ` +
        "its reference at /api/v1/docs",
    );
  };
  const onDeploy = env.DENO_SERVE_ADDRESS !== undefined;
  if (!onDeploy) setUpSignalsNow();
  try {
    if (headerTimeoutMs > 0 && !onDeploy) {
      const door = new FrontDoor({ ...listen, headerTimeoutMs }, app.fetch);
      announce(door.addr);
      return door;
    }
    const server = Deno.serve({ ...listen, onListen: announce }, app.fetch);
    relistenOnDescriptorExhaustion(server, { ...listen, port: server.addr.port }, app.fetch);
    return server;
  } catch (error) {
    const where = `${listen.hostname}:${listen.port}`;
    if (error instanceof Deno.errors.AddrInUse) {
      return fail(
        `Cannot listen on ${where}: the port is already in use. Stop what uses it, or set PORT ` +
          "to another port (PORT=0 picks a free one).",
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable || error instanceof Deno.errors.NotFound) {
      return fail(`Cannot listen on ${where}: HOST is not an address of this machine.`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      return fail(`Cannot listen on ${where}: permission denied (ports below 1024 need root).`);
    }
    throw error;
  }
}

if (import.meta.main) serve();
