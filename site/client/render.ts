/// <reference lib="dom" />
/**
 * Drawing numbers: values with four decimals, and tensors as tables with their row and column
 * indices, coloured as heatmaps on a scale that one extreme value does not wash out
 * ({@link robustScale}), with a colour key and a readout of the exact value of the cell under
 * the pointer, the finger or the keyboard's focus.
 *
 * @module
 */
import type { FlatTensor } from "./tensor_text.ts";

/** A number as PyTorch prints it: four decimals, `nan`, `inf`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-4)) return value.toExponential(4);
  const text = value.toFixed(4);
  return text === "-0.0000" ? "0.0000" : text;
}

/** A number with every digit it has (for readouts), `nan`, `inf`. */
export function exactValue(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return String(value);
}

/**
 * Resolves in a task of its own: work after it runs once the browser has had its turn (input,
 * a frame), so that a long piece of work does not block the page as one task.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Creates an element with a class and text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text = "",
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** The rows and columns a tensor is drawn as: its last dimension across, the rest down. */
function gridOf(shape: number[]): { rows: number; columns: number } {
  if (shape.length === 0) return { rows: 1, columns: 1 };
  const columns = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { rows, columns };
}

/** The indices of row `row` in every leading dimension. */
function rowIndex(shape: number[], row: number): number[] {
  const leading = shape.slice(0, -1);
  const index: number[] = [];
  for (let d = leading.length - 1; d >= 0; d--) {
    index.unshift(row % leading[d]);
    row = Math.floor(row / leading[d]);
  }
  return index;
}

/** How values map to colours: magnitudes up to `limit`, beyond which they are clipped. */
export interface Scale {
  /** The magnitude drawn at full colour. */
  limit: number;
  /** The largest finite magnitude. */
  max: number;
  /** How many finite values lie beyond `limit`. */
  clipped: number;
}

/** How far past the 75th percentile of the magnitudes the scale reaches before it clips. */
export const CLIP_FACTOR = 4;

/**
 * The colour scale of `values`: full colour at the largest magnitude, unless that is more than
 * {@link CLIP_FACTOR} times the 75th percentile of the non-zero magnitudes; then at that
 * bound, and the values beyond it are drawn at full colour and marked as clipped.  One extreme
 * value thus leaves the others readable, while values of one size (a Gaussian's) are never
 * clipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { robustScale } from "./render.ts";
 * assert.deepEqual(robustScale([0.1, -0.2, 0.3]), { limit: 0.3, max: 0.3, clipped: 0 });
 * const outlier = robustScale([0.1, 0.1, -0.1, 0.1, 100]);
 * assert.ok(Math.abs(outlier.limit - 0.4) < 1e-12 && outlier.clipped === 1);
 * ```
 */
export function robustScale(values: ArrayLike<number>): Scale {
  const magnitudes: number[] = [];
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i]);
    if (!Number.isFinite(magnitude) || magnitude === 0) continue;
    magnitudes.push(magnitude);
    if (magnitude > max) max = magnitude;
  }
  if (magnitudes.length < 4) return { limit: max, max, clipped: 0 };
  magnitudes.sort((a, b) => a - b);
  const at = 0.75 * (magnitudes.length - 1);
  const low = Math.floor(at);
  const p75 = magnitudes[low] + (magnitudes[Math.ceil(at)] - magnitudes[low]) * (at - low);
  const limit = Math.min(max, CLIP_FACTOR * p75);
  return { limit, max, clipped: magnitudes.filter((m) => m > limit).length };
}

/** The most cells a table draws; a larger tensor shows its first rows and says so. */
export const MAX_CELLS = 2_500;

/** How a tensor is drawn by {@link tensorTable}. */
export interface TableOptions {
  /** Colour the cells: `diverging` (red positive, blue negative) or `sequential` (one hue). */
  heat?: "diverging" | "sequential";
  /** The tensor's name in the readout: `∂ℓ/∂input` gives `∂ℓ/∂input[2][1] = …`. */
  name?: string;
  /** Called with the flat index of a cell that is clicked, tapped or chosen with Enter. */
  onPick?: (index: number) => void;
  /** The flat index of the cell to mark as chosen. */
  picked?: number;
}

