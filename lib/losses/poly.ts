/**
 * `optax.losses.poly_loss_cross_entropy` (Poly-1, Leng et al., 2022): the cross entropy plus
 * ε times one minus the probability of the right class, the first term of the cross entropy's
 * Taylor series in (1 − p_t), re-weighted.
 *
 * As optax computes it (`optax/losses/_classification.py`, `axis=-1`): with y the one-hot of a
 * class-index target or the given probabilities, p = softmax(x) along the **last** axis
 * (unlike `CrossEntropyLoss`, which uses dim 1), l = −Σ_c y_c log p_c + ε Σ_c y_c (1 − p_c).
 * log-softmax is computed stably (the maximum subtracted first).  Probabilities are used as
 * given (not checked to be non-negative or to sum to 1).  optax returns the per-row losses;
 * `reduction` reduces them as the `torch.nn` losses do.  A class index out of range is an error
 * (optax's `one_hot` would give an all-zero row and a loss of 0).
 *
 * Which kind of target: integers of the input's shape without its last dimension are class
 * indices; floats of the input's shape are probabilities; floats of the class indices' shape
 * are an error (class indices must be an integer tensor).
 *
 * Gradient, per row: ∂l/∂x_j = (Σ_c y_c) p_j − y_j − ε p_j (y_j − Σ_c y_c p_c); no gradient
 * with respect to the target.  When a backward follows (`context.grad`), the forward saves the
 * softmax.
 *
 * @module
 */
import { type Advice, defineLoss, type LossInputs, type SweepPlan } from "../core/definition.ts";
import { elementField, LossInputError } from "../core/errors.ts";
import { tex, texTerm } from "../core/tex.ts";
import { filled } from "../ops/element.ts";
import { logSumExp } from "../ops/log_softmax.ts";
import { allocate, reducedOutput, type Reduction, reductionOption } from "../ops/reduction.ts";
import type { Dense, FloatArray, FloatDense, NumericArray } from "../core/tensor.ts";
import { formatShape, sameShape } from "../core/tensor.ts";
import { isFloatArray } from "./_classes.ts";
import { readNote, rowEntrySweep, rowsAlong, rowsLike, sampledRow } from "./_explain.ts";

/** Options of {@link polyLoss}. */
export interface PolyOptions {
  epsilon: number;
  reduction: Reduction;
}

interface PolyInputs extends LossInputs {
  input: FloatDense;
  target: Dense;
}

interface PolySaved {
  inputShape: number[];
  rows: number;
  classes: number;
  target: NumericArray;
  probabilities: boolean;
  epsilon: number;
  reduction: Reduction;
  /** softmax(x) along the last axis, saved for a backward. */
  softmax: FloatArray | null;
}

/** The rows and classes of an input of shape (..., C), checked. */
function rowsOf(input: Dense): { rows: number; classes: number; shape: number[] } {
  if (input.shape.length === 0) {
    throw new LossInputError(
      "inputs.input",
      "inputs.input is 0-d, but it must have at least 1 dimension: the class axis, last",
    );
  }
  const classes = input.shape[input.shape.length - 1];
  if (classes === 0) {
    throw new LossInputError(
      "inputs.input",
      `inputs.input has shape ${formatShape(input.shape)}: it must have at least one class ` +
        "(its last dimension)",
    );
  }
  return { rows: input.data.length / classes, classes, shape: input.shape.slice(0, -1) };
}

/** Whether the target holds probabilities (else class indices), checking it against the input. */
function checkTarget(input: Dense, target: Dense, classes: number): boolean {
  const rowShape = input.shape.slice(0, -1);
  if (isFloatArray(target.data)) {
    if (sameShape(target.shape, input.shape)) return true;
    if (sameShape(target.shape, rowShape)) {
      throw new LossInputError(
        "inputs.target.dtype",
        `inputs.target.dtype is floating point, but a target of shape ` +
          `${formatShape(target.shape)} holds class indices and must be an integer tensor (a ` +
          `target of probabilities has the input's shape ${formatShape(input.shape)})`,
      );
    }
    throw new LossInputError(
      "inputs.target",
      `inputs.target has shape ${formatShape(target.shape)}, but it must equal the input's ` +
        `shape ${formatShape(input.shape)} (probabilities) or ${formatShape(rowShape)} (class ` +
        "indices)",
    );
  }
  if (!sameShape(target.shape, rowShape)) {
    throw new LossInputError(
      "inputs.target",
      `inputs.target has shape ${formatShape(target.shape)}, but a class-index target must ` +
        `have the input's shape without its last (class) dimension, ${formatShape(rowShape)}`,
    );
  }
  for (let i = 0; i < target.data.length; i++) {
    const t = target.data[i];
    if (!(t >= 0 && t < classes)) {
      const field = elementField("inputs.target", target.shape, i);
      throw new LossInputError(
        field,
        `${field} is ${t}, out of bounds: the input has ${classes} classes (0 to ${classes - 1})`,
      );
    }
  }
  return false;
}

