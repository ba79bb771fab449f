/**
 * Each lesson's model (`site/client/lessons/*_model.ts`) without a browser: its default state
 * read from its built page's controls, every step's batch answered by the batch route's own
 * `answerBatch` (as `POST /api/v1/batch` answers it), and the lesson it teaches asserted on the
 * run's numbers (`tests/lesson_checks.ts`, which the browser suite asserts too).  Every item of
 * every step is computed (no problem), and names one of the lesson's losses.
 */
import assert from "node:assert/strict";
import { answerBatch } from "../functions/api/batch.ts";
import { DEFAULT_LIMITS } from "../functions/api/limits.ts";
import type { BatchItem, ComputeAnswer } from "../site/client/api.ts";
import type { Outcome } from "../site/client/lesson.ts";
import { CalibrationModel } from "../site/client/lessons/calibration_model.ts";
import { ImbalanceModel } from "../site/client/lessons/imbalance_model.ts";
import { OutliersModel } from "../site/client/lessons/outliers_model.ts";
import { StabilityModel } from "../site/client/lessons/stability_model.ts";
import type { StateValues } from "../site/client/url_state.ts";
import { type Lesson, LESSONS } from "../site/lessons.ts";
import { LessonPage } from "../site/pages/lesson.tsx";
import { LESSON_CONTENT } from "../site/pages/lessons.tsx";
import { LESSON_CHECKS } from "./lesson_checks.ts";

interface Model {
  reset(state: StateValues): void;
  requests(): BatchItem[];
  update(answers: ComputeAnswer[], state: StateValues): void;
  outcome(): Outcome | null;
  sweepRequests?(): BatchItem[];
  takeSweep?(answers: ComputeAnswer[]): void;
}

const MODELS: Record<string, () => Model> = {
  outliers: () => new OutliersModel(),
  imbalance: () => new ImbalanceModel(),
  stability: () => new StabilityModel(),
  calibration: () => new CalibrationModel(),
};

/** The state a lesson's page starts with: its controls' values as built. */
async function defaultsOf(lesson: Lesson): Promise<StateValues> {
  const content = LESSON_CONTENT[lesson.slug];
  const html = String(await LessonPage({ lesson, content }).toString());
  const form = html.slice(html.indexOf('<form id="lesson-controls"'), html.indexOf("</form>"));
  const state: StateValues = {};
  for (const [input] of form.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(input)?.[1];
    const value = /value="([^"]*)"/.exec(input)?.[1];
    if (name && value !== undefined) state[name] = value;
  }
  for (
    const [, name, options] of form.matchAll(/<select[^>]*name="([^"]+)"[^>]*>(.*?)<\/select>/gs)
  ) {
    state[name] = /<option value="([^"]*)" selected/.exec(options)?.[1] ?? "";
  }
  return state;
}

/** Answers a batch as the route does, each result decoded as the page's client decodes it. */
function ask(lesson: Lesson, items: BatchItem[]): ComputeAnswer[] {
  const body = new TextEncoder().encode(JSON.stringify({ requests: items }));
  const { results } = answerBatch(body, DEFAULT_LIMITS, "/api/v1/batch");
  return results.map((result, i) => {
    assert.ok(!("status" in result), `${lesson.slug}: ${JSON.stringify(result)}`);
    assert.ok(lesson.losses.includes(items[i].loss), `${lesson.slug}: ${items[i].loss}`);
    const decode = (t: { shape: number[]; data: (number | string)[] }) => ({
      shape: t.shape,
      data: t.data.map(Number),
    });
    const answer = JSON.parse(JSON.stringify(result));
    const grads: Record<string, ReturnType<typeof decode>> = {};
    for (const [name, grad] of Object.entries(answer.grads)) grads[name] = decode(grad as never);
    return { ...answer, output: decode(answer.output), grads };
  });
}

Deno.test("every lesson has its model here", () => {
  assert.deepEqual(Object.keys(MODELS).sort(), LESSONS.map((lesson) => lesson.slug).sort());
});

for (const lesson of LESSONS) {
  Deno.test(`lesson ${lesson.slug}: a run with the defaults teaches its lesson`, async () => {
    const state = await defaultsOf(lesson);
    assert.ok(Number(state.steps) >= 50 && Number(state.steps) <= 200, state.steps);
    const model = MODELS[lesson.slug]();
    model.reset(state);
    assert.equal(model.outcome(), null, "no outcome before the run (or the sweep)");
    if (model.sweepRequests) model.takeSweep!(ask(lesson, model.sweepRequests()));
    for (let step = 0; step < Number(state.steps); step++) {
      const items = model.requests();
      assert.ok(items.every((item) => item.grad), "every step asks for the gradients");
      model.update(ask(lesson, items), state);
    }
    const outcome = model.outcome()!;
    LESSON_CHECKS[lesson.slug](outcome.numbers);
    const choices = LESSON_CONTENT[lesson.slug].choices.map((choice) => choice.value);
    assert.ok(choices.includes(outcome.answer), `${outcome.answer} is a choice of the question`);
  });
}
