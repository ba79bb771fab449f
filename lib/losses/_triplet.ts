/**
 * The triplet margin loss over any distance, shared by TripletMarginLoss (p-norm distance)
 * and TripletMarginWithDistanceLoss (a named distance):
 * l = max(margin + d(a, p) − d(a, n), 0), with d(a, n) replaced by min(d(a, n), d(p, n)) when
 * `swap` is set.
 *
 * @module
 */
import { broadcastShape, expandTo, sumTo } from "../ops/broadcast.ts";
import type { Forward, InputSpec } from "../core/definition.ts";
import {
  addSummedTo,
  broadcastVectors,
  type DistanceFunction,
  type VectorPair,
} from "./_distance.ts";
import { LossInputError } from "../core/errors.ts";
import { allocate, reducedOutput, upstreamGradOf } from "../ops/reduction.ts";
import type { DType, FloatArray, FloatDense } from "../core/tensor.ts";
import { formatShape, numel, sameShape } from "../core/tensor.ts";

/** The three inputs of a triplet loss. */
export interface TripletInputs extends Record<string, FloatDense> {
  anchor: FloatDense;
  positive: FloatDense;
  negative: FloatDense;
}

/** What the forward pass of a triplet loss keeps for the backward pass. */
export interface TripletSaved {
  reduction: string;
  distance: DistanceFunction;
  /** The output's shape: the distances' shapes broadcast together. */
  shape: number[];
  /** anchor–positive, anchor–negative and (with swap) positive–negative pairs. */
  pairs: { positive: VectorPair; negative: VectorPair; swap: VectorPair | null };
  /** Their distances, each of its pair's batch shape, in the dtype. */
  distances: { positive: Float64Array; negative: Float64Array; swap: Float64Array | null };
  /** margin + d(a, p) − d(a, n) (or its swapped minimum) over `shape`, before the clamp. */
  margins: Float64Array;
  dtype: DType;
  shapes: { anchor: number[]; positive: number[]; negative: number[] };
}

/** The `anchor`, `positive` and `negative` inputs of a triplet loss. */
export function tripletInputs(): InputSpec[] {
  const shape = "(N, D) or (D): the anchor's number of dimensions";
  return [
    {
      name: "anchor",
      description: "The anchor vectors",
      shape: "(N, D) or (D), D the dimension of each vector",
      kind: "float",
      differentiable: true,
    },
    {
      name: "positive",
      description: "Vectors of the anchor's class, to be near it",
      shape,
      kind: "float",
      differentiable: true,
    },
    {
      name: "negative",
      description: "Vectors of another class, to be at least `margin` farther than the positive",
      shape,
      kind: "float",
      differentiable: true,
    },
  ];
}

/**
 * The triplet margin loss of `inputs` with `distance`: l = max(margin + d(a, p) − d(a, n), 0),
 * with d(a, n) → min(d(a, n), d(p, n)) for `swap`, then reduced.
 *
 * @throws LossInputError when the inputs' numbers of dimensions differ, or their shapes do not
 * broadcast.
 */
export function tripletForward(
  { anchor, positive, negative }: TripletInputs,
  distance: DistanceFunction,
  margin: number,
  swap: boolean,
  reduction: string,
  dtype: DType,
): Forward<TripletSaved> {
  checkRanks(anchor, positive, negative);
  const a = { field: "inputs.anchor", tensor: anchor };
  const p = { field: "inputs.positive", tensor: positive };
  const n = { field: "inputs.negative", tensor: negative };
  const pairs = {
    positive: broadcastVectors(a, p),
    negative: broadcastVectors(a, n),
    swap: swap ? broadcastVectors(p, n) : null,
  };
  const distances = {
    positive: distance.forward(pairs.positive, dtype),
    negative: distance.forward(pairs.negative, dtype),
    swap: pairs.swap && distance.forward(pairs.swap, dtype),
  };
  const shape = outputShape(pairs);
  const size = numel(shape);
  const dPos = expandTo({ shape: pairs.positive.batchShape, data: distances.positive }, shape).data;
  const dNeg = expandTo({ shape: pairs.negative.batchShape, data: distances.negative }, shape).data;
  const dSwap = pairs.swap && distances.swap &&
    expandTo({ shape: pairs.swap.batchShape, data: distances.swap }, shape).data;
  const f32 = dtype === "float32";
  const m = f32 ? Math.fround(margin) : margin;
  const margins = new Float64Array(size);
  const losses = reduction === "none" ? allocate(dtype, size) : null;
  let total = 0;
  for (let i = 0; i < size; i++) {
    // torch.minimum: NaN if either is NaN.
    const negativeDistance = dSwap ? Math.min(dNeg[i], dSwap[i]) : dNeg[i];
    const z = f32
      ? Math.fround(Math.fround(dPos[i] + m) - negativeDistance)
      : dPos[i] + m - negativeDistance;
    margins[i] = z;
    const loss = Math.max(z, 0); // NaN passes, as through clamp_min
    total += loss;
    if (losses) losses[i] = loss;
  }
  return {
    output: reducedOutput(reduction, dtype, shape, total, losses, size),
    saved: {
      reduction,
      distance,
      shape,
      pairs,
      distances,
      margins,
      dtype,
      shapes: { anchor: anchor.shape, positive: positive.shape, negative: negative.shape },
    },
  };
}

