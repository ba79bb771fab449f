/**
 * The golden replay over HTTP: every reference case (of every golden file) sent to a running server in every
 * wire format (JSON numbers, JSON with .npy tensors and `"encoding": "npy"`, multipart .npy
 * parts, an .npz answer), the JSON answer compared with the reference's within the golden
 * tolerances and every other format's answer with the JSON one, number for number; and every
 * PyTorch case at the extremes in JSON, NaN and infinities as the wire's strings both ways.
 *
 * @module
 */
import assert from "node:assert/strict";
import { findLoss } from "../lib/mod.ts";
import {
  assertMatchesCase,
  decodeResult,
  edgeCases,
  type GoldenCase,
  goldenCases,
} from "./golden.ts";
import { assertRejectedField } from "./golden_rejections.ts";
import {
  decodeAnswer,
  type Format,
  FORMATS,
  requestIn,
  sameAnswer,
  type WireRequest,
} from "./api_formats.ts";

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

/**
 * Posts a case to `baseUrl` in `format` and checks the answer against the reference's (JSON numbers)
 * or against `reference`, the JSON numbers' answer (other formats); returns the decoded answer.
 * The multipart format asks for an .npz answer when `npz` is set.  Throws on a mismatch.
 */
export async function checkCaseOverHttp(
  baseUrl: string,
  golden: GoldenCase,
  format: Format = "json",
  reference?: Awaited<ReturnType<typeof decodeAnswer>>,
  npz = false,
): Promise<Awaited<ReturnType<typeof decodeAnswer>> | undefined> {
  const request = goldenRequest(golden) as unknown as WireRequest;
  const response = await fetch(
    `${baseUrl}/api/v1/losses/${golden.loss}`,
    requestIn(request, format, npz ? "npz" : "json"),
  );
  const label = `${golden.id} (${format}${npz ? ", .npz answer" : ""})`;
  if (golden.error) {
    const body = await response.json();
    assert.ok(
      response.status >= 400 && response.status < 500,
      `${label}: the reference rejects this (${golden.error.message}); got ${response.status}`,
    );
    assert.equal(response.headers.get("Content-Type"), "application/problem+json", label);
    assertRejectedField(golden, body.field, `the API (${format})`);
    assert.ok(String(body.detail).includes(body.field), `${label}: ${body.detail}`);
    return;
  }
  if (response.status !== 200) assert.fail(`${label}: ${response.status} ${await response.text()}`);
  const answer = await decodeAnswer(response);
  if (reference) {
    const wrong = sameAnswer(answer, reference);
    assert.equal(wrong, undefined, `${label}: not the JSON numbers' answer: ${wrong}`);
  } else {
    assertMatchesCase(golden, decodeResult(answer, (tensor) => tensor), "the API");
  }
  return answer;
}

/** Checks a case in every format: the JSON numbers against the reference, the others against them. */
export async function checkCaseInEveryFormat(
  baseUrl: string,
  golden: GoldenCase,
  index: number,
): Promise<void> {
  const reference = await checkCaseOverHttp(baseUrl, golden, "json");
  for (const format of FORMATS.slice(1)) {
    await checkCaseOverHttp(baseUrl, golden, format, reference, index % 2 === 1);
  }
}

/**
 * Registers one step per loss that replays its cases (`select` picks which) against
 * `baseUrl` in every format, a few cases at a time.  A loss the registry does not have fails
 * its step.
 */
export async function replayGoldenSteps(
  t: Deno.TestContext,
  baseUrl: string,
  select: (golden: GoldenCase, index: number) => boolean = () => true,
): Promise<void> {
  const chosen = goldenCases.filter(select);
  for (const [loss, cases] of Map.groupBy(chosen, (golden) => golden.loss)) {
    await t.step({
      name: `golden over HTTP in every format: ${loss} (${cases.length} cases)`,
      async fn() {
        assert.ok(findLoss(loss), `${loss} has golden cases but is not registered`);
        const failures: string[] = [];
        const queue = cases.map((golden, index) => ({ golden, index }));
        const worker = async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const { golden, index } = next;
            try {
              await checkCaseInEveryFormat(baseUrl, golden, index);
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

/**
 * Registers one step that replays PyTorch's cases at the extremes (float32 overflow, NaN and
 * infinities, `tests/fixtures/torch-edges.json`) against `baseUrl`: NaN and ±∞ travel as the
 * strings of the wire form both ways.
 */
export async function replayEdgeSteps(t: Deno.TestContext, baseUrl: string): Promise<void> {
  await t.step({
    name: `edges over HTTP (${edgeCases.length} cases)`,
    fn: () => replayOverHttp(baseUrl, edgeCases),
  });
}

/** Posts `cases` to `baseUrl`, a few at a time, and fails with every mismatch. */
async function replayOverHttp(baseUrl: string, cases: GoldenCase[]): Promise<void> {
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
}
