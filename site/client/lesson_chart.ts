/// <reference lib="dom" />
/**
 * A lesson's chart, drawn with uPlot as the loss pages' sweep is: series of lines or of points
 * over one x axis (`null` where a series has no value), colours from the page's CSS, so that
 * the chart follows the light or dark scheme, and its width its container's.
 *
 * @module
 */
import uPlot from "uplot";

/** One series: its label, its colour (a CSS custom property) and how it is drawn. */
export interface SeriesSpec {
  label: string;
  /** A custom property of the page's CSS: `--lesson-1`. */
  colour: string;
  /** Points only (a scatter), or a line (the default). */
  points?: boolean;
  /** A dashed line. */
  dash?: boolean;
  /** The line's width, in CSS pixels (2). */
  width?: number;
  /** A line that joins its values across the x values it has none at, each value marked. */
  joined?: boolean;
}

/** A chart's axes and series. */
export interface ChartSpec {
  x: string;
  y: string;
  series: SeriesSpec[];
  /** Fixed ranges; without one, the axis fits its data. */
  xRange?: () => [number, number];
  yRange?: () => [number, number];
  /** A logarithmic y axis. */
  yLog?: boolean;
  /** Drawn over the series, on uPlot's canvas (per-point arrows, a clamp's line). */
  draw?: (u: uPlot) => void;
  /** The height as a fraction of the width, within 160 to 320 px (0.55). */
  aspect?: number;
}

/** Reads a custom property of the page's CSS. */
export function cssColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** A chart in `container`: {@link LessonChart.setData} draws it, creating it the first time. */
export class LessonChart {
  plot: uPlot | null = null;
  #data: uPlot.AlignedData | null = null;

  constructor(readonly container: HTMLElement, readonly spec: ChartSpec) {
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.#rebuild());
    new ResizeObserver(() => this.plot?.setSize(this.#size())).observe(container);
  }

  /** Draws `data`: the x values, then one array per series. */
  setData(data: (number | null)[][]): void {
    this.#data = data as uPlot.AlignedData;
    if (!this.plot) this.#rebuild();
    else this.plot.setData(this.#data);
  }

  #size() {
    const width = Math.max(260, this.container.clientWidth || 480);
    const height = Math.round(Math.max(160, Math.min(320, width * (this.spec.aspect ?? 0.55))));
    return { width, height };
  }

  #rebuild(): void {
    this.plot?.destroy();
    this.plot = null;
    if (!this.#data) return;
    const axisColour = cssColour("--chart-axis");
    const grid = cssColour("--chart-grid");
    const axis = (label: string) => ({
      label,
      stroke: axisColour,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: "12px system-ui, sans-serif",
      labelFont: "12px system-ui, sans-serif",
    });
    const { spec } = this;
    this.container.replaceChildren();
    this.plot = new uPlot(
      {
        ...this.#size(),
        scales: {
          x: { time: false, ...(spec.xRange ? { range: () => spec.xRange!() } : {}) },
          y: {
            ...(spec.yLog ? { distr: 3 } : {}),
            ...(spec.yRange ? { range: () => spec.yRange!() } : {}),
          },
        },
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        axes: [axis(spec.x), { ...axis(spec.y), size: 56 }],
        series: [
          {},
          ...spec.series.map((series) => {
            const stroke = cssColour(series.colour);
            return series.points
              ? {
                label: series.label,
                stroke,
                fill: stroke,
                paths: () => null,
                points: { show: true, size: 7, stroke, fill: stroke },
              }
              : {
                label: series.label,
                stroke,
                width: series.width ?? 2,
                dash: series.dash ? [6, 4] : undefined,
                points: series.joined
                  ? { show: true, size: 8, stroke, fill: stroke }
                  : { show: false },
                spanGaps: series.joined ?? false,
              };
          }),
        ],
        hooks: spec.draw ? { draw: [spec.draw] } : {},
      },
      this.#data,
      this.container,
    );
  }
}
