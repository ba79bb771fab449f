/**
 * Builds the static site into `site/dist/`: one page per loss from the registry, one per lesson
 * (`site/lessons.ts`), the home page, `/notebook`, `/notation`, a script per kind of page and the
 * site's styles under content-hashed names (cached for a year; the pages revalidate), brotli and
 * gzip copies of the text files for the Deno server, and the styles and fonts of the npm packages
 * it uses (KaTeX,
 * uPlot), so that no page loads anything from another origin.
 *
 * Run by `deno task build`, which `start`, `worker` and `test` run first.
 *
 * @module
 */
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { losses } from "../lib/mod.ts";
import { HomePage } from "./pages/home.tsx";
import { Hono } from "hono";
import { siteSecureHeaders } from "../functions/middleware/security.ts";
import { LossPage } from "./pages/loss.tsx";
import { LessonPage } from "./pages/lesson.tsx";
import { LESSON_CONTENT } from "./pages/lessons.tsx";
import { lessonKind, lessonPath, LESSONS } from "./lessons.ts";
import { NotebookPage } from "./pages/notebook.tsx";
import { sourcesDigest } from "./sources.ts";
import { NotationPage } from "./pages/notation.tsx";
import { setBuiltAssets } from "./pages/assets.ts";
import { IMMUTABLE } from "../functions/adapters/cache.ts";
import { copySwaggerUi } from "./vendor.ts";

const site = new URL("./", import.meta.url);
const dist = new URL("./dist/", site);

/** The folder of an npm package, found from the file its name resolves to. */
async function packageFolder(name: string): Promise<URL> {
  let folder = new URL("./", import.meta.resolve(name));
  for (let depth = 0; depth < 4; depth++) {
    try {
      const manifest = JSON.parse(await Deno.readTextFile(new URL("package.json", folder)));
      if (manifest.name === name) return folder;
    } catch {
      // not the package's root yet
    }
    folder = new URL("../", folder);
  }
  throw new Error(`cannot find the folder of the npm package ${name}`);
}

async function write(path: string, content: string | Uint8Array): Promise<void> {
  const file = new URL(path, dist);
  await Deno.mkdir(new URL("./", file), { recursive: true });
  if (typeof content === "string") await Deno.writeTextFile(file, content);
  else await Deno.writeFile(file, content);
}

async function copyFolder(from: URL, to: string, keep: (name: string) => boolean) {
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile && keep(entry.name)) {
      await write(`${to}/${entry.name}`, await Deno.readFile(new URL(entry.name, from)));
    }
  }
}

function page(element: { toString(): string | Promise<string> }): Promise<string> {
  return Promise.resolve(element.toString()).then((html) => `<!doctype html>\n${html}\n`);
}

/**
 * The kinds of page, each with the client module and export that starts its part (none: the
 * page only has its formulas fitted, as every page has).  Each kind gets a script of its own,
 * `/assets/<kind>.<hash>.js`, bundled from that module alone: declaring a kind here (and
 * `page="<kind>"` on its pages) is all a new kind of page needs.
 */
export const PAGE_KINDS: Record<string, { module: string; start: string } | null> = {
  home: { module: "home.ts", start: "startHome" },
  loss: { module: "loss_page.ts", start: "startLossPage" },
  notebook: { module: "notebook.ts", start: "startNotebook" },
  notation: null,
  ...Object.fromEntries(LESSONS.map((lesson) => [
    lessonKind(lesson),
    { module: `lessons/${lesson.slug}.ts`, start: "startPage" },
  ])),
};

/** The first 10 hex digits of the SHA-256 of `bytes`: the content part of an asset's name. */
async function contentHash(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 5)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Writes `bytes` as `assets/<stem>.<hash>.<extension>`; returns its URL. */
async function writeHashed(name: string, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const dot = name.lastIndexOf(".");
  const path = `assets/${name.slice(0, dot)}.${await contentHash(bytes)}${name.slice(dot)}`;
  await write(path, bytes);
  return `/${path}`;
}

/**
 * Bundles one script per kind of page ({@link PAGE_KINDS}), minified, each from an entry that
 * fits the formulas and starts the kind's part; returns their URLs by `<kind>.js`.
 */
async function bundleScripts(): Promise<Record<string, string>> {
  const work = await Deno.makeTempDir({ prefix: "site-scripts-" });
  try {
    const client = (module: string) => JSON.stringify(new URL(`client/${module}`, site).href);
    const entries: string[] = [];
    for (const [kind, part] of Object.entries(PAGE_KINDS)) {
      const lines = [`import { fitFormulas } from ${client("fit.ts")};`];
      if (part) lines.push(`import { ${part.start} } from ${client(part.module)};`);
      lines.push("fitFormulas();");
      if (part) lines.push(`${part.start}();`);
      const entry = `${work}/${kind}.ts`;
      await Deno.writeTextFile(entry, lines.join("\n") + "\n");
      entries.push(entry);
    }
    const { success } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--config",
        new URL("../deno.json", site).pathname,
        "--platform",
        "browser",
        "--minify",
        "--outdir",
        `${work}/out`,
        ...entries,
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!success) throw new Error("bundling the site's scripts (site/client/) failed");
    const urls: Record<string, string> = {};
    for (const kind of Object.keys(PAGE_KINDS)) {
      urls[`${kind}.js`] = await writeHashed(
        `${kind}.js`,
        await Deno.readFile(`${work}/out/${kind}.js`),
      );
    }
    return urls;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * Writes the site's styles under content-hashed names (and under their plain ones, for the API
 * reference page, which links `/assets/header.css`); returns their URLs by name.
 */
