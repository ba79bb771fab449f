/**
 * The OpenAPI 3.1 document of the API, derived from the app's own routes: each route carries its
 * operation ({@link documented}), and the document lists the operations of the routes the app
 * has.  Routes with a loss in their path expand into one path per loss of the registry, with the
 * loss's own request schema (its inputs, its options with types, defaults and constraints) and
 * an example request and response.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import {
  type AnyLoss,
  CATEGORIES,
  computeLoss,
  DTYPES,
  losses,
  MAX_RANK,
  MAX_SEED,
  namesOf,
  optionsOf,
  type OptionSpec,
} from "../../lib/mod.ts";
import { exampleRequest } from "./catalog.ts";
import { DEFAULT_LIMITS, LIMIT_VARIABLES, type Limits } from "./limits.ts";
import { API_V1 } from "./paths.ts";
import { type ProblemKind, PROBLEMS, problemType } from "./problem.ts";
import { decodeComputeRequest, encodeResult } from "./request.ts";
import { VERSION } from "./version.ts";

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const problemRef = (name: keyof typeof PROBLEM_RESPONSES): Schema => ({
  $ref: `#/components/responses/${name}`,
});

const COMPONENT_SCHEMAS: Record<string, Schema> = {
  WireNumber: {
    description: 'A number; non-finite numbers are the strings "NaN", "Infinity", "-Infinity"',
    oneOf: [{ type: "number" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }],
  },
  FlatTensor: {
    type: "object",
    description: "A tensor as a shape and its values in row-major order",
    required: ["shape", "data"],
    additionalProperties: false,
    properties: {
      shape: { type: "array", items: { type: "integer", minimum: 0 }, maxItems: MAX_RANK },
      data: { type: "array", items: ref("WireNumber") },
      dtype: {
        type: "string",
        enum: ["float", "int", "bool"],
        description: '"int" marks class indices (for inputs that take either)',
      },
    },
  },
  NestedTensor: {
    description: `Nested arrays as \`torch.tensor\` takes them, ${MAX_RANK} deep at most`,
    anyOf: Array.from({ length: MAX_RANK }, (_, rank) => ref(`NestedTensor${rank + 1}`)),
  },
  // One schema per rank rather than a recursive one: a rank is bounded, and the generated
  // TypeScript of a schema that refers to itself through arrays does not type-check.
  ...Object.fromEntries(Array.from({ length: MAX_RANK }, (_, rank) => [
    `NestedTensor${rank + 1}`,
    {
      description: `Nested arrays of rank ${rank + 1}`,
      type: "array",
      items: rank === 0 ? ref("WireNumber") : ref(`NestedTensor${rank}`),
    },
  ])),
  Tensor: {
    description: "A flat tensor, nested arrays, or a number (a scalar)",
    oneOf: [ref("FlatTensor"), ref("NestedTensor"), ref("WireNumber")],
  },
  EncodedTensor: {
    type: "object",
    required: ["shape", "data"],
    properties: {
      shape: { type: "array", items: { type: "integer", minimum: 0 } },
      data: { type: "array", items: ref("WireNumber") },
    },
  },
  ComputeResponse: {
    type: "object",
    required: ["loss", "dtype", "output", "grads", "warnings"],
    properties: {
      loss: { type: "string", description: "The loss's class name" },
      dtype: { type: "string", enum: [...DTYPES] },
      output: ref("EncodedTensor"),
      grads: {
        type: "object",
        description: "The gradient of sum(output * grad_output) for each differentiable input",
        additionalProperties: ref("EncodedTensor"),
      },
      warnings: { type: "array", items: { type: "string" }, description: "PyTorch's warnings" },
    },
  },
  Problem: {
    type: "object",
    description: "RFC 9457 problem details",
    required: ["type", "title", "status", "detail"],
    properties: {
      type: {
        type: "string",
        enum: Object.keys(PROBLEMS).map((kind) => problemType(kind as never)),
      },
      title: { type: "string" },
      status: { type: "integer" },
      detail: { type: "string", description: "What is wrong, naming the field" },
      field: { type: "string", description: "The request field that is wrong" },
      request_id: {
        type: "string",
        description: "The request's id, as in its X-Request-Id header and the server's log",
      },
      instance: { type: "string" },
    },
  },
  InputSpec: {
    type: "object",
    required: ["name", "description", "shape", "kind", "differentiable"],
    properties: {
      name: { type: "string" },
      description: { type: "string" },
      shape: { type: "string" },
      kind: { type: "string", enum: ["float", "index", "float-or-index"] },
      differentiable: { type: "boolean" },
    },
  },
  OptionSpec: {
    type: "object",
    required: ["name", "type", "description"],
    properties: {
      name: { type: "string" },
      type: { type: "string", enum: ["number", "integer", "boolean", "string", "tensor"] },
      description: { type: "string" },
      default: {},
      deprecated: { type: "boolean" },
      enum: { type: "array", items: { type: "string" } },
      oneOf: { type: "array", items: { type: "number" } },
      minimum: { type: "number" },
      exclusiveMinimum: { type: "number" },
      maximum: { type: "number" },
      shape: { type: "string" },
    },
  },
  CatalogEntry: {
    type: "object",
    required: ["name", "aliases", "functional", "slug", "summary", "formula", "inputs", "options"],
    properties: {
      name: { type: "string" },
      aliases: { type: "array", items: { type: "string" } },
      functional: { type: "string" },
      slug: { type: "string" },
      category: { type: "string" },
      summary: { type: "string" },
      formula: { type: "string", description: "LaTeX" },
      outputShape: { type: "string" },
      inputs: { type: "array", items: ref("InputSpec") },
      options: { type: "array", items: ref("OptionSpec") },
      example: { type: "object", description: "A valid request body" },
      url: { type: "string" },
    },
  },
  Catalog: {
    type: "object",
    required: ["count", "losses"],
    properties: {
      count: { type: "integer" },
      losses: { type: "array", items: ref("CatalogEntry") },
    },
  },
  Sample: {
    type: "object",
    required: ["loss", "seed", "inputs"],
    properties: {
      loss: { type: "string" },
      seed: { type: "integer", minimum: 0 },
      inputs: {
        type: "object",
        description: "Valid random inputs, by name, ready to post as `inputs`",
        additionalProperties: ref("FlatTensor"),
      },
    },
  },
  Health: {
    type: "object",
    required: ["status", "version", "losses"],
    properties: {
      status: { type: "string", const: "ok" },
      version: { type: "string", description: "The release's version (semver)" },
      losses: { type: "integer", description: "How many losses the API serves" },
    },
  },
};

/** The response headers the answers carry, declared once (`#/components/headers/…`). */
const HEADERS: Record<string, Schema> = {
  "X-Request-Id": {
    description: "The request's id: the caller's `X-Request-Id` when it is made of letters, " +
      "digits, `-`, `_` and `=`, else a new UUID; a problem repeats it as `request_id`",
    schema: { type: "string" },
  },
  ETag: {
    description: "The answer's entity tag: `If-None-Match` with it answers 304",
    schema: { type: "string" },
  },
  "Cache-Control": {
    description: "How long clients and caches may keep the answer (`public, max-age=…`)",
    schema: { type: "string" },
  },
  Allow: {
    description: "The methods the path takes, `OPTIONS` included",
    schema: { type: "string" },
  },
};

