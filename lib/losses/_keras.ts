/**
 * What the losses that follow Keras 3 share (DiceLoss, TverskyLoss, the three hinges,
 * CosineSimilarityLoss): Keras's reduction of the per-sample losses (`reduce_values` in
 * `keras/src/losses/loss.py`, without sample weights), its `axis` argument, the groups of
 * elements that one per-sample loss sums over, and the conversion of {0, 1} labels to ±1.
 *
 * @module
 */
import type {
  Advice,
  AxesOption,
  EnumOption,
  FloatInputs,
  LossDefinition,
  LossSource,
  SweepPlan,
  WorkedStep,
} from "../core/definition.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import { summedLosses, tex } from "../core/tex.ts";
import type { Dense, DType, FloatArray, FloatDense } from "../core/tensor.ts";
import { formatShape, numel, rowMajorStrides, scalar, stridedIndices } from "../core/tensor.ts";
import { allocate, type Reduction, reductionOption, type UpstreamGrad } from "../ops/reduction.ts";
import { checkSameShape } from "./_pointwise.ts";
import { indexNotProbability, sampleCount, sampleIndex } from "./_explain.ts";

/** Keras's `epsilon()` (`keras/src/backend/config.py`): 1e-7, rounded to the dtype. */
export function kerasEpsilon(dtype: DType): number {
  return dtype === "float32" ? Math.fround(1e-7) : 1e-7;
}

/**
 * The `reduction` option of a Keras loss: `none`, `mean` (Keras's `"sum_over_batch_size"`) or
 * `sum`, written as Keras writes them in the source library's code.
 */
export function kerasReductionOption(): EnumOption {
  return {
    ...reductionOption(),
    description: "`none`: the loss of each sample; `mean`: their sum over their number (Keras's " +
      '`"sum_over_batch_size"`); `sum`: their sum. A 0-d or empty `[0]` result is returned as ' +
      "it is, as Keras returns it",
    code: { none: "None", mean: '"sum_over_batch_size"', sum: '"sum"' },
  };
}

/** Whether Keras returns the per-sample losses `v` of `shape` unreduced: Rule K's exceptions. */
export function kerasKeepsAsIs(reduction: Reduction, shape: readonly number[]): boolean {
  return reduction === "none" || shape.length === 0 || (shape.length === 1 && shape[0] === 0);
}

/**
 * Keras's reduction of the per-sample losses `v`: `v` itself for `none`, for a 0-d `v` and for a
 * `v` of shape [0]; otherwise their sum, or their sum over their number for `mean` (0 when there
 * are none: Keras's `divide_no_nan`).
 */
export function kerasReduce(
  reduction: Reduction,
  dtype: DType,
  v: FloatDense,
): FloatDense {
  if (kerasKeepsAsIs(reduction, v.shape)) return v;
  let total = 0;
  for (let i = 0; i < v.data.length; i++) total += v.data[i];
  const n = v.data.length;
  return scalar(dtype, reduction === "sum" ? total : n === 0 ? 0 : total / n);
}

/** The gradient reaching each of the per-sample losses `v` of `shape` from `grad_output`. */
export function kerasUpstream(
  reduction: Reduction,
  shape: readonly number[],
  gradOutput: FloatDense,
): UpstreamGrad {
  if (kerasKeepsAsIs(reduction, shape)) return { perElement: gradOutput.data, each: NaN };
  const g = gradOutput.data[0];
  const n = numel(shape);
  return { perElement: null, each: reduction === "sum" ? g : n === 0 ? 0 : g / n };
}

/** The reduction of the per-sample losses to the output, as Keras does it, in worked steps. */
export function kerasReductionSteps(
  reduction: unknown,
  losses: FloatDense,
  output: number,
): WorkedStep[] {
  if (kerasKeepsAsIs(reduction as Reduction, losses.shape)) return [];
  const { n, sum, sumStep } = summedLosses(reduction, losses, output);
  if (reduction === "sum") return [sumStep];
  if (n === 0) {
    return [{
      label: "the mean of no losses: 0, as Keras divides with divide_no_nan",
      tex: String.raw`\ell = 0`,
      value: output,
    }];
  }
  return [sumStep, {
    label: `divided by their number, ${n} (Keras's sum_over_batch_size)`,
    tex: String.raw`\frac{${tex(sum)}}{${n}} = ${tex(output)}`,
    value: output,
  }];
}

