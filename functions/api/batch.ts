/**
 * `POST /api/v1/batch`: several computations in one request, each as `POST
 * /api/v1/losses/{name}` computes it, its loss named by `loss` beside its fields.
 *
 * The items go through the single route's own pieces: `decodeFields` (the JSON codec's fields),
 * `checkRequestCost`, `computeRequest`, `encodeResult`, so that each result is the single
 * route's answer to the last bit.  The limits apply to the batch as a whole: its body is under
 * `MAX_BODY_BYTES`, its JSON numbers all together under `MAX_ELEMENTS` (one element budget for
 * every item), the work of its items added up under `MAX_WORK`, and it holds at most
 * `MAX_BATCH_ITEMS` items; past any of them the whole batch is a 413 problem naming the item
 * and the limit, and nothing is computed.  Every item is decoded and its cost checked before
 * any is computed.  Any other problem of an item (400, 404, 415) is that item's result, with
 * its `status`, and the other items are computed as usual.
 *
 * @module
 */
import { type AnyLoss, findLoss, LossInputError, unknownLossMessage } from "../../lib/mod.ts";
import type { DecodedRequest } from "./decoded.ts";
import { parseJsonText } from "./codecs/json.ts";
import { ElementBudget, LIMIT_VARIABLES, type Limits } from "./limits.ts";
import { type Problem, ProblemError, problemOf, problemOfError } from "./problem.ts";
import {
  checkRequestCost,
  type ComputeRequest,
  computeRequest,
  type ComputeResponse,
  decodeFields,
  encodeResult,
  type NpyComputeResponse,
} from "./request.ts";
import { describe } from "./wire.ts";

/** One item of a batch: a compute request and the loss it is for. */
export interface BatchItem extends ComputeRequest {
  /** The loss: its class name, functional name or slug, in any letter case. */
  loss: string;
}

/** What `POST /api/v1/batch` takes. */
export interface BatchRequest {
  /** The computations, at most `MAX_BATCH_ITEMS`. */
  requests: BatchItem[];
}

/** What `POST /api/v1/batch` answers: a result per item, in the order of the items. */
export interface BatchResponse {
  /** The single route's answer for each item, or the item's problem (with its `status`). */
  results: (ComputeResponse | NpyComputeResponse | Problem)[];
}

/** The keys of a batch body. */
const BATCH_KEYS = ["requests"];

/** An item decoded, or the problem that stops it. */
type Decoded = { loss: AnyLoss; request: DecodedRequest } | { problem: ProblemError };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A problem about the size of item `index`, for the whole batch: a 413 naming the item. */
function batchTooLarge(index: number, error: ProblemError): ProblemError {
  const item = `requests[${index}]`;
  const field = error.field ? `${item}.${error.field}` : item;
  // "inputs.input has 600 elements…" becomes "requests[2].inputs.input has 600 elements…".
  const message = error.field && error.message.startsWith(error.field)
    ? `${item}.${error.message}`
    : `${item}: ${error.message}`;
  return new ProblemError(
    "too-large",
    `${message}; the limits apply to the batch as a whole`,
    field,
  );
}

/** The problem an item's error stands for; a size problem is thrown, for the whole batch. */
function itemProblem(index: number, error: unknown): ProblemError {
  const problem = problemOfError(error);
  if (!problem) throw error;
  if (problem.kind === "too-large") throw batchTooLarge(index, problem);
  return problem;
}

/** Decodes item `index` of a batch, taking its JSON numbers from the batch's `budget`. */
function decodeItem(item: unknown, index: number, budget: ElementBudget): Decoded {
  try {
    if (!isObject(item)) {
      throw new LossInputError(
        "request",
        `requests[${index}] must be a JSON object (a request with its loss), got ${describe(item)}`,
      );
    }
    const name = item.loss;
    if (typeof name !== "string") {
      throw new LossInputError(
        "loss",
        `loss must be the name of a loss (as in /api/v1/losses), got ${describe(name)}`,
      );
    }
    const loss = findLoss(name);
    if (!loss) throw new ProblemError("unknown-loss", `loss: ${unknownLossMessage(name)}`, "loss");
    return { loss, request: decodeFields(loss, item, budget, new Map(), ["loss"]) };
  } catch (error) {
    return { problem: itemProblem(index, error) };
  }
}

/**
 * Answers a batch body (its JSON bytes) within `limits`; `instance` is the request's path, which
 * an item's problem names with the item's place (`/api/v1/batch#/requests/2`).
 *
 * @throws ProblemError for the whole batch: `invalid-json` or `invalid-input` (400) when the body
 * is not a batch, `too-large` (413) past a limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LIMITS } from "./limits.ts";
 * import { answerBatch } from "./batch.ts";
 * const body = JSON.stringify({
 *   requests: [
 *     { loss: "MSELoss", inputs: { input: [1, 2], target: [1, 0] } },
 *     { loss: "NoSuchLoss", inputs: {} },
 *   ],
 * });
 * const { results } = answerBatch(new TextEncoder().encode(body), DEFAULT_LIMITS, "/api/v1/batch");
 * assert.deepEqual((results[0] as { output: unknown }).output, { shape: [], data: [2] });
 * assert.equal((results[1] as { status: number }).status, 404);
 * ```
 */
export function answerBatch(bytes: Uint8Array, limits: Limits, instance: string): BatchResponse {
  const body = parseJsonText(bytes, "body", limits);
  if (!isObject(body)) {
    throw new ProblemError(
      "invalid-input",
      `The body must be a JSON object {"requests": [...]}, got ${describe(body)}`,
      "body",
    );
  }
  for (const key of Object.keys(body)) {
    if (!BATCH_KEYS.includes(key)) {
      throw new ProblemError(
        "invalid-input",
        `${key} is not part of a batch; a batch has requests`,
        key,
      );
    }
  }
  const items = body.requests;
  if (!Array.isArray(items)) {
    throw new ProblemError(
      "invalid-input",
      `requests must be an array of requests, each with its loss, got ${describe(items)}`,
      "requests",
    );
  }
  if (items.length > limits.maxBatchItems) {
    throw new ProblemError(
      "too-large",
      `requests holds ${items.length} requests, more than the limit of ${limits.maxBatchItems} ` +
        `(${LIMIT_VARIABLES.maxBatchItems})`,
      "requests",
    );
  }
  // One element budget for the whole batch, and its work added up, before computing anything.
  const budget = new ElementBudget(limits.maxElements, limits.maxBinaryElements);
  let work = 0;
  const decoded = items.map((item, index): Decoded => {
    const entry = decodeItem(item, index, budget);
    if ("problem" in entry) return entry;
    try {
      work += checkRequestCost(entry.loss, entry.request, limits);
    } catch (error) {
      return { problem: itemProblem(index, error) };
    }
    if (work > limits.maxWork) {
      throw new ProblemError(
        "too-large",
        `requests[${index}] brings the batch's estimated work to ${work} steps (the work of ` +
          `its requests added up), more than the limit of ${limits.maxWork} ` +
          `(${LIMIT_VARIABLES.maxWork})`,
        `requests[${index}]`,
      );
    }
    return entry;
  });
  const results = decoded.map((entry, index) => {
    let problem: ProblemError;
    if ("problem" in entry) problem = entry.problem;
    else {
      try {
        const result = computeRequest(entry.loss, entry.request);
        return encodeResult(result, entry.request.encoding);
      } catch (error) {
        problem = itemProblem(index, error);
      }
    }
    return problemOf(
      problem.kind,
      `${instance}#/requests/${index}`,
      problem.message,
      problem.field,
    );
  });
  return { results };
}
