/// <reference lib="dom" />
/**
 * The home page's search box: shows the losses whose search text (names, summary, category,
 * library, keywords and teaching text, written into each card) holds every word typed, a plural
 * matching its singular.
 *
 * @module
 */

/** Whether `text` holds `word`, or `word` without a plural ending. */
export function holds(text: string, word: string): boolean {
  if (text.includes(word)) return true;
  const singular = word.replace(/(?:es|s)$/, "");
  return singular.length >= 4 && text.includes(singular);
}

/** The words of a query, lower case, `_` and `-` read as spaces. */
export function queryWords(query: string): string[] {
  return query.toLowerCase().replace(/[_-]/g, " ").split(/\s+/).filter(Boolean);
}

/** Wires the search box of the home page. */
export function startHome(): void {
  const box = document.querySelector<HTMLInputElement>("#filter")!;
  const count = document.querySelector<HTMLElement>("#filter-count")!;
  const none = document.querySelector<HTMLElement>("#no-match")!;
  const cards = [...document.querySelectorAll<HTMLElement>(".card")];
  const texts = new Map(
    cards.map((card) => [card, (card.dataset.search ?? "").replace(/[_-]/g, " ")]),
  );
  const filter = () => {
    const words = queryWords(box.value);
    let shown = 0;
    for (const card of cards) {
      const text = texts.get(card)!;
      const match = words.every((word) => holds(text, word));
      card.hidden = !match;
      if (match) shown++;
    }
    for (const section of document.querySelectorAll<HTMLElement>(".category")) {
      section.hidden = !section.querySelector(".card:not([hidden])");
    }
    count.textContent = `${shown} ${shown === 1 ? "loss" : "losses"}`;
    none.hidden = shown > 0;
  };
  box.addEventListener("input", filter);
  filter();
}
