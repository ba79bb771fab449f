/**
 * The field each of PyTorch's rejections in the golden file is about, as the HTTP API spells
 * fields, decided from the case's inputs, options and PyTorch's message: the tensor or option
 * that is wrong when the others agree, the element when one element is.  The library replay
 * checks `LossInputError.field` against it, the HTTP replay the problem's `field`.
 *
 * @module
 */
import assert from "node:assert/strict";

/** What this module reads of a golden case (`GoldenCase` of `golden.ts`, which imports this one). */
interface RejectedCase {
  id: string;
  error?: { message: string };
}

/** The field of each rejected case, by case id. */
export const REJECTED_FIELDS: Readonly<Record<string, string>> = {
  // target [4, 5] against input [3, 5]
  "L1Loss/00036": "inputs.target",
  "L1Loss/00037": "inputs.target",
  "MSELoss/00075": "inputs.target",
  "MSELoss/00076": "inputs.target",
  "HuberLoss/00170": "inputs.target",
  "HuberLoss/00171": "inputs.target",
  // "huber_loss does not support non-positive values for delta": delta 0
  "HuberLoss/00173": "options.delta",
  // target [4, 5] against input [3, 5]
  "SmoothL1Loss/00266": "inputs.target",
  "SmoothL1Loss/00267": "inputs.target",
  // "smooth_l1_loss does not support negative values for beta": beta -1
  "SmoothL1Loss/00269": "options.beta",
  // input [0.5, 1.5], [0.5, -0.1]: "all elements of input should be between 0 and 1"
  "BCELoss/00356": "inputs.input[1]",
  "BCELoss/00357": "inputs.input[1]",
  "BCELoss/00358": "inputs.input[1]",
  // target [5] against input [3, 5]: BCELoss wants the same size
  "BCELoss/00359": "inputs.target",
  // target [3, 4] against input [3, 5]
  "BCEWithLogitsLoss/00419": "inputs.target",
  // targets [0, 4, 1] and [0, -1, 1] of 4 classes: "Target 4 (-1) is out of bounds"
  "NLLLoss/00508": "inputs.target[1]",
  "NLLLoss/00509": "inputs.target[1]",
  "NLLLoss/00510": "inputs.target[1]",
  // target batch 2 against input batch 3
  "NLLLoss/00511": "inputs.target",
  // weight [5] for 4 classes
  "NLLLoss/00512": "options.weight",
  "NLLLoss/00513": "options.weight",
  // target [0, 3, 1] of 3 classes
  "CrossEntropyLoss/00689": "inputs.target[1]",
  // label_smoothing 1.5: "must be between 0.0 and 1.0"
  "CrossEntropyLoss/00690": "options.label_smoothing",
  "CrossEntropyLoss/00691": "options.label_smoothing",
  // a [3, 4] target of an input [3, 3]: "multi-target not supported"
  "CrossEntropyLoss/00692": "inputs.target",
  // target batch 2 against input batch 3
  "CrossEntropyLoss/00693": "inputs.target",
  // target [3, 4, 2] against input [3, 4]
  "KLDivLoss/00740": "inputs.target",
  // var [0.5, -0.1, 0.3, 1]: "var has negative entry/entries"
  "GaussianNLLLoss/00842": "inputs.var[1]",
  // var [5, 2] of an input [5, 3]: "var is of incorrect size"
  "GaussianNLLLoss/00843": "inputs.var",
  // input2 [5] against input1 and target [6]
  "MarginRankingLoss/00860": "inputs.input2",
  "MarginRankingLoss/00861": "inputs.input2",
  // target [[0, 7, -1, 0, 0], [1, -1, 0, 0, 0]] of 5 classes: the 7 is out of range
  "MultiLabelMarginLoss/00906": "inputs.target[0][1]",
  "MultiLabelMarginLoss/00907": "inputs.target[0][1]",
  // target [4] against input1 and input2 [5, 3]: 5 rows
  "CosineEmbeddingLoss/00942": "inputs.target",
  // p 3: "only p == 1 and p == 2 supported"
  "MultiMarginLoss/00975": "options.p",
  "MultiMarginLoss/00976": "options.p",
  // target [0, 9, 1] of 4 classes
  "MultiMarginLoss/00977": "inputs.target[1]",
  // negative [5, 3] against anchor and positive [5, 4]
  "TripletMarginLoss/01002": "inputs.negative",
  "TripletMarginLoss/01003": "inputs.negative",
};

/** The field a rejected case must name; fails if `REJECTED_FIELDS` has no entry for it. */
export function rejectedField(golden: RejectedCase): string {
  const field = REJECTED_FIELDS[golden.id];
  assert.ok(field, `${golden.id}: PyTorch rejects it, but REJECTED_FIELDS has no field for it`);
  return field;
}

/** Asserts that `source` (the library, the API) rejected a case naming the right field. */
export function assertRejectedField(golden: RejectedCase, field: unknown, source: string): void {
  const expected = rejectedField(golden);
  assert.equal(
    field,
    expected,
    `${golden.id}: ${source} names ${field}, not ${expected} (PyTorch: ${golden.error!.message})`,
  );
}
