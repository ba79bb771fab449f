/// <reference lib="dom" />
/**
 * The chart of a loss against the prediction, for a fixed target: every point computed by the
 * API (`reduction: "none"` over a sweep of the input), drawn with uPlot.
 *
 * @module
 */
import uPlot from "uplot";
import type { Curve } from "../../lib/mod.ts";
import { compute, type ComputeRequest } from "./api.ts";

/** The number of points along the sweep. */
export const CURVE_POINTS = 161;

const COLORS = ["#c0392b", "#1f6fb2", "#2e8b57", "#8e44ad", "#d35400", "#16a085"];

const charts = new WeakMap<
  HTMLElement,
  { plot: uPlot; labels: string; observer: ResizeObserver }
>();

/** What the chart needs of the page's loss. */
export interface CurveLoss {
  name: string;
  curve?: Curve;
  /** The other losses drawn on the same chart. */
  curveWith: string[];
  options: { name: string; type: string }[];
}

function sweep(curve: Curve): number[] {
  const { from, to } = curve.x;
  return Array.from(
    { length: CURVE_POINTS },
    (_, i) => from + (to - from) * i / (CURVE_POINTS - 1),
  );
}

/**
 * Computes and draws the page's curve: the page's loss with the page's options, beside the
 * losses the curve names (with their default options), one line per fixed value of the other
 * inputs.
 */
export async function drawCurves(
  container: HTMLElement,
  loss: CurveLoss,
  request: ComputeRequest,
  signal: AbortSignal,
): Promise<void> {
  const curve = loss.curve!;
  const xs = sweep(curve);
  const tensorOptions = new Set(
    loss.options.filter((option) => option.type === "tensor").map((option) => option.name),
  );
  const ownOptions = Object.fromEntries(
    Object.entries(request.options).filter(([key]) => !tensorOptions.has(key)),
  );
  const names = [loss.name, ...loss.curveWith];
  const jobs = names.flatMap((name) =>
    curve.lines.map(async (line) => {
      const inputs: ComputeRequest["inputs"] = {
        [curve.x.input]: { shape: [xs.length], data: xs },
      };
      for (const [input, value] of Object.entries(line.values)) {
        inputs[input] = { shape: [xs.length], data: xs.map(() => value) };
      }
      const options = name === loss.name ? { ...ownOptions, reduction: "none" } : {
        reduction: "none",
      };
      const answer = await compute(name, { inputs, options, dtype: "float64" }, signal);
      const label = curve.lines.length > 1 ? `${name} (${line.label})` : name;
      return "answer" in answer ? { label, ys: answer.answer.output.data } : null;
    })
  );
  const series = (await Promise.all(jobs)).filter((s) => s !== null);
  if (signal.aborted || series.length === 0) return;
  const data: uPlot.AlignedData = [xs, ...series.map((s) => s.ys.map(finiteOrNull))];
  const labels = series.map((s) => s.label).join("|");
  const existing = charts.get(container);
  if (existing && existing.labels === labels) {
    existing.plot.setData(data);
    return;
  }
  existing?.observer.disconnect();
  existing?.plot.destroy();
  const width = Math.max(280, container.clientWidth || 600);
  const plot = new uPlot(
    {
      width,
      height: Math.round(Math.min(360, width * 0.6)),
      scales: { x: { time: false } },
      axes: [{ label: curve.x.label }, { label: "loss" }],
      series: [
        { label: curve.x.label },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: s.label.startsWith(loss.name) ? 3 : 1.5,
        })),
      ],
    },
    data,
    container,
  );
  const observer = new ResizeObserver(() => {
    const size = Math.max(280, container.clientWidth);
    plot.setSize({ width: size, height: Math.round(Math.min(360, size * 0.6)) });
  });
  observer.observe(container);
  charts.set(container, { plot, labels, observer });
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
