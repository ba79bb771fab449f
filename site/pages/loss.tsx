/**
 * One page per loss, from its registry entry: what it measures, the workbench (its inputs and
 * options as controls beside a live figure: the formula for the options in force, the result,
 * and the loss and its gradient against one input), one element worked through, the gradients,
 * when to choose it, its classic mistake, related losses, its documentation, and code that
 * reproduces the numbers.  The page's script fills what the API answers.
 *
 * @module
 */
import { raw } from "hono/html";
import {
  type AnyLoss,
  CATEGORIES,
  createRandom,
  findLoss,
  type FormulaCase,
  type InputSpec,
  type LossSource,
  type NumberOption,
  optionsOf,
  type OptionSpec,
  REDUCTION_TEX,
} from "../../lib/mod.ts";
import { sourceOf } from "../../lib/core/definition.ts";
import { formulaCaseFor } from "../client/formula_case.ts";
import { formatTensor } from "../client/tensor_text.ts";
import { Layout } from "./layout.tsx";
import { Formula, RichText } from "./math.tsx";

/** What the page's script knows of its loss: the registry entry, less the functions. */
export interface LossPageData {
  name: string;
  functional: string;
  slug: string;
  inputs: InputSpec[];
  options: OptionSpec[];
  /**
   * The conditions of the loss's formula cases, in order: the script picks the one in force with
   * `formulaFor` and shows the case rendered at build time (case 0 is the default formula).
   */
  formulaCases: Pick<FormulaCase, "when">[];
  /** Where the loss is defined; `torch` for the losses of `torch.nn`. */
  source: LossSource;
  torch: boolean;
  /** The seed of the inputs printed in the page. */
  seed: number;
}

/** The seed of the inputs a loss page starts from. */
export const FIRST_SEED = 1;

/** The data embedded in a loss page for its script. */
export function pageDataOf(loss: AnyLoss): LossPageData {
  return {
    name: loss.name,
    functional: loss.functional,
    slug: loss.slug,
    inputs: loss.inputs,
    options: optionsOf(loss).filter((option) => !option.deprecated),
    formulaCases: (loss.formulas ?? []).map(({ when }: FormulaCase) => ({ when })),
    source: sourceOf(loss),
    torch: !loss.source,
    seed: FIRST_SEED,
  };
}

/** The formulas of a loss, the default first, as {@link LossPageData.formulaCases} numbers them. */
export function formulaTexts(loss: AnyLoss): string[] {
  return [loss.formula, ...(loss.formulas ?? []).map((c: FormulaCase) => c.tex)];
}

/** The default value of every option, as `formulaFor` reads them. */
export function defaultOptions(options: OptionSpec[]): Record<string, unknown> {
  return Object.fromEntries(options.map((option) => [option.name, option.default]));
}

/** A slider's range for a number option: its bounds, or a practical span around its default. */
export function sliderRange(option: NumberOption): [number, number] | null {
  if (option.oneOf) return null;
  if (option.default > 0 && option.default < 1e-3) return null;
  const low = option.minimum ?? option.exclusiveMinimum ??
    -2 * Math.max(1, Math.abs(option.default));
  const high = option.maximum ?? option.exclusiveMaximum ??
    Math.max(2 * Math.abs(option.default), low + 2, 2);
  return [low, high];
}

/** An option's valid values in words, from its schema: `> 0`, `≥ 0 and ≤ 1`, `1 or 2`. */
export function rangeText(option: OptionSpec): string {
  if (option.type === "number") {
    if (option.oneOf) return `one of ${option.oneOf.join(", ")}`;
    const parts = [];
    if (option.minimum !== undefined) parts.push(`≥ ${option.minimum}`);
    if (option.exclusiveMinimum !== undefined) parts.push(`> ${option.exclusiveMinimum}`);
    if (option.maximum !== undefined) parts.push(`≤ ${option.maximum}`);
    if (option.exclusiveMaximum !== undefined) parts.push(`< ${option.exclusiveMaximum}`);
    const or = parts.length && option.orOneOf ? `, or exactly ${option.orOneOf.join(" or ")}` : "";
    return parts.join(" and ") + or;
  }
  if (option.type === "integer") {
    return option.minimum !== undefined ? `an integer ≥ ${option.minimum}` : "an integer";
  }
  if (option.type === "tensor") return `optional, a tensor of shape ${option.shape}`;
  if (option.type === "axes") return "null, an integer, or a list of integers such as [1, 2]";
  return "";
}

