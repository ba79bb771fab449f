/// <reference lib="dom" />
/**
 * The sweep of a loss page as two charts drawn with uPlot: the loss of the worked element as one
 * input value varies (above) and its derivative with respect to that value (below), on one x
 * axis, with the current inputs marked on both and their values written out.  A pointer, a tap
 * or the arrow keys (on a focused chart) read the values at other points.  Colours come from
 * the page's CSS, so the charts follow the light or dark scheme.
 *
 * The charts are created once their figure comes near the screen (on a phone it starts three
 * screens below the top), and uPlot is evaluated then, in a task of its own: its module sets up
 * its number and date formats (`Intl`) as it is evaluated, the largest single part of the page's
 * script (a quarter of it), and creating a chart lays out the figure around it.  Once created,
 * the charts redraw at once.
 *
 * @module
 */
import type uPlot from "uplot";
import type { ExplainAnswer } from "./api.ts";
import { formatValue, nextTask } from "./render.ts";

/** A sweep as the API answers it. */
export type Sweep = NonNullable<ExplainAnswer["sweep"]>;

interface Chart {
  plot: uPlot;
  container: HTMLElement;
  values: () => number[];
}

/** The colours of the charts, read from the page's CSS custom properties. */
function colours() {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    loss: read("--chart-loss", "#1f4f8f"),
    slope: read("--chart-slope", "#b3461c"),
    axis: read("--chart-axis", "#4d5660"),
    grid: read("--chart-grid", "#e3e7eb"),
    marker: read("--chart-marker", "#1b1f24"),
    paper: read("--paper", "#ffffff"),
  };
}

const finite = (value: number) => (Number.isFinite(value) ? value : null);

let loading: Promise<typeof uPlot> | null = null;

/** uPlot, loaded (its module evaluated) the first time it is needed. */
function loadUPlot(): Promise<typeof uPlot> {
  return loading ??= import("uplot").then((module) => module.default);
}

/** How near the screen a figure is when its charts are created: a screen's height away. */
const NEAR_SCREEN = "100% 0px";

/** The two charts of a page: create once with {@link SweepCharts.draw}, redraw with new data. */
export class SweepCharts {
  #charts: Chart[] = [];
  #sweep: Sweep | null = null;
  #cursor = -1;
  #observer: ResizeObserver | null = null;
  /** uPlot, once loaded. */
  #uPlot: typeof uPlot | null = null;
  /** Whether the figure is near the screen, as its observer last said (null: not said yet). */
  #near: boolean | null = null;
  /** Whether the charts are being created (uPlot loading). */
  #creating = false;

