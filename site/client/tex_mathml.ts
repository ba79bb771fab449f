/**
 * TeX to MathML, for the TeX the API sends with its numbers (the worked steps of a loss, TeX in
 * advice): the subset loss modules write — letters, numbers, `_` and `^`, `\frac`, `\sqrt`,
 * `\sum` and `\prod` with limits, `\log`-like operator names, `\operatorname`, `\text`,
 * `\left`/`\right`, Greek letters, spacing and `cases`.  Browsers typeset MathML themselves, so
 * the page needs no TeX engine in its script (the formulas fixed at build time are KaTeX's).
 *
 * Anything outside the subset is kept as text and reported in `unknown`, which the tests check
 * stays empty for every loss.
 *
 * @module
 */

/** The MathML of a TeX string, and the commands it did not know. */
export interface MathMl {
  /** A `<math>` element, as markup. */
  markup: string;
  /** The commands (`\foo`) that are not in the subset, kept as text. */
  unknown: string[];
}

const GREEK: Record<string, string> = {
  alpha: "α",
  beta: "β",
  gamma: "γ",
  delta: "δ",
  epsilon: "ϵ",
  varepsilon: "ε",
  zeta: "ζ",
  eta: "η",
  theta: "θ",
  vartheta: "ϑ",
  iota: "ι",
  kappa: "κ",
  lambda: "λ",
  mu: "μ",
  nu: "ν",
  xi: "ξ",
  pi: "π",
  rho: "ρ",
  sigma: "σ",
  tau: "τ",
  upsilon: "υ",
  phi: "ϕ",
  varphi: "φ",
  chi: "χ",
  psi: "ψ",
  omega: "ω",
  Gamma: "Γ",
  Delta: "Δ",
  Theta: "Θ",
  Lambda: "Λ",
  Xi: "Ξ",
  Pi: "Π",
  Sigma: "Σ",
  Phi: "Φ",
  Psi: "Ψ",
  Omega: "Ω",
  ell: "ℓ",
  partial: "∂",
  nabla: "∇",
  infty: "∞",
  emptyset: "∅",
};

const OPERATORS: Record<string, string> = {
  cdot: "⋅",
  times: "×",
  div: "÷",
  pm: "±",
  mp: "∓",
  le: "≤",
  leq: "≤",
  ge: "≥",
  geq: "≥",
  ne: "≠",
  neq: "≠",
  lt: "<",
  gt: ">",
  ll: "≪",
  gg: "≫",
  approx: "≈",
  equiv: "≡",
  sim: "∼",
  propto: "∝",
  to: "→",
  rightarrow: "→",
  leftarrow: "←",
  Rightarrow: "⇒",
  mapsto: "↦",
  in: "∈",
  notin: "∉",
  subset: "⊂",
  cup: "∪",
  cap: "∩",
  setminus: "∖",
  circ: "∘",
  odot: "⊙",
  mid: "∣",
  vert: "|",
  Vert: "‖",
  lvert: "|",
  rvert: "|",
  lVert: "‖",
  rVert: "‖",
  langle: "⟨",
  rangle: "⟩",
  lfloor: "⌊",
  rfloor: "⌋",
  lceil: "⌈",
  rceil: "⌉",
  dots: "…",
  ldots: "…",
  cdots: "⋯",
  top: "⊤",
  forall: "∀",
  exists: "∃",
  colon: ":",
};

const BIG_OPERATORS: Record<string, string> = { sum: "∑", prod: "∏", int: "∫" };

const FUNCTIONS = new Set([
  "log",
  "ln",
  "exp",
  "max",
  "min",
  "sin",
  "cos",
  "tan",
  "tanh",
  "sinh",
  "cosh",
  "det",
  "arg",
  "lim",
  "sup",
  "inf",
  "sgn",
]);

/** Operator names whose subscript is a limit (`\max_c`): no function application after them. */
const LIMIT_FUNCTIONS = new Set(["max", "min", "lim", "sup", "inf"]);

const SPACES: Record<string, string> = {
  ",": "0.1667em",
  ":": "0.2222em",
  ">": "0.2222em",
  ";": "0.2778em",
  " ": "0.25em",
  quad: "1em",
  qquad: "2em",
  "!": "-0.1667em",
};

