/**
 * The notation of every formula of the registry, written once: loss modules write their
 * formulas in it, and the site prints it beside them.
 *
 * @module
 */

/** One symbol of the notation, in TeX, and what it stands for. */
export interface NotationEntry {
  /** The symbol, in TeX. */
  tex: string;
  /** What it stands for; TeX between `$` signs. */
  meaning: string;
}

/** The symbols every formula uses, in the order the site lists them. */
export const NOTATION: readonly NotationEntry[] = [
  { tex: "x", meaning: "the input: predictions, probabilities, logits or scores" },
  { tex: "y", meaning: "the target" },
  { tex: "x_n,\\ y_n", meaning: "element (or sample) n of the input and of the target" },
  { tex: "x_{n,c}", meaning: "the score of class c in sample n" },
  { tex: "l_n", meaning: "the loss of element (or sample) n, before the reduction" },
  { tex: "\\ell", meaning: "the output: the losses $l_n$ reduced by `reduction`" },
  { tex: "N,\\ C", meaning: "the number of elements (or samples), the number of classes" },
  { tex: "w_n,\\ w_c", meaning: "a weight per element, a weight per class (`weight`)" },
  { tex: "\\sigma(z)", meaning: "the sigmoid, $1 / (1 + e^{-z})$" },
  {
    tex: "\\operatorname{softmax}(x_n)_c",
    meaning: "$e^{x_{n,c}} / \\sum_k e^{x_{n,k}}$: the probability of class c in sample n",
  },
  {
    tex: "\\delta,\\ \\beta,\\ \\varepsilon",
    meaning: "options PyTorch's documentation writes as Greek letters (`delta`, `beta`, `eps`, " +
      "`label_smoothing`); the other options are written by name, as $\\text{margin}$",
  },
];

/**
 * How `reduction` turns the losses l_n into the output ℓ, in TeX: what every formula of the
 * form "l_n = …" is followed by.
 */
export const REDUCTION_TEX: string = String.raw`\ell = \begin{cases}
\frac{1}{N} \sum_n l_n & \text{mean} \\
\sum_n l_n & \text{sum} \\
(l_1, \dots, l_N) & \text{none}
\end{cases}`;
