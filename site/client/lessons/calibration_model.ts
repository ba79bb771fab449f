/**
 * The calibration lesson's model: a softmax classifier, logits z = W x + b (W of shape (3, 2),
 * b of (3)), on noisy 2-D data of three classes (a share of the training labels redrawn at
 * random), trained by gradient descent with CrossEntropyLoss, once without label smoothing and
 * once with it.  Each step asks the API for both losses and ∂L/∂z (shape (N, 3)); the chain rule
 * gives ∂L/∂W = gᵀ X and ∂L/∂b = Σ_n g_n.  The reliability diagram bins held-out points by the
 * model's top probability (its softmax, the page's forward pass) and plots each bin's accuracy
 * against its mean confidence.
 *
 * @module
 */
import { createRandom, type Random } from "../../../lib/core/random.ts";
import { type BatchItem, type ComputeAnswer, toWire } from "../api.ts";
import type { Outcome } from "../lesson.ts";
import type { StateValues } from "../url_state.ts";

const CLASSES = 3;
const TRAIN_PER_CLASS = 8;
const HELD_OUT_PER_CLASS = 100;
/** The bins of the reliability diagram, over the top probability from 1/3 to 1. */
export const BINS = 6;

/** A softmax classifier's parameters: W row-major (3, 2), then b (3). */
export interface Softmax {
  w: number[];
  b: number[];
}

/** A bin of the reliability diagram. */
export interface Bin {
  confidence: number;
  accuracy: number;
  count: number;
}

/** The model of the lesson (see the module's text). */
export class CalibrationModel {
  train: [number, number][] = [];
  trainLabels: number[] = [];
  heldOut: [number, number][] = [];
  heldOutLabels: number[] = [];
  /** Without smoothing, then with. */
  models: Softmax[] = [];
  history: number[][] = [];
  smoothing = 0.2;

  /** Data from the seed and the label noise; both models start at zero. */
  reset(state: StateValues): void {
    const random = createRandom(Number(state.seed) || 0);
    const noise = Math.max(0, Math.min(0.5, Number(state.noise ?? 0.2)));
    this.smoothing = Math.max(0, Math.min(0.9, Number(state.smoothing ?? 0.2)));
    [this.train, this.trainLabels] = this.#draw(random, TRAIN_PER_CLASS, noise);
    [this.heldOut, this.heldOutLabels] = this.#draw(random, HELD_OUT_PER_CLASS, noise);
    this.models = [0, 1].map(() => ({ w: new Array(6).fill(0), b: new Array(3).fill(0) }));
    this.history = [[], []];
  }

