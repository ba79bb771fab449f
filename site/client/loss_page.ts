/// <reference lib="dom" />
/**
 * A loss page: reads the inputs and options the user edits, asks the API, and shows the result,
 * the gradients, the per-element terms and their reduction, the curve, and code to reproduce it.
 *
 * @module
 */
import { holdsIndices, type OptionSpec } from "../../lib/core/definition.ts";
import type { LossPageData } from "../pages/loss.tsx";
import {
  compute,
  type ComputeAnswer,
  type ComputeRequest,
  fetchSample,
  type ShownProblem,
  toWire,
} from "./api.ts";
import { drawCurves } from "./curve.ts";
import { element, formatValue, tensorTable } from "./render.ts";
import { curlSnippet, pythonSnippet, pytorchSnippet } from "./snippets.ts";
import { type FlatTensor, formatTensor, parseTensor, TensorTextError } from "./tensor_text.ts";

/** What the page embeds about its loss. */
type PageData = LossPageData;

/** How long edits wait before the page asks the API again, in milliseconds. */
export const DEBOUNCE_MS = 120;

class FieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** Reads the page's inputs and options into an API request, or throws a FieldError. */
function readRequest(data: PageData): ComputeRequest {
  const parsed: Record<string, FlatTensor> = {};
  for (const spec of data.inputs) {
    const text = byId<HTMLTextAreaElement>(`input-${spec.name}`).value;
    try {
      parsed[spec.name] = parseTensor(text);
    } catch (error) {
      const message = error instanceof TensorTextError ? error.message : String(error);
      throw new FieldError(`inputs.${spec.name}`, `inputs.${spec.name}: ${message}`);
    }
  }
  const inputs: ComputeRequest["inputs"] = {};
  const first = parsed[data.inputs[0].name];
  for (const spec of data.inputs) {
    const tensor = parsed[spec.name];
    const indices = spec.kind === "index" ||
      (spec.kind === "float-or-index" && holdsIndices(tensor.shape, first.shape));
    inputs[spec.name] = toWire(tensor, indices);
  }
  const options: Record<string, unknown> = {};
  for (const option of data.options) {
    const value = readOption(option);
    if (value !== undefined && value !== option.default) options[option.name] = value;
  }
  const dtype = byId<HTMLSelectElement>("dtype").value as ComputeRequest["dtype"];
  return { inputs, options, dtype };
}

function readOption(option: OptionSpec): unknown {
  const control = byId<HTMLInputElement & HTMLSelectElement>(`option-${option.name}`);
  const field = `options.${option.name}`;
  switch (option.type) {
    case "boolean":
      return control.checked;
    case "string":
      return control.value;
    case "tensor": {
      if (control.value.trim() === "" || control.value.trim() === "none") return undefined;
      try {
        return toWire(parseTensor(control.value));
      } catch (error) {
        throw new FieldError(field, `${field}: ${(error as Error).message}`);
      }
    }
    case "integer":
    case "number": {
      const value = control.value.trim() === "" ? NaN : Number(control.value);
      if (Number.isNaN(value)) throw new FieldError(field, `${field} must be a number`);
      return value;
    }
  }
}

/** The element that shows errors of `field`, and the control it belongs to. */
function errorSlot(field: string): { slot: HTMLElement; control: HTMLElement | null } {
  const input = /^inputs\.([A-Za-z0-9_]+)/.exec(field);
  const option = /^options\.([A-Za-z0-9_]+)/.exec(field);
  const id = input ? `input-${input[1]}` : option ? `option-${option[1]}` : "";
  const slot = id ? byId(`${id}-error`) : null;
  return slot ? { slot, control: byId(id) } : { slot: byId("form-error"), control: null };
}

function clearErrors(): void {
  for (const slot of document.querySelectorAll<HTMLElement>(".field-error")) {
    slot.hidden = true;
    slot.textContent = "";
  }
  for (const control of document.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
  }
}

function showError(field: string, message: string): void {
  const { slot, control } = errorSlot(field);
  slot.textContent = message;
  slot.hidden = false;
  control?.setAttribute("aria-invalid", "true");
}

function showAnswer(data: PageData, answer: ComputeAnswer): void {
  const output = byId<HTMLOutputElement>("output");
  const value = answer.output;
  output.textContent = value.shape.length === 0
    ? `${answer.loss} = ${formatValue(value.data[0])} (${answer.dtype})`
    : `${answer.loss}: a tensor of shape [${value.shape.join(", ")}] (${answer.dtype})`;
  output.dataset.value = value.shape.length === 0 ? String(value.data[0]) : "";
  const warnings = byId<HTMLUListElement>("warnings");
  warnings.replaceChildren(
    ...answer.warnings.map((warning) => element("li", "", `PyTorch warns: ${warning}`)),
  );
  warnings.hidden = answer.warnings.length === 0;
  const grads = byId("grads");
  grads.replaceChildren();
  if (value.shape.length > 0) {
    grads.append(tensorTable(value, "output (reduction = none)"));
  }
  for (const spec of data.inputs) {
    const grad = answer.grads[spec.name];
    if (grad) grads.append(tensorTable(grad, `∂ loss / ∂ ${spec.name}`, true));
  }
}

