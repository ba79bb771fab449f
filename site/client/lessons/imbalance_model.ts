/**
 * The imbalance lesson's model: a logistic model z = w₁ x₁ + w₂ x₂ + b on 2-D points of a
 * common class (0) and a rare one (1, `ratio` times fewer), trained by gradient descent with
 * BCEWithLogitsLoss plain, with `pos_weight` (the ratio of the classes' counts) and with
 * `weight` (each point weighted by N / (2 N_class), so that both classes weigh the same), and
 * with torchvision's SigmoidFocalLoss (γ and α, reduced by the mean), each its own model.  Each step asks the API for every loss's value and ∂L/∂z (shape (N)); the
 * chain rule gives ∂L/∂w = Σ g_n x_n, ∂L/∂b = Σ g_n.  A point is called rare when z > 0.
 *
 * @module
 */
import { createRandom } from "../../../lib/core/random.ts";
import { type BatchItem, type ComputeAnswer, toWire } from "../api.ts";
import type { Outcome } from "../lesson.ts";
import type { StateValues } from "../url_state.ts";

/** The common class's points. */
const COMMON = 200;

/** The centres of the classes (common, rare); each is a unit Gaussian around its centre. */
export const CENTRES: [number, number][] = [[-0.6, -0.6], [1, 1]];

/** A variant of the loss the lesson compares: its label, and its request's options. */
export interface Variant {
  label: string;
  loss: string;
  options: (model: ImbalanceModel) => Record<string, unknown>;
}

/** The variants compared. */
export const VARIANTS: Variant[] = [
  { label: "plain", loss: "BCEWithLogitsLoss", options: () => ({}) },
  {
    label: "pos_weight",
    loss: "BCEWithLogitsLoss",
    options: (m) => ({ pos_weight: toWire({ shape: [1], data: [m.common / m.rare] }) }),
  },
  {
    label: "weight",
    loss: "BCEWithLogitsLoss",
    options: (m) => {
      const n = m.labels.length;
      const weights = m.labels.map((y) => n / (2 * (y === 1 ? m.rare : m.common)));
      return { weight: toWire({ shape: [n], data: weights }) };
    },
  },
  {
    label: "focal",
    loss: "SigmoidFocalLoss",
    options: (m) => ({ gamma: m.gamma, alpha: m.alpha, reduction: "mean" }),
  },
];

/** A logistic model's parameters. */
export interface Logistic {
  w1: number;
  w2: number;
  b: number;
}

/** Recall and precision of the rare class. */
export interface Scores {
  recall: number;
  precision: number;
}

/** The model of the lesson (see the module's text). */
export class ImbalanceModel {
  points: [number, number][] = [];
  labels: number[] = [];
  common = COMMON;
  rare = COMMON;
  /** SigmoidFocalLoss's γ and α. */
  gamma = 2;
  alpha = 0.25;
  models: Logistic[] = [];
  history: number[][] = [];

  /** Data from the seed and the ratio; every model starts at zero. */
  reset(state: StateValues): void {
    const ratio = Math.max(1, Math.min(50, Number(state.ratio) || 10));
    this.rare = Math.max(2, Math.round(COMMON / ratio));
    this.gamma = Math.max(0, Math.min(5, Number(state.gamma ?? 2)));
    this.alpha = Math.max(0, Math.min(1, Number(state.alpha ?? 0.25)));
    const random = createRandom(Number(state.seed) || 0);
    this.points = [];
    this.labels = [];
    for (const [label, count] of [[0, COMMON], [1, this.rare]]) {
      const noise = random.randn([count, 2]).data;
      for (let i = 0; i < count; i++) {
        const [cx, cy] = CENTRES[label];
        this.points.push([cx + noise[2 * i], cy + noise[2 * i + 1]]);
        this.labels.push(label);
      }
    }
    this.models = VARIANTS.map(() => ({ w1: 0, w2: 0, b: 0 }));
    this.history = VARIANTS.map(() => []);
  }

  /** The logits z_n = w₁ x_n1 + w₂ x_n2 + b. */
  logits(model: Logistic): number[] {
    return this.points.map(([x1, x2]) => model.w1 * x1 + model.w2 * x2 + model.b);
  }

  /** One request per variant: its value and ∂L/∂z at the current parameters. */
  requests(): BatchItem[] {
    const n = this.points.length;
    return VARIANTS.map((variant, k) => ({
      loss: variant.loss,
      inputs: {
        input: toWire({ shape: [n], data: this.logits(this.models[k]) }),
        target: toWire({ shape: [n], data: this.labels }),
      },
      options: variant.options(this),
      dtype: "float64",
      grad: true,
    }));
  }

  /** A step of gradient descent for each variant, at learning rate `state.rate`. */
  update(answers: ComputeAnswer[], state: StateValues): void {
    const rate = Number(state.rate) || 1;
    answers.forEach((answer, k) => {
      const g = answer.grads.input.data;
      let d1 = 0;
      let d2 = 0;
      let db = 0;
      g.forEach((gn, n) => {
        d1 += gn * this.points[n][0];
        d2 += gn * this.points[n][1];
        db += gn;
      });
      const m = this.models[k];
      this.models[k] = { w1: m.w1 - rate * d1, w2: m.w2 - rate * d2, b: m.b - rate * db };
      this.history[k].push(answer.output.data[0]);
    });
  }

  /** The rare class's recall and precision under a model (a point is called rare when z > 0). */
  scores(model: Logistic): Scores {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    this.logits(model).forEach((z, n) => {
      const called = z > 0;
      const rare = this.labels[n] === 1;
      if (called && rare) tp++;
      else if (called) fp++;
      else if (rare) fn++;
    });
    return { recall: tp / (tp + fn), precision: tp + fp === 0 ? 0 : tp / (tp + fp) };
  }

  /**
   * Each variant's recall and precision; the answer says what `pos_weight` did to them against
   * the plain loss (`trade`: recall up, precision down; `both-up`; `no-gain`: recall not up).
   */
  outcome(): Outcome | null {
    if (this.history[0]?.length === 0) return null;
    const numbers: Record<string, number> = { common: this.common, rare: this.rare };
    let best = 0;
    const scores = this.models.map((model) => this.scores(model));
    VARIANTS.forEach((variant, k) => {
      numbers[`${variant.label}.recall`] = scores[k].recall;
      numbers[`${variant.label}.precision`] = scores[k].precision;
      if (scores[k].recall > scores[best].recall) best = k;
    });
    const percent = (value: number) => `${Math.round(value * 100)}%`;
    const parts = VARIANTS.map((variant, k) =>
      `${variant.label}: recall ${percent(scores[k].recall)}, precision ${
        percent(scores[k].precision)
      }`
    );
    const [plain, weighted] = scores;
    const answer = weighted.recall <= plain.recall
      ? "no-gain"
      : weighted.precision < plain.precision
      ? "trade"
      : "both-up";
    const text = `After ${this.history[0].length} steps, with ${this.common} common points ` +
      `and ${this.rare} rare ones: ${parts.join("; ")}. ${VARIANTS[best].label} finds the most ` +
      "of the rare class.";
    return { numbers, answer, text };
  }
}
