/**
 * PyTorch's numbers where it overflows, saturates or propagates NaN, class by class (issue 15):
 * each expected value is what PyTorch 2.11's CPU kernels give, worked out from the operations
 * they perform in the dtype (and, where 1.13 computes the same, checked against it).
 *
 * 1. float32 arithmetic in float32: intermediates overflow to ±∞, and ∞ − ∞ or 0·∞ give NaN;
 * 2. sign(NaN) is 0 in gradients;
 * 3. BCEWithLogitsLoss's own formula, (1 − y)·x − log σ(x), at ±∞ and at huge |x|;
 * 4. NaN and infinities in PyTorch's order of operations;
 * 5. GaussianNLLLoss's var shapes by 2.11's rule;
 * 6. the cosine distance's gradient keeps the similarity itself when it is tiny.
 */
import assert from "node:assert/strict";
import {
  computeLoss,
  type DType,
  indexNdArrayOf,
  LossInputError,
  type NdArray,
  ndarrayOf,
  type NumericArray,
} from "../lib/mod.ts";
import { flatValues } from "./golden.ts";

type Inputs = Record<string, NdArray<NumericArray>>;

const f32 = (values: number[], shape = [values.length]) => ndarrayOf(values, shape, "float32");
const f64 = (values: number[], shape = [values.length]) => ndarrayOf(values, shape, "float64");

/** Output and gradients, flattened. */
function run(
  loss: string,
  inputs: Inputs,
  options: Record<string, unknown> = {},
  dtype: DType = "float32",
): { output: number[]; grads: Record<string, number[]> } {
  const result = computeLoss(loss, inputs, options, { dtype, grad: true });
  const grads: Record<string, number[]> = {};
  for (const [name, grad] of Object.entries(result.grads)) grads[name] = flatValues(grad);
  return { output: flatValues(result.output), grads };
}

/**
 * Asserts that `got` is `want`: NaN for NaN, the same infinities, ±0 alike, and finite values
 * within the golden float32 tolerance (float64: its own).
 */
function assertValues(
  got: number[],
  want: number[],
  label: string,
  dtype: DType = "float32",
): void {
  assert.equal(got.length, want.length, `${label}: length`);
  const [atol, rtol] = dtype === "float32" ? [2e-5, 2e-4] : [1e-9, 1e-6];
  want.forEach((w, i) => {
    const g = got[i];
    const ok = Number.isNaN(w)
      ? Number.isNaN(g)
      : !Number.isFinite(w)
      ? g === w
      : Math.abs(g - w) <= atol + rtol * Math.abs(w);
    assert.ok(ok, `${label}[${i}]: got ${g}, PyTorch has ${w}`);
  });
}

