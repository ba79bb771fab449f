/**
 * CPU time for the library's benchmarks: on a shared machine it is what other work disturbs
 * least.  `process.cpuUsage` counts microseconds, so a call shorter than {@link SAMPLE_MS} is
 * timed in batches.
 *
 * @module
 */
import process from "node:process";

/** A timed sample lasts at least this long: shorter calls are timed in batches. */
export const SAMPLE_MS = 2;

/**
 * Registers a `deno bench` of `run` named `name` (with `(×batch)` when calls are batched), each
 * iteration pushing its CPU milliseconds per call onto `times`.
 */
export function cpuBench(
  name: string,
  run: () => unknown,
  times: number[],
  { iterations, warmup }: { iterations: number; warmup: number },
): void {
  let start = performance.now();
  run();
  let elapsed = performance.now() - start;
  if (elapsed < SAMPLE_MS) {
    for (let i = 0; i < 20; i++) run();
    start = performance.now();
    run();
    elapsed = performance.now() - start;
  }
  const batch = Math.max(1, Math.ceil(SAMPLE_MS / Math.max(elapsed, 1e-3)));
  Deno.bench({
    name: `${name}${batch > 1 ? ` (×${batch})` : ""}`,
    n: iterations,
    warmup,
    fn() {
      const before = process.cpuUsage();
      for (let i = 0; i < batch; i++) run();
      const used = process.cpuUsage(before);
      times.push((used.user + used.system) / 1000 / batch);
    },
  });
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