async function writeStyles(): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const [name, source] of [["site.css", "styles.css"], ["header.css", "header.css"]]) {
    const bytes = await Deno.readFile(new URL(source, site));
    await write(`assets/${name}`, bytes);
    urls[name] = await writeHashed(name, bytes);
  }
  return urls;
}

/**
 * The `_headers` file of hosts that serve the site's files without the app (Workers' static
 * assets): the headers that the Deno server's `siteSecureHeaders` (Hono's `secureHeaders`, with
 * the site's CSP) puts on a page, read from an answer of that same middleware, and a year of
 * caching for each of the `hashed` URLs.
 */
async function headersFile(hashed: string[]): Promise<string> {
  const app = new Hono().use(siteSecureHeaders()).get("/", (c) => c.body(null, 204));
  const answer = await app.request("/");
  const lines = [...answer.headers].map(([name, value]) => `  ${name}: ${value}`);
  // The content-hashed scripts and styles are cached for a year (the Deno server's
  // `cacheControlOf` says the same); every other file keeps the assets' revalidating default.
  const immutable = hashed.flatMap((url) => [url, `  Cache-Control: ${IMMUTABLE}`]);
  return ["/*", ...lines, ...immutable, ""].join("\n");
}

/** The files worth compressing: text, by their extension. */
const TEXT_FILE = /\.(?:html|css|js|mjs|svg|json|map|txt)$/;

/**
 * Writes a brotli (`.br`) and a gzip (`.gz`) copy beside every text file of `folder` (of
 * `dist`) larger than 1 KiB, for the Deno server to send to clients that accept them (Workers'
 * static assets compress on their own: `.assetsignore` keeps the copies out of them).
 */
async function precompress(folder = ""): Promise<void> {
  for await (const entry of Deno.readDir(new URL(folder || "./", dist))) {
    const path = `${folder}${entry.name}`;
    if (entry.isDirectory) await precompress(`${path}/`);
    else if (TEXT_FILE.test(entry.name)) {
      const bytes = await Deno.readFile(new URL(path, dist));
      if (bytes.length <= 1024) continue;
      await write(`${path}.gz`, gzipSync(bytes, { level: 9 }));
      await write(
        `${path}.br`,
        brotliCompressSync(bytes, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: 11,
            [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
          },
        }),
      );
    }
  }
}

/** What Workers' static assets leave out of the site: the precompressed copies. */
const ASSETS_IGNORE = "*.br\n*.gz\n";

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
  `<rect width="32" height="32" rx="6" fill="#1f3a5f"/>` +
  `<path d="M5 8 Q16 40 27 8" stroke="#f4b942" stroke-width="3" fill="none"/></svg>\n`;

/** The paths of the site's pages: what a loss's related links may lead to. */
export function sitePages(): Set<string> {
  return new Set([
    "/",
    "/notebook",
    "/notation",
    ...losses.map((l) => `/losses/${l.slug}`),
    ...LESSONS.map(lessonPath),
  ]);
}

/** Builds the whole site. */
export async function buildSite(): Promise<void> {
  await Deno.remove(dist, { recursive: true }).catch(() => {});
  // The scripts and styles first: the pages link them by their content-hashed names.
  const assets = { ...await bundleScripts(), ...await writeStyles() };
  setBuiltAssets(assets);
  const pages = sitePages();
  await write("index.html", await page(HomePage({ losses })));
  for (const loss of losses) {
    await write(`losses/${loss.slug}/index.html`, await page(LossPage({ loss, pages })));
  }
  for (const lesson of LESSONS) {
    const content = LESSON_CONTENT[lesson.slug];
    if (!content) throw new Error(`site/pages/lessons.tsx has no content for ${lesson.slug}`);
    await write(`lessons/${lesson.slug}/index.html`, await page(LessonPage({ lesson, content })));
  }
  await write("notebook/index.html", await page(NotebookPage()));
  await write("notation/index.html", await page(NotationPage({ losses })));
  await write("favicon.svg", FAVICON);
  await write("_headers", await headersFile(Object.values(assets)));
  const katex = await packageFolder("katex");
  await write(
    "vendor/katex/katex.min.css",
    await Deno.readFile(new URL("dist/katex.min.css", katex)),
  );
  await copyFolder(
    new URL("dist/fonts/", katex),
    "vendor/katex/fonts",
    (name) => name.endsWith(".woff2"),
  );
  const uplot = await packageFolder("uplot");
  await write(
    "vendor/uplot/uPlot.min.css",
    await Deno.readFile(new URL("dist/uPlot.min.css", uplot)),
  );
  await copySwaggerUi(new URL("vendor/swagger-ui/", dist)); // the API reference page
  await precompress();
  await write(".assetsignore", ASSETS_IGNORE);
  // Last, so that a build that failed half-way leaves no stamp: the test suites rebuild.
  await write("build.json", JSON.stringify({ sources: await sourcesDigest() }) + "\n");
}

if (import.meta.main) {
  await buildSite();
  console.log(
    `site built: ${losses.length} loss pages, ${LESSONS.length} lessons, home, notebook and ` +
      "notation in site/dist/",
  );
}
