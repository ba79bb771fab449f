/**
 * The layout's rules, read from the source: no import circles (type-only imports included), the
 * library imports nothing outside `lib/`, the API nothing from the site, and the site's client
 * script nothing from the server but types.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const FOLDERS = ["lib", "functions", "site", "tools", "tests", "bench"];
const SPECIFIER =
  /^\s*(?:import|export)\b[^;]*?\sfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gms;

/** Every `.ts`/`.tsx` file of the project's folders, by path from the root. */
async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  const walk = async (folder: string) => {
    for await (const entry of Deno.readDir(new URL(folder, ROOT))) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory && entry.name !== "dist" && entry.name !== "fixtures") await walk(path);
      else if (entry.isFile && /\.tsx?$/.test(entry.name)) files.push(path);
    }
  };
  for (const folder of FOLDERS) await walk(folder);
  return files;
}

interface Edge {
  to: string;
  typeOnly: boolean;
}

/** The project files each file imports (relative specifiers only; doc comments skipped). */
async function importGraph(): Promise<Map<string, Edge[]>> {
  const graph = new Map<string, Edge[]>();
  for (const file of await sourceFiles()) {
    const code = (await Deno.readTextFile(new URL(file, ROOT)))
      .split("\n").filter((line) => !/^\s*(\*|\/\/)/.test(line)).join("\n");
    const edges: Edge[] = [];
    for (const match of code.matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2];
      if (!specifier.startsWith(".")) continue;
      const to = new URL(specifier, new URL(file, ROOT)).pathname.slice(ROOT.pathname.length);
      edges.push({ to, typeOnly: /^\s*(?:import|export)\s+type\b/.test(match[0]) });
    }
    graph.set(file, edges);
  }
  return graph;
}

const graph = await importGraph();

Deno.test("no import circles, type-only imports included", () => {
  const state = new Map<string, "open" | "done">();
  const circles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      circles.push([...path.slice(path.indexOf(file)), file].join(" → "));
      return;
    }
    state.set(file, "open");
    for (const { to } of graph.get(file) ?? []) visit(to, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(circles, []);
  assert.ok(graph.size > 50, `read ${graph.size} files`);
});

Deno.test("the library imports nothing outside lib/", () => {
  const outside = [...graph].flatMap(([file, edges]) =>
    file.startsWith("lib/")
      ? edges.filter(({ to }) => !to.startsWith("lib/")).map(({ to }) => `${file} → ${to}`)
      : []
  );
  assert.deepEqual(outside, []);
});

Deno.test("the API imports nothing from the site, tools, tests or benchmarks", () => {
  // deno.json is read for the release's version (functions/api/version.ts).
  const upward = [...graph].flatMap(([file, edges]) =>
    file.startsWith("functions/")
      ? edges.filter(({ to }) => !/^(functions|lib)\/|^deno\.json$/.test(to))
        .map(({ to }) => `${file} → ${to}`)
      : []
  );
  assert.deepEqual(upward, []);
});

Deno.test("the site's script takes only types from the server", () => {
  const values = [...graph].flatMap(([file, edges]) =>
    file.startsWith("site/client/")
      ? edges.filter(({ to, typeOnly }) => to.startsWith("functions/") && !typeOnly)
        .map(({ to }) => `${file} → ${to}`)
      : []
  );
  assert.deepEqual(values, []);
});
