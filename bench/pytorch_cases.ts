/**
 * The inputs of the comparison with PyTorch (`bench/pytorch_bench.ts`): every registered loss
 * at 1M elements, drawn as `bench/torch_losses.py` draws them for PyTorch, in either dtype.
 *
 * @module
 */
import {
  createRandom,
  type DType,
  indexNdArrayOf,
  type NdArray,
  ndarrayOf,
  type NumericArray,
} from "../lib/mod.ts";

export const ROWS = 1000;
export const COLUMNS = 1000;
export const ELEMENTS = ROWS * COLUMNS;
/** CTCLoss: T frames × N sequences × C classes = 1M log-probabilities, targets of S labels. */
export const CTC = { T: 100, N: 10, C: 1000, S: 30 };
/** MultiLabelMarginLoss: this many target classes per row, then −1. */
export const MULTILABEL_TARGETS = 5;

/** One loss's inputs, as `computeLoss` takes them. */
export type BenchInputs = Record<string, NdArray<NumericArray>>;

/** Each loss's inputs in `dtype`, by class name, drawn from `seed`. */
export function benchInputs(dtype: DType, seed = 2025): Record<string, BenchInputs> {
  const random = createRandom(seed);
  const square = [ROWS, COLUMNS];
  const float = (values: ArrayLike<number>, shape: number[]) => ndarrayOf(values, shape, dtype);
  const randn = (shape = square) => float(normal(random, shape), shape);
  const rand = (shape = square) => float(uniform(random, shape), shape);
  const signs = (shape: number[]) => float(bits(random, shape).map((b) => 2 * b - 1), shape);
  const classes = indexNdArrayOf(random.randint(0, COLUMNS, [ROWS]).data, [ROWS]);
  const pair = () => ({ input: randn(), target: randn() });
  const triplet = () => ({ anchor: randn(), positive: randn(), negative: randn() });
  const labels = new Int32Array(ELEMENTS).fill(-1);
  for (let row = 0; row < ROWS; row++) {
    const chosen = new Set<number>();
    while (chosen.size < MULTILABEL_TARGETS) chosen.add(random.int(0, COLUMNS));
    [...chosen].forEach((c, k) => labels[row * COLUMNS + k] = c);
  }
  const ctcShape = [CTC.T, CTC.N, CTC.C];
  return {
    L1Loss: pair(),
    MSELoss: pair(),
    HuberLoss: pair(),
    SmoothL1Loss: pair(),
    BCELoss: {
      input: float(normal(random, square).map((v) => 1 / (1 + Math.exp(-v))), square),
      target: rand(),
    },
    BCEWithLogitsLoss: { input: randn(), target: rand() },
    SoftMarginLoss: { input: randn(), target: signs(square) },
    CrossEntropyLoss: { input: randn(), target: classes },
    NLLLoss: { input: float(logSoftmax(normal(random, square), COLUMNS), square), target: classes },
    MultiMarginLoss: { input: randn(), target: classes },
    MultiLabelMarginLoss: { input: randn(), target: indexNdArrayOf(labels, square) },
    MultiLabelSoftMarginLoss: { input: randn(), target: float(bits(random, square), square) },
    CosineEmbeddingLoss: { input1: randn(), input2: randn(), target: signs([ROWS]) },
    HingeEmbeddingLoss: { input: randn([ELEMENTS]), target: signs([ELEMENTS]) },
    MarginRankingLoss: {
      input1: randn([ELEMENTS]),
      input2: randn([ELEMENTS]),
      target: signs([ELEMENTS]),
    },
    TripletMarginLoss: triplet(),
    TripletMarginWithDistanceLoss: triplet(),
    GaussianNLLLoss: {
      input: randn(),
      target: randn(),
      var: float(uniform(random, square).map((v) => v + 0.1), square),
    },
    KLDivLoss: {
      input: float(logSoftmax(normal(random, square), COLUMNS), square),
      target: float(logSoftmax(normal(random, square), COLUMNS).map(Math.exp), square),
    },
    PoissonNLLLoss: {
      input: randn(),
      target: float(random.randint(0, 6, square).data, square),
    },
    CTCLoss: {
      log_probs: float(logSoftmax(normal(random, ctcShape), CTC.C), ctcShape),
      targets: indexNdArrayOf(random.randint(1, CTC.C, [CTC.N, CTC.S]).data, [CTC.N, CTC.S]),
      input_lengths: indexNdArrayOf(new Array(CTC.N).fill(CTC.T), [CTC.N]),
      target_lengths: indexNdArrayOf(new Array(CTC.N).fill(CTC.S), [CTC.N]),
    },
  };
}

function normal(random: ReturnType<typeof createRandom>, shape: number[]): Float64Array {
  return Float64Array.from(random.randn(shape).data);
}

function uniform(random: ReturnType<typeof createRandom>, shape: number[]): Float64Array {
  return Float64Array.from(random.rand(shape).data);
}

function bits(random: ReturnType<typeof createRandom>, shape: number[]): Float64Array {
  return Float64Array.from(random.randint(0, 2, shape).data);
}

/** log_softmax along rows of `columns` values, in float64. */
function logSoftmax(values: Float64Array, columns: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let start = 0; start < values.length; start += columns) {
    let max = -Infinity;
    for (let i = start; i < start + columns; i++) max = Math.max(max, values[i]);
    let sum = 0;
    for (let i = start; i < start + columns; i++) sum += Math.exp(values[i] - max);
    const shift = max + Math.log(sum);
    for (let i = start; i < start + columns; i++) out[i] = values[i] - shift;
  }
  return out;
}
