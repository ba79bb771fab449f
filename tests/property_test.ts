/**
 * Properties every registered loss must have, on random inputs from its own `sample`:
 *
 * - its gradient agrees with central finite differences in float64, for `reduction: "sum"` and
 *   for `"none"` with a random `grad_output` (for a loss without `reduction`, whose output is one
 *   number: for that number);
 * - `sum` equals `mean` times the number of per-element losses, and the sum of the `none`
 *   output;
 * - strided views (reversed, transposed, offset and stepped) give exactly the outputs and
 *   gradients of contiguous copies.
 *
 * Runs are seeded: a failure prints fast-check's seed (and the sample's), and
 * `PROPERTY_SEED=<n>` replays another seed.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
// @ts-types="@types/ndarray"
import ndarray from "ndarray";
import {
  type AnyLoss,
  computeLoss,
  createRandom,
  type DType,
  indexNdArrayOf,
  type NdArray,
  ndarrayOf,
  type NumericArray,
  optionsOf,
  type PlainTensor,
} from "../lib/mod.ts";
import { losses } from "../lib/mod.ts";
import { flatValues } from "./golden.ts";

const FAST_CHECK_SEED = readSeed() ?? 20250901;
const GRADIENT_RUNS = 100;
const REDUCTION_RUNS = 100;
const STRIDED_RUNS = 30;
/** Elements perturbed per input and run, at most (chosen at random): bounds the time per run. */
const MAX_PERTURBED = 12;
/** The finite-difference step, relative to the element's magnitude. */
const STEP = 1e-6;
const GRADIENT_TOLERANCE = 1e-5;
/**
 * An element is skipped when the one-sided slopes at ±STEP differ by more than this (relative):
 * the loss has a kink (|x − y| at 0, a hinge, a max) within one step of it.  Skipping reads only
 * the loss, never the gradient, so a wrong gradient cannot hide behind it.
 */
const KINK_TOLERANCE = 1e-3;
/** Most elements of a loss that may be skipped (kinks, leaving the domain) before failing. */
const MAX_SKIPPED_FRACTION = 0.02;

/**
 * Inputs whose gradient PyTorch defines through a log_softmax folded in: CTCLoss's gradient of
 * `log_probs` is exp(log_probs) − (the true derivative), which is the gradient with respect to
 * logits z at log_probs = log_softmax(z).  Finite differences of these inputs perturb the
 * logits: the row along the last axis is renormalized after each step.
 */
const THROUGH_LOG_SOFTMAX: Record<string, string> = { CTCLoss: "log_probs" };

/** Losses whose `mean` is not `sum / n`: CTCLoss divides each loss by its target length. */
const MEAN_IS_NOT_SUM_OVER_N = new Set(["CTCLoss"]);

function readSeed(): number | undefined {
  const permission = Deno.permissions.querySync({ name: "env", variable: "PROPERTY_SEED" });
  const value = permission.state === "granted" ? Deno.env.get("PROPERTY_SEED") : undefined;
  return value === undefined ? undefined : Number(value);
}

/** Asserts `predicate` for sample seeds drawn by fast-check, naming the seed on failure. */
function forAllSamples(runs: number, predicate: (sampleSeed: number) => void): void {
  try {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0x7fffffff }), predicate), {
      seed: FAST_CHECK_SEED,
      numRuns: runs,
      endOnFailure: true,
    });
  } catch (error) {
    throw new Error(
      `fast-check seed ${FAST_CHECK_SEED} (replay: PROPERTY_SEED=${FAST_CHECK_SEED})`,
      { cause: error },
    );
  }
}

function isIndexTensor(tensor: PlainTensor): boolean {
  return tensor.dtype === "int";
}

/** A sample's tensor as a contiguous ndarray: int32 for index tensors, else float64. */
function contiguous(tensor: PlainTensor): NdArray<NumericArray> {
  return isIndexTensor(tensor)
    ? indexNdArrayOf(tensor.data, tensor.shape)
    : ndarrayOf(tensor.data, tensor.shape, "float64");
}

