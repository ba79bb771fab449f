/// <reference lib="dom" />
/**
 * `/lessons/imbalance`: the points of both classes with each variant's decision boundary
 * (z = 0: x₂ = −(w₁ x₁ + b) / w₂), the rare class's recall and precision per variant, and the
 * losses over the steps.
 *
 * @module
 */
import { fillRows, startLesson } from "../lesson.ts";
import { LessonChart } from "../lesson_chart.ts";
import { ImbalanceModel, VARIANTS } from "./imbalance_model.ts";

const COLOURS = ["--lesson-1", "--lesson-3", "--lesson-4", "--lesson-2"];

/** Starts the imbalance lesson. */
export function startPage(): void {
  const model = new ImbalanceModel();
  const scores = document.querySelector<HTMLElement>("#scores tbody")!;
  const boundaries = new LessonChart(document.querySelector("#boundary-chart")!, {
    x: "x₁",
    y: "x₂",
    aspect: 0.7,
    series: [
      { label: "common class", colour: "--lesson-points", points: true },
      { label: "rare class", colour: "--lesson-rare", points: true },
      ...VARIANTS.map((variant, k) => ({
        label: variant.label,
        colour: COLOURS[k],
        dash: variant.label === "weight",
      })),
    ],
    xRange: () => [-4, 4],
    yRange: () => [-4, 4],
  });
  const losses = new LessonChart(document.querySelector("#loss-chart")!, {
    x: "step",
    y: "loss",
    aspect: 0.4,
    series: VARIANTS.map((variant, k) => ({ label: variant.label, colour: COLOURS[k] })),
  });

  const draw = () => {
    const order = model.points.map((_, n) => n).sort((a, b) =>
      model.points[a][0] - model.points[b][0]
    );
    const xs = [-4, ...order.map((n) => model.points[n][0]), 4];
    const pad = (values: (number | null)[]) => [null, ...values, null];
    const trained = model.history[0].length > 0;
    boundaries.setData([
      xs,
      pad(order.map((n) => (model.labels[n] === 0 ? model.points[n][1] : null))),
      pad(order.map((n) => (model.labels[n] === 1 ? model.points[n][1] : null))),
      ...model.models.map(({ w1, w2, b }) =>
        xs.map((x) => (trained && w2 !== 0 ? -(w1 * x + b) / w2 : null))
      ),
    ]);
    const steps = model.history[0].length;
    const x = Array.from({ length: Math.max(steps, 1) }, (_, i) => i + 1);
    losses.setData([x, ...model.history.map((h) => (steps ? h : [null]))]);
    const percent = (value: number) => `${Math.round(value * 100)}%`;
    fillRows(
      scores,
      VARIANTS.map((variant, k) => {
        const { recall, precision } = model.scores(model.models[k]);
        return trained
          ? [variant.label, percent(recall), percent(precision)]
          : [variant.label, "–", "–"];
      }),
    );
  };

  startLesson(model, draw);
}
