/**
 * `optax.losses.ntxent` (SimCLR's NT-Xent, Chen et al., 2020): the normalized temperature-scaled
 * cross entropy of each positive pair of embeddings against the negatives of its row.
 *
 * As optax computes it (`optax/losses/_self_supervised.py`, with `_regression.py`'s
 * `cosine_similarity`): ê_i = e_i / √max(Σ_d e_id², eps), eps the machine epsilon of the dtype
 * (2⁻²³ in float32, 2⁻⁵² in float64; the clamp is on the squared norm, so a zero embedding has
 * ê = 0), s_ij = ê_i · ê_j / τ, and over the ordered positive pairs P = {(i, j) : i ≠ j,
 * labels_i = labels_j},
 * ℓ = Σ_P −log(e^{s_ij} / (e^{s_ij} + Σ_{k : labels_k ≠ labels_i} e^{s_ik})) / |P|.
 * Each pair is scored against the negatives of its row only (the other positives are not in
 * the denominator; s_ii is never used); both orders of a pair count.  optax shifts each row by
 * its maximum over j ≠ i, which changes neither the value nor the gradient; so does this.  No
 * positive pair (all labels distinct, or N = 1) gives 0 / 0 = NaN with an all-zero gradient; a
 * row with positives but no negatives contributes terms of 0.  The output is always one
 * number.
 *
 * Gradient: for (i, j) ∈ P, with π = e^{s}/Z_ij over the pair's denominator Z_ij,
 * ∂ℓ/∂s_ij += −(1 − π_ij)/|P| and ∂ℓ/∂s_ik += π_ik/|P| for each negative k; through
 * s_ij = ê_i·ê_j/τ to both embeddings, and through the normalization,
 * ∂ê/∂e = (I − ê êᵀ)/‖e‖ when Σe² > eps, I/√eps below.  No gradient with respect to the labels.
 * The sum over a row's negatives is computed once per row, so the work is N² D (N × N
 * similarities of D features), not N³.
 *
 * @module
 */
import { type Advice, defineLoss, type LossInputs } from "../core/definition.ts";
import { LossInputError } from "../core/errors.ts";
import { tex, texTerm } from "../core/tex.ts";
import { allocate } from "../ops/reduction.ts";
import type { Dense, DType, FloatDense, NumericArray } from "../core/tensor.ts";
import { formatShape, scalar } from "../core/tensor.ts";
import { isFloatArray } from "./_classes.ts";
import { wholeLossSweep } from "./_pointwise.ts";

/** Options of {@link ntxentLoss}. */
export interface NTXentOptions {
  temperature: number;
}

interface NTXentInputs extends LossInputs {
  embeddings: FloatDense;
  labels: Dense;
}

/** The similarities of a batch of embeddings, and what the gradient needs of them. */
interface Similarities {
  n: number;
  d: number;
  /** The normalized embeddings ê, row-major N × D, and each row's Σe² against the clamp. */
  unit: Float64Array;
  norms: Float64Array;
  open: Float64Array;
  /** s_ij = ê_i · ê_j / τ, N × N. */
  s: Float64Array;
}

interface NTXentSaved extends Similarities {
  shape: number[];
  labels: NumericArray;
  temperature: number;
  /** The per-row shift (max over j ≠ i of s_ij) and sum over the row's negatives of e^{s − m}. */
  shift: Float64Array;
  negatives: Float64Array;
  pairs: number;
}

/** The machine epsilon of the dtype: the floor of the squared norm. */
function epsilonOf(dtype: DType): number {
  return dtype === "float32" ? 2 ** -23 : 2 ** -52;
}

function checkInputs(embeddings: FloatDense, labels: Dense): void {
  if (isFloatArray(labels.data)) {
    throw new LossInputError(
      "inputs.labels.dtype",
      "inputs.labels.dtype is floating point, but labels must be an integer tensor (one label " +
        "per embedding)",
    );
  }
  if (labels.shape.length !== 1) {
    throw new LossInputError(
      "inputs.labels",
      `inputs.labels has shape ${formatShape(labels.shape)}, but labels must be 1-D (batch), ` +
        `got ${labels.shape.length} dimensions`,
    );
  }
  if (embeddings.shape.length !== 2) {
    throw new LossInputError(
      "inputs.embeddings",
      `inputs.embeddings has shape ${formatShape(embeddings.shape)}, but embeddings must be ` +
        `2-D (batch, features), got ${embeddings.shape.length} dimensions`,
    );
  }
  const [n, d] = embeddings.shape;
  if (labels.shape[0] !== n) {
    throw new LossInputError(
      "inputs.labels",
      `inputs.labels has ${labels.shape[0]} labels, but labels and embeddings must have the ` +
        `same leading dimension: the embeddings have ${n} rows`,
    );
  }
  if (n === 0 || d === 0) {
    throw new LossInputError(
      "inputs.embeddings",
      `inputs.embeddings has shape ${formatShape(embeddings.shape)}, but embeddings must hold ` +
        "at least one row of at least one feature",
    );
  }
}

