/// <reference lib="dom" />
/**
 * A loss page: reads the inputs and options the user edits, keeps them in the URL, asks the API
 * to explain them (one request per redraw), and shows the answer: the formula for the options
 * in force, the result, the sweep's two charts, the worked element, the per-element losses and
 * their reduction, the gradients, advice beside the field it names, and code to reproduce it.
 *
 * Nothing shown is older than the inputs: while they do not parse, or the API rejects them,
 * every number is taken away, and an answer that comes back after newer inputs were made
 * invalid is dropped.  One request is in flight at a time; edits made meanwhile are sent when
 * it returns (so a dragged slider redraws as fast as the API answers), and a request that takes
 * too long is abandoned for the newest inputs.
 *
 * @module
 */
import { holdsIndices, type OptionSpec } from "../../lib/core/definition.ts";
import type { LossPageData } from "../pages/loss.tsx";
import { formulaCaseFor } from "./formula_case.ts";
import {
  type ComputeRequest,
  explain,
  type ExplainAnswer,
  fetchSample,
  type ShownProblem,
  type Step,
  toWire,
} from "./api.ts";
import { fitFormulas } from "./fit.ts";
import { element, formatValue, nextTask, tensorTable } from "./render.ts";
import { mathNode, richNodes } from "./rich_text.ts";
import { curlSnippet, pythonSnippet, pytorchSnippet, sourceSnippet } from "./snippets.ts";
import { SweepCharts } from "./sweep_chart.ts";
import { type FlatTensor, formatTensor, parseTensor, TensorTextError } from "./tensor_text.ts";
import {
  decodeTensorValue,
  encodeTensorValue,
  type Fragment,
  fragmentOf,
  stateOf,
  type StateValues,
} from "./url_state.ts";

/** The points of the sweep. */
export const SWEEP_POINTS = 101;

/** How long a request may take before newer inputs abandon it, in milliseconds. */
export const PATIENCE_MS = 400;

/** How long the URL waits for edits to settle before it is rewritten, in milliseconds. */
export const URL_DELAY_MS = 250;

class FieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** A tensor as the page prints it: four decimals when that loses nothing, else every digit. */
export function displayTensor(tensor: FlatTensor, integer: boolean): string {
  if (integer) return formatTensor(tensor, true);
  const exact = tensor.data.some((v) => Number.isFinite(v) && Number(v.toFixed(4)) !== v);
  return formatTensor(tensor, false, exact);
}

/** Starts a loss page. */
export function startLossPage(): void {
  const data: LossPageData = JSON.parse(byId("loss-data").textContent ?? "{}");
  new LossPage(data).start();
}

class LossPage {
  readonly form = byId<HTMLFormElement>("compute");
  readonly charts = new SweepCharts(
    byId("sweep-loss"),
    byId("sweep-slope"),
    byId("sweep-point"),
    () => this.markBusy(),
  );
  seed: number;
  element = 0;
  count = 0;
  /** The state of the page as it loaded, before its URL was read: what the URL leaves out. */
  defaults: StateValues = {};
  /** Every change of the inputs counts one; answers carry the version they were asked for. */
  version = 0;
  rendered = 0;
  /** The version at which numbers were last taken away (invalid inputs, a failed request). */
  cleared = 0;
  inFlight: { controller: AbortController; started: number } | null = null;
  queued = false;
  lastSent = "";
  renders = 0;
  /** Counts the answers shown: what is left to show of one is dropped once a newer is shown. */
  shown = 0;
  /** Whether parts of the answer shown are still to come (see {@link showAnswer}). */
  showing = false;
  urlTimer: ReturnType<typeof setTimeout> | undefined;
  urlWrites = 0;
  sampleRequests = 0;

  constructor(readonly data: LossPageData) {
    this.seed = data.seed;
  }

  start(): void {
    this.defaults = this.values();
    this.form.addEventListener("input", () => this.update());
    this.form.addEventListener("change", () => this.update());
    this.form.addEventListener("submit", (event) => event.preventDefault());
    byId("random").addEventListener("click", () => this.randomInputs());
    byId("copy-link").addEventListener("click", () => this.copyLink());
    const picker = byId<HTMLInputElement>("element");
    picker.addEventListener("input", () => {
      const value = Number(picker.value);
      if (picker.value !== "" && Number.isSafeInteger(value) && value >= 0) this.pick(value);
    });
    byId("element-previous").addEventListener("click", () => this.pick(this.element - 1));
    byId("element-next").addEventListener("click", () => this.pick(this.element + 1));
    addEventListener("popstate", () => this.restore(true));
    wireSliders();
    wireCopyButtons();
    // The page's entry has fitted the formulas.  The URL's state and the first request come in
    // a task of their own: with the start, they were one long task on a slow phone.
    void nextTask().then(() => this.restore(false));
  }

