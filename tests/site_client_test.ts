/**
 * The site's pure parts, without a browser, for every loss of the registry: the URL state (the
 * default example of every loss fits in a link as it is; larger ones are compressed, and past the
 * limit the largest tensors are left out, and said to be), the TeX of every worked step and
 * reduction as MathML (nothing outside the subset the script knows), the heatmaps' colour scale,
 * the formula shown for each set of options, the help texts, and the home page's search words.
 */
import assert from "node:assert/strict";
import {
  createRandom,
  DTYPES,
  explainLoss,
  findLoss,
  indexNdArrayOf,
  losses,
  ndarrayOf,
  optionsOf,
  type PlainTensor,
} from "../lib/mod.ts";
import { formulaFor } from "../lib/core/definition.ts";
import { NOTATION } from "../lib/core/notation.ts";
import { formulaCaseFor } from "../site/client/formula_case.ts";
import { holds, queryWords } from "../site/client/home.ts";
import { robustScale } from "../site/client/render.ts";
import { texToMathMl } from "../site/client/tex_mathml.ts";
import {
  decodeTensorValue,
  encodeTensorValue,
  fragmentOf,
  LINK_LIMIT,
  PLAIN_LIMIT,
  STATE_KEYS,
  stateOf,
} from "../site/client/url_state.ts";
import { sitePages } from "../site/build.ts";
import { lessonPath, LESSONS } from "../site/lessons.ts";
import { LESSON_CONTENT } from "../site/pages/lessons.tsx";
import { searchText } from "../site/pages/home.tsx";
import { NotationPage } from "../site/pages/notation.tsx";
import { NotebookPage } from "../site/pages/notebook.tsx";
import { formulaTexts, LossPage, pageDataOf, rangeText, statesRange } from "../site/pages/loss.tsx";

const tensorOf = (tensor: PlainTensor) => ({
  shape: tensor.shape,
  data: Array.from(tensor.data, Number),
});

Deno.test("URL state: every loss's default example fits in a link as it is", async () => {
  for (const loss of losses) {
    const sample = loss.sample(createRandom(1));
    const values: Record<string, string> = {};
    for (const [name, tensor] of Object.entries(sample)) {
      // The page prints samples with four decimals; a link holds every digit of what is shown.
      const shown = tensorOf(tensor);
      shown.data = shown.data.map((v) => Number(v.toFixed(4)));
      values[name] = encodeTensorValue(shown);
      assert.deepEqual(decodeTensorValue(values[name]), shown, `${loss.name}.${name}`);
    }
    const written = await fragmentOf({ ...values, dtype: "float64", seed: "9" }, {});
    assert.equal(written.compressed, false, `${loss.name}: ${written.fragment.length} characters`);
    assert.ok(written.fragment.length < PLAIN_LIMIT, `${loss.name}: ${written.fragment.length}`);
    assert.deepEqual(await stateOf(written.fragment), { ...values, dtype: "float64", seed: "9" });
  }
});

Deno.test("URL state: no input or option is named as a key of the state", () => {
  for (const loss of losses) {
    const names = [...loss.inputs.map((s) => s.name), ...optionsOf(loss).map((o) => o.name)];
    assert.equal(
      new Set(names).size,
      names.length,
      `${loss.name}: an input and option share a name`,
    );
    for (const key of STATE_KEYS) assert.ok(!names.includes(key), `${loss.name}: ${key}`);
  }
});

Deno.test("URL state: only changes are written, raw text survives, anchors are no state", async () => {
  const defaults = { input: "2:1,2", reduction: "mean", dtype: "float32" };
  assert.equal((await fragmentOf(defaults, defaults)).fragment, "");
  const changed = await fragmentOf({ ...defaults, reduction: "sum", input: "'[[1, 2]" }, defaults);
  assert.equal(changed.fragment, "input='%5B%5B1%2C%202%5D&reduction=sum".replace("%2C", ","));
  assert.deepEqual(await stateOf(changed.fragment), { input: "'[[1, 2]", reduction: "sum" });
  assert.deepEqual(await stateOf("main"), {});
  assert.deepEqual(await stateOf(""), {});
  assert.deepEqual(await stateOf("z=not-deflate"), {});
  assert.equal(decodeTensorValue("2x2:1,2,3"), null, "too few numbers");
  assert.equal(decodeTensorValue("[1, 2]"), null);
  assert.deepEqual(decodeTensorValue(":5"), { shape: [], data: [5] });
  assert.deepEqual(decodeTensorValue("0:"), { shape: [0], data: [] });
});

