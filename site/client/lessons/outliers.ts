/// <reference lib="dom" />
/**
 * `/lessons/outliers`: the fitted lines over the points (the outliers dragged with a pointer or
 * a finger), each point's pull on the line shown for one loss (−(N/2)·∂L/∂ŷ_n: MSE's reaches
 * the point, L1's is the same length for every point), and the losses over the steps.
 *
 * @module
 */
import type uPlot from "uplot";
import { lessonStateChanged, startLesson } from "../lesson.ts";
import { cssColour, LessonChart } from "../lesson_chart.ts";
import { FIT_LOSSES, OutliersModel } from "./outliers_model.ts";

const COLOURS = ["--lesson-1", "--lesson-2", "--lesson-3", "--lesson-4"];

/** Starts the outliers lesson. */
export function startPage(): void {
  const model = new OutliersModel();
  const pulls = document.querySelector<HTMLSelectElement>("#control-pulls")!;
  let order: number[] = [];
  const container = document.querySelector<HTMLElement>("#fit-chart")!;

  const drawPulls = (u: uPlot) => {
    const k = Math.max(0, FIT_LOSSES.indexOf(pulls.value as typeof FIT_LOSSES[number]));
    const line = model.lines[k];
    const g = model.grads[k];
    const half = model.xs.length / 2;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = cssColour(COLOURS[k]);
    ctx.lineWidth = 2 * devicePixelRatio;
    model.xs.forEach((x, n) => {
      const fitted = line.a * x + line.b;
      const px = u.valToPos(x, "x", true);
      ctx.beginPath();
      ctx.moveTo(px, u.valToPos(fitted, "y", true));
      ctx.lineTo(px, u.valToPos(fitted - half * g[n], "y", true));
      ctx.stroke();
    });
    ctx.restore();
    // Where the first outlier is drawn, in CSS pixels of the plot (for a test's drag).
    const [x, y] = model.outliers[0];
    container.dataset.firstOutlier = `${u.valToPos(x, "x")},${u.valToPos(y, "y")}`;
  };
  const fit = new LessonChart(container, {
    x: "x",
    y: "y",
    series: [
      { label: "inliers", colour: "--lesson-points", points: true },
      { label: "outliers (drag them)", colour: "--lesson-rare", points: true },
      ...FIT_LOSSES.map((loss, k) => ({ label: loss, colour: COLOURS[k] })),
    ],
    xRange: () => [-1.25, 1.25],
    yRange: () => {
      const ys = model.ys;
      return [Math.min(-1, ...ys) - 0.3, Math.max(1.5, ...ys) + 0.3];
    },
    draw: drawPulls,
  });
  const losses = new LessonChart(document.querySelector("#loss-chart")!, {
    x: "step",
    y: "loss",
    yLog: true,
    aspect: 0.4,
    series: FIT_LOSSES.map((loss, k) => ({ label: loss, colour: COLOURS[k] })),
  });

  const draw = () => {
    order = model.xs.map((_, n) => n).sort((a, b) => model.xs[a] - model.xs[b]);
    const xs = order.map((n) => model.xs[n]);
    fit.setData([
      xs,
      order.map((n) => (model.outlier[n] ? null : model.ys[n])),
      order.map((n) => (model.outlier[n] ? model.ys[n] : null)),
      ...model.lines.map((line) => xs.map((x) => line.a * x + line.b)),
    ]);
    const steps = model.history[0].length;
    const x = Array.from({ length: Math.max(steps, 1) }, (_, i) => i + 1);
    losses.setData([x, ...model.history.map((h) => (steps ? h : [null]))]);
  };

  // Dragging an outlier: the nearest within 24 px of the pointer follows it.
  let dragging = -1;
  const at = (event: PointerEvent) => {
    const over = container.querySelector(".u-over")!.getBoundingClientRect();
    return { left: event.clientX - over.left, top: event.clientY - over.top };
  };
  container.addEventListener("pointerdown", (event) => {
    const u = fit.plot;
    if (!u) return;
    const { left, top } = at(event);
    let best = -1;
    let distance = 24;
    model.outliers.forEach(([x, y], i) => {
      const d = Math.hypot(u.valToPos(x, "x") - left, u.valToPos(y, "y") - top);
      if (d < distance) [best, distance] = [i, d];
    });
    if (best < 0) return;
    dragging = best;
    container.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  container.addEventListener("pointermove", (event) => {
    const u = fit.plot;
    if (dragging < 0 || !u) return;
    const { left, top } = at(event);
    model.moveOutlier(dragging, u.posToVal(left, "x"), u.posToVal(top, "y"));
    model.reset({ ...currentState(), ...model.ownState() });
    draw();
  });
  const drop = () => {
    if (dragging < 0) return;
    dragging = -1;
    lessonStateChanged();
  };
  container.addEventListener("pointerup", drop);
  container.addEventListener("pointercancel", drop);

  const form = document.querySelector<HTMLFormElement>("#lesson-controls")!;
  const currentState = () => {
    const values: Record<string, string> = {};
    for (const input of form.querySelectorAll<HTMLInputElement>("input[name], select[name]")) {
      values[input.name] = input.value;
    }
    return values;
  };

  startLesson(model, draw);
}
