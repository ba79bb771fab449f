/**
 * The Worker's bundle (`deno task bench:http`): `wrangler deploy --dry-run --outdir` into a
 * temporary folder, then the size and gzip size of what it would upload.  The goal is under
 * 500 KiB gzip.
 *
 * @module
 */
import { WRANGLER, wranglerArgs } from "../tools/wrangler.ts";

const outdir = await Deno.makeTempDir({ prefix: "worker-bundle-" });
try {
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: wranglerArgs(["deploy", "--dry-run", "--outdir", outdir]),
    cwd: new URL("..", import.meta.url),
    env: { WRANGLER_SEND_METRICS: "false" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr));
  let bytes = 0;
  let gzipBytes = 0;
  for await (const entry of Deno.readDir(outdir)) {
    if (!entry.isFile || !/\.(m?js|wasm)$/.test(entry.name)) continue;
    const content = await Deno.readFile(`${outdir}/${entry.name}`);
    const gzip = new Uint8Array(
      await new Response(
        new Blob([content]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    console.log(
      `${entry.name}: ${(content.length / 1024).toFixed(1)} KiB, gzip ${
        (gzip.length / 1024).toFixed(1)
      } KiB`,
    );
    bytes += content.length;
    gzipBytes += gzip.length;
  }
  console.log(
    `Worker bundle: ${(bytes / 1024).toFixed(1)} KiB, gzip ${(gzipBytes / 1024).toFixed(1)} KiB ` +
      `(goal < 500 KiB gzip); wrangler ${WRANGLER.split("@").pop()}, ` +
      new Date().toISOString().slice(0, 10),
  );
} finally {
  await Deno.remove(outdir, { recursive: true });
}
