/**
 * What the two triplet losses explain alike: the distances of one triplet worked through, and
 * the sweep of the anchor along one coordinate, from the positive's value to the negative's.
 *
 * @module
 */
import type { Explainer, SweepPlan, WorkedStep } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { elementField } from "../core/errors.ts";
import { broadcastIndex, broadcastShapes } from "../ops/broadcast.ts";
import type { FloatDense } from "../core/tensor.ts";
import type { DistanceFunction, VectorPair } from "./_distance.ts";
import type { TripletInputs } from "./_triplet.ts";
import { including, rowEntrySweep, rowsLike, texList } from "./_explain.ts";

/** What a triplet loss's options say about its computation. */
export interface TripletSettings {
  distance: DistanceFunction;
  /** The distance in words: `the Euclidean distance ‖u − v + ε‖₂`. */
  name: string;
  margin: number;
  swap: boolean;
}

/** One triplet: each input's own row (as given, before broadcasting) and where they come from. */
interface Triplet {
  anchor: number[];
  positive: number[];
  negative: number[];
  /** The row of the anchor this triplet uses. */
  anchorRow: number;
  /** The size of the broadcast vectors. */
  size: number;
}

/** The triplet of output element `e`, as the forward broadcasts the three inputs. */
function tripletAt({ anchor, positive, negative }: TripletInputs, e: number): Triplet {
  const rows = (tensor: FloatDense) => tensor.shape.slice(0, -1);
  const own = (tensor: FloatDense) =>
    tensor.shape.length ? tensor.shape[tensor.shape.length - 1] : 1;
  let shape = rows(anchor);
  for (const tensor of [positive, negative]) shape = broadcastShapes(shape, rows(tensor)) ?? shape;
  const rowOf = (tensor: FloatDense) => {
    const row = broadcastIndex(rows(tensor), shape, e);
    const size = own(tensor);
    return { row, values: Array.from(tensor.data.subarray(row * size, (row + 1) * size)) };
  };
  const a = rowOf(anchor), p = rowOf(positive), n = rowOf(negative);
  const size = Math.max(a.values.length, p.values.length, n.values.length);
  return {
    anchor: a.values,
    positive: p.values,
    negative: n.values,
    anchorRow: a.row,
    size: a.values.length && p.values.length && n.values.length ? size : 0,
  };
}

/** The distance of two rows (each of its own size, 1 broadcasting), as the loss computes it. */
function distanceOf(distance: DistanceFunction, u: number[], v: number[]): number {
  const size = u.length === 1 ? v.length : u.length;
  const at = (row: number[], i: number) => row[row.length === 1 ? 0 : i];
  const pair: VectorPair = {
    shape: [size],
    batchShape: [],
    rows: 1,
    size,
    x1: Float64Array.from({ length: size }, (_, i) => at(u, i)),
    x2: Float64Array.from({ length: size }, (_, i) => at(v, i)),
    shape1: [u.length],
    shape2: [v.length],
  };
  return distance.forward(pair, "float64")[0];
}

/** The explainer of a triplet loss whose options give `settings`. */
export function tripletExplainer<Options>(
  settings: (options: Options) => TripletSettings,
): Explainer<Options, TripletInputs> {
  return {
    element(inputs, options, e) {
      const { distance, name, margin, swap } = settings(options);
      const t = tripletAt(inputs, e);
      const dPositive = distanceOf(distance, t.anchor, t.positive);
      const dNegative = distanceOf(distance, t.anchor, t.negative);
      const steps: WorkedStep[] = [
        { label: "the anchor", tex: `a_n = ${texList(t.anchor, 6)}`, value: t.anchor[0] ?? 0 },
        {
          label: "the positive, of the anchor's class",
          tex: `p_n = ${texList(t.positive, 6)}`,
          value: t.positive[0] ?? 0,
        },
        {
          label: "the negative, of another class",
          tex: `n_n = ${texList(t.negative, 6)}`,
          value: t.negative[0] ?? 0,
        },
        {
          label: `the anchor's distance to the positive (${name})`,
          tex: `d(a_n, p_n) = ${tex(dPositive)}`,
          value: dPositive,
        },
        {
          label: "and to the negative",
          tex: `d(a_n, n_n) = ${tex(dNegative)}`,
          value: dNegative,
        },
      ];
      let negativeDistance = dNegative;
      if (swap) {
        const dSwap = distanceOf(distance, t.positive, t.negative);
        negativeDistance = Math.min(dNegative, dSwap);
        steps.push({
          label: "swap: the positive's distance to the negative, and the smaller of the two",
          tex: `d(p_n, n_n) = ${tex(dSwap)},\\ \\min = ${tex(negativeDistance)}`,
          value: negativeDistance,
        });
      }
      const z = margin + dPositive - negativeDistance;
      const loss = Math.max(z, 0);
      steps.push(
        {
          label: "how much nearer the negative is than the positive, plus the margin",
          tex: `${tex(dPositive)} - ${texTerm(negativeDistance)} + ${texTerm(margin)} = ${tex(z)}`,
          value: z,
        },
        {
          label: z < 0
            ? "the negative is farther by more than the margin: 0"
            : "the hinge: the triplet's loss",
          tex: `l_n = \\max(${tex(z)},\\ 0) = ${tex(loss)}`,
          value: loss,
        },
      );
      return { label: `triplet ${e}`, steps };
    },
  };
}

/**
 * The sweep of a triplet loss: the anchor moves along the coordinate where the positive and
 * the negative differ most, across both of their values, the others held; the slope is the
 * derivative along that line, the gradient of that coordinate of the anchor.  An anchor of
 * size 1 along the vectors (broadcast) moves as a whole.
 */
export function tripletSweep(
  inputs: TripletInputs,
  e: number,
): SweepPlan {
  const t = tripletAt(inputs, e);
  const at = (row: number[], i: number) => row[row.length === 1 ? 0 : i] ?? NaN;
  let k = 0;
  let widest = -1;
  for (let i = 0; i < t.size; i++) {
    const gap = Math.abs(at(t.negative, i) - at(t.positive, i));
    if (gap > widest) [k, widest] = [i, gap];
  }
  const own = t.anchor.length;
  const j = own === 1 ? 0 : k;
  const current = t.anchor[j] ?? 0;
  const ends = [at(t.positive, k), at(t.negative, k)].filter(Number.isFinite);
  const low = ends.length ? Math.min(...ends) : -1;
  const high = ends.length ? Math.max(...ends) : 1;
  const pad = Math.max(1, (high - low) / 2);
  const [from, to] = including(low - pad, high + pad, current, pad / 2);
  const { anchor } = inputs;
  return rowEntrySweep(
    {
      field: elementField("inputs.anchor", anchor.shape, t.anchorRow * own + j),
      label: own === 1
        ? "the anchor (one value, broadcast along the vectors)"
        : `coordinate ${k} of the anchor, from the positive's value to the negative's`,
      current,
      from,
      to,
    },
    { name: "anchor", like: anchor.data, row: t.anchor, column: j },
    (P) => {
      const rows = (row: number[]) => rowsLike(anchor.data, P, row.length, (_, c) => row[c]);
      return { positive: rows(t.positive), negative: rows(t.negative) };
    },
  );
}
