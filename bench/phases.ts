/**
 * Where the time of a loss at 1M elements goes (`bench/pytorch_cases.ts`'s inputs): the
 * library's checks of the inputs and options, the forward, the advice and the backward, each
 * timed apart in CPU time (median of interleaved runs), beside `computeLoss` as a whole.  The
 * measured reasons of BENCHMARKS.md's ratios above 2x come from here:
 *
 *     deno run --config deno.dev.json -A bench/phases.ts [Loss[:dtype]] ...
 *
 * With no argument it times every loss of torch.nn in both dtypes.
 */
import process from "node:process";
import { computeLoss, type DType, findLoss, losses } from "../lib/mod.ts";
import { checkInputs, checkOptions } from "../lib/core/compute.ts";
import type { Context } from "../lib/core/definition.ts";
import { toFloat } from "../lib/core/tensor.ts";
import { benchInputs } from "./pytorch_cases.ts";

const RUNS = 15;
const DTYPES: DType[] = ["float32", "float64"];
const wanted = Deno.args.length
  ? Deno.args.map((arg) => arg.split(":") as [string, DType?])
  : losses.filter((loss) => !loss.source).map((loss) => [loss.name] as [string]);

/** CPU milliseconds of one call of `run`, repeated to last at least 2 ms. */
function cpu(run: () => void, batch: number): number {
  const before = process.cpuUsage();
  for (let i = 0; i < batch; i++) run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / batch;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const inputsByDtype = new Map<DType, ReturnType<typeof benchInputs>>();
console.log(
  "| loss | dtype | computeLoss forward | checks | forward | advice | computeLoss forward+grad | backward |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const [name, only] of wanted) {
  for (const dtype of only ? [only] : DTYPES) {
    if (!inputsByDtype.has(dtype)) inputsByDtype.set(dtype, benchInputs(dtype));
    const inputs = inputsByDtype.get(dtype)![name];
    const loss = findLoss(name)!;
    const context: Context = { dtype, grad: true, warn: () => {} };
    const tensors = checkInputs(loss, inputs, dtype);
    const values = checkOptions(loss, {}, dtype);
    const { output, saved } = loss.forward(tensors, values, context);
    const ones = toFloat(
      { shape: output.shape, data: new Float64Array(output.data.length) },
      dtype,
    );
    ones.data.fill(1);
    const phases: Record<string, () => void> = {
      whole: () => computeLoss(name, inputs, {}, { dtype }),
      checks: () => {
        checkInputs(loss, inputs, dtype);
        checkOptions(loss, {}, dtype);
      },
      forward: () => loss.forward(tensors, values, { ...context, grad: false }),
      advice: () => loss.advise?.(tensors, values),
      wholeGrad: () => computeLoss(name, inputs, {}, { dtype, grad: true }),
      backward: () => loss.backward(saved, ones, context),
    };
    const batches: Record<string, number> = {};
    for (const [phase, run] of Object.entries(phases)) {
      run();
      const start = performance.now();
      run();
      batches[phase] = Math.max(1, Math.ceil(2 / Math.max(performance.now() - start, 1e-3)));
    }
    const times: Record<string, number[]> = {};
    for (let r = 0; r < RUNS; r++) {
      for (const [phase, run] of Object.entries(phases)) {
        (times[phase] ??= []).push(cpu(run, batches[phase]));
      }
    }
    const ms = (phase: string) => median(times[phase]).toFixed(3);
    console.log(
      `| ${name} | ${dtype} | ${ms("whole")} | ${ms("checks")} | ${ms("forward")} | ` +
        `${ms("advice")} | ${ms("wholeGrad")} | ${ms("backward")} |`,
    );
  }
}
