/**
 * One page per loss, from its registry entry: formula, shapes, options as controls, editable
 * inputs, and the places the page's script fills with the API's answers.
 *
 * @module
 */
import { raw } from "hono/html";
import type { AnyLoss, InputSpec, NumberOption, OptionSpec } from "../../lib/mod.ts";
import { CATEGORIES, createRandom, losses, optionsOf } from "../../lib/mod.ts";
import { formatTensor } from "../client/tensor_text.ts";
import { Layout } from "./layout.tsx";
import { Formula } from "./math.tsx";

/** What the page's script knows of its loss: the registry entry, less the functions. */
export interface LossPageData {
  name: string;
  functional: string;
  slug: string;
  inputs: InputSpec[];
  options: OptionSpec[];
  curve?: AnyLoss["curve"];
  /** The other losses that share the loss's curve, drawn on its chart. */
  curveWith: string[];
  meanDivisor?: string;
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
    curve: loss.curve,
    curveWith: loss.curve
      ? losses.filter((other) => other !== loss && other.curve === loss.curve).map((l) => l.name)
      : [],
    meanDivisor: loss.meanDivisor,
    seed: FIRST_SEED,
  };
}

/** A slider's range for a number option: its bounds, or a practical span around its default. */
export function sliderRange(option: NumberOption): [number, number] | null {
  if (option.oneOf) return null;
  if (option.default > 0 && option.default < 1e-3) return null;
  const low = option.minimum ?? option.exclusiveMinimum ??
    -2 * Math.max(1, Math.abs(option.default));
  const high = option.maximum ?? Math.max(2 * Math.abs(option.default), low + 2, 2);
  return [low, high];
}

function rangeText(option: OptionSpec): string {
  if (option.type === "number") {
    if (option.oneOf) return `one of ${option.oneOf.join(", ")}`;
    const parts = [];
    if (option.minimum !== undefined) parts.push(`≥ ${option.minimum}`);
    if (option.exclusiveMinimum !== undefined) parts.push(`> ${option.exclusiveMinimum}`);
    if (option.maximum !== undefined) parts.push(`≤ ${option.maximum}`);
    return parts.length ? parts.join(" and ") : "any number";
  }
  if (option.type === "integer") {
    return option.minimum !== undefined ? `integer ≥ ${option.minimum}` : "integer";
  }
  if (option.type === "tensor") return `optional tensor of shape ${option.shape}`;
  return "";
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
    case "tensor":
      return (
        <input
          id={id}
          name={option.name}
          type="text"
          placeholder="none, or e.g. [1.0, 2.0, 0.5]"
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

/** An option's label, control, description with its valid range, and error slot. */
function OptionControl({ option }: { option: OptionSpec }) {
  const id = `option-${option.name}`;
  const describedBy = `${id}-help ${id}-error`;
  const label = <label for={id}>{option.name}</label>;
  const field = <OptionField option={option} id={id} describedBy={describedBy} />;
  const checkbox = option.type === "boolean";
  return (
    <div class={checkbox ? "control checkbox" : "control"} data-option={option.name}>
      {checkbox ? field : label}
      {checkbox ? label : field}
      <p class="help" id={`${id}-help`}>
        {option.description}
        {rangeText(option) && <span class="range">({rangeText(option)})</span>}
      </p>
      <p class="field-error" id={`${id}-error`} role="alert" hidden></p>
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
        rows={Math.min(12, text.split("\n").length + 1)}
        spellcheck={false}
        autocomplete="off"
        aria-describedby={`${id}-help ${id}-error`}
      >
        {text}
      </textarea>
      <p class="help" id={`${id}-help`}>
        {spec.description}; {kind}
        {spec.differentiable ? ", differentiable" : ""}.
      </p>
      <p class="field-error" id={`${id}-error`} role="alert" hidden></p>
    </div>
  );
}

/** The page of one loss. */
export function LossPage({ loss }: { loss: AnyLoss }) {
  const data = pageDataOf(loss);
  const sample = loss.sample(createRandom(FIRST_SEED));
  const differentiable = loss.inputs.filter((spec: InputSpec) => spec.differentiable);
  return (
    <Layout
      title={`${loss.name}: ${loss.summary}`}
      description={`${loss.name} (torch.nn): ${loss.summary}. Computed live, with its gradient.`}
      page="loss"
      styles={["/vendor/katex/katex.min.css", "/vendor/uplot/uPlot.min.css"]}
    >
      <script type="application/json" id="loss-data">{raw(jsonForScript(data))}</script>
      <p class="crumbs">
        <a href="/">All losses</a> › {CATEGORIES[loss.category].title}
      </p>
      <h1>
        {loss.name} <span class="aka">torch.nn.{loss.name} · F.{loss.functional}</span>
      </h1>
      <p class="lead">{loss.summary}.</p>
      <section aria-labelledby="formula-title">
        <h2 id="formula-title">What it computes</h2>
        <div class="formula" tabindex={0} role="group" aria-label={`The formula of ${loss.name}`}>
          <Formula tex={loss.formula} display />
        </div>
        <table class="shapes">
          <caption>Shapes</caption>
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
      </section>
      <form id="compute" class="compute" novalidate>
        <section aria-labelledby="inputs-title">
          <h2 id="inputs-title">Inputs</h2>
          <p class="help">
            Write tensors as for <code>torch.tensor</code>: nested lists.
          </p>
          <div class="buttons">
            <button type="button" id="random">Random inputs</button>
            <span class="help" id="seed-note" aria-live="polite">seed {FIRST_SEED}</span>
            <label for="dtype">dtype</label>
            <select id="dtype" name="dtype">
              <option value="float32" selected>float32</option>
              <option value="float64">float64</option>
            </select>
          </div>
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
      </form>
      <section aria-labelledby="result-title" class="result">
        <h2 id="result-title">Result</h2>
        <p>
          <output id="output" for="compute" aria-live="polite">computing…</output>
        </p>
        <ul id="warnings" class="warnings" hidden></ul>
      </section>
      <section aria-labelledby="grads-title">
        <h2 id="grads-title">Gradient</h2>
        <p class="help">
          The gradient of the output with respect to{" "}
          {differentiable.map((spec: InputSpec) => spec.name).join(", ")}{" "}
          (of the sum of the output, when it is not a scalar): red where increasing the element
          increases the loss, blue where it decreases it.
        </p>
        <div id="grads"></div>
      </section>
      <section aria-labelledby="hand-title">
        <h2 id="hand-title">By hand</h2>
        <p class="help">
          The loss of each element (<code>reduction="none"</code>), and the reduction that gives the
          result.
        </p>
        <div id="by-hand"></div>
      </section>
      {loss.curve && (
        <section aria-labelledby="curve-title">
          <h2 id="curve-title">The loss against the prediction</h2>
          <p class="help" id="curve-help">
            {data.curveWith.length
              ? `${loss.name} beside ${data.curveWith.join(", ")}, `
              : `${loss.name} `}
            as {loss.curve.x.label} sweeps from {loss.curve.x.from} to{" "}
            {loss.curve.x.to}, computed by the API with this page's options.
          </p>
          <div id="curve" class="curve" role="img" aria-labelledby="curve-title curve-help"></div>
        </section>
      )}
      <section aria-labelledby="snippets-title">
        <h2 id="snippets-title">Reproduce it</h2>
        <div class="snippets">
          {[["curl", "curl"], ["python", "Python (requests)"], ["pytorch", "PyTorch"]].map((
            [key, title],
          ) => (
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
    </Layout>
  );
}

/** JSON that is safe inside a `<script>` element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}
