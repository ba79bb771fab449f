/**
 * `torchvision.ops.sigmoid_focal_loss` (Lin et al., 2017): the binary cross entropy of logits,
 * scaled down where the prediction is already right, so that the many easy examples of a
 * detector do not drown the few hard ones.
 *
 * As torchvision computes it (`torchvision/ops/focal_loss.py`, since 0.22): p = σ(x), the
 * elementwise BCE-with-logits ce = max(x, 0) − x y + log1p(exp(−|x|)), p_t = p y + (1 − p)(1 − y),
 * l = ce · (1 − p_t)^γ, then, unless α = −1, l · (α y + (1 − α)(1 − y)).  1 − p_t is computed
 * from p as written, not in log space: in float32, p is rounded to float32 first, so σ(±30)
 * is exactly 1 or 0 and a confidently right element costs exactly 0.  `reduction` defaults to
 * `none`, as torchvision's.
 *
 * Gradient: with w the α weight (1 when α = −1) and m = (1 − p_t)^γ,
 * ∂l/∂x = w [(p − y) m − ce γ (1 − p_t)^(γ−1) p (1 − p)(2y − 1)]; the second term is 0 for
 * γ = 0 (as PyTorch's `pow` backward makes it).  No gradient with respect to the target.  When a
 * backward follows (`context.grad`), the forward computes this derivative in the same pass, so
 * that the backward only scales it.
 *
 * In float32, log1p(exp(−|x|)) and σ(−|x|) come from `lib/ops/softplus.ts` (far below float32's
 * resolution); float64 calls `Math.exp` and `Math.log1p`.
 *
 * @module
 */
import { type Advice, defineLoss } from "../core/definition.ts";
import { tex, texTerm } from "../core/tex.ts";
import { select } from "../ops/branchless.ts";
import { around, elementExplainer, elementSweep } from "../ops/element.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGradOf,
} from "../ops/reduction.ts";
import { sigmoidOfNegative, softplusOfNegative } from "../ops/softplus.ts";
import type { FloatArray } from "../core/tensor.ts";
import { checkSameShape } from "./_pointwise.ts";

/** Options of {@link sigmoidFocalLoss}. */
export interface SigmoidFocalOptions {
  alpha: number;
  gamma: number;
  reduction: Reduction;
}

interface SigmoidFocalSaved {
  shape: number[];
  reduction: Reduction;
  /** ∂l/∂x of each element, computed by a forward followed by a backward. */
  slope: FloatArray | null;
}

/**
 * The focal loss of logits, as `torchvision.ops.sigmoid_focal_loss`.
 *
 * @example A logit of 0 for a positive: BCE log 2, scaled by (1 − ½)² and α = 0.25
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0], [1]);
 * const target = ndarrayOf([1], [1]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("SigmoidFocalLoss", { input, target }, {}, settings);
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(0), 0.0625 * Math.LN2)); // reduction "none" by default
 * // 0.25 · [(½ − 1) · ¼ − log 2 · 2 · ½ · ¼]
 * assert.ok(near(grads.input.get(0), -0.03125 - 0.0625 * Math.LN2));
 * ```
 */