Deno.test("class 1: float32 intermediates overflow to ±∞ as in PyTorch, ∞ − ∞ and 0·∞ give NaN", async (t) => {
  const cases: {
    name: string;
    loss: string;
    inputs: Inputs;
    options?: Record<string, unknown>;
    output: number[];
    grads: Record<string, number[]>;
  }[] = [
    {
      name: "SoftMarginLoss: exp(100) is +∞, the loss +∞, its gradient ∞ / ∞",
      loss: "SoftMarginLoss",
      inputs: { input: f32([-100]), target: f32([1]) },
      options: { reduction: "none" },
      output: [Infinity],
      grads: { input: [NaN] },
    },
    {
      name: "MSELoss mean: each square is finite, their float32 sum is +∞ before the division",
      loss: "MSELoss",
      inputs: { input: f32([1.5e19, 1.5e19]), target: f32([0, 0]) },
      output: [Infinity],
      grads: { input: [1.5000000520515486e19, 1.5000000520515486e19], target: [-1.5e19, -1.5e19] },
    },
    {
      name: "L1Loss mean: x − y of 3e38 and −3e38 is +∞",
      loss: "L1Loss",
      inputs: { input: f32([3e38, -3e38]), target: f32([-3e38, 3e38]) },
      output: [Infinity],
      grads: { input: [0.5, -0.5], target: [-0.5, 0.5] },
    },
    {
      name: "HuberLoss: |x − y| is +∞, and so is the loss; the gradient is clamped at delta",
      loss: "HuberLoss",
      inputs: { input: f32([3e38]), target: f32([-3e38]) },
      options: { reduction: "none" },
      output: [Infinity],
      grads: { input: [1], target: [-1] },
    },
    {
      name: "GaussianNLLLoss: (2e19)² is +∞, var's gradient −∞",
      loss: "GaussianNLLLoss",
      inputs: { input: f32([2e19]), target: f32([0]), var: f32([1]) },
      options: { reduction: "none" },
      output: [Infinity],
      grads: { input: [2e19], target: [-2e19], var: [-Infinity] },
    },
    {
      name: "MultiMarginLoss p = 2: the square of a hinge of 2e19 is +∞",
      loss: "MultiMarginLoss",
      inputs: { input: f32([2e19, 0], [1, 2]), target: indexNdArrayOf([1], [1]) },
      options: { p: 2, reduction: "none" },
      output: [Infinity],
      grads: { input: [2e19, -2e19] },
    },
    {
      name: "PoissonNLLLoss: exp(89) is +∞",
      loss: "PoissonNLLLoss",
      inputs: { input: f32([89]), target: f32([0]) },
      options: { reduction: "none" },
      output: [Infinity],
      grads: { input: [Infinity] },
    },
    {
      name: "PoissonNLLLoss without log_input: y·log(x + eps) of 1e38 is +∞",
      loss: "PoissonNLLLoss",
      inputs: { input: f32([1e38]), target: f32([1e38]) },
      options: { log_input: false, reduction: "none" },
      output: [-Infinity],
      grads: { input: [0] },
    },
    {
      name: "CosineEmbeddingLoss: ‖x1‖² is +∞, cos 0; x2's gradient is the product's ∞ · 0",
      loss: "CosineEmbeddingLoss",
      inputs: { input1: f32([2e19, 1], [1, 2]), input2: f32([1, 1], [1, 2]), target: f32([1]) },
      options: { reduction: "none" },
      output: [1],
      grads: { input1: [0, 0], input2: [NaN, NaN] },
    },
    // TripletMarginWithDistanceLoss's default distance is the same euclidean one.
    ...["TripletMarginLoss", "TripletMarginWithDistanceLoss"].map((loss) => ({
      name: `${loss}: both norms of 2e19 are +∞, the margin ∞ − ∞`,
      loss,
      inputs: {
        anchor: f32([2e19, 0], [1, 2]),
        positive: f32([0, 0], [1, 2]),
        negative: f32([0, 0], [1, 2]),
      },
      options: { reduction: "none" },
      output: [NaN],
      grads: { anchor: [0, 0], positive: [-0, -0], negative: [0, 0] },
    })),
    {
      name: "KLDivLoss log_target: exp(89) is +∞",
      loss: "KLDivLoss",
      inputs: { input: f32([0]), target: f32([89]) },
      options: { log_target: true, reduction: "sum" },
      output: [Infinity],
      grads: { input: [-Infinity], target: [Infinity] },
    },
    {
      name: "BCEWithLogitsLoss: (1 − y)·x of 4 · −1e38 is −∞",
      loss: "BCEWithLogitsLoss",
      inputs: { input: f32([-1e38]), target: f32([-3]) },
      options: { reduction: "none" },
      output: [-Infinity],
      grads: { input: [3] },
    },
    {
      name:
        "MultiLabelMarginLoss: a row's sum above 3.4e38 is +∞ (added in double, returned as float)",
      loss: "MultiLabelMarginLoss",
      inputs: {
        input: f32([3e38, -3e38, 3e38, 0], [1, 4]),
        target: indexNdArrayOf([1, -1, 0, 0], [1, 4]),
      },
      options: { reduction: "sum" },
      output: [Infinity],
      grads: { input: [0.25, -0.75, 0.25, 0.25] },
    },
    {
      name: "HingeEmbeddingLoss: margin − x of 1e38 + 3e38 is +∞",
      loss: "HingeEmbeddingLoss",
      inputs: { input: f32([-3e38]), target: f32([-1]) },
      options: { margin: 1e38, reduction: "none" },
      output: [Infinity],
      grads: { input: [-1] },
    },
    {
      name: "MarginRankingLoss: x1 − x2 of 3e38 and −3e38 is +∞",
      loss: "MarginRankingLoss",
      inputs: { input1: f32([3e38]), input2: f32([-3e38]), target: f32([-1]) },
      options: { reduction: "none" },
      output: [Infinity],
      grads: { input1: [1], input2: [-1] },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { output, grads } = run(c.loss, c.inputs, c.options);
      assertValues(output, c.output, `${c.loss} output`);
      assert.deepEqual(Object.keys(grads).sort(), Object.keys(c.grads).sort());
      for (const [name, want] of Object.entries(c.grads)) {
        assertValues(grads[name], want, `${c.loss} grad ${name}`);
      }
    });
  }

  await t.step("float64 keeps the same inputs finite", () => {
    const { output, grads } = run(
      "SoftMarginLoss",
      { input: f64([-100]), target: f64([1]) },
      { reduction: "none" },
      "float64",
    );
    assertValues(output, [100], "SoftMarginLoss output", "float64");
    assertValues(grads.input, [-1], "SoftMarginLoss grad", "float64");
  });
});

