/**
 * The stability lesson's model.  The sweep, in float32 and in float64: BCELoss of p = σ(z)
 * against BCEWithLogitsLoss of z (target 0, z from −100 to 100), NLLLoss of log(softmax([0, z]))
 * against CrossEntropyLoss of [0, z] (target class 0, z from 0 to 1000), and CTCLoss of a target
 * too long for its frames with `zero_infinity` off and on: one batch.  The training, in the
 * chosen dtype: logits z_n (the parameters themselves, N = 8) of examples of class 0 that start
 * confidently wrong, z_n = z₀ + n / 4, trained with BCELoss after the page's sigmoid and with
 * BCEWithLogitsLoss; the chain rule through the sigmoid is ∂L/∂z_n = ∂L/∂p_n · p_n (1 − p_n),
 * in the dtype.
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

/** The dtypes swept (a value of `lib/core/tensor.ts` would bring ndarray into the page). */
const DTYPES: readonly DType[] = ["float32", "float64"];

/** One dtype's sweep: the per-point losses, by name. */
export interface Sweep {
  bce: number[];
  logits: number[];
  nll: number[];
  ce: number[];
}

/** Rounding to `dtype`: `Math.fround` in float32. */
export function rounding(dtype: DType): (value: number) => number {
  return dtype === "float32" ? Math.fround : (value) => value;
}

/** σ(z) = 1 / (1 + e^{−z}), each operation rounded to `dtype`: the page's model. */
export function sigmoid(z: number, dtype: DType): number {
  const r = rounding(dtype);
  return r(1 / r(1 + r(Math.exp(r(-z)))));
}

/**
 * log(softmax([0, z])), each operation rounded to `dtype`, as a model that takes the log of its
 * softmax computes it: the largest logit subtracted, exponentials, their sum, the ratios, logs.
 */
export function logOfSoftmax(z: number, dtype: DType): [number, number] {
  const r = rounding(dtype);
  const top = Math.max(0, z);
  const first = r(Math.exp(r(0 - top)));
  const second = r(Math.exp(r(z - top)));
  const sum = r(first + second);
  return [r(Math.log(r(first / sum))), r(Math.log(r(second / sum)))];
}

/** The first z of `zs` from which `values` stay at `value` to the end, or NaN. */
export function holdsFrom(zs: number[], values: number[], value: number): number {
  let from = NaN;
  for (let i = values.length - 1; i >= 0 && values[i] === value; i--) from = zs[i];
  return from;
}

/** The model of the lesson (see the module's text). */
export class StabilityModel {
  /** The training's dtype. */
  dtype: DType = "float32";
  /** Each dtype's sweep, once answered. */
  sweeps: Partial<Record<DType, Sweep>> = {};
  /** CTCLoss's value and whether its gradient is finite, with zero_infinity off and on. */
  ctc: { loss: number; finite: boolean }[] = [];
  targets: number[] = [];
  /** The logits of each variant (BCELoss after σ, BCEWithLogitsLoss). */
  logits: number[][] = [];
  history: number[][] = [];

  /** The logits start confidently wrong, at z₀ and above; the sweep stays. */
  reset(state: StateValues): void {
    this.dtype = state.dtype === "float64" ? "float64" : "float32";
    const start = Number(state.start) || 30;
    this.targets = new Array(TRAINED).fill(0);
    const wrong = this.targets.map((_, n) => start + n / 4);
    this.logits = [wrong.slice(), wrong.slice()];
    this.history = [[], []];
  }

