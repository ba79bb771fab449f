/**
 * The OpenAPI document as its users' tools read it: Redocly's linter with its recommended rules
 * finds nothing, and the TypeScript types `openapi-typescript` generates from it accept every
 * example of the README (the `curl` bodies and the answers shown under them, the health check's
 * answer, the typed client's request), which the API answers as the README shows.
 */
import assert from "node:assert/strict";
import openapiTS, { astToString } from "openapi-typescript";
import { findLoss } from "../lib/mod.ts";
import { buildOpenApi } from "../functions/api/openapi.ts";
import { createApp } from "../functions/app.ts";

const ROOT = new URL("../", import.meta.url);
const DEV_CONFIG = decodeURIComponent(new URL("deno.dev.json", ROOT).pathname);
const REDOCLY = "npm:@redocly/cli@2.77.0";

const app = createApp({ log: () => {} });
const document = buildOpenApi(app.routes);

/** One `curl` example of the README: where it posts, what, and the answer shown under it. */
interface CurlExample {
  path: string;
  body: unknown;
  answer: Record<string, unknown>;
}

const readme = await Deno.readTextFile(new URL("README.md", ROOT));

/** The README's `curl … -d '…'` examples, with the `# …` answer lines that follow each. */
function curlExamples(): CurlExample[] {
  const examples: CurlExample[] = [];
  const pattern =
    /curl (http:\/\/localhost:8000(\/api\/v1\/\S+))[^\n]*?(?:\\\n\s*)?[^\n]*?-d '([^']*)'\n((?:#[^\n]*\n)+)/g;
  for (const match of readme.matchAll(pattern)) {
    const answer = match[4].split("\n").map((line) => line.replace(/^#\s*/, "")).join("");
    examples.push({ path: match[2], body: JSON.parse(match[3]), answer: JSON.parse(answer) });
  }
  return examples;
}

/** The health check's answer, from the README's table of routes. */
function healthExample(): unknown {
  const row = /\| `GET \/api\/v1\/health`\s*\| `(\{[^`]*\})`/.exec(readme);
  assert.ok(row, "the README's routes table shows GET /api/v1/health");
  return JSON.parse(row[1]);
}

/** The request of the README's typed-client example (`json: {…}`), as TypeScript source. */
function clientExample(): { name: string; json: string } {
  const call = /\$post\(\{\s*param: \{ name: "([^"]+)" \},\s*json: (\{.*\}),\s*\}\);/s.exec(readme);
  assert.ok(call, "the README's typed-client example");
  return { name: call[1], json: call[2] };
}

/** The OpenAPI path of a README path: its loss by class name, as the document lists it. */
function documentedPath(path: string): string {
  const [, name] = /^\/api\/v1\/losses\/([^/?]+)$/.exec(path) ?? [];
  return name ? `/api/v1/losses/${findLoss(name)!.name}` : path;
}

Deno.test("Redocly's recommended rules find nothing in the OpenAPI document", async () => {
  const folder = await Deno.makeTempDir({ prefix: "openapi-lint-" });
  try {
    await Deno.writeTextFile(`${folder}/openapi.json`, JSON.stringify(document, null, 2));
    const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        DEV_CONFIG,
        "-A",
        REDOCLY,
        "lint",
        "--extends=recommended",
        "--format=json",
        "openapi.json",
      ],
      cwd: folder,
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout);
    const start = output.indexOf("{");
    assert.ok(start >= 0, `no report from redocly: ${new TextDecoder().decode(stderr)}`);
    const report = JSON.parse(output.slice(start));
    const problems = (report.problems as { ruleId: string; message: string }[])
      .map((problem) => `${problem.ruleId}: ${problem.message}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 });
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("openapi-typescript's types of the document accept the README's examples", async () => {
  const examples = curlExamples();
  assert.ok(examples.length >= 3, `found ${examples.length} curl examples in the README`);
  const folder = await Deno.makeTempDir({ prefix: "openapi-types-" });
  try {
    await Deno.writeTextFile(`${folder}/api.ts`, astToString(await openapiTS(document as never)));
    const client = clientExample();
    const lines = [
      'import type { components, paths } from "./api.ts";',
      "type Post<P extends keyof paths> = paths[P] extends { post: infer O } ? O : never;",
      "type Body<P extends keyof paths> = Post<P> extends",
      '  { requestBody: { content: { "application/json": infer B } } } ? B : never;',
      "type Answer<P extends keyof paths, S extends number> = Post<P> extends",
      '  { responses: Record<S, { content: { "application/json": infer A } }> } ? A : never;',
      'type Problem = components["schemas"]["Problem"];',
      'type Health = paths["/api/v1/health"]["get"]["responses"][200]["content"]' +
      '["application/json"];',
      `export const health: Health = ${JSON.stringify(healthExample())};`,
      `export const client: Body<"${documentedPath(`/api/v1/losses/${client.name}`)}"> = ` +
      `${client.json};`,
    ];
    examples.forEach(({ path, body, answer }, i) => {
      const key = JSON.stringify(documentedPath(path));
      lines.push(`export const body${i}: Body<${key}> = ${JSON.stringify(body)};`);
      const type = answer.status ? "Problem" : `Answer<${key}, 200>`;
      lines.push(`export const answer${i}: ${type} = ${JSON.stringify(answer)};`);
    });
    await Deno.writeTextFile(`${folder}/examples.ts`, lines.join("\n") + "\n");
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--no-config", "examples.ts"],
      cwd: folder,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(new Uint8Array([...stdout, ...stderr]));
    assert.ok(success, `the README's examples do not type-check:\n${output}\n${lines.join("\n")}`);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("the API answers the README's examples as the README shows", async () => {
  for (const { path, body, answer } of curlExamples()) {
    const response = await app.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const got = await response.json();
    if (answer.status) {
      assert.equal(response.status, answer.status, path);
      for (const [key, value] of Object.entries(answer)) assert.deepEqual(got[key], value, key);
    } else {
      assert.equal(response.status, 200, path);
      assert.deepEqual(got, answer, path);
    }
  }
  const health = await (await app.request("/api/v1/health")).json();
  assert.deepEqual(health, healthExample());
});
