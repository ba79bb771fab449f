/**
 * The frame of every page: head (CSP, styles), navigation, footer and the script of its kind of
 * page (`site/build.ts`, `PAGE_KINDS`).
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { CONTENT_SECURITY_POLICY } from "../../functions/middleware/csp.ts";
import { assetUrl } from "./assets.ts";

/** What a page says about itself. */
export interface PageProps {
  title: string;
  description: string;
  /** The kind of page, whose script it loads (a key of `PAGE_KINDS` in `site/build.ts`). */
  page: string;
  /** Extra stylesheets (KaTeX, uPlot), by path from the site's root. */
  styles?: string[];
  children: Child;
}

/** The links of the site's header, shared with the API reference page (`/api/v1/docs`). */
export const SITE_NAV = [
  { href: "/", text: "All losses" },
  { href: "/notebook", text: "Notebook" },
  { href: "/notation", text: "Notation" },
  { href: "/api/v1/docs", text: "API" },
];

/** Wraps a page's content in the site's frame. */
export function Layout({ title, description, page, styles = [], children }: PageProps) {
  const current = { home: "/", notebook: "/notebook", notation: "/notation" }[page];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="Content-Security-Policy" content={CONTENT_SECURITY_POLICY} />
        <title>{title}</title>
        <meta name="description" content={description} />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        {styles.map((href) => <link key={href} rel="stylesheet" href={href} />)}
        <link rel="stylesheet" href={assetUrl("header.css")} />
        <link rel="stylesheet" href={assetUrl("site.css")} />
        <script type="module" src={assetUrl(`${page}.js`)}></script>
      </head>
      <body data-page={page}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">Losses, as PyTorch computes them</a>
          <nav aria-label="Site">
            {SITE_NAV.map(({ href, text }) => (
              <a key={href} href={href} aria-current={href === current ? "page" : undefined}>
                {text}
              </a>
            ))}
          </nav>
        </header>
        <main id="main">{children}</main>
        <footer>
          Every number on this site is computed by this site's API, which gives PyTorch's numbers
          for the losses of <code>torch.nn</code>{" "}
          (checked against PyTorch 2.11) and, for a loss beyond it, its own library's. Nothing is
          loaded from another origin.
        </footer>
      </body>
    </html>
  );
}
