/**
 * The README's numbers and its list of the losses beyond `torch.nn` are the registry's and the
 * golden files': a loss or a case added without updating the README fails here.
 */
import assert from "node:assert/strict";
import { losses } from "../lib/mod.ts";
import { casesOf, edgeCases, GOLDEN_FILES, goldenCases } from "./golden.ts";

const raw = await Deno.readTextFile(new URL("../README.md", import.meta.url));
// White space folded, so that where `deno fmt` wraps a sentence does not matter.
const readme = raw.replace(/\s+/g, " ");

Deno.test("README: the counts of losses and golden cases are the registry's and the fixtures'", () => {
  const torch = losses.filter((loss) => !loss.source).length;
  const beyond = losses.length - torch;
  assert.ok(readme.includes(`${losses.length} losses in all`));
  assert.ok(readme.includes(`"losses": ${losses.length}`), "the health answer");
  assert.ok(readme.includes(`and ${beyond} losses beyond \`torch.nn\``));
  const [torchCases, beyondCases] = GOLDEN_FILES.map((file) => casesOf(file).length);
  assert.ok(readme.includes(`on ${torchCases} reference cases`));
  assert.ok(readme.includes(`on ${beyondCases} more`));
  assert.ok(readme.includes(`the ${goldenCases.length} reference cases (${torchCases} of PyTorch`));
  assert.ok(readme.includes(`and on ${edgeCases.length} at the extremes`), "the edge cases");
  assert.ok(readme.includes(`PyTorch's ${edgeCases.length} at the extremes`), "the edge cases");
  const all = [...readme.matchAll(/all (\d+) golden cases/g)].map((match) => Number(match[1]));
  assert.ok(all.length > 0);
  assert.deepEqual(all.filter((n) => n !== goldenCases.length), []);
  const stale = [...readme.matchAll(/\b(\d+) (?:losses|PyTorch reference cases)\b/g)]
    .map((match) => Number(match[1]))
    .filter((n) => n !== losses.length && n !== beyond);
  assert.deepEqual(stale, []);
});

Deno.test("README: the table of losses beyond torch.nn lists every loss with a source", () => {
  const section = raw.slice(raw.indexOf("### Beyond `torch.nn`"));
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| loss")));
  const listed = [...table.matchAll(/^\| `(\w+)`/gm)].map((match) => match[1]);
  assert.deepEqual(
    listed.sort(),
    losses.filter((loss) => loss.source).map((loss) => loss.name).sort(),
  );
});
