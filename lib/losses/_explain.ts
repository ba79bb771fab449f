/**
 * What the losses' explanations share: rows of numbers in TeX, sweep ranges that take in the
 * current value, batches of rows in an input's element type, and the checks behind advice.
 *
 * @module
 */
import {
  type Advice,
  ADVICE_SAMPLE,
  type LossInputs,
  type SweepPlan,
  type WorkedStep,
} from "../core/definition.ts";
import { tex } from "../core/tex.ts";
import type { FloatDense, NumericArray } from "../core/tensor.ts";

/**
 * A row of numbers in TeX, `(0.1,\ 0.2,\ 0.3)`: at most `max` of them, the middle ones elided
 * as `\dots` in a longer row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { texList } from "./_explain.ts";
 * assert.equal(texList([1, 2]), "(1,\\ 2)");
 * assert.equal(texList([1, 2, 3, 4, 5], 4), "(1,\\ 2,\\ \\dots,\\ 5)");
 * ```
 */
export function texList(values: readonly number[], max = 8): string {
  const shown = values.length <= max
    ? values.map(tex)
    : [...values.slice(0, max - 2).map(tex), String.raw`\dots`, tex(values[values.length - 1])];
  return `(${shown.join(",\\ ")})`;
}

/**
 * The range [from, to], widened to take in `current` with `pad` to spare; [from, to] itself
 * when `current` is not finite.
 */
export function including(
  from: number,
  to: number,
  current: number,
  pad = 1,
): [number, number] {
  if (!Number.isFinite(current)) return [from, to];
  return [Math.min(from, current - pad), Math.max(to, current + pad)];
}

/**
 * The sweep range of a score under a hinge: from 2 below the lowest of `kinks` (where a term
 * of the loss starts or stops) to 2 above the highest, taking in `current`; −3 to 3 when no
 * kink is finite.
 */
export function hingeRange(kinks: readonly number[], current: number): [number, number] {
  const finite = kinks.filter(Number.isFinite);
  return finite.length
    ? including(Math.min(...finite) - 2, Math.max(...finite) + 2, current, 1)
    : including(-3, 3, current, 1);
}

/**
 * The sweep range of a log-probability: from `floor` (or below the current value) up to 0, or
 * up to the current value when it is above 0 (where it is no log-probability).
 */
export function logProbabilityRange(floor: number, current: number): [number, number] {
  if (!Number.isFinite(current)) return [floor, 0];
  return [Math.min(floor, current - 1), Math.max(0, current)];
}

/**
 * A sweep range of `half` on each side of `center` (0 when it is not finite) that takes in the
 * current value: the regression losses' range, centred on the target, where their kinks are.
 */
export function centeredOn(center: number, half: number): (current: number) => [number, number] {
  const middle = Number.isFinite(center) ? center : 0;
  return (current) => including(middle - half, middle + half, current, half / 3);
}

/**
 * `rows` rows of `width` floating-point values, of the element type of `like` (an input in the
 * loss's dtype): `value(p, c)` at row p and column c.  The batch of a row sweep.
 */
export function rowsLike(
  like: NumericArray,
  rows: number,
  width: number,
  value: (p: number, c: number) => number,
): FloatDense {
  const data = like instanceof Float32Array
    ? new Float32Array(rows * width)
    : new Float64Array(rows * width);
  for (let p = 0; p < rows; p++) {
    for (let c = 0; c < width; c++) data[p * width + c] = value(p, c);
  }
  return { shape: [rows, width], data };
}

/** The entry a row sweep varies: column `column` of `row`, a row of input `name`. */
export interface SweptEntry {
  /** The input it is in: `input`, `anchor`. */
  name: string;
  /** That input's values: the batch's rows take their element type. */
  like: NumericArray;
  /** The row's values. */
  row: ArrayLike<number>;
  /** The entry's place in the row. */
  column: number;
}