const ACCENTS: Record<string, string> = {
  bar: "¯",
  overline: "¯",
  hat: "^",
  widehat: "^",
  tilde: "~",
  widetilde: "~",
  vec: "→",
  dot: "˙",
};

/** Commands that change the size of a delimiter, which the browser sizes itself. */
const SIZES = new Set(["big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"]);

/** Commands with no effect on MathML's rendering here. */
const IGNORED = new Set(["displaystyle", "textstyle", "limits", "nolimits", "middle"]);

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESCAPES[c]);
}

const mo = (text: string, attributes = "") => `<mo${attributes}>${escape(text)}</mo>`;
const mi = (text: string, attributes = "") => `<mi${attributes}>${escape(text)}</mi>`;
const mtext = (text: string) => `<mtext>${escape(text)}</mtext>`;

/**
 * A variable: italic, drawn from an italic font (KaTeX's, on the site) rather than from the
 * mathematical italic letters, which few text fonts have.
 */
const variable = (letter: string) => `<mi mathvariant="normal" class="v">${escape(letter)}</mi>`;

/** Whether a minus after `previous` (the row's last item) is a sign rather than a subtraction. */
function unary(previous: string | undefined): boolean {
  if (previous === undefined || previous.startsWith("<mspace")) return true;
  return previous.startsWith("<mo") && !/>[)\]|‖}⟩]<\/mo>$/.test(previous);
}

/** A parser over one TeX string: each `parse…` consumes from `position`. */
class Parser {
  position = 0;
  readonly unknown: string[] = [];
  /** Set by an operator name (`\log`, `\max`, `\operatorname`): a thin space follows it. */
  function = false;
  constructor(readonly tex: string) {}

  peek(): string {
    return this.tex[this.position] ?? "";
  }

  skipSpace(): void {
    while (/\s/.test(this.peek())) this.position++;
  }

  /** A command's name after its backslash: letters, or one other character. */
  commandName(): string {
    const letters = /^[A-Za-z]+/.exec(this.tex.slice(this.position));
    const name = letters ? letters[0] : this.tex[this.position] ?? "";
    this.position += name.length;
    return name;
  }

