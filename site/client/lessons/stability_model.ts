/**
 * The stability lesson's model.  The sweep: BCELoss of p = σ(z) against BCEWithLogitsLoss of z
 * (target 0, z from −100 to 100), NLLLoss of log(softmax([0, z])) against CrossEntropyLoss of
 * [0, z] (target class 0, z from 0 to 1000), in the chosen dtype, and CTCLoss of a target too
 * long for its frames with `zero_infinity` off and on: one batch.  The training: logits z_n
 * (the parameters themselves, N = 8) of examples of class 0 that start confidently wrong,
 * z_n = z₀ + n / 4, trained with
 * BCELoss after the page's sigmoid and with BCEWithLogitsLoss; the chain rule through the
 * sigmoid is ∂L/∂z_n = ∂L/∂p_n · p_n (1 − p_n), in the dtype.
 *
 * @module
 */
import { type BatchItem, type ComputeAnswer, toWire } from "../api.ts";
import type { Outcome } from "../lesson.ts";
import type { StateValues } from "../url_state.ts";
import type { DType } from "../../../lib/core/tensor.ts";

/** The sweep of z for the binary losses: −100 to 100. */
export const BINARY_Z = Array.from({ length: 201 }, (_, i) => i - 100);
/** The sweep of z for the softmax losses: 0 to 1000. */
export const SOFTMAX_Z = Array.from({ length: 201 }, (_, i) => 5 * i);

/** BCELoss's clamp: it clamps each log at −100, so that no term exceeds 100. */
export const CLAMP = 100;

const TRAINED = 8;

/** The model of the lesson (see the module's text). */
export class StabilityModel {
  dtype: DType = "float32";
  /** Per-point losses of the sweep, by name (bce, logits, nll, ce), once answered. */
  sweep: Record<string, number[]> | null = null;
  /** CTCLoss's value and whether its gradient is finite, with zero_infinity off and on. */
  ctc: { loss: number; finite: boolean }[] = [];
  targets: number[] = [];
  /** The logits of each variant (BCELoss after σ, BCEWithLogitsLoss). */
  logits: number[][] = [];
  history: number[][] = [];

  /** The dtype's rounding: `Math.fround` in float32. */
  round(value: number): number {
    return this.dtype === "float32" ? Math.fround(value) : value;
  }

  /** σ(z) = 1 / (1 + e^{−z}), each operation rounded to the dtype: the page's model. */
  sigmoid(z: number): number {
    const r = (v: number) => this.round(v);
    return r(1 / r(1 + r(Math.exp(r(-z)))));
  }

  /** log softmax([0, z])₀ as a model that takes the log of its softmax computes it. */
  logSoftmaxFirst(z: number): number {
    const r = (v: number) => this.round(v);
    const top = Math.max(0, z);
    const first = r(Math.exp(r(0 - top)));
    const second = r(Math.exp(r(z - top)));
    return r(Math.log(r(first / r(first + second))));
  }

  /** The logits start at ±z₀, wrong; the sweep is asked for again. */
  reset(state: StateValues): void {
    this.dtype = state.dtype === "float64" ? "float64" : "float32";
    const start = Number(state.start) || 30;
    // Examples of class 0 whose logits say class 1, confidently: z_n = z₀ + n / 4.
    this.targets = new Array(TRAINED).fill(0);
    const wrong = this.targets.map((_, n) => start + n / 4);
    this.logits = [wrong.slice(), wrong.slice()];
    this.history = [[], []];
    this.sweep = null;
  }

  /** The sweep's batch: the four curves and CTCLoss twice. */
  sweepRequests(): BatchItem[] {
    const flat = (data: number[]) => toWire({ shape: [data.length], data });
    const zeros = (n: number) => flat(new Array(n).fill(0));
    const { dtype } = this;
    const none = { reduction: "none" };
    const ctc = (zero_infinity: boolean): BatchItem => ({
      loss: "CTCLoss",
      inputs: {
        // Two frames, one sequence, three classes (blank, 1, 2), all equally likely.
        log_probs: toWire({ shape: [2, 1, 3], data: new Array(6).fill(-Math.log(3)) }),
        // "1 1" needs three frames (1, blank, 1): impossible in two.
        targets: toWire({ shape: [1, 2], data: [1, 1] }, true),
        input_lengths: toWire({ shape: [1], data: [2] }, true),
        target_lengths: toWire({ shape: [1], data: [2] }, true),
      },
      options: { zero_infinity },
      dtype,
      grad: true,
    });
    return [
      {
        loss: "BCELoss",
        inputs: { input: flat(BINARY_Z.map((z) => this.sigmoid(z))), target: zeros(201) },
        options: none,
        dtype,
      },
      {
        loss: "BCEWithLogitsLoss",
        inputs: { input: flat(BINARY_Z), target: zeros(201) },
        options: none,
        dtype,
      },
      {
        loss: "NLLLoss",
        inputs: {
          input: toWire({
            shape: [201, 2],
            data: SOFTMAX_Z.flatMap((z) => [this.logSoftmaxFirst(z), this.logSoftmaxSecond(z)]),
          }),
          target: toWire({ shape: [201], data: new Array(201).fill(0) }, true),
        },
        options: none,
        dtype,
      },
      {
        loss: "CrossEntropyLoss",
        inputs: {
          input: toWire({ shape: [201, 2], data: SOFTMAX_Z.flatMap((z) => [0, z]) }),
          target: toWire({ shape: [201], data: new Array(201).fill(0) }, true),
        },
        options: none,
        dtype,
      },
      ctc(false),
      ctc(true),
    ];
  }