/**
 * A table of a tensor's values, the last dimension across and the others down, each labelled by
 * its indices.  With `heat`, cells are coloured on the tensor's {@link robustScale} with a key
 * below; the exact value of a cell is read out on hover, tap or keyboard focus (the arrow keys
 * move between cells).
 */
export function tensorTable(
  tensor: FlatTensor,
  caption: string,
  options: TableOptions | boolean = {},
): HTMLElement {
  const settings: TableOptions = typeof options === "boolean"
    ? (options ? { heat: "diverging" } : {})
    : options;
  const { heat, name = "", onPick, picked } = settings;
  const table = element("table", heat ? "grid heatmap" : "grid");
  // The caption is read with the table; its visible twin above is not held to the table's width.
  table.append(element("caption", "visually-hidden", caption));
  const { rows, columns } = gridOf(tensor.shape);
  const shownRows = columns === 0
    ? rows
    : Math.min(rows, Math.max(1, Math.floor(MAX_CELLS / columns)));
  const scale = robustScale(tensor.data);
  const diverging = heat === "diverging";
  const leading = tensor.shape.length > 1;
  const head = element("thead");
  const headRow = element("tr");
  if (leading) {
    const corner = element("td", "corner");
    corner.setAttribute("aria-hidden", "true");
    headRow.append(corner);
  }
  if (tensor.shape.length > 0) {
    for (let c = 0; c < columns; c++) {
      const th = element("th", "", String(c));
      th.scope = "col";
      headRow.append(th);
    }
    head.append(headRow);
    table.append(head);
  }
  const body = element("tbody");
  const cells: HTMLTableCellElement[] = [];
  for (let r = 0; r < shownRows; r++) {
    const row = element("tr");
    if (leading) {
      const th = element("th", "", rowIndex(tensor.shape, r).join(", "));
      th.scope = "row";
      row.append(th);
    }
    for (let c = 0; c < columns; c++) {
      const index = r * columns + c;
      const value = tensor.data[index];
      const cell = element("td", "", formatValue(value));
      cell.dataset.index = String(index);
      cell.tabIndex = -1;
      if (heat) paint(cell, value, scale, diverging);
      if (index === picked) cell.classList.add("picked");
      cells.push(cell);
      row.append(cell);
    }
    body.append(row);
  }
  table.append(body);
  const wrapper = element("div", "grid-wrap");
  wrapper.tabIndex = 0;
  wrapper.setAttribute("role", "region");
  wrapper.setAttribute("aria-label", `${caption}: use the arrow keys to read each value`);
  wrapper.append(table);
  const box = element("div", "tensor-view");
  const title = element("p", "table-title", caption);
  title.setAttribute("aria-hidden", "true");
  box.append(title, wrapper);
  if (shownRows < rows) {
    box.append(
      element(
        "p",
        "help",
        `Showing the first ${shownRows} of ${rows} rows (${tensor.data.length} values).`,
      ),
    );
  }
  if (heat && scale.max > 0) box.append(colourKey(scale, diverging));
  const readout = element(
    "p",
    "readout hint",
    cells.length
      ? "Point at or tap a cell, or focus the table and use the arrow keys, for its exact value."
      : "No values.",
  );
  readout.setAttribute("aria-live", "polite");
  box.append(readout);
  wireReadout(tensor, wrapper, cells, readout, columns, name, onPick);
  return box;
}