function showByHand(data: PageData, reduction: string, terms: FlatTensor, result: number): void {
  const panel = byId("by-hand");
  panel.replaceChildren(tensorTable(terms, "loss of each element (reduction = none)"));
  const sum = terms.data.reduce((total, term) => total + term, 0);
  const n = terms.data.length;
  const lines: string[] = [];
  if (reduction === "sum") {
    lines.push(`sum of the ${n} terms = ${formatValue(sum)}`);
  } else if (reduction === "mean") {
    lines.push(`sum of the ${n} terms = ${formatValue(sum)}`);
    const plain = sum / n;
    if (Math.abs(plain - result) <= 1e-4 * Math.max(1, Math.abs(result))) {
      lines.push(`mean = ${formatValue(sum)} / ${n} = ${formatValue(result)}`);
    } else {
      const divisor = sum / result;
      lines.push(
        `mean = ${formatValue(sum)} / ${formatValue(divisor)} = ${formatValue(result)}, ` +
          `dividing by ${data.meanDivisor ?? "the loss's own divisor"}`,
      );
    }
  } else if (reduction === "batchmean") {
    lines.push(`sum of the ${n} terms = ${formatValue(sum)}`);
    lines.push(
      `batchmean = ${formatValue(sum)} / ${formatValue(sum / result)} (the batch size) = ` +
        formatValue(result),
    );
  } else {
    lines.push("reduction = none: the output is these terms.");
  }
  const list = element("ul", "reduction-steps");
  list.append(...lines.map((line) => element("li", "", line)));
  panel.append(list);
}

function showSnippets(data: PageData, request: ComputeRequest): void {
  const origin = location.origin;
  byId("snippet-curl").textContent = curlSnippet(origin, data, request);
  byId("snippet-python").textContent = pythonSnippet(origin, data, request);
  byId("snippet-pytorch").textContent = pytorchSnippet(data, request);
}

function wireCopyButtons(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>("button[data-copy]")) {
    const label = button.textContent ?? "";
    button.addEventListener("click", async () => {
      const text = byId(button.dataset.copy!).textContent ?? "";
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select the text to copy";
      }
      setTimeout(() => (button.textContent = label), 1500);
    });
  }
}

function wireSliders(): void {
  for (const slider of document.querySelectorAll<HTMLInputElement>("input[data-slider-for]")) {
    const number = byId<HTMLInputElement>(slider.dataset.sliderFor!);
    slider.addEventListener("input", () => {
      number.value = String(Number(Number(slider.value).toPrecision(4)));
      number.dispatchEvent(new Event("input", { bubbles: true }));
    });
    number.addEventListener("input", () => {
      if (number.value !== "") slider.value = number.value;
    });
  }
}

/** Fills the inputs with a new seeded draw from the loss's sampler. */
function fillSample(data: PageData, sample: Record<string, FlatTensor>): void {
  for (const spec of data.inputs) {
    const tensor = sample[spec.name];
    const area = byId<HTMLTextAreaElement>(`input-${spec.name}`);
    area.value = formatTensor(tensor, tensor.dtype === "int");
    area.rows = Math.min(12, area.value.split("\n").length + 1);
  }
}

/** Starts a loss page. */
export function startLossPage(): void {
  const data: PageData = JSON.parse(byId("loss-data").textContent ?? "{}");
  const form = byId<HTMLFormElement>("compute");
  let seed = data.seed;
  let pending: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const recompute = async () => {
    pending?.abort();
    const controller = new AbortController();
    pending = controller;
    clearErrors();
    let request: ComputeRequest;
    try {
      request = readRequest(data);
    } catch (error) {
      if (error instanceof FieldError) showError(error.field, error.message);
      byId("output").classList.add("stale");
      return;
    }
    showSnippets(data, request);
    const reduction = String(request.options.reduction ?? "mean");
    try {
      const main = await compute(data.slug, { ...request, grad: true }, controller.signal);
      if ("problem" in main) return showProblem(main.problem);
      byId("output").classList.remove("stale");
      showAnswer(data, main.answer);
      const terms = reduction === "none" ? main : await compute(
        data.slug,
        { ...request, options: { ...request.options, reduction: "none" } },
        controller.signal,
      );
      if ("answer" in terms) {
        showByHand(data, reduction, terms.answer.output, main.answer.output.data[0]);
      }
      if (data.curve) await drawCurves(byId("curve"), data, request, controller.signal);
    } catch (error) {
      if ((error as Error).name !== "AbortError") {
        showError("", `The API could not be reached: ${(error as Error).message}`);
      }
    }
  };

  const showProblem = (problem: ShownProblem) => {
    byId("output").classList.add("stale");
    byId("output").textContent = `No result: ${problem.title}`;
    showError(problem.field ?? "", problem.detail);
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(recompute, DEBOUNCE_MS);
  };

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (event) => event.preventDefault());
  byId("random").addEventListener("click", async () => {
    seed += 1;
    clearErrors();
    const answer = await fetchSample(data.slug, seed).catch((error: Error) => ({
      problem: { status: 0, title: "Network error", detail: error.message },
    }));
    if ("problem" in answer) return showError("", answer.problem.detail);
    fillSample(data, answer.inputs);
    byId("seed-note").textContent = `seed ${seed}`;
    schedule();
  });
  wireSliders();
  wireCopyButtons();
  recompute();
}