/** What {@link kerasSource} needs to say where a Keras 3 loss comes from. */
export interface KerasCall {
  /** The class: `Hinge`, for `keras.losses.Hinge`. */
  name: string;
  /** The section of Keras's documentation that has it: `hinge_losses`. */
  section: string;
  /** The Python variable the code holds the loss in: `hinge`. */
  variable: string;
  /** The constructor's arguments but `dtype`, by the options' placeholders. */
  args?: string;
  /** Whether the target has a gradient, which the code prints too. */
  targetGrad?: boolean;
  /** Comment lines before the call (without `# `), where Keras versions differ. */
  note?: string[];
  /** The revision of Keras it follows when it is not a release (see {@link LossSource}). */
  revision?: string;
}

/**
 * The source of a Keras 3 loss: the class, its page, and Python that computes the same numbers
 * with Keras on torch (which takes `(y_true, y_pred)`), for the "reproduce it" panel.
 */
export function kerasSource(
  {
    name,
    section,
    variable,
    args = "reduction={reduction}",
    targetGrad = false,
    note = [],
    revision,
  }: KerasCall,
): LossSource {
  const grad = targetGrad ? ", requires_grad=True" : "";
  const all = `${args}, dtype="{dtype}"`;
  const construct = `${variable} = keras.losses.${name}(${all})`;
  return {
    library: "Keras 3",
    call: `keras.losses.${name}`,
    docs: `https://keras.io/api/losses/${section}/#${name.toLowerCase()}-class`,
    ...revision ? { revision } : {},
    code: [
      "import os",
      'os.environ["KERAS_BACKEND"] = "torch"  # gradients by torch autograd',
      "import keras",
      "import torch",
      "",
      "input = torch.tensor({input}, dtype=torch.{dtype}, requires_grad=True)",
      `target = torch.tensor({target}, dtype=torch.{dtype}${grad})`,
      ...note.map((line) => `# ${line}`),
      construct.length <= 100 ? construct : `${variable} = keras.losses.${name}(\n    ${all}\n)`,
      `loss = ${variable}(target, input)  # Keras takes (y_true, y_pred)`,
      "print(loss)",
      "loss.backward(torch.ones_like(loss))",
      targetGrad ? "print(input.grad, target.grad)" : "print(input.grad)",
    ].join("\n"),
  };
}

/** The `axis` option of DiceLoss and TverskyLoss: the axes each loss sums over. */
export function axesOption(): AxesOption {
  return {
    name: "axis",
    type: "axes",
    default: null,
    description: "The axes each loss sums over: `null` sums over every axis (one loss for the " +
      "whole input), an integer or a list of integers one per remaining position, e.g. " +
      "`[1, 2, 3]` for one loss per sample of a (B, H, W, C) batch",
  };
}

/**
 * The axes `axis` names in a tensor of `rank` dimensions, as distinct dimensions in [0, rank),
 * in increasing order; `null` names every axis.
 *
 * @throws LossInputError naming `options.axis` (or its element) when an axis is out of range or
 *   repeats a dimension.
 */
export function normalizeAxes(axis: number | number[] | null, rank: number): number[] {
  if (axis === null) return Array.from({ length: rank }, (_, d) => d);
  const list = Array.isArray(axis) ? axis : [axis];
  const seen = new Set<number>();
  list.forEach((value, i) => {
    const field = Array.isArray(axis) ? `options.axis[${i}]` : "options.axis";
    if (value < -rank || value >= rank) {
      throw new LossInputError(
        field,
        `${field} is ${value}, out of range for an input with ${rank} dimensions: an axis must ` +
          `be in [${-rank}, ${rank})`,
      );
    }
    const dimension = value < 0 ? value + rank : value;
    if (seen.has(dimension)) {
      throw new LossInputError(
        field,
        `${field} is ${value}, dimension ${dimension} again: options.axis repeats a dimension`,
      );
    }
    seen.add(dimension);
  });
  return [...seen].sort((a, b) => a - b);
}

