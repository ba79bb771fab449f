/**
 * Lighthouse's performance score of the site on the Deno server (a benchmark, not a test):
 * `/`, a loss page and `/notebook`, each scored by Lighthouse's mobile preset (simulated slow
 * 4G and a slowed CPU) with Chromium, `RUNS` times (default 3), printing the median score and
 * its first and largest contentful paints.  BENCHMARKS.md records the figures.
 *
 * Lighthouse is not a dependency of the project: install it apart and say where it is,
 *
 * ```sh
 * npm i -E --prefix "$HOME/.lighthouse" lighthouse@12.2.3   # apart from the project
 * LIGHTHOUSE="$HOME/.lighthouse/node_modules/.bin/lighthouse" CHROME_PATH=/usr/bin/chromium \
 *   deno run --config deno.dev.json -A bench/lighthouse.ts
 * ```
 *
 * @module
 */
import { startDenoServer, withServer } from "../tests/api_servers.ts";

const PAGES = ["/", "/losses/cross-entropy", "/notebook"];

/** One Lighthouse run of `url`: its performance score (0–100) and paints (ms). */
async function score(url: string): Promise<{ score: number; fcp: number; lcp: number }> {
  const lighthouse = Deno.env.get("LIGHTHOUSE") ?? "lighthouse";
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
  if (!success) throw new Error(`lighthouse failed on ${url}: ${new TextDecoder().decode(stderr)}`);
  const report = JSON.parse(new TextDecoder().decode(stdout));
  return {
    score: Math.round(report.categories.performance.score * 100),
    fcp: Math.round(report.audits["first-contentful-paint"].numericValue),
    lcp: Math.round(report.audits["largest-contentful-paint"].numericValue),
  };
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

if (import.meta.main) {
  const runs = Number(Deno.env.get("RUNS") ?? 3);
  await withServer(startDenoServer(), async (server) => {
    for (const path of PAGES) {
      const results = [];
      for (let i = 0; i < runs; i++) results.push(await score(`${server.url}${path}`));
      console.log(
        `${path}: performance ${median(results.map((r) => r.score))} (runs: ${
          results.map((r) => r.score).join(", ")
        }), FCP ${median(results.map((r) => r.fcp))} ms, LCP ${
          median(results.map((r) => r.lcp))
        } ms`,
      );
    }
  });
}