/**
 * The sweep of one entry of a row: row p of the batch is `entry.row` with the entry set to the
 * p-th value, beside the inputs `others(P)` gives for P rows; the slope is the gradient of the
 * sum of the losses at the entry.  `plan` says what is swept, and over which range.
 */
export function rowEntrySweep(
  plan: Omit<SweepPlan, "batch" | "read">,
  entry: SweptEntry,
  others: (count: number) => LossInputs,
): SweepPlan {
  const { name, like, row, column } = entry;
  const width = row.length;
  return {
    ...plan,
    batch(values) {
      const P = values.length;
      const swept = rowsLike(like, P, width, (p, c) => c === column ? values[p] : row[c]);
      return { inputs: { [name]: swept, ...others(P) } };
    },
    read(output, grads) {
      const slope = Array.from(output.data, (_, p) => grads[name].data[p * width + column] ?? 0);
      return { loss: Array.from(output.data), slope };
    },
  };
}

/**
 * Like {@link rowsLike}, for an index input: an array of the same kind as `like` (an integer
 * typed array, or a plain array of integers), of shape `[rows, width]` (`[rows]` when `width` is
 * null).
 */
export function indexRowsLike<A extends NumericArray>(
  like: A,
  rows: number,
  width: number | null,
  value: (p: number, c: number) => number,
): { shape: number[]; data: A } {
  const size = rows * (width ?? 1);
  const data =
    (Array.isArray(like)
      ? new Array<number>(size)
      : new (like.constructor as Int32ArrayConstructor)(size)) as A;
  for (let p = 0; p < rows; p++) {
    for (let c = 0; c < (width ?? 1); c++) data[p * (width ?? 1) + c] = value(p, c);
  }
  return { shape: width === null ? [rows] : [rows, width], data };
}

/**
 * How many of `n` elements (or rows) a check of advice reads: all of them up to `budget`
 * ({@link ADVICE_SAMPLE} by default), else `budget`.
 */
export function sampleCount(n: number, budget = ADVICE_SAMPLE): number {
  return Math.min(n, budget);
}

/**
 * The `k`-th (0 ≤ k < m) of the `m` indices that advice reads among `n` (m = {@link sampleCount}
 * of n): the first h = ⌈m / 2⌉ indices, then the rest spread evenly,
 * i_k = h + ⌊(k − h)(n − h) / (m − h)⌋ for k ≥ h.  Every index from 0 to n − 1 when m = n; the
 * indices increase, and the last is at most n − 1.  The first ones catch a misuse repeated in
 * every sample of a batch, the spread ones one confined to a part of it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleIndex } from "./_explain.ts";
 * assert.deepEqual([0, 1, 2].map((k) => sampleIndex(k, 3, 3)), [0, 1, 2]);
 * assert.deepEqual([0, 1, 2, 3].map((k) => sampleIndex(k, 4, 100)), [0, 1, 2, 51]);
 * ```
 */
export function sampleIndex(k: number, m: number, n: number): number {
  const h = (m + 1) >> 1;
  return k < h ? k : h + Math.floor(((k - h) * (n - h)) / (m - h));
}

/** The index of the first element that advice reads of `data` for which `test` holds, or −1. */
export function findSampled(data: ArrayLike<number>, test: (value: number) => boolean): number {
  const n = data.length, m = sampleCount(n);
  for (let k = 0; k < m; k++) {
    const i = sampleIndex(k, m, n);
    if (test(data[i])) return i;
  }
  return -1;
}

/**
 * What advice read of `n` elements (or rows), to follow a statement about all of them: nothing
 * when it read them all, else how many (`read`: {@link sampleCount} of n for single elements,
 * `Rows.read` for rows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readNote } from "./_explain.ts";
 * assert.equal(readNote(10), "");
 * assert.match(readNote(1000, "rows", 4), /of the 4 rows that advice reads out of 1000/);
 * ```
 */
export function readNote(n: number, unit = "elements", read = sampleCount(n)): string {
  return read === n
    ? ""
    : ` (of the ${read} ${unit} that advice reads out of ${n}: the first ${(read + 1) >> 1}, the ` +
      "others spread evenly)";
}

