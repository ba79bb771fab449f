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
  DTYPES,
  losses,
  MAX_RANK,
  MAX_SEED,
  namesOf,
  optionsOf,
  type OptionSpec,
  sourceOf,
} from "../../lib/mod.ts";
import { answerBatch } from "./batch.ts";
import { exampleRequest } from "./catalog.ts";
import { DEFAULT_LIMITS, LIMIT_VARIABLES, type Limits } from "./limits.ts";
import { API_V1 } from "./paths.ts";
import { type ProblemKind, PROBLEMS, problemType } from "./problem.ts";
import { decodeJson } from "./codecs/json.ts";
import { computeRequest, encodeResult } from "./request.ts";
import { VERSION } from "./version.ts";

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const problemRef = (name: keyof typeof PROBLEM_RESPONSES): Schema => ({
  $ref: `#/components/responses/${name}`,
});

/** The problems a POST to a loss (or the batch) may be answered with. */
const POST_PROBLEMS = [
  "bad-request",
  "unknown-loss",
  "method-not-allowed",
  "request-timeout",
  "too-large",
  "unsupported-media-type",
  "rate-limited",
  "overloaded",
] as const;

/** The responses for `names`, each under its problems' status. */
function responsesFor(
  names: readonly (keyof typeof PROBLEM_RESPONSES)[],
): Record<string, Schema> {
  return Object.fromEntries(
    names.map((
      name,
    ) => [String(PROBLEMS[PROBLEM_RESPONSES[name].kinds[0]].status), problemRef(name)]),
  );
}

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
    oneOf: [ref("FlatTensor"), ref("NestedTensor"), ref("NpyTensor"), ref("WireNumber")],
  },
  NpyTensor: {
    type: "object",
    description: "A tensor as an .npy file (NumPy's format, versions 1.0 to 3.0, either byte " +
      "order, C or Fortran order; float32, float64, float16, int64, int32, int16, int8, uint8 " +
      "or bool), base64-encoded; its shape and dtype come from its header",
    required: ["npy"],
    additionalProperties: false,
    properties: {
      npy: { type: "string", contentEncoding: "base64", contentMediaType: "application/x-npy" },
      shape: {
        type: "array",
        items: { type: "integer", minimum: 0 },
        maxItems: MAX_RANK,
        description: "Optional: must be the file's shape",
      },
    },
  },
  NpyEncodedTensor: {
    type: "object",
    description: 'A tensor of an answer with "encoding": "npy": the .npy file of its bytes',
    required: ["shape", "dtype", "npy"],
    properties: {
      shape: { type: "array", items: { type: "integer", minimum: 0 } },
      dtype: { type: "string", enum: ["float32", "float64"] },
      npy: { type: "string", contentEncoding: "base64", contentMediaType: "application/x-npy" },
    },
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
    required: ["loss", "dtype", "output", "grads", "warnings", "advice"],
    properties: {
      loss: { type: "string", description: "The loss's class name" },
      dtype: { type: "string", enum: [...DTYPES] },
      output: { oneOf: [ref("EncodedTensor"), ref("NpyEncodedTensor")] },
      grads: {
        type: "object",
        description: "The gradient of sum(output * grad_output) for each differentiable input",
        additionalProperties: { oneOf: [ref("EncodedTensor"), ref("NpyEncodedTensor")] },
      },
      warnings: {
        type: "array",
        items: { type: "string" },
        description: "PyTorch's warnings, word for word",
      },
      advice: {
        type: "array",
        items: ref("Advice"),
        description: "Hints that the request looks like a classic misuse of the loss; they " +
          "never change the numbers. Empty for an ordinary request.",
      },
    },
  },
  WorkedStep: {
    type: "object",
    required: ["label", "tex", "value"],
    properties: {
      label: { type: "string", description: "What the step does, in words" },
      tex: { type: "string", description: "The step in TeX, with its numbers" },
      value: ref("WireNumber"),
    },
  },
  Explanation: {
    allOf: [ref("ComputeResponse")],
    type: "object",
    required: ["formula", "terms", "count", "element", "worked", "reduction", "sweep"],
    properties: {
      formula: { type: "string", description: "The formula (TeX) for the options in force" },
      terms: {
        oneOf: [ref("EncodedTensor"), { type: "null" }],
        description: "The per-element losses (reduction none)",
      },
      count: { type: "integer", description: "How many elements can be worked through" },
      element: { type: "integer" },
      worked: {
        oneOf: [{
          type: "object",
          required: ["label", "steps"],
          properties: {
            label: { type: "string" },
            steps: { type: "array", items: ref("WorkedStep") },
          },
        }, { type: "null" }],
      },
      reduction: { type: "array", items: ref("WorkedStep") },
      sweep: {
        oneOf: [{
          type: "object",
          required: ["field", "label", "x", "loss", "slope", "current"],
          properties: {
            field: { type: "string", description: "The input entry that varies" },
            label: { type: "string" },
            x: { type: "array", items: ref("WireNumber") },
            loss: { type: "array", items: ref("WireNumber") },
            slope: { type: "array", items: ref("WireNumber") },
            current: {
              type: "object",
              properties: {
                x: ref("WireNumber"),
                loss: ref("WireNumber"),
                slope: ref("WireNumber"),
              },
            },
          },
        }, { type: "null" }],
      },
    },
  },
  Advice: {
    type: "object",
    required: ["code", "field", "message"],
    properties: {
      code: { type: "string", description: "A stable code, e.g. probabilities-as-logits" },
      field: { type: "string", description: "The request field it is about" },
      message: { type: "string" },
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
      type: {
        type: "string",
        enum: ["number", "integer", "boolean", "string", "axes", "tensor"],
      },
      description: { type: "string" },
      default: {},
      deprecated: { type: "boolean" },
      enum: { type: "array", items: { type: "string" } },
      oneOf: { type: "array", items: { type: "number" } },
      minimum: { type: "number" },
      exclusiveMinimum: { type: "number" },
      maximum: { type: "number" },
      exclusiveMaximum: { type: "number" },
      orOneOf: {
        type: "array",
        items: { type: "number" },
        description: "Values accepted outside the bounds",
      },
      finite: { type: "boolean", description: "Whether infinities are refused" },
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
      formula: { type: "string", description: "TeX, for the default options" },
      formulas: {
        type: "array",
        description: "The formula for other option values: the first case whose options match",
        items: {
          type: "object",
          required: ["when", "tex"],
          properties: { when: { type: "object" }, tex: { type: "string" } },
        },
      },
      outputShape: { type: "string" },
      source: {
        type: "object",
        required: ["library", "call", "docs"],
        description: "Where the loss is defined, and its documentation",
        properties: {
          library: { type: "string" },
          call: { type: "string" },
          docs: { type: "string", format: "uri" },
          code: { type: "string", description: "Python that computes the same with that library" },
        },
      },
      teaching: {
        type: "object",
        required: ["measures", "choose", "mistake", "related"],
        properties: {
          measures: { type: "string" },
          choose: { type: "string" },
          mistake: { type: "string" },
          related: {
            type: "array",
            items: {
              type: "object",
              required: ["to", "why"],
              properties: { to: { type: "string" }, why: { type: "string" } },
            },
          },
        },
      },
      keywords: { type: "array", items: { type: "string" } },
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
    description: "The request's id, a UUID the server makes (a caller's own `X-Request-Id` is " +
      "logged beside it, as `client_request_id`); a problem repeats it as `request_id`",
    schema: { type: "string" },
  },
  "Retry-After": {
    description: "Seconds to wait before trying again",
    schema: { type: "integer", minimum: 0 },
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
  "bad-request": { kinds: ["invalid-json", "invalid-input", "invalid-body"] },
  "request-timeout": { kinds: ["request-timeout"] },
  "rate-limited": { kinds: ["rate-limited"], headers: ["Retry-After"] },
  overloaded: { kinds: ["overloaded"], headers: ["Retry-After"] },
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
      const bounds: Schema = {};
      if (option.minimum !== undefined) bounds.minimum = option.minimum;
      if (option.exclusiveMinimum !== undefined) bounds.exclusiveMinimum = option.exclusiveMinimum;
      if (option.maximum !== undefined) bounds.maximum = option.maximum;
      if (option.exclusiveMaximum !== undefined) bounds.exclusiveMaximum = option.exclusiveMaximum;
      if (option.orOneOf) return { ...schema, anyOf: [bounds, { enum: option.orOneOf }] };
      return { ...schema, ...bounds };
    }
    case "axes":
      return {
        ...base,
        oneOf: [
          { type: "null" },
          { type: "integer" },
          { type: "array", items: { type: "integer" }, minItems: 1, uniqueItems: true },
        ],
        default: null,
      };
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
      ...computeFields("the JSON answer"),
    },
  };
}