Deno.test("URL state: a large example is compressed, a too large one leaves its largest tensors out", async () => {
  const random = createRandom(3);
  const big = (n: number) =>
    encodeTensorValue({
      shape: [n],
      data: Array.from(random.randn([n]).data, (v) => Number(v.toFixed(4))),
    });
  const medium = { input: big(600), target: big(600) };
  const compressed = await fragmentOf(medium, {}, ["input", "target"]);
  assert.ok(compressed.compressed && compressed.fragment.startsWith("z="));
  assert.ok(compressed.fragment.length < LINK_LIMIT);
  assert.deepEqual(compressed.omitted, []);
  assert.deepEqual(await stateOf(compressed.fragment), medium);
  const huge = { input: big(20_000), target: big(300), reduction: "sum" };
  const cut = await fragmentOf(huge, {}, ["input", "target"]);
  assert.deepEqual(cut.omitted, ["input"]);
  assert.ok(cut.fragment.length <= LINK_LIMIT, `${cut.fragment.length}`);
  assert.deepEqual(await stateOf(cut.fragment), {
    target: huge.target,
    reduction: "sum",
    omitted: "input",
  });
});

/** Every TeX the page turns into MathML for `loss`: worked steps, reductions, advice. */
function pageTex(loss: (typeof losses)[number]): string[] {
  const texts: string[] = [];
  for (const seed of [1, 2]) {
    const sample = loss.sample(createRandom(seed));
    for (const dtype of DTYPES) {
      const inputs = Object.fromEntries(
        Object.entries(sample).map(([name, t]) => [
          name,
          t.dtype === "int" ? indexNdArrayOf(t.data, t.shape) : ndarrayOf(t.data, t.shape, dtype),
        ]),
      );
      for (const reduction of ["mean", "sum", "none"]) {
        const options = loss.options.some((o) => o.name === "reduction") ? { reduction } : {};
        const explained = explainLoss(loss.name, inputs, options, { dtype, points: 3 });
        for (let element = 0; element < Math.min(explained.count, 3); element++) {
          const at = explainLoss(loss.name, inputs, options, { dtype, element, points: 3 });
          texts.push(...(at.worked?.steps ?? []).map((step) => step.tex));
        }
        texts.push(...explained.reduction.map((step) => step.tex));
        for (const advice of explained.advice) {
          texts.push(...[...advice.message.matchAll(/\$([^$]+)\$/g)].map((m) => m[1]));
        }
      }
    }
  }
  return texts;
}

Deno.test("MathML: every worked step and reduction of every loss is in the subset the page knows", () => {
  const unknown: string[] = [];
  for (const loss of losses) {
    for (const tex of pageTex(loss)) {
      const result = texToMathMl(tex);
      if (result.unknown.length) {
        unknown.push(`${loss.name}: ${result.unknown.join(" ")} in ${tex}`);
      }
      assert.match(result.markup, /^<math[^>]*><semantics><mrow>.*<\/mrow><annotation/s);
    }
  }
  for (const entry of NOTATION) {
    for (const m of entry.meaning.matchAll(/\$([^$]+)\$/g)) {
      unknown.push(...texToMathMl(m[1]).unknown.map((c) => `notation: ${c}`));
    }
  }
  assert.deepEqual(unknown, []);
});

