/**
 * What every codec decodes a request body into, whatever its format (JSON numbers, .npy in
 * JSON, multipart .npy parts): one {@link DecodedRequest}, on which the route checks the cost
 * once and the library computes.
 *
 * @module
 */
import type { Dense, DType } from "../../lib/mod.ts";

/**
 * A decoded tensor: its shape, known before its data (an .npy's from its header), and its values
 * as a dense row-major tensor, decoded on first use, after the cost check.
 */
export interface DecodedTensor {
  readonly shape: number[];
  /** Whether it came as .npy bytes (a binary tensor, under the binary limits). */
  readonly binary: boolean;
  /** Its values: a float, integer or 0/1 typed array as the wire gave them. */
  dense(): Dense;
}

/** How the answer writes tensors: JSON numbers, or `{shape, dtype, npy}` (`"encoding": "npy"`). */
export type Encoding = "numbers" | "npy";

/** A request decoded from its body: tensors by place, the rest as given. */
export interface DecodedRequest {
  /** The inputs by name (no prototype: a `__proto__` key stays a key); null when left out. */
  inputs: Record<string, DecodedTensor | null>;
  /** The options by name, tensor options as {@link DecodedTensor}s, numbers read. */
  options: Record<string, unknown>;
  /** The dtype as given (`float32` when absent); the library checks it. */
  dtype: DType | unknown;
  grad: boolean;
  gradOutput?: DecodedTensor;
  /** How a JSON answer writes its tensors. */
  encoding: Encoding;
  /** The other keys a route allows (`element`, `points` of an explanation), as given. */
  extra: Record<string, unknown>;
}

/** A dense tensor that is already decoded, as a {@link DecodedTensor}. */
export function decodedOf(tensor: Dense, binary = false): DecodedTensor {
  return { shape: tensor.shape, binary, dense: () => tensor };
}

/** Whether `value` is a {@link DecodedTensor}. */
export function isDecodedTensor(value: unknown): value is DecodedTensor {
  return typeof value === "object" && value !== null &&
    typeof (value as DecodedTensor).dense === "function";
}