/** ê and s of `embeddings` (N × D) at `temperature`. */
function similarities(
  e: ArrayLike<number>,
  n: number,
  d: number,
  temperature: number,
  eps: number,
) {
  const unit = new Float64Array(n * d);
  const norms = new Float64Array(n);
  const open = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = i * d; k < (i + 1) * d; k++) sum += e[k] * e[k];
    norms[i] = Math.sqrt(Math.max(sum, eps));
    open[i] = sum > eps ? 1 : sum === eps ? 0.5 : 0;
    for (let k = i * d; k < (i + 1) * d; k++) unit[k] = e[k] / norms[i];
  }
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += unit[i * d + k] * unit[j * d + k];
      s[i * n + j] = s[j * n + i] = dot / temperature;
    }
  }
  return { n, d, unit, norms, open, s };
}

/** The ordered positive pairs (i, j), row-major. */
function positivePairs(labels: ArrayLike<number>): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < labels.length; j++) {
      if (i !== j && labels[i] === labels[j]) pairs.push([i, j]);
    }
  }
  return pairs;
}

/** Each row's shift and the sum of e^{s − shift} over its negatives. */
function rowSums(s: Float64Array, labels: ArrayLike<number>, n: number) {
  const shift = new Float64Array(n);
  const negatives = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) if (j !== i && s[i * n + j] > m) m = s[i * n + j];
    shift[i] = Number.isFinite(m) ? m : 0;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      if (labels[k] !== labels[i]) sum += Math.exp(s[i * n + k] - shift[i]);
    }
    negatives[i] = sum;
  }
  return { shift, negatives };
}

/**
 * The NT-Xent loss, as `optax.losses.ntxent`.
 *
 * @example Two pairs of identical views, orthogonal to each other: each positive pair scores
 * e^{1/τ} against two negatives of e^0
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeLoss, indexNdArrayOf, ndarrayOf } from "../mod.ts";
 * const embeddings = ndarrayOf([1, 0, 0, 1, 2, 0, 0, 3], [4, 2]);
 * const labels = indexNdArrayOf([0, 1, 0, 1], [4]);
 * const options = { temperature: 0.5 };
 * const { output } = computeLoss("NTXentLoss", { embeddings, labels }, options, {
 *   dtype: "float64",
 * });
 * const pair = -Math.log(Math.exp(2) / (Math.exp(2) + 2)); // s = 1 / 0.5 = 2, against s = 0
 * assert.ok(Math.abs(output.get() - pair) < 1e-12);
 * ```
 */