/**
 * A tensor's rows along one axis, as a check of whole rows reads them: `count` rows of `width`
 * values, row r = o · inner + j (o before the axis, j after it) starting at o · width · inner + j,
 * its values `inner` apart ({@link rowStart}).  The rows of classes of CrossEntropyLoss and
 * NLLLoss (axis 1), of the vectors of CosineSimilarityLoss, of the frames of CTCLoss (the last).
 */
export interface Rows {
  /** The number of rows: the size of every dimension but the axis. */
  count: number;
  /** The values in a row: the size of the axis. */
  width: number;
  /** The distance between two values of a row: the size of the dimensions after the axis. */
  inner: number;
  /** How many rows advice reads: as many as fit whole in {@link ADVICE_SAMPLE} values. */
  read: number;
}

/** The rows of a tensor of `shape` along `axis` (0 ≤ axis < rank). */
export function rowsAlong(shape: readonly number[], axis: number): Rows {
  let outer = 1, inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const width = shape[axis];
  const count = outer * inner;
  const fit = width === 0 ? count : Math.floor(ADVICE_SAMPLE / width);
  return { count, width, inner, read: Math.min(count, fit) };
}

/** Where row `r` of `rows` starts; its values follow `rows.inner` apart. */
export function rowStart(rows: Rows, r: number): number {
  const o = Math.floor(r / rows.inner);
  return o * rows.width * rows.inner + (r - o * rows.inner);
}

/** The `k`-th of the rows advice reads (k < `rows.read`), by {@link sampleIndex}. */
export function sampledRow(rows: Rows, k: number): number {
  return sampleIndex(k, rows.read, rows.count);
}

/**
 * Whether every row of `width` values of `data` that advice reads ({@link rowsAlong} the last
 * axis) sums, after `map`, to 1 within `tolerance` (a NaN sum passes).
 */
export function rowsSumToOne(
  data: ArrayLike<number>,
  width: number,
  map: (value: number) => number = (value) => value,
  tolerance = 1e-3,
): boolean {
  if (width === 0) return true;
  const rows = rowsAlong([data.length / width, width], 1);
  for (let k = 0; k < rows.read; k++) {
    const start = sampledRow(rows, k) * width;
    let sum = 0;
    for (let i = start; i < start + width; i++) sum += map(data[i]);
    if (!(Math.abs(sum - 1) <= tolerance) && !Number.isNaN(sum)) return false;
  }
  return true;
}

/*
 * The checks of single elements below write findSampled's loop out, without its callback: advice
 * runs once per call, never long enough for V8 to inline a callback into a shared loop, and the
 * call per element cost more than NLLLoss's whole forward (which reads one value per row).
 */

/** The index of the first element that advice reads of `data` below `bound`, or −1. */
export function indexBelow(data: ArrayLike<number>, bound: number): number {
  const n = data.length, m = sampleCount(n), h = (m + 1) >> 1;
  for (let i = 0; i < h; i++) if (data[i] < bound) return i;
  for (let k = h; k < m; k++) {
    const i = h + Math.floor(((k - h) * (n - h)) / (m - h));
    if (data[i] < bound) return i;
  }
  return -1;
}

/** The index of the first element that advice reads of `data` at or below `bound`, or −1. */
export function indexAtOrBelow(data: ArrayLike<number>, bound: number): number {
  const n = data.length, m = sampleCount(n), h = (m + 1) >> 1;
  for (let i = 0; i < h; i++) if (data[i] <= bound) return i;
  for (let k = h; k < m; k++) {
    const i = h + Math.floor(((k - h) * (n - h)) / (m - h));
    if (data[i] <= bound) return i;
  }
  return -1;
}

