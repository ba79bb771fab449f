/**
 * The frame of a lesson page (`/lessons/{slug}`, one per entry of `site/lessons.ts`): its text,
 * its figure, its controls with the Train, Stop and Reset buttons, the outcome of the run, its
 * predict-then-reveal question, the losses it compares and the other lessons.  Each lesson's
 * own text, figure and controls are in `lessons.tsx`; its script in `site/client/lessons/`.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { findLoss } from "../../lib/mod.ts";
import { type Lesson, lessonKind, lessonPath, LESSONS } from "../lessons.ts";
import { Layout } from "./layout.tsx";

/** A slider with its value shown beside it, kept in the URL by its `name`. */
export function Slider(
  { name, label, min, max, step, value, help }: {
    name: string;
    label: Child;
    min: number;
    max: number;
    step: number;
    value: number;
    help?: string;
  },
) {
  const id = `control-${name}`;
  return (
    <div class="control">
      <label for={id}>{label}</label>
      <div class="number-pair">
        <input
          id={id}
          name={name}
          type="range"
          min={String(min)}
          max={String(max)}
          step={String(step)}
          value={String(value)}
          aria-describedby={help ? `${id}-help` : undefined}
        />
        <output for={id}>{String(value)}</output>
      </div>
      {help && <p class="help" id={`${id}-help`}>{help}</p>}
    </div>
  );
}

/** A choice of a few values, kept in the URL by its `name`. */
export function Choice(
  { name, label, options, value, view }: {
    name: string;
    label: string;
    options: string[];
    value: string;
    /** Whether it changes the view alone (the run goes on). */
    view?: boolean;
  },
) {
  const id = `control-${name}`;
  return (
    <div class="control">
      <label for={id}>{label}</label>
      <select id={id} name={name} data-view={view ? "" : undefined}>
        {options.map((option) => (
          <option key={option} value={option} selected={option === value}>{option}</option>
        ))}
      </select>
    </div>
  );
}

/** The seed of the lesson's data, and a button for new data. */
export function SeedControl({ value = 1 }: { value?: number }) {
  return (
    <div class="control">
      <label for="control-seed">Seed of the data</label>
      <div class="number-pair">
        <input id="control-seed" name="seed" type="number" min="0" step="1" value={String(value)} />
        <button type="button" id="new-data">New data</button>
      </div>
    </div>
  );
}

/** What a lesson's page holds beside the frame. */
export interface LessonContent {
  /** What to look at, in a few sentences. */
  intro: Child;
  /** The live figure. */
  figure: Child;
  /** The lesson's controls (sliders, choices), inside the form. */
  controls: Child;
  /** The steps and learning rate it trains with by default. */
  steps: number;
  rate: number;
  /** The largest learning rate the slider offers (past it, gradient descent diverges). */
  rateMax: number;
  /** The question asked before the run, and its choices by value. */
  question: string;
  choices: { value: string; label: string }[];
  /** What the run shows, after it. */
  after?: Child;
}

/** A lesson's page. */
export function LessonPage({ lesson, content }: { lesson: Lesson; content: LessonContent }) {
  const others = LESSONS.filter((other) => other.slug !== lesson.slug);
  return (
    <Layout
      title={`${lesson.title} (a lesson)`}
      description={lesson.summary}
      page={lessonKind(lesson)}
      styles={["/vendor/uplot/uPlot.min.css"]}
    >
      <p class="crumbs">
        <a href="/#lessons">Lessons</a>
      </p>
      <h1>{lesson.title}</h1>
      <div class="lead">{content.intro}</div>
      <div class="lesson">
        <div class="lesson-figure">
          <div class="buttons lesson-buttons">
            <button type="button" id="train">Train</button>
            <button type="button" id="stop" disabled>Stop</button>
            <button type="button" id="reset">Reset</button>
            <output id="progress" aria-live="polite">step 0 of {content.steps}</output>
          </div>
          <p class="field-error" id="lesson-error" role="alert" hidden></p>
          {content.figure}
          <p id="outcome" class="outcome" aria-live="polite">Train to see the outcome.</p>
        </div>
        <div class="lesson-side">
          <form id="lesson-controls" class="lesson-controls" aria-label="The lesson's controls">
            {content.controls}
            <Slider
              name="steps"
              label="Steps of gradient descent"
              min={50}
              max={200}
              step={10}
              value={content.steps}
            />
            <Slider
              name="rate"
              label="Learning rate"
              min={0.05}
              max={content.rateMax}
              step={0.05}
              value={content.rate}
            />
            <SeedControl />
          </form>
          <section class="question" aria-labelledby="question-title">
            <h2 id="question-title">Predict, then see</h2>
            <fieldset>
              <legend>{content.question}</legend>
              {content.choices.map(({ value, label }) => (
                <div class="choice" key={value}>
                  <input type="radio" name="predict" id={`predict-${value}`} value={value} />
                  <label for={`predict-${value}`}>{label}</label>
                </div>
              ))}
            </fieldset>
            <button type="button" id="reveal">Reveal</button>
            <p id="answer" class="answer" aria-live="polite" hidden></p>
          </section>
        </div>
      </div>
      {content.after}
      <section aria-labelledby="losses-title">
        <h2 id="losses-title">The losses</h2>
        <ul class="related">
          {lesson.losses.map((name) => {
            const loss = findLoss(name)!;
            return (
              <li key={name}>
                <a href={`/losses/${loss.slug}`}>{loss.name}</a>: {loss.summary}
              </li>
            );
          })}
        </ul>
      </section>
      <section aria-labelledby="others-title">
        <h2 id="others-title">The other lessons</h2>
        <ul class="related">
          {others.map((other) => (
            <li key={other.slug}>
              <a href={lessonPath(other)}>{other.title}</a>: {other.summary}
            </li>
          ))}
        </ul>
      </section>
      <p class="help">
        Every loss value and gradient here comes from this site's API (<code>
          POST /api/v1/batch
        </code>, one request a step for all the losses compared); the page computes the model's
        forward pass, the chain rule to its parameters and the update.
      </p>
    </Layout>
  );
}
