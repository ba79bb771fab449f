/**
 * The library against a plain typed-array loop (our practical limit) and TensorFlow.js's CPU
 * backend, at 1M float32 elements: L1, MSE, Huber, BCE-with-logits and cross-entropy (1000
 * rows of 1000 classes, class-index targets), and the pointwise losses beyond `torch.nn`
 * (sigmoid focal, log-cosh, quantile, MAPE, mean squared log error; TF.js composed from its
 * ops, as it has none of them), forward and forward with gradients.  Each group's baseline is
 * the library, so `deno bench` prints the ratios side by side; at 1M elements, 1 ms per
 * iteration is 1 ns per element.
 *
 * Before benchmarking, each loss's library output and gradients are checked against the plain
 * loop, so that both do the same math (a loss missing from the registry fails there).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-core registers no gradients; the union package registers them into the same core.
import "@tensorflow/tfjs";
import { computeLoss, createRandom, indexNdArrayOf, type NdArray, ndarrayOf } from "../lib/mod.ts";

await tf.setBackend("cpu");
assert.equal(tf.getBackend(), "cpu");

const ROWS = 1000;
const CLASSES = 1000;
const ELEMENTS = ROWS * CLASSES;
const HUBER_DELTA = 1;

/** What the plain loop returns: the mean loss and the gradients the library returns. */
interface ReferenceResult {
  loss: number;
  grads: Record<string, Float32Array>;
}

const NO_GRADS: Record<string, Float32Array> = {};

/** One benchmarked loss: its inputs in each form and its three implementations. */
interface LossBench {
  name: string;
  /** The inputs as the library takes them, built once. */
  inputs: Record<string, NdArray>;
  /** The options, when not the defaults (`reduction: "mean"` for the focal loss). */
  options?: Record<string, unknown>;
  /** The plain loop: forward only, or with gradients. */
  reference(grad: boolean): ReferenceResult;
  /**
   * The plain loop without data-dependent branches, where the loss selects per element (a
   * sign, a clamp): random signs make such branches mispredict about half the time.
   */
  branchFree?: (grad: boolean) => ReferenceResult;
  /** TensorFlow.js: the loss of tensors, and which of them to differentiate. */
  tfLoss(tensors: tf.Tensor[]): tf.Scalar;
  tfInputs: tf.Tensor[];
  tfDifferentiable: number[];
}

const random = createRandom(2025);
const normal = (n: number) => Float32Array.from(random.randn([n]).data);
const uniform = (n: number) => Float32Array.from(random.rand([n]).data);

const x = normal(ELEMENTS);
const y = normal(ELEMENTS);
const probabilities = uniform(ELEMENTS);
const classes = Int32Array.from(random.randint(0, CLASSES, [ROWS]).data);
const oneHot = new Float32Array(ELEMENTS);
classes.forEach((c, row) => oneHot[row * CLASSES + c] = 1);

const vector = (data: Float32Array) => ndarrayOf(data, [ELEMENTS], "float32");
const tfVector = (data: Float32Array) => tf.tensor1d(data, "float32");

/** A loss of an input and a target of 1M elements, differentiable in both. */
function pointwise(
  name: string,
  reference: (grad: boolean) => ReferenceResult,
  tfLoss: (tensors: tf.Tensor[]) => tf.Scalar,
): LossBench {
  return {
    name,
    inputs: { input: vector(x), target: vector(y) },
    reference,
    tfLoss,
    tfInputs: [tfVector(x), tfVector(y)],
    tfDifferentiable: [0, 1],
  };
}

// The plain loops are written out one per loss, each fusing the loss and its gradients in one
// pass: a shared loop calling a per-loss function would not be inlined, and would be slower.

const l1 = pointwise("L1Loss", (grad) => {
  const n = x.length;
  let total = 0;
  if (!grad) {
    for (let i = 0; i < n; i++) total += Math.abs(x[i] - y[i]);
    return { loss: total / n, grads: NO_GRADS };
  }
  const input = new Float32Array(n), target = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = x[i] - y[i];
    total += Math.abs(d);
    const slope = d > 0 ? 1 / n : d < 0 ? -1 / n : 0;
    input[i] = slope;
    target[i] = -slope;
  }
  return { loss: total / n, grads: { input, target } };
}, ([input, target]) => tf.losses.absoluteDifference(target, input));

const mse = pointwise("MSELoss", (grad) => {
  const n = x.length;
  let total = 0;
  if (!grad) {
    for (let i = 0; i < n; i++) {
      const d = x[i] - y[i];
      total += d * d;
    }
    return { loss: total / n, grads: NO_GRADS };
  }
  const input = new Float32Array(n), target = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = x[i] - y[i];
    total += d * d;
    const slope = 2 * d / n;
    input[i] = slope;
    target[i] = -slope;
  }
  return { loss: total / n, grads: { input, target } };
}, ([input, target]) => tf.losses.meanSquaredError(target, input));

