/**
 * The library against PyTorch's CPU kernels on one thread: every registered loss at 1M elements
 * (`bench/pytorch_cases.ts`; CrossEntropyLoss 1000 × 1000 with class targets), forward and forward
 * with the gradients, in float32 and float64, `reduction: "mean"`.
 *
 * `deno bench` times each as usual (a call shorter than 2 ms in batches, `×n` in its name); when it
 * is done, the process prints the library ÷ PyTorch table, the library's side the median CPU time
 * per call over the same iterations, PyTorch's read from
 * `bench/torch_timings.json`, which `bench/torch_losses.py` writes on a machine with PyTorch
 * (`/usr/bin/python3 bench/torch_losses.py`; see BENCHMARKS.md).  CPU time, not wall-clock time:
 * on a shared machine it is what other work disturbs least, on both sides alike.
 */
import { computeLoss, type DType, losses } from "../lib/mod.ts";
import { cpuBench, median } from "./cpu_time.ts";
import { benchInputs } from "./pytorch_cases.ts";

const TIMINGS = new URL("./torch_timings.json", import.meta.url);
const MODES = ["forward", "forward+grad"] as const;
const DTYPES: DType[] = ["float32", "float64"];
/** Iterations timed per configuration, after the warm-up ones. */
const ITERATIONS = 15;

interface TorchTiming {
  loss: string;
  dtype: DType;
  mode: typeof MODES[number];
  ms: number;
  cpu_ms: number;
}

const key = (loss: string, dtype: DType, mode: string) => `${loss} ${dtype} ${mode}`;

/** Each configuration's CPU milliseconds per iteration, as the benchmarks ran them. */
const cpuTimes = new Map<string, number[]>();

/** The losses of `torch.nn` (those beyond it, with a `source` of their own, have no PyTorch class). */
const compared = losses.filter((loss) => !loss.source);

for (const dtype of DTYPES) {
  const inputs = benchInputs(dtype);
  for (const { name } of compared) {
    if (!inputs[name]) throw new Error(`bench/pytorch_cases.ts has no inputs for ${name}`);
    for (const mode of MODES) {
      const times: number[] = [];
      cpuTimes.set(key(name, dtype, mode), times);
      const grad = mode === "forward+grad";
      const run = () => computeLoss(name, inputs[name], {}, { dtype, grad });
      cpuBench(`${name} ${dtype} ${mode}`, run, times, { iterations: ITERATIONS, warmup: 3 });
    }
  }
}

function readTimings(): { meta: Record<string, unknown>; timings: TorchTiming[] } | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(TIMINGS));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The library ÷ PyTorch table, in Markdown, with the worst and the median ratio. */
function report(): string {
  const torch = readTimings();
  if (!torch) {
    return `No PyTorch timings (${TIMINGS.pathname}): run \`/usr/bin/python3 ` +
      "bench/torch_losses.py\` where PyTorch is installed, then `deno task bench` again.";
  }
  const byKey = new Map(torch.timings.map((t) => [key(t.loss, t.dtype, t.mode), t]));
  const lines = [
    `PyTorch ${torch.meta.torch} (${torch.meta.cpu_capability}, ${torch.meta.threads} thread, ` +
    `${torch.meta.date}) against the library (Deno ${Deno.version.deno}): median CPU ms per call`,
    "",
    "| loss | mode | dtype | library | PyTorch | library ÷ PyTorch |",
    "| --- | --- | --- | ---: | ---: | ---: |",
  ];
  const ratios: { label: string; ratio: number }[] = [];
  for (const { name } of compared) {
    for (const mode of MODES) {
      for (const dtype of DTYPES) {
        const times = cpuTimes.get(key(name, dtype, mode)) ?? [];
        const theirs = byKey.get(key(name, dtype, mode));
        if (times.length === 0 || !theirs) continue;
        const ours = median(times);
        const ratio = ours / theirs.cpu_ms;
        ratios.push({ label: key(name, dtype, mode), ratio });
        lines.push(
          `| ${name} | ${mode} | ${dtype} | ${ours.toFixed(3)} | ${theirs.cpu_ms.toFixed(3)} | ` +
            `${ratio.toFixed(2)} |`,
        );
      }
    }
  }
  if (ratios.length === 0) return lines.join("\n");
  const sorted = [...ratios].sort((a, b) => a.ratio - b.ratio);
  const worst = sorted[sorted.length - 1];
  lines.push(
    "",
    `${ratios.length} configurations: median ratio ${
      median(sorted.map((r) => r.ratio)).toFixed(2)
    }` +
      `, worst ${worst.ratio.toFixed(2)} (${worst.label}); above 2: ` +
      (sorted.filter((r) => r.ratio > 2).map((r) => `${r.label} ${r.ratio.toFixed(2)}`).join(
        ", ",
      ) ||
        "none"),
  );
  return lines.join("\n");
}

globalThis.addEventListener("unload", () => console.log(`\n${report()}`));