/** The multipart form of a request: the JSON fields in `request`, a .npy part per tensor. */
function multipartSchema(loss: AnyLoss): Schema {
  const file = (description: string): Schema => ({
    type: "string",
    contentMediaType: "application/x-npy",
    description,
  });
  const properties: Record<string, Schema> = {
    request: {
      type: "object",
      description: "The JSON fields (grad, dtype, options, encoding, and any tensor as JSON); " +
        "may be left out",
    },
  };
  for (const input of loss.inputs) {
    properties[`inputs.${input.name}`] = file(`${input.description}. Shape ${input.shape}`);
  }
  for (const option of optionsOf(loss)) {
    if (option.type === "tensor") properties[`options.${option.name}`] = file(option.description);
  }
  properties.grad_output = file("The gradient of the output, of its shape (with grad)");
  return {
    type: "object",
    additionalProperties: false,
    properties,
    description: "A part per tensor, named by its place in the body, holding an .npy file",
  };
}

function exampleResponse(loss: AnyLoss, limits: Limits): unknown {
  const body = new TextEncoder().encode(JSON.stringify(exampleRequest(loss)));
  return encodeResult(computeRequest(loss, decodeJson(body, loss, limits)));
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

/** A loss's teaching text as Markdown, for the descriptions of its operations. */
function teachingText(loss: AnyLoss): string {
  const teaching = loss.teaching;
  if (!teaching) return "";
  const source = sourceOf(loss);
  return [
    `**What it measures.** ${teaching.measures}`,
    `**When to choose it.** ${teaching.choose}`,
    `**The classic mistake.** ${teaching.mistake}`,
    `**Related:** ${teaching.related.map(({ to, why }) => `${to} (${why})`).join("; ")}.`,
    `Documentation: [${source.call}](${source.docs}).`,
  ].join("\n\n");
}

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
  description: `${loss.summary}. The path takes ${lossNames(loss)}.\n\n${teachingText(loss)}`,
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
    `The path takes ${lossNames(loss)}.\n\n${teachingText(loss)}`,
  requestBody: {
    required: true,
    content: {
      "application/json": {
        schema: requestSchema(loss),
        examples: {
          sample: { summary: "Random inputs (seeded)", value: exampleRequest(loss) },
        },
      },
      "multipart/form-data": {
        schema: multipartSchema(loss),
        encoding: { request: { contentType: "application/json" } },
      },
    },
  },
  responses: {
    "200": {
      description: "The loss, and the gradients when asked: JSON, or with " +
        "`Accept: application/x-npz` an .npz archive (`output`, `grad_<input>`, `meta.json`)",
      content: {
        "application/json": {
          schema: ref("ComputeResponse"),
          examples: {
            sample: { summary: "The answer to the sample", value: exampleResponse(loss, limits) },
          },
        },
        "application/x-npz": {
          schema: {
            type: "string",
            contentMediaType: "application/x-npz",
            description: "A zip of output.npy, grad_<input>.npy per gradient and meta.json " +
              "({loss, dtype, warnings, advice}), as numpy.load opens it",
          },
        },
      },
    },
    ...responsesFor(POST_PROBLEMS),
  },
});