  /** log softmax([0, z])₁, as {@link logSoftmaxFirst}. */
  logSoftmaxSecond(z: number): number {
    const r = (v: number) => this.round(v);
    const top = Math.max(0, z);
    const first = r(Math.exp(r(0 - top)));
    const second = r(Math.exp(r(z - top)));
    return r(Math.log(r(second / r(first + second))));
  }

  /** Takes the sweep's answers, in the order of {@link sweepRequests}. */
  takeSweep(answers: ComputeAnswer[]): void {
    const [bce, logits, nll, ce, ...ctc] = answers;
    this.sweep = {
      bce: bce.output.data,
      logits: logits.output.data,
      nll: nll.output.data,
      ce: ce.output.data,
    };
    this.ctc = ctc.map((answer) => ({
      loss: answer.output.data[0],
      finite: answer.grads.log_probs.data.every(Number.isFinite),
    }));
  }

  /** The training's batch: each variant's loss of its logits, with its input's gradient. */
  requests(): BatchItem[] {
    const n = this.targets.length;
    const target = toWire({ shape: [n], data: this.targets });
    return [
      {
        loss: "BCELoss",
        inputs: {
          input: toWire({ shape: [n], data: this.logits[0].map((z) => this.sigmoid(z)) }),
          target,
        },
        options: {},
        dtype: this.dtype,
        grad: true,
      },
      {
        loss: "BCEWithLogitsLoss",
        inputs: { input: toWire({ shape: [n], data: this.logits[1] }), target },
        options: {},
        dtype: this.dtype,
        grad: true,
      },
    ];
  }

  /** A step of gradient descent on each variant's logits, at learning rate `state.rate`. */
  update(answers: ComputeAnswer[], state: StateValues): void {
    const rate = Number(state.rate) || 1;
    answers.forEach((answer, k) => {
      const g = answer.grads.input.data;
      this.logits[k] = this.logits[k].map((z, n) => {
        // Through the sigmoid: ∂p/∂z = p (1 − p), in the dtype.
        const p = this.sigmoid(z);
        const dz = k === 0 ? this.round(g[n] * this.round(p * this.round(1 - p))) : g[n];
        return this.round(z - rate * dz);
      });
      this.history[k].push(answer.output.data[0]);
    });
  }

  /** The first z of `zs` from which `values` stay at `value` to the end, or NaN. */
  static holdsFrom(zs: number[], values: number[], value: number): number {
    let from = NaN;
    for (let i = values.length - 1; i >= 0 && values[i] === value; i--) from = zs[i];
    return from;
  }

  /** The sweep's and the training's numbers, and which variant the training moved. */
  outcome(): Outcome | null {
    if (!this.sweep) return null;
    const { bce, logits, nll, ce } = this.sweep;
    const at = (z: number) => BINARY_Z.indexOf(z);
    const numbers: Record<string, number> = {
      float32: this.dtype === "float32" ? 1 : 0,
      "bce.max": Math.max(...bce),
      "bce.clampFrom": StabilityModel.holdsFrom(BINARY_Z, bce, CLAMP),
      "logits.at50": logits[at(50)],
      "logits.at100": logits[at(100)],
      "logits.slope": (logits[at(100)] - logits[at(50)]) / 50,
      "nll.infiniteFrom": StabilityModel.holdsFrom(SOFTMAX_Z, nll, Infinity),
      "ce.at1000": ce[ce.length - 1],
      "ctc.off.finite": Number.isFinite(this.ctc[0]?.loss) ? 1 : 0,
      "ctc.on": this.ctc[1]?.loss,
    };
    const steps = this.history[0].length;
    const moved = this.history.map((losses) =>
      losses.length > 1 && losses[losses.length - 1] < 0.99 * losses[0]
    );
    const answer = moved[0] && moved[1]
      ? "both"
      : moved[1]
      ? "logits"
      : moved[0]
      ? "probabilities"
      : "neither";
    const last = (k: number) => this.history[k][this.history[k].length - 1];
    if (steps > 0) {
      numbers["train.bce.first"] = this.history[0][0];
      numbers["train.bce.last"] = last(0);
      numbers["train.logits.first"] = this.history[1][0];
      numbers["train.logits.last"] = last(1);
    }
    const clampFrom = numbers["bce.clampFrom"];
    const sweepText =
      `In ${this.dtype}, BCELoss(σ(z)) ${
        Number.isNaN(clampFrom)
          ? "never reaches its clamp"
          : `sits at its clamp, ${CLAMP}, from z = ${clampFrom}`
      }, while BCEWithLogitsLoss grows with slope ${numbers["logits.slope"].toFixed(4)} to ` +
      `${numbers["logits.at100"].toFixed(2)} at z = 100. NLLLoss of log(softmax) is infinite ${
        Number.isNaN(numbers["nll.infiniteFrom"])
          ? "nowhere up to z = 1000"
          : `from z = ${numbers["nll.infiniteFrom"]}`
      }; CrossEntropyLoss is ${numbers["ce.at1000"].toFixed(1)} at z = 1000.`;
    const trainText = steps > 0
      ? ` Trained ${steps} steps from confidently wrong logits: BCELoss(σ(z)) went from ${
        numbers["train.bce.first"].toFixed(3)
      } to ${numbers["train.bce.last"].toFixed(3)}, BCEWithLogitsLoss from ${
        numbers["train.logits.first"].toFixed(3)
      } to ${numbers["train.logits.last"].toFixed(3)}.`
      : "";
    return { numbers, answer, text: sweepText + trainText };
  }
}