/** Whether a description already states the valid values (`> 0`, `in [0, 1]`, `1 or 2`). */
export function statesRange(description: string): boolean {
  return /(?:[<>]=?|[≥≤])\s*-?\d|\bin\s*[[(]\s*-?\d|-?\d+\s+to\s+-?\d|\b\d\s+or\s+\d\b/.test(
    description,
  );
}

/** A description as a sentence: ending with a full stop. */
function sentence(text: string): string {
  return /[.!?)]$/.test(text.trim()) ? text : `${text.trim()}.`;
}

/** The control of an option's value, by its type: select, checkbox, text, number, slider. */
function OptionField({ option, id, describedBy }: {
  option: OptionSpec;
  id: string;
  describedBy: string;
}) {
  switch (option.type) {
    case "string":
      return (
        <select id={id} name={option.name} aria-describedby={describedBy}>
          {option.enum.map((value) => (
            <option key={value} value={value} selected={value === option.default}>{value}</option>
          ))}
        </select>
      );
    case "boolean":
      return (
        <input
          id={id}
          name={option.name}
          type="checkbox"
          checked={option.default === true}
          aria-describedby={describedBy}
        />
      );
    case "axes":
    case "tensor":
      return (
        <input
          id={id}
          name={option.name}
          type="text"
          placeholder={option.type === "axes"
            ? "null, or e.g. 1 or [1, 2]"
            : "none, or e.g. [1.0, 2.0, 0.5]"}
          spellcheck={false}
          autocomplete="off"
          aria-describedby={describedBy}
        />
      );
    case "integer":
      return (
        <input
          id={id}
          name={option.name}
          type="number"
          step="1"
          value={String(option.default)}
          aria-describedby={describedBy}
        />
      );
    case "number": {
      if (option.oneOf) {
        return (
          <select id={id} name={option.name} data-type="number" aria-describedby={describedBy}>
            {option.oneOf.map((value) => (
              <option key={value} value={String(value)} selected={value === option.default}>
                {value}
              </option>
            ))}
          </select>
        );
      }
      const range = sliderRange(option);
      return (
        <div class="number-pair">
          {range && (
            <input
              id={`${id}-slider`}
              type="range"
              min={String(range[0])}
              max={String(range[1])}
              step={String((range[1] - range[0]) / 200)}
              value={String(option.default)}
              aria-label={`${option.name} slider`}
              data-slider-for={id}
            />
          )}
          <input
            id={id}
            name={option.name}
            type="number"
            step="any"
            value={String(option.default)}
            aria-describedby={describedBy}
          />
        </div>
      );
    }
  }
}

/**
 * The symbol to show beside an option's name: its Greek letter (`\delta`), not a symbol that
 * only repeats the name (`\text{margin}`, `p`).
 */
export function shownSymbol(option: OptionSpec): string | undefined {
  const symbol = option.symbol;
  if (!symbol) return undefined;
  const bare = symbol.replace(/\\(?:text|mathrm|operatorname)\{([^}]*)\}/g, "$1").replace(
    /\\_/g,
    "_",
  );
  return bare.trim() === option.name ? undefined : symbol;
}

/** An option's label (with its symbol), control, description, valid values and message slots. */
function OptionControl({ option }: { option: OptionSpec }) {
  const id = `option-${option.name}`;
  const describedBy = `${id}-help ${id}-error ${id}-advice`;
  const label = (
    <label for={id}>
      <code>{option.name}</code>
      {shownSymbol(option) && (
        <span class="symbol">
          <Formula tex={shownSymbol(option)!} />
        </span>
      )}
    </label>
  );
  const field = <OptionField option={option} id={id} describedBy={describedBy} />;
  const checkbox = option.type === "boolean";
  const range = statesRange(option.description) ? "" : rangeText(option);
  return (
    <div class={checkbox ? "control checkbox" : "control"} data-option={option.name}>
      {checkbox ? field : label}
      {checkbox ? label : field}
      <p class="help" id={`${id}-help`}>
        <RichText text={sentence(option.description)} />
        {range && <span class="range">Valid: {range}.</span>}
      </p>
      <p class="field-error" id={`${id}-error`} role="alert" hidden></p>
      <div class="advice" id={`${id}-advice`} hidden></div>
    </div>
  );
}