Deno.test("class 2: sign(NaN) is 0 in gradients", async (t) => {
  const nanAnchor = {
    anchor: f64([NaN, 1], [1, 2]),
    positive: f64([0, 0], [1, 2]),
    negative: f64([1, 1], [1, 2]),
  };
  for (
    const [name, loss, options] of [
      ["TripletMarginLoss p = 1", "TripletMarginLoss", { p: 1, reduction: "sum" }],
      ["TripletMarginLoss p = ∞", "TripletMarginLoss", { p: Infinity, reduction: "sum" }],
      ["TripletMarginWithDistanceLoss manhattan", "TripletMarginWithDistanceLoss", {
        distance_function: "manhattan",
        reduction: "sum",
      }],
    ] as const
  ) {
    await t.step(`${name}: the anchor [NaN, 1] gets [0, 0]`, () => {
      const { output, grads } = run(loss, nanAnchor, options, "float64");
      assertValues(output, [NaN], `${name} output`, "float64");
      assertValues(grads.anchor, [0, 0], `${name} grad anchor`, "float64");
    });
  }
  for (const [loss, options] of [["SmoothL1Loss", { beta: 0 }], ["L1Loss", {}]] as const) {
    await t.step(
      `${loss}${"beta" in options ? " with beta = 0" : ""}: the input [NaN, 1] gets [0, 1]`,
      () => {
        const inputs = { input: f64([NaN, 1]), target: f64([0, 0]) };
        const { grads } = run(loss, inputs, { ...options, reduction: "sum" }, "float64");
        assertValues(grads.input, [0, 1], `${loss} grad input`, "float64");
        assertValues(grads.target, [-0, -1], `${loss} grad target`, "float64");
      },
    );
  }
});

Deno.test("class 3: BCEWithLogitsLoss by PyTorch's formula, (1 − y)·x − log σ(x)", async (t) => {
  for (const dtype of ["float32", "float64"] as const) {
    const of = dtype === "float32" ? f32 : f64;
    await t.step(
      `${dtype}: x = −1e27, y = 1e-30 gives 0, (1 − y)·x and log σ(x) cancel exactly`,
      () => {
        const { output, grads } = run(
          "BCEWithLogitsLoss",
          {
            input: of([-1e27]),
            target: of([1e-30]),
          },
          { reduction: "none" },
          dtype,
        );
        assertValues(output, [0], "output", dtype);
        assertValues(grads.input, [-1e-30], "grad", dtype);
      },
    );
    await t.step(`${dtype}: x = +∞ gives +∞ for y = 0.5 (not ∞ − ∞), x = −∞ NaN`, () => {
      const { output, grads } = run(
        "BCEWithLogitsLoss",
        {
          input: of([Infinity, -Infinity, Infinity]),
          target: of([0.5, 0.5, 1]),
        },
        { reduction: "none" },
        dtype,
      );
      assertValues(output, [Infinity, NaN, NaN], "output", dtype);
      assertValues(grads.input, [0.5, -0.5, 0], "grad", dtype);
    });
    await t.step(`${dtype}: huge finite logits, with pos_weight`, () => {
      const { output, grads } = run(
        "BCEWithLogitsLoss",
        {
          input: of([1e30, -1e30]),
          target: of([0.25, 0.25]),
        },
        { reduction: "none", pos_weight: of([3, 3]) },
        dtype,
      );
      // (1 − y)·x − (1 + (p − 1)·y)·log σ(x): 0.75e30 − 0, and −0.75e30 + 1.5·1e30.
      assertValues(output, [0.75e30, 0.75e30], "output", dtype);
      // (p·y + 1 − y)·σ(x) − p·y = 1.5·σ(x) − 0.75.
      assertValues(grads.input, [0.75, -0.75], "grad", dtype);
    });
  }
});

