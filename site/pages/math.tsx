/**
 * Formulas typeset with KaTeX when the site is built, so that pages need no script for them.
 *
 * @module
 */
import katex from "katex";
import { raw } from "hono/html";

/** Renders LaTeX as KaTeX HTML with MathML (read by screen readers). */
export function Formula({ tex, display = false }: { tex: string; display?: boolean }) {
  const html = katex.renderToString(tex, {
    displayMode: display,
    throwOnError: true,
    output: "htmlAndMathml",
    strict: "ignore",
  });
  return <span class={display ? "math display" : "math"}>{raw(html)}</span>;
}
