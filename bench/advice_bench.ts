/**
 * The cost of advice (`LossDefinition.advise`, run by every `computeLoss`) at 1M elements: every
 * registered loss's sample, repeated along its batch until its first input holds 2^20 values
 * (`bench/tiled_samples.ts`), in both dtypes; only `advise` is timed, on tensors already checked.
 *
 * When `deno bench` is done, the process prints each loss's median CPU milliseconds per call of
 * `advise` (CPU time, as `bench/pytorch_bench.ts` counts it: on a shared machine it is what
 * other work disturbs least).  `ADVICE_BENCH_SKIP` names losses to leave out, comma-separated.
 */
import { type DType, losses } from "../lib/mod.ts";
import { cpuBench, median } from "./cpu_time.ts";
import { adviceArguments, tiledSample } from "./tiled_samples.ts";

const ELEMENTS = 2 ** 20;
const DTYPES: DType[] = ["float32", "float64"];
const ITERATIONS = 10;
const skip = new Set((Deno.env.get("ADVICE_BENCH_SKIP") ?? "").split(",").filter(Boolean));

const cpuTimes = new Map<string, number[]>();

for (const loss of losses) {
  if (skip.has(loss.name)) continue;
  const plain = tiledSample(loss, ELEMENTS);
  for (const dtype of DTYPES) {
    const { tensors, values } = adviceArguments(loss, plain, {}, dtype);
    const run = () => loss.advise?.(tensors, values);
    const times: number[] = [];
    cpuTimes.set(`${loss.name} ${dtype}`, times);
    cpuBench(`advice ${loss.name} ${dtype}`, run, times, { iterations: ITERATIONS, warmup: 2 });
  }
}

globalThis.addEventListener("unload", () => {
  const lines = [
    `Advice at ${ELEMENTS} elements (Deno ${Deno.version.deno}): median CPU ms per call`,
    "",
    "| loss | float32 | float64 |",
    "| --- | ---: | ---: |",
  ];
  for (const loss of losses) {
    const cell = (dtype: DType) => {
      const times = cpuTimes.get(`${loss.name} ${dtype}`) ?? [];
      return times.length ? median(times).toFixed(3) : "—";
    };
    if (!loss.advise) lines.push(`| ${loss.name} | no advice | no advice |`);
    else if (cpuTimes.has(`${loss.name} float32`)) {
      lines.push(`| ${loss.name} | ${cell("float32")} | ${cell("float64")} |`);
    }
  }
  console.log(`\n${lines.join("\n")}`);
});
