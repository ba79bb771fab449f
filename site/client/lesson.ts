/// <reference lib="dom" />
/**
 * What every lesson page shares: its state (the form's controls and the lesson's own data, such
 * as dragged points) in the URL fragment, as on the loss pages (`url_state.ts`); the Train,
 * Stop and Reset buttons, which run gradient descent one step at a time, each step one
 * `POST /api/v1/batch` for every loss the lesson compares; and the predict-then-reveal question,
 * whose answer is the run's outcome.
 *
 * A lesson supplies its model ({@link LessonModel}): the data and parameters for a state, the
 * batch of a step (its forward pass), the update from the API's input gradients (the chain
 * rule to its parameters), its figure and its outcome.  The API gives every loss value and
 * gradient; the page computes none.
 *
 * The page marks its progress for readers and tests: `body[data-training]` is `running`,
 * `stopped` or `done`; `#outcome[data-numbers]` holds the outcome's numbers as JSON.
 *
 * @module
 */
import { type BatchItem, computeAll, type ComputeAnswer, type ShownProblem } from "./api.ts";
import { fragmentOf, stateOf, type StateValues } from "./url_state.ts";

/** What a run shows: its numbers, the choice of the question they answer, and in words. */
export interface Outcome {
  numbers: Record<string, number>;
  /** The value of the question's choice that the run bears out. */
  answer: string;
  /** The outcome in a sentence or two. */
  text: string;
}

/** A lesson's model and figure. */
export interface LessonModel {
  /** Sets the data and the initial parameters for `state` (the controls and the lesson's own). */
  reset(state: StateValues): void;
  /** The lesson's own state beside its controls' (dragged points), as state values. */
  ownState?(): StateValues;
  /** The batch of the current step: one item per loss compared, with `grad: true`. */
  requests(): BatchItem[];
  /** Takes the answers of a step (in the order of `requests()`) and updates the parameters. */
  update(answers: ComputeAnswer[], state: StateValues): void;
  /** The outcome of the run so far, or null before its first step. */
  outcome(): Outcome | null;
}

function controls(form: HTMLFormElement): HTMLInputElement[] {
  return [...form.querySelectorAll<HTMLInputElement>("input[name], select[name]")];
}

function readForm(form: HTMLFormElement): StateValues {
  const values: StateValues = {};
  for (const input of controls(form)) {
    if (input.type === "checkbox") values[input.name] = input.checked ? "1" : "0";
    else values[input.name] = input.value;
  }
  return values;
}

function writeForm(form: HTMLFormElement, values: StateValues): void {
  for (const input of controls(form)) {
    const value = values[input.name];
    if (value === undefined) continue;
    if (input.type === "checkbox") input.checked = value === "1";
    else input.value = value;
    // A number beside a slider shows the slider's value.
    const shown = form.querySelector<HTMLOutputElement>(`output[for="${input.id}"]`);
    if (shown) shown.value = input.value;
  }
}

/**
 * Wires a lesson page to `model` and its figure (`draw`, for the current parameters): reads its
 * state from the URL, draws, and runs its buttons, its controls and its question.  `onReset`
 * runs after each reset of the model.
 */
