/**
 * Replays every PyTorch reference case through the library: outputs, gradients, warnings and
 * rejections.  A failure names the case id.
 */
import assert from "node:assert/strict";
import { computeLoss, findLoss, LossInputError } from "../lib/mod.ts";
import {
  assertTensorClose,
  flatValues,
  type GoldenCase,
  goldenCases,
  inputsOf,
  optionsOf,
  toNdArray,
} from "./golden.ts";

function replay(golden: GoldenCase) {
  return computeLoss(golden.loss, inputsOf(golden), optionsOf(golden), {
    dtype: golden.dtype,
    grad: golden.error === undefined,
    gradOutput: golden.grad_output && toNdArray(golden.grad_output, golden.dtype),
  });
}

/** Checks one case against the library; exported for the no-code-generation test. */
export function checkCase(golden: GoldenCase): void {
  if (golden.error) {
    assert.throws(() => replay(golden), (error: unknown) => {
      assert.ok(error instanceof LossInputError, `${golden.id}: threw ${error}`);
      assert.ok(error.field.length > 0 && error.message.length > 0, golden.id);
      return true;
    }, `${golden.id}: PyTorch rejects this (${golden.error.message})`);
    return;
  }
  const expected = golden.expected!;
  const result = replay(golden);
  const output = result.output;
  assertTensorClose(
    { shape: output.shape, data: flatValues(output) },
    expected.output,
    golden.dtype,
    `${golden.id} output`,
  );
  const wantGrads = expected.grads ?? {};
  assert.deepEqual(
    Object.keys(result.grads).sort(),
    Object.keys(wantGrads).sort(),
    `${golden.id}: gradients returned`,
  );
  for (const [key, want] of Object.entries(wantGrads)) {
    const grad = result.grads[key];
    assertTensorClose(
      { shape: grad.shape, data: flatValues(grad) },
      want,
      golden.dtype,
      `${golden.id} grad ${key}`,
    );
  }
  for (const warning of golden.warnings ?? []) {
    assert.ok(
      result.warnings.some((ours) => ours.startsWith(warning) || warning.startsWith(ours)),
      `${golden.id}: PyTorch warns "${warning}"; we said ${JSON.stringify(result.warnings)}`,
    );
  }
  if (!golden.warnings?.length) {
    assert.deepEqual(result.warnings, [], `${golden.id}: PyTorch gives no warning`);
  }
}

const byLoss = Map.groupBy(goldenCases, (golden) => golden.loss);

for (const [loss, cases] of byLoss) {
  Deno.test({
    name: `golden: ${loss} (${cases.length} cases)`,
    ignore: findLoss(loss) === undefined,
    fn() {
      const failures: string[] = [];
      for (const golden of cases) {
        try {
          checkCase(golden);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
      assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases fail`);
    },
  });
}