  constructor(
    readonly loss: HTMLElement,
    readonly slope: HTMLElement,
    /** Where the value at the pointer or keyboard cursor is read out. */
    readonly point: HTMLElement,
    /** Called when {@link pending} turns false. */
    readonly settled: () => void = () => {},
  ) {
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
      if (this.#charts.length) this.#rebuild();
    });
    for (const container of [loss, slope]) {
      this.#wireKeys(container);
      this.#wireTouch(container);
    }
    const figure = loss.parentElement ?? loss;
    if (typeof IntersectionObserver === "undefined") this.#near = true;
    else {
      new IntersectionObserver((entries) => {
        this.#near = entries.at(-1)!.isIntersecting;
        this.#create();
      }, { rootMargin: NEAR_SCREEN }).observe(figure);
    }
  }

  /**
   * Whether a sweep is waiting to be drawn while its figure is near the screen (uPlot loading,
   * or the figure's position not known yet): a figure far from the screen waits for nothing.
   */
  get pending(): boolean {
    return this.#sweep !== null && this.#charts.length === 0 && this.#near !== false;
  }

  /** Draws `sweep`: at once on charts there are, else once the figure is near the screen. */
  draw(sweep: Sweep): void {
    this.#sweep = sweep;
    if (this.#charts.length === 0) this.#create();
    else {
      for (const chart of this.#charts) {
        chart.plot.setData([sweep.x, chart.values().map(finite)]);
      }
    }
  }

  /** Creates the charts of the current sweep if there are none and the figure is near. */
  async #create(): Promise<void> {
    if (this.#creating || this.#charts.length || !this.#sweep || !this.#near) {
      if (!this.pending) this.settled();
      return;
    }
    this.#creating = true;
    try {
      if (!this.#uPlot) {
        // uPlot's module in a task of its own, and the charts in the next one.
        await nextTask();
        this.#uPlot = await loadUPlot();
        await nextTask();
      }
      // Drawn even if the figure was scrolled past meanwhile: it was near.
      if (this.#sweep && this.#charts.length === 0) this.#rebuild();
    } finally {
      this.#creating = false;
      if (!this.pending) this.settled();
    }
  }

  /** Removes the charts (when there is no current sweep to show). */
  clear(): void {
    this.#sweep = null;
    this.#destroy();
    for (const container of [this.loss, this.slope]) {
      delete container.dataset.marked;
      container.replaceChildren();
    }
  }

  #destroy(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    for (const chart of this.#charts) chart.plot.destroy();
    this.#charts = [];
  }

  #size(container: HTMLElement) {
    const width = Math.max(240, container.clientWidth || 480);
    return { width, height: Math.round(Math.max(120, Math.min(160, width * 0.32))) };
  }

  #rebuild(): void {
    const sweep = this.#sweep;
    const UPlot = this.#uPlot;
    this.#destroy();
    if (!sweep || !UPlot) return;
    const colour = colours();
    const make = (container: HTMLElement, values: () => number[], stroke: string, name: string) => {
      container.replaceChildren();
      const axis = {
        stroke: colour.axis,
        grid: { stroke: colour.grid, width: 1 },
        ticks: { stroke: colour.grid, width: 1 },
        font: "12px system-ui, sans-serif",
      };
      const plot = new UPlot(
        {
          ...this.#size(container),
          scales: { x: { time: false } },
          legend: { show: false },
          cursor: {
            sync: { key: "sweep" },
            drag: { x: false, y: false },
            points: { size: 7, fill: stroke },
          },
          axes: [axis, { ...axis, size: 56 }],
          series: [{}, { label: name, stroke, width: 2, points: { show: false } }],
          hooks: {
            draw: [(u: uPlot) => this.#mark(u, container, name === "loss" ? "loss" : "slope")],
            setCursor: [(u: uPlot) => this.#readCursor(u.cursor.idx ?? null)],
          },
        },
        [sweep.x, values().map(finite)],
        container,
      );
      this.#charts.push({ plot, container, values });
    };
    make(this.loss, () => this.#sweep!.loss, colour.loss, "loss");
    make(this.slope, () => this.#sweep!.slope, colour.slope, "slope");
    this.#observer = new ResizeObserver(() => {
      for (const chart of this.#charts) chart.plot.setSize(this.#size(chart.container));
    });
    this.#observer.observe(this.loss);
  }

  /** Marks the current inputs on a chart: a dashed line at their x, a ring at their value. */
  #mark(u: uPlot, container: HTMLElement, which: "loss" | "slope"): void {
    const sweep = this.#sweep;
    if (!sweep) return;
    const colour = colours();
    const { x } = sweep.current;
    const y = sweep.current[which];
    const ctx = u.ctx;
    const left = u.valToPos(x, "x", true);
    const { top, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = colour.marker;
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(left, top);
    ctx.lineTo(left, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    if (Number.isFinite(y)) {
      const at = u.valToPos(y, "y", true);
      ctx.beginPath();
      ctx.arc(left, at, 6 * devicePixelRatio, 0, 2 * Math.PI);
      ctx.fillStyle = colour.paper;
      ctx.fill();
      ctx.lineWidth = 2.5 * devicePixelRatio;
      ctx.stroke();
    }
    ctx.restore();
    container.dataset.marked = `${x},${y}`;
  }

  #readCursor(index: number | null): void {
    const sweep = this.#sweep;
    if (!sweep || index === null || index < 0 || index >= sweep.x.length) return;
    this.#cursor = index;
    this.point.textContent = `At ${formatValue(sweep.x[index])}: loss ${
      formatValue(sweep.loss[index])
    }, gradient ${formatValue(sweep.slope[index])}.`;
  }

  /** A finger on a chart moves the cursor of both charts (uPlot follows only the mouse). */
  #wireTouch(container: HTMLElement): void {
    const follow = (event: PointerEvent) => {
      if (event.pointerType === "mouse") return;
      const chart = this.#charts.find((c) => c.container === container);
      const over = container.querySelector(".u-over");
      if (!chart || !over) return;
      const box = over.getBoundingClientRect();
      const left = Math.max(0, Math.min(box.width, event.clientX - box.left));
      chart.plot.setCursor({ left, top: Math.max(0, event.clientY - box.top) });
    };
    container.addEventListener("pointerdown", follow);
    container.addEventListener("pointermove", follow);
  }

  /** Arrow keys on a focused chart move the cursor of both charts along the sweep. */
  #wireKeys(container: HTMLElement): void {
    container.addEventListener("keydown", (event) => {
      const sweep = this.#sweep;
      if (!sweep) return;
      const steps: Record<string, number> = {
        ArrowRight: 1,
        ArrowLeft: -1,
        PageUp: 10,
        PageDown: -10,
      };
      let index: number;
      if (event.key in steps) {
        const start = this.#cursor >= 0 ? this.#cursor : nearest(sweep.x, sweep.current.x);
        index = Math.max(0, Math.min(sweep.x.length - 1, start + steps[event.key]));
      } else if (event.key === "Home") index = 0;
      else if (event.key === "End") index = sweep.x.length - 1;
      else return;
      event.preventDefault();
      // The values are read out whether or not the charts are drawn yet.
      const chart = this.#charts.find((c) => c.container === container) ?? this.#charts[0];
      if (chart) {
        const left = chart.plot.valToPos(sweep.x[index], "x");
        const value = chart.values()[index];
        const top = Number.isFinite(value) ? chart.plot.valToPos(value, "y") : 0;
        chart.plot.setCursor({ left, top });
      }
      this.#readCursor(index);
    });
  }
}

/** The index of the value of `xs` nearest to `x`. */
function nearest(xs: number[], x: number): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) {
    if (Math.abs(xs[i] - x) < Math.abs(xs[best] - x)) best = i;
  }
  return best;
}
