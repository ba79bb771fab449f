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

/**
 * Sets each box's formula in the largest size (up to its own) at which it fits the box's width.
 * The boxes are measured together and then sized together, so that the page is laid out a few
 * times for all of them, not a few times for each (on a page of many formulas and a slow phone,
 * a layout per box took seconds).
 */
export function fitAll(boxes: readonly HTMLElement[]): void {
  const shown = boxes.filter((box) => !box.hidden);
  for (const box of shown) if (box.style.fontSize) box.style.fontSize = "";
  // Read every width at once (one layout), then write every size.
  const over = shown
    .map((box) => ({ box, width: box.clientWidth, needed: box.scrollWidth, scale: 1 }))
    .filter(({ width, needed }) => width > 0 && needed > width + 0.5);
  for (const item of over) {
    item.scale = Math.max(MIN_SCALE, (item.width - 1) / item.needed);
    item.box.style.fontSize = `${item.scale}em`;
  }
  // A second pass: the first scale was measured on a formula whose padding did not scale.
  const still = over
    .filter((item) => item.scale > MIN_SCALE)
    .map((item) => ({ ...item, needed: item.box.scrollWidth }))
    .filter(({ width, needed }) => needed > width + 0.5);
  for (const item of still) {
    const scale = Math.max(MIN_SCALE, item.scale * (item.width - 1) / item.needed);
    item.box.style.fontSize = `${scale}em`;
  }
}

/** The width each observed box was last fitted at: a change of height alone refits nothing. */
const widths = new WeakMap<Element, number>();
const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
  const changed: HTMLElement[] = [];
  for (const entry of entries) {
    const width = Math.round(entry.contentRect.width);
    if (widths.get(entry.target) === width) continue;
    widths.set(entry.target, width);
    changed.push(entry.target as HTMLElement);
  }
  fitAll(changed);
});

/** The boxes that came near the screen, and are fitted (and watched) from then on. */
const seen = new WeakSet<Element>();

/** Starts watching `boxes`' widths; fits them now. */
function show(boxes: HTMLElement[]): void {
  for (const box of boxes) {
    seen.add(box);
    if (observer && !widths.has(box)) {
      // Fitted below at this width: the observer's first report of it refits nothing.
      widths.set(box, box.hidden ? -1 : Math.round(box.getBoundingClientRect().width));
      observer.observe(box);
    }
  }
  fitAll(boxes);
}

/**
 * A box is fitted once it comes near the screen: one far below is not laid out yet (a card
 * has `content-visibility: auto`), and measuring it would lay it out for nothing.
 */
const nearScreen = typeof IntersectionObserver === "undefined"
  ? null
  : new IntersectionObserver((entries) => {
    const near = entries.filter((entry) => entry.isIntersecting).map((entry) => {
      nearScreen!.unobserve(entry.target);
      return entry.target as HTMLElement;
    });
    if (near.length) show(near);
  }, { rootMargin: "200px" });

/**
 * Fits every `.formula` box under `root` that is near the screen now, the others as they come
 * near, and each again whenever its width changes (a rotated phone, a resized window, a case of
 * the formula shown).
 */
export function fitFormulas(root: ParentNode = document): void {
  if (root === document && typeof document.fonts !== "undefined") {
    // KaTeX's fonts change the formulas' widths, not their boxes': fit again once they are in.
    // A font is loaded when text first needs it, which may be when a part of the page laid out
    // only near the screen comes near (its formula's large braces): after every load, then,
    // once before the next frame however many loads ended.
    let pending = false;
    const refitSoon = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        refit(root);
      });
    };
    document.fonts.ready.then(refitSoon);
    document.fonts.addEventListener("loadingdone", refitSoon);
  }
  refit(root);
}

function refit(root: ParentNode): void {
  const boxes = [...root.querySelectorAll<HTMLElement>(".formula")];
  if (!nearScreen) return show(boxes);
  fitAll(boxes.filter((box) => seen.has(box)));
  for (const box of boxes) if (!seen.has(box)) nearScreen.observe(box);
}
