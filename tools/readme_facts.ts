/**
 * Writes the README's facts that follow the registry and the fixtures, so that adding a loss or
 * a reference case never means editing the README by hand: the counts of losses and of cases in
 * the sentences of {@link FACT_SENTENCES}, and the table of the losses beyond `torch.nn` between
 * the `beyond-table` markers, from each loss's `source`.  `deno task build` runs it;
 * `tests/readme_test.ts` fails on a stale README.  With `--check` it compares instead of
 * writing (exit code 1 when the README is stale).
 *
 * @module
 */
import { type AnyLoss, losses, sourceOf } from "../lib/mod.ts";

/** The README, as a path. */
export const README = new URL("../README.md", import.meta.url);

/** The numbers the README states. */
export interface Facts {
  /** All the losses. */
  losses: number;
  /** The losses beyond `torch.nn`: those with a `source` of their own. */
  beyond: number;
  /** PyTorch's reference cases (`torch-losses.json`). */
  torchCases: number;
  /** The reference cases of the losses beyond `torch.nn` (`beyond-torch-nn.json`). */
  beyondCases: number;
  /** PyTorch's cases at the extremes (`torch-edges.json`). */
  edgeCases: number;
}

/** The facts of the registry and of the fixtures in `tests/fixtures/`. */
export function currentFacts(): Facts {
  const cases = (file: string) =>
    JSON.parse(Deno.readTextFileSync(new URL(`../tests/fixtures/${file}`, import.meta.url)))
      .cases.length as number;
  return {
    losses: losses.length,
    beyond: beyondLosses().length,
    torchCases: cases("torch-losses.json"),
    beyondCases: cases("beyond-torch-nn.json"),
    edgeCases: cases("torch-edges.json"),
  };
}

/** The losses beyond `torch.nn`, by library (those of no library last), then by name. */
export function beyondLosses(): AnyLoss[] {
  const key = (loss: AnyLoss) =>
    `${loss.source!.library.startsWith("none") ? 1 : 0} ${loss.source!.library} ${loss.name}`;
  return losses.filter((loss) => loss.source).sort((a, b) => key(a) < key(b) ? -1 : 1);
}

/**
 * Each sentence that states a fact: the number is the first group, at any place where the text
 * around it matches (white space may be a line break).
 */
export const FACT_SENTENCES: readonly [RegExp, (facts: Facts) => number][] = [
  [/(\d+)(\s+losses\s+in\s+all)/g, (f) => f.losses],
  [/("losses":\s+)(\d+)/g, (f) => f.losses],
  [/(\d+)(\s+losses\s+beyond\s+`torch\.nn`\s+\()/g, (f) => f.beyond],
  [/(\d+)(\s+reference\s+cases\s+and\s+on)/g, (f) => f.torchCases],
  [/(\d+)(\s+more\.)/g, (f) => f.beyondCases],
  [/(\d+)(\s+reference\s+cases\s+\(\d)/g, (f) => f.torchCases + f.beyondCases],
  [/(\d+)(\s+of\s+PyTorch,\s+)/g, (f) => f.torchCases],
  [/(\d+)(\s+of\s+the\s+losses\s+beyond)/g, (f) => f.beyondCases],
  [/(\d+)(\s+at\s+the\s+extremes)/g, (f) => f.edgeCases],
  [/(\d+)(\s+golden\s+cases)/g, (f) => f.torchCases + f.beyondCases],
  [/(\d+)(\s+of\s+them\),\s+each\s+following)/g, (f) => f.beyond],
  [/(\d+)(\s+reference\s+cases\s+\(`tests\/fixtures\/beyond)/g, (f) => f.beyondCases],
];

/** The markers around the table of the losses beyond `torch.nn`. */
const TABLE_START = "<!-- beyond-table: written by tools/readme_facts.ts -->";
const TABLE_END = "<!-- /beyond-table -->";

/** A library's name for a loss in backticks when it is code (`optax.losses.ntxent`). */
function callCell(call: string): string {
  return /^[\w.]+$/.test(call) ? `\`${call}\`` : call;
}

/** The table of `beyond`, its columns padded as `deno fmt` pads them. */
export function beyondTable(beyond: readonly AnyLoss[]): string {
  const rows = [
    ["loss", "source", "as its library calls it"],
    ...beyond.map((loss) => {
      const { library, revision, call } = sourceOf(loss);
      return [`\`${loss.name}\``, revision ? `${library} (${revision})` : library, callCell(call)];
    }),
  ];
  const widths = rows[0].map((_, k) => Math.max(...rows.map((row) => row[k].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, k) => cell.padEnd(widths[k])).join(" | ")} |`;
  return [line(rows[0]), line(widths.map((width) => "-".repeat(width))), ...rows.slice(1).map(line)]
    .join("\n");
}

/**
 * `readme` with its facts set to `facts` and its table of the losses beyond `torch.nn` to
 * `beyond`'s.
 *
 * @throws Error when a sentence of {@link FACT_SENTENCES} or the table's markers are missing:
 *   the README was reworded, and this module must follow.
 */
export function withFacts(readme: string, facts: Facts, beyond: readonly AnyLoss[]): string {
  let text = readme;
  for (const [sentence, value] of FACT_SENTENCES) {
    let found = false;
    text = text.replace(sentence, (_, before: string, after: string) => {
      found = true;
      return /^\d+$/.test(before) ? `${value(facts)}${after}` : `${before}${value(facts)}`;
    });
    if (!found) throw new Error(`README.md no longer says ${sentence}: update FACT_SENTENCES`);
  }
  const start = text.indexOf(TABLE_START), end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END}`);
  return `${text.slice(0, start + TABLE_START.length)}\n\n${beyondTable(beyond)}\n\n${
    text.slice(end)
  }`;
}

if (import.meta.main) {
  const readme = Deno.readTextFileSync(README);
  const updated = withFacts(readme, currentFacts(), beyondLosses());
  if (Deno.args.includes("--check")) {
    if (updated !== readme) {
      console.error("README.md is stale: run deno task build");
      Deno.exit(1);
    }
  } else if (updated !== readme) {
    Deno.writeTextFileSync(README, updated);
    console.log("README.md: facts updated");
  }
}