/** The elements of a tensor grouped by the positions left when `axes` are summed over. */
export interface AxisGroups {
  /** The shape of the per-group results: the tensor's shape without `axes`. */
  shape: number[];
  /** The number of groups: the size of `shape` (1 when every axis is summed over). */
  count: number;
  /** The group of each element, row-major. */
  groupOf: Int32Array | Float64Array;
}

/** The groups of the elements of a tensor of `shape` when `axes` are summed over. */
export function axisGroups(shape: readonly number[], axes: readonly number[]): AxisGroups {
  const kept = shape.flatMap((size, d) => axes.includes(d) ? [] : [size]);
  const keptStrides = rowMajorStrides(kept);
  let k = 0;
  const strides = shape.map((_, d) => axes.includes(d) ? 0 : keptStrides[k++]);
  return { shape: kept, count: numel(kept), groupOf: stridedIndices(shape, strides, 0) };
}

/** The flat indices of the elements of group `group`, in row-major order. */
export function groupMembers(groups: AxisGroups, group: number): number[] {
  const members: number[] = [];
  for (let i = 0; i < groups.groupOf.length; i++) if (groups.groupOf[i] === group) members.push(i);
  return members;
}

/**
 * The rows along the last dimension of an input of the hinge losses: `rows` samples of
 * `classes` values each, the per-sample losses of shape `input.shape[:-1]`.
 *
 * @throws LossInputError naming `inputs.target` when the shapes differ, `inputs.input` when it
 *   is 0-d or its last dimension is empty.
 */
export function lastAxisRows(
  input: Dense,
  target: Dense,
): { rows: number; classes: number; shape: number[] } {
  checkSameShape(input, target);
  if (input.shape.length === 0) {
    throw new LossInputError(
      "inputs.input",
      "inputs.input is 0-d, but it must have at least 1 dimension: the last one is reduced " +
        "per sample",
    );
  }
  const classes = input.shape[input.shape.length - 1];
  if (classes === 0) {
    throw new LossInputError(
      "inputs.input",
      `inputs.input has shape ${formatShape(input.shape)}: the last dimension of input must not ` +
        "be empty",
    );
  }
  return { rows: input.data.length / classes, classes, shape: input.shape.slice(0, -1) };
}

/**
 * The targets of HingeLoss and SquaredHingeLoss as Keras's `convert_binary_labels_to_hinge`
 * gives them: 2y − 1 when every element is exactly 0 or 1 (decided over the whole tensor), the
 * values as given otherwise.
 */
export function hingeLabels(
  target: FloatArray,
  dtype: DType,
): { labels: FloatArray; converted: boolean } {
  for (let i = 0; i < target.length; i++) {
    if (target[i] !== 0 && target[i] !== 1) return { labels: target, converted: false };
  }
  const labels = allocate(dtype, target.length);
  for (let i = 0; i < target.length; i++) labels[i] = 2 * target[i] - 1;
  return { labels, converted: true };
}

