/// <reference lib="dom" />
/**
 * Text from the API as the page shows it: `code` in backticks as code, TeX between `$` signs
 * and worked steps as MathML (see `tex_mathml.ts`), never as raw markdown.
 *
 * @module
 */
import { texToMathMl } from "./tex_mathml.ts";

/** A `<span>` holding the MathML of `tex`. */
export function mathNode(tex: string, display = false): HTMLElement {
  const span = document.createElement("span");
  span.className = display ? "mathml display" : "mathml";
  span.innerHTML = texToMathMl(tex, display).markup;
  return span;
}

/** The nodes of `text`, with `code` and `$TeX$` rendered. */
export function richNodes(text: string): Node[] {
  const nodes: Node[] = [];
  const pattern = /`([^`]+)`|\$([^$]+)\$/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    if (match[1] !== undefined) {
      const code = document.createElement("code");
      code.textContent = match[1];
      nodes.push(code);
    } else {
      nodes.push(mathNode(match[2]));
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}
