/**
 * The Chromium the browser tests drive (Debian's, or `CHROMIUM_PATH`), shared by the site and
 * security suites.  Without it their browser tests are ignored, which `deno test` reports, and
 * a warning says why; under `CI` a missing Chromium is an error, so that CI cannot pass
 * without the browser tests having run.
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { startDenoServer } from "./api_servers.ts";

/** Where Chromium is looked for. */
export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Whether Chromium is there: the browser tests are `ignore: !hasChromium`. */
export const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);

if (!hasChromium) {
  const message = `No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install ` +
    "chromium) or set CHROMIUM_PATH to run the browser tests.";
  if (Deno.env.get("CI")) throw new Error(message);
  console.warn(message);
}

/** Launches headless Chromium without what a test does not need (sandbox, GPU, updates). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A test of the site in headless Chromium (ignored without it): `body` gets the test's context,
 * the browser and the URL of a Deno server started for it; both are stopped however it ends.
 */
export function chromiumTest(
  name: string,
  body: (t: Deno.TestContext, browser: Browser, base: string) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: !hasChromium,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const server = await startDenoServer();
      let browser: Browser | undefined;
      try {
        browser = await launchChromium();
        await body(t, browser, server.url);
      } finally {
        await browser?.close();
        await server.stop();
      }
    },
  });
}

/**
 * Has `page` show all of itself, as a reader who scrolled through it saw it, for a full-page
 * screenshot (which does not scroll): the page is scrolled through, so that each formula is
 * fitted to its box and a loss page's charts are drawn as they come near the screen, and what is
 * laid out only near the screen (`content-visibility: auto`: the home page's cards, a loss
 * page's parts below its first screens) is laid out and painted, where the screenshot would
 * show it blank.  It waits for a loss page to settle (`<body data-busy>`).
 */
export async function showWholePage(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const frames = () =>
      new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight / 2) {
      scrollTo(0, y);
      await frames();
    }
    for (const part of document.querySelectorAll<HTMLElement>("*")) {
      if (getComputedStyle(part).contentVisibility === "auto") {
        part.style.contentVisibility = "visible";
      }
    }
    scrollTo(0, 0);
    await frames();
  });
  await page.waitForFunction(() => !document.body.dataset.busy, undefined, { timeout: 20_000 });
}
