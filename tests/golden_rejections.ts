/**
 * The field each rejection of the golden files is about (PyTorch's, and those of BEYOND.md for the
 * losses beyond `torch.nn`), as the HTTP API spells fields, decided from the case's inputs,
 * options and the reference's message: the tensor or option
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
  // Beyond torch.nn (beyond-torch-nn.json, the rejections of BEYOND.md).
  // alpha 1.5 and -0.5: "alpha must be in [0, 1] or -1"
  "beyond/SigmoidFocalLoss/034": "options.alpha",
  "beyond/SigmoidFocalLoss/035": "options.alpha",
  // reduction "avg"
  "beyond/SigmoidFocalLoss/036": "options.reduction",
  // target [4] against input [6, 4]: no broadcasting
  "beyond/SigmoidFocalLoss/037": "inputs.target",
  // target [4, 3] against input [3, 4]
  "beyond/LogCoshLoss/026": "inputs.target",
  // reduction "elementwise"
  "beyond/LogCoshLoss/027": "options.reduction",
  // targets [0, 5, 1] and [0, -1, 1] of 5 classes: "Target 5 (-1) is out of bounds"
  "beyond/PolyLoss/034": "inputs.target[1]",
  "beyond/PolyLoss/035": "inputs.target[1]",
  // class-index target [2] against input [3, 5]
  "beyond/PolyLoss/036": "inputs.target",
  // float target [3, 6] against input [3, 5]
  "beyond/PolyLoss/037": "inputs.target",
  // a float target of shape [3], the class indices' shape: it must be an integer tensor
  "beyond/PolyLoss/038": "inputs.target.dtype",
  // 0-d input: no class axis
  "beyond/PolyLoss/039": "inputs.input",
  // reduction "batchmean"
  "beyond/PolyLoss/040": "options.reduction",
  // target [4, 3] against input [3, 4]; [5, 1] against [5]
  "beyond/MeanAbsolutePercentageError/028": "inputs.target",
  "beyond/MeanAbsolutePercentageError/029": "inputs.target",
  // target [12] against input [3, 4]; [3, 2] against [2, 3]
  "beyond/MeanSquaredLogError/025": "inputs.target",
  "beyond/MeanSquaredLogError/026": "inputs.target",
  // quantile 0, 1, 1.5, -0.2: "quantile must be in the open interval (0, 1)"
  "beyond/QuantileLoss/028": "options.quantile",
  "beyond/QuantileLoss/029": "options.quantile",
  "beyond/QuantileLoss/030": "options.quantile",
  "beyond/QuantileLoss/031": "options.quantile",
  // target [3, 1] against input [3, 4]
  "beyond/QuantileLoss/032": "inputs.target",
  // reduction "max"
  "beyond/QuantileLoss/033": "options.reduction",
  // axis 2 of a 2-D input
  "beyond/DiceLoss/030": "options.axis",
  // axis [1, -1] of a 2-D input: its second entry repeats dimension 1
  "beyond/DiceLoss/031": "options.axis[1]",
  // axis [] and 1.5: "axis must be null, an integer or a non-empty list of integers"
  "beyond/DiceLoss/032": "options.axis",
  "beyond/DiceLoss/033": "options.axis",
  // target [4, 3] against input [3, 4]
  "beyond/DiceLoss/034": "inputs.target",
  // reduction "sum_over_batch_size", Keras's own name
  "beyond/DiceLoss/035": "options.reduction",
  // alpha "0.5": a string, not a number
  "beyond/TverskyLoss/026": "options.alpha",
  // axis [3] of a 2-D input: its only entry is out of range
  "beyond/TverskyLoss/027": "options.axis[0]",
  // target [3] against input [3, 4]
  "beyond/TverskyLoss/028": "inputs.target",
  // reduction "batch"
  "beyond/TverskyLoss/029": "options.reduction",
  // target [3, 5] against input [3, 4]; a 0-d input; an input [3, 0]; reduction "avg"
  "beyond/HingeLoss/024": "inputs.target",
  "beyond/HingeLoss/025": "inputs.input",
  "beyond/HingeLoss/026": "inputs.input",
  "beyond/HingeLoss/027": "options.reduction",
  "beyond/SquaredHingeLoss/024": "inputs.target",
  "beyond/SquaredHingeLoss/025": "inputs.input",
  "beyond/SquaredHingeLoss/026": "inputs.input",
  "beyond/SquaredHingeLoss/027": "options.reduction",
  // target [3, 6] against input [3, 5]; a 0-d input; an input [3, 0]; "mean_with_sample_weight"
  "beyond/CategoricalHingeLoss/023": "inputs.target",
  "beyond/CategoricalHingeLoss/024": "inputs.input",
  "beyond/CategoricalHingeLoss/025": "inputs.input",
  "beyond/CategoricalHingeLoss/026": "options.reduction",
  // target [3, 3] against input [3, 4]
  "beyond/CosineSimilarityLoss/021": "inputs.target",
  // axis 2 of a 2-D input; axis [0, 1], a list where one integer goes
  "beyond/CosineSimilarityLoss/022": "options.axis",
  "beyond/CosineSimilarityLoss/023": "options.axis",
  // a 0-d input
  "beyond/CosineSimilarityLoss/024": "inputs.input",
  // labels of dtype "float": "labels must be an integer tensor"
  "beyond/NTXentLoss/021": "inputs.labels.dtype",
  // labels [3] against embeddings [4, 4]
  "beyond/NTXentLoss/022": "inputs.labels",
  // embeddings [4] and [2, 2, 4]: "embeddings must be 2-D"
  "beyond/NTXentLoss/023": "inputs.embeddings",
  "beyond/NTXentLoss/024": "inputs.embeddings",
  // labels [2, 2]: "labels must be 1-D"
  "beyond/NTXentLoss/025": "inputs.labels",
  // temperature 0 and -0.1: "temperature must be positive"
  "beyond/NTXentLoss/026": "options.temperature",
  "beyond/NTXentLoss/027": "options.temperature",
  // embeddings [0, 4]: "embeddings must hold at least one row"
  "beyond/NTXentLoss/028": "inputs.embeddings",
};

/** The field a rejected case must name; fails if `REJECTED_FIELDS` has no entry for it. */
export function rejectedField(golden: RejectedCase): string {
  const field = REJECTED_FIELDS[golden.id];
  assert.ok(
    field,
    `${golden.id}: the reference rejects it, but REJECTED_FIELDS has no field for it`,
  );
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