/** The index of the first element that advice reads of `data` not in [0, 1] (NaN is not), or −1. */
export function indexNotProbability(data: ArrayLike<number>): number {
  const n = data.length, m = sampleCount(n), h = (m + 1) >> 1;
  for (let i = 0; i < h; i++) if (!(data[i] >= 0 && data[i] <= 1)) return i;
  for (let k = h; k < m; k++) {
    const i = h + Math.floor(((k - h) * (n - h)) / (m - h));
    if (!(data[i] >= 0 && data[i] <= 1)) return i;
  }
  return -1;
}

/** The first value of `data` that advice reads above `bound` (NaN never is), or undefined. */
export function firstAbove(data: ArrayLike<number>, bound: number): number | undefined {
  const n = data.length, m = sampleCount(n), h = (m + 1) >> 1;
  for (let i = 0; i < h; i++) if (data[i] > bound) return data[i];
  for (let k = h; k < m; k++) {
    const i = h + Math.floor(((k - h) * (n - h)) / (m - h));
    if (data[i] > bound) return data[i];
  }
  return undefined;
}

/**
 * The first value of `data` that advice reads that is neither `a` nor `b` (NaN is skipped), or
 * undefined.
 */
export function firstNotIn(
  data: ArrayLike<number>,
  [a, b]: readonly [number, number],
): number | undefined {
  const n = data.length, m = sampleCount(n), h = (m + 1) >> 1;
  for (let k = 0; k < m; k++) {
    const v = Number(data[k < h ? k : h + Math.floor(((k - h) * (n - h)) / (m - h))]);
    if (v !== a && v !== b && v === v) return v;
  }
  return undefined;
}

/** The first value of `data` that advice reads outside [0, 1] (NaN is skipped), or undefined. */
export function firstNotInUnitInterval(data: ArrayLike<number>): number | undefined {
  const n = data.length, m = sampleCount(n), h = (m + 1) >> 1;
  for (let i = 0; i < h; i++) if (data[i] < 0 || data[i] > 1) return data[i];
  for (let k = h; k < m; k++) {
    const i = h + Math.floor(((k - h) * (n - h)) / (m - h));
    if (data[i] < 0 || data[i] > 1) return data[i];
  }
  return undefined;
}

/**
 * The advice for a target that should hold ±1 but holds `value`: what `loss` does with it
 * (`effect`), and the fix.
 */
export function notPlusMinusOne(loss: string, value: number, effect: string): Advice {
  return {
    code: "target-not-plus-minus-one",
    field: "inputs.target",
    message: `The target holds ${tex(value)}, but ${loss} expects 1 or −1: ${effect}. ` +
      "Map 0/1 labels to −1/1 with 2y − 1.",
  };
}

/**
 * The `mean` of the class losses with class weights and an ignored index (NLLLoss's): the sum
 * of the per-target `losses` over the sum of the weights of the targets not ignored (their
 * number without weights), said in words when that is 0.
 */
export function weightedMean(
  target: { data: ArrayLike<number> },
  weight: FloatDense | null,
  ignoreIndex: number,
  losses: FloatDense,
  output: number,
): WorkedStep[] {
  let sum = 0;
  let divisor = 0;
  for (let i = 0; i < target.data.length; i++) {
    const t = Number(target.data[i]);
    if (t === ignoreIndex) continue;
    sum += losses.data[i];
    divisor += weight ? weight.data[t] : 1;
  }
  const kept = weight
    ? "the sum of the weights of the targets not ignored"
    : "the number of targets not ignored";
  if (divisor === 0) {
    return [{
      label: target.data.length === 0
        ? `the mean divides by ${kept}, and there are no targets: 0 / 0 is NaN, as in PyTorch`
        : `the mean divides by ${kept}, which is 0 here: 0 / 0 is NaN, as in PyTorch`,
      tex: String.raw`\frac{0}{0} = \text{NaN}`,
      value: output,
    }];
  }
  return [
    { label: "the sum of the losses", tex: `\\sum_n l_n = ${tex(sum)}`, value: sum },
    {
      label: `divided by ${kept}, ${tex(divisor)}`,
      tex: `\\frac{${tex(sum)}}{${tex(divisor)}} = ${tex(output)}`,
      value: output,
    },
  ];
}
