/**
 * Deno Deploy, as its builder and runtime would take the project: the `deploy` section of
 * `deno.json` gives the install and build commands and the entrypoint.  The test copies the
 * sources (no `node_modules/`, no built site) to a fresh folder, runs the install and build
 * commands there, and starts the entrypoint as Deploy's dynamic runtime does: `deno run` with
 * every permission, the configured arguments, and the address in `DENO_SERVE_ADDRESS` (no
 * `PORT`, no `HOST`).  Deploy's warm-up request (`GET /`) must answer, and so must the API and
 * the site's pages.
 */
import assert from "node:assert/strict";
import app from "../deno.json" with { type: "json" };
import { LISTENING_LINE, type RunningServer, serveChild } from "./api_servers.ts";

const ROOT = new URL("../", import.meta.url);

/** What the source upload leaves out: what the build makes, and what is not the project's. */
const NOT_SOURCES = new Set([".git", "node_modules", "dist", "test-output", ".wrangler"]);

interface DeployConfig {
  install?: string;
  build?: string;
  runtime: { mode: "dynamic"; entrypoint: string; args?: string[]; cwd?: string };
}

const deploy = (app as unknown as { deploy: DeployConfig }).deploy;

/** Copies the project's sources from `from` to `to`, as a source upload takes them. */
async function copySources(from: URL, to: string): Promise<void> {
  for await (const entry of Deno.readDir(from)) {
    if (NOT_SOURCES.has(entry.name)) continue; // site/dist/ too
    const source = new URL(entry.name + (entry.isDirectory ? "/" : ""), from);
    if (entry.isDirectory) {
      await Deno.mkdir(`${to}/${entry.name}`);
      await copySources(source, `${to}/${entry.name}`);
    } else if (entry.isFile) {
      await Deno.copyFile(source, `${to}/${entry.name}`);
    }
  }
}

/** Runs a build step (`deno install`, `deno task build`) in `cwd`, as a shell line. */
async function step(command: string, cwd: string): Promise<void> {
  const [program, ...args] = command.split(" ");
  assert.equal(program, "deno", `a step of the Deno builder: ${command}`);
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(new Uint8Array([...stdout, ...stderr]));
  assert.ok(success, `${command} failed:\n${output}`);
}

Deno.test("deno.json's deploy section names the install, the build and the entrypoint", () => {
  assert.equal(deploy.runtime.mode, "dynamic");
  assert.equal(deploy.runtime.entrypoint, "functions/adapters/deno.ts");
  assert.equal(deploy.build, "deno task build");
  assert.equal(deploy.install, "deno install");
});

Deno.test({
  name: "the entrypoint serves the API and the site as Deno Deploy starts it",
  sanitizeResources: false,
  async fn() {
    const folder = await Deno.makeTempDir({ prefix: "deploy-" });
    let server: RunningServer | undefined;
    try {
      await copySources(ROOT, folder);
      await Deno.stat(`${folder}/site/dist`).then(
        () => assert.fail("the copy has no built site"),
        () => {},
      );
      if (deploy.install) await step(deploy.install, folder);
      if (deploy.build) await step(deploy.build, folder);
      const { entrypoint, args = [], cwd = "." } = deploy.runtime;
      const env: Record<string, string> = Deno.env.toObject();
      delete env.PORT;
      delete env.HOST;
      env.DENO_SERVE_ADDRESS = "tcp:127.0.0.1:0";
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", entrypoint, ...args],
        cwd: `${folder}/${cwd}`,
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        detached: true,
      }).spawn();
      server = await serveChild("The Deploy entrypoint", child, LISTENING_LINE, 60);
      const warmUp = await fetch(`${server.url}/`);
      assert.equal(warmUp.status, 200, "Deploy's warm-up request, GET /");
      assert.match(warmUp.headers.get("Content-Type") ?? "", /text\/html/);
      assert.match(await warmUp.text(), /<title>/);
      const health = await (await fetch(`${server.url}/api/v1/health`)).json();
      assert.equal(health.version, app.version);
      const page = await fetch(`${server.url}/losses/cross-entropy`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /CrossEntropyLoss/);
      const computed = await fetch(`${server.url}/api/v1/losses/mse`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ inputs: { input: [1, 2], target: [1, 0] } }),
      });
      assert.deepEqual((await computed.json()).output, { shape: [], data: [2] });
    } finally {
      await server?.stop();
      await Deno.remove(folder, { recursive: true });
    }
  },
});