Deno.test("class 4: NaN and infinities in PyTorch's order of operations", async (t) => {
  await t.step("KLDivLoss log_target: e^y·(y − x) + e^y is −∞ + ∞ for y's gradient", () => {
    const { output, grads } = run("KLDivLoss", { input: f64([2000]), target: f64([1000]) }, {
      reduction: "sum",
      log_target: true,
    }, "float64");
    assertValues(output, [-Infinity], "output", "float64");
    assertValues(grads.input, [-Infinity], "grad input", "float64");
    assertValues(grads.target, [NaN], "grad target", "float64");
  });
  await t.step("PoissonNLLLoss, broadcast target: exp(x) · Σ g is +∞, not Σ (exp(x) − y)·g", () => {
    const result = computeLoss(
      "PoissonNLLLoss",
      {
        input: f64([1000]),
        target: f64([1, 2], [2, 1]),
      },
      { reduction: "none" },
      { dtype: "float64", grad: true, gradOutput: f64([1, -0.5], [2, 1]) },
    );
    assertValues(flatValues(result.grads.input), [Infinity], "grad input", "float64");
  });
  await t.step("CrossEntropyLoss: an ignored row holding +∞ gets NaN (0 − softmax · 0)", () => {
    const { output, grads } = run(
      "CrossEntropyLoss",
      {
        input: f64([1, 2, Infinity, 0], [2, 2]),
        target: indexNdArrayOf([0, -100], [2]),
      },
      { reduction: "sum" },
      "float64",
    );
    assertValues(output, [1.3132616875182228], "output", "float64");
    assertValues(
      grads.input,
      [-0.7310585786300049, 0.7310585786300049, NaN, NaN],
      "grad",
      "float64",
    );
  });
  await t.step("TripletMarginLoss: a row whose loss is NaN passes NaN back, not 0", () => {
    const { output, grads } = run(
      "TripletMarginLoss",
      {
        anchor: f64([NaN, 1, 0, 0], [2, 2]),
        positive: f64([0, 0, 1, 0], [2, 2]),
        negative: f64([1, 1, 5, 0], [2, 2]),
      },
      { reduction: "none" },
      "float64",
    );
    assertValues(output, [NaN, 0], "output", "float64");
    // Row 0: the clamp gives 0, but d / ‖d‖ is NaN there; row 1 is past the margin: 0.
    assertValues(grads.anchor, [NaN, NaN, 0, 0], "grad anchor", "float64");
  });
  await t.step(
    "MarginRankingLoss: past the margin, the gradient is still times −y (NaN for NaN)",
    () => {
      const { grads } = run(
        "MarginRankingLoss",
        {
          input1: f64([5, 5]),
          input2: f64([0, 0]),
          target: f64([1, NaN]),
        },
        { reduction: "sum" },
        "float64",
      );
      assertValues(grads.input1, [-0, NaN], "grad input1", "float64");
    },
  );
  await t.step("CTCLoss: a NaN among −∞ terms of the recursion makes the loss NaN", () => {
    // Targets [1, 2] in 2 frames: the last cell of label 2 is log(e^−∞ + e^−∞ + e^α(0, 1)) with
    // α(0, 1) = NaN: aten shifts by 0 there (its maximum is −∞) and gets NaN, not −∞.
    const logProbs = new Array(6).fill(Math.log(1 / 3));
    logProbs[1] = NaN;
    const { output } = run(
      "CTCLoss",
      {
        log_probs: f64(logProbs, [2, 1, 3]),
        targets: indexNdArrayOf([1, 2], [1, 2]),
        input_lengths: indexNdArrayOf([2], [1]),
        target_lengths: indexNdArrayOf([2], [1]),
      },
      { reduction: "sum" },
      "float64",
    );
    assertValues(output, [NaN], "output", "float64");
  });
});