const header = (name: string): Schema => ({ $ref: `#/components/headers/${name}` });

/**
 * The problem responses operations refer to (`#/components/responses/…`): the kinds of
 * problem (`PROBLEMS`) each stands for.
 */
const PROBLEM_RESPONSES: Record<string, { kinds: ProblemKind[]; headers?: string[] }> = {
  "bad-request": { kinds: ["invalid-json", "invalid-input"] },
  "unknown-loss": { kinds: ["unknown-loss"] },
  "method-not-allowed": { kinds: ["method-not-allowed"], headers: ["Allow"] },
  "too-large": { kinds: ["too-large"] },
  "unsupported-media-type": { kinds: ["unsupported-media-type"] },
  problem: {
    kinds: (Object.keys(PROBLEMS) as ProblemKind[]).filter((kind) => PROBLEMS[kind].status < 500),
  },
};

/** The response components of the problems that `used` names. */
function problemResponses(used: Set<string>): Record<string, Schema> {
  const responses: Record<string, Schema> = {};
  for (const [name, { kinds, headers = [] }] of Object.entries(PROBLEM_RESPONSES)) {
    if (!used.has(name)) continue;
    const titles = kinds.map((kind) => `${PROBLEMS[kind].title} (\`${problemType(kind)}\`)`);
    responses[name] = {
      description: name === "problem"
        ? `A problem (RFC 9457) for a request the API refuses: ${titles.join("; ")}`
        : titles.join("; or "),
      headers: Object.fromEntries(["X-Request-Id", ...headers].map((h) => [h, header(h)])),
      content: { "application/problem+json": { schema: ref("Problem") } },
    };
  }
  return responses;
}