/** The body of `POST /api/v1/losses/{name}/explain`: a compute request and what to explain. */
function explainSchema(loss: AnyLoss): Schema {
  const schema = requestSchema(loss);
  return {
    ...schema,
    properties: {
      ...(schema.properties as Record<string, Schema>),
      element: {
        type: "integer",
        minimum: 0,
        default: 0,
        description: "The element (or sample) to work through and sweep",
      },
      points: {
        type: "integer",
        minimum: 2,
        maximum: 1001,
        default: 101,
        description: "The points of the sweep",
      },
    },
  };
}

/** `POST /api/v1/losses/{name}/explain`. */
export const explainOperation = (loss: AnyLoss, { limits }: OpenApiContext): Operation => ({
  operationId: `explain${loss.name}`,
  tags: [loss.category],
  summary: `Explain ${loss.name}`,
  description: "The loss computed as `POST /api/v1/losses/{name}` computes it, explained: the " +
    "per-element losses, one element (`element`) worked through step by step with its " +
    "numbers, the reduction naming its divisor, the formula for the options in force, and the " +
    "loss and its derivative swept along one input value of that element (`points` values, " +
    "computed in one batched forward). What the site's loss pages show. An explanation " +
    `computes the loss about points + 2 times, so its work may be at most MAX_WORK / ` +
    `(points + 2) (${limits.maxWork} in all).`,
  requestBody: {
    required: true,
    content: {
      "application/json": {
        schema: explainSchema(loss),
        examples: {
          sample: {
            summary: "Random inputs (seeded), element 0",
            value: { ...exampleRequest(loss), element: 0, points: 5 },
          },
        },
      },
    },
  },
  responses: {
    "200": {
      description: "The loss and its explanation",
      content: { "application/json": { schema: ref("Explanation") } },
    },
    ...responsesFor(POST_PROBLEMS),
  },
});

