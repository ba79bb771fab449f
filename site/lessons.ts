/**
 * The registry of the site's lessons: one entry per page under `/lessons/`, read by the build
 * (the pages and `sitePages()`, which makes the loss pages' related links to them appear), the
 * home page, every lesson's links to the others, and the browser tests.
 *
 * A lesson trains a small model in the browser, every loss value and input gradient from the
 * API (`POST /api/v1/batch`, one request per step for the losses it compares).
 *
 * @module
 */

/** One lesson. */
export interface Lesson {
  /** Its path segment: the page is `/lessons/{slug}`. */
  slug: string;
  /** Its title. */
  title: string;
  /** What it shows, in one sentence (the home page and the other lessons link with it). */
  summary: string;
  /** The losses it compares, by class name (each linked to its page). */
  losses: string[];
}

/** The lessons, in the order the site lists them. */
export const LESSONS: readonly Lesson[] = [
  {
    slug: "outliers",
    title: "Outliers: how far one point pulls a fit",
    summary: "A line fitted under L1, MSE, Huber and smooth L1 with outliers you can drag: " +
      "which loss lets them pull it, and why (the gradient of each point).",
    losses: ["L1Loss", "MSELoss", "HuberLoss", "SmoothL1Loss"],
  },
  {
    slug: "imbalance",
    title: "Imbalance: finding the rare class",
    summary: "A logistic model on data with one rare class, trained with BCEWithLogitsLoss " +
      "plain, with pos_weight and with weight, and with SigmoidFocalLoss (γ, α): the " +
      "boundaries, and the rare class's recall and precision.",
    losses: ["BCEWithLogitsLoss", "SigmoidFocalLoss"],
  },
  {
    slug: "stability",
    title: "Stability: why the losses take logits",
    summary: "BCELoss after a sigmoid against BCEWithLogitsLoss, NLLLoss after a softmax " +
      "against CrossEntropyLoss, in float32 and float64, and CTCLoss with an impossible " +
      "alignment: where the first of each pair breaks.",
    losses: ["BCELoss", "BCEWithLogitsLoss", "NLLLoss", "CrossEntropyLoss", "CTCLoss"],
  },
  {
    slug: "calibration",
    title: "Calibration: confidence against accuracy",
    summary: "A softmax classifier on noisy data trained with CrossEntropyLoss with and " +
      "without label smoothing: a reliability diagram of how sure it is against how often " +
      "it is right.",
    losses: ["CrossEntropyLoss"],
  },
];

/**
 * The kind of a lesson's page (`page` of its layout, a key of `PAGE_KINDS` in `site/build.ts`):
 * its script is `site/client/lessons/<slug>.ts`, which exports `startPage`.
 */
export function lessonKind(lesson: Lesson): string {
  return `lesson-${lesson.slug}`;
}

/** The path of a lesson's page. */
export function lessonPath(lesson: Lesson): string {
  return `/lessons/${lesson.slug}`;
}
