/**
 * `/notation`: the one notation every formula of the site is written in (`lib/core/notation.ts`),
 * how `reduction` turns the losses of the elements into the result, and the options written as
 * Greek letters, gathered from the registry.
 *
 * @module
 */
import { type AnyLoss, NOTATION, type OptionSpec, REDUCTION_TEX } from "../../lib/mod.ts";
import { Layout } from "./layout.tsx";
import { shownSymbol } from "./loss.tsx";
import { Formula, RichText } from "./math.tsx";

/**
 * The options of the registry that formulas write as a symbol of their own (a Greek letter),
 * with the losses that have them.
 */
export function symbols(losses: readonly AnyLoss[]) {
  const found = new Map<string, { symbol: string; name: string; losses: AnyLoss[] }>();
  for (const loss of losses) {
    for (const option of loss.options as OptionSpec[]) {
      if (!shownSymbol(option)) continue;
      const key = `${option.name} ${option.symbol}`;
      const entry = found.get(key) ?? { symbol: option.symbol!, name: option.name, losses: [] };
      entry.losses.push(loss);
      found.set(key, entry);
    }
  }
  return [...found.values()];
}

/** The notation page. */
export function NotationPage({ losses }: { losses: readonly AnyLoss[] }) {
  const options = symbols(losses);
  return (
    <Layout
      title="Notation: the symbols of every formula on this site"
      description="The one notation every loss formula on this site is written in."
      page="notation"
      styles={["/vendor/katex/katex.min.css"]}
    >
      <h1>Notation</h1>
      <p class="lead">
        Every formula on this site is written in one notation, whatever the loss; PyTorch's own
        documentation varies from page to page. A loss page shows the formula for the options in
        force, and its worked element uses these symbols with numbers in them.
      </p>
      <div class="table-wrap">
        <table class="notation">
          <thead>
            <tr>
              <th scope="col">Symbol</th>
              <th scope="col">Meaning</th>
            </tr>
          </thead>
          <tbody>
            {NOTATION.map((entry) => (
              <tr key={entry.tex}>
                <th scope="row">
                  <Formula tex={entry.tex} />
                </th>
                <td>
                  <RichText text={entry.meaning} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 id="reduction">The reduction</h2>
      <p>
        Most formulas give the loss <Formula tex="l_n" /> of each element (or sample);{" "}
        <code>reduction</code> then makes the result <Formula tex="\ell" /> of them:
      </p>
      <div class="formula" tabindex={0} role="group" aria-label="The reduction">
        <Formula tex={REDUCTION_TEX} display />
      </div>
      <p>
        Some losses divide <code>mean</code>{" "}
        by something else than the number of elements: the sum of the weights of the targets kept
        (<code>CrossEntropyLoss</code>,{" "}
        <code>NLLLoss</code>), the batch size (<code>batchmean</code> of{" "}
        <code>KLDivLoss</code>), each target's length (<code>CTCLoss</code>). Each loss page says
        which, and its worked reduction names the divisor of the inputs shown.
      </p>
      {options.length > 0 && (
        <>
          <h2 id="options">Options written as symbols</h2>
          <p>
            The options that formulas write as a symbol of their own: a Greek letter wherever
            PyTorch's documentation uses one. Other options are written by name, as{" "}
            <Formula tex="\text{margin}" />.
          </p>
          <div class="table-wrap">
            <table class="notation">
              <thead>
                <tr>
                  <th scope="col">Symbol</th>
                  <th scope="col">Option</th>
                  <th scope="col">Losses</th>
                </tr>
              </thead>
              <tbody>
                {options.map((entry) => (
                  <tr key={`${entry.name} ${entry.symbol}`}>
                    <th scope="row">
                      <Formula tex={entry.symbol} />
                    </th>
                    <td>
                      <code>{entry.name}</code>
                    </td>
                    <td>
                      {entry.losses.map((loss, i) => (
                        <span key={loss.name}>
                          {i > 0 && ", "}
                          <a href={`/losses/${loss.slug}`}>{loss.name}</a>
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Layout>
  );
}
