/**
 * The HTTP API as a Hono app, every route derived from the library's registry.  Runtime
 * adapters (`adapters/deno.ts`, `adapters/worker.ts`) create it with their limits and serve it.
 *
 * The app's routes are the one route table: each carries its OpenAPI operation (`documented`),
 * the document is built from `app.routes`, and the `Allow` header of a 405, the answer to a plain
 * `OPTIONS` and the methods of a CORS preflight are read from the same routes.  The API's routes
 * are mounted twice, at `/api/v1` (documented, stable) and at `/api` (an alias).
 *
 * @module
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { etag } from "hono/etag";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { RequestIdVariables } from "hono/request-id";
import { type AnyLoss, findLoss, losses, MAX_SEED, unknownLossMessage } from "../lib/mod.ts";
import { answerBatch, type BatchRequest, type BatchResponse } from "./api/batch.ts";
import { buildCatalog, type Catalog, catalogEntry, sampleInputs } from "./api/catalog.ts";
import { answerResult, decodeBody } from "./api/codecs/mod.ts";
import { docsPage } from "./api/docs.ts";
import { type JsonAnswer, jsonAnswer } from "./api/json.ts";
import { DEFAULT_LIMITS, InFlight, type Limits } from "./api/limits.ts";
import { API_ALIAS, API_V1 } from "./api/paths.ts";
import {
  batchOperation,
  buildOpenApi,
  catalogOperation,
  computeLossOperation,
  describeLoss,
  docsOperation,
  documented,
  documentedPerLoss,
  explainOperation,
  healthOperation,
  openApiOperation,
  sampleOperation,
} from "./api/openapi.ts";
import { type ProblemAnswer, ProblemError, problemFor, problemOfError } from "./api/problem.ts";
import {
  checkRequestCost,
  type ComputeRequest,
  computeRequest,
  type ComputeResponse,
  encodeExplanation,
  EXPLAIN_KEYS,
  type ExplainRequest,
  explainRequest,
  type ExplainResponse,
} from "./api/request.ts";
import { VERSION } from "./api/version.ts";
import { accessLog } from "./middleware/access_log.ts";
import { corsForAnyOrigin } from "./middleware/cors.ts";
import { rateLimit, type RateLimiter } from "./middleware/rate_limit.ts";
import { type BodyVariables, requestBody } from "./middleware/request_body.ts";
import { apiSecureHeaders, docsSecureHeaders, exceptUnder } from "./middleware/security.ts";

/** How to build the app. */
export interface AppConfig {
  /** Request limits; {@link DEFAULT_LIMITS} by default. */
  limits?: Limits;
  /** Where the log lines go, one JSON line per request; `console.log` by default. */
  log?: (line: string) => void;
  /** The per-client limit of API requests a minute, and how a client is told from another. */
  rateLimit?: { limiter: RateLimiter; clientKey: (c: Context) => string };
}

/** How long clients and caches may keep the catalog and the OpenAPI document, in seconds. */
export const CACHE_SECONDS = 300;

type Variables = RequestIdVariables & BodyVariables & {
  loss: AnyLoss;
  secureHeadersNonce?: string;
};

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

/**
 * Gives every request an id the server makes (a UUID), as `c.var.requestId` and the answer's
 * `X-Request-Id`: a client's own `X-Request-Id` is not taken as the id (it could repeat another's
 * or be made to look like one), the access log keeps it beside it as `client_request_id`.
 */
const serverRequestId: MiddlewareHandler<{ Variables: Variables }> = async (c, next) => {
  const id = crypto.randomUUID();
  c.set("requestId", id);
  c.header("X-Request-Id", id);
  await next();
};

/** The rate limit of `config`, or a middleware that lets every request through. */
function limitRate(config: AppConfig["rateLimit"]): MiddlewareHandler {
  return config ? rateLimit(config.limiter, config.clientKey) : (_c, next) => next();
}