export const sigmoidFocalLoss = defineLoss<SigmoidFocalOptions, SigmoidFocalSaved>({
  name: "SigmoidFocalLoss",
  functional: "sigmoid_focal_loss",
  slug: "sigmoid-focal",
  category: "binary",
  source: {
    library: "torchvision",
    call: "torchvision.ops.sigmoid_focal_loss",
    docs:
      "https://docs.pytorch.org/vision/stable/generated/torchvision.ops.sigmoid_focal_loss.html",
    code: `import torch
from torchvision.ops import sigmoid_focal_loss

input = torch.tensor({input}, dtype=torch.{dtype}, requires_grad=True)
target = torch.tensor({target}, dtype=torch.{dtype})
loss = sigmoid_focal_loss(input, target, alpha={alpha}, gamma={gamma}, reduction={reduction})
print(loss)
loss.backward(torch.ones_like(loss))
print(input.grad)`,
  },
  summary: "Binary cross entropy of logits, down-weighted where the prediction is already right",
  formula: String.raw`l_n = \alpha_n\,(1 - p_{t,n})^{\gamma}\,\big[\max(x_n, 0) - x_n y_n
+ \log(1 + e^{-|x_n|})\big],\quad p_{t,n} = \sigma(x_n)\, y_n + (1 - \sigma(x_n))(1 - y_n),\quad
\alpha_n = \alpha y_n + (1 - \alpha)(1 - y_n)`,
  formulas: [{
    when: { alpha: -1 },
    tex: String.raw`l_n = (1 - p_{t,n})^{\gamma}\,\big[\max(x_n, 0) - x_n y_n
+ \log(1 + e^{-|x_n|})\big],\quad p_{t,n} = \sigma(x_n)\, y_n + (1 - \sigma(x_n))(1 - y_n)`,
  }],
  teaching: {
    measures: "The binary cross entropy of a logit, multiplied by $(1 - p_t)^\\gamma$, where " +
      "$p_t$ is the probability the model gives the right answer. An element predicted right " +
      "with $p_t = 0.9$ keeps $0.01$ of its cross entropy at $\\gamma = 2$; one predicted " +
      "wrong keeps nearly all of it. $\\alpha$ then weighs the positives against the negatives.",
    choose: "For dense detection and segmentation, where most elements are easy negatives " +
      "(background) that would dominate the plain cross entropy. With balanced, mostly hard " +
      "examples it only slows learning: use `BCEWithLogitsLoss`, which it equals for " +
      "$\\gamma = 0$ and $\\alpha = -1$.",
    mistake: "Passing probabilities (the output of a sigmoid) instead of logits: the loss " +
      "applies its own sigmoid, so every probability becomes a logit near 0 to 1 and the " +
      "focusing acts on the wrong numbers. Note also torchvision's default reduction, " +
      "`none`, unlike every `torch.nn` loss; and that $\\alpha = 0.25$ weighs the positives " +
      "down, not up: it was tuned together with $\\gamma = 2$.",
    related: [
      {
        to: "BCEWithLogitsLoss",
        why: "the cross entropy it scales; equal for gamma = 0 and alpha = -1",
      },
      { to: "PolyLoss", why: "another reshaping of the cross entropy, for classes" },
      { to: "DiceLoss", why: "the other answer to imbalanced segmentation: an overlap ratio" },
    ],
  },
  keywords: [
    "focal loss",
    "detection",
    "imbalance",
    "RetinaNet",
    "hard examples",
    "logits",
    "binary classification",
    "segmentation",
  ],
  outputShape: "(*), as the input, for reduction none (the default); scalar otherwise",
  inputs: [
    {
      name: "input",
      description: "The logits (unnormalized scores), one per element",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The labels: 0 or 1, or soft labels in [0, 1] (not checked)",
      shape: "(*): the input's shape",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "alpha",
      type: "number",
      default: 0.25,
      minimum: 0,
      maximum: 1,
      orOneOf: [-1],
      finite: true,
      symbol: "\\alpha",
      description: "The weight of the positives (the negatives get 1 − alpha), in [0, 1]; -1 " +
        "for no weighting",
    },
    {
      name: "gamma",
      type: "number",
      default: 2,
      finite: true,
      symbol: "\\gamma",
      description: "The focusing exponent: how fast the loss of well-classified elements " +
        "falls; 0 gives the (alpha-weighted) binary cross entropy",
    },
    { ...reductionOption(), default: "none" },
  ],
  sample(random) {
    const logits = random.randn([4, 5]);
    const labels = random.randint(0, 2, [4, 5]).data;
    return { input: logits, target: { shape: [4, 5], data: labels } };
  },
  explain: elementExplainer<SigmoidFocalOptions>(({ input: x, target: y }, { alpha, gamma }) => {
    const p = 1 / (1 + Math.exp(-x));
    const ce = Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
    const pt = p * y + (1 - p) * (1 - y);
    const m = (1 - pt) ** gamma;
    const steps = [
      { label: "the logit and the label", tex: `x_n = ${tex(x)},\\ y_n = ${tex(y)}`, value: x },
      {
        label: "the sigmoid: the predicted probability of a positive",
        tex: `\\sigma(x_n) = ${tex(p)}`,
        value: p,
      },
      {
        label: "the binary cross entropy of the logit",
        tex: `\\max(x_n, 0) - x_n y_n + \\log(1 + e^{-|x_n|}) = ${tex(ce)}`,
        value: ce,
      },
      {
        label: "the probability of the right answer",
        tex: `p_{t,n} = ${tex(p)} \\cdot ${texTerm(y)} + ${texTerm(1 - p)} \\cdot ${
          texTerm(1 - y)
        } = ${tex(pt)}`,
        value: pt,
      },
      {
        label: `the focusing factor, (1 − p_t) to the power γ = ${tex(gamma)}`,
        tex: `(1 - p_{t,n})^{\\gamma} = ${texTerm(1 - pt)}^{${tex(gamma)}} = ${tex(m)}`,
        value: m,
      },
    ];
    if (alpha < 0) {
      return [...steps, {
        label: "times the cross entropy: the element's loss (alpha = -1: no weighting)",
        tex: `l_n = ${tex(m)} \\cdot ${texTerm(ce)} = ${tex(m * ce)}`,
        value: m * ce,
      }];
    }
    const w = alpha * y + (1 - alpha) * (1 - y);
    return [...steps, {
      label: "the weight of the element's class, α for a positive, 1 − α for a negative",
      tex: `\\alpha_n = ${tex(alpha)} \\cdot ${texTerm(y)} + ${texTerm(1 - alpha)} \\cdot ${
        texTerm(1 - y)
      } = ${tex(w)}`,
      value: w,
    }, {
      label: "the weight times the factor times the cross entropy: the element's loss",
      tex: `l_n = ${tex(w)} \\cdot ${texTerm(m)} \\cdot ${texTerm(ce)} = ${tex(w * (ce * m))}`,
      value: w * (ce * m),
    }];
  }),
  sweep: elementSweep({ input: "input", range: around(6) }),
  advise({ input }) {
    const advice: Advice[] = [];
    const x = input.data;
    if (x.length > 1 && x.every((v) => v >= 0 && v <= 1)) {
      advice.push({
        code: "probabilities-as-logits",
        field: "inputs.input",
        message: "Every input lies in [0, 1], as probabilities do, but SigmoidFocalLoss takes " +
          "logits and applies the sigmoid itself: pass the scores from before the sigmoid.",
      });
    }
    return advice;
  },
  forward({ input, target }, { alpha, gamma, reduction }, context) {
    checkSameShape(input, target);
    const x = input.data;
    const y = target.data;
    const n = x.length;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    const slope = context.grad ? allocate(context.dtype, n) : null;
    const tabulated = context.dtype === "float32";
    const weighted = alpha >= 0;
    // (1 − p_t)^γ and γ (1 − p_t)^(γ−1), with the common exponents written out.
    const square = gamma === 2;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i], t = y[i];
      const a = Math.abs(v);
      let softplus: number, tail: number; // log1p(exp(−|v|)), σ(−|v|)
      if (tabulated) {
        softplus = softplusOfNegative(a);
        tail = sigmoidOfNegative(a);
      } else {
        const e = Math.exp(-a);
        softplus = Math.log1p(e);
        tail = e / (1 + e);
      }
      let p = select(v < 0, tail, 1 - tail);
      if (tabulated) p = Math.fround(p);
      const ce = select(v > 0, v, 0) - v * t + softplus;
      const q = 1 - (p * t + (1 - p) * (1 - t));
      const m = square ? q * q : gamma === 0 ? 1 : q ** gamma;
      const w = weighted ? alpha * t + (1 - alpha) * (1 - t) : 1;
      const loss = w * (ce * m);
      total += loss;
      if (losses) losses[i] = loss;
      if (slope) {
        const dm = square ? 2 * q : gamma === 0 ? 0 : gamma * q ** (gamma - 1);
        slope[i] = w * ((p - t) * m - ce * dm * p * (1 - p) * (2 * t - 1));
      }
    }
    return {
      output: reducedOutput(reduction, context.dtype, input.shape, total, losses, n),
      saved: { shape: input.shape, reduction, slope },
    };
  },
  backward({ shape, reduction, slope }, gradOutput, { dtype }) {
    if (!slope) throw new Error("SigmoidFocalLoss: backward needs a forward with context.grad");
    const n = slope.length;
    const { perElement, each } = upstreamGradOf(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    if (perElement) { for (let i = 0; i < n; i++) gradInput[i] = slope[i] * perElement[i]; }
    else for (let i = 0; i < n; i++) gradInput[i] = slope[i] * each;
    return { input: { shape, data: gradInput } };
  },
});
