/**
 * The built site (`site/dist/`) for the suites that serve it (the browser suites, the API
 * suites whose servers serve the site, every Worker suite: wrangler refuses to start without
 * its assets).  {@link ensureBuiltSite} builds it, as `deno task build` does, when it is missing
 * or older than its sources, and fails at once, saying why, when the build fails; so a suite run
 * alone (`deno task suite tests/site_test.ts`) needs no build first and never waits on pages
 * that are not there.
 *
 * @module
 */
import { sourcesDigest } from "../site/sources.ts";

const ROOT = new URL("../", import.meta.url);

/** What `site/build.ts` writes beside the site: the digest of the sources it was built from. */
export const BUILD_STAMP = new URL("site/dist/build.json", ROOT);

let checked: Promise<void> | undefined;

/** Why the built site cannot be used as it is, or undefined when it is up to date. */
export async function staleness(): Promise<string | undefined> {
  let stamp: { sources?: string };
  try {
    stamp = JSON.parse(await Deno.readTextFile(BUILD_STAMP));
  } catch {
    return "site/dist/ is not built";
  }
  return stamp.sources === await sourcesDigest()
    ? undefined
    : "site/dist/ is older than its sources";
}

/**
 * Builds the site with `deno task <task>` unless it is up to date; throws at once, with the
 * build's output, if the build fails.
 */
export async function buildSiteIfStale(task = "build"): Promise<void> {
  const why = await staleness();
  if (!why) return;
  console.warn(`${why}: building it (deno task ${task})`);
  const { success, code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", task],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    const output = new TextDecoder().decode(new Uint8Array([...stdout, ...stderr]));
    throw new Error(
      `${why}, and deno task ${task} failed (exit code ${code}); this suite serves the built ` +
        `site, so it cannot run.\n${output.trim().split("\n").slice(-30).join("\n")}`,
    );
  }
  const after = await staleness();
  if (after) throw new Error(`deno task ${task} succeeded but ${after}`);
}

/** {@link buildSiteIfStale}, once per process: what the suites that serve the site call. */
export function ensureBuiltSite(): Promise<void> {
  return checked ??= buildSiteIfStale();
}