  /** The raw text of a `{…}` group (for `\text`), or of one character. */
  rawGroup(): string {
    this.skipSpace();
    if (this.peek() !== "{") return this.tex[this.position++] ?? "";
    let depth = 0;
    const start = this.position + 1;
    for (; this.position < this.tex.length; this.position++) {
      const c = this.tex[this.position];
      if (c === "\\") this.position++;
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) break;
    }
    return this.tex.slice(start, this.position++);
  }

  /** A sequence of items up to `}`, `&`, `\\`, `\end` or the end, as an `<mrow>`. */
  parseRow(): string {
    const items: string[] = [];
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      if (c === "" || c === "}" || c === "&") break;
      const rest = this.tex.slice(this.position);
      if (/^\\(?:\\|end\b|cr\b)/.test(rest)) break;
      if (c === "-" && unary(items.at(-1))) {
        const number = /^-\s*(\d+(?:\.\d+)?|\.\d+)/.exec(rest);
        if (number) {
          this.position += number[0].length;
          items.push(`<mn>−${number[1]}</mn>`);
        } else {
          this.position++;
          items.push(`<mo form="prefix" lspace="0" rspace="0">−</mo>`);
        }
        continue;
      }
      items.push(this.parseScripted());
    }
    return items.length === 1 ? items[0] : `<mrow>${items.join("")}</mrow>`;
  }

  /** One argument: a `{…}` group or a single item. */
  parseArgument(): string {
    this.skipSpace();
    if (this.peek() === "{") {
      this.position++;
      const row = this.parseRow();
      if (this.peek() === "}") this.position++;
      return row;
    }
    return this.parseAtom();
  }

  /** An atom with any `_` and `^` (and primes) after it. */
  parseScripted(): string {
    this.function = false;
    const base = this.parseAtom();
    const applied = this.function;
    let sub: string | null = null;
    let sup: string | null = null;
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      if (c === "_" && sub === null) {
        this.position++;
        sub = this.parseArgument();
      } else if (c === "^" && sup === null) {
        this.position++;
        sup = this.parseArgument();
      } else if (c === "'") {
        this.position++;
        sup = (sup ?? "") + mo("′");
      } else break;
    }
    let scripted = base;
    if (sub !== null && sup !== null) scripted = `<msubsup>${base}${sub}${sup}</msubsup>`;
    else if (sub !== null) scripted = `<msub>${base}${sub}</msub>`;
    else if (sup !== null) scripted = `<msup>${base}${sup}</msup>`;
    if (applied && !/^\s*(?:\(|\\left\b|$)/.test(this.tex.slice(this.position))) {
      scripted += `<mspace width="0.1667em"></mspace>`;
    }
    return scripted;
  }

  /** A number, a letter, a symbol, a group or a command. */
  parseAtom(): string {
    this.skipSpace();
    const rest = this.tex.slice(this.position);
    const number = /^\d+(?:\.\d+)?|^\.\d+/.exec(rest);
    if (number) {
      this.position += number[0].length;
      return `<mn>${number[0]}</mn>`;
    }
    const c = this.tex[this.position++];
    if (c === "{") {
      const row = this.parseRow();
      if (this.peek() === "}") this.position++;
      return `<mrow>${row}</mrow>`;
    }
    if (c === "\\") return this.parseCommand();
    if (/[A-Za-z]/.test(c)) return variable(c);
    if (c === "-") return mo("−");
    if (c === "*") return mo("∗");
    if (c === "~") return `<mspace width="0.25em"></mspace>`;
    if ("([{".includes(c) || ")]}".includes(c) || c === "|") {
      return mo(c, ` stretchy="false"`);
    }
    if ("+=<>,;:!/.?".includes(c)) return mo(c);
    if (c === "}" || c === "&") return "";
    return /\p{L}/u.test(c) ? mi(c) : mo(c);
  }

  parseCommand(): string {
    const name = this.commandName();
    if (name in SPACES) return `<mspace width="${SPACES[name]}"></mspace>`;
    if (name in GREEK) {
      return /[a-z]/.test(name[0]) && name !== "infty" && name !== "partial" && name !== "nabla"
        ? variable(GREEK[name])
        : mi(GREEK[name], ` mathvariant="normal"`);
    }
    if (name in OPERATORS) return mo(OPERATORS[name]);
    if (name in BIG_OPERATORS) return mo(BIG_OPERATORS[name], ` largeop="true"`);
    if (FUNCTIONS.has(name)) {
      this.function = true;
      return LIMIT_FUNCTIONS.has(name) ? mi(name) : `<mrow>${mi(name)}<mo>&#x2061;</mo></mrow>`;
    }
    if (IGNORED.has(name)) return "";
    if (SIZES.has(name)) return this.parseAtom();
    if ("{}_%&#$|".includes(name)) return name === "|" ? mo("‖") : mo(name);
    switch (name) {
      case "frac":
      case "dfrac":
      case "tfrac": {
        const numerator = this.parseArgument();
        const denominator = this.parseArgument();
        return `<mfrac>${numerator}${denominator}</mfrac>`;
      }
      case "binom": {
        const top = this.parseArgument();
        const bottom = this.parseArgument();
        return `<mrow>${mo("(")}<mfrac linethickness="0">${top}${bottom}</mfrac>${mo(")")}</mrow>`;
      }
      case "sqrt": {
        this.skipSpace();
        if (this.peek() === "[") {
          this.position++;
          const end = this.tex.indexOf("]", this.position);
          const index = new Parser(this.tex.slice(this.position, end)).parseRow();
          this.position = end + 1;
          return `<mroot>${this.parseArgument()}${index}</mroot>`;
        }
        return `<msqrt>${this.parseArgument()}</msqrt>`;
      }
      case "text":
      case "textrm":
      case "textit":
      case "mbox":
        return mtext(this.rawGroup().replace(/\\([_%&#$])/g, "$1"));
      case "operatorname":
      case "mathrm": {
        const text = this.rawGroup().replace(/\\_/g, "_").replace(/\\,/g, " ");
        this.function = name === "operatorname";
        return name === "operatorname"
          ? `<mrow>${mi(text, ` mathvariant="normal"`)}<mo>&#x2061;</mo></mrow>`
          : mi(text, ` mathvariant="normal"`);
      }
      case "mathbf":
      case "bf":
      case "boldsymbol":
        return `<mrow>${this.styled(this.parseArgument(), "bold")}</mrow>`;
      case "mathbb": {
        const text = this.rawGroup();
        return mi(text === "1" ? "𝟙" : text, ` mathvariant="double-struck"`);
      }
      case "mathcal":
        return mi(this.rawGroup(), ` mathvariant="script"`);
      case "left":
      case "right": {
        this.skipSpace();
        let delimiter = this.tex[this.position++] ?? "";
        if (delimiter === "\\") {
          const command = this.commandName();
          delimiter = command in OPERATORS ? OPERATORS[command] : command === "|" ? "‖" : command;
        }
        return delimiter === "." ? "" : mo(delimiter, ` stretchy="true"`);
      }
      case "not": {
        this.skipSpace();
        if (this.peek() === "=") {
          this.position++;
          return mo("≠");
        }
        return mo("̸");
      }
      case "begin":
        return this.parseEnvironment(this.rawGroup());
    }
    if (name in ACCENTS) {
      return `<mover accent="true">${this.parseArgument()}${mo(ACCENTS[name])}</mover>`;
    }
    this.unknown.push(`\\${name}`);
    return mtext(`\\${name}`);
  }

  styled(markup: string, variant: string): string {
    return markup.replace(/<mi>/g, `<mi mathvariant="${variant}">`);
  }

  /** `cases`, `aligned`, `array`, `matrix`…: rows split by `\\`, cells by `&`. */
  parseEnvironment(environment: string): string {
    if (environment === "array") this.rawGroup(); // the column spec
    const rows: string[][] = [[]];
    for (;;) {
      rows.at(-1)!.push(this.parseRow());
      const rest = this.tex.slice(this.position);
      if (rest.startsWith("&")) {
        this.position++;
      } else if (/^\\(?:\\|cr\b)/.test(rest)) {
        this.position += rest.startsWith("\\\\") ? 2 : 3;
        rows.push([]);
      } else if (rest.startsWith("\\end")) {
        this.position += 4;
        this.rawGroup();
        break;
      } else if (rest.startsWith("}")) {
        this.position++;
      } else {
        break;
      }
    }
    const kept = rows.filter((row) => row.some((cell) => cell !== "<mrow></mrow>"));
    const table = `<mtable columnalign="left">${
      kept.map((row) => `<mtr>${row.map((cell) => `<mtd>${cell}</mtd>`).join("")}</mtr>`).join("")
    }</mtable>`;
    const fences: Record<string, [string, string]> = {
      cases: ["{", ""],
      pmatrix: ["(", ")"],
      bmatrix: ["[", "]"],
      vmatrix: ["|", "|"],
    };
    const [open, close] = fences[environment] ?? ["", ""];
    if (!open && !close) return table;
    return `<mrow>${open ? mo(open, ` stretchy="true"`) : ""}${table}${
      close ? mo(close, ` stretchy="true"`) : ""
    }</mrow>`;
  }
}

/**
 * The MathML of `tex`, with the TeX itself as an annotation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { texToMathMl } from "./tex_mathml.ts";
 * const { markup, unknown } = texToMathMl(String.raw`\frac{1}{2} x_n^2`);
 * assert.match(markup, /<mfrac><mn>1<\/mn><mn>2<\/mn><\/mfrac>/);
 * assert.match(markup, /<msubsup><mi[^>]*>x<\/mi><mi[^>]*>n<\/mi><mn>2<\/mn><\/msubsup>/);
 * assert.deepEqual(unknown, []);
 * ```
 */
export function texToMathMl(tex: string, display = false): MathMl {
  const parser = new Parser(tex);
  let row = parser.parseRow();
  // A stray closing brace or \right ends a row early: keep what follows.
  while (parser.position < tex.length) {
    parser.position++;
    row += parser.parseRow();
  }
  const markup = `<math${display ? ` display="block"` : ""} displaystyle="true">` +
    `<semantics><mrow>${row}</mrow>` +
    `<annotation encoding="application/x-tex">${escape(tex)}</annotation></semantics></math>`;
  return { markup, unknown: parser.unknown };
}
