/// <reference lib="dom" />
/**
 * The lessons (`site/lessons.ts`) in headless Chromium, served by the Deno entry.  Each lesson
 * loads with no console error; its question's Reveal runs the training, whose steps are
 * `POST /api/v1/batch` requests (one a step), changes the figure, and reveals the answer the
 * run bears out; a changed control (and, on the outliers lesson, a dragged outlier) survives a
 * reload; nothing is wider than a 390 px screen, in light and dark, and axe-core finds no
 * serious or critical violation in the dark.  Then each lesson's lesson,
 * on the numbers of its run (`#outcome[data-numbers]`): the outliers pull the MSE line's slope
 * further from the inliers' than the L1 line's; pos_weight raises the rare class's recall;
 * in float32, BCELoss(σ(z)) sits at its clamp while BCEWithLogitsLoss grows linearly; label
 * smoothing 0.2 lowers the top confidence.  Screenshots go to `test-output/screenshots/`.
 */
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { type Lesson, lessonPath, LESSONS } from "../site/lessons.ts";

import { ensureBuiltSite } from "./built_site.ts";
import { LESSON_CHECKS } from "./lesson_checks.ts";
import { chromiumTest } from "./chromium.ts";

await ensureBuiltSite();

const SCREENSHOTS = new URL("../test-output/screenshots/", import.meta.url);
const AXE = new URL(import.meta.resolve("axe-core")).pathname.replace(/axe\.js$/, "axe.min.js");

/** axe-core's serious and critical violations on the page. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v: { impact: string }) => v.impact === "serious" || v.impact === "critical")
      .map((v: { id: string; impact: string; nodes: { target: string[] }[] }) =>
        `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`
      );
  });
}

/** Opens a page, recording console errors and page errors, and the batch requests it makes. */
async function open(context: BrowserContext, url: string) {
  const page = await context.newPage();
  const errors: string[] = [];
  const batches: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/v1/batch") {
      batches.push(request.postData() ?? "");
    }
  });
  await page.goto(url, { waitUntil: "load" });
  await drawn(page);
  return { page, errors, batches };
}

/** Waits until every chart of the lesson is drawn. */
async function drawn(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll(".lesson-chart")].every((chart) =>
        chart.querySelector("canvas")
      ),
    undefined,
    { timeout: 15_000 },
  );
}

/** The pixels of the lesson's charts, as data URLs. */
function pixels(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLCanvasElement>(".lesson-chart canvas")].map((c) =>
      c.toDataURL()
    )
  );
}

/** The numbers of the run's outcome. */
async function outcome(page: Page): Promise<Record<string, number>> {
  const text = await page.getAttribute("#outcome", "data-numbers");
  assert.ok(text, "the outcome has numbers");
  return JSON.parse(text);
}

/** Waits until the run ends (`body[data-training=done]`). */
async function trained(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.training === "done", undefined, {
    timeout: 120_000,
    polling: 100,
  });
}

/** The width by which the page overflows the screen. */
function excess(page: Page): Promise<number> {
  return page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth
  );
}

