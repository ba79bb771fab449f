/// <reference lib="dom" />
/**
 * The demo site in a real headless Chromium (Debian's, driven by playwright-core), served by
 * the Deno entry.  On every loss page of the registry: the value the API returns; the state kept
 * in the URL through a reload, Back and a link opened in a new page; no number left from
 * earlier inputs after a parse error or a 400; both charts drawn with the current point marked;
 * the worked element ending at the API's loss for that element; the teaching sections and the
 * documentation link; nothing wider than a 390 px screen (where the link is opened).  Then the live figure (a slider drag
 * redraws while it moves, the figure stays in view, a slow answer never overwrites a newer one),
 * advice beside its field, formulas for the options in force, readable heatmaps, dark mode, the
 * home page's search and cards, the notation and API reference pages, the notebook, axe-core,
 * and no console error.  Screenshots go to `test-output/screenshots/`.
 */
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { type AnyLoss, losses, NOTATION } from "../lib/mod.ts";
import { sourceOf } from "../lib/core/definition.ts";
import { formulaCaseFor } from "../site/client/formula_case.ts";
import { holds, queryWords } from "../site/client/home.ts";
import { searchText } from "../site/pages/home.tsx";
import { SITE_NAV } from "../site/pages/layout.tsx";
import { pageDataOf } from "../site/pages/loss.tsx";
import { chromiumTest, showWholePage } from "./chromium.ts";
import { ensureBuiltSite } from "./built_site.ts";

// The Deno server serves the built site: build it first if it is missing or stale.
await ensureBuiltSite();

const SCREENSHOTS = new URL("../test-output/screenshots/", import.meta.url);
const AXE = new URL(import.meta.resolve("axe-core")).pathname.replace(/axe\.js$/, "axe.min.js");

/** Console errors a test may cause on purpose: the browser's report of a 400 it asked for. */
const EXPECTED_ERROR = /status of 400|Bad Request/;

/** Opens a page, recording console errors and page errors; `before` runs before it loads. */
async function open(
  context: BrowserContext,
  url: string,
  before: (page: Page) => void = () => {},
) {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  before(page);
  await page.goto(url, { waitUntil: "load" });
  return { page, errors };
}

/**
 * Waits until a loss page has no request in flight or queued and (unless `url` is false) its
 * URL is written.
 */
async function settled(page: Page, url = true): Promise<void> {
  await page.waitForFunction(
    (url) =>
      !document.body.dataset.busy && !(url && document.body.dataset.urlPending) &&
      document.getElementById("result")?.dataset.state !== "pending",
    url,
    { timeout: 20_000, polling: 50 },
  );
}

/** Waits until every `<output>` matching `selector` holds a number. */
async function waitForNumbers(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (selector) =>
      [...document.querySelectorAll(selector)].every((node) =>
        /\d/.test(node.textContent ?? "") && !node.classList.contains("stale")
      ),
    selector,
    { timeout: 15_000 },
  );
}

/** What a loss page shows: its controls, its result and its URL. */
function snapshot(page: Page) {
  return page.evaluate(() => {
    const output = document.getElementById("output")!;
    return {
      controls: [...document.querySelectorAll<HTMLInputElement>("#compute [name]")].map((c) =>
        `${c.name}=${c.type === "checkbox" ? c.checked : c.value}`
      ),
      element: (document.getElementById("element") as HTMLInputElement).value,
      seed: document.getElementById("seed-note")!.textContent,
      output: output.textContent,
      value: output.dataset.value,
      worked: document.querySelector<HTMLElement>("#worked .final")?.dataset.final ?? null,
      sweep: document.getElementById("sweep-now")!.textContent,
      hash: location.hash,
    };
  });
}

/** What of a loss page's numbers is on screen. */
function numbersShown(page: Page) {
  return page.evaluate(() => {
    const output = document.getElementById("output")!;
    return {
      value: output.dataset.value ?? "",
      text: output.textContent ?? "",
      state: document.getElementById("result")!.dataset.state,
      tables: document.querySelectorAll("#grads table, #terms table").length,
      steps: document.querySelectorAll("#worked .step, #reduction .step").length,
      charts: document.querySelectorAll("#sweep canvas").length,
      sweep: document.getElementById("sweep-now")!.textContent ?? "",
      warnings: document.querySelectorAll("#warnings:not([hidden]) li").length,
      snippets: [...document.querySelectorAll(".snippet code")].map((c) => c.textContent ?? ""),
    };
  });
}