function paint(cell: HTMLElement, value: number, scale: Scale, diverging: boolean): void {
  if (!Number.isFinite(value)) {
    cell.classList.add("nonfinite");
    return;
  }
  if (scale.limit === 0) return;
  const magnitude = Math.abs(value);
  const strength = Math.min(1, magnitude / scale.limit);
  const hue = !diverging || value >= 0 ? "var(--positive-rgb)" : "var(--negative-rgb)";
  cell.style.background = `rgb(${hue} / ${(0.06 + 0.6 * strength).toFixed(3)})`;
  if (magnitude > scale.limit) cell.classList.add("clipped");
}

/** The key of a heatmap: the colours from −limit (or 0) to +limit, and what is clipped. */
function colourKey(scale: Scale, diverging: boolean): HTMLElement {
  const key = element("div", diverging ? "colour-key diverging" : "colour-key sequential");
  key.setAttribute("role", "img");
  const low = diverging ? `−${formatValue(scale.limit)}` : "0";
  key.setAttribute(
    "aria-label",
    diverging
      ? `Colour key: blue for negative values down to ${low}, red for positive values up to ${
        formatValue(scale.limit)
      }`
      : `Colour key: from 0 to ${formatValue(scale.limit)}`,
  );
  const bar = element("span", "bar");
  const labels = element("span", "labels");
  labels.append(element("span", "", low));
  if (diverging) labels.append(element("span", "", "0"));
  labels.append(element("span", "", formatValue(scale.limit)));
  key.append(bar, labels);
  if (scale.clipped > 0) {
    key.append(
      element(
        "span",
        "clip-note",
        `${scale.clipped} ${scale.clipped === 1 ? "value lies" : "values lie"} beyond ±${
          formatValue(scale.limit)
        } (up to ${
          formatValue(scale.max)
        }): full colour, outlined. The scale stops at ${CLIP_FACTOR}× the 75th percentile of the magnitudes, so that one extreme value does not wash out the others.`,
      ),
    );
  }
  return key;
}

function wireReadout(
  tensor: FlatTensor,
  wrapper: HTMLElement,
  cells: HTMLTableCellElement[],
  readout: HTMLElement,
  columns: number,
  name: string,
  onPick?: (index: number) => void,
): void {
  if (cells.length === 0) return;
  let active = -1;
  const show = (index: number) => {
    const value = tensor.data[index];
    const indices = tensor.shape.length === 0 ? [] : [
      ...rowIndex(tensor.shape, Math.floor(index / columns)),
      index % columns,
    ];
    const where = indices.map((i) => `[${i}]`).join("");
    readout.classList.remove("hint");
    readout.textContent = `${name}${where}${name || where ? " = " : ""}${exactValue(value)}`;
  };
  const focus = (position: number) => {
    if (active >= 0) cells[active].classList.remove("active");
    active = Math.max(0, Math.min(cells.length - 1, position));
    const cell = cells[active];
    cell.classList.add("active");
    cell.scrollIntoView({ block: "nearest", inline: "nearest" });
    show(Number(cell.dataset.index));
  };
  wrapper.addEventListener("keydown", (event) => {
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: columns,
      ArrowUp: -columns,
      Home: -active,
      End: cells.length,
    };
    if (event.key in moves) {
      event.preventDefault();
      focus(active < 0 ? 0 : active + moves[event.key]);
    } else if ((event.key === "Enter" || event.key === " ") && active >= 0 && onPick) {
      event.preventDefault();
      onPick(Number(cells[active].dataset.index));
    }
  });
  wrapper.addEventListener("focus", () => {
    if (active < 0) focus(0);
  });
  const cellOf = (target: EventTarget | null) =>
    (target as HTMLElement | null)?.closest?.("td[data-index]") as HTMLElement | null;
  wrapper.addEventListener("pointerover", (event) => {
    const cell = cellOf(event.target);
    if (cell) show(Number(cell.dataset.index));
  });
  wrapper.addEventListener("click", (event) => {
    const cell = cellOf(event.target);
    if (!cell) return;
    const index = Number(cell.dataset.index);
    focus(cells.findIndex((c) => c === cell));
    onPick?.(index);
  });
  if (onPick) wrapper.classList.add("pickable");
}
