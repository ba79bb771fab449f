/**
 * The README's NumPy examples run as written: its Python block (NumPy and `requests` posting
 * .npy files and reading the .npz answer) with Debian's `/usr/bin/python3` and `LOSSES_API` set
 * to the server, and its curl block (`http://localhost:8000` replaced by the server's URL, and
 * `python3` being that Python), against the Deno server and the Worker under local workerd.
 *
 * Without NumPy and `requests` there (`.ci/run` installs `python3-numpy python3-requests`), the
 * tests are ignored, and fail under `CI`.
 */
import assert from "node:assert/strict";
import { type RunningServer, startDenoServer, startWorker, withServer } from "./api_servers.ts";

const PYTHON = "/usr/bin/python3";
const README = new URL("../README.md", import.meta.url);

/** The fenced block after `<!-- test: NAME -->` in the README. */
function readmeBlock(name: string): string {
  const text = Deno.readTextFileSync(README);
  const at = text.indexOf(`<!-- test: ${name} -->`);
  assert.ok(at >= 0, `README.md has no <!-- test: ${name} --> block`);
  const match = /```\w*\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(match, `README.md: no code block after the ${name} marker`);
  return match[1];
}

async function run(command: string, args: string[], env: Record<string, string>, cwd?: string) {
  const output = await new Deno.Command(command, { args, env, cwd, stdin: "null" }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

async function hasNumpy(): Promise<boolean> {
  try {
    return (await run(PYTHON, ["-c", "import numpy, requests"], {})).code === 0;
  } catch {
    return false;
  }
}

const available = await hasNumpy();
const ci = Boolean(Deno.env.get("CI"));
if (!available && !ci) {
  console.warn(
    `${PYTHON} with numpy and requests is not here: the Python client tests are ignored`,
  );
}

async function checkExamples(server: RunningServer): Promise<void> {
  if (!available) {
    assert.fail(
      `${PYTHON} has no numpy or requests: apt-get install python3-numpy python3-requests`,
    );
  }
  const python = await run(PYTHON, ["-c", readmeBlock("python-client")], {
    LOSSES_API: server.url,
    PATH: Deno.env.get("PATH") ?? "",
  });
  assert.equal(python.code, 0, `the README's Python example failed:\n${python.stderr}`);
  assert.match(python.stdout, /^CrossEntropyLoss float32 \d+\.\d+ \(1000, 1000\)$/m);

  const folder = await Deno.makeTempDir();
  try {
    // `python3` in the block is the Python that has NumPy.
    await Deno.symlink(PYTHON, `${folder}/python3`);
    const script = readmeBlock("curl-client").replaceAll("http://localhost:8000", server.url);
    const shell = await run("sh", ["-euc", script], {
      PATH: `${folder}:${Deno.env.get("PATH") ?? ""}`,
    }, folder);
    assert.equal(shell.code, 0, `the README's curl example failed:\n${shell.stderr}`);
    const lines = shell.stdout.trim().split("\n");
    assert.equal(lines[0], "42.166668 (4, 3)", shell.stdout);
    assert.match(
      lines[1],
      /^\{"loss":"MSELoss","dtype":"float32","output":\{"shape":\[\],"data":\[42\.16666793823242\]\}/,
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

Deno.test({
  name: "the README's NumPy examples (Python requests, curl) on Deno",
  ignore: !available && !ci,
  fn: () => withServer(startDenoServer(), checkExamples),
});

Deno.test({
  name: "the README's NumPy examples (Python requests, curl) on Workers (local workerd)",
  ignore: !available && !ci,
  fn: () => withServer(startWorker(), checkExamples),
});