const huber = pointwise("HuberLoss", (grad) => {
  const n = x.length;
  let total = 0;
  if (!grad) {
    for (let i = 0; i < n; i++) {
      const d = x[i] - y[i], a = Math.abs(d);
      total += a < HUBER_DELTA ? 0.5 * d * d : HUBER_DELTA * (a - 0.5 * HUBER_DELTA);
    }
    return { loss: total / n, grads: NO_GRADS };
  }
  const input = new Float32Array(n), target = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = x[i] - y[i], a = Math.abs(d);
    total += a < HUBER_DELTA ? 0.5 * d * d : HUBER_DELTA * (a - 0.5 * HUBER_DELTA);
    const slope = (a < HUBER_DELTA ? d : d > 0 ? HUBER_DELTA : -HUBER_DELTA) / n;
    input[i] = slope;
    target[i] = -slope;
  }
  return { loss: total / n, grads: { input, target } };
}, ([input, target]) => tf.losses.huberLoss(target, input, undefined, HUBER_DELTA));

// Comparisons used as numbers give sign(d) exactly (0 at ±0 and NaN), and min(q, δ) is
// (q + δ − |q − δ|) / 2 (up to rounding): both compile to arithmetic without branches.

l1.branchFree = (grad) => {
  const n = x.length;
  let total = 0;
  if (!grad) return l1.reference(false); // Its forward has no branch to remove.
  const input = new Float32Array(n), target = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = x[i] - y[i], a = Math.abs(d);
    total += a;
    const slope = (+(d > 0) - +(d < 0)) / n;
    input[i] = slope;
    target[i] = -slope;
  }
  return { loss: total / n, grads: { input, target } };
};

huber.branchFree = (grad) => {
  const n = x.length;
  let total = 0;
  const input = grad ? new Float32Array(n) : null, target = grad ? new Float32Array(n) : null;
  for (let i = 0; i < n; i++) {
    const d = x[i] - y[i], a = Math.abs(d);
    const small = 0.5 * (a + HUBER_DELTA - Math.abs(a - HUBER_DELTA));
    total += small * (a - 0.5 * small);
    if (input && target) {
      const slope = 0.5 * (Math.abs(d + HUBER_DELTA) - Math.abs(d - HUBER_DELTA)) / n;
      input[i] = slope;
      target[i] = -slope;
    }
  }
  return { loss: total / n, grads: input && target ? { input, target } : NO_GRADS };
};

const bceWithLogits: LossBench = {
  name: "BCEWithLogitsLoss",
  inputs: { input: vector(x), target: vector(probabilities) },
  reference(grad) {
    const n = x.length;
    let total = 0;
    if (!grad) {
      for (let i = 0; i < n; i++) {
        const v = x[i];
        total += Math.max(v, 0) - v * probabilities[i] + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return { loss: total / n, grads: NO_GRADS };
    }
    const input = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = x[i], t = probabilities[i];
      const e = Math.exp(-Math.abs(v));
      total += Math.max(v, 0) - v * t + Math.log1p(e);
      const sigmoid = v >= 0 ? 1 / (1 + e) : e / (1 + e);
      input[i] = (sigmoid - t) / n;
    }
    return { loss: total / n, grads: { input } };
  },
  tfLoss: ([input, target]) => tf.losses.sigmoidCrossEntropy(target, input),
  tfInputs: [tfVector(x), tfVector(probabilities)],
  tfDifferentiable: [0],
};

const crossEntropy: LossBench = {
  name: "CrossEntropyLoss",
  inputs: {
    input: ndarrayOf(x, [ROWS, CLASSES], "float32"),
    target: indexNdArrayOf(classes, [ROWS]),
  },
  reference(grad) {
    let total = 0;
    const input = grad ? new Float32Array(ELEMENTS) : null;
    for (let row = 0; row < ROWS; row++) {
      const start = row * CLASSES, end = start + CLASSES;
      let max = -Infinity;
      for (let i = start; i < end; i++) max = Math.max(max, x[i]);
      let sum = 0;
      for (let i = start; i < end; i++) sum += Math.exp(x[i] - max);
      const logSum = max + Math.log(sum);
      total += logSum - x[start + classes[row]];
      if (input) {
        for (let i = start; i < end; i++) input[i] = Math.exp(x[i] - logSum) / ROWS;
        input[start + classes[row]] -= 1 / ROWS;
      }
    }
    return { loss: total / ROWS, grads: input ? { input } : NO_GRADS };
  },
  tfLoss: ([logits, labels]) => tf.losses.softmaxCrossEntropy(labels, logits),
  tfInputs: [tf.tensor2d(x, [ROWS, CLASSES]), tf.tensor2d(oneHot, [ROWS, CLASSES])],
  tfDifferentiable: [0],
};

