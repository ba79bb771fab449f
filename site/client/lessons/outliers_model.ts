/**
 * The outliers lesson's model: a line ŷ = a x + b fitted to points (inliers along a known line,
 * and outliers that can be dragged) by gradient descent under L1Loss, MSELoss, HuberLoss (δ) and
 * SmoothL1Loss (β), one line per loss.  Each step asks the API for every loss's value and its
 * gradient g = ∂L/∂ŷ (shape (N)); the chain rule gives ∂L/∂a = Σ g_n x_n, ∂L/∂b = Σ g_n.
 *
 * @module
 */
import { createRandom } from "../../../lib/core/random.ts";
import { type BatchItem, type ComputeAnswer, toWire } from "../api.ts";
import type { Outcome } from "../lesson.ts";
import { decodeTensorValue, encodeTensorValue, type StateValues } from "../url_state.ts";

/** The inliers' line: y = 0.8 x + 0.3, with noise of standard deviation 0.1. */
export const INLIER_SLOPE = 0.8;
export const INLIER_INTERCEPT = 0.3;
const INLIERS = 24;

/** The outliers before any is dragged: (x, y) rows. */
export const DEFAULT_OUTLIERS: [number, number][] = [[0.7, -2.4], [0.85, -2.6], [1, -2.2]];

/** The losses compared, with their names on the page. */
export const FIT_LOSSES = ["L1Loss", "MSELoss", "HuberLoss", "SmoothL1Loss"] as const;

/** A fitted line. */
export interface Line {
  a: number;
  b: number;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** The model of the lesson (see the module's text). */
export class OutliersModel {
  xs: number[] = [];
  ys: number[] = [];
  /** Whether point n is an outlier. */
  outlier: boolean[] = [];
  outliers: [number, number][] = DEFAULT_OUTLIERS.map(([x, y]) => [x, y]);
  lines: Line[] = [];
  /** Each loss's value at each step so far. */
  history: number[][] = [];
  /** Each loss's gradient ∂L/∂ŷ_n at the last step. */
  grads: number[][] = [];
  #options: Record<string, number> = {};

  /** Data from the seed and the outliers; every line starts flat at 0. */
  reset(state: StateValues): void {
    const random = createRandom(Number(state.seed) || 0);
    const given = state.outliers ? decodeTensorValue(state.outliers) : null;
    if (given && given.shape.length === 2 && given.shape[1] === 2) {
      this.outliers = [];
      for (let i = 0; i < given.shape[0]; i++) {
        this.outliers.push([given.data[2 * i], given.data[2 * i + 1]]);
      }
    }
    this.xs = [];
    this.ys = [];
    this.outlier = [];
    const noise = random.randn([INLIERS]).data;
    for (let i = 0; i < INLIERS; i++) {
      const x = -1 + 2 * random.next();
      this.xs.push(x);
      this.ys.push(INLIER_SLOPE * x + INLIER_INTERCEPT + 0.1 * noise[i]);
      this.outlier.push(false);
    }
    for (const [x, y] of this.outliers) {
      this.xs.push(x);
      this.ys.push(y);
      this.outlier.push(true);
    }
    this.#options = { delta: Number(state.delta) || 1, beta: Number(state.beta) || 1 };
    this.lines = FIT_LOSSES.map(() => ({ a: 0, b: 0 }));
    this.history = FIT_LOSSES.map(() => []);
    this.grads = FIT_LOSSES.map(() => this.xs.map(() => 0));
  }

  /** The outliers, when they are not where they start. */
  ownState(): StateValues {
    const same = this.outliers.length === DEFAULT_OUTLIERS.length &&
      this.outliers.every(([x, y], i) =>
        x === DEFAULT_OUTLIERS[i][0] && y === DEFAULT_OUTLIERS[i][1]
      );
    if (same) return {};
    const data = this.outliers.flat();
    return { outliers: encodeTensorValue({ shape: [this.outliers.length, 2], data }) };
  }

  /** Moves outlier `index` to (x, y), rounded to three decimals. */
  moveOutlier(index: number, x: number, y: number): void {
    this.outliers[index] = [round(Math.max(-1.2, Math.min(1.2, x))), round(y)];
  }

  /** The line's predictions ŷ_n = a x_n + b. */
  predict(line: Line): number[] {
    return this.xs.map((x) => line.a * x + line.b);
  }

  /** One request per loss: its value and ∂L/∂ŷ at the current lines. */
  requests(): BatchItem[] {
    const options: Record<string, Record<string, number>> = {
      HuberLoss: { delta: this.#options.delta },
      SmoothL1Loss: { beta: this.#options.beta },
    };
    return FIT_LOSSES.map((loss, k) => ({
      loss,
      inputs: {
        input: toWire({ shape: [this.xs.length], data: this.predict(this.lines[k]) }),
        target: toWire({ shape: [this.ys.length], data: this.ys }),
      },
      options: options[loss] ?? {},
      dtype: "float64",
      grad: true,
    }));
  }

  /** A step of gradient descent on (a, b) for each loss, at learning rate `state.rate`. */
  update(answers: ComputeAnswer[], state: StateValues): void {
    const rate = Number(state.rate) || 0.5;
    answers.forEach((answer, k) => {
      const g = answer.grads.input.data;
      let da = 0;
      let db = 0;
      for (let n = 0; n < g.length; n++) {
        da += g[n] * this.xs[n];
        db += g[n];
      }
      this.history[k].push(answer.output.data[0]);
      this.grads[k] = g;
      this.lines[k] = { a: this.lines[k].a - rate * da, b: this.lines[k].b - rate * db };
    });
  }

  /** The slopes, how far each is from the inliers' slope, and the loss it is furthest for. */
  outcome(): Outcome | null {
    if (this.history[0]?.length === 0) return null;
    const numbers: Record<string, number> = { inlierSlope: INLIER_SLOPE };
    let furthest = 0;
    let nearest = 0;
    const gaps = this.lines.map((line) => Math.abs(line.a - INLIER_SLOPE));
    FIT_LOSSES.forEach((loss, k) => {
      numbers[`${loss}.slope`] = this.lines[k].a;
      numbers[`${loss}.gap`] = gaps[k];
      if (gaps[k] > gaps[furthest]) furthest = k;
      if (gaps[k] < gaps[nearest]) nearest = k;
    });
    const slopes = FIT_LOSSES.map((loss, k) => `${loss} ${this.lines[k].a.toFixed(3)}`);
    const text = `After ${this.history[0].length} steps the slopes are ${slopes.join(", ")}; ` +
      `the inliers' is ${INLIER_SLOPE}. The outliers pulled ${FIT_LOSSES[furthest]}'s line ` +
      `furthest (by ${gaps[furthest].toFixed(3)}) and ${FIT_LOSSES[nearest]}'s least ` +
      `(by ${gaps[nearest].toFixed(3)}).`;
    return { numbers, answer: FIT_LOSSES[furthest], text };
  }
}