Deno.test("MathML: the constructs of the worked steps", () => {
  const math = (tex: string) => texToMathMl(tex).markup;
  assert.match(math(String.raw`\frac{18.11}{10}`), /<mfrac><mn>18.11<\/mn><mn>10<\/mn><\/mfrac>/);
  assert.match(math("x_{n,c}"), /<msub><mi[^>]*>x<\/mi><mrow><mi[^>]*>n<\/mi><mo>,<\/mo>/);
  assert.match(math("(1,\\ -0.5)"), /<mn>−0.5<\/mn>/, "a sign, not a subtraction");
  assert.match(math("2 - 1"), /<mn>2<\/mn><mo>−<\/mo><mn>1<\/mn>/);
  assert.match(math(String.raw`\log 2`), /log<\/mi><mo>&#x2061;<\/mo><\/mrow><mspace/);
  assert.match(math(String.raw`\sqrt{2}`), /<msqrt><mn>2<\/mn><\/msqrt>/);
  assert.match(math(String.raw`\text{NaN}`), /<mtext>NaN<\/mtext>/);
  assert.match(math(String.raw`\begin{cases} a & b \\ c & d \end{cases}`), /<mtable/);
  assert.match(math("a < b"), /<mo>&lt;<\/mo>/, "escaped");
  assert.deepEqual(texToMathMl(String.raw`\unknowncommand x`).unknown, ["\\unknowncommand"]);
});

Deno.test("heatmaps: one extreme value is clipped, values of one size never are", () => {
  const random = createRandom(5);
  for (const n of [10, 100, 1000]) {
    const gaussian = Array.from(random.randn([n]).data);
    const scale = robustScale(gaussian);
    assert.equal(scale.clipped, 0, `${n} Gaussian values`);
    assert.equal(scale.limit, scale.max);
    const spiked = [...gaussian, 1e6];
    const robust = robustScale(spiked);
    assert.equal(robust.clipped, 1, `${n} values and one of 1e6`);
    assert.ok(robust.limit < 10, `the scale stays near the others: ${robust.limit}`);
  }
  assert.deepEqual(robustScale([0, 0, 0]), { limit: 0, max: 0, clipped: 0 });
  assert.deepEqual(robustScale([NaN, Infinity, 1]), { limit: 1, max: 1, clipped: 0 });
});

Deno.test("formulas: the page shows the case formulaFor picks, for every case of every loss", () => {
  for (const loss of losses) {
    const data = pageDataOf(loss);
    const texts = formulaTexts(loss);
    const defaults = Object.fromEntries(data.options.map((o) => [o.name, o.default]));
    const option = (name: string) => optionsOf(loss).find((o) => o.name === name);
    const sets = [
      defaults,
      ...(loss.formulas ?? []).map(({ when }) => {
        const values: Record<string, unknown> = { ...defaults };
        for (const [name, condition] of Object.entries(when)) {
          if (condition === null || typeof condition !== "object") {
            values[name] = condition;
            continue;
          }
          const spec = option(name);
          values[name] = condition.not === null
            ? { shape: [1], data: [1] }
            : spec?.type === "boolean"
            ? !condition.not
            : spec?.type === "string"
            ? spec.enum.find((v) => v !== condition.not)
            : Number(condition.not) + 0.5;
        }
        return values;
      }),
    ];
    for (const values of sets) {
      const index = formulaCaseFor(data.formulaCases, values);
      assert.equal(
        texts[index],
        formulaFor(loss, values),
        `${loss.name} ${JSON.stringify(values)}`,
      );
    }
    assert.equal(texts.length, 1 + (loss.formulas?.length ?? 0));
  }
});

Deno.test("help texts: code as code, no raw backticks, the valid range said once", async () => {
  for (const loss of losses) {
    const html = String(await LossPage({ loss }).toString());
    const text = (fragment: string) => fragment.replace(/<[^>]+>/g, "").replace(/&gt;/g, ">");
    for (const [, id, body] of html.matchAll(/<p class="help" id="([^"]+)-help">(.*?)<\/p>/gs)) {
      const shown = text(body);
      assert.doesNotMatch(shown, /`/, `${loss.name} ${id}: ${shown}`);
      const ranges = shown.match(/(?:[<>]=?|[≥≤])\s*-?\d+/g) ?? [];
      assert.equal(new Set(ranges).size, ranges.length, `${loss.name} ${id}: ${shown}`);
    }
    const teaching = html.match(
      /<section[^>]*id="(?:measures|mistake|choose|related)"[^>]*>.*?<\/section>/gs,
    );
    for (const section of teaching ?? []) {
      assert.doesNotMatch(text(section.replace(/<span class="katex".*?<\/annotation>/gs, "")), /`/);
    }
  }
  assert.ok(statesRange("The threshold; > 0"));
  assert.ok(statesRange("The amount of smoothing, in [0, 1]"));
  assert.ok(statesRange("The exponent of each hinge term: 1 or 2"));
  assert.ok(!statesRange("A weight for each class"));
  assert.equal(
    rangeText({ name: "d", type: "number", default: 1, exclusiveMinimum: 0, description: "" }),
    "> 0",
  );
});