// The pointwise losses beyond torch.nn, at their default options (the focal loss with
// `reduction: "mean"`, as every other row; its default is torchvision's `none`).

const FOCAL_ALPHA = 0.25;
const QUANTILE = 0.9;
const MAPE_EPSILON = 1.17e-6;
const labels = Float32Array.from(random.randint(0, 2, [ELEMENTS]).data);
const positive = uniform(ELEMENTS); // MSLE's prediction, in [0, 1)

const sigmoidFocal: LossBench = {
  name: "SigmoidFocalLoss",
  inputs: { input: vector(x), target: vector(labels) },
  options: { reduction: "mean" },
  reference(grad) {
    const n = x.length;
    let total = 0;
    const input = grad ? new Float32Array(n) : null;
    for (let i = 0; i < n; i++) {
      const v = x[i], t = labels[i];
      const e = Math.exp(-Math.abs(v));
      const p = v >= 0 ? 1 / (1 + e) : e / (1 + e);
      const ce = Math.max(v, 0) - v * t + Math.log1p(e);
      const q = 1 - (p * t + (1 - p) * (1 - t));
      const w = FOCAL_ALPHA * t + (1 - FOCAL_ALPHA) * (1 - t);
      total += w * ce * q * q;
      if (input) input[i] = w * ((p - t) * q * q - ce * 2 * q * p * (1 - p) * (2 * t - 1)) / n;
    }
    return { loss: total / n, grads: input ? { input } : NO_GRADS };
  },
  tfLoss: ([logits, targets]) => {
    const p = tf.sigmoid(logits);
    const ce = tf.sub(
      tf.add(tf.relu(logits), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
      tf.mul(logits, targets),
    );
    const notTargets = tf.sub(1, targets);
    const q = tf.sub(1, tf.add(tf.mul(p, targets), tf.mul(tf.sub(1, p), notTargets)));
    const w = tf.add(tf.mul(FOCAL_ALPHA, targets), tf.mul(1 - FOCAL_ALPHA, notTargets));
    return tf.mean(tf.mul(w, tf.mul(ce, tf.square(q))));
  },
  tfInputs: [tfVector(x), tfVector(labels)],
  tfDifferentiable: [0],
};

const logCosh = pointwise("LogCoshLoss", (grad) => {
  const n = x.length;
  let total = 0;
  const input = grad ? new Float32Array(n) : null, target = grad ? new Float32Array(n) : null;
  for (let i = 0; i < n; i++) {
    const d = x[i] - y[i], a = Math.abs(d);
    total += a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
    if (input && target) {
      const slope = Math.tanh(d) / n;
      input[i] = slope;
      target[i] = -slope;
    }
  }
  return { loss: total / n, grads: input && target ? { input, target } : NO_GRADS };
}, ([input, target]) => {
  const a = tf.abs(tf.sub(input, target));
  return tf.mean(tf.sub(tf.add(a, tf.log1p(tf.exp(tf.mul(-2, a)))), Math.LN2));
});

const quantile = pointwise("QuantileLoss", (grad) => {
  const n = x.length;
  let total = 0;
  const input = grad ? new Float32Array(n) : null, target = grad ? new Float32Array(n) : null;
  for (let i = 0; i < n; i++) {
    const d = y[i] - x[i];
    total += d >= 0 ? QUANTILE * d : (QUANTILE - 1) * d;
    if (input && target) {
      const slope = (d >= 0 ? -QUANTILE : 1 - QUANTILE) / n;
      input[i] = slope;
      target[i] = -slope;
    }
  }
  return { loss: total / n, grads: input && target ? { input, target } : NO_GRADS };
}, ([input, target]) => {
  const d = tf.sub(target, input);
  return tf.mean(tf.maximum(tf.mul(QUANTILE, d), tf.mul(QUANTILE - 1, d)));
});
quantile.options = { quantile: QUANTILE };

const mape: LossBench = {
  name: "MeanAbsolutePercentageError",
  inputs: { input: vector(x), target: vector(y) },
  reference(grad) {
    const n = x.length;
    let total = 0;
    const input = grad ? new Float32Array(n) : null;
    for (let i = 0; i < n; i++) {
      const d = x[i] - y[i], scale = Math.max(Math.abs(y[i]), MAPE_EPSILON);
      total += Math.abs(d) / scale;
      if (input) input[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) / scale / n;
    }
    return { loss: total / n, grads: input ? { input } : NO_GRADS };
  },
  tfLoss: ([input, target]) =>
    tf.mean(tf.div(tf.abs(tf.sub(input, target)), tf.maximum(tf.abs(target), MAPE_EPSILON))),
  tfInputs: [tfVector(x), tfVector(y)],
  tfDifferentiable: [0],
};

const msle: LossBench = {
  name: "MeanSquaredLogError",
  inputs: { input: vector(positive), target: vector(probabilities) },
  reference(grad) {
    const n = x.length;
    let total = 0;
    const input = grad ? new Float32Array(n) : null, target = grad ? new Float32Array(n) : null;
    for (let i = 0; i < n; i++) {
      const d = Math.log1p(positive[i]) - Math.log1p(probabilities[i]);
      total += d * d;
      if (input && target) {
        input[i] = 2 * d / (1 + positive[i]) / n;
        target[i] = -2 * d / (1 + probabilities[i]) / n;
      }
    }
    return { loss: total / n, grads: input && target ? { input, target } : NO_GRADS };
  },
  tfLoss: ([input, target]) => tf.mean(tf.square(tf.sub(tf.log1p(input), tf.log1p(target)))),
  tfInputs: [tfVector(positive), tfVector(probabilities)],
  tfDifferentiable: [0, 1],
};

function runLibrary(bench: LossBench, grad: boolean) {
  return computeLoss(bench.name, bench.inputs, bench.options ?? {}, { grad });
}

function runTensorFlow(bench: LossBench, grad: boolean): number {
  return tf.tidy(() => {
    if (!grad) return bench.tfLoss(bench.tfInputs).dataSync()[0];
    const differentiable = bench.tfDifferentiable.map((i) => bench.tfInputs[i]);
    const { value } = tf.valueAndGrads((...tensors: tf.Tensor[]) => {
      const all = [...bench.tfInputs];
      bench.tfDifferentiable.forEach((i, k) => all[i] = tensors[k]);
      return bench.tfLoss(all);
    })(differentiable);
    return value.dataSync()[0];
  });
}

/**
 * Checks that the library, TensorFlow.js and the branch-free loop compute what the plain loop
 * computes.
 */
function checkSameMath(bench: LossBench): void {
  const want = bench.reference(true);
  const got = runLibrary(bench, true);
  const closeTo = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * (1 + Math.abs(b));
  assert.ok(closeTo(got.output.get(), want.loss), `${bench.name}: library loss`);
  assert.ok(closeTo(runTensorFlow(bench, false), want.loss), `${bench.name}: TF.js loss`);
  const variants: Record<string, Record<string, ArrayLike<number>>> = {
    library: Object.fromEntries(Object.entries(got.grads).map(([k, v]) => [k, v.data])),
  };
  if (bench.branchFree) {
    const branchFree = bench.branchFree(true);
    assert.ok(closeTo(branchFree.loss, want.loss), `${bench.name}: branch-free loss`);
    variants["branch-free loop"] = branchFree.grads;
  }
  for (const [variant, grads] of Object.entries(variants)) {
    assert.deepEqual(Object.keys(grads).sort(), Object.keys(want.grads).sort(), variant);
    for (const [name, grad] of Object.entries(want.grads)) {
      for (let i = 0; i < grad.length; i += 997) {
        const label = `${bench.name}: ${variant} gradient of ${name}[${i}]`;
        assert.ok(closeTo(grads[name][i], grad[i]), label);
      }
    }
  }
}

const BENCHES = [
  l1,
  mse,
  huber,
  bceWithLogits,
  crossEntropy,
  sigmoidFocal,
  logCosh,
  quantile,
  mape,
  msle,
];

for (const bench of BENCHES) {
  checkSameMath(bench);
  for (const grad of [false, true]) {
    const group = `${bench.name} ${grad ? "forward+grad" : "forward"}`;
    const common = { group };
    Deno.bench({
      ...common,
      name: `${group}: library`,
      baseline: true,
      fn: () => void runLibrary(bench, grad),
    });
    Deno.bench({ ...common, name: `${group}: plain loop`, fn: () => void bench.reference(grad) });
    const branchFree = bench.branchFree;
    if (branchFree) {
      Deno.bench({
        ...common,
        name: `${group}: branch-free loop`,
        fn: () => void branchFree(grad),
      });
    }
    Deno.bench({
      ...common,
      name: `${group}: TF.js cpu`,
      n: grad ? 20 : 50,
      fn: () => void runTensorFlow(bench, grad),
    });
  }
}