/** Adds the `X-Request-Id` header, which every answer carries, to each response of `paths`. */
function withRequestIds(paths: Record<string, Record<string, Operation>>): void {
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      for (const response of Object.values(operation.responses as Record<string, Schema>)) {
        if ("$ref" in response) continue;
        response.headers = {
          "X-Request-Id": header("X-Request-Id"),
          ...response.headers as object,
        };
      }
    }
  }
}

function optionSchema(option: OptionSpec): Schema {
  const base: Schema = { description: option.description };
  if (option.deprecated) base.deprecated = true;
  switch (option.type) {
    case "number": {
      const schema: Schema = { ...base, type: "number", default: option.default };
      if (option.oneOf) schema.enum = option.oneOf;
      if (option.minimum !== undefined) schema.minimum = option.minimum;
      if (option.exclusiveMinimum !== undefined) schema.exclusiveMinimum = option.exclusiveMinimum;
      if (option.maximum !== undefined) schema.maximum = option.maximum;
      return schema;
    }
    case "integer": {
      const schema: Schema = { ...base, type: "integer", default: option.default };
      if (option.minimum !== undefined) schema.minimum = option.minimum;
      return schema;
    }
    case "boolean":
      return {
        ...base,
        type: option.default === null ? ["boolean", "null"] : "boolean",
        default: option.default,
      };
    case "string":
      return { ...base, type: "string", enum: option.enum, default: option.default };
    case "tensor":
      return {
        ...base,
        description: `${option.description}. Shape ${option.shape}`,
        oneOf: [ref("Tensor"), { type: "null" }],
        default: null,
      };
  }
}

function requestSchema(loss: AnyLoss): Schema {
  const inputs: Record<string, Schema> = {};
  for (const input of loss.inputs) {
    inputs[input.name] = {
      ...ref("Tensor"),
      description: `${input.description}. Shape ${input.shape}; ${input.kind}` +
        (input.differentiable ? "; differentiable" : ""),
    };
  }
  const options: Record<string, Schema> = {};
  for (const option of optionsOf(loss)) options[option.name] = optionSchema(option);
  return {
    type: "object",
    required: ["inputs"],
    additionalProperties: false,
    properties: {
      inputs: {
        type: "object",
        required: loss.inputs.map((input) => input.name),
        additionalProperties: false,
        properties: inputs,
      },
      options: { type: "object", additionalProperties: false, properties: options },
      dtype: { type: "string", enum: [...DTYPES], default: DTYPES[0] },
      grad: { type: "boolean", default: false, description: "Return the gradients" },
      grad_output: {
        ...ref("Tensor"),
        description: "The gradient of the output, of its shape (with grad); ones by default",
      },
    },
  };
}

function exampleResponse(loss: AnyLoss, limits: Limits): unknown {
  const { inputs, options, settings } = decodeComputeRequest(loss, exampleRequest(loss), limits);
  return encodeResult(computeLoss(loss.name, inputs, options, settings));
}

/** An OpenAPI operation object. */
export type Operation = Schema;

/** What an operation may depend on: the limits the app enforces. */
export interface OpenApiContext {
  limits: Limits;
}

/**
 * The operations of one route, by OpenAPI path: `path` is the route's path in OpenAPI's form
 * (`/api/v1/losses/{name}`), which a route over losses expands into one path per loss.
 */
type Operations = (path: string, context: OpenApiContext) => Record<string, Operation>;

const documentation = new WeakMap<MiddlewareHandler, Operations>();

/**
 * A route's documentation, as a middleware that does nothing but carry it: put it first in the
 * route's handlers, and {@link buildOpenApi} finds it among the app's routes.
 */
export function documented(operation: Operation | ((context: OpenApiContext) => Operation)) {
  const carrier: MiddlewareHandler = (_, next) => next();
  documentation.set(carrier, (path, context) => ({
    [path]: typeof operation === "function" ? operation(context) : operation,
  }));
  return carrier;
}

