/// <reference lib="dom" />
/**
 * `/lessons/stability`: the sweep of BCELoss(σ(z)) against BCEWithLogitsLoss(z) with BCELoss's
 * clamp drawn, of NLLLoss(log softmax) against CrossEntropyLoss (infinite values left out and
 * said), both in float32 and float64, CTCLoss with an impossible target, and the training of
 * confidently wrong logits with each binary loss, in the dtype chosen.  The sweep is one batch,
 * asked once.
 *
 * @module
 */
import { computeAll } from "../api.ts";
import { fillRows, lessonOutcomeChanged, showProblem, startLesson } from "../lesson.ts";
import { LessonChart } from "../lesson_chart.ts";
import { BINARY_Z, CLAMP, holdsFrom, SOFTMAX_Z, StabilityModel } from "./stability_model.ts";

const finite = (values: number[]) => values.map((v) => (Number.isFinite(v) ? v : null));

/** Starts the stability lesson. */
export function startPage(): void {
  const model = new StabilityModel();
  const error = document.querySelector<HTMLElement>("#lesson-error")!;
  const ctc = document.querySelector<HTMLElement>("#ctc tbody")!;
  const binary = new LessonChart(document.querySelector("#binary-chart")!, {
    x: "z (the logit), target 0",
    y: "loss",
    series: [
      // BCEWithLogitsLoss first, drawn under the two that leave it.
      { label: "BCEWithLogitsLoss(z)", colour: "--lesson-1", width: 4 },
      { label: "BCELoss(σ(z)), float64", colour: "--lesson-4", width: 2 },
      { label: "BCELoss(σ(z)), float32", colour: "--lesson-2", width: 2 },
      { label: `BCELoss's clamp, ${CLAMP}`, colour: "--chart-axis", dash: true, width: 1 },
    ],
    yRange: () => [0, 110],
  });
  const softmax = new LessonChart(document.querySelector("#softmax-chart")!, {
    x: "z, the logits [0, z], target class 0",
    y: "loss",
    series: [
      { label: "CrossEntropyLoss", colour: "--lesson-1", width: 4 },
      { label: "NLLLoss(log softmax), float64", colour: "--lesson-4", width: 2 },
      { label: "NLLLoss(log softmax), float32", colour: "--lesson-2", width: 2 },
    ],
  });
  const training = new LessonChart(document.querySelector("#loss-chart")!, {
    x: "step",
    y: "loss",
    aspect: 0.4,
    series: [
      { label: "BCELoss(σ(z))", colour: "--lesson-2" },
      { label: "BCEWithLogitsLoss(z)", colour: "--lesson-1" },
    ],
  });
  const infinite = document.querySelector<HTMLElement>("#softmax-infinite")!;

  const draw = () => {
    const { float32, float64 } = model.sweeps;
    if (float32 && float64) {
      binary.setData([
        BINARY_Z,
        finite(float32.logits),
        finite(float64.bce),
        finite(float32.bce),
        BINARY_Z.map(() => CLAMP),
      ]);
      softmax.setData([SOFTMAX_Z, finite(float32.ce), finite(float64.nll), finite(float32.nll)]);
      infinite.textContent = [float32, float64].map((sweep, d) => {
        const from = holdsFrom(SOFTMAX_Z, sweep.nll, Infinity);
        const dtype = d === 0 ? "float32" : "float64";
        return Number.isNaN(from)
          ? `In ${dtype}, NLLLoss of log(softmax) stays finite up to z = 1000.`
          : `In ${dtype}, NLLLoss of log(softmax) is infinite from z = ${from} (not drawn): the ` +
            "softmax of the target class rounds to 0, and its log is −∞.";
      }).join(" ");
      fillRows(
        ctc,
        model.ctc.map((result, k) => [
          k === 0 ? "off" : "on",
          String(result.loss),
          result.finite ? "finite" : "not finite",
        ]),
      );
    }
    const steps = model.history[0].length;
    const x = Array.from({ length: Math.max(steps, 1) }, (_, i) => i + 1);
    training.setData([x, ...model.history.map((h) => (steps ? h : [null]))]);
  };

  let asking: AbortController | null = null;
  const askSweep = async () => {
    asking?.abort();
    const controller = new AbortController();
    asking = controller;
    try {
      const answered = await computeAll(model.sweepRequests(), controller.signal);
      if (controller.signal.aborted) return;
      if ("problem" in answered) return showProblem(error, answered.problem);
      model.takeSweep(answered.answers);
      lessonOutcomeChanged();
    } catch (failure) {
      if (controller.signal.aborted) return;
      error.textContent = `The API could not be reached: ${(failure as Error).message}`;
      error.hidden = false;
    }
  };

  // The sweep is the same for every run: asked once.
  startLesson(model, draw, () => {
    if (!asking) askSweep();
  });
}