/** The advice of DiceLoss and TverskyLoss on their classic misuses. */
export function overlapAdvice(
  name: string,
  input: Dense,
  axis: number | number[] | null,
): Advice[] {
  const advice: Advice[] = [];
  if (axis === null && input.shape.length >= 3 && input.shape[0] > 1) {
    const perSample = Array.from({ length: input.shape.length - 1 }, (_, d) => d + 1);
    advice.push({
      code: "one-loss-for-the-batch",
      field: "options.axis",
      message: `axis is null, so ${name} sums over every axis: the ${input.shape[0]} samples ` +
        "of this batch make one overlap, in which large masks drown small ones. For one loss " +
        `per sample, sum over every axis but the first: axis ${JSON.stringify(perSample)}.`,
    });
  }
  const x = input.data;
  const i = indexNotProbability(x);
  if (i >= 0) {
    advice.push({
      code: "logits-as-probabilities",
      field: elementField("inputs.input", input.shape, i),
      message: `The input holds ${x[i]}, outside [0, 1]: ${name} takes probabilities (the ` +
        "output of a sigmoid or a softmax); on raw scores the overlap means nothing and the " +
        "loss can even go below 0.",
    });
  }
  return advice;
}

/** The axes a DiceLoss or TverskyLoss input sums over, and its groups. */
export interface GroupView {
  axes: number[];
  groups: AxisGroups;
}

/** The axes and groups of a DiceLoss or TverskyLoss input, for `axis`. */
export function groupView(input: Dense, axis: number | number[] | null): GroupView {
  const axes = normalizeAxes(axis, input.shape.length);
  return { axes, groups: axisGroups(input.shape, axes) };
}

/** The label of group `group`: `loss [1]`, or `the one loss` when every axis is summed. */
export function groupLabel(groups: Pick<AxisGroups, "shape">, group: number): string {
  const position = elementField("", groups.shape, group);
  return position ? `loss ${position}` : "the one loss (every axis summed)";
}

/**
 * The sweep of one loss of DiceLoss, TverskyLoss or CosineSimilarityLoss: the first element of
 * group `group` varies; the batch holds the group's elements (input and target) once per
 * value, as rows reduced along axis 1 (`batchAxis`, as the loss's `axis` option takes it), so
 * that one forward gives the loss at each value.  A group of no elements has nothing
 * to vary: its loss is a constant, drawn along a value that does not enter it.
 */
export function groupSweep(
  { input, target }: FloatInputs,
  groups: AxisGroups,
  group: number,
  batchAxis: number | number[] = [1],
): SweepPlan {
  const members = groupMembers(groups, group);
  const m = members.length;
  const current = m ? Number(input.data[members[0]]) : 0;
  const rows = (count: number, value: (p: number, k: number) => number): FloatDense => {
    const data = new (input.data.constructor as Float64ArrayConstructor)(count * m);
    for (let p = 0; p < count; p++) for (let k = 0; k < m; k++) data[p * m + k] = value(p, k);
    return { shape: [count, m], data };
  };
  const field = m ? elementField("inputs.input", input.shape, members[0]) : "inputs.input";
  return {
    field,
    label: m
      ? `${field.slice("inputs.".length)}, the first element of ${groupLabel(groups, group)}`
      : "nothing: this loss sums over no elements",
    current,
    from: Math.min(0, current - 0.5),
    to: Math.max(1, current + 0.5),
    batch(values) {
      const at = (p: number, k: number) => k === 0 ? values[p] : Number(input.data[members[k]]);
      return {
        inputs: {
          input: rows(values.length, at),
          target: rows(values.length, (_, k) => Number(target.data[members[k]])),
        },
        options: { axis: batchAxis },
      };
    },
    read(output, grads) {
      const slope = Array.from(output.data, (_, p) => m ? grads.input.data[p * m] : 0);
      return { loss: Array.from(output.data), slope };
    },
  };
}

/** What HingeLoss and SquaredHingeLoss save for their backward. */
export interface HingeSaved {
  x: FloatArray;
  /** The targets as the loss uses them: converted to ±1 from {0, 1}, or as given. */
  labels: FloatArray;
  inputShape: number[];
  /** The shape of the per-sample losses: the input's without its last dimension. */
  shape: number[];
  classes: number;
  reduction: Reduction;
}

/** 1 − y′x, as the dtype computes it (float32 rounds the product and the difference). */
function margin(label: number, x: number, float32: boolean): number {
  return float32 ? Math.fround(1 - Math.fround(label * x)) : 1 - label * x;
}

