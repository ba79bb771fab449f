/// <reference lib="dom" />
/**
 * Calls to this site's API, and its answers as the page's script uses them.
 *
 * @module
 */
import type { FlatTensor } from "./tensor_text.ts";

/** A tensor on the wire: flat data, NaN and infinities as strings. */
export interface WireTensor {
  shape: number[];
  data: (number | string)[];
  dtype?: "float" | "int";
}

/** The body of `POST /api/losses/{name}`. */
export interface ComputeRequest {
  inputs: Record<string, WireTensor>;
  options: Record<string, unknown>;
  dtype: "float32" | "float64";
  grad?: boolean;
}

/** A computed loss, with numbers decoded. */
export interface ComputeAnswer {
  loss: string;
  dtype: string;
  output: FlatTensor;
  grads: Record<string, FlatTensor>;
  warnings: string[];
}

/** An RFC 9457 problem, as the API answers bad requests. */
export interface Problem {
  status: number;
  title: string;
  detail: string;
  field?: string;
}

/** A number for the wire: NaN and infinities become strings, as the API expects. */
export function toWireNumber(value: number): number | string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

/** A flat tensor for the wire. */
export function toWire(tensor: FlatTensor, integer = false): WireTensor {
  const wire: WireTensor = { shape: tensor.shape, data: tensor.data.map(toWireNumber) };
  if (integer) wire.dtype = "int";
  return wire;
}

function fromWire(tensor: WireTensor): FlatTensor {
  return { shape: tensor.shape, data: tensor.data.map(Number) };
}

/**
 * Computes a loss through the API.  Resolves to the answer or to the problem; rejects only when
 * the request was aborted or the network failed.
 */
export async function compute(
  slug: string,
  request: ComputeRequest,
  signal?: AbortSignal,
): Promise<{ answer: ComputeAnswer } | { problem: Problem }> {
  const response = await fetch(`/api/losses/${slug}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
    signal,
  });
  const body = await response.json().catch(() => null);
  if (!response.ok || body === null) {
    return {
      problem: {
        status: response.status,
        title: body?.title ?? response.statusText,
        detail: body?.detail ?? `The API answered ${response.status}`,
        field: body?.field,
      },
    };
  }
  const grads: Record<string, FlatTensor> = {};
  for (const [name, grad] of Object.entries(body.grads ?? {})) {
    grads[name] = fromWire(grad as WireTensor);
  }
  return {
    answer: {
      loss: body.loss,
      dtype: body.dtype,
      output: fromWire(body.output),
      grads,
      warnings: body.warnings ?? [],
    },
  };
}

/**
 * Valid random inputs for a loss from `GET /api/losses/{name}/sample?seed=N`: the loss's own
 * sampler (`randn`, `rand`, `randint` as the notebook draws them), seeded.
 */
export async function fetchSample(
  slug: string,
  seed: number,
): Promise<{ inputs: Record<string, FlatTensor & { dtype?: string }> } | { problem: Problem }> {
  const response = await fetch(`/api/losses/${slug}/sample?seed=${seed}`);
  const body = await response.json().catch(() => null);
  if (!response.ok || body === null) {
    return {
      problem: {
        status: response.status,
        title: body?.title ?? response.statusText,
        detail: body?.detail ?? `The API answered ${response.status}`,
      },
    };
  }
  const inputs: Record<string, FlatTensor & { dtype?: string }> = {};
  for (const [name, tensor] of Object.entries(body.inputs as Record<string, WireTensor>)) {
    inputs[name] = { ...fromWire(tensor), dtype: tensor.dtype };
  }
  return { inputs };
}
