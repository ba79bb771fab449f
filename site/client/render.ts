/// <reference lib="dom" />
/**
 * Drawing numbers: values with four decimals, and tensors as grids, coloured by sign and size
 * when they are gradients.
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
  return value.toFixed(4);
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

/** The label of row `r` of a grid: its index in every leading dimension. */
function rowLabel(shape: number[], row: number): string {
  const leading = shape.slice(0, -1);
  const index: number[] = [];
  for (let d = leading.length - 1; d >= 0; d--) {
    index.unshift(row % leading[d]);
    row = Math.floor(row / leading[d]);
  }
  return index.length ? `[${index.join(", ")}]` : "";
}

/**
 * A table of a tensor's values, the last dimension across.  With `diverging`, cells are
 * coloured red for positive and blue for negative values, in proportion to the largest
 * magnitude: a heatmap of a gradient.
 */
export function tensorTable(tensor: FlatTensor, caption: string, diverging = false): HTMLElement {
  const table = element("table", diverging ? "grid heatmap" : "grid");
  table.append(element("caption", "", caption));
  const { rows, columns } = gridOf(tensor.shape);
  let scale = 0;
  for (const value of tensor.data) {
    if (Number.isFinite(value)) scale = Math.max(scale, Math.abs(value));
  }
  const body = element("tbody");
  for (let r = 0; r < rows; r++) {
    const row = element("tr");
    if (tensor.shape.length > 1) {
      const head = element("th", "", rowLabel(tensor.shape, r));
      head.scope = "row";
      row.append(head);
    }
    for (let c = 0; c < columns; c++) {
      const value = tensor.data[r * columns + c];
      const cell = element("td", "", formatValue(value));
      if (diverging && scale > 0 && Number.isFinite(value)) {
        const strength = Math.abs(value) / scale;
        const hue = value >= 0 ? "var(--positive-rgb)" : "var(--negative-rgb)";
        cell.style.background = `rgb(${hue} / ${(0.08 + 0.6 * strength).toFixed(3)})`;
      }
      row.append(cell);
    }
    body.append(row);
  }
  table.append(body);
  const wrapper = element("div", "grid-wrap");
  wrapper.tabIndex = 0;
  wrapper.setAttribute("role", "region");
  wrapper.setAttribute("aria-label", caption);
  wrapper.append(table);
  return wrapper;
}