/**
 * What HingeLoss and SquaredHingeLoss (`name`) share: their inputs, options, sample, worked
 * sample, sweep and advice, and the forward and backward of HingeLoss (`squared` false: the mean over the last axis of
 * max(1 − y′x, 0)) and SquaredHingeLoss (`squared`: of its square), y′ the targets converted
 * by {@link hingeLabels}; the per-sample losses reduced as Keras does.  The gradient of
 * max(u, 0) at u = 0 is ½ (as `torch.maximum` and `jax.numpy.maximum` pass half of it to each
 * side); that of its square is 0 there.
 */
export function hingeFamily(
  name: string,
  squared: boolean,
): Pick<
  LossDefinition<{ reduction: Reduction }, HingeSaved>,
  "inputs" | "options" | "sample" | "explain" | "sweep" | "advise" | "forward" | "backward"
> {
  return {
    inputs: [
      {
        name: "input",
        description: "The scores (raw, not probabilities), one per class of the last axis",
        shape: "(..., C), at least 1-D, C ≥ 1",
        kind: "float",
        differentiable: true,
      },
      {
        name: "target",
        description: "The labels: -1 or 1, or 0 or 1 (converted to ±1 when every label is 0 or 1)",
        shape: "(..., C): the input's shape",
        kind: "float",
        differentiable: false,
      },
    ],
    options: [kerasReductionOption()],
    sample(random) {
      const signs = random.randint(0, 2, [4, 3]).data.map((b) => 2 * b - 1);
      return { input: random.randn([4, 3]), target: { shape: [4, 3], data: signs } };
    },
    explain: {
      element(inputs, _options, row) {
        const { x, labels, converted, classes } = hingeRow(inputs, row);
        const terms = x.map((v, c) => Math.max(1 - labels[c] * v, 0) ** (squared ? 2 : 1));
        const sum = terms.reduce((a, b) => a + b, 0);
        return {
          label: `sample ${row}`,
          steps: [
            { label: "the scores", tex: `x_n = (${x.map(tex).join(",\\ ")})`, value: x[0] },
            {
              label: converted
                ? "the labels, converted from {0, 1} to ±1 (every target is 0 or 1)"
                : "the labels, as given (not every target is 0 or 1, so none is converted)",
              tex: `y'_n = (${labels.map(tex).join(",\\ ")})`,
              value: labels[0],
            },
            {
              label: squared
                ? "the squared hinge of each class"
                : "the hinge of each class: how far 1 − y′x is above 0",
              tex: `\\max(0,\\ 1 - y'_{n,c} x_{n,c})${squared ? "^2" : ""} = (${
                terms.map(tex).join(",\\ ")
              })`,
              value: terms[0],
            },
            {
              label: `their mean over the ${classes} classes: the sample's loss`,
              tex: `l_n = \\frac{${tex(sum)}}{${classes}} = ${tex(sum / classes)}`,
              value: sum / classes,
            },
          ],
        };
      },
      reduction: (_inputs, { reduction }, losses, output) =>
        kerasReductionSteps(reduction, losses, output),
    },
    sweep: (inputs, _options, row) => hingeSweep(inputs, row, 0, hingeRow(inputs, row).labels),
    advise: ({ target }) => hingeTargetAdvice(name, target),
    forward({ input, target }, { reduction }, { dtype }) {
      const { rows, classes, shape } = lastAxisRows(input, target);
      const { labels } = hingeLabels(target.data, dtype);
      const x = input.data;
      const float32 = dtype === "float32";
      const v = allocate(dtype, rows);
      for (let r = 0, i = 0; r < rows; r++) {
        let sum = 0;
        for (let c = 0; c < classes; c++, i++) {
          const h = Math.max(margin(labels[i], x[i], float32), 0);
          sum += squared ? h * h : h;
        }
        v[r] = sum / classes;
      }
      return {
        output: kerasReduce(reduction, dtype, { shape, data: v }),
        saved: { x, labels, inputShape: input.shape, shape, classes, reduction },
      };
    },
    backward({ x, labels, inputShape, shape, classes, reduction }, gradOutput, { dtype }) {
      const { perElement, each } = kerasUpstream(reduction, shape, gradOutput);
      const float32 = dtype === "float32";
      const grad = allocate(dtype, x.length);
      for (let i = 0; i < x.length; i++) {
        const u = margin(labels[i], x[i], float32);
        const slope = squared ? 2 * Math.max(u, 0) : u > 0 ? 1 : u === 0 ? 0.5 : 0;
        const upstream = perElement ? perElement[Math.floor(i / classes)] : each;
        grad[i] = -labels[i] * slope * upstream / classes;
      }
      return { input: { shape: inputShape, data: grad } };
    },
  };
}

