/// <reference lib="dom" />
/**
 * `/lessons/calibration`: the reliability diagram of both models on the held-out points (each
 * bin's accuracy at its mean confidence, the diagonal where they would be equal), their mean top
 * confidence, accuracy and calibration error, and the losses over the steps.
 *
 * @module
 */
import { fillRows, startLesson } from "../lesson.ts";
import { LessonChart } from "../lesson_chart.ts";
import { CalibrationModel } from "./calibration_model.ts";

/** Starts the calibration lesson. */
export function startPage(): void {
  const model = new CalibrationModel();
  const table = document.querySelector<HTMLElement>("#calibration tbody")!;
  const reliability = new LessonChart(document.querySelector("#reliability-chart")!, {
    x: "confidence (the top probability), by bin",
    y: "accuracy in the bin",
    aspect: 0.7,
    series: [
      { label: "calibrated (accuracy = confidence)", colour: "--chart-axis", dash: true, width: 1 },
      { label: "no smoothing", colour: "--lesson-2", width: 3, joined: true },
      { label: "label smoothing", colour: "--lesson-1", width: 3, joined: true },
    ],
    xRange: () => [1 / 3, 1],
    yRange: () => [0, 1],
  });
  const losses = new LessonChart(document.querySelector("#loss-chart")!, {
    x: "step",
    y: "loss",
    aspect: 0.4,
    series: [
      { label: "no smoothing", colour: "--lesson-2" },
      { label: "label smoothing", colour: "--lesson-1" },
    ],
  });

  const draw = () => {
    const trained = model.history[0].length > 0;
    const diagrams = model.models.map((m) => model.reliability(m));
    // Each bin at its mean confidence: the x values are both models' bins, and the ends.
    const bins = trained ? diagrams.map((d) => d.bins.filter((bin) => bin.count > 0)) : [[], []];
    const xs = [...new Set([1 / 3, 1, ...bins.flat().map((bin) => bin.confidence)])]
      .sort((a, b) => a - b);
    reliability.setData([
      xs,
      xs,
      ...bins.map((own) =>
        xs.map((x) => own.find((bin) => bin.confidence === x)?.accuracy ?? null)
      ),
    ]);
    const steps = model.history[0].length;
    const x = Array.from({ length: Math.max(steps, 1) }, (_, i) => i + 1);
    losses.setData([x, ...model.history.map((h) => (steps ? h : [null]))]);
    const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
    const names = ["no smoothing", `label smoothing ${model.smoothing}`];
    fillRows(
      table,
      diagrams.map((d, k) =>
        trained
          ? [names[k], percent(d.confidence), percent(d.accuracy), percent(d.ece)]
          : [names[k], "–", "–", "–"]
      ),
    );
  };

  startLesson(model, draw);
}