export const ntxentLoss = defineLoss<NTXentOptions, NTXentSaved, NTXentInputs>({
  name: "NTXentLoss",
  functional: "ntxent",
  slug: "ntxent",
  category: "ranking",
  source: {
    library: "optax",
    call: "optax.losses.ntxent",
    docs: "https://optax.readthedocs.io/en/latest/api/losses.html#optax.losses.ntxent",
    code: `import jax
jax.config.update("jax_enable_x64", True)  # for float64
import jax.numpy as jnp
import optax

embeddings = jnp.array({embeddings}, dtype=jnp.{dtype})
labels = jnp.array({labels})
loss, grad = jax.value_and_grad(optax.losses.ntxent)(embeddings, labels, temperature={temperature})
print(loss)
print(grad)`,
  },
  summary: "Softmax cross entropy of each positive pair's cosine similarity against its negatives",
  formula: String.raw`\ell = \frac{1}{|P|} \sum_{(i,j) \in P} -\log
\frac{e^{s_{ij}}}{e^{s_{ij}} + \sum_{k:\, y_k \ne y_i} e^{s_{ik}}},\quad
s_{ij} = \frac{\hat e_i \cdot \hat e_j}{\tau},\quad P = \{(i, j) : i \ne j,\ y_i = y_j\}`,
  teaching: {
    measures: "For every pair of embeddings with the same label (two views of one image, in " +
      "SimCLR), how clearly their cosine similarity stands out from the similarities of the " +
      "first one to the embeddings of other labels: a softmax cross entropy over the " +
      "similarities divided by a temperature $\\tau$, averaged over the pairs.",
    choose: "For contrastive self-supervised learning (SimCLR and its kin) or supervised " +
      "contrastive learning, when each batch holds several views per item and many " +
      "negatives. A small $\\tau$ (0.07 to 0.5) sharpens the softmax and weighs the hardest " +
      "negatives most. For a single anchor, positive and negative use `TripletMarginLoss`.",
    mistake: "Labels with no positive pair: with every label distinct (or one embedding) " +
      "nothing is compared and the loss is NaN; each item needs at least two views with the " +
      "same label. At the other extreme, one label for the whole batch leaves no negatives " +
      "and a loss of 0. The temperature is a divisor: 0.07 makes the similarities range over " +
      "±14, not ±0.07.",
    related: [
      { to: "TripletMarginLoss", why: "one positive and one negative per anchor, by distance" },
      { to: "CosineSimilarityLoss", why: "the cosine of each pair alone, without negatives" },
      { to: "CrossEntropyLoss", why: "the softmax cross entropy it applies to similarities" },
    ],
  },
  keywords: [
    "contrastive",
    "self-supervised",
    "SimCLR",
    "InfoNCE",
    "NT-Xent",
    "embeddings",
    "temperature",
    "optax",
  ],
  outputShape: "scalar",
  inputs: [
    {
      name: "embeddings",
      description: "One embedding per row (normalized by the loss)",
      shape: "(N, D), N ≥ 1, D ≥ 1",
      kind: "float",
      differentiable: true,
    },
    {
      name: "labels",
      description: "An integer label per embedding: equal labels make positive pairs",
      shape: "(N)",
      kind: "index",
      differentiable: false,
    },
  ],
  options: [
    {
      name: "temperature",
      type: "number",
      default: 0.07,
      exclusiveMinimum: 0,
      finite: true,
      symbol: "\\tau",
      description: "The temperature the cosine similarities are divided by, > 0: smaller " +
        "values sharpen the softmax over the negatives",
    },
  ],
  work(inputs) {
    const shape = inputs.embeddings?.shape;
    if (!shape || shape.length !== 2) return undefined;
    const [n, d] = shape;
    return {
      work: n * n * Math.max(d, 1),
      field: "inputs.embeddings",
      formula: `N x N x D = ${n} x ${n} x ${d}`,
    };
  },
  sample: (random) => ({
    embeddings: random.randn([8, 4]),
    labels: { shape: [8], data: [0, 1, 2, 3, 0, 1, 2, 3], dtype: "int" },
  }),
  explain: {
    count: ({ labels }) => positivePairs(labels.data).length,
    element({ embeddings, labels }, { temperature }, element) {
      const [n, d] = embeddings.shape;
      const sims = similarities(embeddings.data, n, d, temperature, 2 ** -52);
      const pairs = positivePairs(labels.data);
      const { shift, negatives } = rowSums(sims.s, labels.data, n);
      const term = ([i, j]: [number, number]) =>
        -(sims.s[i * n + j] - shift[i]) +
        Math.log(Math.exp(sims.s[i * n + j] - shift[i]) + negatives[i]);
      const [i, j] = pairs[element];
      const s = sims.s[i * n + j];
      const against = negatives[i] * Math.exp(shift[i]);
      const loss = term([i, j]);
      const total = pairs.reduce((sum, pair) => sum + term(pair), 0);
      const count = n - 1 - pairs.filter(([a]) => a === i).length;
      return {
        label: `the positive pair (${i}, ${j}), label ${labels.data[i]}`,
        steps: [
          {
            label: `the cosine similarity of embeddings ${i} and ${j}, over τ = ${
              tex(temperature)
            }`,
            tex: `s_{${i}${j}} = \\frac{\\hat e_{${i}} \\cdot \\hat e_{${j}}}{\\tau} = ${tex(s)}`,
            value: s,
          },
          {
            label: `the sum of e^s over the ${count} negatives of row ${i} (the other labels)`,
            tex: `\\sum_{k:\\, y_k \\ne y_{${i}}} e^{s_{${i}k}} = ${tex(against)}`,
            value: against,
          },
          {
            label: "minus the log of the pair's share: the pair's term",
            tex: `l_{${i}${j}} = -\\log \\frac{e^{${texTerm(s)}}}{e^{${texTerm(s)}} + ${
              texTerm(against)
            }} = ${tex(loss)}`,
            value: loss,
          },
          {
            label: `the mean over the ${pairs.length} ordered positive pairs: the loss`,
            tex: `\\ell = \\frac{${tex(total)}}{${pairs.length}} = ${tex(total / pairs.length)}`,
            value: total / pairs.length,
          },
        ],
      };
    },
  },
  sweep: wholeLossSweep(
    (current) => [Math.min(-3, current - 1), Math.max(3, current + 1)],
    "embeddings",
    ({ embeddings, labels }, element) =>
      positivePairs(labels.data)[element][0] * embeddings.shape[1],
  ),
  advise({ labels }) {
    const advice: Advice[] = [];
    const y = labels.data;
    if (y.length === 0) return advice;
    if (positivePairs(y).length === 0) {
      advice.push({
        code: "no-positive-pair",
        field: "inputs.labels",
        message: "No two embeddings share a label, so there is no positive pair: the loss is " +
          "0 / 0 = NaN and its gradient 0. Give each item at least two views (embeddings) " +
          "with the same label.",
      });
    } else if (Array.prototype.every.call(y, (v: number) => v === y[0])) {
      advice.push({
        code: "no-negatives",
        field: "inputs.labels",
        message: "Every embedding has the same label, so there are no negatives: every term is " +
          "0 and nothing is learned. The labels must tell items apart.",
      });
    }
    return advice;
  },
  forward({ embeddings, labels }, { temperature }, { dtype }) {
    checkInputs(embeddings, labels);
    const [n, d] = embeddings.shape;
    const sims = similarities(embeddings.data, n, d, temperature, epsilonOf(dtype));
    const y = labels.data;
    const { shift, negatives } = rowSums(sims.s, y, n);
    let total = 0, pairs = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j === i || y[j] !== y[i]) continue;
        const shifted = sims.s[i * n + j] - shift[i];
        total += Math.log(Math.exp(shifted) + negatives[i]) - shifted;
        pairs++;
      }
    }
    return {
      output: scalar(dtype, total / pairs),
      saved: {
        ...sims,
        shape: embeddings.shape,
        labels: y,
        temperature,
        shift,
        negatives,
        pairs,
      },
    };
  },
  backward(saved, gradOutput, { dtype }) {
    const { n, d, unit, norms, open, s, labels: y, temperature, shift, negatives, pairs } = saved;
    const grad = allocate(dtype, n * d);
    if (pairs === 0) return { embeddings: { shape: saved.shape, data: grad } };
    const scale = gradOutput.data[0] / pairs;
    // ∂ℓ/∂s, N × N: for each positive pair, −(1 − π_ij); for each negative of its row, π_ik.
    const gs = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      let inverses = 0; // Σ over the row's positive pairs of 1 / Z_ij
      for (let j = 0; j < n; j++) {
        if (j === i || y[j] !== y[i]) continue;
        const e = Math.exp(s[i * n + j] - shift[i]);
        const z = e + negatives[i];
        gs[i * n + j] = -(1 - e / z) * scale;
        inverses += 1 / z;
      }
      for (let k = 0; k < n; k++) {
        if (y[k] !== y[i]) gs[i * n + k] = Math.exp(s[i * n + k] - shift[i]) * inverses * scale;
      }
    }
    // ∂ℓ/∂ê_i = Σ_j (gs_ij + gs_ji) ê_j / τ, then through the normalization.
    const gu = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      gu.fill(0);
      for (let j = 0; j < n; j++) {
        const g = (gs[i * n + j] + gs[j * n + i]) / temperature;
        if (g === 0) continue;
        for (let k = 0; k < d; k++) gu[k] += g * unit[j * d + k];
      }
      let along = 0;
      for (let k = 0; k < d; k++) along += unit[i * d + k] * gu[k];
      for (let k = 0; k < d; k++) {
        grad[i * d + k] = (gu[k] - open[i] * along * unit[i * d + k]) / norms[i];
      }
    }
    return { embeddings: { shape: saved.shape, data: grad } };
  },
});
