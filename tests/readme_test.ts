/**
 * The README's numbers and its list of the losses beyond `torch.nn` are the registry's and the
 * golden files': `tools/readme_facts.ts` writes them (`deno task build`), and a README left
 * stale fails here.
 */
import assert from "node:assert/strict";
import { losses } from "../lib/mod.ts";
import { casesOf, edgeCases, GOLDEN_FILES, goldenCases } from "./golden.ts";
import { beyondLosses, currentFacts, withFacts } from "../tools/readme_facts.ts";

const raw = await Deno.readTextFile(new URL("../README.md", import.meta.url));
// White space folded, so that where `deno fmt` wraps a sentence does not matter.
const readme = raw.replace(/\s+/g, " ");

Deno.test("README: the counts of losses and golden cases are the registry's and the fixtures'", () => {
  // tools/readme_facts.ts writes them (deno task build): a stale README fails here.
  assert.equal(withFacts(raw, currentFacts(), beyondLosses()), raw, "run deno task build");
  const facts = currentFacts();
  assert.equal(facts.losses, losses.length);
  assert.equal(facts.torchCases + facts.beyondCases, goldenCases.length);
  assert.equal(facts.edgeCases, edgeCases.length);
  assert.deepEqual(GOLDEN_FILES.map((file) => casesOf(file).length), [
    facts.torchCases,
    facts.beyondCases,
  ]);
  // The sentences bite: a wrong number is set right, a missing sentence is an error.
  const wrong = raw.replace(`${losses.length} losses in all`, `${losses.length + 1} losses in all`);
  assert.notEqual(wrong, raw);
  assert.equal(withFacts(wrong, facts, beyondLosses()), raw);
  assert.throws(() => withFacts(raw.replaceAll("at the extremes", "at the edges"), facts, []));
  const stale = [...readme.matchAll(/\b(\d+) (?:losses|PyTorch reference cases)\b/g)]
    .map((match) => Number(match[1]))
    .filter((n) => n !== losses.length && n !== facts.beyond);
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