  /** Reads the URL's state into the controls, then computes. */
  async restore(fromHistory: boolean): Promise<void> {
    const fragment = location.hash.slice(1);
    const state = await stateOf(fragment);
    if (fromHistory && fragment !== "" && Object.keys(state).length === 0) {
      // An anchor (the skip link): keep the state, and put it back in the address.
      this.writeUrl(0);
      return;
    }
    this.apply({ ...this.defaults, ...state });
    const omitted = state.omitted ? state.omitted.split(",") : [];
    this.showOmitted(omitted, true);
    this.lastSent = "";
    this.update(false);
  }

  // ----- the state: controls ⇄ values ⇄ URL -----

  /** The state of every control, as the URL writes it. */
  values(): StateValues {
    const values: StateValues = {};
    for (const spec of this.data.inputs) {
      values[spec.name] = tensorValue(byId<HTMLTextAreaElement>(`input-${spec.name}`).value);
    }
    for (const option of this.data.options) values[option.name] = optionText(option);
    values.dtype = byId<HTMLSelectElement>("dtype").value;
    values.seed = String(this.seed);
    values.element = String(this.element);
    return values;
  }

  /** Sets every control from `values`. */
  apply(values: StateValues): void {
    const first = decodeTensorValue(values[this.data.inputs[0].name] ?? "");
    for (const spec of this.data.inputs) {
      const area = byId<HTMLTextAreaElement>(`input-${spec.name}`);
      const value = values[spec.name] ?? "";
      const tensor = value.startsWith("'") ? null : decodeTensorValue(value);
      if (tensor) {
        const integer = spec.kind === "index" ||
          (spec.kind === "float-or-index" && tensor.data.every(Number.isInteger) &&
            (!first || holdsIndices(tensor.shape, first.shape)));
        area.value = displayTensor(tensor, integer);
      } else {
        area.value = value.startsWith("'") ? value.slice(1) : value;
      }
      area.rows = Math.min(10, area.value.split("\n").length + 1);
    }
    for (const option of this.data.options) {
      const control = byId<HTMLInputElement & HTMLSelectElement>(`option-${option.name}`);
      const value = values[option.name] ?? "";
      if (option.type === "boolean") control.checked = value === "true";
      else if (option.type === "tensor") {
        const tensor = value.startsWith("'") ? null : decodeTensorValue(value);
        control.value = tensor
          ? displayTensor(tensor, false).replace(/\n\s*/g, " ")
          : value.replace(/^'/, "");
      } else control.value = value;
      const slider = document.getElementById(`option-${option.name}-slider`) as
        | HTMLInputElement
        | null;
      if (slider && control.value !== "") slider.value = control.value;
    }
    const dtype = byId<HTMLSelectElement>("dtype");
    dtype.value = values.dtype === "float64" ? "float64" : "float32";
    const seed = Number(values.seed);
    this.seed = Number.isSafeInteger(seed) && seed >= 0 ? seed : this.data.seed;
    byId("seed-note").textContent = `seed ${this.seed}`;
    const picked = Number(values.element);
    this.element = Number.isSafeInteger(picked) && picked >= 0 ? picked : 0;
    byId<HTMLInputElement>("element").value = String(this.element);
  }

  /** The tensors (inputs and tensor options) a link too long may leave out. */
  droppable(): string[] {
    return [
      ...this.data.inputs.map((spec) => spec.name),
      ...this.data.options.filter((option) => option.type === "tensor").map((o) => o.name),
    ];
  }

  /** Rewrites the URL from the controls after `delay` ms (with `push`, as a new entry). */
  writeUrl(delay = URL_DELAY_MS, push = false): Promise<void> {
    clearTimeout(this.urlTimer);
    document.body.dataset.urlPending = "true";
    return new Promise((resolve) => {
      this.urlTimer = setTimeout(async () => {
        const write = ++this.urlWrites;
        const fragment: Fragment = await fragmentOf(this.values(), this.defaults, this.droppable());
        if (write !== this.urlWrites) return resolve();
        delete document.body.dataset.urlPending;
        const url = `${location.pathname}${location.search}${
          fragment.fragment ? `#${fragment.fragment}` : ""
        }`;
        if (url !== `${location.pathname}${location.search}${location.hash}`) {
          if (push) history.pushState(null, "", url);
          else history.replaceState(null, "", url);
        }
        this.showOmitted(fragment.omitted, false);
        resolve();
      }, delay);
    });
  }

  showOmitted(omitted: string[], opened: boolean): void {
    const note = byId("link-omitted");
    note.hidden = omitted.length === 0;
    const names = omitted.map((name) => `\`${name}\``).join(", ");
    note.replaceChildren(
      ...richNodes(
        opened
          ? `This page was opened from a link that left out ${names}, too large to fit in it: ` +
            "the page's own values stand in their place."
          : `These inputs are too large for a link: it leaves out ${names}, and whoever opens ` +
            "it sees the page's own values in their place (the rest of the example is kept).",
      ),
    );
  }

  async copyLink(): Promise<void> {
    await this.writeUrl(0);
    const status = byId("link-status");
    try {
      await navigator.clipboard.writeText(location.href);
      status.textContent = "Link copied.";
    } catch {
      status.textContent = `Copy this address: ${location.href}`;
    }
  }

  // ----- computing -----

  /** Reads the controls and, when they changed, asks the API (or queues the request). */
  update(writeUrl = true): void {
    this.version++;
    this.showFormula();
    if (writeUrl) void this.writeUrl();
    let request: ComputeRequest;
    try {
      request = readRequest(this.data);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      this.clearErrors();
      this.showError(error.field, error.message);
      this.clear("No result: an input has an error (see below it).");
      this.lastSent = "";
      this.queued = false;
      this.markBusy();
      return;
    }
    const key = JSON.stringify([request, this.element]);
    if (key === this.lastSent && !this.queued) return;
    if (this.inFlight) {
      this.queued = true;
      this.markBusy();
      byId("result").classList.add("updating");
      if (performance.now() - this.inFlight.started > PATIENCE_MS) {
        this.inFlight.controller.abort();
      }
      return;
    }
    this.queued = false;
    void this.send(request, key, this.version);
  }

  /**
   * Marks the page busy while a request is in flight or queued, parts of its answer are still to
   * be shown, or its charts are on their way to a figure near the screen (`<body data-busy>`).
   */
  markBusy(): void {
    const busy = this.inFlight !== null || this.queued || this.showing || this.charts.pending;
    if (busy) document.body.dataset.busy = "true";
    else delete document.body.dataset.busy;
    byId("live").setAttribute("aria-busy", String(busy));
  }

  async send(request: ComputeRequest, key: string, version: number): Promise<void> {
    const controller = new AbortController();
    this.inFlight = { controller, started: performance.now() };
    this.markBusy();
    this.lastSent = key;
    this.showSnippets(request);
    const busy = setTimeout(() => byId("result").classList.add("updating"), 150);
    let result: { answer: ExplainAnswer } | { problem: ShownProblem } | { failed: string } | null;
    try {
      result = await explain(
        this.data.slug,
        { ...request, grad: true, element: this.element, points: SWEEP_POINTS },
        controller.signal,
      );
    } catch (error) {
      result = (error as Error).name === "AbortError" ? null : { failed: (error as Error).message };
    }
    clearTimeout(busy);
    this.inFlight = null;
    byId("result").classList.remove("updating");
    if (result && version > this.rendered && version > this.cleared) {
      this.rendered = version;
      this.render(result);
    }
    if (!result && this.lastSent === key) this.lastSent = "";
    if (this.queued) {
      this.queued = false;
      this.update(false);
    }
    this.markBusy();
  }

  render(result: { answer: ExplainAnswer } | { problem: ShownProblem } | { failed: string }): void {
    this.clearErrors();
    if ("failed" in result) {
      this.showError("", `The API could not be reached: ${result.failed}`);
      this.clear("No result: the API could not be reached.");
      return;
    }
    if ("problem" in result) {
      const { problem } = result;
      if (problem.field === "element" && this.element !== 0) {
        this.pick(0);
        return;
      }
      this.showError(problem.field ?? "", problem.detail);
      this.clear(`No result: ${problem.title}.`);
      return;
    }
    void this.showAnswer(result.answer);
  }

  /** Takes every number away, saying why. */
  clear(message: string): void {
    this.cleared = this.version;
    this.shown++;
    this.showing = false;
    const output = byId<HTMLOutputElement>("output");
    output.textContent = message;
    output.dataset.value = "";
    output.classList.add("stale");
    output.classList.remove("tensor");
    byId("result").dataset.state = "error";
    byId("warnings").hidden = true;
    byId("advice-summary").hidden = true;
    this.charts.clear();
    byId("sweep").classList.add("empty");
    byId("sweep-point").hidden = true;
    byId("sweep-what").textContent = "";
    byId("sweep-now").textContent = "No curve while the inputs have no result.";
    const none = () => element("p", "placeholder", "No numbers while the inputs have no result.");
    byId("worked").replaceChildren(none());
    byId("terms").replaceChildren();
    byId("reduction").replaceChildren();
    byId("grads").replaceChildren(none());
    byId("element-count").textContent = "";
    for (const code of document.querySelectorAll<HTMLElement>(".snippet code")) {
      code.textContent = "# No code while the inputs have no result.";
    }
    document.body.dataset.renders = String(++this.renders);
  }

  /**
   * Shows an answer: the result and the sweep at once, then the worked element and the
   * gradients, each in a task of its own, so that on a slow phone no one task blocks the page
   * for long.  A newer answer, or numbers taken away, drops what is left of this one.
   */
  async showAnswer(answer: ExplainAnswer): Promise<void> {
    const shown = ++this.shown;
    this.showing = true;
    const output = byId<HTMLOutputElement>("output");
    const value = answer.output;
    const scalar = value.shape.length === 0;
    output.textContent = scalar
      ? `${answer.loss} = ${formatValue(value.data[0])} (${answer.dtype})`
      : `${answer.loss}: a tensor of shape [${value.shape.join(", ")}], the loss of each ` +
        `element (${answer.dtype})`;
    output.dataset.value = scalar ? String(value.data[0]) : "";
    output.classList.remove("stale");
    output.classList.toggle("tensor", !scalar);
    byId("result").dataset.state = "ready";
    const warnings = byId<HTMLUListElement>("warnings");
    warnings.replaceChildren(
      ...answer.warnings.map((warning) => element("li", "", `PyTorch warns: ${warning}`)),
    );
    warnings.hidden = answer.warnings.length === 0;
    this.showAdvice(answer.advice);
    this.count = answer.count;
    this.element = answer.element;
    this.showSweep(answer);
    for (const part of [() => this.showWorked(answer), () => this.showGradients(answer)]) {
      await nextTask();
      if (shown !== this.shown) return;
      part();
    }
    this.showing = false;
    document.body.dataset.renders = String(++this.renders);
    this.markBusy();
  }

  showAdvice(advice: ExplainAnswer["advice"]): void {
    const summary = byId("advice-summary");
    summary.hidden = advice.length === 0;
    summary.replaceChildren();
    for (const hint of advice) {
      const { slot, control } = slotOf(hint.field, "advice");
      const note = element("p", "advice-note");
      note.dataset.code = hint.code;
      note.append(element("strong", "", "Advice: "), ...richNodes(hint.message));
      slot.append(note);
      slot.hidden = false;
      const line = element("span", "");
      line.append("Advice on ");
      const link = element("a", "", hint.field);
      link.href = `#${control?.id ?? "compute"}`;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        (control ?? slot).scrollIntoView({ block: "center" });
        control?.focus();
      });
      line.append(link, ": see the note beside it. ");
      summary.append(line);
    }
  }

  showSweep(answer: ExplainAnswer): void {
    const sweep = answer.sweep;
    const what = byId("sweep-what");
    const now = byId("sweep-now");
    byId("sweep").classList.toggle("empty", !sweep);
    byId("sweep-point").hidden = !sweep;
    if (!sweep) {
      this.charts.clear();
      what.textContent = answer.count === 0
        ? "There are no elements, so there is nothing to sweep."
        : `${this.data.name} does not declare its sweep yet: no curve to show.`;
      now.textContent = "";
      return;
    }
    const field = sweep.field.replace(/^inputs\./, "");
    what.replaceChildren(
      `The loss of element ${answer.element} as `,
      element("code", "", field),
      ...(sweep.label && sweep.label !== field ? [", ", ...richNodes(sweep.label), ","] : []),
      ` varies from ${shortNumber(sweep.x[0])} to ${shortNumber(sweep.x.at(-1)!)}; the other ` +
        "inputs stay as they are.",
    );
    this.charts.draw(sweep);
    const { current } = sweep;
    now.replaceChildren(
      element("span", "now-label", "Now "),
      element("code", "", sweep.field.replace(/^inputs\./, "")),
      ` = ${formatValue(current.x)}: loss `,
      element("strong", "", formatValue(current.loss)),
      ", gradient ",
      element("strong", "", formatValue(current.slope)),
      " (the ringed points).",
    );
  }

  showWorked(answer: ExplainAnswer): void {
    const picker = byId<HTMLInputElement>("element");
    picker.max = String(Math.max(0, answer.count - 1));
    picker.value = String(answer.element);
    byId<HTMLButtonElement>("element-previous").disabled = answer.element <= 0;
    byId<HTMLButtonElement>("element-next").disabled = answer.element >= answer.count - 1;
    byId("element-count").textContent = answer.count === 1
      ? "(the only one)"
      : `of ${answer.count} (0 to ${answer.count - 1})`;
    const worked = byId("worked");
    if (answer.worked) {
      const list = element("ol", "steps");
      answer.worked.steps.forEach((step, i, steps) => {
        const item = stepItem(step);
        if (i === steps.length - 1) {
          item.classList.add("final");
          item.dataset.final = String(step.value);
        }
        list.append(item);
      });
      worked.replaceChildren(element("h3", "", capitalized(answer.worked.label)), list);
    } else {
      worked.replaceChildren(
        element(
          "p",
          "placeholder",
          answer.count === 0
            ? "There are no elements to work through."
            : `${this.data.name} does not declare the steps of one element yet; the losses of ` +
              "every element and their reduction follow.",
        ),
      );
    }
    const terms = byId("terms");
    if (answer.terms) {
      const diverging = answer.terms.data.some((v) => v < 0);
      terms.replaceChildren(
        tensorTable(answer.terms, "The loss of each element (reduction = none)", {
          heat: diverging ? "diverging" : "sequential",
          name: "l",
          picked: answer.count === answer.terms.data.length ? answer.element : undefined,
          onPick: answer.count === answer.terms.data.length ? (i) => this.pick(i) : undefined,
        }),
      );
    } else terms.replaceChildren();
    const reduction = byId("reduction");
    const steps = answer.reduction;
    if (steps.length) {
      const list = element("ol", "steps");
      steps.forEach((step, i) => {
        const item = stepItem(step);
        if (i === steps.length - 1) item.classList.add("final");
        list.append(item);
      });
      reduction.replaceChildren(element("h3", "", "The reduction to the result"), list);
    } else {
      reduction.replaceChildren(
        element("p", "help", "reduction = none: the result is the loss of each element, above."),
      );
    }
  }

  showGradients(answer: ExplainAnswer): void {
    const grads = byId("grads");
    grads.replaceChildren();
    for (const spec of this.data.inputs) {
      const grad = answer.grads[spec.name];
      if (grad) {
        grads.append(
          tensorTable(grad, `∂ℓ/∂${spec.name}`, { heat: "diverging", name: `∂ℓ/∂${spec.name}` }),
        );
      }
    }
    if (!grads.childElementCount) {
      grads.append(element("p", "help", "No input of this loss has a gradient."));
    }
  }

  /** Works element `index` through (clamped to the elements there are). */
  pick(index: number): void {
    const last = this.count > 0 ? this.count - 1 : Infinity;
    this.element = Math.max(0, Math.min(last, index));
    byId<HTMLInputElement>("element").value = String(this.element);
    this.update();
  }

  showFormula(): void {
    const values: Record<string, unknown> = {};
    for (const option of this.data.options) {
      try {
        const value = readOption(option);
        values[option.name] = value === undefined ? option.default : value;
      } catch {
        values[option.name] = option.default;
      }
    }
    const shown = formulaCaseFor(this.data.formulaCases, values);
    let changed = false;
    for (const box of document.querySelectorAll<HTMLElement>("#formula [data-case]")) {
      const hidden = Number(box.dataset.case) !== shown;
      if (box.hidden !== hidden) changed = true;
      box.hidden = hidden;
    }
    if (changed) fitFormulas(byId("formula"));
  }

  showSnippets(request: ComputeRequest): void {
    const origin = location.origin;
    const loss = { ...this.data, source: this.data.source };
    byId("snippet-curl").textContent = curlSnippet(origin, loss, request);
    byId("snippet-python").textContent = pythonSnippet(origin, loss, request);
    const library = document.getElementById("snippet-library");
    if (library) {
      library.textContent = this.data.torch
        ? pytorchSnippet(loss, request)
        : sourceSnippet(loss, request);
    }
  }

  async randomInputs(): Promise<void> {
    const seed = this.seed + 1;
    const asked = ++this.sampleRequests;
    const answer = await fetchSample(this.data.slug, seed).catch((error: Error) => ({
      problem: { status: 0, title: "Network error", detail: error.message },
    }));
    if (asked !== this.sampleRequests) return;
    if ("problem" in answer) {
      this.showError("", answer.problem.detail);
      return;
    }
    this.seed = seed;
    for (const spec of this.data.inputs) {
      const tensor = answer.inputs[spec.name];
      const area = byId<HTMLTextAreaElement>(`input-${spec.name}`);
      area.value = formatTensor(tensor, tensor.dtype === "int");
      area.rows = Math.min(10, area.value.split("\n").length + 1);
    }
    byId("seed-note").textContent = `seed ${seed}`;
    this.update(false);
    void this.writeUrl(0, true);
  }

  // ----- messages on fields -----

  clearErrors(): void {
    for (const slot of document.querySelectorAll<HTMLElement>(".field-error")) {
      slot.hidden = true;
      slot.textContent = "";
    }
    for (const slot of document.querySelectorAll<HTMLElement>(".advice")) {
      slot.hidden = true;
      slot.replaceChildren();
    }
    for (const control of document.querySelectorAll("[aria-invalid]")) {
      control.removeAttribute("aria-invalid");
    }
  }

  showError(field: string, message: string): void {
    const { slot, control } = slotOf(field, "error");
    slot.replaceChildren(...richNodes(message));
    slot.hidden = false;
    control?.setAttribute("aria-invalid", "true");
  }
}

/** The slot for messages of kind `error` or `advice` about `field`, and its control. */
function slotOf(
  field: string,
  kind: "error" | "advice",
): { slot: HTMLElement; control: HTMLElement | null } {
  const input = /^inputs\.([A-Za-z0-9_]+)/.exec(field);
  const option = /^options\.([A-Za-z0-9_]+)/.exec(field);
  const id = input ? `input-${input[1]}` : option ? `option-${option[1]}` : "";
  const slot = id ? document.getElementById(`${id}-${kind}`) : null;
  return slot
    ? { slot, control: document.getElementById(id) }
    : { slot: byId(`form-${kind}`), control: null };
}

function stepItem(step: Step): HTMLLIElement {
  const item = element("li", "step");
  item.dataset.value = String(step.value);
  const label = element("span", "step-label");
  label.append(...richNodes(capitalized(step.label)));
  item.append(label, mathNode(step.tex));
  return item;
}

/** A number in four significant digits, with a true minus sign: for ranges in prose. */
function shortNumber(value: number): string {
  return String(Number(value.toPrecision(4))).replace("-", "−");
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A tensor text as a state value: the tensor it reads as, or the text itself after `'`. */
function tensorValue(text: string): string {
  try {
    return encodeTensorValue(parseTensor(text));
  } catch {
    return `'${text}`;
  }
}

/** An option's control as a state value. */
function optionText(option: OptionSpec): string {
  const control = byId<HTMLInputElement & HTMLSelectElement>(`option-${option.name}`);
  if (option.type === "boolean") return String(control.checked);
  if (option.type === "tensor") {
    const text = control.value.trim();
    return text === "" || text === "none" ? "" : tensorValue(text);
  }
  return control.value;
}

/** Reads the page's inputs and options into an API request, or throws a FieldError. */
function readRequest(data: LossPageData): ComputeRequest {
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
    case "axes": {
      const text = control.value.trim();
      if (text === "" || text === "null") return undefined;
      try {
        return JSON.parse(text);
      } catch {
        throw new FieldError(field, `${field} must be null, an integer or a list of integers`);
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
