/// <reference lib="dom" />
/**
 * The demo site in a real headless Chromium (Debian's, driven by playwright-core), served by
 * the Deno entry: every loss page computes and shows what the API returns, the notebook shows
 * its four values, errors appear on the field that caused them, the pages satisfy their CSP,
 * axe-core finds no serious or critical violation, and nothing overflows a phone's width.
 * Screenshots go to `test-output/screenshots/`.
 */
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { losses } from "../lib/mod.ts";
import { type RunningServer, startDenoServer } from "./api_servers.ts";
import { hasChromium, launchChromium } from "./chromium.ts";
import { ensureBuiltSite } from "./built_site.ts";

// The Deno server serves the built site: build it first if it is missing or stale.
await ensureBuiltSite();

const SCREENSHOTS = new URL("../test-output/screenshots/", import.meta.url);
const AXE = new URL(import.meta.resolve("axe-core")).pathname.replace(/axe\.js$/, "axe.min.js");

/**
 * Opens a page, recording console errors; `before` runs once the page exists and before it
 * loads (to wait for requests the page makes as it starts).
 */
async function open<T>(
  context: BrowserContext,
  url: string,
  before: (page: Page) => T = () => undefined as T,
) {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  const early = before(page);
  await page.goto(url, { waitUntil: "load" });
  return { page, errors, early };
}

/** Waits until every `<output>` matching `selector` holds a number. */
async function waitForNumbers(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (selector) =>
      [...document.querySelectorAll(selector)].every((node) =>
        /\d/.test(node.textContent ?? "") && !node.classList.contains("stale")
      ),
    selector,
    { timeout: 15_000 },
  );
}

async function axeViolations(context: BrowserContext, url: string): Promise<string[]> {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "load" });
  await page.waitForTimeout(500);
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v: { impact: string }) => v.impact === "serious" || v.impact === "critical")
      .map((v: { id: string; impact: string; nodes: { target: string[] }[] }) =>
        `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`
      );
  });
  await page.close();
  return violations;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth
    );
    assert.ok(overflow <= 1, `${name} at ${width} px is ${overflow} px wider than the screen`);
    await page.screenshot({
      path: new URL(`${name}-${width}.png`, SCREENSHOTS).pathname,
      fullPage: true,
    });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