function contiguousInputs(sample: Record<string, PlainTensor>): Record<string, NdArray> {
  return Object.fromEntries(Object.entries(sample).map(([name, t]) => [name, contiguous(t)]));
}

function reductionsOf(loss: AnyLoss): string[] {
  const spec = optionsOf(loss).find((option) => option.name === "reduction");
  return spec?.type === "string" ? spec.enum : [];
}

/** The options that ask for `reduction`: none for a loss without the option (`null`). */
function reductionOptions(reduction: string | null): Record<string, string> {
  return reduction === null ? {} : { reduction };
}

/** The loss of `inputs` as one number: the output, or Σ output·gradOutput for `none`. */
function scalarLoss(
  loss: AnyLoss,
  inputs: Record<string, NdArray>,
  reduction: string | null,
  gradOutput: Float64Array | undefined,
): number {
  const options = reductionOptions(reduction);
  const { output } = computeLoss(loss.name, inputs, options, { dtype: "float64" });
  const values = output.data;
  if (!gradOutput) return values[0];
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] * gradOutput[i];
  return total;
}

/** Indices of at most `count` elements of `size`, chosen with `random`. */
function someIndices(size: number, count: number, next: () => number): number[] {
  const all = Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, count);
}

interface GradientTally {
  checked: number;
  skipped: number;
}

/**
 * Compares the library's gradients with central differences of the float64 loss, for one
 * sample; elements with a kink within one step are counted as skipped.
 */
function checkGradientAgainstDifferences(
  loss: AnyLoss,
  sampleSeed: number,
  reduction: "sum" | "none" | null,
  tally: GradientTally,
): void {
  const random = createRandom(sampleSeed);
  const sample = loss.sample(random);
  const inputs = contiguousInputs(sample);
  const shapeOfNone = reduction === "none"
    ? computeLoss(loss.name, inputs, { reduction: "none" }, { dtype: "float64" }).output.shape
    : [];
  const gradOutput = reduction === "none"
    ? Float64Array.from(random.randn(shapeOfNone).data)
    : undefined;
  const { grads } = computeLoss(loss.name, inputs, reductionOptions(reduction), {
    dtype: "float64",
    grad: true,
    gradOutput: gradOutput && ndarray(gradOutput, shapeOfNone),
  });
  for (const spec of loss.inputs) {
    if (spec.differentiable && spec.kind === "float") {
      assert.ok(grads[spec.name], `no gradient for ${spec.name} (sample seed ${sampleSeed})`);
    }
  }
  const center = scalarLoss(loss, inputs, reduction, gradOutput);
  for (const [name, grad] of Object.entries(grads)) {
    assert.ok(!isIndexTensor(sample[name]), `a gradient for the index tensor ${name}`);
    const values = inputs[name].data as Float64Array;
    const gradValues = flatValues(grad);
    assert.equal(gradValues.length, values.length, `gradient of ${name}: number of elements`);
    const lastAxis = sample[name].shape.at(-1) ?? 1;
    const perturb = THROUGH_LOG_SOFTMAX[loss.name] === name
      ? (i: number, step: number) => logSoftmaxRowAfterStep(values, i, lastAxis, step)
      : (i: number, step: number) => {
        const original = values[i];
        values[i] = original + step;
        return () => values[i] = original;
      };
    for (const i of someIndices(values.length, MAX_PERTURBED, random.next)) {
      const h = STEP * Math.max(1, Math.abs(values[i]));
      let restore = perturb(i, h);
      const above = scalarLoss(loss, inputs, reduction, gradOutput);
      restore();
      restore = perturb(i, -h);
      const below = scalarLoss(loss, inputs, reduction, gradOutput);
      restore();
      const central = (above - below) / (2 * h);
      const slopeAbove = (above - center) / h;
      const slopeBelow = (center - below) / h;
      const kinked = Math.abs(slopeAbove - slopeBelow) > KINK_TOLERANCE * (1 + Math.abs(central));
      if (!Number.isFinite(central) || kinked) {
        tally.skipped++;
        continue;
      }
      tally.checked++;
      const got = gradValues[i];
      if (!(Math.abs(got - central) <= GRADIENT_TOLERANCE * (1 + Math.abs(got)))) {
        assert.fail(
          `reduction ${reduction}, d/d${name}[${i}]: the library has ${got}, central ` +
            `differences ${central} (sample seed ${sampleSeed})`,
        );
      }
    }
  }
}

