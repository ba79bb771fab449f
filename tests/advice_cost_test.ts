/**
 * Advice's cost does not grow with its inputs: for every registered loss, on its samples and on
 * its misuses (`tests/advice_misuses.ts`) repeated along the batch until every repeated tensor
 * holds at least 16 times {@link ADVICE_SAMPLE} values (`bench/tiled_samples.ts`), `advise`
 * reads at most {@link READS} elements of each tensor, counted through a Proxy over its data (a
 * method called on the data, such as `some` or an iterator, counts as reading all of it).  No
 * timing: the count is the cost.
 */
import assert from "node:assert/strict";
import { type AnyLoss, createRandom, DTYPES, losses, type PlainTensor } from "../lib/mod.ts";
import { ADVICE_SAMPLE } from "../lib/core/definition.ts";
import type { Dense } from "../lib/core/tensor.ts";
import { adviceArguments, tile } from "../bench/tiled_samples.ts";
import { MISUSES } from "./advice_misuses.ts";

/** The most elements of one tensor that all of a loss's checks together may read. */
const READS = 4 * ADVICE_SAMPLE;
/** Every repeated tensor holds at least this many values: reading one whole fails. */
const LARGE = 16 * ADVICE_SAMPLE;

/** `data` behind a Proxy that counts the elements read (a method call reads them all). */
function counting<T extends ArrayLike<number>>(data: T, counter: { reads: number }): T {
  return new Proxy(data, {
    get(target, key) {
      const value = (target as unknown as Record<string | symbol, unknown>)[key];
      if (
        typeof key === "string" && key.length > 0 && key.charCodeAt(0) >= 48 &&
        key.charCodeAt(0) <= 57
      ) {
        counter.reads++;
        return value;
      }
      if (typeof value === "function" && key !== "constructor") {
        return (...args: unknown[]) => {
          counter.reads += target.length;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
}

/** `inputs` repeated along the batch until every repeated tensor holds at least `LARGE` values. */
function large(loss: AnyLoss, inputs: Record<string, PlainTensor>): Record<string, PlainTensor> {
  const first = inputs[loss.inputs[0].name];
  const repeated = Object.values(inputs).filter((tensor) =>
    tensor.shape.length > 0 && tensor.shape[0] === first.shape[0]
  );
  const smallest = Math.min(...repeated.map((tensor) => Math.max(tensor.data.length, 1)));
  return tile(loss, inputs, Math.ceil(LARGE / smallest) * first.data.length);
}

/** Each loss's samples (two seeds) and misuses. */
function cases(
  loss: AnyLoss,
): { label: string; inputs: Record<string, PlainTensor>; options: Record<string, unknown> }[] {
  return [
    ...[1, 2].map((seed) => ({
      label: `sample ${seed}`,
      inputs: loss.sample(createRandom(seed)),
      options: {},
    })),
    ...MISUSES.filter((misuse) => misuse.loss === loss.name).map((misuse) => ({
      label: `misuse ${misuse.code}`,
      inputs: misuse.inputs,
      options: misuse.options ?? {},
    })),
  ];
}

for (const loss of losses.filter((loss) => loss.advise)) {
  Deno.test(`advice: ${loss.name} reads at most ${READS} elements of each input, at any size`, () => {
    for (const { label, inputs, options } of cases(loss)) {
      const big = large(loss, inputs);
      for (const dtype of DTYPES) {
        const { tensors, values } = adviceArguments(loss, big, options, dtype);
        const counters: Record<string, { reads: number }> = {};
        const counted: Record<string, Dense> = {};
        for (const [name, tensor] of Object.entries(tensors)) {
          counters[name] = { reads: 0 };
          counted[name] = { ...tensor, data: counting(tensor.data, counters[name]) };
        }
        loss.advise!(counted, values);
        for (const [name, { reads }] of Object.entries(counters)) {
          const size = tensors[name].data.length;
          if (big[name].shape[0] !== inputs[name].shape[0]) {
            assert.ok(size >= LARGE, `${loss.name} ${label}: ${name} was repeated`);
          }
          assert.ok(
            reads <= READS,
            `${loss.name} ${label} ${dtype}: advice read ${reads} of the ${size} elements of ${name}`,
          );
        }
      }
    }
  });
}

Deno.test("advice: none for every loss's samples made large, as for the samples", () => {
  for (const loss of losses.filter((loss) => loss.advise)) {
    for (const seed of [1, 2]) {
      const big = large(loss, loss.sample(createRandom(seed)));
      for (const dtype of DTYPES) {
        const { tensors, values } = adviceArguments(loss, big, {}, dtype);
        assert.deepEqual(loss.advise!(tensors, values), [], `${loss.name}, seed ${seed}, ${dtype}`);
      }
    }
  }
});

Deno.test("advice: a statement about every element or row of a large input says what it read", () => {
  // 1000 rows of 1000 probabilities: 4 rows fit in what advice reads.
  const rows = 1000, classes = 1000;
  const probabilities = {
    shape: [rows, classes],
    data: new Array(rows * classes).fill(1 / classes),
  };
  const classIndices = { shape: [rows], data: new Array(rows).fill(0), dtype: "int" as const };
  const crossEntropy = losses.find((loss) => loss.name === "CrossEntropyLoss")!;
  const logits = losses.find((loss) => loss.name === "BCEWithLogitsLoss")!;
  const cases = [
    {
      loss: crossEntropy,
      inputs: { input: probabilities, target: classIndices },
      says: /Every row of input \(of the 4 rows that advice reads out of 1000: the first 2, /,
    },
    {
      loss: logits,
      inputs: { input: probabilities, target: probabilities },
      says: /Every element of input \(of the 4096 elements that advice reads out of 1000000: /,
    },
  ];
  for (const { loss, inputs, says } of cases) {
    const { tensors, values } = adviceArguments(loss, inputs, {}, "float32");
    const [advice] = loss.advise!(tensors, values);
    assert.equal(advice?.code, "probabilities-as-logits", loss.name);
    assert.match(advice.message, says);
  }
});
