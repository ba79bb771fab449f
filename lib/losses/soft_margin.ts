/**
 * `torch.nn.SoftMarginLoss`: the two-class logistic loss, for targets 1 or −1.
 *
 * PyTorch multiplies the target into the input in place, so a target that broadcasts to the
 * input's shape is accepted, without the pointwise losses' warning.
 *
 * Gradient: ∂l/∂x = −y · z / (1 + z), z = exp(−y x); no gradient with respect to the target.
 * As PyTorch, computed naively: exp(−y x) overflows for y x < −709 (float64).
 *
 * @module
 */
import { defineLoss } from "../core/definition.ts";
import { expandOntoInput } from "../ops/expand_onto_input.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGrad,
} from "../ops/reduction.ts";
import type { FloatArray } from "../core/tensor.ts";

/** Options of {@link softMarginLoss}. */
export interface SoftMarginOptions {
  reduction: Reduction;
}

interface SoftMarginSaved {
  x: FloatArray;
  y: FloatArray;
  shape: number[];
  reduction: Reduction;
}

/**
 * The soft margin loss, as `torch.nn.SoftMarginLoss`.
 *
 * @example A score of 0 costs log 2; the target flips the sign of the gradient
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, ndarrayOf } from "../mod.ts";
 * const input = ndarrayOf([0, 1], [2]);
 * const target = ndarrayOf([1, -1], [2]);
 * const settings = { grad: true, dtype: "float64" } as const;
 * const { output, grads } = computeLoss("SoftMarginLoss", { input, target }, {}, settings);
 * const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;
 * assert.ok(near(output.get(), (Math.LN2 + Math.log(1 + Math.E)) / 2)); // 1.0032044...
 * assert.ok(near(grads.input.get(0), -0.25)); // −1 · 1 / (1 + 1) / 2
 * assert.ok(near(grads.input.get(1), Math.E / (1 + Math.E) / 2)); // 0.3655292...
 * ```
 */
export const softMarginLoss = defineLoss<SoftMarginOptions, SoftMarginSaved>({
  name: "SoftMarginLoss",
  functional: "soft_margin_loss",
  slug: "soft-margin",
  category: "binary",
  summary: "Two-class logistic loss log(1 + exp(-y x)) for targets 1 or -1",
  formula: String
    .raw`\text{loss}(x, y) = \sum_i \frac{\log(1 + \exp(-y[i]*x[i]))}{\text{x.nelement}()}`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: {
    x: { input: "input", from: -4, to: 4, label: "input x" },
    lines: [{ label: "y = 1", values: { target: 1 } }, { label: "y = -1", values: { target: -1 } }],
  },
  inputs: [
    {
      name: "input",
      description: "The scores",
      shape: "(*): any number of dimensions",
      kind: "float",
      differentiable: true,
    },
    {
      name: "target",
      description: "The labels, 1 or -1",
      shape: "(*): the input's shape, or one that broadcasts to it",
      kind: "float",
      differentiable: false,
    },
  ],
  options: [reductionOption()],
  legacyReduction: true,
  sample(random) {
    const signs = random.randint(0, 2, [3, 5]).data.map((bit) => 2 * bit - 1);
    return { input: random.randn([3, 5]), target: { shape: [3, 5], data: signs } };
  },
  forward({ input, target }, { reduction }, context) {
    const x = input.data;
    const y = expandOntoInput(target, "inputs.target", input.shape);
    const n = x.length;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const loss = Math.log1p(Math.exp(-x[i] * y[i]));
      total += loss;
      if (losses) losses[i] = loss;
    }
    return {
      output: reducedOutput(reduction, context.dtype, input.shape, total, losses, n),
      saved: { x, y, shape: input.shape, reduction },
    };
  },
  backward({ x, y, shape, reduction }, gradOutput, { dtype }) {
    const n = x.length;
    const g = upstreamGrad(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    for (let i = 0; i < n; i++) {
      const z = Math.exp(-y[i] * x[i]);
      gradInput[i] = ((-y[i] * z) / (1 + z)) * g[i];
    }
    return { input: { shape, data: gradInput } };
  },
});
