/**
 * `torch.nn.HuberLoss`: squared error near the target, absolute error (scaled by `delta`) away
 * from it.
 *
 * ℓ(x, y) = L = {l_1, …, l_N}ᵀ, with
 * l_n = 0.5 (x_n − y_n)²            if |x_n − y_n| < delta,
 * l_n = delta (|x_n − y_n| − 0.5 delta) otherwise,
 * then reduced by `reduction`.
 *
 * Shape: input (*), any number of dimensions; target (*), the input's shape (or one that
 * broadcasts with it, with PyTorch's warning); output: scalar, or (*) for `reduction: "none"`.
 *
 * Gradient: ∂l/∂x = clamp(x − y, −delta, delta), ∂l/∂y = −∂l/∂x.
 *
 * @module
 */
import { sumTo } from "../ops/broadcast.ts";
import { defineLoss } from "../core/definition.ts";
import { select } from "../ops/branchless.ts";
import {
  type BroadcastPair,
  broadcastPair,
  pointwiseInputs,
  REGRESSION_CURVE,
} from "./_pointwise.ts";
import {
  allocate,
  reducedOutput,
  type Reduction,
  reductionOption,
  upstreamGradOf,
} from "../ops/reduction.ts";

/** Options of {@link huberLoss}. */
export interface HuberOptions {
  reduction: Reduction;
  /** Where the loss turns from quadratic to linear; > 0. */
  delta: number;
}

/** The Huber loss, as `torch.nn.HuberLoss`. */
export const huberLoss = defineLoss<HuberOptions, BroadcastPair & HuberOptions>({
  name: "HuberLoss",
  functional: "huber_loss",
  slug: "huber",
  category: "regression",
  summary: "Squared error for small differences, delta-scaled absolute error for large ones",
  formula: String.raw`\ell(x, y) = \{l_1,\dots,l_N\}^\top,\quad l_n = \begin{cases}
0.5 (x_n - y_n)^2, & \text{if } |x_n - y_n| < delta \\
delta \cdot (|x_n - y_n| - 0.5 \cdot delta), & \text{otherwise}
\end{cases}`,
  outputShape: "scalar; (*), as the input, for reduction none",
  curve: REGRESSION_CURVE,
  inputs: pointwiseInputs(),
  options: [
    reductionOption(),
    {
      name: "delta",
      type: "number",
      default: 1,
      exclusiveMinimum: 0,
      description: "The threshold at which to change between delta-scaled L1 and L2 loss; > 0",
    },
  ],
  sample: (random) => ({ input: random.randn([3, 5]), target: random.randn([3, 5]) }),
  forward({ input, target }, { reduction, delta }, context) {
    const pair = broadcastPair(input, target, context);
    const { x, y } = pair;
    const n = x.length;
    const halfDelta = 0.5 * delta;
    const losses = reduction === "none" ? allocate(context.dtype, n) : null;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = x[i] - y[i];
      const a = Math.abs(d);
      const loss = select(a < delta, 0.5 * d * d, delta * (a - halfDelta));
      total += loss;
      if (losses) losses[i] = loss;
    }
    return {
      output: reducedOutput(reduction, context.dtype, pair.shape, total, losses, n),
      saved: { ...pair, reduction, delta },
    };
  },
  backward({ x, y, shape, inputShape, targetShape, reduction, delta }, gradOutput, { dtype }) {
    const n = x.length;
    const { perElement, each } = upstreamGradOf(reduction, gradOutput, n);
    const gradInput = allocate(dtype, n);
    const gradTarget = allocate(dtype, n);
    for (let i = 0; i < n; i++) {
      const d = x[i] - y[i];
      const clamped = select(d < -delta, -delta, select(d > delta, delta, d));
      const grad = clamped * (perElement ? perElement[i] : each);
      gradInput[i] = grad;
      gradTarget[i] = -grad;
    }
    return {
      input: sumTo({ shape, data: gradInput }, inputShape),
      target: sumTo({ shape, data: gradTarget }, targetShape),
    };
  },
});