Deno.test("class 5: GaussianNLLLoss accepts 2.11's var shapes", async (t) => {
  const input = f64([1, 2, 3, 4, 5, 6], [2, 3]);
  const target = f64([1, 1, 1, 1, 1, 1], [2, 3]);
  const gaussian = (variance: NdArray<NumericArray>) =>
    run("GaussianNLLLoss", { input, target, var: variance }, { reduction: "none" }, "float64");

  await t.step("var [1, 3] on input [2, 3]: broadcast along the first dimension", () => {
    const { output, grads } = gaussian(f64([1, 2, 3], [1, 3]));
    assertValues(
      output,
      [0, 0.596574, 1.215973, 4.5, 4.346574, 4.715973].map((v) => v),
      "output",
      "float32",
    );
    // ½ (1/v − d²/v²) summed over the two rows.
    assertValues(grads.var, [-3.5, -1.625, -1.277777777777778], "grad var", "float64");
  });
  await t.step(
    "the shapes 1.13 already took: the input's, a last size of 1, one dimension short",
    () => {
      for (
        const [values, shape] of [[[1, 1, 1, 1, 1, 1], [2, 3]], [[1, 2], [2, 1]], [[1, 2], [
          2,
        ]]] as const
      ) {
        const { output } = gaussian(f64([...values], [...shape]));
        assert.equal(output.length, 6, `var ${shape}`);
      }
    },
  );
  await t.step("a size of 1 in the middle of three dimensions", () => {
    const result = computeLoss(
      "GaussianNLLLoss",
      {
        input: f64(new Array(8).fill(2), [2, 2, 2]),
        target: f64(new Array(8).fill(0), [2, 2, 2]),
        var: f64([1, 2, 3, 4], [2, 1, 2]),
      },
      { reduction: "none" },
      { dtype: "float64" },
    );
    const want = [1, 2, 1, 2, 3, 4, 3, 4].map((v) => 0.5 * (Math.log(v) + 4 / v));
    assertValues(flatValues(result.output), want, "output", "float64");
  });
  await t.step("var differing in two dimensions is rejected, naming var", () => {
    assert.throws(
      () => gaussian(f64([1], [1, 1])),
      (error: unknown) => error instanceof LossInputError && error.field === "inputs.var",
    );
  });
  await t.step("a negative var is rejected before its shape is checked", () => {
    assert.throws(
      () => gaussian(f64([-1], [1, 1])),
      (error: unknown) =>
        error instanceof LossInputError && error.field === "inputs.var[0][0]" &&
        /negative/.test(error.message),
    );
  });
});

Deno.test("class 6: the cosine distance's gradient keeps a similarity below 1e-16", () => {
  // s = 1e-17 / ‖p‖: the anchor's first component gets p₀ / (‖a‖‖p‖) − s · a₀ / ‖a‖², which
  // cancel exactly; with s rebuilt as 1 − d = 0 it would be 1e-17 (100% off).
  const inputs = {
    anchor: f64([1, 0], [1, 2]),
    positive: f64([1e-17, 1], [1, 2]),
    negative: f64([-1, 0], [1, 2]),
  };
  const { grads } = run("TripletMarginWithDistanceLoss", inputs, {
    distance_function: "cosine",
    reduction: "sum",
  }, "float64");
  assert.equal(grads.anchor[0], 0);
  // And the positive's, −∂s/∂p = −(a / (‖a‖‖p‖) − s · p / ‖p‖²): its second component is
  // s / ‖p‖² = 1e-17 (0 with s rebuilt), kept to full relative precision.
  assert.ok(Math.abs(grads.positive[1] - 1e-17) <= 1e-17 * 1e-12, `${grads.positive[1]}`);
});
