/// <reference lib="dom" />
/**
 * Formulas that fit their box: a formula wider than its card or column is set in a smaller
 * size (down to {@link MIN_SCALE} of it), so that no formula is cut off on a card or a phone.
 * Only a formula that would be smaller still scrolls inside its box.
 *
 * @module
 */

/** The smallest size a formula is set in, as a fraction of its own. */
export const MIN_SCALE = 0.55;

/** Sets `box`'s formula in the largest size (up to its own) at which it fits the box's width. */
export function fit(box: HTMLElement): void {
  if (box.hidden || box.clientWidth === 0) return;
  box.style.fontSize = "";
  const needed = box.scrollWidth;
  const width = box.clientWidth;
  if (needed <= width + 0.5) return;
  // Two passes: the scale of the first is measured on a formula whose padding did not scale.
  let scale = Math.max(MIN_SCALE, (width - 1) / needed);
  box.style.fontSize = `${scale}em`;
  if (box.scrollWidth > width + 0.5 && scale > MIN_SCALE) {
    scale = Math.max(MIN_SCALE, scale * (width - 1) / box.scrollWidth);
    box.style.fontSize = `${scale}em`;
  }
}

/** The width each observed box was last fitted at: a change of height alone refits nothing. */
const widths = new WeakMap<Element, number>();
const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
  for (const entry of entries) {
    const width = Math.round(entry.contentRect.width);
    if (widths.get(entry.target) === width) continue;
    widths.set(entry.target, width);
    fit(entry.target as HTMLElement);
  }
});

/**
 * Fits every `.formula` box under `root` now and whenever its width changes (a rotated phone,
 * a resized window, a case of the formula shown).
 */
export function fitFormulas(root: ParentNode = document): void {
  if (root === document && typeof document.fonts !== "undefined") {
    // KaTeX's fonts change the formulas' widths, not their boxes': fit again once they are in.
    document.fonts.ready.then(() => refit(root));
  }
  refit(root);
}

function refit(root: ParentNode): void {
  for (const box of root.querySelectorAll<HTMLElement>(".formula")) {
    fit(box);
    if (observer && !widths.has(box)) {
      widths.set(box, -1);
      observer.observe(box);
    }
  }
}
