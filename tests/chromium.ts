/**
 * The Chromium the browser tests drive (Debian's, or `CHROMIUM_PATH`), shared by the site and
 * security suites.  Without it their browser tests are ignored, which `deno test` reports, and
 * a warning says why; under `CI` a missing Chromium is an error, so that CI cannot pass
 * without the browser tests having run.
 *
 * @module
 */
import { type Browser, chromium } from "playwright-core";

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
