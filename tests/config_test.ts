/**
 * The project's configs and locks, so that `deno task start` stays light and nothing drifts:
 * `deno.json` (the app: serving and the site's build) and `lib/deno.json` (the library, a
 * member of its workspace) share `deno.lock`; `deno.dev.json` (tests and benchmarks) has its
 * own `deno.dev.lock`; wrangler runs with `deno.wrangler.lock`.  Every lock is frozen.
 */
import assert from "node:assert/strict";
import app from "../deno.json" with { type: "json" };
import dev from "../deno.dev.json" with { type: "json" };
import lib from "../lib/deno.json" with { type: "json" };
import { buildOpenApi } from "../functions/api/openapi.ts";
import { createApp } from "../functions/app.ts";
import { WRANGLER, wranglerArgs } from "../tools/wrangler.ts";

const ROOT = new URL("../", import.meta.url);

/** What serving and the site's build import: all that the first `deno task start` fetches. */
const APP_PACKAGES = ["@types/ndarray", "hono", "katex", "ndarray", "swagger-ui-dist", "uplot"];

/** Packages of the tests, benchmarks and Worker, which `deno task start` must not fetch. */
const HEAVY = ["wrangler", "workerd", "playwright-core", "@tensorflow/tfjs-core", "autocannon"];

async function readLock(
  name: string,
): Promise<{ specifiers: Record<string, string>; npm: object }> {
  return JSON.parse(await Deno.readTextFile(new URL(name, ROOT)));
}

/** `npm:hono@4.13.19` → `hono`. */
const packageName = (specifier: string) => specifier.replace(/^npm:/, "").replace(/@[^@]*$/, "");

Deno.test("deno.lock holds only what serving and the site's build need", async () => {
  const lock = await readLock("deno.lock");
  assert.deepEqual(Object.keys(lock.specifiers).map(packageName).sort(), APP_PACKAGES);
  const all = Object.keys(lock.npm).map((key) => key.replace(/@[^@]*$/, ""));
  for (const name of HEAVY) assert.ok(!all.includes(name), `deno.lock has ${name}`);
  const imports = { ...app.imports, ...lib.imports };
  assert.deepEqual(Object.keys(imports).sort(), APP_PACKAGES);
});

Deno.test("deno.dev.json imports the app's and the library's packages at their versions", () => {
  const devImports: Record<string, string> = dev.imports;
  for (const [name, specifier] of Object.entries({ ...app.imports, ...lib.imports })) {
    assert.equal(devImports[name], specifier, `deno.dev.json: ${name}`);
  }
  assert.deepEqual(dev.compilerOptions, app.compilerOptions);
  assert.deepEqual(dev.fmt, app.fmt);
  assert.deepEqual(dev.lint, app.lint);
  // deno.json leaves out the tests and benchmarks, whose imports only deno.dev.json has.
  assert.deepEqual(app.exclude, [...dev.exclude, "tests/", "bench/"]);
});

Deno.test("every lock is frozen", async () => {
  assert.deepEqual(app.lock, { path: "deno.lock", frozen: true });
  assert.deepEqual(dev.lock, { path: "deno.dev.lock", frozen: true });
  const args = wranglerArgs(["--version"]);
  assert.ok(args.includes("--frozen=true") && args.includes("--no-config"), args.join(" "));
  const lock = await readLock("deno.wrangler.lock");
  assert.deepEqual(Object.keys(lock.specifiers), [WRANGLER]);
});

Deno.test("a deno.json that drifts from deno.lock fails instead of rewriting the lock", async () => {
  const folder = await Deno.makeTempDir({ prefix: "drift-" });
  try {
    const drifted = structuredClone(app) as { imports: Record<string, string> };
    delete drifted.imports.uplot;
    await Deno.writeTextFile(`${folder}/deno.json`, JSON.stringify(drifted));
    await Deno.mkdir(`${folder}/lib`);
    await Deno.copyFile(new URL("lib/deno.json", ROOT), `${folder}/lib/deno.json`);
    await Deno.copyFile(new URL("deno.lock", ROOT), `${folder}/deno.lock`);
    const before = await Deno.readTextFile(`${folder}/deno.lock`);
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["install"],
      cwd: folder,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(success, false, "deno install must fail on a drifted lock");
    assert.match(new TextDecoder().decode(stderr), /lockfile is out of date/);
    assert.equal(await Deno.readTextFile(`${folder}/deno.lock`), before, "the lock is unchanged");
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("one version: deno.json's, in the OpenAPI document, the health check, the changelog", async () => {
  assert.match(app.version, /^\d+\.\d+\.\d+$/);
  const api = createApp({ log: () => {} });
  assert.equal((buildOpenApi(api.routes).info as { version: string }).version, app.version);
  const health = await (await api.request("/api/health")).json();
  assert.equal(health.version, app.version);
  const changelog = await Deno.readTextFile(new URL("CHANGELOG.md", ROOT));
  assert.equal(changelog.match(/^## (\S+)/m)?.[1], app.version, "the changelog's latest entry");
});
