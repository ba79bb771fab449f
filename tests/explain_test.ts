/**
 * Every loss explains its numbers (`lib/core/explain.ts`): the worked element ends at that
 * element's loss, the reduction at the output, the sweep passes through the current inputs with
 * the gradient as its slope, and an ordinary request gets no advice.  Each loss declares its
 * teaching text, search words, worked steps and sweep.
 */
import assert from "node:assert/strict";
import {
  computeLoss,
  createRandom,
  type DType,
  DTYPES,
  indexNdArrayOf,
  losses,
  type NdArray,
  ndarrayOf,
  type PlainTensor,
} from "../lib/mod.ts";
import { explainLoss } from "../lib/mod.ts";
import { close } from "./golden.ts";

function ndarray(tensor: PlainTensor, dtype: DType): NdArray {
  return tensor.dtype === "int"
    ? indexNdArrayOf(tensor.data, tensor.shape)
    : ndarrayOf(tensor.data, tensor.shape, dtype);
}

/** The row-major index of a field such as `inputs.input[2][1]` in a tensor of `shape`. */
function flatIndex(field: string, shape: number[]): number {
  const indices = [...field.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
  assert.equal(indices.length, shape.length, `${field} indexes a tensor of shape [${shape}]`);
  return indices.reduce((flat, index, d) => flat * shape[d] + index, 0);
}

Deno.test("every loss declares its teaching, search words, worked steps and sweep", () => {
  const missing = losses.flatMap((loss) =>
    [
      loss.teaching ? [] : ["teaching"],
      loss.keywords?.length ? [] : ["keywords"],
      loss.explain ? [] : ["explain"],
      loss.sweep ? [] : ["sweep"],
    ].flat().map((what) => `${loss.name}: ${what}`)
  );
  assert.deepEqual(missing, []);
});

for (const loss of losses.filter((loss) => loss.explain || loss.sweep)) {
  Deno.test(`explain: ${loss.name}`, async (t) => {
    for (const dtype of DTYPES) {
      await t.step(dtype, () => {
        const sample = loss.sample(createRandom(7));
        const inputs = Object.fromEntries(
          Object.entries(sample).map(([name, tensor]) => [name, ndarray(tensor, dtype)]),
        );
        const explained = explainLoss(loss.name, inputs, {}, { dtype, grad: true });
        const plain = computeLoss(loss.name, inputs, {}, { dtype, grad: true });
        assert.deepEqual([...explained.output.data], [...plain.output.data]);
        assert.deepEqual(explained.advice, [], "an ordinary request gets no advice");
        const terms = explained.terms;
        const output = explained.output.data[0];
        if (explained.reduction.length) {
          assert.ok(
            close(explained.reduction.at(-1)!.value, output, dtype),
            "reduction ends at output",
          );
        }
        const shown = Math.min(explained.count, 4);
        for (let element = 0; element < shown; element++) {
          const at = explainLoss(loss.name, inputs, {}, { dtype, element, points: 11 });
          const want = terms ? terms.data[element] : output;
          const last = at.worked?.steps.at(-1)?.value;
          if (terms) {
            assert.ok(
              last !== undefined && close(last, want, dtype),
              `${loss.name} element ${element}: worked ${last}, loss ${want}`,
            );
          }
          const sweep = at.sweep!;
          assert.ok(sweep, `${loss.name}: a sweep`);
          assert.equal(sweep.x.length, 11);
          assert.ok(
            close(sweep.current.loss, want, dtype),
            `${loss.name} element ${element}: sweep passes through ${sweep.current.loss}, loss ${want}`,
          );
          const [, input] = /^inputs\.([a-z_0-9]+)/.exec(sweep.field)!;
          const gradOutput = terms
            ? ndarrayOf(terms.data.map((_, i) => +(i === element)), terms.shape, dtype)
            : undefined;
          const reductionNone = terms ? { reduction: "none" } : {};
          const grads =
            computeLoss(loss.name, inputs, reductionNone, { dtype, grad: true, gradOutput }).grads;
          const slope = grads[input].data[flatIndex(sweep.field, grads[input].shape)];
          assert.ok(
            close(sweep.current.slope, slope, dtype),
            `${loss.name} element ${element}: slope ${sweep.current.slope}, gradient ${slope}`,
          );
        }
      });
    }
  });
}

Deno.test("explain: on every accepted golden case, the worked elements and the reduction end at PyTorch's numbers", async (t) => {
  const { goldenCases, inputsOf, optionsOf } = await import("./golden.ts");
  const byLoss = Map.groupBy(
    goldenCases.filter((golden) => !golden.error),
    (golden) => golden.loss,
  );
  for (const loss of losses.filter((loss) => loss.explain)) {
    await t.step(loss.name, () => {
      const failures: string[] = [];
      for (const golden of byLoss.get(loss.name) ?? []) {
        try {
          const inputs = inputsOf(golden);
          const options = optionsOf(golden);
          const settings = { dtype: golden.dtype };
          const explained = explainLoss(loss.name, inputs, options, settings);
          const output = explained.output.data;
          if (explained.reduction.length) {
            assert.ok(
              close(explained.reduction.at(-1)!.value, output[0], golden.dtype),
              "reduction",
            );
          }
          for (let element = 0; element < Math.min(explained.count, 3); element++) {
            const at = explainLoss(loss.name, inputs, options, { ...settings, element, points: 3 });
            const want = explained.terms ? explained.terms.data[element] : output[0];
            const got = at.worked?.steps.at(-1)?.value ?? NaN;
            assert.ok(
              close(got, want, golden.dtype),
              `element ${element}: worked ${got}, loss ${want}`,
            );
            assert.ok(
              close(at.sweep!.current.loss, want, golden.dtype),
              `element ${element}: sweep`,
            );
          }
        } catch (error) {
          failures.push(`${golden.id}: ${error instanceof Error ? error.message : error}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }
});