/**
 * The gradients of a triplet loss: the clamp passes the gradient where its argument is ≥ 0
 * (not where it is NaN); the swap's minimum sends it to the smaller distance (half to each on a
 * tie, all to both where either is NaN), as PyTorch's `minimum` does; each distance then passes
 * it to its two vectors, every row included, so that a gradient of 0 meets NaN where PyTorch's
 * does.  Where no tensor is broadcast, the distances add straight into the inputs' gradients.
 */
export function tripletBackward(
  saved: TripletSaved,
  gradOutput: FloatDense,
  dtype: DType,
): Record<"anchor" | "positive" | "negative", FloatDense> {
  const { shape, pairs, distances, margins, shapes, distance } = saved;
  const size = margins.length;
  const { perElement, each } = upstreamGradOf(saved.reduction, gradOutput, size);
  const gradPos = new Float64Array(size);
  const gradNeg = new Float64Array(size);
  const gradSwap = pairs.swap ? new Float64Array(size) : null;
  const dNeg = expandTo({ shape: pairs.negative.batchShape, data: distances.negative }, shape).data;
  const dSwap = pairs.swap && distances.swap &&
    expandTo({ shape: pairs.swap.batchShape, data: distances.swap }, shape).data;
  const half = (v: number) => dtype === "float32" ? Math.fround(v / 2) : v / 2;
  for (let i = 0; i < size; i++) {
    const g = margins[i] >= 0 ? (perElement ? perElement[i] : each) : 0;
    gradPos[i] = g;
    if (dSwap && gradSwap) {
      const a = dNeg[i], b = dSwap[i];
      const shared = a === b ? half(-g) : -g;
      gradNeg[i] = a > b ? 0 : shared;
      gradSwap[i] = a < b ? 0 : shared;
    } else {
      gradNeg[i] = -g;
    }
  }
  const totals = {
    anchor: allocate(dtype, numel(shapes.anchor)),
    positive: allocate(dtype, numel(shapes.positive)),
    negative: allocate(dtype, numel(shapes.negative)),
  };
  const through = (
    pair: VectorPair,
    pairDistances: Float64Array,
    grad: Float64Array,
    first: FloatArray,
    second: FloatArray,
  ) => {
    const rowGrad = sumTo({ shape, data: grad }, pair.batchShape).data;
    const direct = sameShape(pair.shape1, pair.shape) && sameShape(pair.shape2, pair.shape);
    if (direct) {
      distance.addBackward(pair, pairDistances, rowGrad, first, second);
      return;
    }
    const grad1 = allocate(dtype, pair.x1.length);
    const grad2 = allocate(dtype, pair.x2.length);
    distance.addBackward(pair, pairDistances, rowGrad, grad1, grad2);
    addSummedTo(first, grad1, pair.shape, pair.shape1);
    addSummedTo(second, grad2, pair.shape, pair.shape2);
  };
  through(pairs.positive, distances.positive, gradPos, totals.anchor, totals.positive);
  through(pairs.negative, distances.negative, gradNeg, totals.anchor, totals.negative);
  if (pairs.swap && distances.swap && gradSwap) {
    through(pairs.swap, distances.swap, gradSwap, totals.positive, totals.negative);
  }
  return {
    anchor: { shape: [...shapes.anchor], data: totals.anchor },
    positive: { shape: [...shapes.positive], data: totals.positive },
    negative: { shape: [...shapes.negative], data: totals.negative },
  };
}

function checkRanks(anchor: FloatDense, positive: FloatDense, negative: FloatDense): void {
  const rank = anchor.shape.length;
  for (const [name, tensor] of [["positive", positive], ["negative", negative]] as const) {
    if (tensor.shape.length !== rank) {
      const field = `inputs.${name}`;
      throw new LossInputError(
        field,
        `${field} has ${tensor.shape.length} dimensions (shape ${formatShape(tensor.shape)}), ` +
          `but inputs.anchor has ${rank} (shape ${formatShape(anchor.shape)}): anchor, positive ` +
          "and negative must have the same number of dimensions",
      );
    }
  }
}

/** The shape of the losses: the distances' shapes broadcast as PyTorch's arithmetic does. */
function outputShape(pairs: TripletSaved["pairs"]): number[] {
  const distances = [
    { field: "inputs.positive", tensor: { shape: pairs.positive.batchShape, data: [] } },
    { field: "inputs.negative", tensor: { shape: pairs.negative.batchShape, data: [] } },
  ];
  if (pairs.swap) {
    distances.push({
      field: "inputs.negative",
      tensor: { shape: pairs.swap.batchShape, data: [] },
    });
  }
  try {
    return broadcastShape(...distances);
  } catch (error) {
    if (!(error instanceof LossInputError)) throw error;
    const shapes = distances.map((d) => formatShape(d.tensor.shape)).join(", ");
    throw new LossInputError(
      error.field,
      `the distances anchor–positive, anchor–negative${pairs.swap ? ", positive–negative" : ""} ` +
        `have shapes ${shapes}, which do not broadcast together (${error.field}'s batch ` +
        "dimensions do not match the others')",
    );
  }
}