/**
 * The documentation of a route whose path names a loss (`{name}`): one operation per loss of the
 * registry, at the path with the loss's class name in place of `{name}`.
 */
export function documentedPerLoss(
  operation: (loss: AnyLoss, context: OpenApiContext) => Operation,
) {
  const carrier: MiddlewareHandler = (_, next) => next();
  documentation.set(carrier, (path, context) =>
    Object.fromEntries(
      losses.map((loss) => [path.replace("{name}", loss.name), operation(loss, context)]),
    ));
  return carrier;
}

/** The tag of the operations about the service itself rather than one loss. */
const SERVICE_TAG = "service";

/** The answer to a matching `If-None-Match`. */
const notModified = (): Schema => ({
  description: "Not modified: `If-None-Match` matched the `ETag`",
  headers: { ETag: header("ETag") },
});

const lossNames = (loss: AnyLoss) => {
  const names = namesOf(loss).map((name) => `\`${name}\``);
  return `${names.slice(0, -1).join(", ")} or ${names.at(-1)} (in any letter case)`;
};

/** `GET /api/v1/losses/{name}`. */
export const describeLoss = (loss: AnyLoss): Operation => ({
  operationId: `describe${loss.name}`,
  tags: [loss.category],
  summary: `Describe ${loss.name}`,
  description: `${loss.summary}. The path takes ${lossNames(loss)}.`,
  responses: {
    "200": cached("CatalogEntry", "The loss's catalog entry"),
    "304": notModified(),
    "404": problemRef("unknown-loss"),
  },
});

/** `POST /api/v1/losses/{name}`. */
export const computeLossOperation = (loss: AnyLoss, { limits }: OpenApiContext): Operation => ({
  operationId: `compute${loss.name}`,
  tags: [loss.category],
  summary: `Compute ${loss.name}`,
  description: `${loss.summary}.\n\n$$${loss.formula}$$\n\nOutput: ${loss.outputShape}. ` +
    `The path takes ${lossNames(loss)}.`,
  requestBody: {
    required: true,
    content: {
      "application/json": {
        schema: requestSchema(loss),
        examples: {
          sample: { summary: "Random inputs (seeded)", value: exampleRequest(loss) },
        },
      },
    },
  },
  responses: {
    "200": {
      description: "The loss, and the gradients when asked",
      content: {
        "application/json": {
          schema: ref("ComputeResponse"),
          examples: {
            sample: { summary: "The answer to the sample", value: exampleResponse(loss, limits) },
          },
        },
      },
    },
    "400": problemRef("bad-request"),
    "404": problemRef("unknown-loss"),
    "405": problemRef("method-not-allowed"),
    "413": problemRef("too-large"),
    "415": problemRef("unsupported-media-type"),
  },
});

/** `GET /api/v1/losses/{name}/sample`. */
export const sampleOperation = (loss: AnyLoss): Operation => ({
  operationId: `sample${loss.name}`,
  tags: [loss.category],
  summary: `Random inputs for ${loss.name}`,
  description: "Valid inputs drawn as the notebook draws them (`randn`, `rand`, `randint`), " +
    "from a 32-bit seed: the same seed gives the same inputs.",
  parameters: [{
    name: "seed",
    in: "query",
    required: false,
    schema: { type: "integer", minimum: 0, maximum: MAX_SEED, default: 1 },
  }],
  responses: {
    "200": {
      description: "The inputs",
      content: { "application/json": { schema: ref("Sample") } },
    },
    "400": problemRef("bad-request"),
    "404": problemRef("unknown-loss"),
  },
});

/** `GET /api/v1/health`. */
export const healthOperation: Operation = {
  operationId: "health",
  tags: [SERVICE_TAG],
  summary: "Health check",
  responses: {
    "200": {
      description: "The service is up",
      content: { "application/json": { schema: ref("Health") } },
    },
    "4XX": problemRef("problem"),
  },
};

/** `GET /api/v1/losses`. */
export const catalogOperation: Operation = {
  operationId: "listLosses",
  tags: [SERVICE_TAG],
  summary: "The catalog of losses",
  responses: {
    "200": cached("Catalog", "Every loss: names, summary, formula, inputs, options"),
    "304": notModified(),
    "4XX": problemRef("problem"),
  },
};