/** The C scores of row `row`. */
function rowOf(x: ArrayLike<number>, classes: number, row: number): number[] {
  return Array.from({ length: classes }, (_, c) => Number(x[row * classes + c]));
}

/**
 * The Poly-1 loss, as `optax.losses.poly_loss_cross_entropy` with a reduction.
 *
 * @example Uniform logits over 4 classes: log 4 plus ε (1 − 1/4)
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, indexNdArrayOf, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0, 0, 0, 0], [1, 4]);
 * const target = indexNdArrayOf([2], [1]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("PolyLoss", { input, target }, { epsilon: 2 }, settings);
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(), Math.log(4) + 1.5));
 * // p − one-hot − ε p (one-hot − p_t): ε = 2, p = 1/4
 * const expected = [0.375, 0.375, -1.125, 0.375];
 * assert.ok(expected.every((g, c) => near(grads.input.get(0, c), g)));
 * ```
 */
export const polyLoss = defineLoss<PolyOptions, PolySaved, PolyInputs>({
  name: "PolyLoss",
  functional: "poly_loss_cross_entropy",
  slug: "poly",
  category: "multiclass",
  source: {
    library: "optax",
    call: "optax.losses.poly_loss_cross_entropy",
    docs: "https://optax.readthedocs.io/en/latest/api/losses.html" +
      "#optax.losses.poly_loss_cross_entropy",
    code: `import jax
jax.config.update("jax_enable_x64", True)  # for float64
import jax.numpy as jnp
import optax

input = jnp.array({input}, dtype=jnp.{dtype})
target = jnp.array({target})
reduction = {reduction}
# optax takes one-hot or probability labels of the logits' shape, classes on the last axis.
if target.ndim < input.ndim:
    labels = jax.nn.one_hot(target, input.shape[-1], dtype=input.dtype)
else:
    labels = target.astype(input.dtype)

def loss(x):
    losses = optax.losses.poly_loss_cross_entropy(x, labels, epsilon={epsilon})
    return losses if reduction == "none" else jnp.mean(losses) if reduction == "mean" else jnp.sum(losses)

print(loss(input))
print(jax.grad(lambda x: jnp.sum(loss(x)))(input))`,
  },
  summary: "Cross entropy plus epsilon times one minus the probability of the right class (Poly-1)",
  formula: String.raw`l_n = \begin{cases}
-\log p_{n,y_n} + \varepsilon\,(1 - p_{n,y_n}) & y_n \text{ a class index} \\
-\sum_{c=1}^{C} y_{n,c} \log p_{n,c} + \varepsilon \sum_{c=1}^{C} y_{n,c}(1 - p_{n,c})
& y_n \text{ probabilities}
\end{cases},\quad p_n = \operatorname{softmax}(x_n)`,
  teaching: {
    measures: "The cross entropy of the softmax of the scores, plus $\\varepsilon$ times " +
      "$1 - p_t$, the probability the model does not give the right class. The cross " +
      "entropy is $\\sum_j (1 - p_t)^j / j$; Poly-1 raises the weight of its first term from " +
      "1 to $1 + \\varepsilon$, which keeps a gradient on examples that are already right.",
    choose: "As a drop-in for `CrossEntropyLoss` when a little more push on confident " +
      "examples helps (the paper's ImageNet results use $\\varepsilon = 2$, optax's default); " +
      "a negative $\\varepsilon$ (down to −1) pushes less, like the focal loss. Tune " +
      "$\\varepsilon$ like any hyper-parameter: 0 is the plain cross entropy.",
    mistake: "Classes on the wrong axis: optax puts them last, (..., C), where " +
      "`CrossEntropyLoss` takes (N, C, d1, ...); a (N, C, H, W) segmentation output must be " +
      "moved to (N, H, W, C) first. And, as with the cross entropy, pass logits, not " +
      "probabilities.",
    related: [
      { to: "CrossEntropyLoss", why: "what it is for epsilon = 0 (with classes on dim 1)" },
      {
        to: "SigmoidFocalLoss",
        why: "the other reshaping of the cross entropy, for binary labels",
      },
      { to: "CategoricalHingeLoss", why: "a margin loss over the same one-hot targets" },
    ],
  },
  keywords: [
    "classification",
    "multiclass",
    "softmax",
    "cross entropy",
    "poly loss",
    "Poly-1",
    "logits",
    "optax",
  ],
  outputShape: "scalar; (...), the input's shape without its last dimension, for reduction none",
  inputs: [
    {
      name: "input",
      description: "Unnormalized scores (logits), the classes on the last axis",
      shape: "(..., C), at least 1-D",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "Class indices in [0, C) (an integer tensor), or class probabilities of the " +
        "input's shape",
      shape: "indices (...), the input's shape without C; probabilities (..., C)",
      kind: "float-or-index",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "epsilon",
      type: "number",
      default: 2,
      finite: true,
      symbol: "\\varepsilon",
      description: "The weight of 1 − p_t added to the cross entropy (2 in optax and the " +
        "paper's ImageNet setting; 0 gives the cross entropy; may be negative)",
    },
    reductionOption(),
  ],
  sample: (random) => ({ input: random.randn([6, 4]), target: random.randint(0, 4, [6]) }),
  explain: {
    count: ({ input }) => input.shape.length === 0 ? 0 : rowsOf(input).rows,
    element({ input, target }, { epsilon }, row) {
      const { classes } = rowsOf(input);
      const x = rowOf(input.data, classes, row);
      const probabilities = isFloatArray(target.data) && sameShape(target.shape, input.shape);
      const max = Math.max(...x);
      const logSum = max + Math.log(x.reduce((sum, v) => sum + Math.exp(v - max), 0));
      const p = x.map((v) => Math.exp(v - logSum));
      const rowShape = input.shape.slice(0, -1);
      const label = rowShape.length === 0
        ? "the sample"
        : `sample ${rowShape.length === 1 ? row : elementField("", rowShape, row)}`;
      const steps = [
        {
          label: "the logits of the sample",
          tex: `x_n = (${x.map(tex).join(",\\ ")})`,
          value: x[0],
        },
        {
          label: "their log-sum-exp, computed with the maximum subtracted first",
          tex: `\\log \\sum_c e^{x_{n,c}} = ${tex(logSum)}`,
          value: logSum,
        },
        {
          label: "the softmax: the predicted probabilities",
          tex: `p_n = (${p.map(tex).join(",\\ ")})`,
          value: p[0],
        },
      ];
      if (!probabilities) {
        const t = Number(target.data[row]);
        const ce = logSum - x[t];
        const loss = ce + epsilon * (1 - p[t]);
        return {
          label: `${label}, target class ${t}`,
          steps: [...steps, {
            label: `the cross entropy: minus the log-probability of class ${t}`,
            tex: `-\\log p_{n,${t}} = ${tex(logSum)} - ${texTerm(x[t])} = ${tex(ce)}`,
            value: ce,
          }, {
            label: "plus ε times the probability of not giving class " + t + ": the sample's loss",
            tex: `l_n = ${tex(ce)} + ${texTerm(epsilon)} \\cdot (1 - ${tex(p[t])}) = ${tex(loss)}`,
            value: loss,
          }],
        };
      }
      const y = rowOf(target.data, classes, row);
      const ce = -y.reduce((sum, yc, c) => sum + yc * (x[c] - logSum), 0);
      const miss = y.reduce((sum, yc, c) => sum + yc * (1 - p[c]), 0);
      const loss = ce + epsilon * miss;
      return {
        label,
        steps: [...steps, {
          label: "the cross entropy with the target probabilities",
          tex: `-\\sum_c y_{n,c} \\log p_{n,c} = ${tex(ce)}`,
          value: ce,
        }, {
          label: "the target-weighted probability of a miss",
          tex: `\\sum_c y_{n,c} (1 - p_{n,c}) = ${tex(miss)}`,
          value: miss,
        }, {
          label: "the cross entropy plus ε times it: the sample's loss",
          tex: `l_n = ${tex(ce)} + ${texTerm(epsilon)} \\cdot ${texTerm(miss)} = ${tex(loss)}`,
          value: loss,
        }],
      };
    },
  },
  sweep({ input, target }, _options, row): SweepPlan {
    const { classes } = rowsOf(input);
    const x = rowOf(input.data, classes, row);
    const probabilities = isFloatArray(target.data) && sameShape(target.shape, input.shape);
    const targetRow = probabilities ? rowOf(target.data, classes, row) : [];
    const t = probabilities ? targetRow.indexOf(Math.max(...targetRow)) : Number(target.data[row]);
    const current = x[t];
    const span = Math.max(6, Math.abs(current) + 2);
    return rowEntrySweep(
      {
        field: elementField("inputs.input", input.shape, row * classes + t),
        label: `the logit of class ${t}` +
          (probabilities ? " (the most probable in the target)" : " (the target class)"),
        current,
        from: -span,
        to: span,
      },
      { name: "input", like: input.data, row: x, column: t },
      (P) => ({
        target: probabilities
          ? rowsLike(input.data, P, classes, (_, c) => targetRow[c])
          : { shape: [P], data: filled(target.data, P, t) },
      }),
    );
  },
  advise({ input }) {
    const advice: Advice[] = [];
    if (input.shape.length === 0 || input.data.length === 0) return advice;
    const classes = input.shape[input.shape.length - 1];
    if (classes < 2) return advice;
    const x = input.data;
    const rows = rowsAlong([x.length / classes, classes], 1);
    if (rows.read === 0) return advice;
    for (let k = 0; k < rows.read; k++) {
      const start = sampledRow(rows, k) * classes;
      let sum = 0;
      for (let c = start; c < start + classes; c++) {
        if (!(x[c] >= 0 && x[c] <= 1)) return advice;
        sum += x[c];
      }
      if (Math.abs(sum - 1) > 1e-3) return advice;
    }
    advice.push({
      code: "probabilities-as-logits",
      field: "inputs.input",
      message:
        `Every row of input${readNote(rows.count, "rows", rows.read)} lies in [0, 1] and sums to ` +
        "1, as probabilities do, but " +
        "PolyLoss takes logits and applies the softmax itself: pass the scores from before " +
        "the softmax.",
    });
    return advice;
  },
  forward({ input, target }, { epsilon, reduction }, context) {
    const { rows, classes, shape } = rowsOf(input);
    const probabilities = checkTarget(input, target, classes);
    const x = input.data;
    const y = target.data;
    const softmax = context.grad ? allocate(context.dtype, x.length) : null;
    const { max, logSum } = logSumExp(x, { batch: rows, classes, inner: 1 });
    const losses = reduction === "none" ? allocate(context.dtype, rows) : null;
    let total = 0;
    for (let r = 0, start = 0; r < rows; r++, start += classes) {
      const shift = max[r] + logSum[r]; // log p_c = x_c − shift
      if (softmax) {
        for (let c = start; c < start + classes; c++) softmax[c] = Math.exp(x[c] - shift);
      }
      let loss: number;
      if (probabilities) {
        let ce = 0, miss = 0;
        for (let c = start; c < start + classes; c++) {
          const logp = x[c] - shift;
          ce -= y[c] * logp;
          miss += y[c] * (1 - Math.exp(logp));
        }
        loss = ce + epsilon * miss;
      } else {
        const logp = x[start + Number(y[r])] - shift;
        loss = -logp + epsilon * (1 - Math.exp(logp));
      }
      total += loss;
      if (losses) losses[r] = loss;
    }
    return {
      output: reducedOutput(reduction, context.dtype, shape, total, losses, rows),
      saved: {
        inputShape: input.shape,
        rows,
        classes,
        target: y,
        probabilities,
        epsilon,
        reduction,
        softmax,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { rows, classes, target: y, probabilities, epsilon, reduction, softmax } = saved;
    if (!softmax) throw new Error("PolyLoss: backward needs a forward with context.grad");
    const grad = allocate(dtype, rows * classes);
    const g = gradOutput.data;
    const each = reduction === "none" ? NaN : reduction === "sum" ? g[0] : g[0] / rows;
    for (let r = 0, start = 0; r < rows; r++, start += classes) {
      const gr = reduction === "none" ? g[r] : each;
      const end = start + classes;
      if (probabilities) {
        let mass = 0, hit = 0; // Σ y_c, Σ y_c p_c
        for (let c = start; c < end; c++) {
          mass += y[c];
          hit += y[c] * softmax[c];
        }
        for (let c = start; c < end; c++) {
          const p = softmax[c];
          grad[c] = gr * (mass * p - y[c] - epsilon * p * (y[c] - hit));
        }
      } else {
        const t = start + Number(y[r]);
        const pt = softmax[t];
        for (let c = start; c < end; c++) {
          const p = softmax[c];
          grad[c] = gr * (p + epsilon * p * pt);
        }
        grad[t] -= gr * (1 + epsilon * pt);
      }
    }
    return { input: { shape: saved.inputShape, data: grad } };
  },
});
