/**
 * What a loss module declares: metadata that the registry, routes, OpenAPI document and site
 * read, and the forward and backward that compute it.
 *
 * @module
 */
import type { Dense, DType, FloatDense, NumericArray, PlainTensor } from "./tensor.ts";
import type { Random } from "./random.ts";

/**
 * What losses are for, in the order the site shows them: each loss names one, and the site
 * groups losses by it under its title and blurb.
 */
export const CATEGORIES = {
  regression: {
    title: "Regression",
    blurb: "Predict real numbers; the loss grows with the distance to the target.",
  },
  binary: {
    title: "Binary classification",
    blurb: "One probability or logit per element, against a 0/1 (or ±1) label.",
  },
  multiclass: {
    title: "Multi-class classification",
    blurb: "One score per class; exactly one class is right.",
  },
  multilabel: {
    title: "Multi-label classification",
    blurb: "One score per class; any number of classes are right.",
  },
  ranking: {
    title: "Ranking and embeddings",
    blurb: "Learn which of two inputs ranks higher, or which embeddings belong together.",
  },
  probabilistic: {
    title: "Probabilistic",
    blurb: "Negative log-likelihoods of distributions, and distances between distributions.",
  },
  sequence: {
    title: "Sequences",
    blurb: "Align an unsegmented output sequence with a shorter target sequence.",
  },
} as const satisfies Record<string, { title: string; blurb: string }>;

/** What a loss is for: a key of {@link CATEGORIES}. */
export type Category = keyof typeof CATEGORIES;

/** One argument of the loss's `forward`, by PyTorch's name. */
export interface InputSpec {
  /** PyTorch's name of the argument (`input`, `target`, `log_probs`). */
  name: string;
  /** What it holds, in a sentence. */
  description: string;
  /** Its accepted shapes, in PyTorch's notation: `(N, C)`, `(C)`, `(*)`. */
  shape: string;
  /**
   * `float`: a real tensor, converted to the loss's dtype; `index`: integers (class indices,
   * lengths); `float-or-index`: either, as CrossEntropyLoss's target: an integer typed array is
   * indices, and so is a floating one unless it has the first input's shape
   * ({@link holdsIndices}).
   */
  kind: "float" | "index" | "float-or-index";
  /** Whether the loss has a gradient with respect to it. */
  differentiable: boolean;
}

/** What every option declares, whatever its type. */
export interface OptionBase {
  /** PyTorch's keyword name. */
  name: string;
  /** What it does, in a sentence; `code` in backticks and TeX between `$` signs. */
  description: string;
  /**
   * How formulas write it, in TeX: a Greek letter where PyTorch's documentation uses one
   * (`\delta`, `\beta`, `\varepsilon`), `\text{margin}` otherwise.  Absent for options that
   * formulas do not show.
   */
  symbol?: string;
  /** Deprecated in PyTorch, kept for completeness (`size_average`, `reduce`). */
  deprecated?: boolean;
}

/** A real-valued option with optional bounds. */
export interface NumberOption extends OptionBase {
  /** A real number. */
  type: "number";
  /** PyTorch's default. */
  default: number;
  /** The least value accepted. */
  minimum?: number;
  /** A bound the value must exceed. */
  exclusiveMinimum?: number;
  /** The greatest value accepted. */
  maximum?: number;
  /** A bound the value must stay below (QuantileLoss's `quantile` < 1). */
  exclusiveMaximum?: number;
  /** When set, the only values accepted (MultiMarginLoss's `p`). */
  oneOf?: number[];
  /**
   * Values accepted outside the bounds: SigmoidFocalLoss's `alpha` is in [0, 1] or exactly −1
   * (no weighting).
   */
  orOneOf?: number[];
  /** Whether infinities are refused (as the losses beyond `torch.nn` refuse them). */
  finite?: boolean;
}

/** An integer option (class indices such as `ignore_index`, `blank`). */
export interface IntegerOption extends OptionBase {
  /** An integer. */
  type: "integer";
  /** PyTorch's default. */
  default: number;
  /** The least value accepted. */
  minimum?: number;
}