function InputEditor({ spec, text }: { spec: InputSpec; text: string }) {
  const id = `input-${spec.name}`;
  const kind = spec.kind === "index"
    ? "integers"
    : spec.kind === "float-or-index"
    ? "class indices, or probabilities of the input's shape"
    : "real numbers";
  return (
    <div class="control tensor" data-input={spec.name}>
      <label for={id}>
        <code>{spec.name}</code> <span class="shape">{spec.shape}</span>
      </label>
      <textarea
        id={id}
        name={spec.name}
        rows={Math.min(10, text.split("\n").length + 1)}
        spellcheck={false}
        autocomplete="off"
        aria-describedby={`${id}-help ${id}-error ${id}-advice`}
      >
        {text}
      </textarea>
      <p class="help" id={`${id}-help`}>
        <RichText text={spec.description} />; {kind}
        {spec.differentiable ? ", differentiable" : ""}.
      </p>
      <p class="field-error" id={`${id}-error`} role="alert" hidden></p>
      <div class="advice" id={`${id}-advice`} hidden></div>
    </div>
  );
}

/** How `reduction` reduces the losses of this loss, for the formula box. */
function ReductionNote({ loss, options }: { loss: AnyLoss; options: OptionSpec[] }) {
  const reduction = options.find((option) => option.name === "reduction");
  if (!reduction || reduction.type !== "string") return null;
  const plain = !loss.meanDivisor && reduction.enum.join() === "none,mean,sum" &&
    /(?:^|[^\\a-z])l_/.test(loss.formula);
  if (plain) {
    return (
      <div class="reduction-tex">
        <Formula tex={REDUCTION_TEX} display />
      </div>
    );
  }
  return (
    <p class="help reduction-words">
      Then <code>reduction</code>: {loss.meanDivisor
        ? (
          <>
            with <code>mean</code>, the sum of the losses is divided by:{" "}
            <RichText text={loss.meanDivisor} />
          </>
        )
        : <RichText text={reduction.description} />}. The worked reduction below names the divisor
      of these inputs.
    </p>
  );
}

/** A related loss or page, as a link: a loss's page, or a page of the site. */
function relatedLink(
  to: string,
  pages: ReadonlySet<string>,
): { href: string; text: string } | null {
  const loss = findLoss(to);
  if (loss) return { href: `/losses/${loss.slug}`, text: loss.name };
  if (!to.startsWith("/")) return null;
  const [path] = to.split("#");
  if (!pages.has(path)) return null;
  const names: Record<string, string> = { "/notebook": "The notebook", "/notation": "Notation" };
  return { href: to, text: names[path] ?? path };
}

