/**
 * The same computation as code to copy: `curl` and Python `requests` against the API, and plain
 * PyTorch.  Tensors are written as nested lists, with every digit of the values sent, so each
 * snippet reproduces the page's value exactly.
 *
 * @module
 */
import type { OptionSpec } from "../../lib/core/definition.ts";
import { API, type ComputeRequest, type WireTensor } from "./api.ts";
import { formatTensor } from "./tensor_text.ts";

/** What a snippet needs to know of the loss. */
export interface SnippetLoss {
  name: string;
  slug: string;
  inputs: { name: string; differentiable: boolean }[];
  options: OptionSpec[];
  /** The library's code for a loss beyond `torch.nn` (`LossSource.code`), as a template. */
  source?: { code?: string };
}

type Nested = number | string | Nested[];

/** A wire tensor as nested arrays, as `torch.tensor` takes them (the API accepts both). */
function nested(tensor: WireTensor): Nested {
  const { shape, data } = tensor;
  let offset = 0;
  const build = (depth: number): Nested => {
    if (depth === shape.length) return data[offset++];
    return Array.from({ length: shape[depth] }, () => build(depth + 1));
  };
  return build(0);
}

/**
 * The request with nested tensors: the API reads nested integers as class indices wherever an
 * input takes them, so no `dtype` is needed.
 */
function readableBody(request: ComputeRequest): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [name, tensor] of Object.entries(request.inputs)) inputs[name] = nested(tensor);
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.options)) {
    const isTensor = typeof value === "object" && value !== null && "shape" in value;
    options[name] = isTensor ? nested(value as WireTensor) : value;
  }
  const body: Record<string, unknown> = { inputs };
  if (Object.keys(options).length) body.options = options;
  body.dtype = request.dtype;
  body.grad = true;
  return body;
}

/** `curl` posting the request to the API. */
export function curlSnippet(origin: string, loss: SnippetLoss, request: ComputeRequest): string {
  const body = JSON.stringify(readableBody(request)).replace(/'/g, "'\\''");
  return `curl -s ${origin}${API}/losses/${loss.slug} \\\n  -H 'content-type: application/json' \\\n  -d '${body}'`;
}

function python(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\btrue\b/g, "True")
    .replace(/\bfalse\b/g, "False")
    .replace(/\bnull\b/g, "None")
    .replace(/,(?=["\[\d-])/g, ", ")
    .replace(/":/g, '": ');
}

/** Python `requests` posting the request to the API. */
export function pythonSnippet(origin: string, loss: SnippetLoss, request: ComputeRequest): string {
  const body = readableBody(request);
  const lines = ["import requests", "", "body = {"];
  for (const [key, value] of Object.entries(body)) {
    if (key === "inputs" || key === "options") {
      lines.push(`    "${key}": {`);
      for (const [name, tensor] of Object.entries(value as Record<string, unknown>)) {
        lines.push(`        "${name}": ${python(tensor)},`);
      }
      lines.push("    },");
    } else {
      lines.push(`    "${key}": ${python(value)},`);
    }
  }
  lines.push("}");
  lines.push(`answer = requests.post("${origin}${API}/losses/${loss.slug}", json=body).json()`);
  lines.push('print(answer["output"], answer["grads"])');
  return lines.join("\n");
}

function pythonValue(value: unknown): string {
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "None";
  return String(value);
}

function torchTensor(tensor: WireTensor, dtype: string, grad: boolean): string {
  const values = { shape: tensor.shape, data: tensor.data.map(Number) };
  const integer = tensor.dtype === "int";
  const text = formatTensor(values, integer, true)
    .replace(/\bnan\b/g, "float('nan')")
    .replace(/(-?)\binf\b/g, "$1float('inf')");
  const args = [text];
  if (!integer) args.push(`dtype=torch.${dtype}`);
  if (grad) args.push("requires_grad=True");
  return `torch.tensor(${args.join(", ")})`;
}

/** A tensor as a Python nested list, with every digit, `float('nan')` and `float('inf')`. */
function pythonList(tensor: WireTensor): string {
  const values = { shape: tensor.shape, data: tensor.data.map(Number) };
  return formatTensor(values, tensor.dtype === "int", true)
    .replace(/\bnan\b/g, "float('nan')")
    .replace(/(-?)\binf\b/g, "$1float('inf')");
}

/** An option's value as the source library's Python writes it (through the option's `code`). */
function optionCode(spec: OptionSpec, value: unknown): string {
  if (spec.type === "string" && spec.code?.[String(value)]) return spec.code[String(value)];
  if (typeof value === "object" && value !== null) return pythonList(value as WireTensor);
  if (typeof value === "string") return JSON.stringify(value);
  return pythonValue(value);
}

/**
 * The loss's own library computing the same numbers, from its `LossSource.code` template:
 * `{input}` (any input's name) becomes the tensor as a nested list, `{alpha}` (any option's
 * name) the option's value as Python writes it, `{dtype}` the dtype.
 */
export function sourceSnippet(loss: SnippetLoss, request: ComputeRequest): string {
  const template = loss.source?.code ?? "";
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    if (name === "dtype") return request.dtype;
    const tensor = request.inputs[name];
    if (tensor) return pythonList(tensor);
    const spec = loss.options.find((option) => option.name === name);
    if (!spec) return whole;
    const value = Object.hasOwn(request.options, name) ? request.options[name] : spec.default;
    return optionCode(spec, value);
  });
}

/** The same loss in PyTorch, with the gradients of the differentiable inputs. */
export function pytorchSnippet(loss: SnippetLoss, request: ComputeRequest): string {
  const lines = ["import torch", "import torch.nn as nn", "import torch.nn.functional as F", ""];
  for (const spec of loss.inputs) {
    const tensor = request.inputs[spec.name];
    const grad = spec.differentiable && tensor.dtype !== "int";
    lines.push(`${spec.name} = ${torchTensor(tensor, request.dtype, grad)}`);
  }
  const args = Object.entries(request.options).map(([key, value]) => {
    const spec = loss.options.find((option) => option.name === key);
    const code = spec?.type === "string" ? spec.code?.[String(value)] : undefined;
    if (code) return `${key}=${code}`;
    if (typeof value === "object" && value !== null) {
      return `${key}=${torchTensor(value as WireTensor, request.dtype, false)}`;
    }
    return `${key}=${pythonValue(value)}`;
  });
  lines.push(`loss = nn.${loss.name}(${args.join(", ")})`);
  lines.push(`output = loss(${loss.inputs.map((spec) => spec.name).join(", ")})`);
  lines.push("print(output)");
  const differentiable = loss.inputs.filter((spec) =>
    spec.differentiable && request.inputs[spec.name].dtype !== "int"
  );
  if (differentiable.length) {
    lines.push("output.backward(torch.ones_like(output))");
    for (const spec of differentiable) lines.push(`print(${spec.name}.grad)`);
  }
  return lines.join("\n");
}