Deno.test({
  name: "site: in headless Chromium",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    let server: RunningServer | undefined;
    let browser: Browser | undefined;
    try {
      server = await startDenoServer();
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const axeContext = await browser.newContext({ bypassCSP: true });
      const base = server.url;

      await t.step("home lists every loss, grouped, and filters them", async () => {
        const { page, errors } = await open(context, `${base}/`);
        assert.equal(await page.locator(".card").count(), losses.length);
        const categories = new Set(losses.map((loss) => loss.category)).size;
        assert.equal(await page.locator(".category").count(), categories);
        assert.equal(await page.locator(".card .katex").count(), losses.length);
        await page.fill("#filter", "margin");
        const shown = await page.locator(".card:not([hidden])").count();
        assert.ok(shown >= 5 && shown < losses.length, `${shown} cards match "margin"`);
        assert.match(await page.textContent("#filter-count") ?? "", new RegExp(`^${shown} `));
        await page.fill("#filter", "");
        await screenshot(page, "home");
        assert.deepEqual(errors, []);
        await page.close();
      });

      for (const loss of losses) {
        await t.step(`${loss.name}: computes and shows the API's value`, async () => {
          const { page, errors, early } = await open(
            context,
            `${base}/losses/${loss.slug}`,
            (page) =>
              page.waitForResponse((response) =>
                response.url().endsWith(`/api/v1/losses/${loss.slug}`) &&
                response.request().method() === "POST" &&
                JSON.parse(response.request().postData() ?? "{}").grad === true
              ),
          );
          const response = await early;
          assert.equal(response.status(), 200, await response.text());
          const request = JSON.parse(response.request().postData()!);
          await waitForNumbers(page, "#output");
          // The same request from outside the browser gets the same answer.
          const direct = await fetch(`${base}/api/v1/losses/${loss.slug}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(request),
          }).then((r) => r.json());
          const shown = await page.locator("#output").getAttribute("data-value");
          if (direct.output.shape.length === 0) {
            assert.equal(Number(shown), Number(direct.output.data[0]), `${loss.name} value`);
            const text = await page.textContent("#output") ?? "";
            const value = Number(direct.output.data[0]);
            assert.ok(text.includes(value.toFixed(4)) || !Number.isFinite(value), text);
          }
          const gradTables = await page.locator("#grads .heatmap").count();
          assert.equal(gradTables, Object.keys(direct.grads).length, "one heatmap per gradient");
          await page.waitForSelector("#by-hand table");
          assert.ok((await page.textContent("#snippet-pytorch"))?.includes(`nn.${loss.name}(`));
          // The curl snippet's body, posted as it is, gives the value on the page.
          const curl = await page.textContent("#snippet-curl") ?? "";
          const body = /-d '(.*)'$/s.exec(curl)?.[1].replace(/'\\''/g, "'");
          assert.ok(body, curl);
          const fromSnippet = await fetch(`${base}/api/v1/losses/${loss.slug}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          }).then((r) => r.json());
          assert.deepEqual(fromSnippet.output, direct.output, `${loss.name}: curl snippet`);
          if (loss.curve) {
            await page.waitForSelector("#curve canvas", { timeout: 15_000 });
          }
          assert.deepEqual(errors, [], `${loss.name}: console errors`);
          await page.close();
        });
      }

      await t.step("a loss page shows an API error on the field that caused it", async () => {
        const { page, errors } = await open(context, `${base}/losses/cross-entropy`);
        await waitForNumbers(page, "#output");
        const classes = await page.evaluate(() =>
          JSON.parse(document.getElementById("loss-data")!.textContent!).name
        );
        assert.equal(classes, "CrossEntropyLoss");
        await page.fill("#input-target", "[0, 1, 99]");
        const slot = page.locator("#input-target-error");
        await slot.waitFor({ state: "visible" });
        assert.match(await slot.textContent() ?? "", /inputs\.target/);
        assert.equal(await page.getAttribute("#input-target", "aria-invalid"), "true");
        await page.fill("#input-target", "[[0, 1], [2]");
        await page.waitForFunction(() =>
          /expected|ragged/.test(document.getElementById("input-target-error")!.textContent!)
        );
        // Errors the browser raises are not counted: the API's 400 is expected here.
        assert.ok(errors.every((error) => /400|Bad Request/.test(error)), errors.join("\n"));
        await page.close();
      });

      await t.step("options recompute as a slider moves, and random inputs redraw", async () => {
        const { page } = await open(context, `${base}/losses/cross-entropy`);
        await waitForNumbers(page, "#output");
        const before = await page.locator("#output").getAttribute("data-value");
        await page.locator("#option-label_smoothing-slider").fill("0.5");
        await page.waitForFunction(
          (before) => document.getElementById("output")!.dataset.value !== before,
          before,
        );
        const smoothed = await page.inputValue("#option-label_smoothing");
        assert.equal(Number(smoothed), 0.5);
        const inputBefore = await page.inputValue("#input-input");
        await page.click("#random");
        await page.waitForFunction(
          (text) => (document.getElementById("input-input") as HTMLTextAreaElement).value !== text,
          inputBefore,
        );
        assert.match(await page.textContent("#seed-note") ?? "", /seed 2/);
        await waitForNumbers(page, "#output");
        await screenshot(page, "loss-cross-entropy");
        await page.close();
      });

      await t.step("/notebook shows the notebook's numbers and inline errors", async () => {
        const { page, errors } = await open(context, `${base}/notebook`);
        await waitForNumbers(page, ".values output");
        const value = (id: string) => page.textContent(`#${id}`);
        assert.equal(await value("nb-l1"), "1.5025");
        assert.equal(await value("nb-l1-hand"), "1.5025");
        assert.equal(await value("nb-bce"), "0.9895");
        assert.equal(await value("nb-bce-logits"), "0.9895");
        assert.equal(await value("nb-nll3"), "1.6360");
        assert.equal(await value("nb-ce3"), "1.6360");
        for (const id of ["nb-ce2", "nb-nll2", "nb-bce2", "nb-bce-logits2"]) {
          assert.equal(await value(id), "0.7133", id);
        }
        assert.equal(await page.locator(".agreement:not([hidden])").count(), 3);
        await screenshot(page, "notebook");
        assert.deepEqual(errors, []);

        await page.fill("#nb-l1Input", "[[1, 2], [3]]");
        const slot = page.locator("#nb-l1Input-error");
        await slot.waitFor({ state: "visible" });
        assert.match(await slot.textContent() ?? "", /ragged/);
        await page.click("#restore");
        await slot.waitFor({ state: "hidden" });
        await page.fill("#nb-threeClassLabels", "[1, 1, 1, 0, 0, 2, 1, 2, 1, 7]");
        const labels = page.locator("#nb-threeClassLabels-error");
        await labels.waitFor({ state: "visible" });
        assert.match(await labels.textContent() ?? "", /7/);
        await page.click("#redraw");
        await page.waitForFunction(() =>
          document.getElementById("draw-note")!.textContent!.includes("seed 1")
        );
        await waitForNumbers(page, ".values output");
        await page.close();
      });

      await t.step("axe-core: no serious or critical violations", async () => {
        for (const path of ["/", "/losses/cross-entropy", "/notebook"]) {
          assert.deepEqual(await axeViolations(axeContext, `${base}${path}`), [], path);
        }
      });
    } finally {
      await browser?.close();
      await server?.stop();
    }
  },
});