/** Finds the loss named in the path, or answers 404. */
const requireLoss: MiddlewareHandler<{ Variables: Variables }> = async (c, next) => {
  const name = c.req.param("name") ?? "";
  const loss = findLoss(name);
  if (!loss) {
    throw new ProblemError("unknown-loss", `name: ${unknownLossMessage(name)}`, "name");
  }
  c.set("loss", loss);
  await next();
};

/** The methods of the app's routes, as a CORS preflight allows them. */
function routeMethods(app: { routes: readonly { method: string }[] }): string[] {
  const methods = new Set(app.routes.map((route) => route.method).filter((m) => m !== "ALL"));
  return [...methods, "OPTIONS"];
}

/**
 * The API's routes, relative to where they are mounted: `/health`, `/losses`,
 * `/losses/{name}` (GET and POST), `/losses/{name}/explain`, `/losses/{name}/sample`, `/batch`,
 * `/openapi.json` and `/docs`.
 * `openApi` answers the document of the whole app, read from its routes.
 */
function apiRoutes(limits: Limits, openApi: () => ReturnType<typeof buildOpenApi>) {
  let catalog: Catalog | undefined;
  // The bodies in flight in this app (a Deno process, a Worker isolate), under one limit.
  const inFlight = new InFlight(limits.maxInFlightBytes);
  return new Hono<{ Variables: Variables }>()
    .get(
      "/health",
      documented(healthOperation),
      (c) => jsonAnswer(c, { status: "ok" as const, version: VERSION, losses: losses.length }),
    )
    .get(
      "/losses",
      documented(catalogOperation),
      cacheable(),
      (c) => jsonAnswer(c, catalog ??= buildCatalog()),
    )
    .get(
      "/losses/:name",
      documentedPerLoss(describeLoss),
      requireLoss,
      cacheable(),
      (c) => jsonAnswer(c, catalogEntry(c.var.loss)),
    )
    .post(
      "/losses/:name",
      documentedPerLoss(computeLossOperation),
      requireLoss,
      requestBody<ComputeRequest>(limits, inFlight),
      (c): JsonAnswer<ComputeResponse> | ProblemAnswer<400 | 404 | 413 | 415> => {
        // Codec, cost, compute: the body decoded once, its cost checked once on the shapes,
        // the loss computed by the library's core entry on the dense tensors.
        const request = decodeBody(c.var.body, c.var.loss, limits);
        checkRequestCost(c.var.loss, request, limits);
        return answerResult(c, request, computeRequest(c.var.loss, request));
      },
    )
    .post(
      "/losses/:name/explain",
      documentedPerLoss(explainOperation),
      requireLoss,
      requestBody<ExplainRequest>(limits, inFlight),
      (c): JsonAnswer<ExplainResponse> | ProblemAnswer<400 | 404 | 413 | 415> => {
        const request = decodeBody(c.var.body, c.var.loss, limits, EXPLAIN_KEYS);
        const explained = explainRequest(c.var.loss, request, limits);
        return jsonAnswer<ExplainResponse>(c, encodeExplanation(explained));
      },
    )
    .get("/losses/:name/sample", documentedPerLoss(sampleOperation), requireLoss, (c) => {
      const given = c.req.query("seed") ?? "1";
      const seed = Number(given);
      if (!/^\d+$/.test(given) || seed > MAX_SEED) {
        throw new ProblemError(
          "invalid-input",
          `seed must be an integer from 0 to ${MAX_SEED}, got ${JSON.stringify(given)}`,
          "seed",
        );
      }
      return jsonAnswer(c, { loss: c.var.loss.name, seed, inputs: sampleInputs(c.var.loss, seed) });
    })
    .post(
      "/batch",
      documented(batchOperation),
      requestBody<BatchRequest>(limits, inFlight),
      (c): JsonAnswer<BatchResponse> | ProblemAnswer<400 | 413 | 415> => {
        // Each item through the single route's pieces (api/batch.ts); JSON only.
        if (c.var.body.media !== "json") {
          throw new ProblemError(
            "unsupported-media-type",
            "Content-Type must be application/json for a batch (.npy tensors go in it as " +
              '{"npy": base64})',
            "Content-Type",
          );
        }
        return jsonAnswer<BatchResponse>(c, answerBatch(c.var.body.bytes, limits, c.req.path));
      },
    )
    .get(
      "/openapi.json",
      documented(openApiOperation),
      cacheable(),
      (c) => jsonAnswer(c, openApi()),
    )
    .get(
      "/docs",
      documented(docsOperation),
      (c) => c.html(docsPage(undefined, c.get("secureHeadersNonce"))),
    );
}

