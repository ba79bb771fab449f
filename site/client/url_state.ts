/**
 * A loss page's state in its URL: the inputs, options, dtype, seed and worked element, in the
 * fragment (after `#`, which browsers never send to a server), so that reloading, Back and
 * Forward, and a link opened elsewhere all show the same controls and the same result.
 *
 * Only what differs from the page's defaults is written.  A tensor is written as its shape and
 * its numbers, `10x3:1.4043,1.2158,…` (every digit of each number, so the link gives the same
 * result), and text that does not read as a tensor as itself after a `'`.  Past
 * {@link PLAIN_LIMIT} characters the state is compressed (`z=`, deflate, base64url); past
 * {@link LINK_LIMIT} the largest tensors are left out, and the link says which
 * (`omitted=input,target`): it then opens with the page's own inputs in their place.
 *
 * @module
 */
import type { FlatTensor } from "./tensor_text.ts";

/** The state as keys and their written values: input and option names, `dtype`, `seed`, `element`. */
export type StateValues = Record<string, string>;

/** The keys that are not inputs or options. */
export const STATE_KEYS = ["dtype", "seed", "element", "omitted", "z"] as const;

/** The longest state written as it is; longer states are compressed. */
export const PLAIN_LIMIT = 2_000;

/**
 * The longest fragment a link may carry (characters): well within what every browser keeps
 * (Chromium 2 MB, Safari 80 KB, Firefox 64 KB and more) and what mail and chat programs pass on.
 */
export const LINK_LIMIT = 32_000;

function number(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return Object.is(value, -0) ? "-0" : String(value);
}

/**
 * A tensor as a state value: its shape (sizes joined by `x`, empty for a scalar), a colon, and
 * its numbers in row-major order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeTensorValue, encodeTensorValue } from "./url_state.ts";
 * const tensor = { shape: [2, 2], data: [1.5, -2, NaN, Infinity] };
 * assert.equal(encodeTensorValue(tensor), "2x2:1.5,-2,nan,inf");
 * assert.deepEqual(decodeTensorValue("2x2:1.5,-2,nan,inf"), tensor);
 * ```
 */
export function encodeTensorValue(tensor: FlatTensor): string {
  return `${tensor.shape.join("x")}:${tensor.data.map(number).join(",")}`;
}

/** The tensor a state value holds, or null when it holds none. */
export function decodeTensorValue(value: string): FlatTensor | null {
  const match = /^((?:\d+(?:x\d+)*)?):(.*)$/s.exec(value);
  if (!match) return null;
  const shape = match[1] === "" ? [] : match[1].split("x").map(Number);
  const words = match[2] === "" ? [] : match[2].split(",");
  const data = words.map((word) =>
    word === "nan" ? NaN : word === "inf" ? Infinity : word === "-inf" ? -Infinity : Number(word)
  );
  const size = shape.reduce((a, b) => a * b, 1);
  if (
    data.length !== size ||
    words.some((word, i) => word === "" || Number.isNaN(data[i]) && word !== "nan")
  ) {
    return null;
  }
  return { shape, data };
}

/** Percent-encodes a key or value, leaving the characters a fragment may hold as they are. */
function escape(text: string): string {
  return encodeURIComponent(text).replace(/%2C/g, ",").replace(/%3A/g, ":");
}

function plain(values: StateValues): string {
  return Object.entries(values).map(([key, value]) => `${escape(key)}=${escape(value)}`).join("&");
}

async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream) {
  const piped = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** What {@link fragmentOf} wrote. */
export interface Fragment {
  /** The fragment without its `#`; empty for the defaults. */
  fragment: string;
  /** Whether it is compressed. */
  compressed: boolean;
  /** The tensors left out because the link would be too long, largest first. */
  omitted: string[];
}

/**
 * The fragment of `values`: the entries that differ from `defaults`, plain up to
 * {@link PLAIN_LIMIT} characters, compressed beyond, and without the largest of the `droppable`
 * entries (the tensors) while it is longer than {@link LINK_LIMIT}.
 */
export async function fragmentOf(
  values: StateValues,
  defaults: StateValues,
  droppable: readonly string[] = [],
): Promise<Fragment> {
  const changed: StateValues = {};
  for (const [key, value] of Object.entries(values)) {
    if (defaults[key] !== value) changed[key] = value;
  }
  const omitted: string[] = [];
  const candidates = droppable.filter((key) => key in changed)
    .sort((a, b) => changed[b].length - changed[a].length);
  for (;;) {
    const kept = omitted.length ? { ...changed, omitted: omitted.join(",") } : changed;
    const text = plain(kept);
    let fragment = text;
    let compressed = false;
    if (text.length > PLAIN_LIMIT) {
      const bytes = await transform(
        new TextEncoder().encode(text),
        new CompressionStream("deflate-raw"),
      );
      const packed = `z=${base64url(bytes)}`;
      if (packed.length < text.length) {
        fragment = packed;
        compressed = true;
      }
    }
    const next = candidates[omitted.length];
    if (fragment.length <= LINK_LIMIT || next === undefined) {
      return { fragment, compressed, omitted };
    }
    delete changed[next];
    omitted.push(next);
  }
}

/**
 * The state a fragment (without its `#`) holds; entries it cannot read are left out, and a
 * fragment that is not a state (an anchor such as `main`) holds nothing.
 */
export async function stateOf(fragment: string): Promise<StateValues> {
  let text = fragment;
  if (text.startsWith("z=")) {
    try {
      const bytes = await transform(
        fromBase64url(text.slice(2)),
        new DecompressionStream("deflate-raw"),
      );
      text = new TextDecoder().decode(bytes);
    } catch {
      return {};
    }
  }
  const values: StateValues = {};
  if (!text.includes("=")) return values;
  for (const part of text.split("&")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    try {
      values[decodeURIComponent(part.slice(0, at))] = decodeURIComponent(part.slice(at + 1));
    } catch {
      // a malformed escape: leave this entry out
    }
  }
  return values;
}
