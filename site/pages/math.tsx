/**
 * Formulas typeset with KaTeX when the site is built, so that pages need no script for them, and
 * the registry's prose (`code` in backticks, TeX between `$` signs) as HTML.
 *
 * @module
 */
import katex from "katex";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";

/** KaTeX's HTML with MathML (read by screen readers) for `tex`. */
export function katexHtml(tex: string, display = false): string {
  return katex.renderToString(tex, {
    displayMode: display,
    throwOnError: true,
    output: "htmlAndMathml",
    strict: "ignore",
  });
}

/**
 * Renders LaTeX as KaTeX HTML with MathML (read by screen readers).  A `display` formula is set
 * in display style on a line of its own, but typeset as inline math so that the browser may
 * break it after a top-level relation or operator where its box is narrower than it (a phone):
 * KaTeX's display mode never breaks.
 */
export function Formula({ tex, display = false }: { tex: string; display?: boolean }) {
  const html = display ? katexHtml(`\\displaystyle ${tex}`) : katexHtml(tex);
  return <span class={display ? "math display" : "math"}>{raw(html)}</span>;
}

/** `>=` and `<=` as the signs they stand for, in prose. */
function signs(text: string): string {
  return text.replace(/>=/g, "≥").replace(/<=/g, "≤");
}

/**
 * The registry's prose as HTML: `code` in backticks becomes `<code>`, TeX between `$` signs a
 * KaTeX formula, and the rest text (`>=` written ≥).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { richText } from "./math.tsx";
 * const html = String(richText("`mean` of $x_n$, >= 0"));
 * assert.match(html, /<code>mean<\/code>/);
 * assert.match(html, /class="katex"/);
 * assert.match(html, /≥ 0/);
 * assert.doesNotMatch(html, /`/);
 * ```
 */
export function richText(text: string): Child[] {
  const parts: Child[] = [];
  const pattern = /`([^`]+)`|\$([^$]+)\$/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push(signs(text.slice(last, match.index)));
    if (match[1] !== undefined) parts.push(<code>{match[1]}</code>);
    else parts.push(<span class="math">{raw(katexHtml(match[2]))}</span>);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(signs(text.slice(last)));
  return parts;
}

/** {@link richText} as a component. */
export function RichText({ text }: { text: string }) {
  return <>{richText(text)}</>;
}
