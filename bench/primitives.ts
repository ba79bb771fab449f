/**
 * What one element costs in the library's float32 kernels: a plain sum, `Math.fround`, the
 * branch-free `select`, the float32 `exp32`, `log32`, `log1p32`, the softplus table, and V8's
 * `Math.exp` and `Math.log`, each in a loop over 2^20 values (CPU time, median of interleaved
 * runs).  BENCHMARKS.md's reasons for the ratios to PyTorch cite these costs:
 *
 *     deno run --config deno.dev.json -A bench/primitives.ts
 */
import process from "node:process";
import { exp32, log1p32, log32 } from "../lib/ops/exp_log.ts";
import { select } from "../lib/ops/branchless.ts";
import { softplusOfNegative } from "../lib/ops/softplus.ts";

const N = 1 << 20;
const p = new Float32Array(N), z = new Float32Array(N);
for (let i = 0; i < N; i++) {
  p[i] = 1 / (1 + Math.exp(-(Math.random() * 4 - 2)));
  z[i] = Math.random() * 8 - 4;
}
const loops: Record<string, () => number> = {
  "sum": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += z[i];
    return t;
  },
  "fround(z · z)": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += Math.fround(z[i] * z[i]);
    return t;
  },
  "select(z < 1, z, 1)": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += select(z[i] < 1, z[i], 1);
    return t;
  },
  "exp32": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += exp32(z[i]);
    return t;
  },
  "Math.exp": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += Math.exp(z[i]);
    return t;
  },
  "log32": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += log32(p[i]);
    return t;
  },
  "log1p32": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += log1p32(-p[i]);
    return t;
  },
  "Math.log": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += Math.log(p[i]);
    return t;
  },
  "softplusOfNegative": () => {
    let t = 0;
    for (let i = 0; i < N; i++) t += softplusOfNegative(Math.abs(z[i]));
    return t;
  },
};
const times: Record<string, number[]> = {};
for (let run = 0; run < 15; run++) {
  for (const [name, loop] of Object.entries(loops)) {
    const before = process.cpuUsage();
    loop();
    const used = process.cpuUsage(before);
    (times[name] ??= []).push((used.user + used.system) / 1000);
  }
}
console.log("| loop over 2^20 float32 values | ns per element (median) |");
console.log("| --- | ---: |");
for (const [name, values] of Object.entries(times)) {
  const median = [...values].sort((a, b) => a - b)[values.length >> 1];
  console.log(`| ${name} | ${(median * 1e6 / N).toFixed(2)} |`);
}
