/**
 * Every loss's inputs made large from its own sample (`loss.sample`), with nothing written per
 * loss: each tensor whose first dimension is the batch of the loss's first input is repeated
 * along that dimension, so that the first input holds at least `elements` values; the other
 * tensors (CTC's targets and lengths, whose batch is not the first dimension of `log_probs`)
 * are left as they are, and stay valid (lengths at most the frames, which only grow).  Used by
 * the advice benchmark (`bench/advice_bench.ts`) and the test that advice's cost does not grow
 * with its input (`tests/advice_cost_test.ts`).
 *
 * @module
 */
import {
  type AnyLoss,
  createRandom,
  type DType,
  indexNdArrayOf,
  type NdArray,
  ndarrayOf,
  type NumericArray,
  type PlainTensor,
} from "../lib/mod.ts";
import { checkInputs, checkOptions } from "../lib/core/compute.ts";
import type { Dense } from "../lib/core/tensor.ts";
import type { OptionValues } from "../lib/core/definition.ts";

/** `inputs` (plain tensors, as samples and requests give them) repeated along the batch. */
export function tile(
  loss: AnyLoss,
  inputs: Record<string, PlainTensor>,
  elements: number,
): Record<string, PlainTensor> {
  const first = inputs[loss.inputs[0].name];
  const batch = first.shape[0];
  const times = Math.max(1, Math.ceil(elements / Math.max(first.data.length, 1)));
  return Object.fromEntries(
    Object.entries(inputs).map(([name, tensor]) => {
      if (tensor.shape.length === 0 || tensor.shape[0] !== batch) return [name, tensor];
      const data = new Array<number>(tensor.data.length * times);
      for (let copy = 0; copy < times; copy++) {
        for (let i = 0; i < tensor.data.length; i++) {
          data[copy * tensor.data.length + i] = tensor.data[i];
        }
      }
      return [name, { ...tensor, shape: [batch * times, ...tensor.shape.slice(1)], data }];
    }),
  );
}

/** Plain tensors as `computeLoss` takes them: index tensors as Int32, the others in `dtype`. */
export function ndarrays(
  inputs: Record<string, PlainTensor>,
  dtype: DType,
): Record<string, NdArray<NumericArray>> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, tensor]) => [
      name,
      tensor.dtype === "int"
        ? indexNdArrayOf(tensor.data, tensor.shape)
        : ndarrayOf(tensor.data, tensor.shape, dtype),
    ]),
  );
}

/** What `advise` takes: the checked tensors and option values of a request, as `evaluate` has them. */
export function adviceArguments(
  loss: AnyLoss,
  inputs: Record<string, PlainTensor>,
  options: Record<string, unknown>,
  dtype: DType,
): { tensors: Record<string, Dense>; values: OptionValues } {
  const tensors = checkInputs(loss, ndarrays(inputs, dtype), dtype);
  const values = checkOptions(loss, options, dtype);
  return { tensors, values };
}

/** `loss`'s sample from `seed`, repeated along its batch to at least `elements` values. */
export function tiledSample(
  loss: AnyLoss,
  elements: number,
  seed = 1,
): Record<string, PlainTensor> {
  return tile(loss, loss.sample(createRandom(seed)), elements);
}