async function assertNoNumbers(page: Page, what: string): Promise<void> {
  const shown = await numbersShown(page);
  assert.equal(shown.state, "error", `${what}: ${JSON.stringify(shown)}`);
  assert.equal(shown.value, "", what);
  assert.doesNotMatch(shown.text, /\d\.\d/, what);
  assert.equal(shown.tables, 0, `${what}: heatmaps`);
  assert.equal(shown.steps, 0, `${what}: worked steps`);
  assert.equal(shown.charts, 0, `${what}: charts`);
  assert.doesNotMatch(shown.sweep, /\d\.\d/, `${what}: the values of the sweep`);
  assert.equal(shown.warnings, 0, `${what}: warnings`);
  assert.ok(shown.snippets.every((code) => !/\d\.\d/.test(code)), `${what}: code of old inputs`);
}

/** Posts `body` to the API route `path` of the server. */
async function post(base: string, path: string, body: unknown) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * Width in excess of the screen, and the visible formulas that do not fit their box, once the
 * layout has settled at a new width (charts and formulas fit themselves on the next frames).
 */
async function overflow(page: Page) {
  // A formula is fitted once it comes near the screen (and a card off the screen is not laid
  // out until then): bring each into view, as a reader scrolling the page does, then measure.
  await page.evaluate(async () => {
    for (const box of document.querySelectorAll<HTMLElement>(".formula")) {
      if (box.offsetParent === null) continue;
      box.scrollIntoView({ block: "center" });
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    }
    scrollTo(0, 0);
  });
  const measure = () => ({
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    formulas: [...document.querySelectorAll<HTMLElement>(".formula")]
      .filter((box) => box.offsetParent !== null && box.scrollWidth > box.clientWidth + 1)
      .map((box) => `${box.getAttribute("aria-label")}: ${box.scrollWidth} > ${box.clientWidth}`),
  });
  await page.waitForFunction(
    () =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth <= 1 &&
      [...document.querySelectorAll<HTMLElement>(".formula")].every((box) =>
        box.offsetParent === null || box.scrollWidth <= box.clientWidth + 1
      ),
    undefined,
    { timeout: 5_000, polling: 100 },
  ).catch(() => {});
  return await page.evaluate(measure);
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    // KaTeX's glyphs are hidden from assistive technology (its MathML is read instead).
    const result = await axe.run({ exclude: [[".katex-html"]] }, { resultTypes: ["violations"] });
    return result.violations
      .filter((v: { impact: string }) => v.impact === "serious" || v.impact === "critical")
      .map((v: { id: string; impact: string; nodes: { target: string[] }[] }) =>
        `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`
      );
  });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const { page: excess } = await overflow(page);
    assert.ok(excess <= 1, `${name} at ${width} px is ${excess} px wider than the screen`);
    await showWholePage(page);
    await page.screenshot({
      path: new URL(`${name}-${width}.png`, SCREENSHOTS).pathname,
      fullPage: true,
    });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The first text for the loss's first input that the API rejects with a 400, given `request`. */
async function rejectedText(base: string, loss: AnyLoss, request: Record<string, unknown>) {
  const first = loss.inputs[0].name;
  const candidates: [string, unknown][] = [
    ["[[[0, 0, 0, 0, 0, 0, 7], [0, 0, 0, 0, 0, 0, 7]]]", [[[0, 0, 0, 0, 0, 0, 7], [
      0,
      0,
      0,
      0,
      0,
      0,
      7,
    ]]]],
    ["[0, 0, 0, 0, 0, 0, 7]", [0, 0, 0, 0, 0, 0, 7]],
    ["[]", []],
    ["7", 7],
  ];
  for (const [text, tensor] of candidates) {
    const inputs = { ...(request.inputs as object), [first]: tensor };
    const answer = await post(base, `/api/v1/losses/${loss.slug}/explain`, { ...request, inputs });
    if (answer.status === 400) return text;
  }
  throw new Error(`${loss.name}: no candidate input is rejected`);
}