async function screenshots(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(200); // the charts refit their width on the next frame
    assert.ok(await excess(page) <= 1, `${name} at ${width} px is wider than the screen`);
    await page.screenshot({
      path: new URL(`${name}-${width}.png`, SCREENSHOTS).pathname,
      fullPage: true,
    });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** A control each lesson's reload test changes, and the value it sets. */
const CHANGED: Record<string, [string, string]> = {
  outliers: ["delta", "2"],
  imbalance: ["ratio", "30"],
  stability: ["dtype", "float64"],
  calibration: ["smoothing", "0.1"],
};

async function setControl(page: Page, name: string, value: string): Promise<void> {
  const control = page.locator(`#lesson-controls [name="${name}"]`);
  if (await control.evaluate((c) => c.tagName === "SELECT")) {
    await control.selectOption(value);
  } else await control.fill(value);
}

async function checkLesson(
  t: Deno.TestContext,
  lesson: Lesson,
  base: string,
  context: BrowserContext,
  dark: BrowserContext,
) {
  const url = `${base}${lessonPath(lesson)}`;
  await t.step(`${lesson.slug}: Reveal trains through /api/v1/batch, then answers`, async () => {
    const { page, errors, batches } = await open(context, url);
    assert.equal(await page.textContent("#progress"), "step 0 of 150");
    for (const other of LESSONS.filter((other) => other !== lesson)) {
      assert.equal(await page.locator(`a[href="${lessonPath(other)}"]`).count(), 1, other.slug);
    }
    assert.equal(
      await page.locator('section[aria-labelledby="losses-title"] li a').count(),
      lesson.losses.length,
    );
    const before = await pixels(page);
    const choices = await page.locator('input[name="predict"]').count();
    assert.ok(choices >= 2);
    await page.locator('input[name="predict"]').first().check();
    await page.click("#reveal");
    await trained(page);
    const answer = page.locator("#answer");
    await answer.waitFor({ state: "visible" });
    const shown = await answer.getAttribute("data-answer");
    assert.ok(shown, "the answer names a choice");
    assert.equal(await page.locator(`#predict-${shown}`).count(), 1, "a choice of the question");
    assert.match(await answer.textContent() ?? "", /You predicted/);
    assert.equal(await page.textContent("#progress"), "step 150 of 150");
    const numbers = await outcome(page);
    // One batch a step, each asking every loss compared; the stability lesson's sweep is one more.
    const sweeps = lesson.slug === "stability" ? 1 : 0;
    assert.equal(batches.length, 150 + sweeps);
    const items = JSON.parse(batches[batches.length - 1]).requests as { loss: string }[];
    assert.ok(items.length >= 2);
    assert.ok(items.every((item) => lesson.losses.includes(item.loss)), JSON.stringify(items));
    const after = await pixels(page);
    assert.notDeepEqual(after, before, "the figure changed");
    LESSON_CHECKS[lesson.slug](numbers);
    console.log(`${lesson.slug}: ${await page.textContent("#outcome")}`);
    await screenshots(page, `lesson-${lesson.slug}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  await t.step(`${lesson.slug}: Stop and Reset`, async () => {
    const { page, errors } = await open(context, url);
    await page.click("#train");
    await page.waitForFunction(() =>
      /step [1-9]/.test(document.getElementById("progress")!.textContent!)
    );
    await page.click("#stop");
    await page.waitForFunction(() => document.body.dataset.training === "stopped");
    const stopped = await page.textContent("#progress");
    await page.waitForTimeout(300);
    assert.equal(await page.textContent("#progress"), stopped, "no step after Stop");
    await page.click("#reset");
    assert.equal(await page.textContent("#progress"), "step 0 of 150");
    // Nothing of the run is left (the stability lesson's sweep is not a run: it stays).
    const left = JSON.parse(await page.getAttribute("#outcome", "data-numbers") ?? "{}");
    assert.deepEqual(Object.keys(left).filter((key) => key.startsWith("train.")), []);
    if (lesson.slug !== "stability") assert.deepEqual(left, {});
    assert.deepEqual(errors, []);
    await page.close();
  });

  await t.step(`${lesson.slug}: the state survives a reload`, async () => {
    const { page, errors } = await open(context, url);
    const [name, value] = CHANGED[lesson.slug];
    await setControl(page, name, value);
    await setControl(page, "seed", "7");
    await page.waitForFunction(() => location.hash.includes("seed=7"));
    assert.match(page.url(), new RegExp(`${name}=${value.replace(".", "\\.")}`));
    if (lesson.slug === "outliers") {
      // Drag the first outlier up, to the inliers' side.
      const over = await page.locator("#fit-chart .u-over").boundingBox();
      const point = await page.evaluate(() => {
        const chart = document.querySelector("#fit-chart")!;
        return chart.getAttribute("data-first-outlier");
      });
      assert.ok(over && point, "the first outlier's place on the chart");
      const [x, y] = point.split(",").map(Number);
      await page.mouse.move(over.x + x, over.y + y);
      await page.mouse.down();
      await page.mouse.move(over.x + x, over.y + y - 60, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction(() => location.hash.includes("outliers="));
    }
    const hash = new URL(page.url()).hash;
    await page.reload({ waitUntil: "load" });
    await drawn(page);
    assert.equal(new URL(page.url()).hash, hash);
    const control = page.locator(`#lesson-controls [name="${name}"]`);
    assert.equal(await control.inputValue(), value);
    assert.equal(await page.locator('#lesson-controls [name="seed"]').inputValue(), "7");
    if (lesson.slug === "outliers") {
      const moved = await page.evaluate(() =>
        document.querySelector("#fit-chart")!.getAttribute("data-first-outlier")
      );
      assert.ok(moved, "the outlier is drawn");
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  await t.step(`${lesson.slug}: dark, and a phone`, async () => {
    const { page, errors } = await open(dark, url);
    const paper = await page.evaluate(() =>
      getComputedStyle(document.documentElement).backgroundColor
    );
    assert.equal(paper, "rgb(18, 22, 27)");
    await page.click("#train");
    await trained(page);
    await screenshots(page, `lesson-${lesson.slug}-dark`);
    assert.deepEqual(await axeViolations(page), [], `${lesson.slug}, dark`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

chromiumTest("lessons: in headless Chromium", async (t, browser, base) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const dark = await browser.newContext({
    viewport: { width: 390, height: 800 },
    colorScheme: "dark",
    bypassCSP: true, // for axe-core's script
  });

  await t.step("the home page and every lesson link every lesson", async () => {
    const { page, errors } = await open(context, `${base}/`);
    for (const lesson of LESSONS) {
      assert.equal(await page.locator(`a[href="${lessonPath(lesson)}"]`).count(), 1);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  for (const lesson of LESSONS) await checkLesson(t, lesson, base, context, dark);
});
