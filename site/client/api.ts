/// <reference lib="dom" />
/**
 * Calls to this site's API, and its answers as the page's script uses them.  The wire types
 * are the API's own (`functions/api/`), imported as types only.
 *
 * @module
 */
import type { DType } from "../../lib/core/tensor.ts";
import type { SweepResult } from "../../lib/core/explain.ts";
import type { Problem } from "../../functions/api/problem.ts";
import type {
  ComputeRequest as ApiRequest,
  ComputeResponse,
  ExplainResponse,
} from "../../functions/api/request.ts";
import type { FlatTensor as WireTensor, WireNumber } from "../../functions/api/wire.ts";
import type { FlatTensor } from "./tensor_text.ts";

export type { Problem, WireTensor };

/** The API's documented, stable prefix (`functions/api/paths.ts`). */
export const API = "/api/v1";

/** A request as the pages build it: flat tensors, options and dtype always given. */
export type ComputeRequest = ApiRequest & {
  inputs: Record<string, WireTensor>;
  options: Record<string, unknown>;
  dtype: DType;
};

/** A computed loss, with numbers decoded. */
export type ComputeAnswer = Omit<ComputeResponse, "output" | "grads"> & {
  output: FlatTensor;
  grads: Record<string, FlatTensor>;
};

/** A worked step, with its value decoded. */
export interface Step {
  label: string;
  tex: string;
  value: number;
}

/** An explained loss (`POST /api/v1/losses/{name}/explain`), with numbers decoded. */
export type ExplainAnswer = ComputeAnswer & {
  formula: string;
  terms: FlatTensor | null;
  count: number;
  element: number;
  worked: { label: string; steps: Step[] } | null;
  reduction: Step[];
  sweep: SweepResult | null;
};

/** What a problem says, as the pages show it (the parts every problem has). */
export type ShownProblem = Pick<Problem, "status" | "title" | "detail" | "field">;

/** A number for the wire: NaN and infinities become strings, as the API expects. */
export function toWireNumber(value: number): WireNumber {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

/** A flat tensor for the wire; `integer` marks it as integers (class indices). */
export function toWire(tensor: FlatTensor, integer = false): WireTensor {
  const wire: WireTensor = { shape: tensor.shape, data: tensor.data.map(toWireNumber) };
  if (integer) wire.dtype = "int";
  return wire;
}

function fromWire(tensor: WireTensor): FlatTensor {
  return { shape: tensor.shape, data: tensor.data.map(Number), dtype: tensor.dtype };
}

function decodeAnswer(answer: ComputeResponse): ComputeAnswer {
  const grads: Record<string, FlatTensor> = {};
  for (const [name, grad] of Object.entries(answer.grads ?? {})) grads[name] = fromWire(grad);
  return {
    loss: answer.loss,
    dtype: answer.dtype,
    output: fromWire(answer.output),
    grads,
    warnings: answer.warnings ?? [],
    advice: answer.advice ?? [],
  };
}

/** The problem an answer that is not a success stands for. */
function problemOf(response: Response, body: Partial<Problem> | null): ShownProblem {
  return {
    status: response.status,
    title: body?.title ?? response.statusText,
    detail: body?.detail ?? `The API answered ${response.status}`,
    field: body?.field,
  };
}

/**
 * Computes a loss through the API.  Resolves to the answer or to the problem; rejects only when
 * the request was aborted or the network failed.
 */
export async function compute(
  slug: string,
  request: ComputeRequest,
  signal?: AbortSignal,
): Promise<{ answer: ComputeAnswer } | { problem: ShownProblem }> {
  const answered = await postJson(`${API}/losses/${slug}`, request, signal);
  if ("problem" in answered) return answered;
  return { answer: decodeAnswer(answered.body as ComputeResponse) };
}

/**
 * POSTs `request` as JSON to `url`: the answer's JSON body, or the problem when the API
 * refused or answered with no JSON; rejects only when aborted or when the network failed.
 */
async function postJson(
  url: string,
  request: unknown,
  signal?: AbortSignal,
): Promise<{ body: unknown } | { problem: ShownProblem }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
    signal,
  });
  const body = await response.json().catch(() => null);
  if (!response.ok || body === null) return { problem: problemOf(response, body) };
  return { body };
}