  /** Points around three centres, with a share `noise` of their labels redrawn at random. */
  #draw(random: Random, perClass: number, noise: number): [[number, number][], number[]] {
    const points: [number, number][] = [];
    const labels: number[] = [];
    for (let c = 0; c < CLASSES; c++) {
      const angle = (2 * Math.PI * c) / CLASSES;
      const spread = random.randn([perClass, 2]).data;
      for (let i = 0; i < perClass; i++) {
        points.push([
          1.5 * Math.cos(angle) + 0.8 * spread[2 * i],
          1.5 * Math.sin(angle) + 0.8 * spread[2 * i + 1],
        ]);
        labels.push(random.next() < noise ? random.int(0, CLASSES) : c);
      }
    }
    return [points, labels];
  }

  /** The logits z_n = W x_n + b, row-major (N, 3). */
  logits(model: Softmax, points: [number, number][]): number[] {
    return points.flatMap(([x1, x2]) =>
      [0, 1, 2].map((k) => model.w[2 * k] * x1 + model.w[2 * k + 1] * x2 + model.b[k])
    );
  }

  /** The softmax of each row of logits: the model's probabilities. */
  probabilities(model: Softmax, points: [number, number][]): number[][] {
    const z = this.logits(model, points);
    return points.map((_, n) => {
      const row = z.slice(3 * n, 3 * n + 3);
      const top = Math.max(...row);
      const e = row.map((v) => Math.exp(v - top));
      const sum = e[0] + e[1] + e[2];
      return e.map((v) => v / sum);
    });
  }

  /** One request per model: CrossEntropyLoss without and with smoothing, and ∂L/∂z. */
  requests(): BatchItem[] {
    const n = this.train.length;
    return this.models.map((model, k) => ({
      loss: "CrossEntropyLoss",
      inputs: {
        input: toWire({ shape: [n, CLASSES], data: this.logits(model, this.train) }),
        target: toWire({ shape: [n], data: this.trainLabels }, true),
      },
      options: { label_smoothing: k === 0 ? 0 : this.smoothing },
      dtype: "float64",
      grad: true,
    }));
  }

  /** A step of gradient descent on (W, b) for each model, at learning rate `state.rate`. */
  update(answers: ComputeAnswer[], state: StateValues): void {
    const rate = Number(state.rate) || 1;
    answers.forEach((answer, k) => {
      const g = answer.grads.input.data;
      const { w, b } = this.models[k];
      const dw = new Array(6).fill(0);
      const db = new Array(3).fill(0);
      this.train.forEach(([x1, x2], n) => {
        for (let c = 0; c < CLASSES; c++) {
          dw[2 * c] += g[3 * n + c] * x1;
          dw[2 * c + 1] += g[3 * n + c] * x2;
          db[c] += g[3 * n + c];
        }
      });
      this.models[k] = {
        w: w.map((v, i) => v - rate * dw[i]),
        b: b.map((v, i) => v - rate * db[i]),
      };
      this.history[k].push(answer.output.data[0]);
    });
  }

  /** The reliability diagram of a model on the held-out points, and its mean top confidence. */
  reliability(model: Softmax): { bins: Bin[]; confidence: number; accuracy: number; ece: number } {
    const probabilities = this.probabilities(model, this.heldOut);
    const sums = Array.from({ length: BINS }, () => ({ confidence: 0, correct: 0, count: 0 }));
    let confidence = 0;
    let correct = 0;
    probabilities.forEach((p, n) => {
      const top = Math.max(...p);
      const right = p.indexOf(top) === this.heldOutLabels[n] ? 1 : 0;
      const bin = Math.min(BINS - 1, Math.floor(((top - 1 / 3) / (2 / 3)) * BINS));
      sums[bin].confidence += top;
      sums[bin].correct += right;
      sums[bin].count++;
      confidence += top;
      correct += right;
    });
    const total = probabilities.length;
    const bins = sums.map((s) => ({
      confidence: s.count ? s.confidence / s.count : NaN,
      accuracy: s.count ? s.correct / s.count : NaN,
      count: s.count,
    }));
    const ece = bins.reduce(
      (sum, bin) =>
        bin.count ? sum + (bin.count / total) * Math.abs(bin.confidence - bin.accuracy) : sum,
      0,
    );
    return { bins, confidence: confidence / total, accuracy: correct / total, ece };
  }

  /** Each model's mean top confidence, accuracy and calibration error on the held-out points. */
  outcome(): Outcome | null {
    if (this.history[0]?.length === 0) return null;
    const [plain, smooth] = this.models.map((model) => this.reliability(model));
    const numbers: Record<string, number> = {
      smoothing: this.smoothing,
      "plain.confidence": plain.confidence,
      "plain.accuracy": plain.accuracy,
      "plain.ece": plain.ece,
      "smooth.confidence": smooth.confidence,
      "smooth.accuracy": smooth.accuracy,
      "smooth.ece": smooth.ece,
    };
    const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
    const answer = smooth.confidence < plain.confidence ? "lower" : "higher";
    const text = `After ${this.history[0].length} steps, on ${this.heldOut.length} held-out ` +
      `points: without smoothing the mean top confidence is ${percent(plain.confidence)} for ` +
      `an accuracy of ${percent(plain.accuracy)} (calibration error ${percent(plain.ece)}); ` +
      `with label smoothing ${this.smoothing} it is ${percent(smooth.confidence)} for ` +
      `${percent(smooth.accuracy)} (error ${percent(smooth.ece)}).`;
    return { numbers, answer, text };
  }
}
