/**
 * Tensors as people type them for `torch.tensor`: nested lists such as `[[1.0, 2.0], [3.0, 4.0]]`,
 * optionally wrapped in `tensor(...)`, with `nan`, `inf`, `True` and `False`.  Used by the site's
 * build (to print samples) and by its pages (to read what the user typed).
 *
 * @module
 */

import type { PlainTensor } from "../../lib/core/tensor.ts";

/** A tensor in the API's flat form, with its numbers as numbers. */
export type FlatTensor = PlainTensor<number>;

/** A typed tensor that cannot be read, with the character offset where reading stopped. */
export class TensorTextError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "TensorTextError";
    this.offset = offset;
  }
}

const TOKEN =
  /\s*(?:(\[)|(\])|(,)|([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|([+-]?(?:nan|inf))|(True|False))/y;

type Nested = number | Nested[];

/**
 * Reads a nested list (or a single number) as a flat row-major tensor and its shape.
 *
 * @throws TensorTextError when the text is not a rectangular nested list of numbers.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTensor } from "./tensor_text.ts";
 * assert.deepEqual(parseTensor("tensor([[1, 2.5], [nan, -inf]])"), {
 *   shape: [2, 2],
 *   data: [1, 2.5, NaN, -Infinity],
 * });
 * ```
 */
export function parseTensor(text: string): FlatTensor {
  let body = text.trim();
  let start = text.indexOf(body);
  const wrapper = /^(?:torch\.)?tensor\(/.exec(body);
  if (wrapper) {
    const close = body.lastIndexOf(")");
    if (close < 0) throw new TensorTextError("tensor( is not closed by )", text.length);
    start += wrapper[0].length;
    body = body.slice(wrapper[0].length, close).replace(/,\s*(?:dtype|requires_grad)\s*=.*$/s, "");
  }
  if (body.trim() === "") throw new TensorTextError("expected a number or a [list]", start);
  let position = 0;
  const next = (): RegExpExecArray | null => {
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(body);
    if (match) position = TOKEN.lastIndex;
    return match;
  };
  const fail = (what: string): never => {
    throw new TensorTextError(`${what} at character ${start + position + 1}`, start + position);
  };
  const value = (depth: number): Nested => {
    if (depth > 32) fail("too deeply nested");
    const token = next() ?? fail("expected a number or [");
    if (token[1]) {
      const items: Nested[] = [];
      const peek = position;
      const closing = next();
      if (closing?.[2]) return items;
      position = peek;
      for (;;) {
        items.push(value(depth + 1));
        const separator = next() ?? fail("expected , or ]");
        if (separator[2]) return items;
        if (!separator[3]) fail("expected , or ]");
        const after = position;
        const trailing = next();
        if (trailing?.[2]) return items;
        position = after;
      }
    }
    if (token[4]) return Number(token[4]);
    if (token[5]) {
      return token[5].startsWith("-") ? -Infinity : token[5].endsWith("nan") ? NaN : Infinity;
    }
    if (token[6]) return token[6] === "True" ? 1 : 0;
    return fail("expected a number or [");
  };
  const tree = value(0);
  if (body.slice(position).trim() !== "") fail("unexpected text after the tensor");
  const shape: number[] = [];
  for (let node: Nested = tree; Array.isArray(node); node = node[0]) {
    shape.push(node.length);
    if (node.length === 0) break;
  }
  const data: number[] = [];
  const walk = (node: Nested, depth: number, path: number[]) => {
    if (depth === shape.length) {
      if (Array.isArray(node)) {
        throw new TensorTextError(`element [${path.join("][")}] is a list, expected a number`, 0);
      }
      data.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const size = Array.isArray(node) ? `${node.length} elements` : "a number";
      throw new TensorTextError(
        `ragged: [${path.join("][")}] has ${size}, expected ${shape[depth]} elements`,
        0,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, [...path, i]));
  };
  walk(tree, 0, []);
  return { shape, data };
}

function formatNumber(value: number, integer: boolean, exact: boolean): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (integer) return String(Math.round(value));
  if (exact) return Number.isInteger(value) ? value.toFixed(1) : String(value);
  const text = value.toFixed(4);
  return text === "-0.0000" ? "0.0000" : text;
}

/**
 * Prints a flat tensor as nested lists, one innermost row per line, with four decimals as
 * PyTorch prints (integers for index tensors), or with `exact`, every digit needed to read the
 * same number back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTensor } from "./tensor_text.ts";
 * assert.equal(formatTensor({ shape: [2, 2], data: [1, 2, 3, 4] }, true), "[[1, 2],\n [3, 4]]");
 * ```
 */
export function formatTensor(tensor: FlatTensor, integer = false, exact = false): string {
  const { shape, data } = tensor;
  if (shape.length === 0) return formatNumber(data[0], integer, exact);
  let offset = 0;
  const render = (depth: number): string => {
    const size = shape[depth];
    if (depth === shape.length - 1) {
      const row = data.slice(offset, offset + size).map((v) => formatNumber(v, integer, exact));
      offset += size;
      return `[${row.join(", ")}]`;
    }
    const parts: string[] = [];
    for (let i = 0; i < size; i++) parts.push(render(depth + 1));
    const indent = " ".repeat(depth + 1);
    return `[${parts.join(`,${"\n".repeat(shape.length - depth - 1)}${indent}`)}]`;
  };
  return render(0);
}