Deno.test("related links lead to a page of the site, and to an anchor it has", async () => {
  const pages = sitePages();
  const html = new Map<string, string>([
    ["/notebook", String(await NotebookPage().toString())],
    ["/notation", String(await NotationPage({ losses }).toString())],
  ]);
  for (const loss of losses) {
    html.set(`/losses/${loss.slug}`, String(await LossPage({ loss, pages }).toString()));
  }
  let links = 0;
  for (const loss of losses) {
    const page = html.get(`/losses/${loss.slug}`)!;
    const related = /<section[^>]*id="related".*?<\/section>/s.exec(page)?.[0] ?? "";
    for (const [, href] of related.matchAll(/href="([^"]+)"/g)) {
      const [path, anchor] = href.split("#");
      assert.ok(pages.has(path), `${loss.name}: ${href}`);
      if (anchor) assert.match(html.get(path) ?? "", new RegExp(`id="${anchor}"`), href);
      links++;
    }
    const shown = (loss.teaching?.related ?? []).filter((r) =>
      !r.to.startsWith("/") || pages.has(r.to.split("#")[0])
    );
    assert.equal(
      [...related.matchAll(/<li/g)].length,
      shown.length,
      `${loss.name}: every related loss and page of the site is linked`,
    );
  }
  assert.ok(links > losses.length, `${links} links`);
});

Deno.test("lessons: each named by a loss exists, and each loss of a lesson links to it", async () => {
  const pages = sitePages();
  const paths = new Set(LESSONS.map(lessonPath));
  for (const loss of losses) {
    for (const { to } of loss.teaching?.related ?? []) {
      if (to.startsWith("/lessons/")) assert.ok(paths.has(to), `${loss.name}: ${to}`);
    }
  }
  for (const lesson of LESSONS) {
    assert.ok(pages.has(lessonPath(lesson)), lesson.slug);
    assert.ok(LESSON_CONTENT[lesson.slug], `${lesson.slug} has its content`);
    for (const name of lesson.losses) {
      const loss = findLoss(name);
      assert.ok(loss, `${lesson.slug}: ${name} is in the registry`);
      const page = String(await LossPage({ loss, pages }).toString());
      const related = /<section[^>]*id="related".*?<\/section>/s.exec(page)?.[0] ?? "";
      assert.ok(related.includes(`href="${lessonPath(lesson)}"`), `${name} links ${lesson.slug}`);
    }
  }
  assert.deepEqual(Object.keys(LESSON_CONTENT).sort(), LESSONS.map((l) => l.slug).sort());
});

Deno.test("home search: names, summaries, teaching text and keywords", () => {
  const found = (query: string) =>
    losses.filter((loss) => queryWords(query).every((word) => holds(searchText(loss), word)))
      .map((loss) => loss.name);
  assert.ok(found("classification").includes("CrossEntropyLoss"), found("classification").join());
  assert.ok(found("cross_entropy").includes("CrossEntropyLoss"));
  assert.deepEqual(found("CTC"), ["CTCLoss"]);
  for (const loss of losses) {
    assert.ok(found(loss.name).includes(loss.name));
    for (const keyword of loss.keywords ?? []) {
      assert.ok(found(keyword).includes(loss.name), `${loss.name} by "${keyword}"`);
    }
  }
  const huber = losses.find((loss) => loss.name === "HuberLoss")!;
  if (huber.keywords?.length || huber.teaching) {
    assert.ok(found("outlier").includes("HuberLoss"), found("outlier").join());
  }
});
