/**
 * The API reference page: Swagger UI (npm `swagger-ui-dist`), self-hosted from the site's
 * `vendor/swagger-ui/` folder (copied there by the site's build, `site/vendor.ts`), reading
 * `/api/v1/openapi.json`.
 *
 * @module
 */
import { API_V1 } from "./paths.ts";

/** Where the site serves Swagger UI's files. */
export const SWAGGER_UI_PATH = "/vendor/swagger-ui";

/** The files of `swagger-ui-dist` that the page needs, with their licenses. */
export const SWAGGER_UI_FILES = [
  "swagger-ui-bundle.js",
  "swagger-ui-bundle.js.LICENSE.txt",
  "swagger-ui.css",
  "LICENSE",
  "NOTICE",
];

/**
 * The site's header on the reference page, with a link back to the losses: the links of the
 * site's own header (`site/pages/layout.tsx`, whose `SITE_NAV` the site's tests compare with
 * these), styled by the site's `/assets/header.css`.
 */
export const DOCS_HEADER = `<header class="top">
    <a class="brand" href="/">Losses, as PyTorch computes them</a>
    <nav aria-label="Site">
      <a href="/">All losses</a>
      <a href="/notebook">Notebook</a>
      <a href="/notation">Notation</a>
      <a href="${API_V1}/docs" aria-current="page">API</a>
    </nav>
  </header>
  <p class="back"><a href="/">← Back to the losses</a>: every loss computed live, with its
    gradient and one element worked through.</p>`;

/**
 * The HTML of the reference page for the OpenAPI document at `specUrl`, its inline script
 * marked with `nonce` (the page's Content-Security-Policy allows no other inline script).
 */
export function docsPage(specUrl = `${API_V1}/openapi.json`, nonce?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PyTorch losses: API reference</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="${SWAGGER_UI_PATH}/swagger-ui.css">
  <link rel="stylesheet" href="/assets/header.css">
  <style>
    body { margin: 0; }
    .back { max-width: 1460px; margin: 0.75rem auto 0; padding: 0 20px;
      font: 14px/1.5 system-ui, sans-serif; color: #3b4151; }
    .back a { color: #1f4f8f; }
  </style>
</head>
<body>
  ${DOCS_HEADER}
  <main id="reference"></main>
  <script src="${SWAGGER_UI_PATH}/swagger-ui-bundle.js"></script>
  <script${nonce ? ` nonce="${nonce}"` : ""}>
    window.ui = SwaggerUIBundle({
      url: ${JSON.stringify(specUrl)},
      dom_id: "#reference",
      deepLinking: true,
      tryItOutEnabled: true,
    });
  </script>
</body>
</html>
`;
}
