/**
 * The home page: every loss of `torch.nn`, grouped by what it is for, then the losses beyond
 * `torch.nn` (those whose registry entry names a `source`), with a search box that matches
 * names, summaries, teaching text and the words people search a loss by.
 *
 * @module
 */
import { type AnyLoss, CATEGORIES, type Category } from "../../lib/mod.ts";
import { lessonPath, LESSONS } from "../lessons.ts";
import { Layout } from "./layout.tsx";
import { Formula } from "./math.tsx";

/**
 * What the search box matches for a loss, lower case: its names, summary, category, library,
 * keywords and teaching text.
 */
export function searchText(loss: AnyLoss): string {
  const teaching = loss.teaching;
  return [
    loss.name,
    loss.functional,
    loss.slug,
    loss.summary,
    CATEGORIES[loss.category as Category].title,
    loss.category,
    loss.source?.library ?? "torch.nn pytorch",
    loss.source?.call ?? "",
    ...(loss.keywords ?? []),
    teaching?.measures ?? "",
    teaching?.choose ?? "",
    teaching?.mistake ?? "",
  ].join(" ").toLowerCase().replace(/[`$\\{}]/g, " ").replace(/\s+/g, " ");
}

function Card({ loss }: { loss: AnyLoss }) {
  const library = loss.source;
  return (
    <li
      class="card"
      data-name={loss.name}
      data-search={searchText(loss)}
      data-keywords={(loss.keywords ?? []).join(" ").toLowerCase()}
    >
      <h3>
        <a href={`/losses/${loss.slug}`}>{loss.name}</a>
      </h3>
      <p class="functional">
        {library
          ? (
            <>
              {library.library}: <code>{library.call}</code>
            </>
          )
          : <code>F.{loss.functional}</code>}
      </p>
      <p>{loss.summary}</p>
      <div class="formula" tabindex={0} role="group" aria-label={`The formula of ${loss.name}`}>
        <Formula tex={loss.formula} />
      </div>
      {loss.keywords?.length
        ? <p class="keywords">{loss.keywords.slice(0, 6).join(" · ")}</p>
        : null}
    </li>
  );
}

function Group(
  { id, title, blurb, members }: { id: string; title: string; blurb: string; members: AnyLoss[] },
) {
  if (members.length === 0) return null;
  return (
    <section class="category" aria-labelledby={`category-${id}`}>
      <h2 id={`category-${id}`}>{title}</h2>
      <p class="blurb">{blurb}</p>
      <ul class="cards">
        {members.map((loss) => <Card key={loss.name} loss={loss} />)}
      </ul>
    </section>
  );
}

/** The home page. */
export function HomePage({ losses }: { losses: readonly AnyLoss[] }) {
  const categories = Object.keys(CATEGORIES) as Category[];
  const torch = losses.filter((loss) => !loss.source);
  const beyond = losses.filter((loss) => loss.source);
  const libraries = [...new Set(beyond.map((loss) => loss.source!.library))];
  return (
    <Layout
      title="PyTorch losses, computed and explained"
      description="Every torch.nn loss computed exactly as PyTorch does, with its gradient, explained with live numbers."
      page="home"
      styles={["/vendor/katex/katex.min.css"]}
    >
      <h1>Every PyTorch loss, computed and explained</h1>
      <p class="lead">
        All {torch.length} losses of <code>torch.nn</code>
        {beyond.length > 0 && <>, and {beyond.length} beyond it</>}, with their gradients, computed
        by an API that gives their libraries' numbers. Pick one to see what it measures, how its
        value and gradient move when an input moves, and one element worked through with numbers you
        can change; or read <a href="/notebook">the notebook</a>{" "}
        that shows which losses are the same computation. Every formula is written in{" "}
        <a href="/notation">one notation</a>.
      </p>
      <section class="lessons" aria-labelledby="lessons">
        <h2 id="lessons">Lessons: the choice of loss at work</h2>
        <p class="blurb">
          Small models trained live in your browser, every loss value and gradient from the API:
          what changes when the loss changes.
        </p>
        <ul class="lesson-list">
          {LESSONS.map((lesson) => (
            <li key={lesson.slug}>
              <a href={lessonPath(lesson)}>{lesson.title}</a>: {lesson.summary}
            </li>
          ))}
        </ul>
      </section>
      <div class="filter" role="search">
        <label for="filter">Search losses</label>
        <input
          id="filter"
          type="search"
          placeholder="classification, outlier, ranking, kl…"
          autocomplete="off"
          aria-describedby="filter-help filter-count"
        />
        <span id="filter-count" role="status" aria-live="polite">
          {losses.length} losses
        </span>
        <p class="help" id="filter-help">
          By name, or by what it is for: the words of each loss's summary and teaching text, and the
          words people look it up by (regression, robust, imbalance, embedding, sequence…).
        </p>
      </div>
      {categories.map((category) => (
        <Group
          key={category}
          id={category}
          title={CATEGORIES[category].title}
          blurb={CATEGORIES[category].blurb}
          members={torch.filter((loss) => loss.category === category)}
        />
      ))}
      <Group
        id="beyond"
        title="Beyond torch.nn"
        blurb={`Losses from other libraries (${libraries.join(", ")}), computed as they compute ` +
          "them; each card names its library."}
        members={beyond}
      />
      <p id="no-match" hidden>No loss matches this search.</p>
    </Layout>
  );
}
