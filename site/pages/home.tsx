/**
 * The home page: every loss, grouped by what it is for, with a filter box.
 *
 * @module
 */
import { type AnyLoss, CATEGORIES, type Category } from "../../lib/mod.ts";
import { Layout } from "./layout.tsx";
import { Formula } from "./math.tsx";

/** The home page. */
export function HomePage({ losses }: { losses: readonly AnyLoss[] }) {
  const categories = Object.keys(CATEGORIES) as Category[];
  return (
    <Layout
      title="PyTorch losses, computed and explained"
      description="Every torch.nn loss computed exactly as PyTorch does, with its gradient, explained with live numbers."
      page="home"
      styles={["/vendor/katex/katex.min.css"]}
    >
      <h1>Every PyTorch loss, computed and explained</h1>
      <p class="lead">
        All {losses.length} losses of{" "}
        <code>torch.nn</code>, with their gradients, computed by an API that gives PyTorch's
        numbers. Pick one to see what it computes and why, with numbers you can change, or read{" "}
        <a href="/notebook">the notebook</a> that shows which losses are the same computation.
      </p>
      <div class="filter">
        <label for="filter">Filter losses</label>
        <input
          id="filter"
          type="search"
          placeholder="cross entropy, margin, kl…"
          autocomplete="off"
          aria-describedby="filter-count"
        />
        <span id="filter-count" role="status" aria-live="polite">
          {losses.length} losses
        </span>
      </div>
      {categories.map((category) => {
        const members = losses.filter((loss) => loss.category === category);
        if (members.length === 0) return null;
        return (
          <section key={category} class="category" aria-labelledby={`category-${category}`}>
            <h2 id={`category-${category}`}>{CATEGORIES[category].title}</h2>
            <p class="blurb">{CATEGORIES[category].blurb}</p>
            <ul class="cards">
              {members.map((loss) => (
                <li
                  key={loss.name}
                  class="card"
                  data-search={[loss.name, loss.functional, loss.slug, loss.summary, category]
                    .join(" ").toLowerCase()}
                >
                  <h3>
                    <a href={`/losses/${loss.slug}`}>{loss.name}</a>
                  </h3>
                  <p class="functional">
                    <code>F.{loss.functional}</code>
                  </p>
                  <p>{loss.summary}</p>
                  <div
                    class="formula"
                    tabindex={0}
                    role="group"
                    aria-label={`The formula of ${loss.name}`}
                  >
                    <Formula tex={loss.formula} />
                  </div>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
      <p id="no-match" hidden>No loss matches this filter.</p>
    </Layout>
  );
}