/** Everything a loss page must do, on one page (and one opened elsewhere). */
async function checkLossPage(
  loss: AnyLoss,
  context: BrowserContext,
  elsewhere: BrowserContext,
  base: string,
): Promise<void> {
  const explains: { body: Record<string, unknown>; answer: Promise<unknown> }[] = [];
  const { page, errors } = await open(
    context,
    `${base}/losses/${loss.slug}`,
    (page) =>
      page.on("response", (response) => {
        if (!response.url().endsWith(`/api/v1/losses/${loss.slug}/explain`)) return;
        explains.push({
          body: JSON.parse(response.request().postData() ?? "{}"),
          answer: response.json().catch(() => null),
        });
      }),
  );
  await settled(page);
  const last = async () => {
    const { body, answer } = explains.at(-1)!;
    // deno-lint-ignore no-explicit-any
    return { body, answer: (await answer) as any };
  };

  // The value shown is the API's for the page's request.
  const first = await last();
  assert.equal(first.body.grad, true);
  const direct = await post(base, `/api/v1/losses/${loss.slug}`, {
    inputs: first.body.inputs,
    options: first.body.options,
    dtype: first.body.dtype,
    grad: true,
  });
  assert.equal(direct.status, 200, JSON.stringify(direct.body));
  const shown = await page.locator("#output").getAttribute("data-value");
  if (direct.body.output.shape.length === 0) {
    assert.equal(Number(shown), Number(direct.body.output.data[0]), `${loss.name}: value`);
  }
  assert.equal(
    await page.locator("#grads .heatmap").count(),
    Object.keys(direct.body.grads).length,
    `${loss.name}: one heatmap per gradient`,
  );
  // The curl snippet's body, posted as it is, gives the value on the page.
  const curl = await page.textContent("#snippet-curl") ?? "";
  const snippetBody = /-d '(.*)'$/s.exec(curl)?.[1].replace(/'\\''/g, "'");
  assert.ok(snippetBody, curl);
  const fromSnippet = await post(base, `/api/v1/losses/${loss.slug}`, JSON.parse(snippetBody));
  assert.deepEqual(fromSnippet.body.output, direct.body.output, `${loss.name}: curl snippet`);

  // The teaching sections and the documentation link.
  assert.equal(
    await page.locator("#source a").getAttribute("href"),
    sourceOf(loss).docs,
    `${loss.name}: documentation link`,
  );
  if (loss.teaching) {
    for (const id of ["measures", "mistake", "choose"]) {
      assert.ok(await page.locator(`#${id} p`).count(), `${loss.name}: #${id}`);
    }
  }

  // Both charts drawn, the current point marked, its values written out.
  if (loss.sweep) {
    for (const id of ["sweep-loss", "sweep-slope"]) {
      assert.equal(await page.locator(`#${id} canvas`).count(), 1, `${loss.name}: #${id}`);
      const marked = await page.locator(`#${id}`).getAttribute("data-marked");
      assert.match(marked ?? "", /^-?[\d.e+-]+,/, `${loss.name}: #${id} marks the current point`);
    }
    assert.match(await page.textContent("#sweep-now") ?? "", /loss -?\d+\.\d{4}, gradient/);
  } else {
    assert.match(await page.textContent("#sweep-what") ?? "", /does not declare/);
  }

  // A state of its own: float64, sum, another element; the worked element is the API's loss.
  await page.selectOption("#dtype", "float64");
  const reduction = pageDataOf(loss).options.find((o) => o.name === "reduction");
  if (reduction?.type === "string" && reduction.enum.includes("sum")) {
    await page.selectOption("#option-reduction", "sum");
  }
  await settled(page, false);
  const count = (await last()).answer.count as number;
  const element = Math.min(2, count - 1);
  if (element > 0) await page.fill("#element", String(element));
  // The URL is written after the answer: wait for it too, whether or not an element was picked
  // (a loss of one element, TverskyLoss, has none to pick).
  await settled(page);
  const worked = await last();
  if (loss.explain && worked.answer.worked) {
    assert.equal(worked.answer.element, element);
    const none = await post(base, `/api/v1/losses/${loss.slug}`, {
      inputs: worked.body.inputs,
      options: { ...(worked.body.options as object), reduction: "none" },
      dtype: worked.body.dtype,
    });
    const final = Number(await page.locator("#worked .final").getAttribute("data-final"));
    if (worked.answer.terms && worked.answer.count === worked.answer.terms.data.length) {
      const want = Number(none.body.output.data[element]);
      assert.ok(
        Math.abs(final - want) <= 1e-9 + 1e-6 * Math.abs(want) || (Number.isNaN(final) &&
          Number.isNaN(want)),
        `${loss.name} element ${element}: worked ${final}, API ${want}`,
      );
    }
  }
  const before = await snapshot(page);
  assert.match(before.hash, /dtype=float64/, `${loss.name}: the state is in the URL`);

  // Reload, a link opened elsewhere, and Back: the same controls and the same result.
  await page.reload({ waitUntil: "domcontentloaded" });
  await settled(page);
  assert.deepEqual(await snapshot(page), before, `${loss.name}: after a reload`);
  // Opened elsewhere: in another browser context, on a phone's screen.
  const other = await elsewhere.newPage();
  await other.goto(page.url(), { waitUntil: "domcontentloaded" });
  await settled(other);
  assert.deepEqual(await snapshot(other), before, `${loss.name}: a link opened elsewhere`);
  const excess = await overflow(other);
  assert.ok(excess.page <= 1, `${loss.name} is ${excess.page} px wider than 390 px`);
  assert.deepEqual(excess.formulas, [], `${loss.name}: formulas cut off at 390 px`);
  await other.close();
  await page.goto(`${base}/api/health`, { waitUntil: "load" });
  await page.goBack({ waitUntil: "domcontentloaded" });
  await settled(page);
  assert.deepEqual(await snapshot(page), before, `${loss.name}: after Back`);

  // No stale numbers: after a parse error, and after a 400.
  const firstInput = `#input-${loss.inputs[0].name}`;
  const valid = await page.inputValue(firstInput);
  await page.fill(firstInput, "[[1, 2], [3");
  await settled(page, false);
  await assertNoNumbers(page, `${loss.name}: a parse error`);
  assert.ok(await page.locator(`${firstInput}-error`).isVisible());
  await page.fill(firstInput, valid);
  await settled(page, false);
  assert.equal((await numbersShown(page)).state, "ready", `${loss.name}: valid again`);
  await page.fill(firstInput, await rejectedText(base, loss, (await last()).body));
  await settled(page, false);
  await assertNoNumbers(page, `${loss.name}: a 400`);
  assert.ok(await page.locator(".field-error:not([hidden])").count(), `${loss.name}: the error`);
  assert.deepEqual(errors.filter((e) => !EXPECTED_ERROR.test(e)), [], `${loss.name}: errors`);
  await page.close();
}

chromiumTest("site: in headless Chromium", async (t, browser, base) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const elsewhere = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const axeContext = await browser.newContext({ bypassCSP: true });

  await t.step("home: every loss, grouped; search by purpose; no formula cut off", async () => {
    const { page, errors } = await open(context, `${base}/`);
    assert.equal(await page.locator(".card").count(), losses.length);
    const torch = losses.filter((loss) => !loss.source);
    const groups = new Set(torch.map((loss) => loss.category)).size +
      (losses.length > torch.length ? 1 : 0);
    assert.equal(await page.locator(".category").count(), groups);
    assert.equal(await page.locator(".card .katex").count(), losses.length);
    for (const loss of losses.filter((loss) => loss.source)) {
      const card = page.locator(`#category-beyond ~ .cards .card[data-name="${loss.name}"]`);
      assert.ok((await card.textContent() ?? "").includes(loss.source!.library), loss.name);
    }
    const search = async (query: string) => {
      await page.fill("#filter", query);
      return await page.locator(".card:not([hidden])").evaluateAll((cards) =>
        cards.map((card) => (card as HTMLElement).dataset.name!)
      );
    };
    for (const query of ["outlier", "classification", "margin", "ranking", "sequence"]) {
      const expected = losses.filter((loss) =>
        queryWords(query).every((word) => holds(searchText(loss), word))
      ).map((loss) => loss.name);
      const found = await search(query);
      // The page's order is its groups' (the losses beyond torch.nn last): compare as sets.
      assert.deepEqual([...found].sort(), [...expected].sort(), `"${query}"`);
      assert.match(
        await page.textContent("#filter-count") ?? "",
        new RegExp(`^${found.length} `),
      );
    }
    assert.ok((await search("classification")).includes("CrossEntropyLoss"));
    const huber = losses.find((loss) => loss.name === "HuberLoss")!;
    if (huber.keywords?.length) assert.ok((await search("outlier")).includes("HuberLoss"));
    assert.equal((await search("zzqqxx")).length, 0);
    assert.ok(await page.locator("#no-match").isVisible());
    await page.fill("#filter", "");
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const excess = await overflow(page);
      assert.ok(excess.page <= 1, `home at ${width} px`);
      assert.deepEqual(excess.formulas, [], `home at ${width} px: formulas cut off`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  // Three loss pages at a time: each waits on the API and the browser more than on the CPU.
  const queue = [...losses];
  await Promise.all([0, 1, 2].map(async () => {
    for (let loss = queue.shift(); loss; loss = queue.shift()) {
      const checked = loss;
      await t.step({
        name: `${checked.name}: state in the URL, no stale numbers, charts, worked element`,
        fn: () => checkLossPage(checked, context, elsewhere, base),
        sanitizeOps: false,
        sanitizeResources: false,
        sanitizeExit: false,
      });
    }
  }));

  await t.step("a dragged slider redraws while it moves, beside the controls", async () => {
    const { page, errors } = await open(context, `${base}/losses/cross-entropy`);
    await settled(page);
    const renders = () => page.evaluate(() => Number(document.body.dataset.renders));
    const slider = page.locator("#option-label_smoothing-slider");
    await slider.scrollIntoViewIfNeeded();
    const box = (await slider.boundingBox())!;
    const start = await renders();
    const began = performance.now();
    await page.mouse.move(box.x + 4, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 40; i++) {
      await page.mouse.move(box.x + 4 + (box.width - 8) * i / 40, box.y + box.height / 2);
      await page.waitForTimeout(40);
    }
    const during = await renders();
    const seconds = (performance.now() - began) / 1000;
    await page.mouse.up();
    assert.ok(
      (during - start) / seconds >= 5,
      `${during - start} redraws in ${seconds.toFixed(2)} s of dragging`,
    );
    await settled(page);
    assert.equal(Number(await page.inputValue("#option-label_smoothing")), 1);
    // The live figure stays in view while the controls and the worked element are scrolled.
    for (const id of ["inputs-title", "options-title", "hand-title", "worked"]) {
      await page.evaluate(
        (id) => document.getElementById(id)!.scrollIntoView({ block: "center" }),
        id,
      );
      await page.waitForTimeout(50);
      const seen = await page.evaluate(() => {
        const inView = (id: string) => {
          const box = document.getElementById(id)!.getBoundingClientRect();
          return box.top >= 0 && box.bottom <= innerHeight;
        };
        return { output: inView("output"), chart: inView("sweep-loss"), scrolled: scrollY };
      });
      // At the top of the workbench the figure starts beside the inputs, below the fold.
      const wanted = id === "inputs-title" ? seen.output : seen.output && seen.chart;
      assert.ok(wanted, `${id}: ${JSON.stringify(seen)}`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  await t.step("a slow answer never overwrites newer inputs", async () => {
    const { page } = await open(context, `${base}/losses/mse`);
    await settled(page);
    let delay = true;
    await page.route("**/api/v1/losses/mse/explain", async (route) => {
      if (delay) {
        delay = false;
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      await route.continue().catch(() => {});
    });
    await page.fill("#input-input", "[1, 2, 3]");
    await page.fill("#input-target", "[0, 0, 0]");
    await page.waitForTimeout(500);
    await page.fill("#input-target", "[1, 1, 1]");
    await settled(page);
    await page.waitForTimeout(1200);
    const value = Number(await page.locator("#output").getAttribute("data-value"));
    assert.ok(Math.abs(value - 5 / 3) < 1e-6, `the newest inputs' loss, got ${value}`);
    // Invalid inputs while an answer is on its way: the answer is dropped.
    delay = true;
    await page.fill("#input-target", "[2, 2, 2]");
    await page.waitForTimeout(100);
    await page.fill("#input-target", "[2, 2");
    await page.waitForTimeout(1700);
    await assertNoNumbers(page, "an answer arriving after the inputs went invalid");
    await page.unroute("**/api/v1/losses/mse/explain");
    await page.close();
  });

  await t.step(
    "random inputs are a step of the history; an anchor keeps the state",
    async () => {
      const { page, errors } = await open(context, `${base}/losses/mse`);
      await settled(page);
      const first = await snapshot(page);
      await page.click("#random");
      await page.waitForFunction(() =>
        document.getElementById("seed-note")!.textContent === "seed 2"
      );
      await settled(page);
      const drawn = await snapshot(page);
      assert.match(drawn.hash, /seed=2/);
      assert.notDeepEqual(drawn.controls, first.controls);
      await page.goBack();
      await page.waitForFunction(() => !location.hash.includes("seed=2"));
      await settled(page);
      assert.deepEqual(await snapshot(page), first, "Back: the first inputs");
      await page.goForward();
      await page.waitForFunction(() => location.hash.includes("seed=2"));
      await settled(page);
      assert.deepEqual(await snapshot(page), drawn, "Forward: the drawn inputs");
      // The skip link's anchor is no state: the page keeps it and writes it back.
      await page.evaluate(() => (location.hash = "main"));
      await page.waitForFunction(() => location.hash.includes("seed=2"));
      await settled(page);
      assert.deepEqual(await snapshot(page), drawn, "after an anchor");
      assert.deepEqual(errors, []);
      await page.close();
    },
  );

  await t.step("advice beside its field; formulas follow the options", async () => {
    const { page, errors } = await open(context, `${base}/losses/cross-entropy`);
    await settled(page);
    assert.equal(await page.locator(".advice-note[data-code]").count(), 0);
    await page.fill("#input-input", "[[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]");
    await page.fill("#input-target", "[0, 2]");
    await settled(page);
    const advice = page.locator("#input-input-advice .advice-note");
    assert.equal(await advice.getAttribute("data-code"), "probabilities-as-logits");
    assert.doesNotMatch(await advice.textContent() ?? "", /`/);
    assert.ok(await page.locator("#advice-summary").isVisible());
    const loss = losses.find((l) => l.name === "CrossEntropyLoss")!;
    const data = pageDataOf(loss);
    const shownCase = () =>
      page.locator("#formula [data-case]:not([hidden])").getAttribute("data-case");
    const options: Record<string, unknown> = Object.fromEntries(
      data.options.map((o) => [o.name, o.default]),
    );
    assert.equal(Number(await shownCase()), formulaCaseFor(data.formulaCases, options));
    await page.fill("#option-label_smoothing", "0.2");
    options.label_smoothing = 0.2;
    assert.equal(Number(await shownCase()), formulaCaseFor(data.formulaCases, options));
    await page.fill("#option-weight", "[1.0, 2.0, 0.5]");
    options.weight = { shape: [3], data: [1, 2, 0.5] };
    assert.equal(Number(await shownCase()), formulaCaseFor(data.formulaCases, options));
    assert.equal(await page.locator("#formula [data-case]:not([hidden])").count(), 1);
    await settled(page);
    // A heatmap's values by keyboard: the arrow keys move, the readout says where.
    const grid = page.locator("#grads .grid-wrap").first();
    await grid.focus();
    await page.keyboard.press("ArrowRight");
    assert.match(
      await page.locator("#grads .readout").first().textContent() ?? "",
      /^∂ℓ\/∂input\[0\]\[1\] = -?\d/,
    );
    assert.ok(await page.locator("#grads .colour-key").first().isVisible());
    // And a chart's, by keyboard too.
    await page.locator("#sweep-loss").focus();
    await page.keyboard.press("ArrowRight");
    assert.match(
      await page.textContent("#sweep-point") ?? "",
      /^At -?\d.*: loss -?\d.*, gradient/,
    );
    // Picking an element in the table of losses works it through.
    await page.locator('#terms td[data-index="1"]').click();
    await settled(page);
    assert.equal(await page.inputValue("#element"), "1");
    assert.match(await page.textContent("#worked h3") ?? "", /1/);
    assert.deepEqual(errors.filter((e) => !EXPECTED_ERROR.test(e)), []);
    await page.close();
  });

  await t.step("dark mode follows the system, charts and heatmaps included", async () => {
    const dark = await browser!.newContext({ colorScheme: "dark", bypassCSP: true });
    const { page, errors } = await open(dark, `${base}/losses/cross-entropy`);
    await settled(page);
    const colours = await page.evaluate(() => ({
      paper: getComputedStyle(document.documentElement).backgroundColor,
      charts: document.querySelectorAll("#sweep canvas").length,
    }));
    assert.equal(colours.paper, "rgb(18, 22, 27)");
    assert.equal(colours.charts, 2);
    assert.deepEqual(await axeViolations(page), [], "dark CrossEntropyLoss page");
    assert.deepEqual(errors, []);
    await dark.close();
  });

  await t.step("/notation and /api/v1/docs carry the site's header", async () => {
    const { page, errors } = await open(context, `${base}/notation`);
    assert.equal(
      await page.locator("table.notation").first().locator("tbody tr").count(),
      NOTATION.length,
    );
    assert.deepEqual(errors, []);
    await page.goto(`${base}/api/v1/docs`, { waitUntil: "domcontentloaded" });
    const links = await page.locator("header.top nav a").evaluateAll((links) =>
      links.map((a) => ({ href: a.getAttribute("href")!, text: a.textContent! }))
    );
    assert.deepEqual(links, SITE_NAV);
    assert.equal(await page.locator(".back a").getAttribute("href"), "/");
    await page.close();
  });

  await t.step("/notebook shows the notebook's numbers and inline errors", async () => {
    const { page, errors } = await open(context, `${base}/notebook`);
    await waitForNumbers(page, ".values output");
    const value = (id: string) => page.textContent(`#${id}`);
    assert.equal(await value("nb-l1"), "1.5025");
    assert.equal(await value("nb-l1-hand"), "1.5025");
    assert.equal(await value("nb-bce"), "0.9895");
    assert.equal(await value("nb-bce-logits"), "0.9895");
    assert.equal(await value("nb-nll3"), "1.6360");
    assert.equal(await value("nb-ce3"), "1.6360");
    for (const id of ["nb-ce2", "nb-nll2", "nb-bce2", "nb-bce-logits2"]) {
      assert.equal(await value(id), "0.7133", id);
    }
    assert.equal(await page.locator(".agreement:not([hidden])").count(), 3);
    await screenshot(page, "notebook");
    assert.deepEqual(errors, []);

    await page.fill("#nb-l1Input", "[[1, 2], [3]]");
    const slot = page.locator("#nb-l1Input-error");
    await slot.waitFor({ state: "visible" });
    assert.match(await slot.textContent() ?? "", /ragged/);
    await page.click("#restore");
    await slot.waitFor({ state: "hidden" });
    await page.fill("#nb-threeClassLabels", "[1, 1, 1, 0, 0, 2, 1, 2, 1, 7]");
    const labels = page.locator("#nb-threeClassLabels-error");
    await labels.waitFor({ state: "visible" });
    assert.match(await labels.textContent() ?? "", /7/);
    // A logit of 50 for label 0: BCELoss of its sigmoid (1 in float32) clamps at 100,
    // BCEWithLogitsLoss gives 50; the line says they part, and links the stability lesson.
    await page.click("#restore");
    await page.fill(
      "#nb-binaryLogits",
      "[-1.6967, 50, -0.3870, 0.2841, -1.9320, 0.7431, 0.5321, -1.0695, 0.0770, 0.3902]",
    );
    const parted = page.locator('.agreement.parted:not([hidden]) a[href="/lessons/stability"]');
    await parted.waitFor({ state: "visible" });
    assert.equal(await parted.count(), 1);
    assert.notEqual(await value("nb-bce"), await value("nb-bce-logits"));
    await page.click("#restore");
    await parted.waitFor({ state: "detached" });
    await page.waitForFunction(() =>
      document.querySelectorAll(".agreement:not([hidden]):not(.parted)").length === 3
    );
    await page.click("#redraw");
    await page.waitForFunction(() =>
      document.getElementById("draw-note")!.textContent!.includes("seed 1")
    );
    await waitForNumbers(page, ".values output");
    await page.close();
  });

  await t.step("screenshots, and axe-core: no serious or critical violations", async () => {
    const { page } = await open(context, `${base}/losses/cross-entropy`);
    await settled(page);
    await screenshot(page, "loss-cross-entropy");
    await page.close();
    for (const path of ["/", "/losses/cross-entropy", "/notebook", "/notation"]) {
      const page = await axeContext.newPage();
      await page.goto(`${base}${path}`, { waitUntil: "load" });
      if (path.startsWith("/losses/")) await settled(page);
      else await page.waitForTimeout(300);
      assert.deepEqual(await axeViolations(page), [], path);
      await page.close();
    }
  });
});