/** The per-class margins of one sample of a hinge loss, and the labels it uses. */
export function hingeRow(
  { input, target }: FloatInputs,
  row: number,
): { x: number[]; labels: number[]; converted: boolean; classes: number } {
  const classes = input.shape[input.shape.length - 1];
  const { labels, converted } = hingeLabels(target.data, "float64");
  const at = (data: ArrayLike<number>) =>
    Array.from({ length: classes }, (_, c) => Number(data[row * classes + c]));
  return { x: at(input.data), labels: at(labels), converted, classes };
}

/**
 * The sweep of one sample of a hinge loss: the score of class `c` varies; one row per value of
 * the sample's scores and targets as the loss uses them, plus a last row whose target 0.5 keeps
 * the batch's targets from being converted again.
 */
export function hingeSweep(
  inputs: FloatInputs,
  row: number,
  c: number,
  labels: number[],
): SweepPlan {
  const { input } = inputs;
  const classes = labels.length;
  const flat = row * classes + c;
  const current = Number(input.data[flat]);
  const field = elementField("inputs.input", input.shape, flat);
  const make = () => input.data.constructor as Float64ArrayConstructor;
  return {
    field,
    label: `the score of class ${c} in sample ${row}`,
    current,
    from: Math.min(-3, current - 1),
    to: Math.max(3, current + 1),
    batch(values) {
      const P = values.length;
      const x = new (make())((P + 1) * classes);
      const y = new (make())((P + 1) * classes).fill(0.5);
      for (let p = 0; p < P; p++) {
        for (let k = 0; k < classes; k++) {
          x[p * classes + k] = k === c ? values[p] : Number(input.data[row * classes + k]);
          y[p * classes + k] = labels[k];
        }
      }
      const shape = [P + 1, classes];
      return { inputs: { input: { shape, data: x }, target: { shape, data: y } } };
    },
    read(output, grads) {
      const P = output.data.length - 1;
      return {
        loss: Array.from(output.data.subarray(0, P)),
        slope: Array.from({ length: P }, (_, p) => grads.input.data[p * classes + c]),
      };
    },
  };
}

/** The advice of HingeLoss and SquaredHingeLoss on targets neither {0, 1} nor {−1, 1}. */
export function hingeTargetAdvice(name: string, target: { data: ArrayLike<number> }): Advice[] {
  const y = target.data;
  const n = y.length, m = sampleCount(n);
  let zero = false, minusOne = false, other = false;
  for (let k = 0; k < m; k++) {
    const v = y[sampleIndex(k, m, n)];
    if (v === 0) zero = true;
    else if (v === -1) minusOne = true;
    else if (v !== 1) other = true;
  }
  if (!other && !(zero && minusOne)) return [];
  return [{
    code: "target-not-binary",
    field: "inputs.target",
    message: other
      ? `The target holds values other than −1, 0 and 1: ${name} uses them as given, as ` +
        "margins, which is rarely what is meant; give labels in {0, 1} or {−1, 1}."
      : `The target mixes 0 with −1: it is not converted to ±1 (only a target of 0s and 1s ` +
        "is), so each 0 stays 0 and costs 1 whatever the score. Give labels in {0, 1} or " +
        "{−1, 1}.",
  }];
}
