/**
 * What each lesson teaches, asserted on the numbers of a run with its defaults (the outcome's
 * `numbers`, `#outcome[data-numbers]` on the page): shared by the browser suite
 * (`tests/lessons_test.ts`) and the models' suite without a browser
 * (`tests/lesson_models_test.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";

/** Each lesson's lesson, asserted on the numbers of a run with the defaults. */
export const LESSON_CHECKS: Record<string, (numbers: Record<string, number>) => void> = {
  outliers(numbers) {
    const gap = (loss: string) => Math.abs(numbers[`${loss}.slope`] - numbers.inlierSlope);
    assert.ok(
      gap("MSELoss") > gap("L1Loss"),
      `MSE's slope is further from the inliers' than L1's: ${JSON.stringify(numbers)}`,
    );
  },
  imbalance(numbers) {
    assert.ok(
      numbers["pos_weight.recall"] > numbers["plain.recall"],
      `pos_weight raises the rare class's recall: ${JSON.stringify(numbers)}`,
    );
  },
  stability(numbers) {
    // In float32, BCELoss(σ(z)) reaches its clamp and stays there from z = 17 (float64: 37);
    // BCEWithLogitsLoss grows with slope 1.
    assert.equal(numbers["float32.bce.max"], 100);
    assert.ok(numbers["float32.bce.clampFrom"] <= 20, `from ${numbers["float32.bce.clampFrom"]}`);
    assert.ok(numbers["float64.bce.clampFrom"] > numbers["float32.bce.clampFrom"]);
    const slope = numbers["float32.logits.slope"];
    assert.ok(Math.abs(slope - 1) < 1e-3, `slope ${slope}`);
    assert.ok(Math.abs(numbers["float32.logits.at100"] - 100) < 0.1);
    assert.ok(Math.abs(numbers["float32.logits.at50"] - 50) < 0.1);
    // NLLLoss of log(softmax) is infinite where CrossEntropyLoss is not; CTC's zero_infinity.
    assert.ok(numbers["float32.nll.infiniteFrom"] < numbers["float64.nll.infiniteFrom"]);
    assert.ok(Math.abs(numbers["float32.ce.at1000"] - 1000) < 0.1);
    assert.equal(numbers["ctc.off.finite"], 0);
    assert.equal(numbers["ctc.on"], 0);
    // Trained in float32 from confidently wrong logits: the clamped loss does not move.
    assert.equal(numbers["train.float32"], 1);
    assert.equal(numbers["train.bce.last"], numbers["train.bce.first"]);
    assert.ok(numbers["train.logits.last"] < numbers["train.logits.first"] / 2);
  },
  calibration(numbers) {
    assert.equal(numbers.smoothing, 0.2);
    assert.ok(
      numbers["smooth.confidence"] < numbers["plain.confidence"],
      `smoothing lowers the top confidence: ${JSON.stringify(numbers)}`,
    );
  },
};