/** The teaching sections after the workbench: when to choose the loss, related losses. */
function Teaching({ loss, pages }: { loss: AnyLoss; pages: ReadonlySet<string> }) {
  const teaching = loss.teaching;
  if (!teaching) return null;
  const related = teaching.related.flatMap((entry: { to: string; why: string }) => {
    const link = relatedLink(entry.to, pages);
    return link ? [{ ...entry, link }] : [];
  });
  return (
    <div class="teaching">
      <section aria-labelledby="choose-title" id="choose">
        <h2 id="choose-title">When to choose it</h2>
        <p>
          <RichText text={teaching.choose} />
        </p>
      </section>
      {related.length > 0 && (
        <section aria-labelledby="related-title" id="related">
          <h2 id="related-title">Related</h2>
          <ul class="related">
            {related.map((
              entry: { to: string; why: string; link: { href: string; text: string } },
            ) => (
              <li key={entry.to}>
                <a href={entry.link.href}>{entry.link.text}</a>: <RichText text={entry.why} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** The page of one loss; `pages` are the site's paths, for the links of related pages. */
export function LossPage(
  { loss, pages = new Set() }: { loss: AnyLoss; pages?: ReadonlySet<string> },
) {
  const data = pageDataOf(loss);
  const sample = loss.sample(createRandom(FIRST_SEED));
  const differentiable = loss.inputs.filter((spec: InputSpec) => spec.differentiable);
  const formulas = formulaTexts(loss);
  const shownCase = formulaCaseFor(data.formulaCases, defaultOptions(data.options));
  const source = data.source;
  const snippets: [string, string][] = [["curl", "curl"], ["python", "Python (requests)"]];
  if (data.torch) snippets.push(["library", "PyTorch"]);
  else if (source.code) snippets.push(["library", `Python (${source.library})`]);
  return (
    <Layout
      title={`${loss.name}: ${loss.summary}`}
      description={`${loss.name} (${source.call}): ${loss.summary}. Computed live, with its gradient, one element worked through.`}
      page="loss"
      styles={["/vendor/katex/katex.min.css", "/vendor/uplot/uPlot.min.css"]}
    >
      <script type="application/json" id="loss-data">{raw(jsonForScript(data))}</script>
      <p class="crumbs">
        <a href="/">All losses</a> ›{" "}
        {data.torch ? CATEGORIES[loss.category].title : "Beyond torch.nn"}
      </p>
      <h1>
        {loss.name}{" "}
        <span class="aka">
          {source.call}
          {data.torch ? ` · F.${loss.functional}` : ""}
        </span>
      </h1>
      <p class="lead">{loss.summary}.</p>
      <p class="source" id="source">
        <a href={source.docs} rel="external">
          {source.library} documentation of <code>{source.call}</code>
        </a>
      </p>
      {loss.teaching && (
        <div class="intro">
          <section aria-labelledby="measures-title" id="measures" class="measures">
            <h2 id="measures-title">What it measures</h2>
            <p>
              <RichText text={loss.teaching.measures} />
            </p>
          </section>
          <section aria-labelledby="mistake-title" id="mistake" class="mistake">
            <h2 id="mistake-title">The classic mistake</h2>
            <p>
              <RichText text={loss.teaching.mistake} />
            </p>
          </section>
        </div>
      )}
      <div class="workbench">
        <form id="compute" class="compute" novalidate autocomplete="off">
          <section aria-labelledby="inputs-title">
            <h2 id="inputs-title">Inputs</h2>
            <p class="help">
              Write tensors as for <code>torch.tensor</code>: nested lists. Every change recomputes.
            </p>
            <div class="buttons">
              <button type="button" id="random">Random inputs</button>
              <span class="help" id="seed-note" aria-live="polite">seed {FIRST_SEED}</span>
              <label for="dtype">dtype</label>
              <select id="dtype" name="dtype">
                <option value="float32" selected>float32</option>
                <option value="float64">float64</option>
              </select>
              <button type="button" id="copy-link" aria-describedby="link-note">Copy link</button>
              <span id="link-status" class="help" role="status"></span>
            </div>
            <details class="link-details">
              <summary id="link-note">The link holds this example</summary>
              <p class="help">
                The address keeps the inputs, options, dtype, seed and picked element after its{" "}
                <code>#</code>, which browsers never send to a server: reloading, Back and Forward,
                and the copied link show this same example and result. Beyond 2,000 characters the
                state is compressed; should it still pass 32,000 characters, the link leaves out the
                largest tensors, says so here, and opens with the page's own values in their place.
              </p>
            </details>
            <p class="advice-note" id="link-omitted" hidden></p>
            {loss.inputs.map((spec: InputSpec) => (
              <InputEditor
                key={spec.name}
                spec={spec}
                text={formatTensor(sample[spec.name], sample[spec.name].dtype === "int")}
              />
            ))}
          </section>
          <section aria-labelledby="options-title">
            <h2 id="options-title">Options</h2>
            {data.options.length === 0
              ? <p>This loss has no options.</p>
              : data.options.map((option) => <OptionControl key={option.name} option={option} />)}
          </section>
          <p class="field-error" id="form-error" role="alert" hidden></p>
          <div class="advice" id="form-advice" hidden></div>
        </form>
        <aside class="live" aria-labelledby="live-title" id="live">
          <h2 id="live-title" class="visually-hidden">The result, live</h2>
          <div class="formula-box">
            <div class="formula-cases" id="formula">
              {formulas.map((tex, i) => (
                <div
                  key={i}
                  class="formula"
                  data-case={String(i)}
                  hidden={i !== shownCase}
                  tabindex={0}
                  role="group"
                  aria-label={`The formula of ${loss.name}${i === 0 ? "" : " for these options"}`}
                >
                  <Formula tex={tex} display />
                </div>
              ))}
            </div>
            <ReductionNote loss={loss} options={data.options} />
            <p class="help notation-link">
              <a href="/notation">Notation</a>: one for every loss on this site.
            </p>
          </div>
          <div class="result" id="result" data-state="pending">
            <p class="result-line">
              <output id="output" for="compute" aria-live="polite">computing…</output>
              <span class="busy" id="busy" aria-hidden="true">updating…</span>
            </p>
            <ul id="warnings" class="warnings" hidden></ul>
            <p id="advice-summary" class="advice-note" hidden></p>
          </div>
          <figure class="sweep" id="sweep" aria-labelledby="sweep-title">
            <figcaption id="sweep-title">
              The loss and its gradient as one input varies
            </figcaption>
            <p class="help" id="sweep-what"></p>
            <div class="chart-label" id="sweep-loss-label">
              loss <Formula tex="l_n" />
            </div>
            <div
              id="sweep-loss"
              class="chart"
              tabindex={0}
              role="group"
              aria-labelledby="sweep-loss-label sweep-what"
              aria-describedby="sweep-point"
            >
            </div>
            <div class="chart-label" id="sweep-slope-label">
              its gradient <Formula tex="\partial l_n / \partial v" />{" "}
              with respect to the input that varies
            </div>
            <div
              id="sweep-slope"
              class="chart"
              tabindex={0}
              role="group"
              aria-labelledby="sweep-slope-label sweep-what"
              aria-describedby="sweep-point"
            >
            </div>
            <p class="sweep-now" id="sweep-now"></p>
            <p class="help" id="sweep-point" aria-live="polite">
              Point at a chart, tap it, or focus it and use the arrow keys to read other values.
            </p>
          </figure>
        </aside>
        <section aria-labelledby="hand-title" id="by-hand" class="by-hand">
          <h2 id="hand-title">One element, by hand</h2>
          <p class="help">
            The loss of one element (<code>reduction="none"</code>) computed step by step with these
            numbers, then how the losses of all elements reduce to the result. Pick the element here
            or in the table; the charts follow it.
          </p>
          <div class="buttons element-picker">
            <button type="button" id="element-previous" aria-label="Previous element">‹</button>
            <label for="element">element</label>
            <input id="element" type="number" min="0" step="1" value="0" inputmode="numeric" />
            <button type="button" id="element-next" aria-label="Next element">›</button>
            <span class="help" id="element-count"></span>
          </div>
          <div id="worked" class="worked"></div>
          <div id="terms"></div>
          <div id="reduction" class="reduction"></div>
        </section>
      </div>
      <div class="after-workbench">
        <Teaching loss={loss} pages={pages} />
        <section aria-labelledby="grads-title" id="gradients">
          <h2 id="grads-title">Gradient</h2>
          <p class="help">
            The gradient of the result with respect to{" "}
            {differentiable.map((spec: InputSpec) => spec.name).join(", ")}{" "}
            (of the sum of the result, when it is not a scalar): red where increasing the element
            increases the loss, blue where it decreases it.
          </p>
          <div id="grads"></div>
        </section>
        <section aria-labelledby="snippets-title" id="reproduce">
          <h2 id="snippets-title">Reproduce it</h2>
          <p class="help">
            The same computation, ready to copy: against this site's API, and with {source.library}
            {" "}
            itself.
          </p>
          <div class="snippets">
            {snippets.map(([key, title]) => (
              <div class="snippet" key={key}>
                <div class="snippet-head">
                  <h3 id={`snippet-${key}-title`}>{title}</h3>
                  <button type="button" data-copy={`snippet-${key}`}>Copy as {title}</button>
                </div>
                <pre
                  aria-labelledby={`snippet-${key}-title`}
                  tabindex={0}
                ><code id={`snippet-${key}`}></code></pre>
              </div>
            ))}
          </div>
        </section>
        <section aria-labelledby="shapes-title" id="shapes">
          <h2 id="shapes-title">Shapes</h2>
          <div class="table-wrap">
            <table class="shapes">
              <thead>
                <tr>
                  <th scope="col">Argument</th>
                  <th scope="col">Shape</th>
                  <th scope="col">Gradient</th>
                </tr>
              </thead>
              <tbody>
                {loss.inputs.map((spec: InputSpec) => (
                  <tr key={spec.name}>
                    <th scope="row">
                      <code>{spec.name}</code>
                    </th>
                    <td>{spec.shape}</td>
                    <td>{spec.differentiable ? "yes" : "no"}</td>
                  </tr>
                ))}
                <tr>
                  <th scope="row">output</th>
                  <td>{loss.outputShape}</td>
                  <td></td>
                </tr>
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </Layout>
  );
}

/** JSON that is safe inside a `<script>` element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}
