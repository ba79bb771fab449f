/**
 * The HTTP API as a Hono app, every route derived from the library's registry.  Runtime
 * adapters (`deno.ts`, `worker.ts`) create it with their limits and serve it.
 *
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { etag } from "hono/etag";
import { requestId, type RequestIdVariables } from "hono/request-id";
import { type AnyLoss, computeLoss, findLoss, losses, LossInputError } from "../lib/mod.ts";
import { buildCatalog, type Catalog, catalogEntry, sampleInputs } from "./api/catalog.ts";
import { jsonBody } from "./middleware/json_body.ts";
import { accessLog } from "./middleware/access_log.ts";
import { jsonAnswer } from "./api/json.ts";
import { corsForAnyOrigin } from "./middleware/cors.ts";
import { docsPage } from "./api/docs.ts";
import { DEFAULT_LIMITS, type Limits } from "./api/limits.ts";
import { buildOpenApi } from "./api/openapi.ts";
import { apiSecureHeaders, docsSecureHeaders, exceptUnder } from "./middleware/security.ts";
import { problemFor } from "./api/problem.ts";
import { type ComputeRequest, decodeComputeRequest, encodeResult } from "./api/request.ts";

/** How to build the app. */
export interface AppConfig {
  /** Request limits; {@link DEFAULT_LIMITS} by default. */
  limits?: Limits;
  /** Where the log lines go, one JSON line per request; `console.log` by default. */
  log?: (line: string) => void;
}

/** The largest seed of `GET /api/losses/{name}/sample`: seeds are 32-bit. */
export const MAX_SEED = 2 ** 32 - 1;

/** How long clients and caches may keep the catalog and the OpenAPI document, in seconds. */
export const CACHE_SECONDS = 300;

type Variables = RequestIdVariables & { loss: AnyLoss; secureHeadersNonce?: string };

/** Adds `Cache-Control` and an `ETag` (answering `If-None-Match` with 304). */
function cacheable(): MiddlewareHandler {
  const tag = etag();
  return async (c, next) => {
    await tag(c, async () => {
      await next();
      if (c.res.status === 200) c.header("Cache-Control", `public, max-age=${CACHE_SECONDS}`);
    });
  };
}

/** Answers 405 with the methods the route allows. */
function methodNotAllowed(...allowed: string[]): MiddlewareHandler {
  // deno-lint-ignore require-await
  return async (c) =>
    problemFor(
      c,
      "method-not-allowed",
      `method ${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(" or ")}`,
      "method",
      { Allow: [...allowed, "OPTIONS"].join(", ") },
    );
}

/** Finds the loss named in the path, or answers 404. */
const requireLoss: MiddlewareHandler<{ Variables: Variables }> = async (c, next) => {
  const name = c.req.param("name") ?? "";
  const loss = findLoss(name);
  if (!loss) {
    const known = losses.map((entry) => entry.name).join(", ");
    return problemFor(
      c,
      "unknown-loss",
      `name: ${JSON.stringify(name)} is not a loss; the losses are ${known}`,
      "name",
    );
  }
  c.set("loss", loss);
  await next();
};

/**
 * Creates the API: `/api/health`, `/api/losses`, `/api/losses/{name}` (GET and POST),
 * `/api/losses/{name}/sample`, `/api/openapi.json` and `/api/docs`, with CORS for any origin,
 * problem details for every error, security headers, a request id and a log line for each
 * request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 * const response = await createApp().request("/api/losses/mse", {
 *   method: "POST",
 *   headers: { "Content-Type": "application/json" },
 *   body: JSON.stringify({ inputs: { input: [1, 2], target: [1, 0] } }),
 * });
 * assert.deepEqual((await response.json()).output, { shape: [], data: [2] });
 * ```
 */
export function createApp(config: AppConfig = {}) {
  const limits = config.limits ?? DEFAULT_LIMITS;
  let catalog: Catalog | undefined;
  let openapi: ReturnType<typeof buildOpenApi> | undefined;

  const app = new Hono<{ Variables: Variables }>()
    .use(requestId(), accessLog(config.log))
    .use("/api/*", exceptUnder("/api/docs", apiSecureHeaders()))
    .use("/api/docs", docsSecureHeaders())
    .use(
      "/api/*",
      corsForAnyOrigin({
        allowMethods: ["GET", "POST", "OPTIONS"],
        allowHeaders: ["Content-Type", "If-None-Match", "X-Request-Id"],
        exposeHeaders: ["ETag", "X-Request-Id"],
        maxAge: 86400,
      }),
    )
    .get("/api/health", (c) => jsonAnswer(c, { status: "ok" as const, losses: losses.length }))
    .get("/api/losses", cacheable(), (c) => jsonAnswer(c, catalog ??= buildCatalog()))
    .get(
      "/api/losses/:name",
      requireLoss,
      cacheable(),
      (c) => jsonAnswer(c, catalogEntry(c.var.loss)),
    )
    .post(
      "/api/losses/:name",
      requireLoss,
      jsonBody<ComputeRequest>(limits.maxBodyBytes),
      (c) => {
        const loss = c.var.loss;
        try {
          const { inputs, options, settings } = decodeComputeRequest(
            loss,
            c.req.valid("json"),
            limits,
          );
          return jsonAnswer(c, encodeResult(computeLoss(loss.name, inputs, options, settings)));
        } catch (error) {
          if (!(error instanceof LossInputError)) throw error;
          const kind = error.kind === "too-large" ? "too-large" : "invalid-input";
          return problemFor<400 | 413>(c, kind, error.message, error.field);
        }
      },
    )
    .get("/api/losses/:name/sample", requireLoss, (c) => {
      const given = c.req.query("seed") ?? "1";
      const seed = Number(given);
      if (!/^\d+$/.test(given) || seed > MAX_SEED) {
        const detail = `seed must be an integer from 0 to ${MAX_SEED}, got ${
          JSON.stringify(given)
        }`;
        return problemFor<400>(c, "invalid-input", detail, "seed");
      }
      return jsonAnswer(c, { loss: c.var.loss.name, seed, inputs: sampleInputs(c.var.loss, seed) });
    })
    .get("/api/openapi.json", cacheable(), (c) => jsonAnswer(c, openapi ??= buildOpenApi(limits)))
    .get("/api/docs", (c) => c.html(docsPage(undefined, c.get("secureHeadersNonce"))))
    .all("/api/health", methodNotAllowed("GET"))
    .all("/api/losses", methodNotAllowed("GET"))
    .all("/api/losses/:name", methodNotAllowed("GET", "POST"))
    .all("/api/losses/:name/sample", methodNotAllowed("GET"))
    .all("/api/openapi.json", methodNotAllowed("GET"))
    .all("/api/docs", methodNotAllowed("GET"));

  app.notFound((c) =>
    problemFor(c, "not-found", `path: nothing at ${c.req.path}; see /api/docs`, "path")
  );
  app.onError((error, c) => {
    const id = c.get("requestId");
    console.error(`request ${id}: ${c.req.method} ${c.req.routePath} failed:`, error);
    return problemFor(c, "internal", `The server failed to answer request ${id}; it is logged`);
  });
  return app;
}

/** The API's type, for Hono's RPC client: `hc<AppType>(baseUrl)`. */
export type AppType = ReturnType<typeof createApp>;
