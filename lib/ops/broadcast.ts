/**
 * Broadcasting, as PyTorch does it: shapes align on their trailing dimensions, and a size of 1
 * stretches to any size.
 *
 * @module
 */
import { LossInputError } from "../core/errors.ts";
import type { Context } from "../core/definition.ts";
import type { Dense, FloatDense, NumericArray } from "../core/tensor.ts";
import { formatShape, numel, rowMajorStrides, sameShape, stridedIndices } from "../core/tensor.ts";

/** A tensor with the name of its field, for messages (`inputs.target`). */
export interface Named<T extends Dense = Dense> {
  field: string;
  tensor: T;
}

/**
 * The broadcast of two shapes (aligned on their trailing dimensions, a size of 1 stretching to
 * any size), or undefined when they do not broadcast.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastShapes } from "./broadcast.ts";
 * assert.deepEqual(broadcastShapes([3, 1], [4]), [3, 4]);
 * assert.equal(broadcastShapes([3], [4]), undefined);
 * ```
 */
export function broadcastShapes(
  a: readonly number[],
  b: readonly number[],
): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const shape = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    shape[i] = x === 1 ? y : x;
  }
  return shape;
}

/**
 * The shape that all `tensors` broadcast to.
 *
 * @throws LossInputError naming the first tensor that does not broadcast with the others.
 */
export function broadcastShape(...tensors: Named[]): number[] {
  let shape: number[] = [];
  const owner = tensors[0]?.field ?? "";
  for (const { field, tensor } of tensors) {
    const next = tensor.shape;
    const merged = broadcastShapes(shape, next);
    if (!merged) {
      const rank = Math.max(shape.length, next.length);
      const i = [...Array(rank).keys()].find((d) => {
        const a = shape[shape.length - rank + d] ?? 1;
        const b = next[next.length - rank + d] ?? 1;
        return a !== b && a !== 1 && b !== 1;
      })!;
      throw new LossInputError(
        field,
        `${field} has shape ${formatShape(next)}, which does not broadcast with ` +
          `${owner}'s ${formatShape(shape)}: size ${next[next.length - rank + i] ?? 1} against ` +
          `${shape[shape.length - rank + i] ?? 1} at dimension ${i}`,
      );
    }
    shape = merged;
  }
  return shape;
}

/**
 * Materializes `tensor` broadcast to `shape` as a dense copy; returns it unchanged when it
 * already has that shape.  `shape` must be a broadcast of the tensor's shape.
 */
export function expandTo<A extends NumericArray>(tensor: Dense<A>, shape: number[]): Dense<A> {
  if (sameShape(tensor.shape, shape)) return tensor;
  const size = numel(shape);
  const source = sourceIndices(tensor.shape, shape);
  const data = tensor.data;
  const out =
    (Array.isArray(data)
      ? new Array<number>(size)
      : new (data.constructor as Float64ArrayConstructor)(size)) as A;
  for (let i = 0; i < size; i++) out[i] = data[source[i]];
  return { shape: [...shape], data: out };
}

/**
 * Sums a gradient of the broadcast `grad.shape` back onto `shape`: the gradient of a tensor
 * that was expanded to `grad.shape`.  Returns `grad` itself when the shapes are equal.
 */
export function sumTo(grad: FloatDense, shape: number[]): FloatDense {
  if (sameShape(grad.shape, shape)) return grad;
  const out = new (grad.data.constructor as Float64ArrayConstructor)(numel(shape));
  const target = sourceIndices(shape, grad.shape);
  const sums = new Float64Array(out.length);
  for (let i = 0; i < grad.data.length; i++) sums[target[i]] += grad.data[i];
  out.set(sums);
  return { shape: [...shape], data: out };
}

/** For each element of `big` (row-major), the index of the element of `small` it comes from. */
function sourceIndices(small: number[], big: number[]): Int32Array | Float64Array {
  const smallStrides = rowMajorStrides(small);
  const offset = big.length - small.length;
  const strides = big.map((_, d) =>
    d < offset || small[d - offset] === 1 ? 0 : smallStrides[d - offset]
  );
  return stridedIndices(big, strides, 0);
}

/**
 * The row-major index, in a tensor of shape `small`, of the element that broadcasting brings to
 * row-major index `flat` of shape `big` (a broadcast of `small`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastIndex } from "./broadcast.ts";
 * assert.equal(broadcastIndex([3], [2, 3], 4), 1); // row 1, column 1: column 1 of the row
 * assert.equal(broadcastIndex([2, 1], [2, 3], 4), 1); // row 1 of the column
 * ```
 */
export function broadcastIndex(
  small: readonly number[],
  big: readonly number[],
  flat: number,
): number {
  const offset = big.length - small.length;
  let index = 0;
  let stride = 1;
  for (let d = big.length - 1; d >= 0; d--) {
    const position = flat % big[d];
    flat = Math.floor(flat / big[d]);
    const size = d >= offset ? small[d - offset] : 1;
    if (d >= offset) {
      if (size !== 1) index += position * stride;
      stride *= size;
    }
  }
  return index;
}

/** Formats a shape as PyTorch prints it: `torch.Size([3, 5])`. */
export function torchSize(shape: number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

/**
 * PyTorch's warning when a pointwise loss's target has another shape than its input, and so
 * is broadcast (`torch.nn.functional.l1_loss` and its kin).
 */
export function warnIfTargetBroadcasts(
  context: Context,
  input: number[],
  target: number[],
): void {
  if (sameShape(input, target)) return;
  context.warn(
    `Using a target size (${torchSize(target)}) that is different to the input size ` +
      `(${torchSize(input)}). This will likely lead to incorrect results due to broadcasting. ` +
      "Please ensure they have the same size",
  );
}
