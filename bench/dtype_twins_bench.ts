/**
 * Why the losses' element loops are written once per dtype (CONTRIBUTING.md, "Loops written twice
 * on purpose"): the same L1 loop, Σ |x − y|, as one function that sees both `Float32Array` and
 * `Float64Array` (as one generic loop would) against two copies that each see one type, at 1M
 * elements.  `deno bench --config deno.dev.json bench/dtype_twins_bench.ts`.
 *
 * @module
 */
import type { FloatArray } from "../lib/mod.ts";

const N = 1_000_000;
const f32 = { x: new Float32Array(N), y: new Float32Array(N) };
const f64 = { x: new Float64Array(N), y: new Float64Array(N) };
for (let i = 0; i < N; i++) {
  f32.x[i] = f64.x[i] = Math.sin(i);
  f32.y[i] = f64.y[i] = Math.cos(i);
}

/** One loop for both dtypes: its array loads see two element kinds. */
function sharedLoop(x: FloatArray, y: FloatArray): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += Math.abs(x[i] - y[i]);
  return total;
}

function loop32(x: Float32Array, y: Float32Array): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += Math.abs(x[i] - y[i]);
  return total;
}

function loop64(x: Float64Array, y: Float64Array): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += Math.abs(x[i] - y[i]);
  return total;
}

// The shared loop meets both types before it is timed, as it would in the library.
sharedLoop(f32.x, f32.y);
sharedLoop(f64.x, f64.y);

for (const [dtype, { x, y }] of [["float32", f32], ["float64", f64]] as const) {
  Deno.bench({
    name: `one loop for both dtypes, ${dtype}`,
    group: dtype,
    baseline: true,
    fn: () => void sharedLoop(x, y),
  });
  Deno.bench({
    name: `a loop per dtype, ${dtype}`,
    group: dtype,
    fn: () =>
      void (dtype === "float32"
        ? loop32(x as Float32Array, y as Float32Array)
        : loop64(x as Float64Array, y as Float64Array)),
  });
}