/** A boolean option; a `null` default means "not given" (`size_average`, `reduce`). */
export interface BooleanOption extends OptionBase {
  /** `true` or `false`. */
  type: "boolean";
  /** PyTorch's default; `null` when not given. */
  default: boolean | null;
}

/** A string option from a fixed set (`reduction`). */
export interface EnumOption extends OptionBase {
  /** One string of {@link EnumOption.enum}. */
  type: "string";
  /** The strings accepted. */
  enum: string[];
  /** PyTorch's default. */
  default: string;
  /**
   * How code (PyTorch's, or the source library's for a loss beyond `torch.nn`) writes each
   * value, where it is not the quoted string itself: the function a `distance_function` name
   * stands for, Keras's name of a reduction.
   */
  code?: Record<string, string>;
}

/**
 * The axes a loss reduces over, as Keras takes them: `null` (every axis), one integer, or a
 * non-empty list of distinct integers, each in [−ndim, ndim) (negative ones count from the end).
 * The values are checked against the input's rank by the loss.
 */
export interface AxesOption extends OptionBase {
  /** Axes: `null`, an integer or a list of integers. */
  type: "axes";
  /** `null`: every axis. */
  default: null;
}

/** A tensor option, absent by default (`weight`, `pos_weight`). */
export interface TensorOption extends OptionBase {
  /** A tensor, in the loss's dtype. */
  type: "tensor";
  /** Absent unless given. */
  default: null;
  /** Its accepted shapes, in PyTorch's notation. */
  shape: string;
}

/** One constructor option of the loss, by PyTorch's keyword name. */
export type OptionSpec =
  | NumberOption
  | IntegerOption
  | BooleanOption
  | EnumOption
  | AxesOption
  | TensorOption;

/**
 * Options after validation: numbers, booleans, strings, lists of axes and tensors in the loss's
 * dtype.
 */
export type OptionValues = Record<
  string,
  number | boolean | string | number[] | FloatDense | null
>;

/** What forward and backward know besides their tensors. */
export interface Context {
  /** The dtype the loss computes in; outputs and gradients have it. */
  dtype: DType;
  /**
   * Whether `backward` will follow this `forward`.  As autograd saves tensors only for a
   * backward pass, forward may save what only the backward needs (softmax, exp(−|x|)) when it
   * is set, and skip that work when it is not.
   */
  grad: boolean;
  /** Records one of PyTorch's warnings, returned to the caller with the result. */
  warn(message: string): void;
}

/** The result of a forward pass: the output and what the backward pass needs. */
export interface Forward<Saved> {
  /** The loss: a scalar, or one value per element with `reduction: "none"`. */
  output: FloatDense;
  /** What the backward pass needs, kept from the forward pass. */
  saved: Saved;
}

/** Where a loss is defined: PyTorch's `torch.nn`, or the library a loss beyond it follows. */
export interface LossSource {
  /** The library: `PyTorch`, `torchvision`, `optax`, `torchmetrics`, `Keras 3`. */
  library: string;
  /** The loss as that library calls it: `torch.nn.HuberLoss`, `torchvision.ops.sigmoid_focal_loss`. */
  call: string;
  /** Its page in the library's documentation. */
  docs: string;
  /** The library's revision, when it is not a release: `main, keras-team/keras#23333`. */
  revision?: string;
  /**
   * Python code that computes the same numbers with that library, for the site's "reproduce
   * it" panel: `{input}` (any input's name) is replaced by the tensor as a nested list, `{alpha}`
   * (any option's name) by the option's value as Python writes it (through the option's `code`
   * where it has one), `{dtype}` by `float32` or `float64`.  The code prints the loss and the
   * gradients the API returns.
   */
  code?: string;
}

/**
 * What a loss page teaches, written in the loss's module.  Text may hold `code` in backticks and
 * TeX between `$` signs, in the page's notation (`site/pages/notation.ts`).
 */
export interface Teaching {
  /** What the loss measures, in two to four sentences. */
  measures: string;
  /** When to choose it over its neighbours. */
  choose: string;
  /** The classic mistake made with it, and how to avoid it. */
  mistake: string;
  /**
   * Related losses and pages, each with why: `to` is a loss's class name, or a path of the site
   * (`/notebook#two-classes`, `/lessons/outliers`).
   */
  related: { to: string; why: string }[];
}