/**
 * Creates the app: the API under `/api/v1` (see {@link apiRoutes}) and the same routes under
 * `/api` as an alias, with CORS for any origin, problem details for every error, security
 * headers, a request id and a log line for each request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 * const response = await createApp().request("/api/v1/losses/mse", {
 *   method: "POST",
 *   headers: { "Content-Type": "application/json" },
 *   body: JSON.stringify({ inputs: { input: [1, 2], target: [1, 0] } }),
 * });
 * assert.deepEqual((await response.json()).output, { shape: [], data: [2] });
 * ```
 */
export function createApp(config: AppConfig = {}) {
  const limits = config.limits ?? DEFAULT_LIMITS;
  let openapi: ReturnType<typeof buildOpenApi> | undefined;
  const docs = [`${API_V1}/docs`, `${API_ALIAS}/docs`];

  const base = new Hono<{ Variables: Variables }>();
  const api = apiRoutes(limits, () => openapi ??= buildOpenApi(base.routes, limits));
  const app = base
    // The server makes every request's id; a client's own X-Request-Id is logged beside it.
    .use(serverRequestId, accessLog(config.log))
    .use(`${API_ALIAS}/*`, exceptUnder(docs, apiSecureHeaders()))
    .use(docs[0], docsSecureHeaders())
    .use(docs[1], docsSecureHeaders())
    .use(
      `${API_ALIAS}/*`,
      corsForAnyOrigin({
        allowMethods: () => routeMethods(base),
        allowHeaders: ["Content-Type", "Content-Encoding", "If-None-Match", "X-Request-Id"],
        exposeHeaders: ["ETag", "X-Request-Id"],
        maxAge: 86400,
      }),
      methodNotAllowed({
        app: base,
        onMethodNotAllowed: (c, methods) => {
          const allow = [...methods, "OPTIONS"].join(", ");
          if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow });
          return problemFor(
            c,
            "method-not-allowed",
            `method ${c.req.method} is not allowed on ${c.req.path}; use ${methods.join(", ")}`,
            "method",
            { Allow: allow },
          );
        },
      }),
    )
    .use(`${API_ALIAS}/*`, limitRate(config.rateLimit))
    .route(API_V1, api)
    .route(API_ALIAS, api);

  // The problem's `instance` is the path; the detail does not repeat it (a long URL once).
  app.notFound((c) => problemFor(c, "not-found", `path: nothing here; see ${API_V1}/docs`, "path"));
  app.onError((error, c) => {
    const problem = problemOfError(error);
    if (problem) {
      return problemFor<400 | 404 | 408 | 413 | 415 | 429 | 503>(
        c,
        problem.kind,
        problem.message,
        problem.field,
        problem.headers,
      );
    }
    const id = c.get("requestId");
    console.error(`request ${id}: ${c.req.method} ${c.req.routePath} failed:`, error);
    return problemFor(c, "internal", `The server failed to answer request ${id}; it is logged`);
  });
  return app;
}

/** The API's type, for Hono's RPC client: `hc<AppType>(baseUrl)`. */
export type AppType = ReturnType<typeof createApp>;