  /** The sweep's batch: the four curves in each dtype, then CTCLoss twice. */
  sweepRequests(): BatchItem[] {
    const flat = (data: number[]) => toWire({ shape: [data.length], data });
    const classes = toWire({ shape: [201], data: new Array(201).fill(0) }, true);
    const none = { reduction: "none" };
    const curves = (dtype: DType): BatchItem[] => [
      {
        loss: "BCELoss",
        inputs: { input: flat(BINARY_Z.map((z) => sigmoid(z, dtype))), target: flat(zeros) },
        options: none,
        dtype,
      },
      {
        loss: "BCEWithLogitsLoss",
        inputs: { input: flat(BINARY_Z), target: flat(zeros) },
        options: none,
        dtype,
      },
      {
        loss: "NLLLoss",
        inputs: {
          input: toWire({
            shape: [201, 2],
            data: SOFTMAX_Z.flatMap((z) => logOfSoftmax(z, dtype)),
          }),
          target: classes,
        },
        options: none,
        dtype,
      },
      {
        loss: "CrossEntropyLoss",
        inputs: {
          input: toWire({ shape: [201, 2], data: SOFTMAX_Z.flatMap((z) => [0, z]) }),
          target: classes,
        },
        options: none,
        dtype,
      },
    ];
    const zeros = new Array(201).fill(0);
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
      dtype: "float32",
      grad: true,
    });
    return [...DTYPES.flatMap(curves), ctc(false), ctc(true)];
  }

  /** Takes the sweep's answers, in the order of {@link sweepRequests}. */
  takeSweep(answers: ComputeAnswer[]): void {
    DTYPES.forEach((dtype, d) => {
      const [bce, logits, nll, ce] = answers.slice(4 * d, 4 * d + 4).map((a) => a.output.data);
      this.sweeps[dtype] = { bce, logits, nll, ce };
    });
    this.ctc = answers.slice(4 * DTYPES.length).map((answer) => ({
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
          input: toWire({ shape: [n], data: this.logits[0].map((z) => sigmoid(z, this.dtype)) }),
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
    const r = rounding(this.dtype);
    answers.forEach((answer, k) => {
      const g = answer.grads.input.data;
      this.logits[k] = this.logits[k].map((z, n) => {
        // Through the sigmoid: ∂p/∂z = p (1 − p), in the dtype.
        const p = sigmoid(z, this.dtype);
        const dz = k === 0 ? r(g[n] * r(p * r(1 - p))) : g[n];
        return r(z - rate * dz);
      });
      this.history[k].push(answer.output.data[0]);
    });
  }

  /** The sweep's numbers in each dtype, the training's, and which variant the training moved. */
  outcome(): Outcome | null {
    if (!this.sweeps.float32 || !this.sweeps.float64) return null;
    const at = (z: number) => BINARY_Z.indexOf(z);
    const numbers: Record<string, number> = {};
    const said: string[] = [];
    for (const dtype of DTYPES) {
      const { bce, logits, nll, ce } = this.sweeps[dtype]!;
      const clampFrom = holdsFrom(BINARY_Z, bce, CLAMP);
      const infiniteFrom = holdsFrom(SOFTMAX_Z, nll, Infinity);
      Object.assign(numbers, {
        [`${dtype}.bce.max`]: Math.max(...bce),
        [`${dtype}.bce.clampFrom`]: clampFrom,
        [`${dtype}.logits.at50`]: logits[at(50)],
        [`${dtype}.logits.at100`]: logits[at(100)],
        [`${dtype}.logits.slope`]: (logits[at(100)] - logits[at(50)]) / 50,
        [`${dtype}.nll.infiniteFrom`]: infiniteFrom,
        [`${dtype}.ce.at1000`]: ce[ce.length - 1],
      });
      said.push(
        `In ${dtype}, BCELoss(σ(z)) ${
          Number.isNaN(clampFrom) ? "never reaches its clamp" : `is ${CLAMP} from z = ${clampFrom}`
        } while BCEWithLogitsLoss grows with slope ${
          numbers[`${dtype}.logits.slope`].toFixed(4)
        }, and NLLLoss of log(softmax) is ${
          Number.isNaN(infiniteFrom) ? "finite up to z = 1000" : `infinite from z = ${infiniteFrom}`
        } while CrossEntropyLoss is ${ce[ce.length - 1].toFixed(1)} at z = 1000.`,
      );
    }
    numbers["ctc.off.finite"] = Number.isFinite(this.ctc[0]?.loss) ? 1 : 0;
    numbers["ctc.on"] = this.ctc[1]?.loss;
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
      numbers["train.float32"] = this.dtype === "float32" ? 1 : 0;
      numbers["train.bce.first"] = this.history[0][0];
      numbers["train.bce.last"] = last(0);
      numbers["train.logits.first"] = this.history[1][0];
      numbers["train.logits.last"] = last(1);
      said.push(
        `Trained ${steps} steps in ${this.dtype} from confidently wrong logits: BCELoss(σ(z)) ` +
          `went from ${numbers["train.bce.first"].toFixed(3)} to ` +
          `${numbers["train.bce.last"].toFixed(3)}, BCEWithLogitsLoss from ` +
          `${numbers["train.logits.first"].toFixed(3)} to ` +
          `${numbers["train.logits.last"].toFixed(3)}.`,
      );
    }
    return { numbers, answer, text: said.join(" ") };
  }
}
