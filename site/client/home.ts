/// <reference lib="dom" />
/**
 * The home page's filter box: hides the losses whose name, summary or category do not contain
 * every word typed.
 *
 * @module
 */

/** Wires the filter box of the home page. */
export function startHome(): void {
  const box = document.querySelector<HTMLInputElement>("#filter")!;
  const count = document.querySelector<HTMLElement>("#filter-count")!;
  const none = document.querySelector<HTMLElement>("#no-match")!;
  const cards = [...document.querySelectorAll<HTMLElement>(".card")];
  const filter = () => {
    const words = box.value.toLowerCase().replace(/[_-]/g, " ").split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const card of cards) {
      const text = (card.dataset.search ?? "").replace(/[_-]/g, " ");
      const match = words.every((word) => text.includes(word));
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