/**
 * Adds `step` to `values[i]` and renormalizes its row (`rowLength` values along the last axis)
 * with log_softmax; returns a function that puts the row back.
 */
function logSoftmaxRowAfterStep(
  values: Float64Array,
  i: number,
  rowLength: number,
  step: number,
): () => void {
  const start = i - (i % rowLength);
  const row = values.slice(start, start + rowLength);
  values[i] += step;
  let max = -Infinity;
  for (let k = start; k < start + rowLength; k++) max = Math.max(max, values[k]);
  let total = 0;
  for (let k = start; k < start + rowLength; k++) total += Math.exp(values[k] - max);
  const logTotal = max + Math.log(total);
  for (let k = start; k < start + rowLength; k++) values[k] -= logTotal;
  return () => values.set(row, start);
}

function assertFewSkipped({ checked, skipped }: GradientTally): void {
  assert.ok(checked > 0, "no element was checked");
  assert.ok(
    skipped <= MAX_SKIPPED_FRACTION * (checked + skipped),
    `${skipped} of ${checked + skipped} elements skipped at kinks or outside the domain`,
  );
}

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= 1e-12 * scale;
}

function checkReductions(loss: AnyLoss, sampleSeed: number): void {
  const inputs = contiguousInputs(loss.sample(createRandom(sampleSeed)));
  const run = (reduction: string) =>
    computeLoss(loss.name, inputs, { reduction }, { dtype: "float64" }).output;
  const perElement = flatValues(run("none"));
  const sum = run("sum").get();
  const n = perElement.length;
  const scale = 1 + perElement.reduce((total, value) => total + Math.abs(value), 0);
  const noneTotal = perElement.reduce((total, value) => total + value, 0);
  assert.ok(
    close(sum, noneTotal, scale),
    `sum ${sum} but the none output sums to ${noneTotal} (sample seed ${sampleSeed})`,
  );
  if (MEAN_IS_NOT_SUM_OVER_N.has(loss.name)) return;
  const mean = run("mean").get();
  assert.ok(
    close(sum, mean * n, scale),
    `sum ${sum} but mean × n = ${mean} × ${n} = ${mean * n} (sample seed ${sampleSeed})`,
  );
}

type Layout = "reversed" | "transposed" | "offset and stepped";
const LAYOUTS: Layout[] = ["reversed", "transposed", "offset and stepped"];

/**
 * A view of a larger buffer holding `tensor`'s values in the given `layout`; the rest of the
 * buffer holds NaN (or a huge index), so reading the wrong element shows.
 */
