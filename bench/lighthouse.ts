/**
 * Lighthouse's performance score of the site on the Deno server (a benchmark, not a test):
 * `/`, two loss pages (CrossEntropyLoss's, of formula cases, and CTCLoss's, of four inputs)
 * and `/notebook`, each scored by Lighthouse's mobile preset (simulated slow 4G and a slowed
 * CPU) with Chromium, `RUNS` times (default 3), printing the median score, its Total Blocking
 * Time and its first and largest contentful paints, and the machine's load average as the runs
 * of a page began (the scores move with the load of other work).  BENCHMARKS.md records them.
 *
 * Lighthouse is not a dependency of the project: install it apart and say where it is,
 *
 * ```sh
 * npm i -E --prefix "$HOME/.lighthouse" lighthouse@12.2.3   # apart from the project
 * LIGHTHOUSE="$HOME/.lighthouse/node_modules/.bin/lighthouse" CHROME_PATH=/usr/bin/chromium \
 *   deno run --config deno.dev.json -A bench/lighthouse.ts
 * ```
 *
 * With `SITE_URL` (`http://127.0.0.1:8001`), it scores a server already running there instead
 * of starting one: another build's, to compare builds on the same machine.
 *
 * @module
 */
import { startDenoServer, withServer } from "../tests/api_servers.ts";

const PAGES = ["/", "/losses/cross-entropy", "/losses/ctc", "/notebook"];

/** The tries of a run that Lighthouse could not record (`NO_NAVSTART`, on a busy machine). */
const ATTEMPTS = 3;

/** One Lighthouse run of `url`: its performance score (0–100), blocking time and paints (ms). */
async function score(
  url: string,
): Promise<{ score: number; tbt: number; fcp: number; lcp: number }> {
  const lighthouse = Deno.env.get("LIGHTHOUSE") ?? "lighthouse";
  for (let attempt = 1;; attempt++) {
    const { success, stdout, stderr } = await new Deno.Command(lighthouse, {
      args: [
        url,
        "--only-categories=performance",
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const problem = new TextDecoder().decode(stderr);
    const report = success ? JSON.parse(new TextDecoder().decode(stdout)) : null;
    const performance = report?.categories.performance.score;
    if (typeof performance === "number") {
      return {
        score: Math.round(performance * 100),
        tbt: Math.round(report.audits["total-blocking-time"].numericValue),
        fcp: Math.round(report.audits["first-contentful-paint"].numericValue),
        lcp: Math.round(report.audits["largest-contentful-paint"].numericValue),
      };
    }
    // Lighthouse failed to record the page (its trace), rather than scored it: run it again.
    const unrecorded = report?.runtimeError || /Runtime error encountered/.test(problem);
    if (!unrecorded || attempt === ATTEMPTS) {
      throw new Error(`lighthouse failed on ${url}: ${problem || report?.runtimeError?.message}`);
    }
  }
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

/** Scores every page of {@link PAGES} on the server at `base`, printing a line for each. */
async function scorePages(base: string, runs: number): Promise<void> {
  for (const path of PAGES) {
    const load = Deno.loadavg()[0];
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await score(`${base}${path}`));
    console.log(
      `${path}: performance ${median(results.map((r) => r.score))} (runs: ${
        results.map((r) => r.score).join(", ")
      }), TBT ${median(results.map((r) => r.tbt))} ms, FCP ${
        median(results.map((r) => r.fcp))
      } ms, LCP ${median(results.map((r) => r.lcp))} ms (load ${load.toFixed(1)})`,
    );
  }
}

if (import.meta.main) {
  const runs = Number(Deno.env.get("RUNS") ?? 3);
  // SITE_URL scores a server already running (another build, to compare on the same machine).
  const site = Deno.env.get("SITE_URL");
  if (site) await scorePages(site.replace(/\/$/, ""), runs);
  else await withServer(startDenoServer(), (server) => scorePages(server.url, runs));
}