/**
 * A formula for some option values: the first case whose `when` matches the options in force
 * replaces the loss's default formula.  Each condition is a value the option must have, or
 * `{ not: value }`; `null` stands for a tensor option that is not given.
 */
export interface FormulaCase {
  /** The options' conditions, by option name, all of which must hold. */
  when: Record<string, OptionCondition>;
  /** The formula, in TeX. */
  tex: string;
}

/** A value an option must have (or, with `not`, must not have) for a {@link FormulaCase}. */
export type OptionCondition =
  | boolean
  | number
  | string
  | null
  | { not: boolean | number | string | null };

/**
 * The formula of `loss` for the options in force: the first of its `formulas` whose conditions
 * all hold, or its default `formula`.  Tensor options count as `null` when not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formulaFor } from "./definition.ts";
 * const loss = { formula: "a", formulas: [{ when: { full: true }, tex: "b" }] };
 * assert.equal(formulaFor(loss, { full: true }), "b");
 * assert.equal(formulaFor(loss, {}), "a");
 * ```
 */
export function formulaFor(
  loss: { formula: string; formulas?: FormulaCase[] },
  options: Record<string, unknown>,
): string {
  const plain = (value: unknown) =>
    value === undefined || value === null ? null : typeof value === "object" ? "tensor" : value;
  const holds = (condition: OptionCondition, value: unknown): boolean =>
    typeof condition === "object" && condition !== null
      ? plain(value) !== condition.not
      : plain(value) === condition;
  for (const { when, tex } of loss.formulas ?? []) {
    if (Object.entries(when).every(([name, condition]) => holds(condition, options[name]))) {
      return tex;
    }
  }
  return loss.formula;
}

/** One step of an element's computation, with its value: what the site's worked panel shows. */
export interface WorkedStep {
  /** What the step does, in words: `subtract the row's maximum`. */
  label: string;
  /** The step in TeX with the numbers in it: `x_1 - \max_c x_c = 0.31 - 1.2 = -0.89`. */
  tex: string;
  /** The step's value (NaN and ±∞ where the computation gives them). */
  value: number;
}

/** One element worked through: which one, and the steps that give its loss. */
export interface WorkedElement {
  /** The element in words: `sample 2 (target class 1)`, `element [1, 3]`. */
  label: string;
  /** The steps, the last of which is the element's loss. */
  steps: WorkedStep[];
}

/**
 * How a loss explains its numbers: one element (or sample) at a time, and the reduction of the
 * per-element losses to the output.  `element` indexes the loss's per-element output (its
 * `reduction: "none"` output, row-major) unless `count` says otherwise.
 */
export interface Explainer<Options, Inputs> {
  /** How many elements can be worked through; the size of the per-element output by default. */
  count?(inputs: Inputs, options: Options): number;
  /** The computation of element `element` (in float64, from the inputs in the loss's dtype). */
  element(inputs: Inputs, options: Options, element: number): WorkedElement;
  /**
   * The reduction of the per-element `losses` to `output`, naming its divisor; by default the
   * sum, and for `mean` the sum over their number (in words when there are none).
   */
  reduction?(inputs: Inputs, options: Options, losses: FloatDense, output: number): WorkedStep[];
}

/**
 * A sweep of the loss against one input value: for a picked element, which entry of which input
 * varies, over what range, and how one batched forward computes the loss (and the derivative
 * along the sweep) at many values of it.
 */
export interface SweepPlan {
  /** The entry that varies, as a field: `inputs.input[2][1]`. */
  field: string;
  /** What the x axis is, in words: `the logit of class 1 in sample 2`. */
  label: string;
  /** Its current value. */
  current: number;
  /** Where the sweep starts. */
  from: number;
  /** Where the sweep ends. */
  to: number;
  /**
   * Inputs (in the loss's dtype, index inputs as integers) whose per-element output (`reduction:
   * "none"`, which the caller sets) holds the loss at each of `values`, in order, and any other
   * options the batch needs.  A loss without `reduction: "none"` (whose output is one number:
   * MeanAbsolutePercentageError, NTXentLoss) cannot batch its values: the caller then computes
   * `batch([value])` for each value on its own.
   */
  batch(values: number[]): { inputs: LossInputs; options?: OptionValues };
  /**
   * The loss at each value, and its derivative along the sweep, from the batch's per-element
   * output and the gradients of the sum of that output.  For a loss without `reduction: "none"`,
   * the outputs of the values' own batches are stacked (shape [P]), and so are the gradients
   * (shape [P, ...the input's shape]).
   */
  read(output: FloatDense, grads: Record<string, FloatDense>): { loss: number[]; slope: number[] };
}