function stridedView(tensor: PlainTensor, layout: Layout): NdArray<NumericArray> {
  const { shape } = tensor;
  const rank = shape.length;
  const baseShape = layout === "offset and stepped"
    ? shape.map((size) => 2 * size + 1)
    : layout === "transposed"
    ? [...shape].reverse()
    : shape;
  const size = baseShape.reduce((a, b) => a * b, 1) + 3;
  const buffer = isIndexTensor(tensor)
    ? new Int32Array(size).fill(1 << 30)
    : new Float64Array(size).fill(NaN);
  const base = ndarray(buffer, baseShape);
  const view = layout === "reversed"
    ? base.step(...shape.map(() => -1))
    : layout === "transposed"
    ? base.transpose(...shape.map((_, axis) => rank - 1 - axis))
    : base.lo(...shape.map(() => 1)).step(...shape.map(() => 2));
  assert.deepEqual(view.shape, shape);
  const index = new Array<number>(rank).fill(0);
  for (const value of tensor.data) {
    view.set(...index, value);
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return view;
}

function checkStridedViews(loss: AnyLoss, sampleSeed: number): void {
  const random = createRandom(sampleSeed);
  const sample = loss.sample(random);
  const inputs = contiguousInputs(sample);
  const reductions = reductionsOf(loss).length ? ["none", "mean"] : [null];
  const shapeOfNone = reductions[0] === "none"
    ? computeLoss(loss.name, inputs, { reduction: "none" }).output.shape
    : [];
  const gradOutput: PlainTensor = random.randn(shapeOfNone);
  for (const dtype of ["float32", "float64"] as DType[]) {
    for (const reduction of reductions) {
      const options = reductionOptions(reduction);
      const settings = (view: (tensor: PlainTensor) => NdArray<NumericArray>) => ({
        dtype,
        grad: true,
        gradOutput: reduction === "none" ? view(gradOutput) : undefined,
      });
      const want = computeLoss(loss.name, inputs, options, settings(contiguous));
      for (const layout of LAYOUTS) {
        const view = (tensor: PlainTensor) => stridedView(tensor, layout);
        const strided = Object.fromEntries(
          Object.entries(sample).map(([name, tensor]) => [name, view(tensor)]),
        );
        const got = computeLoss(loss.name, strided, options, settings(view));
        const label = `${layout}, ${dtype}, reduction ${reduction} (sample seed ${sampleSeed})`;
        assert.deepEqual(got.output.shape, want.output.shape, `${label}: output shape`);
        assert.deepEqual(flatValues(got.output), flatValues(want.output), `${label}: output`);
        assert.deepEqual(Object.keys(got.grads), Object.keys(want.grads), `${label}: gradients`);
        for (const [name, grad] of Object.entries(want.grads)) {
          assert.deepEqual(flatValues(got.grads[name]), flatValues(grad), `${label}: ∂/∂${name}`);
        }
      }
    }
  }
}

for (const loss of losses) {
  const reductions = reductionsOf(loss);
  const hasReductions = ["none", "mean", "sum"].every((r) => reductions.includes(r));
  /** A loss without `reduction` (its output is one number) is checked on that number. */
  const oneNumber = reductions.length === 0;
  Deno.test(`properties: ${loss.name}`, async (t) => {
    // Only the steps that apply are registered: a loss without `reduction` (MAPE, MSLE,
    // NT-Xent) has its own one-number steps instead of ignored ones.
    for (const reduction of (["sum", "none"] as const).filter((r) => reductions.includes(r))) {
      const withGradOutput = reduction === "none" ? " with a random grad_output" : "";
      await t.step(
        `gradient = central differences, reduction ${reduction}${withGradOutput}`,
        () => {
          const tally: GradientTally = { checked: 0, skipped: 0 };
          forAllSamples(GRADIENT_RUNS, (seed) => {
            checkGradientAgainstDifferences(loss, seed, reduction, tally);
          });
          assertFewSkipped(tally);
        },
      );
    }
    if (oneNumber) {
      await t.step("gradient = central differences, of its one-number output", () => {
        const tally: GradientTally = { checked: 0, skipped: 0 };
        forAllSamples(GRADIENT_RUNS, (seed) => {
          checkGradientAgainstDifferences(loss, seed, null, tally);
        });
        assertFewSkipped(tally);
      });
    }
    const meanToo = MEAN_IS_NOT_SUM_OVER_N.has(loss.name) ? "" : " and mean × n";
    if (hasReductions) {
      await t.step(`sum = sum of the none output${meanToo}`, () => {
        forAllSamples(REDUCTION_RUNS, (seed) => checkReductions(loss, seed));
      });
    }
    if (hasReductions || oneNumber) {
      await t.step("strided views = contiguous copies (outputs and gradients)", () => {
        forAllSamples(STRIDED_RUNS, (seed) => checkStridedViews(loss, seed));
      });
    }
  });
}
