/**
 * Broadcasting a tensor onto the input's shape, as PyTorch's in-place operations do
 * (`loss.mul_(weight)`, `output.mul_(target)`): the tensor may stretch to the input's shape,
 * but the result keeps the input's shape, so a tensor that would enlarge it is rejected.
 *
 * @module
 */
import { broadcastShape, expandTo } from "./broadcast.ts";
import type { TensorOption } from "../core/definition.ts";
import { LossInputError } from "../core/errors.ts";
import type { FloatDense } from "../core/tensor.ts";
import { formatShape, sameShape } from "../core/tensor.ts";

/**
 * `tensor` broadcast to `inputShape` as a dense array of `numel(inputShape)` values (the
 * tensor's own data when it already has that shape).
 *
 * @param field The tensor's field, for errors (`options.weight`).
 * @throws LossInputError when the tensor does not broadcast to `inputShape` without
 *   enlarging it.
 */
export function expandOntoInput(
  tensor: FloatDense,
  field: string,
  inputShape: number[],
): FloatDense["data"] {
  if (sameShape(tensor.shape, inputShape)) return tensor.data;
  const shape = broadcastShape(
    { field: "inputs.input", tensor: { shape: inputShape, data: [] } },
    { field, tensor },
  );
  if (!sameShape(shape, inputShape)) {
    throw new LossInputError(
      field,
      `${field} has shape ${formatShape(tensor.shape)}, which does not broadcast to the ` +
        `input's shape ${formatShape(inputShape)} (it would make it ${formatShape(shape)})`,
    );
  }
  return expandTo(tensor, shape).data;
}

/** The `weight` option of BCELoss and BCEWithLogitsLoss: one weight per element, broadcast. */
export function elementWeightOption(): TensorOption {
  return {
    name: "weight",
    type: "tensor",
    default: null,
    shape: "broadcastable to the input's shape",
    description: "A rescaling weight given to the loss of each element",
  };
}
