/**
 * The .npz codec of answers: a result as the archive `numpy.load` opens, a zip of stored (not
 * compressed) members: `output.npy`, `grad_<input>.npy` for each gradient, and `meta.json`
 * holding the loss's name, the dtype, the warnings and the advice.  Each .npy member is the
 * result's bytes, bit for bit.
 *
 * @module
 */
import type { DenseResult } from "../../../lib/mod.ts";
import { descrOf, littleEndianBytes, npyHeaderBytes } from "./npy.ts";

/** The media type of .npz answers. */
export const NPZ_MEDIA_TYPE = "application/x-npz";

const encoder = new TextEncoder();

/**
 * The tables of CRC-32 by slicing-by-8: table k (256 entries at 256·k) advances the CRC over a
 * byte followed by k zero bytes, so that one step folds in 8 bytes.
 */
const CRC_TABLES = (() => {
  const t = new Int32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) {
      t[256 * k + i] = (t[256 * (k - 1) + i] >>> 8) ^ t[t[256 * (k - 1) + i] & 255];
    }
  }
  return t;
})();

/**
 * CRC-32 (zip's) of `chunks` in order, 8 bytes a step (about 1 ns a byte here; workerd has no
 * native one without Node.js compatibility, which wrangler cannot bundle from Deno's cache).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "./npz.ts";
 * assert.equal(crc32([new TextEncoder().encode("123456789")]), 0xcbf43926);
 * ```
 */
export function crc32(chunks: readonly Uint8Array[]): number {
  const t = CRC_TABLES;
  let c = -1;
  for (const bytes of chunks) {
    const n = bytes.length;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const a = c ^ (bytes[i] | bytes[i + 1] << 8 | bytes[i + 2] << 16 | bytes[i + 3] << 24);
      c = t[1792 + (a & 255)] ^ t[1536 + ((a >>> 8) & 255)] ^ t[1280 + ((a >>> 16) & 255)] ^
        t[1024 + (a >>> 24)] ^ t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^
        t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
    }
    for (; i < n; i++) c = t[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  }
  return ~c >>> 0;
}

/** A member of a zip archive: its name and its bytes, in chunks. */
export interface ZipMember {
  name: string;
  chunks: Uint8Array[];
}

/**
 * A zip archive of `members`, stored (no compression), no ZIP64 (each member and the whole under
 * 4 GiB), dated 1980-01-01 so that the same result gives the same bytes: as the chunks to send
 * in order (the members' own bytes among them, not copied) and their total length.
 */
export function zipStored(members: readonly ZipMember[]): { chunks: Uint8Array[]; length: number } {
  const entries = members.map((member) => {
    const name = encoder.encode(member.name);
    const size = member.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    return { name, size, crc: crc32(member.chunks), chunks: member.chunks, offset: 0 };
  });
  const chunks: Uint8Array[] = [];
  let at = 0;
  const common = (view: DataView, e: (typeof entries)[number], offset: number) => {
    view.setUint16(offset, 20, true); // version needed: 2.0
    view.setUint16(offset + 2, 0x0800, true); // names in UTF-8
    view.setUint16(offset + 4, 0, true); // stored
    view.setUint16(offset + 6, 0, true); // 00:00
    view.setUint16(offset + 8, 0x21, true); // 1980-01-01
    view.setUint32(offset + 10, e.crc, true);
    view.setUint32(offset + 14, e.size, true);
    view.setUint32(offset + 18, e.size, true);
    view.setUint16(offset + 22, e.name.length, true);
    view.setUint16(offset + 24, 0, true);
  };
  for (const e of entries) {
    e.offset = at;
    const local = new Uint8Array(30 + e.name.length);
    const view = new DataView(local.buffer);
    view.setUint32(0, 0x04034b50, true);
    common(view, e, 4);
    local.set(e.name, 30);
    chunks.push(local, ...e.chunks);
    at += local.length + e.size;
  }
  const directorySize = entries.reduce((sum, e) => sum + 46 + e.name.length, 0);
  const tail = new Uint8Array(directorySize + 22);
  const view = new DataView(tail.buffer);
  let t = 0;
  for (const e of entries) {
    view.setUint32(t, 0x02014b50, true);
    view.setUint16(t + 4, 20, true); // made by: 2.0
    common(view, e, t + 6);
    view.setUint16(t + 32, 0, true); // comment
    view.setUint16(t + 34, 0, true); // disk
    view.setUint16(t + 36, 0, true); // internal attributes
    view.setUint32(t + 38, 0, true); // external attributes
    view.setUint32(t + 42, e.offset, true);
    tail.set(e.name, t + 46);
    t += 46 + e.name.length;
  }
  view.setUint32(t, 0x06054b50, true);
  view.setUint16(t + 8, entries.length, true);
  view.setUint16(t + 10, entries.length, true);
  view.setUint32(t + 12, directorySize, true);
  view.setUint32(t + 16, at, true);
  chunks.push(tail);
  return { chunks, length: at + tail.length };
}

/** Chunks as one array (for tests and small answers). */
export function concat(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * A result as an .npz archive: `output`, `grad_<name>` for each gradient, and `meta.json`; as
 * chunks that hold the result's own bytes (on a little-endian host), so that megabytes of
 * gradients are sent without being copied into the archive.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpz } from "./npz.ts";
 * const output = { shape: [], data: new Float32Array([2.5]) };
 * const npz = encodeNpz({ loss: "MSELoss", dtype: "float32", output, grads: {}, warnings: [], advice: [] });
 * assert.deepEqual([...npz.chunks[0].subarray(0, 4)], [0x50, 0x4b, 3, 4]); // "PK\3\4"
 * ```
 */
export function encodeNpz(result: DenseResult): { chunks: Uint8Array[]; length: number } {
  const tensors = [
    ["output", result.output] as const,
    ...Object.entries(result.grads).map(([name, grad]) => [`grad_${name}`, grad] as const),
  ];
  const members: ZipMember[] = tensors.map(([name, tensor]) => ({
    name: `${name}.npy`,
    chunks: [npyHeaderBytes(tensor.shape, descrOf(tensor.data)), littleEndianBytes(tensor.data)],
  }));
  const meta = {
    loss: result.loss,
    dtype: result.dtype,
    warnings: result.warnings,
    advice: result.advice,
  };
  members.push({ name: "meta.json", chunks: [encoder.encode(JSON.stringify(meta))] });
  return zipStored(members);
}
