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
  /** What it does, in a sentence. */
  description: string;
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
  /** When set, the only values accepted (MultiMarginLoss's `p`). */
  oneOf?: number[];
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
   * How PyTorch code writes each value, where it is not the string itself (the function a
   * `distance_function` name stands for).
   */
  pytorch?: Record<string, string>;
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
  | TensorOption;

/** Options after validation: numbers, booleans, strings and tensors in the loss's dtype. */
export type OptionValues = Record<string, number | boolean | string | FloatDense | null>;

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

/**
 * How the site draws a loss against one input: the input swept along the x axis and the values
 * the other inputs are held at (one line each).  Losses that declare the same `Curve` object
 * are drawn on one chart.
 */
export interface Curve {
  /** The input on the x axis, the range it sweeps, and the axis label. */
  x: { input: string; from: number; to: number; label: string };
  /** One line per entry: the other inputs' values, each filled to the sweep's length. */
  lines: { label: string; values: Record<string, number> }[];
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
  /** One line: what it computes. */
  summary: string;
  /** The formula in LaTeX, as PyTorch's docstring gives it. */
  formula: string;
  /** The output's shape for each reduction, in PyTorch's notation. */
  outputShape: string;
  /** The arguments of its `forward`, in PyTorch's order. */
  inputs: InputSpec[];
  /** Its constructor options, by PyTorch's keyword names (the deprecated ones aside). */
  options: OptionSpec[];
  /** For pointwise and binary losses: how the site charts the loss against the prediction. */
  curve?: Curve;
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
