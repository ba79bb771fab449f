/**
 * The golden replay over HTTP: every PyTorch reference case sent to a running server in the
 * wire form, its answer compared with PyTorch's within the golden tolerances.
 *
 * @module
 */
import assert from "node:assert/strict";
import { findLoss } from "../lib/mod.ts";
import {
  assertMatchesCase,
  decodeResult,
  type GoldenCase,
  goldenCases,
  wireNumber,
} from "./golden.ts";
import { assertRejectedField } from "./golden_rejections.ts";

/** The request body of a case: its tensors as the golden file writes them, with gradients. */
export function goldenRequest(golden: GoldenCase): Record<string, unknown> {
  return {
    inputs: golden.inputs,
    options: golden.options,
    dtype: golden.dtype,
    grad: true,
    grad_output: golden.grad_output,
  };
}

interface WireTensorResult {
  shape: number[];
  data: (number | string)[];
}

const decoded = (tensor: WireTensorResult) => ({
  shape: tensor.shape,
  data: tensor.data.map(wireNumber),
});

/** Posts a case to `baseUrl` and checks the answer against PyTorch's; throws on a mismatch. */
export async function checkCaseOverHttp(baseUrl: string, golden: GoldenCase): Promise<void> {
  const response = await fetch(`${baseUrl}/api/v1/losses/${golden.loss}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(goldenRequest(golden)),
  });
  const body = await response.json();
  if (golden.error) {
    assert.ok(
      response.status >= 400 && response.status < 500,
      `${golden.id}: PyTorch rejects this (${golden.error.message}); got ${response.status}`,
    );
    assert.equal(response.headers.get("Content-Type"), "application/problem+json", golden.id);
    assertRejectedField(golden, body.field, "the API");
    assert.ok(String(body.detail).includes(body.field), `${golden.id}: ${body.detail}`);
    return;
  }
  assert.equal(response.status, 200, `${golden.id}: ${JSON.stringify(body)}`);
  assertMatchesCase(golden, decodeResult<WireTensorResult>(body, decoded), "the API");
}

/**
 * Registers one step per loss that replays its cases (`select` picks which) against
 * `baseUrl`, a few requests at a time.  A loss the registry does not have fails its step.
 */
export async function replayGoldenSteps(
  t: Deno.TestContext,
  baseUrl: string,
  select: (golden: GoldenCase, index: number) => boolean = () => true,
): Promise<void> {
  const chosen = goldenCases.filter(select);
  for (const [loss, cases] of Map.groupBy(chosen, (golden) => golden.loss)) {
    await t.step({
      name: `golden over HTTP: ${loss} (${cases.length} cases)`,
      async fn() {
        assert.ok(findLoss(loss), `${loss} has golden cases but is not registered`);
        const failures: string[] = [];
        const queue = [...cases];
        const worker = async () => {
          for (let golden = queue.shift(); golden; golden = queue.shift()) {
            try {
              await checkCaseOverHttp(baseUrl, golden);
            } catch (error) {
              failures.push(error instanceof Error ? error.message : String(error));
            }
          }
        };
        await Promise.all(Array.from({ length: 4 }, worker));
        assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases fail`);
      },
    });
  }
}