export async function startLesson(
  model: LessonModel,
  draw: () => void,
  onReset?: () => void,
): Promise<void> {
  const form = document.querySelector<HTMLFormElement>("#lesson-controls")!;
  const train = document.querySelector<HTMLButtonElement>("#train")!;
  const stop = document.querySelector<HTMLButtonElement>("#stop")!;
  const reset = document.querySelector<HTMLButtonElement>("#reset")!;
  const progress = document.querySelector<HTMLOutputElement>("#progress")!;
  const error = document.querySelector<HTMLElement>("#lesson-error")!;
  const outcome = document.querySelector<HTMLElement>("#outcome")!;
  const reveal = document.querySelector<HTMLButtonElement>("#reveal")!;
  const answer = document.querySelector<HTMLElement>("#answer")!;
  const defaults = readForm(form);
  let state: StateValues = defaults;
  let running: AbortController | null = null;
  let step = 0;
  let revealWanted = false;

  const stepsOf = () => Number(state.steps) || 100;
  const setProgress = (what: "running" | "stopped" | "done" | "") => {
    if (what) document.body.dataset.training = what;
    else delete document.body.dataset.training;
    progress.value = `step ${step} of ${stepsOf()}`;
    train.disabled = what === "running";
    stop.disabled = what !== "running";
  };
  const showOutcome = () => {
    const result = model.outcome();
    outcome.textContent = result ? result.text : "Train to see the outcome.";
    if (result) outcome.dataset.numbers = JSON.stringify(result.numbers);
    else delete outcome.dataset.numbers;
    if (revealWanted && result && document.body.dataset.training === "done") showAnswer(result);
  };
  const showAnswer = (result: Outcome) => {
    const picked = document.querySelector<HTMLInputElement>(
      'input[name="predict"]:checked',
    );
    const label = (value: string) =>
      document.querySelector(`label[for="predict-${value}"]`)?.textContent ?? value;
    const guess = picked
      ? picked.value === result.answer
        ? `You predicted ${label(picked.value)}: right.`
        : `You predicted ${label(picked.value)}; the run says ${label(result.answer)}.`
      : `The run says ${label(result.answer)}.`;
    answer.textContent = `${guess} ${result.text}`;
    answer.hidden = false;
    answer.dataset.answer = result.answer;
  };
  const writeUrl = async () => {
    const values = { ...state, ...model.ownState?.() };
    const { fragment } = await fragmentOf(values, defaults);
    const url = `${location.pathname}${location.search}${fragment ? `#${fragment}` : ""}`;
    history.replaceState(null, "", url);
  };
  const restart = () => {
    running?.abort();
    running = null;
    step = 0;
    error.hidden = true;
    answer.hidden = true;
    model.reset({ ...state, ...model.ownState?.() });
    onReset?.();
    draw();
    setProgress("");
    showOutcome();
  };

  const run = async () => {
    if (running) return;
    if (step >= stepsOf()) restart();
    const controller = new AbortController();
    running = controller;
    setProgress("running");
    try {
      while (step < stepsOf() && !controller.signal.aborted) {
        const answered = await computeAll(model.requests(), controller.signal);
        if (controller.signal.aborted) return;
        if ("problem" in answered) {
          showProblem(error, answered.problem);
          running = null;
          setProgress("stopped");
          return;
        }
        model.update(answered.answers, state);
        step++;
        draw();
        showOutcome();
        progress.value = `step ${step} of ${stepsOf()}`;
      }
      running = null;
      setProgress(step >= stepsOf() ? "done" : "stopped");
      showOutcome();
    } catch (failure) {
      if (controller.signal.aborted) return;
      running = null;
      error.textContent = `The API could not be reached: ${(failure as Error).message}`;
      error.hidden = false;
      setProgress("stopped");
    }
  };

  state = { ...defaults, ...(await stateOf(location.hash.slice(1))) };
  writeForm(form, state);
  state = readForm(form);
  model.reset({ ...state, ...(await stateOf(location.hash.slice(1))) });
  onReset?.();
  draw();
  setProgress("");
  showOutcome();

  form.addEventListener("input", (event) => {
    const target = event.target as HTMLInputElement;
    if (target.name === "predict") return;
    const shown = form.querySelector<HTMLOutputElement>(`output[for="${target.id}"]`);
    if (shown) shown.value = target.value;
    state = readForm(form);
    // A control of the view alone (which loss's pulls are drawn) redraws, and keeps the run.
    if (target.dataset.view === undefined) restart();
    else draw();
    writeUrl();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  train.addEventListener("click", () => run());
  stop.addEventListener("click", () => {
    running?.abort();
    running = null;
    setProgress("stopped");
  });
  reset.addEventListener("click", () => restart());
  reveal.addEventListener("click", () => {
    revealWanted = true;
    const result = model.outcome();
    if (result && document.body.dataset.training === "done") showAnswer(result);
    else {
      answer.textContent = "Training: the answer shows when the run ends.";
      answer.hidden = false;
      run();
    }
  });
  document.querySelector("#new-data")?.addEventListener("click", () => {
    const seed = form.querySelector<HTMLInputElement>('input[name="seed"]')!;
    seed.value = String((Number(seed.value) || 0) + 1);
    seed.dispatchEvent(new Event("input", { bubbles: true }));
  });

  /** A lesson's own state changed (a point dragged): a new run, and the URL. */
  lessonStateChanged = () => {
    restart();
    writeUrl();
  };
  lessonOutcomeChanged = () => {
    draw();
    showOutcome();
  };
}

/** Called by a lesson whose figure or outcome changed outside a step (a sweep answered). */
export let lessonOutcomeChanged: () => void = () => {};

/** Called by a lesson when its own state changes (a dragged point); set by {@link startLesson}. */
export let lessonStateChanged: () => void = () => {};

/** Shows `problem` in the lesson's error line. */
export function showProblem(error: HTMLElement, problem: ShownProblem): void {
  error.textContent = `The API answered ${problem.status}: ${problem.detail}`;
  error.hidden = false;
}

/** Fills a table's body with one row of cells a row of `rows`. */
export function fillRows(body: HTMLElement, rows: string[][]): void {
  body.replaceChildren(...rows.map((cells) => {
    const row = document.createElement("tr");
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));
}
