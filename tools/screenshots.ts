/**
 * Screenshots of the built site in Chromium, to look at and for the README.  Serves the site
 * itself (`deno task build` first).
 *
 *     deno run -A tools/screenshots.ts --docs             # the README's images, into docs/
 *     deno run -A tools/screenshots.ts FOLDER [PATH ...]  # light and dark, 1280 and 390 px
 *
 * With `SEGMENTS=1`, each full page is also cut into parts of a screen or so, to look at closely.
 *
 * @module
 */
import type { Page } from "playwright-core";
import { startDenoServer } from "../tests/api_servers.ts";
import { launchChromium, showWholePage } from "../tests/chromium.ts";

/**
 * The README's images: the loss pages of the closing note, a phone in the dark, the notebook, a
 * lesson after its run.
 */
const DOCS = [
  { file: "loss-page.png", path: "/losses/cross-entropy", width: 1280, scheme: "light" },
  { file: "loss-ctc.png", path: "/losses/ctc", width: 1280, scheme: "light" },
  { file: "loss-triplet-margin.png", path: "/losses/triplet-margin", width: 1280, scheme: "light" },
  { file: "loss-page-phone-dark.png", path: "/losses/cross-entropy", width: 390, scheme: "dark" },
  { file: "notebook.png", path: "/notebook", width: 1280, scheme: "light", whole: true },
  { file: "lesson-outliers.png", path: "/lessons/outliers", width: 1280, scheme: "light" },
] as const;

/** On a lesson, runs its training to the end. */
async function trainLesson(page: Page): Promise<void> {
  if (!(await page.evaluate(() => document.body.dataset.page?.startsWith("lesson-")))) return;
  await page.click("#train");
  await page.waitForFunction(() => document.body.dataset.training === "done", undefined, {
    timeout: 120_000,
  });
  await page.waitForTimeout(300);
}

/** Waits until a page's numbers are in (a loss page: no request in flight) and fonts loaded. */
async function ready(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      !document.body.dataset.busy &&
      document.getElementById("result")?.dataset.state !== "pending",
    undefined,
    { timeout: 20_000 },
  );
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(400);
}

const server = await startDenoServer();
const browser = await launchChromium();
try {
  if (Deno.args[0] === "--docs") {
    for (const shot of DOCS) {
      const context = await browser.newContext({
        viewport: { width: shot.width, height: 900 },
        colorScheme: shot.scheme,
      });
      const page = await context.newPage();
      await page.goto(`${server.url}${shot.path}`, { waitUntil: "load" });
      await ready(page);
      await trainLesson(page);
      // A loss page down to the end of its worked element, a lesson to the end of its figure
      // and controls: the part that teaches.
      await showWholePage(page);
      const bottom = "whole" in shot ? null : await page.evaluate(() => {
        const part = document.querySelector(".workbench") ?? document.querySelector(".lesson")!;
        const box = part.getBoundingClientRect();
        return Math.ceil(box.bottom + scrollY + 16);
      });
      await page.screenshot({
        path: `docs/${shot.file}`,
        fullPage: true,
        clip: bottom === null ? undefined : { x: 0, y: 0, width: shot.width, height: bottom },
      });
      console.log(`docs/${shot.file}`);
      await context.close();
    }
  } else {
    const folder = Deno.args[0] ?? "test-output/screenshots/";
    const paths = Deno.args.length > 1 ? Deno.args.slice(1) : [
      "/",
      "/losses/cross-entropy",
      "/losses/ctc",
      "/losses/triplet-margin",
      "/losses/mse",
    ];
    await Deno.mkdir(folder, { recursive: true });
    for (const scheme of ["light", "dark"] as const) {
      for (const width of [1280, 390]) {
        const context = await browser.newContext({
          viewport: { width, height: 900 },
          colorScheme: scheme,
        });
        const page = await context.newPage();
        for (const path of paths) {
          await page.goto(`${server.url}${path}`, { waitUntil: "load" });
          await ready(page);
          await trainLesson(page);
          const name = path === "/" ? "home" : path.split("/").filter(Boolean).at(-1);
          const file = `${folder}/${name}-${width}-${scheme}`;
          await showWholePage(page);
          await page.screenshot({ path: `${file}.png`, fullPage: true });
          if (Deno.env.get("SEGMENTS")) {
            const height = await page.evaluate(() => document.documentElement.scrollHeight);
            const tall = width < 800 ? 1400 : 1000;
            for (let y = 0, i = 0; y < height; y += tall, i++) {
              await page.screenshot({
                path: `${file}-part${i}.png`,
                clip: { x: 0, y, width, height: Math.min(tall, height - y) },
                fullPage: true,
              });
            }
          }
        }
        await context.close();
      }
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
