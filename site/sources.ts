/**
 * What the built site is made from, as one digest: `site/build.ts` writes it into
 * `site/dist/build.json`, and the test suites that serve the site compare it with the sources'
 * (`tests/built_site.ts`) to build the site again when it is missing or stale.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/** The folders and files the site is built from: its pages and script, the registry, the API. */
export const SITE_SOURCES = ["site", "lib", "functions", "deno.json", "deno.lock"];

/** Every file of `SITE_SOURCES`, by path from the project's root (the built site excluded). */
async function files(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (path: string) => {
    const info = await Deno.stat(new URL(path, ROOT));
    if (info.isFile) return void found.push(path);
    for await (const entry of Deno.readDir(new URL(`${path}/`, ROOT))) {
      if (path === "site" && entry.name === "dist") continue;
      await walk(`${path}/${entry.name}`);
    }
  };
  for (const source of SITE_SOURCES) await walk(source);
  return found.sort();
}

/** A SHA-256 digest (hex) of the paths and contents of the site's sources. */
export async function sourcesDigest(): Promise<string> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const path of await files()) {
    parts.push(encoder.encode(`${path}\0`), await Deno.readFile(new URL(path, ROOT)));
  }
  const bytes = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
