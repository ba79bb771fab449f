/**
 * Errors as RFC 9457 problem details (`application/problem+json`): every answer that is not a
 * success says what is wrong in `detail` and names the request field in `field`.
 *
 * @module
 */
import type { Context, TypedResponse } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSONParsed } from "hono/utils/types";
import { LossInputError } from "../../lib/mod.ts";
import { jsonAnswer } from "./json.ts";

/** The kinds of problem the API reports, with their HTTP status and title. */
export const PROBLEMS = {
  "invalid-json": { status: 400, title: "The body is not valid JSON" },
  "invalid-input": { status: 400, title: "The request is not valid for this loss" },
  "not-found": { status: 404, title: "No such resource" },
  "unknown-loss": { status: 404, title: "No such loss" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "too-large": { status: 413, title: "The request is too large" },
  "unsupported-media-type": {
    status: 415,
    title: "The body, or a tensor in it, is in a format the API does not read",
  },
  "invalid-body": { status: 400, title: "The body could not be read" },
  "request-timeout": { status: 408, title: "The body did not arrive in time" },
  "rate-limited": { status: 429, title: "Too many requests from this client" },
  "internal": { status: 500, title: "Internal error" },
  "overloaded": { status: 503, title: "The server is busy with other requests" },
} as const;

/** A problem's kind: a key of {@link PROBLEMS}. */
export type ProblemKind = keyof typeof PROBLEMS;

/** The media type of problem details. */
export const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** An RFC 9457 problem details object, with the `field` extension member. */
export interface Problem {
  /** A URI naming the kind of problem. */
  type: string;
  title: string;
  status: number;
  /** What is wrong, naming the field. */
  detail: string;
  /** The request field that is wrong (`inputs.target[3]`, `options.delta`, `body`). */
  field?: string;
  /** The path of the request. */
  instance: string;
  /** The request's id, as its `X-Request-Id` header gives it (for finding its log line). */
  request_id?: string;
}

/**
 * A problem as a route's answer type, for Hono's RPC client: a handler declares the problems it
 * may answer (thrown, and answered by the error handler) beside its success.
 */
export type ProblemAnswer<Status extends ContentfulStatusCode> =
  & Response
  & TypedResponse<JSONParsed<Problem>, Status, "json">;

/** The `type` URI of a kind of problem. */
export function problemType(kind: ProblemKind): string {
  return `urn:problem-type:losses:${kind}`;
}

/**
 * The problem details of `kind` for the request at `instance`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { problemOf } from "./problem.ts";
 * const problem = problemOf("unknown-loss", "/api/losses/x", "x is not a loss", "name");
 * assert.equal(problem.status, 404);
 * ```
 */
export function problemOf(
  kind: ProblemKind,
  instance: string,
  detail: string,
  field?: string,
): Problem {
  const { status, title } = PROBLEMS[kind];
  const problem: Problem = { type: problemType(kind), title, status, detail, instance };
  if (field !== undefined) problem.field = field;
  return problem;
}

/**
 * Answers a problem through Hono's context, so that the headers middleware set before the
 * handler ran (`X-Request-Id`) are kept, with the request's path and id in the problem.
 */
export function problemFor<Status extends ContentfulStatusCode>(
  c: Context,
  kind: ProblemKind,
  detail: string,
  field?: string,
  headers: Record<string, string> = {},
) {
  const problem = problemOf(kind, c.req.path, detail, field);
  const requestId: unknown = c.get("requestId");
  if (typeof requestId === "string") problem.request_id = requestId;
  return jsonAnswer(c, problem, problem.status as Status, headers, PROBLEM_MEDIA_TYPE);
}

/**
 * A problem thrown by a handler or middleware, answered by the app's error handler: the one place
 * where errors become problem details.
 */
export class ProblemError extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ProblemError";
  }
}

/**
 * The problem an error stands for: a {@link ProblemError} as thrown, a `LossInputError` as a 400
 * (or a 413 when it is about size), anything else undefined (a server error).
 */
export function problemOfError(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof LossInputError) {
    const kind = error.kind === "too-large" ? "too-large" : "invalid-input";
    return new ProblemError(kind, error.message, error.field);
  }
  return undefined;
}
