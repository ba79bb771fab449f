/**
 * `lib/` as a package others can depend on: its config (`lib/deno.json`) names it, versions it
 * as the project and exports `mod.ts`; `deno doc --lint` finds nothing to document; JSR's checks
 * pass (`deno publish --dry-run`, slow types included: this machine cannot reach JSR to publish);
 * and the bundle `deno task bundle` makes computes the notebook's L1 loss, 1.5025, imported by a
 * Node script and by a page in Chromium.  Without Node or Chromium those tests are ignored with
 * a message, and fail under `CI`.
 */
import assert from "node:assert/strict";
import app from "../deno.json" with { type: "json" };
import lib from "../lib/deno.json" with { type: "json" };
import { goldenCases } from "./golden.ts";
import { hasChromium, launchChromium } from "./chromium.ts";

const ROOT = new URL("../", import.meta.url);
const LIB = new URL("lib/", ROOT);

/** The notebook's L1 case: its 3x5 input and target, and PyTorch's answer. */
const notebook = goldenCases.find((c) => c.id === "seed-notebook/00-L1Loss")!;
const tensors = {
  input: { data: notebook.inputs.input.data.map(Number), shape: notebook.inputs.input.shape },
  target: { data: notebook.inputs.target.data.map(Number), shape: notebook.inputs.target.shape },
};

/** Module code that computes the notebook's L1 loss with the bundle at `bundle`. */
function l1Script(bundle: string): string {
  return `import { computeLoss, ndarrayOf } from ${JSON.stringify(bundle)};
const { input, target } = ${JSON.stringify(tensors)};
const { output } = computeLoss("L1Loss", {
  input: ndarrayOf(input.data, input.shape),
  target: ndarrayOf(target.data, target.shape),
});
export const l1 = output.get().toFixed(4);
`;
}

async function run(command: string, args: string[], cwd: URL | string) {
  const { success, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { success, stdout: decode(stdout), stderr: decode(stderr) };
}

/** Whether Node is here (`node` on the PATH): the Node test is ignored without it. */
const hasNode = await run("node", ["--version"], ROOT).then((r) => r.success, () => false);
if (!hasNode) {
  const message = "No node on the PATH: the library bundle's Node test is ignored.";
  if (Deno.env.get("CI")) throw new Error(message);
  console.warn(message);
}

/** Builds the bundle as `deno task bundle` does, into `folder`; returns its path. */
async function bundle(folder: string): Promise<string> {
  const args = app.tasks.bundle.split(" ").slice(1);
  const output = `${folder}/losses.mjs`;
  args[args.indexOf("--output") + 1] = output;
  const result = await run(Deno.execPath(), args, ROOT);
  assert.ok(result.success, `deno ${args.join(" ")} failed:\n${result.stderr}`);
  return output;
}

Deno.test("lib/deno.json names the package, versions it as the project and exports mod.ts", () => {
  assert.match(lib.name, /^@[a-z0-9-]+\/[a-z0-9-]+$/);
  assert.equal(lib.version, app.version);
  assert.equal(lib.license, "MIT");
  assert.equal(lib.exports, "./mod.ts");
  assert.deepEqual(app.workspace, ["./lib"]);
});

Deno.test("deno doc --lint finds nothing undocumented or private in the library's API", async () => {
  const result = await run(Deno.execPath(), ["doc", "--lint", "mod.ts"], LIB);
  assert.ok(result.success, result.stderr);
  assert.doesNotMatch(result.stderr, /error/);
});

Deno.test("JSR's checks accept the package (deno publish --dry-run)", async () => {
  const result = await run(Deno.execPath(), ["publish", "--dry-run", "--allow-dirty"], LIB);
  assert.ok(result.success, result.stderr);
  assert.match(result.stdout + result.stderr, /Checking for slow types in the public API/);
  assert.match(result.stdout + result.stderr, /Dry run complete/);
});

Deno.test({
  name: "a Node script importing the bundle computes the notebook's L1 loss, 1.5025",
  ignore: !hasNode,
  async fn() {
    const folder = await Deno.makeTempDir({ prefix: "lib-node-" });
    try {
      await bundle(folder);
      await Deno.writeTextFile(
        `${folder}/l1.mjs`,
        l1Script("./losses.mjs") + "console.log(l1);\n",
      );
      const result = await run("node", ["l1.mjs"], folder);
      assert.ok(result.success, result.stderr);
      assert.equal(result.stdout.trim(), "1.5025");
      assert.equal(Number(notebook.expected!.output.data[0]).toFixed(4), "1.5025");
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
});

Deno.test({
  name: "a page in Chromium importing the bundle computes the notebook's L1 loss, 1.5025",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const folder = await Deno.makeTempDir({ prefix: "lib-browser-" });
    const files: Record<string, [string, string]> = {
      "/": [
        "text/html",
        `<!doctype html><title>losses</title><link rel="icon" href="data:,">
<script type="module">
import { l1 } from "./l1.mjs";
document.body.dataset.l1 = l1;
</script>`,
      ],
      "/l1.mjs": ["text/javascript", l1Script("./losses.mjs")],
    };
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const path = new URL(request.url).pathname;
        if (path === "/losses.mjs") {
          const body = await Deno.readFile(`${folder}/losses.mjs`);
          return new Response(body, { headers: { "Content-Type": "text/javascript" } });
        }
        const file = files[path];
        if (!file) return new Response("not found", { status: 404 });
        return new Response(file[1], { headers: { "Content-Type": file[0] } });
      },
    );
    const browser = await launchChromium();
    try {
      await bundle(folder);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("response", (response) => {
        if (!response.ok()) errors.push(`${response.status()} ${response.url()}`);
      });
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${server.addr.port}/`);
      await page.waitForSelector("body[data-l1]", { state: "attached", timeout: 15_000 }).catch(
        () => {
          throw new Error(`the page computed nothing: ${errors.join("; ")}`);
        },
      );
      assert.equal(await page.getAttribute("body", "data-l1"), "1.5025");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(folder, { recursive: true });
    }
  },
});
