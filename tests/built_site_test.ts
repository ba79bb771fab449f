/**
 * The suites that serve the site build it when it is missing or stale, and fail at once when
 * the build fails (`built_site.ts`), instead of waiting for pages that are not there.
 */
import assert from "node:assert/strict";
import { BUILD_STAMP, buildSiteIfStale, ensureBuiltSite, staleness } from "./built_site.ts";

Deno.test("a built site is up to date with its sources", async () => {
  await ensureBuiltSite();
  assert.equal(await staleness(), undefined);
});

Deno.test("a stale site is built again", async () => {
  await ensureBuiltSite();
  const stamp = await Deno.readTextFile(BUILD_STAMP);
  try {
    await Deno.writeTextFile(BUILD_STAMP, JSON.stringify({ sources: "stale" }));
    assert.equal(await staleness(), "site/dist/ is older than its sources");
    await buildSiteIfStale();
    assert.equal(await staleness(), undefined);
  } finally {
    if (await staleness()) await Deno.writeTextFile(BUILD_STAMP, stamp);
  }
});

Deno.test("a build that fails fails the suite at once, saying why", async () => {
  const stamp = await Deno.readTextFile(BUILD_STAMP);
  try {
    await Deno.remove(BUILD_STAMP);
    assert.equal(await staleness(), "site/dist/ is not built");
    const started = Date.now();
    await assert.rejects(buildSiteIfStale("no-such-task"), (error: Error) => {
      assert.match(error.message, /^site\/dist\/ is not built, and deno task no-such-task failed/);
      assert.match(error.message, /cannot run/);
      return true;
    });
    assert.ok(Date.now() - started < 30_000);
  } finally {
    await Deno.writeTextFile(BUILD_STAMP, stamp);
  }
});
