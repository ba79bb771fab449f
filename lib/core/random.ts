/**
 * Seeded random tensors, as the notebook draws them with `torch.randn`, `torch.rand` and
 * `torch.randint`: the samples of each loss (examples, the site's "random" button, property
 * tests) come from here.  It imports nothing at run time, so that the site's script can use it.
 *
 * @module
 */
import type { PlainTensor } from "./tensor.ts";

/** The largest seed of {@link createRandom}: seeds are 32-bit unsigned integers. */
export const MAX_SEED = 2 ** 32 - 1;

/** A seeded source of random numbers and tensors. */
export interface Random {
  /** Uniform on [0, 1). */
  next(): number;
  /** `torch.randn(shape)`: standard normal values. */
  randn(shape: number[]): PlainTensor;
  /** `torch.rand(shape)`: uniform values on [0, 1). */
  rand(shape: number[]): PlainTensor;
  /** `torch.randint(low, high, shape)`: integers in [low, high), as an index tensor. */
  randint(low: number, high: number, shape: number[]): PlainTensor;
  /** An integer in [low, high). */
  int(low: number, high: number): number;
}

/**
 * A {@link Random} from a 32-bit seed (0 to {@link MAX_SEED}; mulberry32): the same seed gives the same tensors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRandom } from "./random.ts";
 * const a = createRandom(7).randn([2, 3]);
 * const b = createRandom(7).randn([2, 3]);
 * assert.deepEqual(a, b);
 * ```
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    const u = 1 - next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  const int = (low: number, high: number): number => low + Math.floor(next() * (high - low));
  const fill = (shape: number[], draw: () => number): number[] =>
    Array.from({ length: shape.reduce((size, n) => size * n, 1) }, draw);
  return {
    next,
    int,
    randn: (shape) => ({ shape, data: fill(shape, normal) }),
    rand: (shape) => ({ shape, data: fill(shape, next) }),
    randint: (low, high, shape) => ({
      shape,
      data: fill(shape, () => int(low, high)),
      dtype: "int",
    }),
  };
}
