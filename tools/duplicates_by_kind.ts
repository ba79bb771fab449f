/**
 * Sorts the pairs the `duplicates` command lists (the team's tool, on the developers' machines)
 * by kind, so that the ones to fix stand apart from the ones kept on purpose:
 *
 * - `kernel`: both sides inside the per-dtype element loops (`function …32`/`…64`, the
 *   `float32: {}`/`float64: {}` kernels), written twice on purpose (CONTRIBUTING.md, "Loops
 *   written twice on purpose");
 * - `import`: both sides inside multi-line import lists, which the tool means to pass over but
 *   reads once `deno fmt` wraps them;
 * - `alike`: lines of the same shape with other names and values (each loss module's metadata
 *   has the same fields in the same order, as the registry asks);
 * - `same`: the same text outside the loops: a fact or a helper written twice, a defect.
 *
 * `deno run -A tools/duplicates_by_kind.ts [kind…]` prints the count of each kind, then the rows
 * of the kinds named (`same` by default).
 *
 * @module
 */

/** What a pair of places is. */
export type PairKind = "kernel" | "import" | "alike" | "same";

/** A row of `duplicates`: `D1 a.ts:10-24 ~ b.ts:40-54 shape (+2 more runs)`. */
const ROW = /^D\d+ (\S+):(\d+)-(\d+) ~ (\S+):(\d+)-(\d+)(.*)$/;

/** The first line of a per-dtype element loop. */
const KERNEL_START =
  /^\s*((export )?function \w*(32|64)\b|float(32|64): \{|(losses|gradient)\w*\(.*\) \{$)/;

/** Lines that say nothing of their own: brackets and punctuation. */
const PUNCTUATION = /^[\]\)\}\{\[;,\s]*$/;

/** Which lines of a file are in a per-dtype loop, and which in a multi-line import list. */
function marksOf(lines: string[]): { kernel: boolean[]; imports: boolean[] } {
  const kernel = lines.map(() => false), imports = lines.map(() => false);
  for (let i = 0; i < lines.length; i++) {
    if (KERNEL_START.test(lines[i])) {
      for (let k = i - 1; k >= 0 && /^\s*(\/\*\*|\*|\/\/|$)/.test(lines[k]); k--) kernel[k] = true;
      // The body opens on the first line that ends with `{` (parameters may hold braces).
      for (; i < lines.length && !/\{\s*$/.test(lines[i]); i++) kernel[i] = true;
      for (let depth = 0; i < lines.length; i++) {
        depth += (lines[i].match(/\{/g) ?? []).length - (lines[i].match(/\}/g) ?? []).length;
        kernel[i] = true;
        if (depth <= 0) break;
      }
    } else if (/^(import|export) (type )?(\{|\* as )/.test(lines[i])) {
      for (; i < lines.length && !lines[i].includes(' from "'); i++) imports[i] = true;
      if (i < lines.length) imports[i] = true;
    }
  }
  return { kernel, imports };
}

/** The kind of a row of `duplicates`, reading its two places in `read(path)`'s lines. */
export function kindOf(row: string, read: (path: string) => string[]): PairKind | undefined {
  const match = ROW.exec(row);
  if (!match) return undefined;
  const [, file1, from1, to1, file2, from2, to2, rest] = match;
  const seen = new Set<string>();
  for (const [file, from, to] of [[file1, from1, to1], [file2, from2, to2]]) {
    const lines = read(file);
    const { kernel, imports } = marksOf(lines);
    for (let k = Number(from) - 1; k < Number(to); k++) {
      if (!lines[k]?.trim() || PUNCTUATION.test(lines[k])) continue;
      seen.add(kernel[k] ? "kernel" : imports[k] ? "import" : "other");
    }
  }
  if (!seen.has("other") && !seen.has("kernel")) return "import";
  if (!seen.has("other")) return "kernel";
  return / shape\b/.test(rest) ? "alike" : "same";
}

if (import.meta.main) {
  const run = await new Deno.Command("duplicates", { args: ["--most", "200", "--seconds", "60"] })
    .output();
  const rows = new TextDecoder().decode(run.stdout).split("\n");
  const cache = new Map<string, string[]>();
  const read = (path: string) => {
    if (!cache.has(path)) cache.set(path, Deno.readTextFileSync(path).split("\n"));
    return cache.get(path)!;
  };
  const byKind = new Map<PairKind, string[]>();
  for (const row of rows) {
    const kind = kindOf(row, read);
    if (kind) byKind.set(kind, [...byKind.get(kind) ?? [], row]);
  }
  console.log(rows[0]);
  for (const kind of ["kernel", "import", "alike", "same"] as const) {
    console.log(`${kind}: ${byKind.get(kind)?.length ?? 0}`);
  }
  for (const kind of Deno.args.length ? Deno.args : ["same"]) {
    console.log(`\n${kind}:\n${(byKind.get(kind as PairKind) ?? []).join("\n")}`);
  }
}