/** The example of `POST /api/v1/batch`: two losses of one prediction, and a request it refuses. */
export const BATCH_EXAMPLE = {
  requests: [
    { loss: "MSELoss", inputs: { input: [0.5, 2, -1], target: [0, 2, 1] }, grad: true },
    { loss: "HuberLoss", inputs: { input: [0.5, 2, -1], target: [0, 2, 1] }, grad: true },
    { loss: "CrossEntropyLoss", inputs: { input: [[1, 2, 3]], target: [5] } },
  ],
};

/**
 * The fields of a compute request beside its inputs and options: `dtype`, `grad`,
 * `grad_output` and `encoding`, whose description says what `answer` writes its tensors in.
 */
function computeFields(answer: string): Record<string, Schema> {
  return {
    dtype: { type: "string", enum: [...DTYPES], default: DTYPES[0] },
    grad: { type: "boolean", default: false, description: "Return the gradients" },
    grad_output: {
      ...ref("Tensor"),
      description: "The gradient of the output, of its shape (with grad); ones by default",
    },
    encoding: {
      type: "string",
      enum: ["numbers", "npy"],
      default: "numbers",
      description: `How ${answer} writes its tensors: numbers, or {shape, dtype, npy}`,
    },
  };
}
/** `POST /api/v1/batch`. */
export const batchOperation = ({ limits }: OpenApiContext): Operation => {
  const item: Schema = {
    type: "object",
    required: ["loss", "inputs"],
    additionalProperties: false,
    properties: {
      loss: {
        type: "string",
        description: "The loss: its class name, functional name or slug, in any letter case " +
          "(as `{name}` in `/api/v1/losses/{name}`)",
      },
      inputs: {
        type: "object",
        description: "The arguments of the loss's forward, by PyTorch's names",
        additionalProperties: ref("Tensor"),
      },
      options: {
        type: "object",
        description: "The loss's constructor options, by PyTorch's keyword names",
      },
      ...computeFields("this result"),
    },
  };
  const encoder = new TextEncoder();
  // The answer as the wire carries it (JSON writes a gradient's -0 as 0).
  const example = JSON.parse(JSON.stringify(answerBatch(
    encoder.encode(JSON.stringify(BATCH_EXAMPLE)),
    limits,
    `${API_V1}/batch`,
  )));
  return {
    operationId: "computeBatch",
    tags: [SERVICE_TAG],
    summary: "Compute several losses in one request",
    description: "Each item is a request of `POST /api/v1/losses/{name}` with its loss named by " +
      "`loss`, and its result is what that route answers, to the last bit, or the item's " +
      "problem (with its `status`): one bad item does not fail the others. The limits apply " +
      `to the batch as a whole: a body of at most ${limits.maxBodyBytes} bytes ` +
      `(\`${LIMIT_VARIABLES.maxBodyBytes}\`), at most ${limits.maxElements} tensor elements in ` +
      `all its items (\`${LIMIT_VARIABLES.maxElements}\`), their estimated work added up at ` +
      `most ${limits.maxWork} steps (\`${LIMIT_VARIABLES.maxWork}\`), and at most ` +
      `${limits.maxBatchItems} items (\`${LIMIT_VARIABLES.maxBatchItems}\`); past any of them ` +
      "the whole batch is a 413 problem naming the item and the limit, and nothing is " +
      "computed. What the site's lessons call once per training step.",
    requestBody: {
      required: true,
      content: {
        "application/json": {
          schema: {
            type: "object",
            required: ["requests"],
            additionalProperties: false,
            properties: {
              requests: { type: "array", items: item, maxItems: limits.maxBatchItems },
            },
          },
          examples: {
            mixed: {
              summary: "Two losses of one prediction, and a class index out of range",
              value: BATCH_EXAMPLE,
            },
          },
        },
      },
    },
    responses: {
      "200": {
        description: "A result per item, in their order",
        content: {
          "application/json": {
            schema: {
              type: "object",
              required: ["results"],
              properties: {
                results: {
                  type: "array",
                  items: { oneOf: [ref("ComputeResponse"), ref("Problem")] },
                },
              },
            },
            examples: { mixed: { summary: "The answer to the example", value: example } },
          },
        },
      },
      // An unknown loss is its item's problem, not the batch's.
      ...responsesFor(POST_PROBLEMS.filter((name) => name !== "unknown-loss")),
    },
  };
};

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
      summary:
        "PyTorch's torch.nn losses, and losses beyond it, with their gradients, as an HTTP API",
      description: [
        "Every `torch.nn` loss, computed as PyTorch 2.11 computes it, and " +
        `${losses.filter((loss) => loss.source).length} losses beyond \`torch.nn\` (focal, ` +
        "Dice, Tversky, hinge, NT-Xent...), computed as the library each follows computes " +
        "them (torchvision, optax, torchmetrics, Keras 3), with their gradients.",
        "Tensors are `{shape, data, dtype?}` (flat, row-major) or nested arrays; non-finite " +
        'numbers are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` both ways.',
        'Binary tensors: any tensor may be `{"npy": base64}` (NumPy\'s .npy file); a ' +
        "`multipart/form-data` body carries a `request` part (the JSON fields) and an .npy part " +
        "per tensor named by its place (`inputs.input`, `options.weight`, `grad_output`); " +
        '`Accept: application/x-npz` answers an .npz archive, and `"encoding": "npy"` ' +
        "writes the JSON answer's tensors as `{shape, dtype, npy}`.",
        "Errors are RFC 9457 problem details (`application/problem+json`) whose `detail` " +
        "names the `field` that is wrong.",
        `Limits: a body of at most ${limits.maxBodyBytes} bytes (\`${LIMIT_VARIABLES.maxBodyBytes}\`), ` +
        `at most ${limits.maxElements} tensor elements per request (\`${LIMIT_VARIABLES.maxElements}\`) ` +
        `and at most ${limits.maxWork} steps of estimated work (\`${LIMIT_VARIABLES.maxWork}\`); ` +
        `an .npy tensor at most ${limits.maxBinaryElements} elements ` +
        `(\`${LIMIT_VARIABLES.maxBinaryElements}\`, not counted in the other), a multipart body at ` +
        `most ${limits.maxBinaryBodyBytes} bytes (\`${LIMIT_VARIABLES.maxBinaryBodyBytes}\`); ` +
        `a batch at most ${limits.maxBatchItems} requests (\`${LIMIT_VARIABLES.maxBatchItems}\`), ` +
        "all of them together under the other limits; past them the answer is 413.",
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