/** A hint that a request looks like a classic misuse: it never changes the numbers. */
export interface Advice {
  /** A stable code: `probabilities-as-logits`. */
  code: string;
  /** The field it is about: `inputs.input`. */
  field: string;
  /** What looks wrong and what to do instead, in a sentence or two. */
  message: string;
}

/** The work of computing a loss, in inner-loop steps, and what drives it. */
export interface WorkEstimate {
  /** Inner-loop steps of the forward pass. */
  work: number;
  /** The input whose size drives the work (`inputs.log_probs`), for messages. */
  field: string;
  /** How the work was counted (`T x (2S + 1) x N = 50 x 21 x 4`), for messages. */
  formula: string;
}

/** A tensor's shape and values, as {@link LossDefinition.work} reads them (any ndarray fits). */
export interface ShapedValues {
  /** The tensor's shape. */
  shape: number[];
  /** Its values, in row-major order. */
  data: ArrayLike<number>;
}

/** The inputs a loss receives: float inputs in its dtype, index inputs as given. */
export type LossInputs = Record<string, Dense<NumericArray>>;

/** The inputs of a loss whose inputs are all floating point. */
export type FloatInputs = Record<string, FloatDense>;

/**
 * The most elements of a tensor that one check of {@link LossDefinition.advise} reads: advice is
 * a hint, run on every call, and must cost next to nothing beside the loss at any size.
 */
export const ADVICE_SAMPLE = 4096;

/**
 * A loss, defined once: everything else (routes, catalog, OpenAPI, site, tests) is derived.
 *
 * `forward` receives inputs converted to the dtype (index inputs untouched) and validated
 * options; `backward` receives what forward saved and the gradient of the output
 * (`grad_output`, of the output's shape) and returns the gradient of
 * `sum(output * grad_output)` with respect to every differentiable input.
 */
export interface LossDefinition<
  Options = OptionValues,
  Saved = unknown,
  Inputs extends LossInputs = FloatInputs,