/**
 * Explains a loss through the API, in one request: the result and gradients, the per-element
 * losses, one element worked through, the reduction and the sweep.  Resolves to the answer or
 * to the problem; rejects only when the request was aborted or the network failed.
 */
export async function explain(
  slug: string,
  request: ComputeRequest & { element: number; points?: number },
  signal?: AbortSignal,
): Promise<{ answer: ExplainAnswer } | { problem: ShownProblem }> {
  const answered = await postJson(`${API}/losses/${slug}/explain`, request, signal);
  if ("problem" in answered) return answered;
  const wire = answered.body as ExplainResponse;
  const steps = (list: ExplainResponse["reduction"]) =>
    list.map((step) => ({ ...step, value: Number(step.value) }));
  const sweep = wire.sweep;
  return {
    answer: {
      ...decodeAnswer(wire),
      formula: wire.formula,
      terms: wire.terms && fromWire(wire.terms),
      count: wire.count,
      element: wire.element,
      worked: wire.worked && { label: wire.worked.label, steps: steps(wire.worked.steps) },
      reduction: steps(wire.reduction ?? []),
      sweep: sweep && {
        field: sweep.field,
        label: sweep.label,
        x: sweep.x.map(Number),
        loss: sweep.loss.map(Number),
        slope: sweep.slope.map(Number),
        current: {
          x: Number(sweep.current.x),
          loss: Number(sweep.current.loss),
          slope: Number(sweep.current.slope),
        },
      },
    },
  };
}

/**
 * Valid random inputs for a loss from `GET /api/v1/losses/{name}/sample?seed=N`: the loss's own
 * sampler (`randn`, `rand`, `randint` as the notebook draws them), seeded.
 */
export async function fetchSample(
  slug: string,
  seed: number,
): Promise<{ inputs: Record<string, FlatTensor> } | { problem: ShownProblem }> {
  const response = await fetch(`${API}/losses/${slug}/sample?seed=${seed}`);
  const body = await response.json().catch(() => null);
  if (!response.ok || body === null) return { problem: problemOf(response, body) };
  const inputs: Record<string, FlatTensor> = {};
  for (const [name, tensor] of Object.entries(body.inputs as Record<string, WireTensor>)) {
    inputs[name] = fromWire(tensor);
  }
  return { inputs };
}

/** One item of a batch as the pages build it: a request and the loss it is for. */
export type BatchItem = ComputeRequest & { loss: string };

/**
 * Computes several losses in one request (`POST /api/v1/batch`): each item's answer, in their
 * order, or that item's problem.  Resolves to the results or to the problem of the whole batch;
 * rejects only when the request was aborted or the network failed.
 */
export async function computeBatch(
  items: BatchItem[],
  signal?: AbortSignal,
): Promise<
  { results: ({ answer: ComputeAnswer } | { problem: ShownProblem })[] } | {
    problem: ShownProblem;
  }
> {
  const answered = await postJson(`${API}/batch`, { requests: items }, signal);
  if ("problem" in answered) return answered;
  const results =
    ((answered.body as { results: unknown[] }).results as (ComputeResponse | Problem)[]).map((
      result,
    ) =>
      "status" in result
        ? {
          problem: {
            status: result.status,
            title: result.title,
            detail: result.detail,
            field: result.field,
          },
        }
        : { answer: decodeAnswer(result) }
    );
  return { results };
}

/**
 * {@link computeBatch} for a page that needs every answer: the answers in order, or the first
 * problem, the batch's or an item's.
 */
export async function computeAll(
  items: BatchItem[],
  signal?: AbortSignal,
): Promise<{ answers: ComputeAnswer[] } | { problem: ShownProblem }> {
  const answered = await computeBatch(items, signal);
  if ("problem" in answered) return answered;
  const answers: ComputeAnswer[] = [];
  for (const result of answered.results) {
    if ("problem" in result) return result;
    answers.push(result.answer);
  }
  return { answers };
}