/** `GET /api/v1/openapi.json`. */
export const openApiOperation: Operation = {
  operationId: "openapi",
  tags: [SERVICE_TAG],
  summary: "This document",
  responses: {
    "200": {
      description: "OpenAPI 3.1",
      headers: { ETag: header("ETag"), "Cache-Control": header("Cache-Control") },
      content: { "application/json": { schema: { type: "object" } } },
    },
    "304": notModified(),
    "4XX": problemRef("problem"),
  },
};

/** `GET /api/v1/docs`. */
export const docsOperation: Operation = {
  operationId: "docs",
  tags: [SERVICE_TAG],
  summary: "The API reference page",
  responses: {
    "200": { description: "HTML", content: { "text/html": { schema: { type: "string" } } } },
    "4XX": problemRef("problem"),
  },
};

function cached(schema: string, description: string): Schema {
  return {
    description,
    headers: { ETag: header("ETag"), "Cache-Control": header("Cache-Control") },
    content: { "application/json": { schema: ref(schema) } },
  };
}

/** A route as Hono lists it (`app.routes`): its method, path and one of its handlers. */
export interface RouteEntry {
  method: string;
  path: string;
  handler: unknown;
}

/** `/api/v1/losses/:name` → `/api/v1/losses/{name}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, "{$1}");
}

/**
 * The OpenAPI 3.1 document of the documented `routes` (an app's `app.routes`) under `/api/v1`,
 * for `limits`: the alias `/api` answers the same routes and is not documented.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "../app.ts";
 * import { buildOpenApi } from "./openapi.ts";
 * const document = buildOpenApi(createApp().routes);
 * assert.equal(document.openapi, "3.1.0");
 * assert.ok(document.paths["/api/v1/losses/MSELoss"].post);
 * ```
 */
export function buildOpenApi(routes: readonly RouteEntry[], limits: Limits = DEFAULT_LIMITS): {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  [key: string]: unknown;
} {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) {
    const operations = documentation.get(route.handler as MiddlewareHandler);
    if (!operations || !route.path.startsWith(`${API_V1}/`)) continue;
    const method = route.method.toLowerCase();
    for (
      const [path, operation] of Object.entries(operations(openApiPath(route.path), { limits }))
    ) {
      (paths[path] ??= {})[method] = operation;
    }
  }
  withRequestIds(paths);
  const used = new Set(
    [...JSON.stringify(paths).matchAll(/#\/components\/responses\/([\w-]+)/g)].map((m) => m[1]),
  );
  const categories = [...new Set(losses.map((loss) => loss.category))];
  return {
    openapi: "3.1.0",
    info: {
      title: "PyTorch losses",
      version: VERSION,
      summary: "PyTorch's torch.nn losses and their gradients, as an HTTP API",
      description: [
        "Every `torch.nn` loss, computed as PyTorch 2.11 computes it, with its gradients.",
        "Tensors are `{shape, data, dtype?}` (flat, row-major) or nested arrays; non-finite " +
        'numbers are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` both ways.',
        "Errors are RFC 9457 problem details (`application/problem+json`) whose `detail` " +
        "names the `field` that is wrong.",
        `Limits: a body of at most ${limits.maxBodyBytes} bytes (\`${LIMIT_VARIABLES.maxBodyBytes}\`), ` +
        `at most ${limits.maxElements} tensor elements per request (\`${LIMIT_VARIABLES.maxElements}\`) ` +
        `and at most ${limits.maxWork} steps of estimated work (\`${LIMIT_VARIABLES.maxWork}\`); ` +
        "past them the answer is 413.",
        "`/api/v1` is the stable contract of this major version; `/api` answers the same routes " +
        "as an alias.",
      ].join("\n\n"),
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/", description: "The server that serves this document" }],
    // Public: no route needs credentials.
    security: [],
    tags: [
      {
        name: SERVICE_TAG,
        description: "The service: its health, the catalog of losses, this document and its " +
          "reference page",
      },
      ...categories.map((name) => ({
        name,
        description: `${CATEGORIES[name].title}: ${CATEGORIES[name].blurb}`,
      })),
    ],
    paths,
    components: {
      schemas: COMPONENT_SCHEMAS,
      responses: problemResponses(used),
      headers: HEADERS,
    },
  };
}