> {
  /** PyTorch's class name: `CrossEntropyLoss`. */
  name: string;
  /** The `torch.nn.functional` name: `cross_entropy`. */
  functional: string;
  /** The URL slug: `cross-entropy`. */
  slug: string;
  /** What it is for: the group the site shows it in. */
  category: Category;
  /**
   * Where it is defined, for losses beyond `torch.nn` (the library they follow); the losses of
   * `torch.nn` are PyTorch's ({@link sourceOf}).
   */
  source?: LossSource;
  /** One line: what it computes. */
  summary: string;
  /** The formula in TeX for the default options, in the site's notation. */
  formula: string;
  /** The formula for other option values, where they change it (see {@link formulaFor}). */
  formulas?: FormulaCase[];
  /** What its page teaches. */
  teaching?: Teaching;
  /** The words people search for it by: `classification`, `robust`, `outlier`, `ranking`. */
  keywords?: string[];
  /** The output's shape for each reduction, in PyTorch's notation. */
  outputShape: string;
  /** The arguments of its `forward`, in PyTorch's order. */
  inputs: InputSpec[];
  /** Its constructor options, by PyTorch's keyword names (the deprecated ones aside). */
  options: OptionSpec[];
  /**
   * What `reduction: "mean"` divides the sum of the per-element losses by, when it is not their
   * number (in words, for the site's "by hand" panel).
   */
  meanDivisor?: string;
  /**
   * For losses whose work grows faster than their inputs (CTC's recursions, MultiLabelMargin's
   * pairs of classes): the work of the forward pass, estimated from the inputs' shapes (and the
   * values of small index inputs) before anything is computed, so that a server can refuse a
   * request that would cost too much.  Other losses take a few steps per element of their
   * inputs' broadcast.  Returns undefined when the inputs are too malformed to estimate.
   */
  work?(inputs: Record<string, ShapedValues | undefined>): WorkEstimate | undefined;
  /** Whether the deprecated `size_average` and `reduce` options exist for this loss. */
  legacyReduction?: boolean;
  /**
   * Valid random inputs, drawn as the notebook draws them (`randn`, `rand`, `randint`): the
   * examples of the API and the site, and the inputs of the property tests.  Inputs stay away
   * from the loss's kinks only by chance; their values are in its domain (probabilities in
   * (0, 1), class indices in range, positive variances).
   */
  sample(random: Random): Record<string, PlainTensor>;
  /** One element's computation step by step, and the reduction: the site's worked numbers. */
  explain?: Explainer<Options, Inputs>;
  /**
   * The sweep of the loss for a picked element (indexed as {@link Explainer}'s): which input
   * entry varies and the batch that computes the loss along it in one forward pass.
   */
  sweep?(inputs: Inputs, options: Options, element: number): SweepPlan;
  /**
   * Hints about classic misuses these inputs show (probabilities given as logits, a target that
   * is not ±1...): returned beside PyTorch's warnings; they never change the numbers.
   *
   * `computeLoss` runs it on every call, so its cost must not grow with the inputs.  What advice
   * looks at, for every loss: each check reads at most {@link ADVICE_SAMPLE} elements of a
   * tensor.  A check of single elements reads them all when the tensor has at most that many,
   * else the first half of the budget (indices 0 to 2047) and the second half spread evenly over
   * the rest: with h = 2048, m = 4096 and n elements, element h + ⌊(k − h)(n − h) / (m − h)⌋ for
   * k = h … m − 1 (`sampleIndex` in `lib/losses/_explain.ts`).  A check of whole rows (a row of
   * classes, a vector along an axis, a frame of CTC) reads as many rows as fit whole in the
   * budget, ⌊4096 / width⌋, chosen the same way among the rows, and none when one row is wider;
   * CTC's targets are read by whole sequences, from the first, while they fit.  So advice is
   * exact up to 4096 elements, and beyond that a hint about what it read: the messages that
   * state something of every element say how many were read.
   */
  advise?(inputs: Inputs, options: Options): Advice[];
  /** The loss of `inputs` with `options`, and what {@link LossDefinition.backward} needs. */
  forward(inputs: Inputs, options: Options, context: Context): Forward<Saved>;
  /**
   * The gradient of `sum(output * gradOutput)` with respect to each differentiable input, from
   * what the forward pass saved.
   */
  backward(saved: Saved, gradOutput: FloatDense, context: Context): Record<string, FloatDense>;
}

/**
 * Whether a `float-or-index` input of `shape` holds class indices rather than probabilities: it
 * does unless it has the shape of the loss's first input (CrossEntropyLoss's target of class
 * probabilities has the input's shape).  The values of a floating one must then be integers.
 */
export function holdsIndices(
  shape: readonly number[],
  firstInputShape: readonly number[],
): boolean {
  return shape.length !== firstInputShape.length ||
    shape.some((size, i) => size !== firstInputShape[i]);
}

/**
 * Where `loss` is defined: its own `source`, or, for a loss of `torch.nn`, PyTorch's class and
 * its page in PyTorch's documentation.
 */
export function sourceOf(loss: { name: string; source?: LossSource }): LossSource {
  return loss.source ?? {
    library: "PyTorch",
    call: `torch.nn.${loss.name}`,
    docs: `https://docs.pytorch.org/docs/stable/generated/torch.nn.${loss.name}.html`,
  };
}

/** A loss of any options, saved state and inputs: what the registry holds. */
// deno-lint-ignore no-explicit-any
export type AnyLoss = LossDefinition<any, any, any>;

/**
 * Declares a loss; the identity function, there for type inference of `Options`, `Saved` and
 * `Inputs` (float inputs arrive in the dtype; an index input is typed `Dense` by its loss).
 */
export function defineLoss<Options, Saved, Inputs extends LossInputs = FloatInputs>(
  definition: LossDefinition<Options, Saved, Inputs>,
): LossDefinition<Options, Saved, Inputs> {
  return definition;
}
